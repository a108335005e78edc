"""The dataset catalogue: what every dataset is (files, checksums, counts, split protocols, reader options,
provenance), read from the package data file ``seal/data/catalogue.toml``.

The catalogue file is read once per process (:func:`default_catalogue`, cached), validated as a whole and
turned into the typed records the rest of :mod:`seal.data` uses: :class:`DatasetSpec` (one per dataset),
:class:`DataFile` (one per file) and :class:`ReaderOptions`. A malformed file raises one
:class:`CatalogueError` naming the file, the dataset and the field (a TOML syntax error names the line).

On top of the catalogue sits the process-wide registry: :func:`get_spec` (name lookup, case-insensitive,
``-`` == ``_``, aliases, "did you mean" hints), :func:`dataset_names`, and :func:`register_dataset` /
:func:`unregister_dataset` for local datasets and tests. Each change bumps :func:`spec_version` of that
name, which keys the parsed-dataset cache of :mod:`seal.data.load`.

Every dataset of the SEAL paper's feature-based multi-label experiments (Lee et al., NeurIPS 2022,
Table 1 / Appendix; see ``docs/seal-method.md`` section D) has an entry, plus four standard extra MULAN
sets and the Weizmann-horse segmentation files:

============== ====== ======== ======== ========= ============ =========================================
name           task   features labels   instances protocol     source (public repository @ commit)
============== ====== ======== ======== ========= ============ =========================================
bibtex         mlc    1836     159      7395      paper        tsoumakas/mulan@43f6389 (MULAN)
delicious      mlc    500      983      16105     paper        tsoumakas/mulan@43f6389
genbase        mlc    1185     27       662       paper        tsoumakas/mulan@43f6389 (``protein`` id dropped)
cal500         mlc    68       174      502       paper        tsoumakas/mulan@43f6389 (standardised)
expr_fun       hmlc   561      500      3779      official     tondach01/hiclass@b4d65a1 (Clus HMC FunCat)
spo_fun        hmlc   86       500      3703      official     tondach01/hiclass@b4d65a1
eurlex_ev      mlc    5000     3993     19350     paper        not public (SEAL authors' MEKA folds)
yeast, scene, emotions, enron: extra MULAN sets, ``official`` protocol
weizmann_horse segmentation, 160 / 40 / 128 images (:func:`seal.tasks.segmentation.data.load_segmentation_dataset`)
============== ====== ======== ======== ========= ============ =========================================

Split protocols (see :mod:`seal.data.splits`): ``paper`` pools all instances and makes 10 folds by
iterative stratification (folds 1-6 train / 7-8 val / 9-10 test); ``official`` uses the distribution's
own train/(valid)/test split and carves 1/4 of train as validation when there is none.
"""

from __future__ import annotations

import difflib
import re
import string
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from seal.data.errors import DatasetError, UnknownDatasetError
from seal.data.preprocess import FeaturePreprocessor

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10 (dependency ``tomli; python_version<'3.11'``)
    import tomli as tomllib

__all__ = [
    "Catalogue",
    "CatalogueError",
    "DataFile",
    "DatasetSpec",
    "PROTOCOLS",
    "ReaderOptions",
    "SPLIT_NAMES",
    "dataset_names",
    "default_catalogue",
    "get_spec",
    "known_dataset_kinds",
    "known_loaders",
    "read_catalogue",
    "register_dataset",
    "spec_version",
    "unregister_dataset",
]

PROTOCOLS = ("paper", "official")
SPLIT_NAMES = ("train", "val", "test")
#: the dataset kinds (the catalogue's ``task`` field) and the loader that :mod:`seal.data` itself reads: feature-based
#: multi-label ARFF (:func:`seal.data.load.load_dataset`); registered tasks add theirs (:func:`known_dataset_kinds`)
MLC_KINDS = ("mlc", "hmlc")
ARFF_LOADER = "arff"
#: the packaged catalogue (``[tool.setuptools.package-data]`` ships it)
CATALOGUE_RESOURCE = ("seal.data", "catalogue.toml")


