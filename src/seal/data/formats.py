"""Readers for the multi-label file formats users bring: ARFF, LibSVM / SVMlight, CSV / TSV.

:func:`read_file` reads one file into a :class:`LabelledData` (``X`` ``(n, d)`` CSR float32, ``Y`` ``(n, L)``
uint8, names); the format is given or told from the extension (:func:`detect_format`):

* ``arff`` (``.arff``, ``.zip``): MEKA and MULAN, dense and sparse, by :func:`seal.data.arff.read_arff`.
  The labels are chosen by ``label_count`` (n > 0: the first n attributes, n < 0: the last n), ``labels``
  (attribute names) or ``xml`` (a MULAN label file); these win over a MEKA ``-C n`` header.
* ``libsvm`` (``.svm``, ``.libsvm``, ``.svmlight``, ``.txt``): one instance per line,
  ``l1,l2,... f:v f:v ...`` (labels are 0-based integers, possibly none: the line then starts with a blank
  or with the first ``f:v``), ``# comment`` to the end of a line. An optional first line
  ``n_rows n_features n_labels`` (the Extreme Classification Repository's header) fixes the counts and
  makes feature indices 0-based; without it, ``zero_based="auto"`` takes feature indices as 1-based
  (LIBSVM's convention) unless a 0 appears in any of the files read together (scikit-learn's rule).
  Feature ``j`` is named ``str(j)`` (as written in the file), label ``k`` ``str(k)``.
* ``csv`` (``.csv``) / ``tsv`` (``.tsv``): a header row naming the columns, then one instance per row;
  the label columns are named by ``labels`` or counted by ``label_count`` (first / last n columns); every
  other column is a numeric feature (``drop_columns`` are skipped); label cells hold 0 or 1.
* ``jsonl`` (text multi-label: ``{"text": ..., "labels": [...]}``) belongs to the text task
  (``seal fit --task text-mlc --data.train FILE.jsonl``, :func:`seal.tasks.text_mlc.data.load_text_files`); read
  here as features it answers a :class:`FormatError` that says so.

Every problem is a :class:`FormatError` (a ``ValueError``) whose message names the file, the 1-based line
and the field: a non-numeric value, a feature index beyond the header's count, a label index out of range,
a duplicate index, a label cell that is not 0/1, a row with the wrong number of cells. Nothing is dropped
silently.
"""

from __future__ import annotations

import csv
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import scipy.sparse as sp

from seal.data.errors import located

__all__ = [
    "FORMATS",
    "FormatError",
    "LabelledData",
    "READERS",
    "detect_format",
    "name_list",
    "read_files",
    "read_libsvm",
    "read_csv",
]

#: extension -> format
EXTENSIONS = {
    ".arff": "arff",
    ".zip": "arff",
    ".svm": "libsvm",
    ".libsvm": "libsvm",
    ".svmlight": "libsvm",
    ".txt": "libsvm",
    ".csv": "csv",
    ".tsv": "tsv",
    ".jsonl": "jsonl",
}
FORMATS = ("arff", "libsvm", "csv", "tsv", "jsonl")
_F32_MAX = float(np.finfo(np.float32).max)


class FormatError(ValueError):
    """A malformed or unusable input file; ``str()`` reads ``"<path>, line <n>, <field>: <reason>"``."""

    def __init__(self, reason: str, *, path: str, line: int | None = None, field: str | None = None) -> None:
        self.reason, self.path, self.line, self.field = reason, str(path), line, field
        super().__init__(located(reason, self.path, line, field))

    def __reduce__(self):
        return (_rebuild, (self.reason, self.path, self.line, self.field))


def _rebuild(reason, path, line, field_):
    return FormatError(reason, path=path, line=line, field=field_)


@dataclass
class LabelledData:
    """One file read: ``X`` ``(n, d)`` CSR float32, ``Y`` ``(n, L)`` uint8 (``None`` when the file has no
    label columns and they were optional), names, the format and how the labels were found."""

    X: sp.csr_matrix
    Y: np.ndarray | None
    feature_names: list[str]
    label_names: list[str]
    format: str
    path: str
    label_source: str = ""
    notes: list[str] = field(default_factory=list)
    zero_based: bool | None = None  # LibSVM: how feature indices were read


