"""Moved to :mod:`seal.tasks.segmentation.module` (the segmentation task folder); kept so that existing imports keep
working.

New code imports from :mod:`seal.tasks.segmentation.module`.
"""

from seal.tasks.segmentation.module import *  # noqa: F403
from seal.tasks.segmentation.module import (  # noqa: F401
    SEG_METHODS,
    SEGMENTATION_METHODS,
    SegmentationModule,
    get_seg_method,
    resolve_pretrained,
)

__all__ = [
    "get_seg_method",
    "resolve_pretrained",
    "SEG_METHODS",
    "SEGMENTATION_METHODS",
    "SegmentationModule",
]