def known_dataset_kinds() -> tuple[str, ...]:
    """The dataset kinds a catalogue entry's ``task`` may name: :data:`MLC_KINDS` plus the kinds registered tasks
    train on (:attr:`seal.tasks.Task.dataset_tasks`), in registration order."""
    from seal.tasks import TASKS  # imported on use: seal.tasks reads the catalogue

    kinds = list(MLC_KINDS)
    for task in TASKS.values():
        kinds += [k for k in task.dataset_tasks if k not in kinds]
    return tuple(kinds)


def known_loaders() -> tuple[str, ...]:
    """The loaders a catalogue entry's ``loader`` may name: ``"arff"`` plus those registered tasks declare
    (:attr:`seal.tasks.Task.loaders`), in registration order."""
    from seal.tasks import TASKS  # imported on use: seal.tasks reads the catalogue

    loaders = [ARFF_LOADER]
    for task in TASKS.values():
        loaders += [name for name in task.loaders if name not in loaders]
    return tuple(loaders)


# -------------------------------------------------------------------------------------------- records


@dataclass(frozen=True)
class DataFile:
    """One file of a dataset.

    Attributes:
        path: POSIX path relative to a data root, e.g. ``"bibtex/mulan/bibtex.arff"``.
        role: ``"all"`` (every instance), ``"train"``, ``"val"``, ``"test"``, ``"foldK"`` (K = 1..10, a
            given fold), ``"xml"`` (MULAN label header) or ``"other"``.
        sha256: expected hex digest, ``None`` when unknown.
        size: expected byte count, ``None`` when unknown.
        url: public download URL pinned to a commit, ``None`` when there is none.
        n_instances: rows in the file (ARFF) or images (npz), from PROVENANCE.md.
        member_sha256: for a ``.zip``, the digest of the single member it holds (informational).
    """

    path: str
    role: str
    sha256: str | None = None
    size: int | None = None
    url: str | None = None
    n_instances: int | None = None
    member_sha256: str | None = None

    @property
    def filename(self) -> str:
        return self.path.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class ReaderOptions:
    """Keyword options for :func:`seal.data.arff.read_arff` (the xml path is filled in at load time)."""

    xml: bool = False
    label_count: int | None = None
    drop_attributes: tuple[str, ...] = ()
    hierarchy_root: bool = False
    missing: str = "error"

    def kwargs(self, xml_path: Path | None) -> dict[str, Any]:
        kw: dict[str, Any] = {"missing": self.missing}
        if self.xml:
            kw["xml"] = str(xml_path)
        if self.label_count is not None:
            kw["label_count"] = self.label_count
        if self.drop_attributes:
            kw["drop_attributes"] = tuple(self.drop_attributes)
        if self.hierarchy_root:
            kw["hierarchy_root"] = True
        return kw