def detect_format(path: str | os.PathLike, format: str | None = None) -> str:
    """The format of ``path``: ``format`` if given (checked), else from the extension.

    Raises:
        FormatError: an unknown format or extension; a folder (the message lists the files seal reads).
    """
    if format is not None:
        f = str(format).lower()
        if f not in FORMATS:
            raise FormatError(f"unknown format {format!r}; known: {', '.join(FORMATS)}", path=str(path))
        return f
    ext = Path(path).suffix.lower()
    if ext in EXTENSIONS:
        return EXTENSIONS[ext]
    if Path(path).is_dir():
        raise FormatError(f"is a folder, not a data file; give one file: {accepted_files()}", path=str(path))
    others = _task_files()
    raise FormatError(
        f"cannot tell the format from the extension {ext or '(none)'!r}; known extensions: "
        f"{', '.join(EXTENSIONS)}; or give the format (--data.format / --format {'|'.join(FORMATS[:-1])})"
        + (f"; other tasks' own files: {others}" if others else ""),
        path=str(path),
    )


def _task_files() -> str:
    """``".npz (segmentation); .jsonl, .jsonl.gz (text-mlc); ..."``: the registered tasks' own file endings."""
    from seal.tasks import TASKS  # imported on use: the task registry imports the task folders

    return "; ".join(f"{', '.join(t.file_suffixes)} ({t.name})" for t in TASKS.values() if t.file_suffixes)


def accepted_files() -> str:
    """The data files seal reads, for messages: the feature formats' extensions, then each task's own files
    (:attr:`seal.tasks.Task.file_suffixes`), e.g. ``".arff, .zip, ... (feature data); .npz (segmentation); ..."``."""
    from seal.tasks import TASKS

    claimed = {suffix for t in TASKS.values() for suffix in t.file_suffixes}
    features = ", ".join(e for e in EXTENSIONS if e not in claimed)
    others = _task_files()
    return f"{features} (feature data)" + (f"; {others}" if others else "")


def name_list(value: str | Sequence[str] | None, option: str) -> list[str] | None:
    """A list option given as a list or as one comma-separated string (``a,b,c`` or the YAML-like ``[a, b, c]``;
    ``--data.labels a,b,c`` arrives so): the names, blanks and quotes around each stripped; ``None`` stays ``None``.

    Raises:
        ValueError: an empty name or a name given twice (``option`` named).
    """
    if value is None:
        return None
    given = value
    if isinstance(value, str):
        body = value.strip()
        if body.startswith("[") and body.endswith("]"):
            body = body[1:-1]
        value = [n.strip().strip("'\"") for n in body.split(",")]
    names = [str(n).strip() for n in value]
    if any(not n for n in names):
        raise ValueError(f"{option}: an empty name in {given!r}")
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValueError(f"{option}: name(s) given twice: {', '.join(twice)}")
    return names


def looks_like_data_file(name: str) -> bool:
    """Whether ``name`` is an existing file with a data extension (so a dataset name can be a path)."""
    return Path(name).suffix.lower() in EXTENSIONS and Path(name).is_file()


# ------------------------------------------------------------------------------------------- LibSVM

_INT = re.compile(r"[0-9]+\Z")


@dataclass
class _RawLibsvm:
    path: str
    header: tuple[int, int, int] | None
    indptr: np.ndarray
    indices: np.ndarray  # feature indices as written
    values: np.ndarray
    lab_indptr: np.ndarray
    lab_indices: np.ndarray
    index_lines: np.ndarray  # line of each feature entry (for range errors after the offset is known)
    label_lines: np.ndarray
    has_labels: bool


def _number(tok: str, path: str, line: int, what: str) -> float:
    try:
        v = float(tok)
    except ValueError:
        raise FormatError(f"value {tok!r} is not a number", path=path, line=line, field=what) from None
    if not math.isfinite(v) or abs(v) > _F32_MAX:
        raise FormatError(f"value {tok!r} is not a finite float32 number", path=path, line=line, field=what)
    return v


