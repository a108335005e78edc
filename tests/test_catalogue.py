"""The dataset catalogue file (seal/data/catalogue.toml) and the layout of seal.data.

* the catalogue holds exactly what the Python tables of ``seal/data/registry.py`` held at commit 01e9a48
  (``tests/fixtures/registry_tables_01e9a48.json`` was dumped from them with ``dataclasses.asdict``
  before they were moved), spelled out for a few files with their exact sha256;
* a malformed catalogue gives one CatalogueError naming the file, the dataset and the field;
* ``seal.data.registry`` re-exports the same objects;
* the import graph of the ``seal.data`` modules (top-level and function-level imports) has no cycle.
"""

from __future__ import annotations

import ast
import dataclasses
import json
import re
from pathlib import Path

import pytest

import seal.data
from seal.data import catalogue as cat
from seal.data.catalogue import CatalogueError, DataFile, DatasetSpec, ReaderOptions, parse_catalogue, read_catalogue

FIXTURE = Path(__file__).parent / "fixtures" / "registry_tables_01e9a48.json"


# --------------------------------------------------------------------------- content of the catalogue


def test_catalogue_equals_the_former_python_tables():
    old = json.loads(FIXTURE.read_text(encoding="utf-8"))
    c = cat.default_catalogue()
    assert dict(c.aliases) == old["aliases"] == {
        "eurlexev": "eurlex_ev", "bibtex_strat": "bibtex", "weizmann_horse_seg": "weizmann_horse",
    }  # fmt: skip
    # the datasets of the text-MLC (issue 14) and SRL (issue 15) tasks came after those tables
    assert [s.name for s in c.specs if s.task in ("text-mlc", "srl")] == ["reuters21578", "goemotions", "up_english_ewt"]
    specs = [s for s in c.specs if s.task not in ("text-mlc", "srl")]
    assert [s.name for s in specs] == [d["name"] for d in old["datasets"]]
    for spec, before in zip(specs, old["datasets"]):
        now = json.loads(json.dumps(dataclasses.asdict(spec)))  # tuples -> lists, as in the fixture
        if spec.name == "weizmann_horse":  # its reader moved to the segmentation task folder (issue 13)
            for key in ("fetcher", "notes"):
                before[key] = before[key].replace("seal.data.weizmann", "seal.tasks.segmentation.data")
        assert now == before, spec.name
    assert cat.dataset_names()[: len(c.specs)] == [s.name for s in c.specs]


def test_a_few_entries_spelled_out():
    bib = cat.get_spec("bibtex")
    assert bib.files[0] == DataFile(
        path="bibtex/mulan/bibtex.arff",
        role="all",
        sha256="a282a6d1fb3cdaf39bde3f81cd4e6079850a7a538a6bc44f8b4ed95dfe1e5014",
        size=3457832,
        url="https://raw.githubusercontent.com/tsoumakas/mulan/43f6389095ad71984264db4387a8074b22bc7d4a"
        "/data/multi-label/bibtex/bibtex.arff",
        n_instances=7395,
    )
    assert bib.reader == ReaderOptions(xml=True)
    assert (bib.n_instances, bib.n_features, bib.n_labels, bib.protocols) == (7395, 1836, 159, ("paper", "official"))
    assert bib.paper_split_sizes == (4407, 1491, 1497)
    assert bib.source == "tsoumakas/mulan@43f6389095ad71984264db4387a8074b22bc7d4a:data/multi-label/bibtex/"

    expr = cat.get_spec("expr_fun")
    assert expr.file("val") == DataFile(
        path="expr_fun/expr_FUN.valid.arff.zip",
        role="val",
        sha256="0c473a2b3864c2d1282cf3ecceca4d5b5f3b4ef212d9c54e9b5da56973d78d7d",
        size=764902,
        url="https://raw.githubusercontent.com/tondach01/hiclass/b4d65a1918626db564994884816f6dc2c9bb8ff6"
        "/datasets_FUN/expr_FUN/expr_FUN.valid.arff.zip",
        n_instances=849,
        member_sha256="345aeb499a813118b5da6e43ea51a759f787fa5772f2907f0f789068c0ad82c7",
    )
    assert expr.reader == ReaderOptions(hierarchy_root=True, missing="nan")
    assert dict(expr.preprocess) == {"impute": "mean", "scale": "standard"}
    assert expr.n_instances == 1639 + 849 + 1291

    horse = cat.get_spec("weizmann_horse_seg")  # alias
    assert horse.name == "weizmann_horse" and horse.loader == "segmentation"
    assert horse.fetcher == "seal.tasks.segmentation.data:fetch_converted"
    assert [(f.role, f.sha256, f.size, f.n_instances, f.url) for f in horse.files] == [
        ("train", "c25db2667b89b6a7ce4264de740556bffcfeb8c4d5127ac3bb417076c57df22b", 478829, 160, None),
        ("val", "243ff8661ce0e63c38487c49f9b7dabc051c52bcb0e8d52b23e7195db8cb7831", 120147, 40, None),
        ("test", "4ad03885483020acfae9c709123bcfc0f11956c1bbeaffd49b6620dd7f5977c0", 380075, 128, None),
    ]
    eurlex = cat.get_spec("eurlex_ev")
    assert [f.path for f in eurlex.fold_files()] == [f"eurlex_ev/Eurlex-ev-fold{k}-normalised.arff" for k in range(1, 11)]
    assert all(f.sha256 is None and f.url is None for f in eurlex.files)
    assert eurlex.n_instances is None and eurlex.reader == ReaderOptions(label_count=-3993)