@dataclass(frozen=True)
class DatasetSpec:
    """A catalogue entry.

    Attributes:
        name: registry key.
        task: the dataset kind: ``"mlc"`` (feature-based multi-label), ``"hmlc"`` (hierarchical multi-label, the
            label vector includes every ancestor and the root) or a kind a registered task trains on
            (:func:`known_dataset_kinds`: ``"segmentation"``, ``"text-mlc"``, ``"srl"``); the task that trains on
            it is :func:`seal.tasks.task_for_dataset`.
        title: one-line description.
        files: the dataset's files (all protocols).
        n_instances, n_features, n_labels: expected counts after reading (pooled instances, feature
            columns after one-hot/drops, label columns); ``None`` when unknown.
        protocols: supported split protocols; ``default_protocol`` is the first.
        reader: ARFF reader options.
        preprocess: :class:`~seal.data.preprocess.FeaturePreprocessor` parameters, fitted on train.
        loader: ``"arff"``, or a loader a registered task declares (:func:`known_loaders`), which
            :func:`seal.data.load.load_dataset` does not load (the task's DataModule does).
        used_in_paper: whether SEAL reports results on it.
        paper_split_sizes: train/val/test sizes reported for the paper (secondary source), if any.
        source, citation, license, notes: provenance text shown by ``seal data info``.
        obtain: how to get files that cannot be downloaded (shown in "not found" errors).
        fetcher: ``"module:function"`` that produces a missing file that has no direct URL (e.g. by
            downloading and converting an upstream format); called as ``fn(file, dest, progress)`` and
            must return the written path; the result is verified against ``file.sha256``.
    """

    name: str
    task: str
    title: str
    files: tuple[DataFile, ...]
    n_instances: int | None
    n_features: int | None
    n_labels: int | None
    protocols: tuple[str, ...]
    reader: ReaderOptions = field(default_factory=ReaderOptions)
    preprocess: Mapping[str, Any] = field(default_factory=dict)
    loader: str = "arff"
    used_in_paper: bool = False
    paper_split_sizes: tuple[int, int, int] | None = None
    source: str = ""
    citation: str = ""
    license: str = ""
    notes: str = ""
    obtain: str = ""
    fetcher: str = ""

    @property
    def default_protocol(self) -> str | None:
        return self.protocols[0] if self.protocols else None

    def file(self, role: str) -> DataFile | None:
        for f in self.files:
            if f.role == role:
                return f
        return None

    def fold_files(self) -> list[DataFile]:
        folds = [f for f in self.files if f.role.startswith("fold")]
        return sorted(folds, key=lambda f: int(f.role[4:]))

    def parts(self, protocol: str) -> list[DataFile]:
        """Data files read for ``protocol``, in pooling order (no xml)."""
        self.check_protocol(protocol)
        if protocol == "paper":
            folds = self.fold_files()
            if folds:
                return folds
            union = self.file("all")
            if union is not None:
                return [union]
        parts = [self.file(r) for r in SPLIT_NAMES]
        return [p for p in parts if p is not None]

    def files_for(self, protocol: str) -> list[DataFile]:
        """Every file needed to load under ``protocol`` (data parts plus the xml label header)."""
        files = list(self.parts(protocol))
        xml = self.file("xml")
        if self.reader.xml and xml is not None:
            files.append(xml)
        return files

    def check_protocol(self, protocol: str) -> None:
        """Raises :class:`~seal.data.errors.DatasetError` when ``protocol`` is not supported."""
        if protocol not in self.protocols:
            supported = ", ".join(self.protocols) or "none"
            why = ""
            if protocol == "official" and self.file("train") is None:
                why = " (the distribution has no train/test split)"
            raise DatasetError(
                f"dataset {self.name!r} does not support protocol {protocol!r}{why}; supported: {supported}"
            )


@dataclass(frozen=True)
class Catalogue:
    """A parsed catalogue file: the datasets in file order, the name aliases, and where it was read from."""

    specs: tuple[DatasetSpec, ...]
    aliases: Mapping[str, str]
    path: str


# -------------------------------------------------------------------------------------------- reading


class CatalogueError(ValueError):
    """A malformed catalogue file.

    The message reads ``<file>: dataset '<name>', field '<field>': <what is wrong>`` (dataset and field
    when known; a TOML syntax error names line and column instead).

    Attributes:
        path: the catalogue file.
        dataset: the entry's name (or ``"#<index>"`` when it has no usable name), ``None`` outside entries.
        field: dotted field path inside the entry (``"files[2].sha256"``), ``None`` when not one field.
    """

    def __init__(self, path: str, message: str, *, dataset: str | None = None, field: str | None = None) -> None:
        where = str(path)
        if dataset is not None:
            where += f": dataset {dataset!r}"
        if field is not None:
            where += f"{',' if dataset is not None else ':'} field {field!r}"
        super().__init__(f"{where}: {message}")
        self.path = str(path)
        self.dataset = dataset
        self.field = field


