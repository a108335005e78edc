"""Moved to :mod:`seal.tasks.segmentation.data` (the segmentation task folder); kept so that existing imports keep
working. Catalogues that name ``seal.data.weizmann:fetch_converted`` as a ``fetcher`` still work.

New code imports from :mod:`seal.tasks.segmentation.data`.
"""

from seal.tasks.segmentation.data import *  # noqa: F403
from seal.tasks.segmentation.data import (  # noqa: F401
    CROP_SIZE,
    EVAL_OFFSETS,
    NPY_SOURCES,
    SPLITS,
    RestrictedUnpickler,
    SegmentationDataset,
    SegmentationSplit,
    UnsafePickleError,
    WeizmannDataError,
    average_crops,
    convert_npy_to_npz,
    crop_offsets_36,
    describe_dataset,
    extract_crops,
    fetch_converted,
    load_npy_restricted,
    load_npy_split,
    load_segmentation_dataset,
    npz_bytes,
    predict_36_crops,
    random_crop_offsets,
    read_npz,
    restricted_loads,
    validate_arrays,
)

__all__ = [
    "average_crops",
    "convert_npy_to_npz",
    "crop_offsets_36",
    "CROP_SIZE",
    "describe_dataset",
    "EVAL_OFFSETS",
    "extract_crops",
    "fetch_converted",
    "load_npy_restricted",
    "load_npy_split",
    "load_segmentation_dataset",
    "NPY_SOURCES",
    "npz_bytes",
    "predict_36_crops",
    "random_crop_offsets",
    "read_npz",
    "restricted_loads",
    "RestrictedUnpickler",
    "SegmentationDataset",
    "SegmentationSplit",
    "SPLITS",
    "UnsafePickleError",
    "validate_arrays",
    "WeizmannDataError",
]
