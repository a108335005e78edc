"""Compatibility module: the names that ``seal.data.registry`` used to define, re-exported from their homes.

New code imports from the module that owns a name:

* :mod:`seal.data.catalogue` -- the dataset catalogue (``catalogue.toml``) and the registry on top of it:
  :class:`DatasetSpec`, :class:`DataFile`, :class:`ReaderOptions`, ``PROTOCOLS``, :func:`get_spec`,
  :func:`dataset_names`, :func:`register_dataset`, :func:`unregister_dataset`;
* :mod:`seal.data.errors` -- :class:`DatasetError`, :class:`DatasetNotFoundError`, :class:`UnknownDatasetError`;
* :mod:`seal.data.locate` -- finding, verifying and fetching files: :func:`locate_files`,
  :func:`verify_dataset`, :func:`fetch_dataset`, :func:`is_available`, :class:`FileStatus`;
* :mod:`seal.data.load` -- :func:`load_dataset`, :class:`MultiLabelDataset`, :func:`clear_cache`;
* :mod:`seal.tasks.segmentation.data` -- :func:`load_segmentation_dataset`;
* :mod:`seal.data.download` -- :class:`DownloadError`, :class:`ChecksumMismatchError`.

This module defines nothing and nothing in :mod:`seal.data` imports it.
"""

from __future__ import annotations

from seal.data.catalogue import (
    PROTOCOLS,
    SPLIT_NAMES,
    DataFile,
    DatasetSpec,
    ReaderOptions,
    dataset_names,
    get_spec,
    register_dataset,
    unregister_dataset,
)
from seal.data.download import ChecksumMismatchError, DownloadError
from seal.data.errors import DatasetError, DatasetNotFoundError, UnknownDatasetError
from seal.data.load import MultiLabelDataset, clear_cache, load_dataset
from seal.data.locate import FileStatus, fetch_dataset, is_available, locate_files, verify_dataset
from seal.tasks.segmentation.data import load_segmentation_dataset

__all__ = [
    "ChecksumMismatchError",
    "DataFile",
    "DatasetError",
    "DatasetNotFoundError",
    "DatasetSpec",
    "DownloadError",
    "FileStatus",
    "MultiLabelDataset",
    "PROTOCOLS",
    "ReaderOptions",
    "SPLIT_NAMES",
    "UnknownDatasetError",
    "clear_cache",
    "dataset_names",
    "fetch_dataset",
    "get_spec",
    "is_available",
    "load_dataset",
    "load_segmentation_dataset",
    "locate_files",
    "register_dataset",
    "unregister_dataset",
    "verify_dataset",
]