_NAME_RE = re.compile(r"[a-z][a-z0-9_]*")
_ROLE_RE = re.compile(r"all|train|val|test|xml|other|fold[1-9][0-9]*")
_SHA256_RE = re.compile(r"[0-9a-f]{64}")
_FETCHER_RE = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_]\w*")
_MISSING = object()

_TOP_KEYS = {"vars", "aliases", "dataset"}
_DATASET_KEYS = {
    "name", "task", "title", "files", "protocols", "n_instances", "n_features", "n_labels", "loader",
    "used_in_paper", "paper_split_sizes", "fetcher", "source", "citation", "license", "notes", "obtain",
    "reader", "preprocess",
}  # fmt: skip
_FILE_KEYS = {"path", "role", "sha256", "size", "n_instances", "url", "member_sha256"}
_READER_KEYS = {"xml", "label_count", "drop_attributes", "hierarchy_root", "missing"}


class _Entry:
    """Typed access to one table of the catalogue, raising :class:`CatalogueError` with file/dataset/field."""

    def __init__(self, path: str, table: Any, variables: Mapping[str, str], dataset: str | None, prefix: str = ""):
        self.path, self.table, self.vars, self.dataset, self.prefix = path, table, variables, dataset, prefix

    def error(self, key: str | None, message: str) -> CatalogueError:
        fld = None if key is None else f"{self.prefix}{key}"
        return CatalogueError(self.path, message, dataset=self.dataset, field=fld)

    def check_keys(self, allowed: set[str]) -> None:
        unknown = sorted(set(self.table) - allowed)
        if unknown:
            raise self.error(unknown[0], f"unknown field (allowed: {', '.join(sorted(allowed))})")

    def _raw(self, key: str, default: Any) -> Any:
        if key in self.table:
            return self.table[key]
        if default is _MISSING:
            raise self.error(key, "required field is missing")
        return default

    def get_str(self, key: str, default: Any = _MISSING, *, choices: tuple[str, ...] | None = None,
            pattern: re.Pattern | None = None) -> Any:  # fmt: skip
        value = self._raw(key, default)
        if value is default and key not in self.table:
            return value
        if not isinstance(value, str):
            raise self.error(key, f"expected a string, got {_show(value)}")
        value = self.expand(key, value)
        if choices is not None and value not in choices:
            raise self.error(key, f"expected one of {', '.join(map(repr, choices))}, got {value!r}")
        if pattern is not None and not pattern.fullmatch(value):
            raise self.error(key, f"{value!r} does not match {pattern.pattern!r}")
        return value

    def expand(self, key: str, value: str) -> str:
        try:
            return string.Template(value).substitute(self.vars)
        except KeyError as e:
            raise self.error(key, f"unknown variable ${{{e.args[0]}}} (defined in [vars]: {', '.join(self.vars) or 'none'})") from None
        except ValueError as e:
            raise self.error(key, f"bad ${{...}} placeholder ({e}); write $$ for a literal $") from None

    def get_int(self, key: str, default: Any = _MISSING, *, minimum: int | None = 0) -> Any:
        value = self._raw(key, default)
        if value is default and key not in self.table:
            return value
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(key, f"expected an integer, got {_show(value)}")
        if minimum is not None and value < minimum:
            raise self.error(key, f"expected an integer >= {minimum}, got {value}")
        return value

    def get_bool(self, key: str, default: Any = _MISSING) -> Any:
        value = self._raw(key, default)
        if not isinstance(value, bool):
            raise self.error(key, f"expected true or false, got {_show(value)}")
        return value

    def get_list(self, key: str, kind: type, default: Any = _MISSING) -> Any:
        value = self._raw(key, default)
        if value is default and key not in self.table:
            return value
        if not isinstance(value, list):
            raise self.error(key, f"expected a list, got {_show(value)}")
        for i, v in enumerate(value):
            if isinstance(v, bool) or not isinstance(v, kind):
                raise self.error(f"{key}[{i}]", f"expected {'a string' if kind is str else 'an integer'}, got {_show(v)}")
        return [self.expand(f"{key}[{i}]", v) for i, v in enumerate(value)] if kind is str else list(value)

    def table_of(self, key: str) -> dict:
        value = self._raw(key, {})
        if not isinstance(value, dict):
            raise self.error(key, f"expected a table, got {_show(value)}")
        return value