def _scan_libsvm(path: str) -> _RawLibsvm:
    header = None
    indptr, indices, values, lines_of = [0], [], [], []
    lab_indptr, lab_indices, lab_lines = [0], [], []
    seen_first = False
    try:
        fh = open(path, encoding="utf-8-sig")
    except UnicodeDecodeError as e:  # pragma: no cover - raised on read
        raise FormatError(f"not valid UTF-8 ({e.reason})", path=path) from None
    with fh:
        try:
            for lineno, raw in enumerate(fh, start=1):
                s = raw.split("#", 1)[0].rstrip("\r\n")
                if not s.strip():
                    continue
                toks = s.split()
                if not seen_first:
                    seen_first = True
                    if s.lstrip().startswith("{"):
                        raise FormatError(
                            "the line starts with '{' like a JSON object, but the file is read as LibSVM (its "
                            "extension); for JSON lines name it .jsonl, or say --format jsonl (seal data info) / "
                            "--input-format jsonl (seal predict)", path=path, line=lineno)
                    if len(toks) == 3 and all(_INT.match(t) for t in toks) and ":" not in s:
                        header = (int(toks[0]), int(toks[1]), int(toks[2]))
                        continue
                rest = toks
                if not s[0].isspace() and ":" not in toks[0]:
                    labtok, rest = toks[0], toks[1:]
                    for lt in labtok.split(","):
                        if lt == "":
                            raise FormatError(f"empty label in {labtok!r}", path=path, line=lineno, field="labels")
                        if not _INT.match(lt):
                            raise FormatError(
                                f"label {lt!r} is not a non-negative integer (labels are 0-based indices "
                                f"separated by commas, no blanks)", path=path, line=lineno, field="labels")
                        lab_indices.append(int(lt))
                        lab_lines.append(lineno)
                seen_idx = set()
                for t in rest:
                    idx, sep, val = t.partition(":")
                    if not sep:
                        raise FormatError(f"{t!r} is not index:value", path=path, line=lineno, field=f"token {t!r}")
                    if idx == "qid":
                        raise FormatError("qid (ranking data) is not supported", path=path, line=lineno, field="qid")
                    if not _INT.match(idx):
                        raise FormatError(f"feature index {idx!r} is not a non-negative integer", path=path,
                                          line=lineno, field=f"feature {idx!r}")
                    j = int(idx)
                    if j in seen_idx:
                        raise FormatError("feature index given twice in one line", path=path, line=lineno,
                                          field=f"feature {j}")
                    seen_idx.add(j)
                    indices.append(j)
                    values.append(_number(val, path, lineno, f"feature {j}"))
                    lines_of.append(lineno)
                indptr.append(len(indices))
                lab_indptr.append(len(lab_indices))
        except UnicodeDecodeError as e:
            raise FormatError(f"not valid UTF-8 ({e.reason})", path=path) from None
    n = len(indptr) - 1
    if header is not None and header[0] != n:
        raise FormatError(f"the header says {header[0]} rows, the file has {n}", path=path, line=1, field="header")
    return _RawLibsvm(
        path=path,
        header=header,
        indptr=np.asarray(indptr, dtype=np.int64),
        indices=np.asarray(indices, dtype=np.int64),
        values=np.asarray(values, dtype=np.float32),
        lab_indptr=np.asarray(lab_indptr, dtype=np.int64),
        lab_indices=np.asarray(lab_indices, dtype=np.int64),
        index_lines=np.asarray(lines_of, dtype=np.int64),
        label_lines=np.asarray(lab_lines, dtype=np.int64),
        has_labels=bool(len(lab_indices)),
    )


def _build_libsvm(raw: _RawLibsvm, offset: int, n_features: int, n_labels: int, why_f: str, why_l: str,
                  labels_optional: bool = False) -> LabelledData:
    n = len(raw.indptr) - 1
    cols = raw.indices - offset
    bad = (cols < 0) | (cols >= n_features)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        lo, hi = offset, n_features - 1 + offset
        raise FormatError(
            f"feature index {int(raw.indices[k])} is out of range {lo}..{hi} ({why_f})",
            path=raw.path, line=int(raw.index_lines[k]), field=f"feature {int(raw.indices[k])}")
    badl = raw.lab_indices >= n_labels
    if badl.any():
        k = int(np.flatnonzero(badl)[0])
        raise FormatError(
            f"label index {int(raw.lab_indices[k])} is out of range 0..{n_labels - 1} ({why_l})",
            path=raw.path, line=int(raw.label_lines[k]), field="labels")
    X = sp.csr_matrix((raw.values, cols, raw.indptr), shape=(n, n_features), dtype=np.float32)
    X.sort_indices()
    X.eliminate_zeros()
    Y = None
    if raw.has_labels or not labels_optional:
        Y = np.zeros((n, n_labels), dtype=np.uint8)
        rows = np.repeat(np.arange(n), np.diff(raw.lab_indptr))
        Y[rows, raw.lab_indices] = 1
    return LabelledData(
        X=X, Y=Y,
        feature_names=[str(j + offset) for j in range(n_features)],
        label_names=[str(k) for k in range(n_labels)],
        format="libsvm", path=raw.path,
        label_source="the label indices (count from the header line)" if raw.header
        else f"the label indices ({why_l})",
    )