def test_catalogue_is_read_once():
    assert cat.default_catalogue() is cat.default_catalogue()


# ------------------------------------------------------------------------------ malformed catalogues

SHA = "ab" * 32
GOOD = f'''
[vars]
root = "https://example.org/pinned"
url = "${{root}}/toy"

[aliases]
toy_alias = "toy"

[[dataset]]
name = "toy"
task = "mlc"
title = "Toy"
n_labels = 3
protocols = ["official", "paper"]
notes = "see ${{url}}"
[dataset.reader]
xml = true
[dataset.preprocess]
scale = "standard"
[[dataset.files]]
path = "toy/train.arff"
role = "train"
sha256 = "{SHA}"
size = 10
url = "${{url}}/train.arff"
[[dataset.files]]
path = "toy/test.arff"
role = "test"
[[dataset.files]]
path = "toy/toy.xml"
role = "xml"
'''


def test_a_minimal_catalogue_parses_to_the_expected_spec():
    c = parse_catalogue(GOOD, "toy.toml")
    assert c.path == "toy.toml" and dict(c.aliases) == {"toy_alias": "toy"}
    assert c.specs == (
        DatasetSpec(
            name="toy",
            task="mlc",
            title="Toy",
            files=(
                DataFile("toy/train.arff", "train", SHA, 10, "https://example.org/pinned/toy/train.arff"),
                DataFile("toy/test.arff", "test"),
                DataFile("toy/toy.xml", "xml"),
            ),
            n_instances=None,
            n_features=None,
            n_labels=3,
            protocols=("official", "paper"),
            reader=ReaderOptions(xml=True),
            preprocess={"scale": "standard"},
            notes="see https://example.org/pinned/toy",
        ),
    )


def _broken(old: str, new: str) -> str:
    assert GOOD.count(old) == 1, old
    return GOOD.replace(old, new)