def _show(value: Any) -> str:
    kind = {bool: "boolean", int: "integer", float: "float", str: "string", list: "list", dict: "table"}
    return f"{kind.get(type(value), type(value).__name__)} {value!r}" if not isinstance(value, (list, dict)) else kind[type(value)]


def _expand_vars(path: str, raw: Any) -> dict[str, str]:
    if not isinstance(raw, dict):
        raise CatalogueError(path, "[vars] must be a table of strings", field="vars")
    done: dict[str, str] = {}
    for key, value in raw.items():
        entry = _Entry(path, raw, done, None, "vars.")
        done[key] = entry.get_str(key)
    return done


def _read_file(path: str, e: _Entry, index: int) -> DataFile:
    e.check_keys(_FILE_KEYS)
    rel = e.get_str("path")
    if not rel or rel.startswith("/") or "\\" in rel or any(p in ("", ".", "..") for p in rel.split("/")):
        raise e.error("path", f"expected a relative POSIX path without '.', '..' or empty parts, got {rel!r}")
    return DataFile(
        path=rel,
        role=e.get_str("role", pattern=_ROLE_RE),
        sha256=e.get_str("sha256", None, pattern=_SHA256_RE),
        size=e.get_int("size", None),
        url=e.get_str("url", None, pattern=re.compile(r"https://\S+")),
        n_instances=e.get_int("n_instances", None),
        member_sha256=e.get_str("member_sha256", None, pattern=_SHA256_RE),
    )


