"""Loading a catalogued multi-label dataset: read its ARFF parts, pool them, split, preprocess.

:func:`load_dataset` locates the files (:func:`seal.data.locate.locate_spec`), reads each part with
:func:`seal.data.arff.read_arff` (options from the catalogue entry), checks the counts against the
catalogue, pools the parts into one ``(n, d)`` CSR matrix and ``(n, L)`` label matrix, assigns the
train/val/test split (:mod:`seal.data.splits`) and fits the catalogue's feature preprocessing
(:class:`seal.data.preprocess.FeaturePreprocessor`) on the training split only.

Split protocols: ``paper`` pools all instances and makes 10 folds by iterative stratification (folds 1-6
train / 7-8 val / 9-10 test; given fold files keep their own membership); ``official`` uses the
distribution's own train/(valid)/test split and carves 1/4 of train as validation when there is none.

Empty label sets: counted as ``n_empty`` and kept unless ``drop_empty=True`` (the paper's reader dropped
them silently, method doc H.13). The fold assignment is computed before dropping, so a row lands in the
same split whichever way ``drop_empty`` is set.

Segmentation datasets are loaded by :func:`seal.tasks.segmentation.data.load_segmentation_dataset`.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from seal.data.arff import read_arff
from seal.data.catalogue import SPLIT_NAMES, DatasetSpec, get_spec, spec_version
from seal.data.errors import DatasetError, OtherTaskDatasetError, other_task_message
from seal.data.locate import locate_spec
from seal.data.preprocess import FeaturePreprocessor, NonFiniteFeatureError
from seal.data.splits import folds_to_splits, official_splits, paper_folds

__all__ = ["MultiLabelDataset", "clear_cache", "load_dataset"]



@dataclass(repr=False)
class MultiLabelDataset:
    """A loaded multi-label dataset: all instances pooled, with split indices.

    Attributes:
        name: registry name.
        X: ``scipy.sparse.csr_matrix`` ``(n, d)`` float32, after preprocessing (imputation/scaling fitted
            on ``splits["train"]`` only), all finite.
        Y: ``(n, L)`` uint8 in {0, 1}.
        feature_names: ``d`` names (one-hot columns are ``"attr=value"`` as the reader names them).
        label_names: ``L`` names.
        splits: ``{"train", "val", "test"}`` -> sorted int64 row indices into ``X``; disjoint, covering
            every row.
        split_protocol: ``"paper"`` or ``"official"``.
        n_empty: rows with an empty label set in the data as read (before any dropping).
        n_dropped: rows removed (``n_empty`` with ``drop_empty=True``, else 0).
        split_seed: seed of the fold assignment / validation carve.
        fold_ids: ``(n,)`` int64 fold of each row (1..10) under ``paper``; ``None`` otherwise.
        preprocessing: what was done to the features (``FeaturePreprocessor.describe()``).
        files: absolute paths of the files read.
        preprocessor: the fitted :class:`~seal.data.preprocess.FeaturePreprocessor` (statistics from the
            training split), or ``None`` when the features are used raw; ``seal predict`` applies it to
            new ARFF files.
    """

    name: str
    X: sp.csr_matrix
    Y: np.ndarray
    feature_names: list[str]
    label_names: list[str]
    splits: dict[str, np.ndarray]
    split_protocol: str
    n_empty: int
    n_dropped: int
    split_seed: int = 0
    fold_ids: np.ndarray | None = None
    preprocessing: dict = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    preprocessor: FeaturePreprocessor | None = None

    @property
    def n_instances(self) -> int:
        return int(self.X.shape[0])

    @property
    def n_features(self) -> int:
        return int(self.X.shape[1])

    @property
    def n_labels(self) -> int:
        return int(self.Y.shape[1])

    @property
    def label_cardinality(self) -> float:
        """Mean number of positive labels per row."""
        return float(self.Y.sum(axis=1, dtype=np.int64).mean()) if self.Y.shape[0] else 0.0

    @property
    def label_density(self) -> float:
        """Label cardinality divided by ``L``."""
        return self.label_cardinality / self.n_labels if self.n_labels else 0.0

    def subset(self, split: str) -> tuple[sp.csr_matrix, np.ndarray]:
        """``(X[idx], Y[idx])`` for ``split`` in ``"train"``, ``"val"``, ``"test"``: ``(m, d)`` CSR float32
        and ``(m, L)`` uint8 copies.

        Raises:
            KeyError: unknown split name.
        """
        if split not in self.splits:
            raise KeyError(f"unknown split {split!r}; available: {', '.join(self.splits)}")
        idx = self.splits[split]
        return self.X[idx], self.Y[idx]

    def summary(self) -> dict[str, Any]:
        """Counts and label statistics, overall and per split (JSON-able)."""
        per_split = {}
        for k, idx in self.splits.items():
            Ys = self.Y[idx]
            card = float(Ys.sum(axis=1, dtype=np.int64).mean()) if len(idx) else 0.0
            per_split[k] = {
                "instances": int(len(idx)),
                "label_cardinality": card,
                "empty_rows": int((Ys.sum(axis=1) == 0).sum()),
                "labels_unseen": int((Ys.sum(axis=0) == 0).sum()),
            }
        return {
            "name": self.name,
            "protocol": self.split_protocol,
            "split_seed": self.split_seed,
            "instances": self.n_instances,
            "features": self.n_features,
            "labels": self.n_labels,
            "label_cardinality": self.label_cardinality,
            "label_density": self.label_density,
            "empty_rows": self.n_empty,
            "dropped_rows": self.n_dropped,
            "feature_density": float(self.X.nnz) / max(1, self.n_instances * self.n_features),
            "preprocessing": dict(self.preprocessing),
            "splits": per_split,
        }

    def __repr__(self) -> str:
        sizes = "/".join(str(len(self.splits.get(k, ()))) for k in SPLIT_NAMES)
        return (
            f"MultiLabelDataset(name={self.name!r}, X={self.n_instances}x{self.n_features}, "
            f"L={self.n_labels}, protocol={self.split_protocol!r}, train/val/test={sizes}, "
            f"n_empty={self.n_empty}, n_dropped={self.n_dropped})"
        )


@dataclass
class _Pooled:
    X: sp.csr_matrix
    Y: np.ndarray
    feature_names: list[str]
    label_names: list[str]
    splits: dict[str, np.ndarray]
    fold_ids: np.ndarray | None
    files: list[str]


_CACHE: OrderedDict[tuple, _Pooled] = OrderedDict()
_CACHE_MAX = 8
_CACHE_LOCK = threading.Lock()


def clear_cache() -> None:
    """Forget datasets parsed in this process."""
    with _CACHE_LOCK:
        _CACHE.clear()


def _read_part(path: Path, spec: DatasetSpec, xml_path: Path | None):
    return read_arff(path, **spec.reader.kwargs(xml_path))


def _pool(spec: DatasetSpec, protocol: str, paths: dict[str, Path], split_seed: int) -> _Pooled:
    parts = spec.parts(protocol)
    xml = spec.file("xml")
    xml_path = paths.get(xml.path) if (xml is not None and spec.reader.xml) else None
    datas = []
    for f in parts:
        data = _read_part(paths[f.path], spec, xml_path)
        n, d = data.X.shape
        if f.n_instances is not None and n != f.n_instances:
            raise DatasetError(
                f"dataset {spec.name!r}: {paths[f.path]} has {n} instances, the registry expects {f.n_instances}"
            )
        if spec.n_features is not None and d != spec.n_features:
            raise DatasetError(
                f"dataset {spec.name!r}: {paths[f.path]} has {d} features, the registry expects {spec.n_features}"
            )
        if spec.n_labels is not None and data.Y.shape[1] != spec.n_labels:
            raise DatasetError(
                f"dataset {spec.name!r}: {paths[f.path]} has {data.Y.shape[1]} labels, "
                f"the registry expects {spec.n_labels}"
            )
        if datas:
            first = datas[0]
            if list(data.feature_names) != list(first.feature_names):
                raise DatasetError(f"dataset {spec.name!r}: {paths[f.path]} has different feature columns from {paths[parts[0].path]}")
            if list(data.label_names) != list(first.label_names):
                raise DatasetError(f"dataset {spec.name!r}: {paths[f.path]} has different labels from {paths[parts[0].path]}")
        datas.append(data)
    X = sp.vstack([sp.csr_matrix(dd.X, dtype=np.float32) for dd in datas], format="csr") if len(datas) > 1 else sp.csr_matrix(datas[0].X, dtype=np.float32)
    Y = np.vstack([np.asarray(dd.Y, dtype=np.uint8) for dd in datas]) if len(datas) > 1 else np.asarray(datas[0].Y, dtype=np.uint8)
    if spec.n_instances is not None and X.shape[0] != spec.n_instances:
        raise DatasetError(f"dataset {spec.name!r}: {X.shape[0]} instances read, the registry expects {spec.n_instances}")
    fold_ids = None
    if protocol == "paper":
        if spec.fold_files():
            fold_ids = np.concatenate(
                [np.full(dd.X.shape[0], int(f.role[4:]), dtype=np.int64) for f, dd in zip(parts, datas)]
            )
        else:
            fold_ids = paper_folds(Y, n_folds=10, seed=split_seed)
        splits = folds_to_splits(fold_ids)
    else:
        sizes = {f.role: dd.X.shape[0] for f, dd in zip(parts, datas)}
        splits = official_splits(sizes, Y, seed=split_seed)
    return _Pooled(
        X=X,
        Y=Y,
        feature_names=list(datas[0].feature_names),
        label_names=list(datas[0].label_names),
        splits=splits,
        fold_ids=fold_ids,
        files=[str(paths[f.path]) for f in parts] + ([str(xml_path)] if xml_path else []),
    )


def _file_key(paths: dict[str, Path]) -> tuple:
    key = []
    for rel, p in sorted(paths.items()):
        st = p.stat()
        key.append((rel, str(p.resolve()), st.st_size, st.st_mtime_ns))
    return tuple(key)


def load_dataset(
    name: str,
    *,
    data_dir: str | os.PathLike | None = None,
    protocol: str | None = None,
    split_seed: int = 0,
    drop_empty: bool = False,
    download: bool = True,
    verify: bool = True,
) -> MultiLabelDataset:
    """Load a registered multi-label dataset with its train/val/test split.

    Args:
        name: a registered name (``seal data list``); case-insensitive, ``-`` == ``_``.
        data_dir: directory holding the files (layout ``<name>/...`` as in ``shared/data``); default
            ``$SEAL_DATA_DIR``; the user cache is searched after it.
        protocol: ``"paper"`` or ``"official"`` (default: the dataset's, see the registry table).
        split_seed: seed of the iterative-stratification folds (``paper``) or of the validation carve
            (``official`` without a given validation part). Ignored when the split is fully given.
        drop_empty: remove rows with an empty label set (after the split is made).
        download: fetch missing files with a public URL into the cache.
        verify: check local files' SHA-256 against the registry (memoised per process).

    Returns:
        A :class:`MultiLabelDataset`; ``X`` is ``(n, d)`` CSR float32, ``Y`` is ``(n, L)`` uint8. Parsing
        and folds are cached per process; every call returns fresh arrays.

    Raises:
        UnknownDatasetError: unknown name.
        OtherTaskDatasetError (a NotImplementedError and a DatasetError): a registered dataset that is not
            multi-label ARFF (``weizmann_horse``: its task's DataModule,
            :func:`seal.tasks.segmentation.data.load_segmentation_dataset`); the message names the task, the
            ``seal fit`` options that train on it and, for Python, the DataModule.
        DatasetNotFoundError: files missing and not downloadable (``eurlex_ev``) or ``download=False``.
        DatasetError: unsupported protocol; counts differing from the registry; non-finite features.
        seal.data.locate.DownloadFailedError (a DownloadError and a DatasetError): files missing and their download
            failed (one message: the files, the directories searched, the download error).
        ChecksumMismatchError: a failed download or a local file with the wrong digest.
        seal.data.arff.ArffError: a malformed file (names file, line and attribute).
    """
    spec = get_spec(name)
    if spec.loader != "arff":
        from seal.tasks import task_of_kind  # imported on use: seal.tasks reads the catalogue

        task = task_of_kind(spec.task)
        reader = f"the {task.name} task's DataModule ({task.datamodule})" if task is not None else "its task's reader"
        raise OtherTaskDatasetError(
            f"{other_task_message(spec, 'multi-label ARFF')} (in Python: load_dataset only loads multi-label ARFF "
            f"datasets; load it with {reader})"
        )
    protocol = protocol or spec.default_protocol
    spec.check_protocol(protocol)
    split_seed = int(split_seed)
    paths = locate_spec(spec, spec.files_for(protocol), data_dir=data_dir, download=download, verify=verify)

    key = (spec.name, spec_version(spec.name), protocol, split_seed, spec.reader, _file_key(paths))
    with _CACHE_LOCK:
        pooled = _CACHE.get(key)
        if pooled is not None:
            _CACHE.move_to_end(key)
    if pooled is None:
        pooled = _pool(spec, protocol, paths, split_seed)
        with _CACHE_LOCK:
            _CACHE[key] = pooled
            while len(_CACHE) > _CACHE_MAX:
                _CACHE.popitem(last=False)

    X, Y, splits, fold_ids = pooled.X, pooled.Y, pooled.splits, pooled.fold_ids
    empty = Y.sum(axis=1) == 0
    n_empty = int(empty.sum())
    n_dropped = 0
    if drop_empty and n_empty:
        keep = ~empty
        new_index = np.cumsum(keep) - 1
        splits = {k: new_index[v[keep[v]]].astype(np.int64) for k, v in splits.items()}
        X, Y = X[keep], Y[keep]
        fold_ids = fold_ids[keep] if fold_ids is not None else None
        n_dropped = n_empty
    else:
        X, Y = X.copy(), Y.copy()
        splits = {k: v.copy() for k, v in splits.items()}
        fold_ids = fold_ids.copy() if fold_ids is not None else None
    for k in SPLIT_NAMES:
        if len(splits[k]) == 0:
            raise DatasetError(f"dataset {spec.name!r}: the {k!r} split is empty under protocol {protocol!r}")

    pre = FeaturePreprocessor(**dict(spec.preprocess))
    try:
        if not pre.is_identity:
            pre.fit(X[splits["train"]])
            X = pre.transform(X)
        else:
            X = sp.csr_matrix(X, dtype=np.float32)
            bad = ~np.isfinite(X.data)
            if bad.any():
                k = int(np.flatnonzero(bad)[0])
                row = int(np.searchsorted(X.indptr, k, side="right") - 1)
                raise NonFiniteFeatureError(
                    f"{int(bad.sum())} non-finite feature value(s)", row=row, column=int(X.indices[k]), count=int(bad.sum())
                )
    except NonFiniteFeatureError as e:
        fname = pooled.feature_names[e.column] if e.column < len(pooled.feature_names) else str(e.column)
        raise DatasetError(
            f"dataset {spec.name!r}: {e.count} non-finite feature value(s), first at row {e.row}, feature "
            f"{fname!r}; the registry's preprocessing {dict(spec.preprocess) or 'none'} does not handle them"
        ) from None

    return MultiLabelDataset(
        name=spec.name,
        X=X,
        Y=Y,
        feature_names=list(pooled.feature_names),
        label_names=list(pooled.label_names),
        splits=splits,
        split_protocol=protocol,
        n_empty=n_empty,
        n_dropped=n_dropped,
        split_seed=split_seed,
        fold_ids=fold_ids,
        preprocessing=pre.describe() if not pre.is_identity else {"impute": None, "scale": None},
        files=list(pooled.files),
        preprocessor=None if pre.is_identity else pre,
    )