@pytest.mark.parametrize(
    "old, new, message",
    [
        (f'sha256 = "{SHA}"', 'sha256 = "ABC"',
         "dataset 'toy', field 'files[0].sha256': 'ABC' does not match '[0-9a-f]{64}'"),
        ('size = 10', 'size = "10"', "dataset 'toy', field 'files[0].size': expected an integer, got string '10'"),
        ('size = 10', 'size = -1', "dataset 'toy', field 'files[0].size': expected an integer >= 0, got -1"),
        ('role = "test"', 'role = "tset"', "dataset 'toy', field 'files[1].role': 'tset' does not match "
         "'all|train|val|test|xml|other|fold[1-9][0-9]*'"),
        ('role = "test"', 'role = "train"', "dataset 'toy', field 'files[1].role': role 'train' is taken by files[0]"),
        ('path = "toy/test.arff"', 'path = "../test.arff"', "dataset 'toy', field 'files[1].path': expected a "
         "relative POSIX path without '.', '..' or empty parts, got '../test.arff'"),
        ('path = "toy/test.arff"', 'path = "toy/test.arff"\nsha = 1', "dataset 'toy', field 'files[1].sha': unknown "
         "field (allowed: member_sha256, n_instances, path, role, sha256, size, url)"),
        ('task = "mlc"', 'task = "mcl"', "dataset 'toy', field 'task': expected one of 'mlc', 'hmlc', "
         "'segmentation', 'text-mlc', 'srl', got 'mcl'"),
        ('title = "Toy"\n', '', "dataset 'toy', field 'title': required field is missing"),
        ('task = "mlc"', 'task = "mlc"\nloader = "csv"', "dataset 'toy', field 'loader': expected one of 'arff', "
         "'segmentation', 'text', 'srl', got 'csv'"),
        ('n_labels = 3', 'n_labels = true', "dataset 'toy', field 'n_labels': expected an integer, got boolean True"),
        ('protocols = ["official", "paper"]', 'protocols = ["official", "random"]',
         "dataset 'toy', field 'protocols[1]': expected one of 'paper', 'official', got 'random'"),
        ('protocols = ["official", "paper"]', 'protocols = []',
         "dataset 'toy', field 'protocols': expected a non-empty list of 'paper', 'official'"),
        ('role = "xml"', 'role = "other"',
         "dataset 'toy', field 'reader.xml': xml = true but the dataset has no file with role 'xml'"),
        ('role = "test"', 'role = "val"',
         "dataset 'toy', field 'protocols': 'official' needs files with roles 'train' and 'test'"),
        ('scale = "standard"', 'scale = "zscore"', "dataset 'toy', field 'preprocess': not valid "
         "FeaturePreprocessor parameters: scale must be one of (None, 'standard', 'minmax'), got 'zscore'"),
        ('scale = "standard"', 'scael = "standard"', "dataset 'toy', field 'preprocess': not valid "
         "FeaturePreprocessor parameters: FeaturePreprocessor.__init__() got an unexpected keyword argument 'scael'"),
        ('notes = "see ${url}"', 'notes = "see ${uri}"',
         "dataset 'toy', field 'notes': unknown variable ${uri} (defined in [vars]: root, url)"),
        ('name = "toy"', 'name = "Toy"', "dataset '#1', field 'name': 'Toy' does not match '[a-z][a-z0-9_]*'"),
        ('toy_alias = "toy"', 'toy_alias = "tyo"', "field 'aliases.toy_alias': alias of an unknown dataset 'tyo'"),
    ],
)
def test_malformed_entry_names_file_dataset_and_field(tmp_path, old, new, message):
    path = tmp_path / "catalogue.toml"
    path.write_text(_broken(old, new), encoding="utf-8")
    with pytest.raises(CatalogueError) as info:
        read_catalogue(path)
    text = str(info.value)
    assert text == f"{path}: {message}"
    assert info.value.dataset == (message.split("'")[1] if message.startswith("dataset ") else None)
    assert info.value.field == re.search(r"field '([^']+)'", message).group(1)
    assert info.value.path == str(path)


def test_duplicate_name_and_toml_syntax_error(tmp_path):
    twice = GOOD + GOOD[GOOD.index("[[dataset]]") :]
    with pytest.raises(CatalogueError) as info:
        parse_catalogue(twice, "cat.toml")
    assert str(info.value) == "cat.toml: dataset 'toy', field 'name': the name is used by entry #1 too"
    assert (info.value.dataset, info.value.field) == ("toy", "name")

    lines = GOOD.splitlines()
    bad_line = lines.index('title = "Toy"') + 1
    with pytest.raises(CatalogueError, match=rf"^cat\.toml: not valid TOML: .*\(at line {bad_line}, column \d+\)"):
        parse_catalogue(GOOD.replace('title = "Toy"', 'title = "Toy'), "cat.toml")

    missing = tmp_path / "nope.toml"
    with pytest.raises(CatalogueError, match=rf"^{missing}: cannot read the catalogue"):
        read_catalogue(missing)


# ------------------------------------------------------------------------------------------ layout


