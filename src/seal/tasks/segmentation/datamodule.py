"""The LightningDataModule of binary image segmentation: :class:`WeizmannDataModule` (Weizmann horses).

:class:`WeizmannDataModule` loads a segmentation dataset
(:func:`seal.tasks.segmentation.data.load_segmentation_dataset`), your own ``.npz`` files
(``--data.train`` / ``--data.val`` / ``--data.test``: :func:`seal.tasks.segmentation.data.load_segmentation_files`)
or in-memory arrays (:class:`SegmentationArrays`) and serves random 24x24 training crops ``(x (B, 3, 24, 24), y (B, 24, 24))`` and
full evaluation images ``(x (B, 3, 32, 32), y (B, 32, 32))`` (crop rules in :mod:`seal.tasks.segmentation.data`).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import lightning as L
import torch
from torch.utils.data import DataLoader, Dataset

from seal.data.batches import EpochSeededSampler, FromArraysMixin, identity_collate, run_seed
from seal.data.errors import DataError
from seal.tasks.segmentation.data import (
    CROP_SIZE,
    VAL_FRACTION,
    SegmentationSplit,
    WeizmannDataError,
    coverage_problem,
    load_segmentation_dataset,
    load_segmentation_files,
    random_crop_offsets,
    validate_arrays,
)

__all__ = ["CropEpochSampler", "SegmentationArrays", "WeizmannDataModule"]


class _TrainCrops(Dataset):
    """Training images with one random crop per image per epoch (offsets from ``(seed, epoch)``)."""

    def __init__(self, x: torch.Tensor, y: torch.Tensor, crop: int, seed: int) -> None:
        self.x, self.y, self.crop, self.seed = x, y, crop, seed
        self.set_epoch(0)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)
        size = (int(self.x.shape[-2]), int(self.x.shape[-1]))
        self.offsets = random_crop_offsets(len(self.x), self.seed, self.epoch, size, self.crop)

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i: int):  # pragma: no cover - batched path is used
        return self.__getitems__([i])

    def __getitems__(self, idx: list[int]):
        c = self.crop
        xs, ys = [], []
        for i in idx:
            h, w = (int(v) for v in self.offsets[i])
            xs.append(self.x[i, :, h : h + c, w : w + c])
            ys.append(self.y[i, h : h + c, w : w + c])
        return torch.stack(xs), torch.stack(ys)


class _Full(Dataset):
    """Full-size images and masks (evaluation: the module crops and averages)."""

    def __init__(self, x: torch.Tensor, y: torch.Tensor) -> None:
        self.x, self.y = x, y

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i: int):  # pragma: no cover
        return self.__getitems__([i])

    def __getitems__(self, idx: list[int]):
        index = torch.as_tensor(idx, dtype=torch.long)
        return self.x.index_select(0, index), self.y.index_select(0, index)


class CropEpochSampler(EpochSeededSampler):
    """:class:`EpochSeededSampler` that also tells the crop dataset the epoch (Lightning calls ``set_epoch``)."""

    def __init__(self, dataset: _TrainCrops, seed: int = 0) -> None:
        super().__init__(len(dataset), seed)
        self.dataset = dataset

    def set_epoch(self, epoch: int) -> None:
        super().set_epoch(epoch)
        self.dataset.set_epoch(epoch)


@dataclass
class SegmentationArrays:
    """In-memory splits for :meth:`WeizmannDataModule.from_arrays`: ``{"train": SegmentationSplit, ...}``."""

    splits: dict[str, SegmentationSplit]
    name: str = "arrays"


class WeizmannDataModule(FromArraysMixin, L.LightningDataModule):
    """Serve Weizmann horses (or any registered segmentation dataset, or your own ``.npz`` files) to Lightning.

    Training batches are ``(x (B, 3, 24, 24), y (B, 24, 24))`` random crops; validation/test/predict
    batches are full images ``(x (B, 3, 32, 32), y (B, 32, 32))`` (the module does the 36-crop averaging), x in
    [0, 1], y in {0, 1}.

    Args:
        dataset: registry name (``weizmann_horse``); a path ending in ``.npz`` is taken as ``train``.
        data_dir: where to look for the files (default ``$SEAL_DATA_DIR``, then the user cache).
        batch_size: training batch size (the paper uses 8).
        eval_batch_size: images per validation/test batch (x36 crops each).
        crop_size: training / evaluation crop size (24); must equal the module's ``crop_size``. Every image must
            be ``crop_size + 8`` pixels a side (32), the canvas the 36 evaluation crops cover exactly.
        crop_seed: seed of the training crops; ``None`` = the run's seed (``PL_GLOBAL_SEED``).
        download: allow fetching (and converting) missing files into the user cache.
        train: your own training file instead of a registered dataset: a ``.npz`` with ``images`` uint8
            ``(N, H, W, 3)`` and ``masks`` ``(N, H, W)`` of 0/1, read and checked as the catalogue's files are
            (:func:`seal.tasks.segmentation.data.read_npz`). The sizes are printed (stderr).
        val: your own validation file; without it ``val_fraction`` of ``train`` is carved as validation
            (a random permutation with seed ``split_seed``).
        test: your own test file; without it there is no test split and ``seal fit`` skips the test.
        val_fraction: share of ``train`` carved as validation without ``val`` (default 0.2: 40 of 200 images, as
            the catalogue split).
        split_seed: seed of that carve (default 0; independent of the training seed).

    Raises:
        WeizmannDataError: bad files or arrays, an empty split, images the evaluation does not cover (the
            message names file and array).
        ValueError: ``val`` / ``test`` without ``train``; ``val_fraction`` / ``split_seed`` set where nothing is
            carved.
        seal.data.errors.DatasetNotFoundError: unknown dataset or missing files;
        seal.data.locate.DownloadFailedError: missing files whose download failed (one line: files, directories).
    """

    def __init__(
        self,
        dataset: str = "weizmann_horse",
        data_dir: str | None = None,
        batch_size: int = 8,
        eval_batch_size: int = 32,
        crop_size: int = CROP_SIZE,
        crop_seed: int | None = None,
        download: bool = True,
        train: str | None = None,
        val: str | None = None,
        test: str | None = None,
        val_fraction: float = VAL_FRACTION,
        split_seed: int = 0,
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        if batch_size < 1 or eval_batch_size < 1:
            raise ValueError(f"batch sizes must be >= 1, got {batch_size}, {eval_batch_size}")
        if train is None and str(dataset).lower().endswith(".npz"):  # a file given as --data.dataset
            train = dataset
        self.dataset = dataset
        self.data_dir = data_dir
        self.batch_size = int(batch_size)
        self.eval_batch_size = int(eval_batch_size)
        self.crop_size = int(crop_size)
        self.crop_seed = crop_seed
        self.download = download
        self.files = {"train": train, "val": val, "test": test}
        self.val_fraction = float(val_fraction)
        self.split_seed = int(split_seed)
        self._arrays: SegmentationArrays | None = getattr(self, "_arrays", None)
        if train is None and (val is not None or test is not None):
            raise ValueError("--data.val / --data.test need --data.train (your own training file)")
        carves = train is not None and val is None
        if not carves and (self.val_fraction != VAL_FRACTION or self.split_seed != 0):
            raise ValueError("--data.val_fraction / --data.split_seed apply only when a validation split is carved "
                             "from --data.train (your own training file, without --data.val)")
        self._tensors: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}
        self.info: dict = {}
        self._prepare()

    def _prepare(self) -> None:
        notes: list[str] = []
        if self._arrays is not None:
            splits = self._arrays.splits
        elif self.files["train"] is not None:
            ds = load_segmentation_files(self.files["train"], self.files["val"], self.files["test"],
                                         val_fraction=self.val_fraction, split_seed=self.split_seed)
            splits, notes, self.dataset = ds.splits, ds.notes, ds.name
        else:
            ds = load_segmentation_dataset(self.dataset, data_dir=self.data_dir, download=self.download)
            splits = ds.splits
        size = first = None
        for name, split in splits.items():
            images, masks = validate_arrays(split.images, split.masks, split.source)
            if len(images) == 0:
                raise WeizmannDataError(f"{split.source}: split {name!r} is empty")
            if size is None:
                size, first = images.shape[1:3], split.source
            elif images.shape[1:3] != size:
                raise WeizmannDataError(
                    f"{split.source}: images are {images.shape[1]}x{images.shape[2]}, those of {first} are "
                    f"{size[0]}x{size[1]}; every split must have one image size"
                )
            if min(size) < self.crop_size:
                raise WeizmannDataError(f"{split.source}: images {size} are smaller than the crop size {self.crop_size}")
            problem = coverage_problem(tuple(int(v) for v in size), self.crop_size)
            if problem:
                raise WeizmannDataError(f"{split.source}: {problem}")
            self._tensors[name] = SegmentationSplit(images, masks, split.source).tensors()
        self.image_size = tuple(int(s) for s in size)
        self.info = {k: len(v[0]) for k, v in self._tensors.items()}
        if self.files["train"] is not None and self._arrays is None:
            sizes = ", ".join(f"{k} {v}" for k, v in self.info.items())
            carve_and_test = [n for n in notes[1:] if not n.startswith("validation: ")]  # the file names are given
            print(f"seal: segmentation data from your files: {self.image_size[0]}x{self.image_size[1]} RGB images, "
                  + "; ".join([sizes, *carve_and_test]), file=sys.stderr, flush=True)

    @property
    def has_test(self) -> bool:
        """Whether there is a test split (your own files without ``test`` have none: ``seal fit`` skips the test)."""
        return "test" in self._tensors

    def _seed(self) -> int:
        if self.crop_seed is not None:
            return int(self.crop_seed)
        return run_seed()

    def _split(self, split: str) -> tuple[torch.Tensor, torch.Tensor]:
        if split not in self._tensors:
            hint = " (give your test file with --data.test PATH)" if self.files["train"] is not None else ""
            raise DataError(f"no {split!r} split in dataset {self.dataset!r}{hint}")
        return self._tensors[split]

    def train_dataloader(self) -> DataLoader:
        x, y = self._split("train")
        ds = _TrainCrops(x, y, self.crop_size, self._seed())
        return DataLoader(
            ds, batch_size=self.batch_size, sampler=CropEpochSampler(ds, self._seed()), collate_fn=identity_collate,
            num_workers=0, generator=torch.Generator(),
        )

    def _eval_loader(self, split: str) -> DataLoader:
        x, y = self._split(split)
        return DataLoader(_Full(x, y), batch_size=self.eval_batch_size, shuffle=False, collate_fn=identity_collate, num_workers=0)

    def val_dataloader(self) -> DataLoader:
        return self._eval_loader("val")

    def test_dataloader(self) -> DataLoader:
        return self._eval_loader("test")

    def predict_dataloader(self) -> DataLoader:
        return self._eval_loader("test")

    def split_tensors(self, split: str) -> tuple[torch.Tensor, torch.Tensor]:
        """``(x (N, 3, H, W), y (N, H, W))`` of a split."""
        return self._split(split)
