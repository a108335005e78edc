"""Tasks answer instead of names: a task registered from outside (here a toy one) gets its dataset kind and loader
accepted by the catalogue, its cells in ``seal data list`` and its section in ``seal report``, with no edit to the
CLI, the catalogue code or the report."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from seal.data.catalogue import (
    CatalogueError,
    DataFile,
    DatasetSpec,
    known_dataset_kinds,
    known_loaders,
    parse_catalogue,
    register_dataset,
    unregister_dataset,
)
from seal.tasks import TASKS, ReportFamily, Task, task_for_dataset, task_net_fields, task_of_kind

TOY_FAMILIES = (
    ReportFamily(
        "Toy word tagging",
        metric="toy_acc",
        metric_label="test toy accuracy (%)",
        other_metrics=(("toy_recall", "toy recall", 1, 100.0),),
        loss_type_chains=(("NCE ranking", ("nce-gbi", "seal-static-nce", "seal-dynamic-nce")),),
        note="A toy section.",
        order=("toy_words_b",),
        extra_lines="test_task_hooks:toy_extra_lines",
    ),
)


@dataclass(frozen=True)
class ToyTaskNetHParams:
    """The toy task's task-net settings."""

    toy_window: int = 3
    hidden: int = 8


def toy_extra_lines(groups) -> list[str]:
    """The toy task's lines after its second table: the number of groups and their datasets."""
    return ["", f"toy groups: {len(groups)} ({', '.join(sorted({g.dataset for g in groups}))})"]


@pytest.fixture
def toy_task(monkeypatch):
    task = Task(
        name="toy-tagging", module="x:Y", datamodule="x:Y", cli="x:Y", main_metric="toy_acc", metric_label="toy acc",
        dataset_tasks=("toy-kind",), loaders=("toy-loader",),
        data_list=(("features", "{spec.n_features} words"), ("labels", "tags")),
        summary_metrics=(("toy_acc", "toy-acc"),),
        report="test_task_hooks:TOY_FAMILIES", task_net_hparams="test_task_hooks:ToyTaskNetHParams",
    )  # fmt: skip
    monkeypatch.setitem(TASKS, task.name, task)
    names = []
    for name in ("toy_words_a", "toy_words_b"):
        register_dataset(DatasetSpec(
            name=name, task="toy-kind", title="Toy words", files=(DataFile(path=f"{name}/all.txt", role="all"),),
            n_instances=5, n_features=7, n_labels=3, protocols=("official",), loader="toy-loader",
        ))  # fmt: skip
        names.append(name)
    yield task
    for name in names:
        unregister_dataset(name)


TOML = """
[[dataset]]
name = "toy"
task = "toy-kind"
title = "Toy"
protocols = ["official"]
loader = "toy-loader"
[[dataset.files]]
path = "toy/all.txt"
role = "all"
"""


def test_catalogue_kinds_and_loaders_are_those_of_the_registered_tasks(toy_task):
    assert known_dataset_kinds() == ("mlc", "hmlc", "segmentation", "text-mlc", "srl", "toy-kind")
    assert known_loaders() == ("arff", "segmentation", "text", "srl", "toy-loader")
    spec = parse_catalogue(TOML, "toy.toml").specs[0]
    assert (spec.task, spec.loader) == ("toy-kind", "toy-loader")
    assert task_of_kind("toy-kind") is toy_task and task_for_dataset("toy_words_a") is toy_task


def test_an_unregistered_kind_or_loader_is_one_error_naming_the_field_and_the_choices():
    assert "toy-kind" not in known_dataset_kinds() and task_of_kind("toy-kind") is None
    with pytest.raises(CatalogueError) as info:
        parse_catalogue(TOML, "toy.toml")
    assert (info.value.path, info.value.dataset, info.value.field) == ("toy.toml", "toy", "loader")
    assert all(f"'{k}'" in str(info.value) for k in ("arff", "segmentation", "text", "srl", "toy-loader"))
    with pytest.raises(CatalogueError) as info:
        parse_catalogue(TOML.replace('"toy-loader"', '"segmentation"'), "toy.toml")
    assert (info.value.dataset, info.value.field) == ("toy", "task")
    assert all(f"'{k}'" in str(info.value) for k in ("mlc", "hmlc", "segmentation", "text-mlc", "srl", "toy-kind"))