def read_libsvm_files(
    paths: Sequence[str | os.PathLike],
    *,
    zero_based: bool | str = "auto",
    n_features: int | None = None,
    n_labels: int | None = None,
    labels_optional: bool = False,
    auto_zero_based: bool = False,
) -> list[LabelledData]:
    """Read LibSVM / SVMlight multi-label files together (same feature and label spaces).

    Args:
        paths: the files (e.g. train, val, test).
        zero_based: ``True``/``False``, or ``"auto"``: 0-based when a file has the XC header or any file uses
            feature index 0, else as ``auto_zero_based`` says.
        n_features, n_labels: the counts when known (a model's); else the header's, else the largest index
            seen + 1 over all files. A header must agree with known counts.
        labels_optional: a file without any label gives ``Y=None`` (prediction input).
        auto_zero_based: with ``zero_based="auto"``, how files with neither the header nor an index 0 are read
            (``False``: 1-based, LIBSVM's convention; ``seal predict`` passes how the model's training files were
            read).

    Raises:
        FormatError: naming file, line and field (for a header whose feature or label count differs from the
            known ``n_features`` / ``n_labels``: line 1, field ``header``, both counts).
    """
    raws = [_scan_libsvm(os.fspath(p)) for p in paths]
    headers = [r.header for r in raws if r.header is not None]
    for r in raws:
        if r.header is not None and headers[0][1:] != r.header[1:]:
            raise FormatError(
                f"the header says {r.header[1]} features and {r.header[2]} labels, {raws[0].path} says "
                f"{headers[0][1]} and {headers[0][2]}", path=r.path, line=1, field="header")
    if zero_based == "auto":
        zb = bool(headers) or any(len(r.indices) and int(r.indices.min()) == 0 for r in raws) or bool(auto_zero_based)
    else:
        zb = bool(zero_based)
    offset = 0 if zb else 1
    why_f = why_l = ""
    if n_features is None:
        if headers:
            n_features, why_f = headers[0][1], "the header's feature count"
        else:
            mx = max((int(r.indices.max()) for r in raws if len(r.indices)), default=offset - 1)
            n_features, why_f = mx + 1 - offset, "largest index seen"
    else:
        why_f = "the model's feature count"
        if headers and headers[0][1] != n_features:
            raise FormatError(f"the header says {headers[0][1]} features, the model takes {n_features}",
                              path=raws[0].path, line=1, field="header")
    if n_labels is None:
        if headers:
            n_labels, why_l = headers[0][2], "the header's label count"
        else:
            n_labels = max((int(r.lab_indices.max()) + 1 for r in raws if len(r.lab_indices)), default=0)
            why_l = "largest label seen"
    else:
        why_l = "the model's label count"
        if headers and headers[0][2] != n_labels:
            raise FormatError(f"the header says {headers[0][2]} labels, the model predicts {n_labels}",
                              path=raws[0].path, line=1, field="header")
    if n_features < 1:
        raise FormatError("no feature in the file(s)", path=raws[0].path)
    if n_labels < 1 and not labels_optional:
        raise FormatError("no label in the file(s): every line starts with index:value", path=raws[0].path)
    out = [_build_libsvm(r, offset, n_features, n_labels, why_f, why_l, labels_optional) for r in raws]
    for d in out:
        d.zero_based = zb
        d.notes.append(f"feature indices are {'0' if zb else '1'}-based")
    return out


def read_libsvm(path: str | os.PathLike, **kwargs) -> LabelledData:
    """One LibSVM file; see :func:`read_libsvm_files`."""
    return read_libsvm_files([path], **kwargs)[0]


# ---------------------------------------------------------------------------------------------- CSV


