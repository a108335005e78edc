"""What the DataModules of seal share: the run's seed, the epoch-seeded sampler, the four loader methods over one
``_loader(split, train)``, ``from_arrays`` and the identity collate.

Datasets here return whole batches from ``Dataset.__getitems__`` (one indexing operation per batch), so the
DataLoaders collate with :func:`identity_collate`. The task DataModules (feature MLC:
:class:`seal.tasks.mlc_features.datamodule.MultiLabelDataModule`; segmentation:
:class:`seal.tasks.segmentation.datamodule.WeizmannDataModule`; text MLC and SRL) build on these pieces.
"""

from __future__ import annotations

import os

import torch

__all__ = ["EpochSeededSampler", "FromArraysMixin", "SplitLoadersMixin", "identity_collate", "run_seed"]


def run_seed() -> int:
    """The run's seed as Lightning's ``seed_everything`` publishes it (``PL_GLOBAL_SEED``; 0 when unset)."""
    return int(os.environ.get("PL_GLOBAL_SEED", "0"))


def identity_collate(batch):
    """The DataLoader ``collate_fn`` of datasets whose ``__getitems__`` already returns a batch."""
    return batch


class EpochSeededSampler(torch.utils.data.Sampler):
    """Random permutation drawn from ``(seed, epoch)`` alone.

    Unlike a ``RandomSampler`` that draws from the global RNG, the order of epoch ``e`` does not depend on
    what happened before it, so a run resumed from a checkpoint sees exactly the batches the uninterrupted
    run saw. Lightning calls :meth:`set_epoch` at the start of every epoch.
    """

    def __init__(self, n: int, seed: int = 0) -> None:
        self.n = n
        self.seed = seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return self.n

    def __iter__(self):
        g = torch.Generator().manual_seed(self.seed * 1_000_003 + self.epoch)
        return iter(torch.randperm(self.n, generator=g).tolist())


class FromArraysMixin:
    """``from_arrays``: build a DataModule over in-memory splits instead of a registry dataset.

    The subclass's ``__init__`` must read ``self._arrays`` (``getattr(self, "_arrays", None)``) before loading,
    and ``arrays.name`` becomes its ``dataset``.
    """

    @classmethod
    def from_arrays(cls, arrays, **kwargs):
        """A DataModule over ``arrays`` (``MultiLabelArrays`` or ``SegmentationArrays``); ``kwargs`` go to
        ``__init__`` (used by :class:`seal.SEALClassifier`, tests and notebooks)."""
        self = cls.__new__(cls)
        self._arrays = arrays
        cls.__init__(self, dataset=arrays.name, **kwargs)
        return self


class SplitLoadersMixin:
    """The four Lightning loader methods over one ``_loader(split, train)``: shuffled ``"train"``, and ``"val"``,
    ``"test"`` (also for ``predict``) in order."""

    def train_dataloader(self):
        return self._loader("train", True)

    def val_dataloader(self):
        return self._loader("val", False)

    def test_dataloader(self):
        return self._loader("test", False)

    def predict_dataloader(self):
        return self._loader("test", False)