def test_data_list_shows_the_task_cells(toy_task, tmp_path, capsys):
    from seal.cli import data as data_cli

    assert data_cli.main(["list", "--json", "--data-dir", str(tmp_path)]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert (rows["toy_words_a"]["task"], rows["toy_words_a"]["features"], rows["toy_words_a"]["labels"]) == (
        "toy-kind", "7 words", "tags"
    )
    assert rows["toy_words_a"]["instances"] == 5 and rows["toy_words_a"]["local"] is False
    # segmentation's cells come from its task too; multi-label rows keep the catalogue's counts
    assert (rows["weizmann_horse"]["features"], rows["weizmann_horse"]["labels"]) == ("32x32x3", "mask")
    assert (rows["bibtex"]["features"], rows["bibtex"]["labels"]) == (1836, 159)
    assert data_cli.main(["list", "--data-dir", str(tmp_path)]) == 0
    line = next(ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("toy_words_a "))
    assert line.split()[:4] == ["toy_words_a", "toy-kind", "tags", "7"]


def _record(dataset: str, method: str, seed: int, acc: float) -> dict:
    return {
        "dataset": dataset, "split_protocol": "official", "method": method, "seed": seed,
        "metrics": {"test": {"toy_acc": acc, "toy_recall": acc / 2}, "val": {"toy_acc": acc}},
        "epochs": 3, "best_epoch": 2, "timings": {"epoch_s_mean": 1.0},
    }  # fmt: skip


def test_report_renders_the_task_section(toy_task):
    from seal.experiments.report import render_report, report_families

    fam = report_families()[-1]
    assert fam.name == "Toy word tagging" and fam.datasets == ("toy_words_b", "toy_words_a")  # `order` first
    records = [_record("toy_words_a", "cross-entropy", 0, 0.5), _record("toy_words_a", "cross-entropy", 1, 0.7),
               _record("toy_words_b", "seal-dynamic-nce", 0, 0.8), _record("bibtex", "cross-entropy", 0, 0.4)]
    text = render_report(records, command="seal report", results_path="r.jsonl")
    sections = [ln for ln in text.splitlines() if ln.startswith("## ")]
    assert sections.index("## Toy word tagging") == sections.index("## Feature-based MLC (paper datasets)") + 1
    toy = text[text.index("## Toy word tagging"):]
    assert "A toy section." in toy and "### Test toy accuracy (%): ours vs the paper" in toy
    rows = [ln for ln in toy.splitlines() if ln.startswith("| toy_words")]
    assert rows[0].startswith("| toy_words_b | official | seal-dynamic-nce | 80.00 (n=1) | — |")
    assert rows[1].startswith("| toy_words_a | official | cross-entropy | 60.00 ± 14.14 (n=2) | — |")
    assert "| toy recall |" in toy and "| toy_words_a | official | cross-entropy | 2 | 30.0 |" in toy
    assert "toy groups: 2 (toy_words_a, toy_words_b)" in toy
    # the family's single loss-type chain: one ordering table (NCE ranking), none for margin / regression
    assert "NCE ranking" in toy and "margin" not in toy


def test_without_the_task_its_datasets_are_other_datasets(toy_task, monkeypatch):
    from seal.experiments.report import render_report, report_families

    monkeypatch.delitem(TASKS, toy_task.name)
    assert all("toy_words_a" not in f.datasets for f in report_families())
    text = render_report([_record("toy_words_a", "cross-entropy", 0, 0.5)], command="seal report", results_path="r")
    assert "## Other datasets" in text and "## Toy word tagging" not in text


def test_validation_curves_follow_the_task_metric(toy_task, tmp_path):
    """The curve of a run plots its task's main metric and is named with its label (no guess from history keys)."""
    pytest.importorskip("matplotlib")
    from seal.experiments.report import write_report
    from seal.experiments.runner import append_result

    results = tmp_path / "runs.jsonl"
    for method, acc in (("cross-entropy", 0.5), ("seal-dynamic-nce", 0.6)):
        rec = _record("toy_words_a", method, 0, acc)
        rec["val_history"] = [{"epoch": 0, "toy_acc": acc - 0.2}, {"epoch": 1, "toy_acc": acc}]
        append_result(results, rec)
    figs = tmp_path / "figures"
    text = write_report(results, tmp_path / "results.md", figures_dir=figs).read_text()
    assert "![Validation toy acc per epoch: toy_words_a, first seed of each method]" in text
    assert "no validation history" not in text
    assert (figs / "val_f1_toy_words_a_first_seed.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_experiment_metrics_table_has_the_columns_of_the_runs_tasks(toy_task, monkeypatch):
    from dataclasses import replace

    from seal.experiments.runner import format_metrics_table
    from seal.metrics import SEGMENTATION_CONVENTIONS

    seg = {"dataset": "weizmann_horse", "method": "cross-entropy", "seed": 0, "epochs": 2,
           "metrics": {"test": {"mean_iou": 0.61, "pixel_accuracy": 0.875}}}  # fmt: skip
    lines = format_metrics_table([_record("toy_words_a", "cross-entropy", 0, 0.8), seg]).splitlines()
    # registry order: segmentation, then the toy task (registered last); no multi-label columns without such runs
    assert lines[2].split() == ["run", "mIoU", "pix-acc", "toy-acc", "epochs", "s/epoch"]
    toy_row, seg_row = lines[3].split(), lines[4].split()
    assert toy_row == ["toy_words_a/cross-entropy", "seed", "0", "-", "-", "80.00", "3", "1.00"]
    assert seg_row == ["weizmann_horse/cross-entropy", "seed", "0", "61.00", "87.50", "-", "2", "-"]
    assert lines[5:] == [SEGMENTATION_CONVENTIONS]  # the toy task states no conventions
    assert format_metrics_table([_record("toy_words_a", "cross-entropy", 0, 0.8)]).splitlines()[2].split() == [
        "run", "toy-acc", "epochs", "s/epoch"
    ]
    # a task that names no columns gets one of its main metric
    monkeypatch.setitem(TASKS, toy_task.name, replace(toy_task, summary_metrics=()))
    assert format_metrics_table([_record("toy_words_a", "cross-entropy", 0, 0.8)]).splitlines()[2:4] == [
        "run                               toy acc  epochs  s/epoch",
        "toy_words_a/cross-entropy seed 0    80.00       3     1.00",
    ]


def _srl_record(method: str, seed: int, labeled: float, unlabeled: float, ucr: float) -> dict:
    """A record as SRL runs write them to results/runs.jsonl (no ``task`` key: the dataset's kind says srl)."""
    test = {"f1/ARG0": 0.42, "instances": 4798.0, "labeled_f1": labeled, "labeled_precision": 0.63,
            "labeled_recall": 0.33, "ucr_violation_rate": ucr, "ucr_violation_rate_gold": 0.0158,
            "unlabeled_f1": unlabeled}  # fmt: skip
    return {"dataset": "up_english_ewt", "split_protocol": "official", "method": method, "variant": "cpu",
            "seed": seed, "metrics": {"test": test, "val": {"labeled_f1": labeled}}, "epochs": 12,
            "timings": {"epoch_s_mean": 30.0}}  # fmt: skip


def test_experiment_summary_of_srl_runs_shows_srl_metrics_and_conventions():
    from seal.experiments.runner import format_comparison, format_metrics_table
    from seal.tasks.srl.metrics import SRL_CONVENTIONS

    records = [_srl_record("cross-entropy", 0, 0.4377, 0.5137, 0.0529), _srl_record("crf", 0, 0.5177, 0.6090, 0.0852)]
    assert format_metrics_table(records).splitlines() == [
        "",
        "test metrics (x100):",
        "run                                        labeled-F1  unlabeled-F1  UCR-viol  epochs  s/epoch",
        "up_english_ewt/cross-entropy (cpu) seed 0       43.77         51.37      5.29      12    30.00",
        "up_english_ewt/crf (cpu) seed 0                 51.77         60.90      8.52      12    30.00",
        SRL_CONVENTIONS,
    ]
    assert "multi-label" not in format_metrics_table(records)
    assert format_comparison(records).splitlines()[2:] == [
        "  up_english_ewt  cross-entropy (cpu)  labeled F1  43.77 ± 0.00  (1 seed)",
        ("  up_english_ewt  crf (cpu)            labeled F1  51.77 ± 0.00  (1 seed)  +8.00 vs cross-entropy (cpu): one "
         "seed each: no spread to compare with"),
    ]


def test_every_task_states_its_summary_metrics_and_conventions():
    from seal.metrics import MULTILABEL_CONVENTIONS, SEGMENTATION_CONVENTIONS
    from seal.tasks.srl.metrics import SRL_CONVENTIONS

    multilabel = (("example_f1", "ex-F1"), ("micro_f1", "micro-F1"), ("macro_f1", "macro-F1"), ("map", "mAP"),
                  ("hamming_loss", "Hamming"))  # fmt: skip
    assert {name: (t.summary_metrics, t.conventions_text()) for name, t in TASKS.items()} == {
        "multilabel": (multilabel, MULTILABEL_CONVENTIONS),
        "text-mlc": (multilabel, MULTILABEL_CONVENTIONS),
        "segmentation": ((("mean_iou", "mIoU"), ("pixel_accuracy", "pix-acc")), SEGMENTATION_CONVENTIONS),
        "srl": ((("labeled_f1", "labeled-F1"), ("unlabeled_f1", "unlabeled-F1"), ("ucr_violation_rate", "UCR-viol")),
                SRL_CONVENTIONS),
    }
    assert "multi-label" not in SRL_CONVENTIONS and "segmentation" not in MULTILABEL_CONVENTIONS
    assert "V and the null tag O are not arguments" in SRL_CONVENTIONS


def test_fit_prints_the_conventions_of_its_task():
    from seal.cli.lightning import format_metrics
    from seal.metrics import MULTILABEL_CONVENTIONS
    from seal.tasks.srl.metrics import SRL_CONVENTIONS

    # each task's `seal fit` CLI names its task, whose paragraph after_fit prints under the test metrics
    assert {name: t.cli_class().task_name for name, t in TASKS.items()} == {n: n for n in TASKS}
    assert format_metrics({"labeled_f1": 0.5, "instances": 3.0}, "test metrics (crf)", SRL_CONVENTIONS).splitlines() == [
        "test metrics (crf)", "------------------", "labeled_f1             0.5000", "instances              3.0000",
        SRL_CONVENTIONS,
    ]  # fmt: skip
    assert format_metrics({"example_f1": 0.25}).splitlines()[-1] == MULTILABEL_CONVENTIONS
    assert format_metrics({"example_f1": 0.25}, conventions="").splitlines() == ["metrics", "-------", "example_f1             0.2500"]


def test_task_net_fields_are_those_the_registered_tasks_name(toy_task, monkeypatch):
    assert toy_task.task_net_field_names() == {"toy_window", "hidden"}
    assert {"toy_window", "hidden", "trainable_layers", "pooling", "dropout"} <= task_net_fields()
    assert TASKS["segmentation"].task_net_field_names() == frozenset()  # no task-net settings class
    monkeypatch.delitem(TASKS, toy_task.name)
    assert "toy_window" not in task_net_fields()


def test_report_compares_a_flat_task_net_setting_of_a_registered_task(toy_task):
    from seal.experiments.report import Group, _setting_differences

    def group(window):
        return Group("toy_words_a", "seal-dynamic-nce", "cpu", "random",
                     records=[{"config": {"data": {}, "model": {"toy_window": window, "lr": 0.1 * window}}}])

    # a record from before ``model.task_net`` was grouped: the toy task's field is found, the optimizer's is not
    assert _setting_differences(group(3), group(5)) == ["model.task_net.toy_window 3 vs 5"]


def test_a_tasks_own_files_are_found_through_the_registry():
    """`seal data info FILE` asks the registry which task reads a file (SRL: .conllu and the derived .conll.zip;
    text MLC: .jsonl, .jsonl.gz or --format jsonl); the core CLI names no task."""
    from seal.tasks import task_of_file
    from seal.tasks.srl.hooks import describe_srl_file
    from seal.tasks.text_mlc.data import describe_text_file_hook

    names = ("a.conllu", "B.CONLL.ZIP", "c.conll", "d.csv", "e.jsonl", "f.JSONL.GZ", "g.txt")
    assert [getattr(task_of_file(n), "name", None) for n in names] == ["srl", "srl", "srl", None, "text-mlc", "text-mlc", None]
    # an explicit format wins over the name
    assert [getattr(task_of_file("g.txt", f), "name", None) for f in ("jsonl", "csv", "libsvm")] == ["text-mlc", None, None]
    assert task_of_file("a.conllu", "csv") is None
    assert TASKS["srl"].describe_file_function() is describe_srl_file
    assert TASKS["text-mlc"].describe_file_function() is describe_text_file_hook
    assert [t.name for t in TASKS.values() if t.file_suffixes] == ["segmentation", "text-mlc", "srl"]
    source = (Path(__file__).resolve().parents[1] / "src" / "seal" / "cli" / "data.py").read_text()
    assert "seal.tasks.srl" not in source and "seal.tasks.text_mlc" not in source
