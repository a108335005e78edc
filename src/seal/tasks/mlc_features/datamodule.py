"""The LightningDataModule of feature-based multi-label classification: :class:`MultiLabelDataModule`.

The DataModule owns all file I/O. :class:`MultiLabelDataModule` loads a catalogued dataset
(:func:`seal.data.load.load_dataset`), the user's own files (:mod:`seal.data.userdata`) or in-memory arrays,
checks the features are finite, and serves ``(x, y)`` batches: ``x (B, D) float32`` and ``y (B, L) float32``
in {0, 1}.

Batches are produced by slicing pre-densified tensors (one indexing operation per batch through
``Dataset.__getitems__``), so data loading stays a negligible share of an epoch. Datasets whose dense
matrix would exceed ``max_dense_bytes`` are kept sparse and densified per batch.

Data flows one way: readers (:mod:`seal.data.arff`) and loaders (:mod:`seal.data.load`) never import this
module.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

import lightning as L
import numpy as np
import scipy.sparse as sp
import torch
from torch.utils.data import DataLoader, Dataset

from seal.data.batches import (
    EpochSeededSampler,
    FromArraysMixin,
    SplitLoadersMixin,
    identity_collate,
    run_seed,
)
from seal.data.errors import DataError
from seal.data.load import load_dataset

__all__ = [
    "DataError",
    "EpochSeededSampler",
    "FromArraysMixin",
    "MultiLabelArrays",
    "MultiLabelDataModule",
]


class _ArrayDataset(Dataset):
    """Rows of a (dense or CSR) feature matrix with their label rows; batched fetch via ``__getitems__``."""

    def __init__(self, X, Y: np.ndarray, max_dense_bytes: int) -> None:
        n, d = X.shape
        self.sparse = sp.issparse(X) and n * d * 4 > max_dense_bytes
        if self.sparse:
            self.X = sp.csr_matrix(X, dtype=np.float32)
        else:
            dense = X.toarray() if sp.issparse(X) else np.asarray(X)
            self.X = torch.from_numpy(np.ascontiguousarray(dense, dtype=np.float32))
        self.Y = torch.from_numpy(np.ascontiguousarray(Y, dtype=np.float32))

    def __len__(self) -> int:
        return self.Y.shape[0]

    def __getitem__(self, i: int):  # pragma: no cover - batched path is used
        return self.__getitems__([i])

    def __getitems__(self, idx: list[int]):
        index = torch.as_tensor(idx, dtype=torch.long)
        if self.sparse:
            x = torch.from_numpy(self.X[np.asarray(idx)].toarray())
        else:
            x = self.X.index_select(0, index)
        return x, self.Y.index_select(0, index)


@dataclass
class MultiLabelArrays:
    """In-memory splits: ``{"train": (X, Y), "val": (X, Y), "test": (X, Y)}`` plus names."""

    splits: dict
    feature_names: list[str] = field(default_factory=list)
    label_names: list[str] = field(default_factory=list)
    name: str = "arrays"
    split_protocol: str = "given"


class MultiLabelDataModule(FromArraysMixin, SplitLoadersMixin, L.LightningDataModule):
    """Serve a registered multi-label dataset to Lightning.

    Args:
        dataset: a registry name (``seal data list``), e.g. ``"bibtex"``.
        data_dir: where to look for the files (default: ``$SEAL_DATA_DIR``, then the user cache).
        protocol: ``"paper"`` (10 iterative-stratified folds, 1-6/7-8/9-10) or ``"official"``;
            ``None`` takes the dataset's default.
        split_seed: seed of the fold assignment (independent of the training seed).
        batch_size: training batch size (the paper uses 32).
        eval_batch_size: batch size for validation/test/predict.
        drop_empty: drop rows with an empty label set (the original code did this silently; here it is
            explicit and the count is logged either way).
        expect_num_labels: if given, must equal the dataset's label count (guards configs against wrong data).
        download: allow fetching missing files into the user cache.
        max_dense_bytes: densify the whole feature matrix when it fits in this many bytes.
        train: your own training file instead of a registered dataset (ARFF, LibSVM/SVMlight, CSV/TSV; see
            :mod:`seal.data.formats`); ``dataset`` may also be such a path. Without ``val``, a validation split
            is carved from it by iterative stratification (``val_fraction``, seed ``split_seed``); without
            ``test`` there is no test split. The sizes are printed.
        val: your own validation file (same format and columns as ``train``).
        test: your own test file.
        format: ``arff``, ``libsvm``, ``csv`` or ``tsv`` (default: from the extension).
        labels: names of the label attributes / columns (ARFF, CSV/TSV): a list, or one comma-separated string.
        label_count: MEKA semantics: n > 0 the first n attributes / columns are the labels, n < 0 the last |n|
            (ARFF, CSV/TSV). Wins over a MEKA ``-C`` header, with a warning when they differ.
        xml: a MULAN XML label file (ARFF).
        drop_columns: attributes / columns that are neither features nor labels (ARFF, CSV/TSV): a list, or one
            comma-separated string.
        zero_based: LibSVM feature indices: ``True`` 0-based, ``False`` 1-based, ``None`` automatic (0-based
            with an extreme-classification header line or when index 0 occurs, else 1-based).
        val_fraction: share of ``train`` carved as validation when there is no ``val`` file.

    Raises:
        DataError: non-finite features, a label count that disagrees with ``expect_num_labels``, an empty split.
        seal.data.errors.DatasetNotFoundError: unknown dataset or missing files.
    """

    def __init__(
        self,
        dataset: str = "bibtex",
        data_dir: str | None = None,
        protocol: str | None = None,
        split_seed: int = 0,
        batch_size: int = 32,
        eval_batch_size: int = 1024,
        drop_empty: bool = False,
        expect_num_labels: int | None = None,
        download: bool = True,
        max_dense_bytes: int = 1 << 30,
        train: str | None = None,
        val: str | None = None,
        test: str | None = None,
        format: str | None = None,
        labels: list[str] | str | None = None,
        label_count: int | None = None,
        xml: str | None = None,
        drop_columns: list[str] | str | None = None,
        zero_based: bool | None = None,
        val_fraction: float = 0.25,
    ) -> None:
        super().__init__()
        # stored in checkpoints (``datamodule_hyper_parameters``) so that ``seal predict`` can rebuild the splits
        self.save_hyperparameters()
        if batch_size < 1 or eval_batch_size < 1:
            raise ValueError(f"batch sizes must be >= 1, got {batch_size}, {eval_batch_size}")
        self.dataset = dataset
        self.data_dir = data_dir
        self.protocol = protocol
        self.split_seed = split_seed
        self.batch_size = batch_size
        self.eval_batch_size = eval_batch_size
        self.drop_empty = drop_empty
        self.expected_num_labels = expect_num_labels
        self.download = download
        self.max_dense_bytes = max_dense_bytes
        self.files = {"train": train, "val": val, "test": test}
        from seal.data.formats import name_list

        labels = name_list(labels, "--data.labels")  # a list, or "a,b,c" as typed on the command line
        drop_columns = name_list(drop_columns, "--data.drop_columns")
        self.file_options = {
            "format": format, "labels": labels, "label_count": label_count, "xml": xml,
            "drop_columns": tuple(drop_columns or ()), "zero_based": "auto" if zero_based is None else zero_based,
            "val_fraction": val_fraction,
        }
        self._arrays: MultiLabelArrays | None = getattr(self, "_arrays", None)
        self._datasets: dict[str, _ArrayDataset] = {}
        self.info: dict = {}
        self._prepared = False
        self.prepare()

    # Loading happens eagerly in __init__ so that LightningCLI can link ``num_features`` and
    # ``num_labels`` into the model's constructor; it is cheap (cached per process by the registry).
    def prepare(self) -> None:
        if self._prepared:
            return
        if self._arrays is None and self._user_files():
            from seal.data.userdata import load_user_files

            opts = dict(self.file_options)
            user = load_user_files(self.files["train"], self.files["val"], self.files["test"],
                                   split_seed=self.split_seed, **opts)
            print(user.sizes_line, file=sys.stderr)
            arrays = MultiLabelArrays(user.splits, user.feature_names, user.label_names, user.name, "given")
            self.dataset = user.name
            if user.zero_based is not None:  # so that `seal predict` reads new LibSVM files the same way
                self.hparams["zero_based"] = user.zero_based
            self.info = {"n_empty": 0, "n_dropped": 0, "carved_validation": user.carved}
        elif self._arrays is None:
            ds = load_dataset(
                self.dataset,
                data_dir=self.data_dir,
                protocol=self.protocol,
                split_seed=self.split_seed,
                drop_empty=self.drop_empty,
                download=self.download,
            )
            splits = {name: ds.subset(name) for name in ("train", "val", "test")}
            arrays = MultiLabelArrays(splits, list(ds.feature_names), list(ds.label_names), ds.name, ds.split_protocol)
            self.info = {"n_empty": int(ds.n_empty), "n_dropped": int(ds.n_dropped)}
        else:
            arrays = self._arrays
        self.label_names = list(arrays.label_names)
        self.feature_names = list(arrays.feature_names)
        self.split_protocol = arrays.split_protocol
        num_features = num_labels = None
        for split, (X, Y) in arrays.splits.items():
            where = f"dataset {arrays.name!r}, split {split!r}"
            if X.shape[0] == 0:
                raise DataError(f"{where}: the split is empty")
            if X.shape[0] != Y.shape[0]:
                raise DataError(f"{where}: {X.shape[0]} feature rows but {Y.shape[0]} label rows")
            values = X.data if sp.issparse(X) else np.asarray(X)
            bad = ~np.isfinite(values)
            if bad.any():
                if sp.issparse(X):
                    coo = X.tocoo()
                    r, c = int(coo.row[bad][0]), int(coo.col[bad][0])
                else:
                    r, c = (int(v[0]) for v in np.nonzero(bad))
                fname = self.feature_names[c] if c < len(self.feature_names) else str(c)
                raise DataError(
                    f"{where}: {int(bad.sum())} non-finite feature value(s), first at row {r}, "
                    f"feature {fname!r}; impute or drop them before training"
                )
            if num_features is None:
                num_features, num_labels = X.shape[1], Y.shape[1]
            elif (X.shape[1], Y.shape[1]) != (num_features, num_labels):
                raise DataError(f"{where}: shape {X.shape[1]} features x {Y.shape[1]} labels differs from other splits")
            self._datasets[split] = _ArrayDataset(X, Y, self.max_dense_bytes)
        if self.expected_num_labels is not None and self.expected_num_labels != num_labels:
            raise DataError(
                f"config says expect_num_labels={self.expected_num_labels} but dataset {arrays.name!r} has {num_labels} labels"
            )
        self.num_features = int(num_features)
        self.num_labels = int(num_labels)
        self.info.update({k: len(v) for k, v in self._datasets.items()})
        self._prepared = True

    def _user_files(self) -> bool:
        """Whether this DataModule reads the user's own files (``train`` given, or ``dataset`` is a data file)."""
        from seal.data.formats import looks_like_data_file

        if self.files["train"] is None and looks_like_data_file(str(self.dataset)):
            self.files["train"] = str(self.dataset)
            self.hparams["train"] = self.files["train"]  # `seal predict` reuses the training file's options
        if self.files["train"] is None:
            if any(self.files[k] is not None for k in ("val", "test")):
                raise DataError("--data.val/--data.test need --data.train (your own training file)")
            used = [k for k in ("format", "labels", "label_count", "xml") if self.file_options[k] is not None]
            if used:
                raise DataError(
                    f"--data.{used[0]} applies to your own files (--data.train PATH); registered dataset "
                    f"{self.dataset!r} has its reader options in the catalogue"
                )
            return False
        return True

    def state_dict(self) -> dict:
        """What Lightning stores in a checkpoint for this DataModule (``checkpoint["MultiLabelDataModule"]``): the
        training data's ``feature_names`` in column order, so that ``seal predict`` matches a file's feature columns
        by name (:func:`seal.tasks.mlc_features.predict.match_feature_columns`). Empty before :meth:`prepare`."""
        names = getattr(self, "feature_names", None)
        return {"feature_names": [str(n) for n in names]} if names else {}

    def load_state_dict(self, state_dict: dict) -> None:
        """Nothing to restore: the feature names are read again from the data (a resumed run reads the same files)."""

    @property
    def has_test(self) -> bool:
        """Whether there is a test split (your own files without ``test`` have none)."""
        return "test" in self._datasets

    def _loader(self, split: str, train: bool) -> DataLoader:
        if split not in self._datasets:
            hint = " (give your test file with --data.test PATH)" if self.files["train"] is not None else ""
            raise DataError(f"no {split!r} split in dataset {self.dataset!r}{hint}")
        ds = self._datasets[split]
        sampler = None
        if train:
            sampler = EpochSeededSampler(len(ds), seed=run_seed())
        return DataLoader(
            ds,
            batch_size=self.batch_size if train else self.eval_batch_size,
            sampler=sampler,
            collate_fn=identity_collate,
            num_workers=0,
            # own generator: creating an iterator must not draw from the global RNG, which drives dropout
            # and the loss-net samples (resumed runs restore that RNG and must see the same stream)
            generator=torch.Generator(),
        )
