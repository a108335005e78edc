"""The task registry (seal.tasks): names, classes, main metrics, dataset -> task and record -> task."""

from __future__ import annotations

import pytest

from seal.tasks import TASKS, Task, get_task, register_task, task_for_dataset, task_of_checkpoint, task_of_record
from seal.tasks.mlc_features.datamodule import MultiLabelDataModule
from seal.tasks.mlc_features.module import MultilabelModule
from seal.tasks.segmentation.datamodule import WeizmannDataModule
from seal.tasks.segmentation.module import SegmentationModule


def test_registered_tasks_and_their_classes():
    assert list(TASKS)[:2] == ["multilabel", "segmentation"] and {"text-mlc", "srl"} <= set(TASKS)
    text = get_task("text-mlc")  # its classes import transformers: checked in tests/test_text_mlc.py
    assert (text.main_metric, text.dataset_tasks) == ("example_f1", ("text-mlc",))
    mlc, seg = get_task("multilabel"), get_task("segmentation")
    assert (mlc.module_class(), mlc.datamodule_class(), mlc.main_metric) == (MultilabelModule, MultiLabelDataModule, "example_f1")
    assert (seg.module_class(), seg.datamodule_class(), seg.main_metric) == (SegmentationModule, WeizmannDataModule, "mean_iou")
    assert mlc.cli_class().__name__ == "SEALCLI" and seg.cli_class().__name__ == "SegmentationCLI"
    srl = get_task("srl")
    assert (srl.module, srl.datamodule, srl.main_metric, srl.dataset_tasks) == (
        "seal.tasks.srl.module:SRLModule", "seal.tasks.srl.data:SRLDataModule", "labeled_f1", ("srl",)
    )
    assert srl.cli_class().__name__ == "SRLCLI"


def test_dataset_and_record_to_task():
    assert task_for_dataset("weizmann_horse").name == "segmentation"
    assert task_for_dataset("bibtex").name == "multilabel"
    assert task_for_dataset("spo_fun").name == "multilabel"  # hierarchical MLC trains as multi-label
    assert task_for_dataset("reuters21578").name == task_for_dataset("goemotions").name == "text-mlc"
    assert task_of_record({"dataset": "weizmann_horse", "metrics": {"test": {}}}).main_metric == "mean_iou"
    assert task_of_record({"task": "segmentation"}).name == "segmentation"
    assert task_of_record({"dataset": "not-a-dataset"}).name == "multilabel"


def test_unknown_and_duplicate_tasks_are_refused():
    with pytest.raises(ValueError, match="unknown task 'pos'; known: multilabel, segmentation, text-mlc, srl"):
        get_task("pos")
    with pytest.raises(ValueError, match="task 'multilabel' is already registered"):
        register_task(Task("multilabel", "a:b", "a:b", "a:b", "example_f1", "example-F1"))


def test_checkpoint_to_task_and_hooks():
    from seal.tasks.segmentation.data import describe_dataset
    from seal.tasks.segmentation.predict import run_segmentation

    assert task_of_checkpoint({"seal": {"task": "segmentation"}}).name == "segmentation"
    assert task_of_checkpoint({"seal": {"task": "not-registered"}}).name == "multilabel"
    assert task_of_checkpoint({"state_dict": {}}).name == "multilabel"  # feature-MLC checkpoints store no task
    seg, mlc = get_task("segmentation"), get_task("multilabel")
    assert seg.predict_function() is run_segmentation and seg.describe_function() is describe_dataset
    from seal.tasks.mlc_features.predict import run_predict

    assert mlc.predict_function() is run_predict and mlc.describe_function() is None


def test_data_info_uses_the_task_hook(monkeypatch, capsys):
    """`seal data info` prints what the dataset's task describes, without knowing the task by name."""
    import seal.tasks as tasks
    from seal.cli import data as data_cli

    calls = []

    def fake_describe(name, *, data_dir, download):
        calls.append((name, download))
        return {"text": "split  images\ntrain  3", "stats": {"splits": {"train": {"instances": 3}}}}

    monkeypatch.setattr(tasks.Task, "describe_function", lambda self: fake_describe)
    assert data_cli.main(["info", "weizmann_horse"]) == 0
    out = capsys.readouterr().out
    assert calls == [("weizmann_horse", False)]
    assert "\n  split  images\n  train  3" in out


def test_old_import_paths_answer_the_moved_objects():
    """Feature MLC and segmentation moved into task folders; the old module paths re-export the same objects."""
    import importlib

    moved = [
        ("seal.training.module", "seal.tasks.mlc_features.module", ["MultilabelModule", "NonFiniteError", "DVN_SAMPLES"]),
        ("seal.training.segmentation", "seal.tasks.segmentation.module",
         ["SegmentationModule", "SEGMENTATION_METHODS", "resolve_pretrained"]),
        ("seal.data.weizmann", "seal.tasks.segmentation.data",
         ["load_segmentation_dataset", "fetch_converted", "predict_36_crops", "describe_dataset", "WeizmannDataError",
          "CROP_SIZE"]),
        ("seal.data.datamodule", "seal.tasks.mlc_features.datamodule", ["MultiLabelDataModule", "MultiLabelArrays"]),
        ("seal.cli.predict", "seal.tasks.segmentation.predict", ["run_segmentation", "save_segmentation_grid"]),
        ("seal.cli.predict", "seal.tasks.mlc_features.predict", ["build_module"]),
        ("seal.cli.lightning", "seal.tasks.segmentation.cli", ["SegmentationCLI"]),
    ]  # fmt: skip
    for old, new, names in moved:
        old_mod, new_mod = importlib.import_module(old), importlib.import_module(new)
        for name in names:
            assert getattr(old_mod, name) is getattr(new_mod, name), (old, name)
    import seal.data.datamodule as dm
    import seal.tasks.segmentation.datamodule as seg_dm
    import seal.training.module as old_module

    assert dm.WeizmannDataModule is seg_dm.WeizmannDataModule and dm.SegmentationArrays is seg_dm.SegmentationArrays
    assert old_module.MultilabelModule is MultilabelModule and old_module.MultilabelModule.__module__ == (
        "seal.tasks.mlc_features.module"
    )
    assert set(dm.__all__) >= {"MultiLabelDataModule", "WeizmannDataModule", "EpochSeededSampler", "DataError"}
    namespace: dict = {}
    exec("from seal.training.segmentation import *", namespace)  # noqa: S102 - the star import of the alias
    from seal.tasks.segmentation.module import SEG_METHODS

    assert namespace["SegmentationModule"] is SegmentationModule and namespace["SEG_METHODS"] is SEG_METHODS
    with pytest.raises(AttributeError, match="no attribute 'not_a_name'"):
        importlib.import_module("seal.cli.predict").not_a_name