def test_registry_module_reexports_the_same_objects():
    from seal.data import catalogue, download, errors, load, locate, registry
    from seal.tasks.segmentation import data as segmentation_data

    homes = {
        catalogue: ["DataFile", "DatasetSpec", "ReaderOptions", "PROTOCOLS", "SPLIT_NAMES", "dataset_names",
                    "get_spec", "register_dataset", "unregister_dataset"],
        errors: ["DatasetError", "DatasetNotFoundError", "UnknownDatasetError"],
        download: ["ChecksumMismatchError", "DownloadError"],
        load: ["MultiLabelDataset", "clear_cache", "load_dataset"],
        locate: ["FileStatus", "fetch_dataset", "is_available", "locate_files", "verify_dataset"],
        segmentation_data: ["load_segmentation_dataset"],
    }  # fmt: skip
    exported = sorted(n for names in homes.values() for n in names)
    assert sorted(registry.__all__) == exported
    for module, names in homes.items():
        for name in names:
            assert getattr(registry, name) is getattr(module, name), name


def _imports_of(path: Path, package: str, modules: set[str]) -> set[str]:
    """Modules of ``modules`` that ``path`` (a module of ``package``) imports anywhere in its body."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against the package
                parts = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(parts + ([base] if base else []))
            targets = [base] + [f"{base}.{a.name}" for a in node.names]
        else:
            continue
        for t in targets:
            while t and t not in modules:  # `import seal.data.load.x` -> seal.data.load
                t = t.rpartition(".")[0]
            if t:
                found.add(t)
    found.discard(f"{package}.{path.stem}")
    return found


def import_graph(directory: Path, package: str) -> dict[str, set[str]]:
    modules = {f"{package}.{p.stem}" for p in directory.glob("*.py") if p.stem != "__init__"}
    return {f"{package}.{p.stem}": _imports_of(p, package, modules) - {package} for p in directory.glob("*.py")
            if p.stem != "__init__"}  # fmt: skip


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as ``[a, b, ..., a]``, or ``None``."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_cycle_finder_sees_function_level_and_relative_imports(tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "a.py").write_text("from pkg.b import x\n")
    (pkg / "b.py").write_text("def f():\n    from . import c\n")
    (pkg / "c.py").write_text("import os\n\ndef g():\n    import pkg.a\n")
    graph = import_graph(pkg, "pkg")
    assert graph == {"pkg.a": {"pkg.b"}, "pkg.b": {"pkg.c"}, "pkg.c": {"pkg.a"}}
    assert find_cycle(graph) == ["pkg.a", "pkg.b", "pkg.c", "pkg.a"]
    (pkg / "c.py").write_text("import os\n")
    assert find_cycle(import_graph(pkg, "pkg")) is None


def test_seal_data_modules_import_each_other_without_a_cycle():
    graph = import_graph(Path(seal.data.__file__).parent, "seal.data")
    assert find_cycle(graph) is None, graph
    # the one-way flow: catalogue -> locate -> load; registry, datamodule and weizmann only re-export
    assert graph["seal.data.catalogue"] == {"seal.data.errors", "seal.data.preprocess"}
    assert graph["seal.data.locate"] == {"seal.data.catalogue", "seal.data.download", "seal.data.errors"}
    assert graph["seal.data.batches"] == set()
    aliases = ("seal.data.registry", "seal.data.datamodule", "seal.data.weizmann")
    assert not any(alias in deps for deps in graph.values() for alias in aliases)


def test_data_and_task_folder_modules_import_each_other_without_a_cycle():
    import seal.tasks.mlc_features
    import seal.tasks.segmentation

    graph: dict[str, set[str]] = {}
    folders = [(Path(m.__file__).parent, m.__name__) for m in (seal.data, seal.tasks.mlc_features, seal.tasks.segmentation)]
    modules = {f"{pkg}.{p.stem}" for d, pkg in folders for p in d.glob("*.py") if p.stem != "__init__"}
    for d, pkg in folders:
        for p in d.glob("*.py"):
            if p.stem != "__init__":
                graph[f"{pkg}.{p.stem}"] = _imports_of(p, pkg, modules) - {pkg}
    assert find_cycle(graph) is None, graph
    # the task folders build on seal.data; seal.data reaches them only through its re-exporting aliases
    assert {"seal.data.load", "seal.data.batches"} <= graph["seal.tasks.mlc_features.datamodule"]
    assert {"seal.tasks.segmentation.data", "seal.data.batches"} <= graph["seal.tasks.segmentation.datamodule"]
    into_tasks = {m for m, deps in graph.items() if m.startswith("seal.data.") and any(d.startswith("seal.tasks.") for d in deps)}
    assert into_tasks == {"seal.data.registry", "seal.data.datamodule", "seal.data.weizmann"}