def read_csv(
    path: str | os.PathLike,
    *,
    delimiter: str = ",",
    labels: Sequence[str] | None = None,
    label_count: int | None = None,
    drop_columns: Sequence[str] = (),
    labels_optional: bool = False,
    format: str = "csv",
) -> LabelledData:
    """A CSV/TSV file with a header row; label columns by name (``labels``) or count (``label_count``: the
    first n columns, or the last |n| when negative); every other column (except ``drop_columns``) is a
    numeric feature. Label cells must be 0 or 1.

    Raises:
        FormatError: naming file, line and column.
    """
    path = os.fspath(path)
    if isinstance(labels, str):
        labels = [s for s in labels.split(",") if s]
    try:
        fh = open(path, encoding="utf-8-sig", newline="")
    except UnicodeDecodeError:  # pragma: no cover
        raise FormatError("not valid UTF-8", path=path) from None
    with fh:
        reader = csv.reader(fh, delimiter=delimiter)
        try:
            header = next(reader, None)
            if header is None:
                raise FormatError("empty file (a header row naming the columns is expected)", path=path, line=1)
            header = [h.strip() for h in header]
            dup = {h for h in header if header.count(h) > 1}
            if dup:
                raise FormatError(f"column name(s) {sorted(dup)} appear more than once in the header", path=path,
                                  line=1, field="header")
            for d in drop_columns:
                if d not in header:
                    raise FormatError(f"drop_columns names {d!r}, which is not a column", path=path, line=1,
                                      field="header")
            ncol = len(header)
            if labels is not None and label_count is not None:
                raise FormatError("give the label columns by name (labels) or by count (label_count), not both",
                                  path=path)
            if labels is not None:
                missing = [nm for nm in labels if nm not in header]
                if missing and not (labels_optional and len(missing) == len(labels)):
                    raise FormatError(f"label column(s) {missing} are not in the header {header}", path=path,
                                      line=1, field="header")
                lab_cols = [header.index(nm) for nm in labels if nm in header]
                source = "label names"
            elif label_count is not None:
                c = int(label_count)
                if c == 0 or abs(c) >= ncol:
                    raise FormatError(f"label_count={c}: must be non-zero and smaller than the {ncol} columns",
                                      path=path, line=1, field="header")
                lab_cols = list(range(c)) if c > 0 else list(range(ncol + c, ncol))
                source = f"label_count={c}"
            else:
                raise FormatError(
                    "cannot tell which columns are labels: name them (--data.labels [a,b] / --labels a,b) or "
                    "count them (--data.label_count N: the first N columns, -N: the last N)", path=path, line=1)
            lab_cols = sorted(lab_cols)
            lab_set = set(lab_cols)
            skip = {header.index(d) for d in drop_columns}
            feat_cols = [j for j in range(ncol) if j not in lab_set and j not in skip]
            if lab_set & skip:
                raise FormatError("a column is both a label and in drop_columns", path=path, line=1)
            Xrows: list[list[float]] = []
            Yrows: list[list[int]] = []
            for row in reader:
                line = reader.line_num
                if not row or (len(row) == 1 and not row[0].strip()):
                    continue
                if len(row) != ncol:
                    raise FormatError(f"{len(row)} cells, the header has {ncol}", path=path, line=line)
                xs = []
                for j in feat_cols:
                    cell = row[j].strip()
                    if cell == "":
                        raise FormatError("empty cell (missing values are not supported: impute them first)",
                                          path=path, line=line, field=f"column {header[j]!r}")
                    xs.append(_number(cell, path, line, f"column {header[j]!r}"))
                ys = []
                for j in lab_cols:
                    cell = row[j].strip()
                    try:
                        v = float(cell)
                    except ValueError:
                        v = None
                    if v not in (0.0, 1.0):
                        raise FormatError(f"label value {cell!r} is not 0 or 1", path=path, line=line,
                                          field=f"label column {header[j]!r}")
                    ys.append(int(v))
                Xrows.append(xs)
                Yrows.append(ys)
        except csv.Error as e:
            raise FormatError(f"malformed {format.upper()} ({e})", path=path, line=reader.line_num) from None
        except UnicodeDecodeError as e:
            raise FormatError(f"not valid UTF-8 ({e.reason})", path=path) from None
    n = len(Xrows)
    X = sp.csr_matrix(np.asarray(Xrows, dtype=np.float32).reshape(n, len(feat_cols)))
    X.eliminate_zeros()
    Y = np.asarray(Yrows, dtype=np.uint8).reshape(n, len(lab_cols)) if lab_cols else None
    return LabelledData(
        X=X, Y=Y,
        feature_names=[header[j] for j in feat_cols],
        label_names=[header[j] for j in lab_cols],
        format=format, path=path, label_source=source,
    )


# -------------------------------------------------------------------------------------------- ARFF