def _read_spec(path: str, table: Any, variables: Mapping[str, str], index: int) -> DatasetSpec:
    label = f"#{index + 1}"
    if isinstance(table, dict) and isinstance(table.get("name"), str) and _NAME_RE.fullmatch(table["name"]):
        label = table["name"]
    e = _Entry(path, table, variables, label)
    if not isinstance(table, dict):
        raise e.error(None, "each [[dataset]] must be a table")
    e.check_keys(_DATASET_KEYS)
    name = e.get_str("name", pattern=_NAME_RE)

    raw_files = e._raw("files", _MISSING)
    if not isinstance(raw_files, list) or not raw_files:
        raise e.error("files", "expected a non-empty list of [[dataset.files]] tables")
    files = []
    for i, ft in enumerate(raw_files):
        fe = _Entry(path, ft, variables, name, f"files[{i}].")
        if not isinstance(ft, dict):
            raise e.error(f"files[{i}]", "expected a table")
        files.append(_read_file(path, fe, i))
    seen_paths: dict[str, int] = {}
    seen_roles: dict[str, int] = {}
    for i, f in enumerate(files):
        if f.path in seen_paths:
            raise e.error(f"files[{i}].path", f"{f.path!r} is listed twice (also files[{seen_paths[f.path]}])")
        seen_paths[f.path] = i
        if f.role != "other" and f.role in seen_roles:
            raise e.error(f"files[{i}].role", f"role {f.role!r} is taken by files[{seen_roles[f.role]}]")
        seen_roles[f.role] = i
    roles = set(seen_roles)

    protocols = e.get_list("protocols", str)
    if not protocols:
        raise e.error("protocols", f"expected a non-empty list of {', '.join(map(repr, PROTOCOLS))}")
    for i, p in enumerate(protocols):
        if p not in PROTOCOLS:
            raise e.error(f"protocols[{i}]", f"expected one of {', '.join(map(repr, PROTOCOLS))}, got {p!r}")
    if len(set(protocols)) != len(protocols):
        raise e.error("protocols", f"a protocol is listed twice: {protocols}")
    loader = e.get_str("loader", ARFF_LOADER, choices=known_loaders())
    if loader == ARFF_LOADER:
        if "official" in protocols and not {"train", "test"} <= roles:
            raise e.error("protocols", "'official' needs files with roles 'train' and 'test'")
        if "paper" in protocols and not (roles & {"all", "train"} or any(r.startswith("fold") for r in roles)):
            raise e.error("protocols", "'paper' needs an 'all' file, fold files or train/test files")

    re_ = _Entry(path, e.table_of("reader"), variables, name, "reader.")
    re_.check_keys(_READER_KEYS)
    reader = ReaderOptions(
        xml=re_.get_bool("xml", False),
        label_count=re_.get_int("label_count", None, minimum=None),
        drop_attributes=tuple(re_.get_list("drop_attributes", str, [])),
        hierarchy_root=re_.get_bool("hierarchy_root", False),
        missing=re_.get_str("missing", "error", choices=("error", "nan")),
    )
    if reader.xml and "xml" not in roles:
        raise re_.error("xml", "xml = true but the dataset has no file with role 'xml'")

    pe = _Entry(path, e.table_of("preprocess"), variables, name, "preprocess.")
    preprocess = {k: pe.get_str(k) for k in pe.table}
    try:
        FeaturePreprocessor(**preprocess)._check_params()
    except (TypeError, ValueError) as exc:
        raise e.error("preprocess", f"not valid FeaturePreprocessor parameters: {exc}") from None

    sizes = e.get_list("paper_split_sizes", int, None)
    if sizes is not None and (len(sizes) != 3 or min(sizes) < 0):
        raise e.error("paper_split_sizes", f"expected three counts [train, val, test] >= 0, got {sizes}")
    fetcher = e.get_str("fetcher", "", pattern=None)
    if fetcher and not _FETCHER_RE.fullmatch(fetcher):
        raise e.error("fetcher", f"expected 'package.module:function', got {fetcher!r}")
    return DatasetSpec(
        name=name,
        task=e.get_str("task", choices=known_dataset_kinds()),
        title=e.get_str("title"),
        files=tuple(files),
        n_instances=e.get_int("n_instances", None),
        n_features=e.get_int("n_features", None),
        n_labels=e.get_int("n_labels", None),
        protocols=tuple(protocols),
        reader=reader,
        preprocess=preprocess,
        loader=loader,
        used_in_paper=e.get_bool("used_in_paper", False),
        paper_split_sizes=tuple(sizes) if sizes is not None else None,
        source=e.get_str("source", ""),
        citation=e.get_str("citation", ""),
        license=e.get_str("license", ""),
        notes=e.get_str("notes", ""),
        obtain=e.get_str("obtain", ""),
        fetcher=fetcher,
    )


def parse_catalogue(text: str, path: str = "<catalogue>") -> Catalogue:
    """Parse and validate catalogue ``text`` (TOML; schema in the header of ``catalogue.toml``).

    Args:
        text: the file's content.
        path: shown in error messages.

    Raises:
        CatalogueError: a TOML syntax error (names line and column), an unknown or missing field, a value of
            the wrong type or form (names the dataset and the field), a duplicate dataset name, or an alias
            to an unknown dataset.
    """
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogueError(path, f"not valid TOML: {exc}") from None
    unknown = sorted(set(raw) - _TOP_KEYS)
    if unknown:
        raise CatalogueError(path, f"unknown top-level key (allowed: {', '.join(sorted(_TOP_KEYS))})", field=unknown[0])
    variables = _expand_vars(path, raw.get("vars", {}))
    entries = raw.get("dataset")
    if not isinstance(entries, list) or not entries:
        raise CatalogueError(path, "no [[dataset]] entries", field="dataset")
    specs: list[DatasetSpec] = []
    index: dict[str, int] = {}
    for i, table in enumerate(entries):
        spec = _read_spec(path, table, variables, i)
        if spec.name in index:
            raise CatalogueError(path, f"the name is used by entry #{index[spec.name] + 1} too", dataset=spec.name, field="name")
        index[spec.name] = i
        specs.append(spec)
    aliases = raw.get("aliases", {})
    if not isinstance(aliases, dict):
        raise CatalogueError(path, "expected a table of name = \"dataset\"", field="aliases")
    for alias, target in aliases.items():
        if not isinstance(target, str) or target not in index:
            raise CatalogueError(path, f"alias of an unknown dataset {target!r}", field=f"aliases.{alias}")
        if alias in index:
            raise CatalogueError(path, "an alias may not shadow a dataset name", field=f"aliases.{alias}")
    return Catalogue(tuple(specs), dict(aliases), path)


