"""Moved: the DataModules now live in their task folders; kept so that existing imports (and configs naming
``seal.data.datamodule.MultiLabelDataModule``) keep working.

* :mod:`seal.tasks.mlc_features.datamodule` -- :class:`MultiLabelDataModule`, :class:`MultiLabelArrays`;
* :mod:`seal.tasks.segmentation.datamodule` -- :class:`WeizmannDataModule`, :class:`SegmentationArrays`,
  :class:`CropEpochSampler`;
* :mod:`seal.data.batches` -- :class:`EpochSeededSampler`, :class:`FromArraysMixin` (shared by both);
* :mod:`seal.data.errors` -- :class:`DataError`.

This module defines nothing and nothing in seal imports it.
"""

from seal.data.batches import *  # noqa: F403
from seal.data.batches import EpochSeededSampler, FromArraysMixin  # noqa: F401
from seal.data.errors import DataError  # noqa: F401
from seal.tasks.mlc_features.datamodule import *  # noqa: F403
from seal.tasks.mlc_features.datamodule import MultiLabelArrays, MultiLabelDataModule  # noqa: F401
from seal.tasks.segmentation.datamodule import *  # noqa: F403
from seal.tasks.segmentation.datamodule import CropEpochSampler, SegmentationArrays, WeizmannDataModule  # noqa: F401

__all__ = [
    "CropEpochSampler",
    "DataError",
    "EpochSeededSampler",
    "FromArraysMixin",
    "MultiLabelArrays",
    "MultiLabelDataModule",
    "SegmentationArrays",
    "WeizmannDataModule",
]