def _read_arff(path: str, *, labels=None, label_count=None, xml=None, drop_columns=(), **_) -> LabelledData:
    from seal.data.arff import read_arff

    if isinstance(labels, str):
        labels = [s for s in labels.split(",") if s]
    d = read_arff(path, label_count=label_count, label_names=labels, xml=xml, drop_attributes=tuple(drop_columns))
    if xml is not None:
        source = f"MULAN XML {xml}"
    elif labels is not None:
        source = "label names"
    elif label_count is not None:
        source = f"label_count={label_count}"
    else:
        source = "the MEKA header" if "-C" in d.relation else "the hierarchical attribute"
    return LabelledData(X=d.X, Y=np.asarray(d.Y, dtype=np.uint8), feature_names=list(d.feature_names),
                        label_names=list(d.label_names), format="arff", path=path, label_source=source)


def _text_task(fmt: str) -> Callable[..., LabelledData]:
    def reader(path: str, **_) -> LabelledData:
        raise FormatError(
            f"{fmt} input (text multi-label: one {{\"text\": ..., \"labels\": [...]}} per line) is read by the text "
            f"task: seal fit --task text-mlc --data.train {path} (feature files: ARFF, LibSVM, CSV/TSV)", path=path)

    return reader


#: format -> reader(path, **options) for the formats read one file at a time (LibSVM is read jointly)
READERS: dict[str, Callable[..., LabelledData]] = {
    "arff": _read_arff,
    "csv": lambda path, **kw: read_csv(path, delimiter=",", format="csv", **_csv_kw(kw)),
    "tsv": lambda path, **kw: read_csv(path, delimiter="\t", format="tsv", **_csv_kw(kw)),
    "jsonl": _text_task("jsonl"),
}


def _csv_kw(kw: dict) -> dict:
    return {k: kw[k] for k in ("labels", "label_count", "drop_columns", "labels_optional") if k in kw}


def read_files(
    paths: Sequence[str | os.PathLike],
    *,
    format: str | None = None,
    labels: Sequence[str] | None = None,
    label_count: int | None = None,
    xml: str | None = None,
    drop_columns: Sequence[str] = (),
    zero_based: bool | str = "auto",
    n_features: int | None = None,
    n_labels: int | None = None,
    labels_optional: bool = False,
    auto_zero_based: bool = False,
) -> list[LabelledData]:
    """Read files that share one feature and label space (train, val, test), all in one format
    (``zero_based``, ``auto_zero_based``, ``n_features``, ``n_labels``: LibSVM, see :func:`read_libsvm_files`).

    Raises:
        FormatError / seal.data.arff.ArffError: a malformed file (file, line, field); files in different
            formats; files whose feature or label columns differ; a LibSVM header whose counts differ from
            ``n_features`` / ``n_labels``.
        FileNotFoundError: a missing file.
    """
    paths = [os.fspath(p) for p in paths]
    for p in paths:
        if not Path(p).is_file():
            raise FileNotFoundError(f"data file not found: {p}")
    fmts = [detect_format(p, format) for p in paths]
    if len(set(fmts)) > 1:
        raise FormatError(f"the files are in different formats ({', '.join(fmts)}); use one format", path=paths[0])
    fmt = fmts[0]
    if fmt == "libsvm":
        for opt, val in (("labels", labels), ("label_count", label_count), ("xml", xml)):
            if val is not None:
                raise FormatError(f"{opt} does not apply to LibSVM files (labels are the indices before the "
                                  "features)", path=paths[0])
        return read_libsvm_files(paths, zero_based=zero_based, n_features=n_features, n_labels=n_labels,
                                 labels_optional=labels_optional, auto_zero_based=auto_zero_based)
    if xml is not None and fmt != "arff":
        raise FormatError("xml (a MULAN label file) applies to ARFF files only", path=paths[0])
    kw = dict(labels=labels, label_count=label_count, drop_columns=tuple(drop_columns))
    if fmt == "arff":
        kw["xml"] = xml
    else:
        kw["labels_optional"] = labels_optional
    out = [READERS[fmt](p, **kw) for p in paths]
    first = out[0]
    for d in out[1:]:
        if d.feature_names != first.feature_names:
            raise FormatError(f"its feature columns differ from {first.path}'s ({len(d.feature_names)} vs "
                              f"{len(first.feature_names)}; first difference: "
                              f"{_first_diff(d.feature_names, first.feature_names)})", path=d.path)
        if d.Y is not None and d.label_names != first.label_names:
            raise FormatError(f"its label columns {d.label_names} differ from {first.path}'s {first.label_names}",
                              path=d.path)
    return out


def _first_diff(a: list[str], b: list[str]) -> str:
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return f"column {i}: {x!r} vs {y!r}"
    return f"column {min(len(a), len(b))}"
