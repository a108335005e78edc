"""The task registry (seal.tasks): names, classes, main metrics, dataset -> task and record -> task."""

from __future__ import annotations

import pytest

from seal.data.datamodule import MultiLabelDataModule, WeizmannDataModule
from seal.tasks import TASKS, Task, get_task, register_task, task_for_dataset, task_of_record
from seal.training.module import MultilabelModule
from seal.training.segmentation import SegmentationModule


def test_registered_tasks_and_their_classes():
    assert list(TASKS) == ["multilabel", "segmentation", "srl"]
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
    assert task_of_record({"dataset": "weizmann_horse", "metrics": {"test": {}}}).main_metric == "mean_iou"
    assert task_of_record({"task": "segmentation"}).name == "segmentation"
    assert task_of_record({"dataset": "not-a-dataset"}).name == "multilabel"


def test_unknown_and_duplicate_tasks_are_refused():
    with pytest.raises(ValueError, match="unknown task 'pos'; known: multilabel, segmentation, srl"):
        get_task("pos")
    with pytest.raises(ValueError, match="task 'multilabel' is already registered"):
        register_task(Task("multilabel", "a:b", "a:b", "a:b", "example_f1", "example-F1"))
