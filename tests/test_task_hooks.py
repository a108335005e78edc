"""Tasks answer instead of names: a task registered from outside (here a toy one) gets its dataset kind and loader
accepted by the catalogue and its cells in ``seal data list``, with no edit to the CLI or the catalogue code."""

from __future__ import annotations

import json

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
from seal.tasks import TASKS, Task, task_for_dataset, task_of_kind

@pytest.fixture
def toy_task(monkeypatch):
    task = Task(
        name="toy-tagging", module="x:Y", datamodule="x:Y", cli="x:Y", main_metric="toy_acc", metric_label="toy acc",
        dataset_tasks=("toy-kind",), loaders=("toy-loader",),
        data_list=(("features", "{spec.n_features} words"), ("labels", "tags")),
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