def read_catalogue(path: str | Path) -> Catalogue:
    """Read and validate the catalogue file at ``path`` (uncached; see :func:`parse_catalogue`).

    Raises:
        CatalogueError: unreadable or malformed file (names the file, and the dataset and field).
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogueError(str(path), f"cannot read the catalogue: {exc}") from None
    return parse_catalogue(text, str(path))


@lru_cache(maxsize=1)
def default_catalogue() -> Catalogue:
    """The packaged catalogue (``seal/data/catalogue.toml``), read and validated once per process."""
    res = resources.files(CATALOGUE_RESOURCE[0]).joinpath(CATALOGUE_RESOURCE[1])
    try:
        text = res.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:  # pragma: no cover - a broken installation
        raise CatalogueError(str(res), f"cannot read the catalogue: {exc}") from None
    return parse_catalogue(text, str(res))


# ------------------------------------------------------------------------------------------- registry

_LOCK = threading.RLock()
_REGISTRY: dict[str, DatasetSpec] | None = None
_ALIASES: dict[str, str] = {}
_VERSIONS: dict[str, int] = {}


def _registry() -> dict[str, DatasetSpec]:
    global _REGISTRY, _ALIASES
    with _LOCK:
        if _REGISTRY is None:
            cat = default_catalogue()
            _ALIASES = dict(cat.aliases)
            _REGISTRY = {s.name: s for s in cat.specs}
        return _REGISTRY


def register_dataset(spec: DatasetSpec, *, overwrite: bool = False) -> None:
    """Add ``spec`` to the registry (for local datasets and tests).

    Raises:
        ValueError: the name exists and ``overwrite`` is false.
    """
    with _LOCK:
        reg = _registry()
        if spec.name in reg and not overwrite:
            raise ValueError(f"dataset {spec.name!r} is already registered")
        reg[spec.name] = spec
        _VERSIONS[spec.name] = _VERSIONS.get(spec.name, 0) + 1


def unregister_dataset(name: str) -> None:
    """Remove a dataset added with :func:`register_dataset` (no error if absent)."""
    with _LOCK:
        _registry().pop(name, None)
        _VERSIONS[name] = _VERSIONS.get(name, 0) + 1


def spec_version(name: str) -> int:
    """How many times ``name`` was (un)registered in this process: part of the parsed-dataset cache key."""
    return _VERSIONS.get(name, 0)


def dataset_names() -> list[str]:
    """Registered names, in catalogue order (then registration order)."""
    return list(_registry())


def get_spec(name: str) -> DatasetSpec:
    """The registry entry for ``name`` (case-insensitive; ``-`` and ``_`` are interchangeable).

    Raises:
        UnknownDatasetError: no such dataset (the message suggests close names).
    """
    reg = _registry()
    if not isinstance(name, str):
        raise UnknownDatasetError(f"dataset name must be a string, got {type(name).__name__}", name=str(name))
    if name in reg:
        return reg[name]
    key = name.strip().lower().replace("-", "_")
    key = _ALIASES.get(key, key)
    if key in reg:
        return reg[key]
    close = difflib.get_close_matches(key, list(reg), n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    raise UnknownDatasetError(f"unknown dataset {name!r}{hint} (known: {', '.join(reg)})", name=name)
