"""Evaluation metrics: ``torchmetrics``-style classes (``update`` / ``compute``) and functional twins.

Multi-label (:mod:`seal.metrics.multilabel`): :class:`ExampleF1` (the SEAL paper's "F1"),
:class:`MicroF1`, :class:`MacroF1`, :class:`HammingLoss`, :class:`MeanAveragePrecision` (per example =
the paper's "MAP", or per label) and :class:`MultilabelMetrics` (all of them in one collection).
Segmentation (:mod:`seal.metrics.segmentation`): :class:`MeanIoU`, :class:`PixelAccuracy`,
:class:`SegmentationMetrics`. The maths and conventions live in :mod:`seal.metrics.functional`.
The one-paragraph statements of the conventions, printed next to results, are :data:`MULTILABEL_CONVENTIONS` and
:data:`SEGMENTATION_CONVENTIONS` (SRL's is :data:`seal.tasks.srl.metrics.SRL_CONVENTIONS`); each task names its own
in the task registry (:attr:`seal.tasks.Task.conventions`); :data:`CONVENTIONS` is the older multi-label +
segmentation paragraph.
"""

from __future__ import annotations

from seal.metrics import functional
from seal.metrics.functional import (
    average_precision_per_row,
    example_f1,
    example_f1_per_row,
    hamming_loss,
    iou_per_image,
    macro_f1,
    map_per_example,
    map_per_label,
    mean_iou,
    micro_f1,
    pixel_accuracy,
    tune_threshold,
)
from seal.metrics.multilabel import (
    ExampleF1,
    HammingLoss,
    MacroF1,
    MeanAveragePrecision,
    MicroF1,
    MultilabelMetrics,
    multilabel_metrics,
)
from seal.metrics.segmentation import MeanIoU, PixelAccuracy, SegmentationMetrics

#: The multi-label metric conventions (feature and text multi-label classification), printed under their results.
MULTILABEL_CONVENTIONS = (
    "Metric conventions: multi-label predictions are prob >= 0.5; example-F1 is averaged over rows and a "
    "row with empty gold and empty prediction scores 1.0 (sklearn f1_score average='samples', "
    "zero_division=1); micro/macro-F1 give a label (or dataset) with no gold and no predicted positive "
    "the value 1.0; map = per-example mAP (the SEAL paper's MAP), map_label = per-label macro mAP, and "
    "rows/labels without any positive are left out of those means and counted in map_rows_left_out / "
    "map_labels_left_out."
)

#: The segmentation metric conventions (Weizmann horses), printed under its results.
SEGMENTATION_CONVENTIONS = (
    "Metric conventions: segmentation predictions are the foreground probabilities of the 36 crops averaged "
    "over the full 32x32 image; foreground is prob > 0.5 (0.5 is background), IoU is per image averaged over "
    "images, and an empty gold mask with an empty prediction scores 1.0."
)

#: Multi-label and segmentation conventions in one paragraph, as results were annotated before each task stated
#: its own (:attr:`seal.tasks.Task.conventions`); kept for the callers that print it.
CONVENTIONS = (
    "Metric conventions: multi-label predictions are prob >= 0.5; example-F1 is averaged over rows and a "
    "row with empty gold and empty prediction scores 1.0 (sklearn f1_score average='samples', "
    "zero_division=1); micro/macro-F1 give a label (or dataset) with no gold and no predicted positive "
    "the value 1.0; map = per-example mAP (the SEAL paper's MAP), map_label = per-label macro mAP, and "
    "rows/labels without any positive are left out of those means and counted in map_rows_left_out / "
    "map_labels_left_out; segmentation foreground is prob > 0.5 (0.5 is background), IoU is per image "
    "averaged over images, and an empty gold mask with an empty prediction scores 1.0."
)

__all__ = [
    "CONVENTIONS",
    "MULTILABEL_CONVENTIONS",
    "SEGMENTATION_CONVENTIONS",
    "ExampleF1",
    "HammingLoss",
    "MacroF1",
    "MeanAveragePrecision",
    "MeanIoU",
    "MicroF1",
    "MultilabelMetrics",
    "PixelAccuracy",
    "SegmentationMetrics",
    "average_precision_per_row",
    "example_f1",
    "example_f1_per_row",
    "functional",
    "hamming_loss",
    "iou_per_image",
    "macro_f1",
    "map_per_example",
    "map_per_label",
    "mean_iou",
    "micro_f1",
    "multilabel_metrics",
    "pixel_accuracy",
    "tune_threshold",
]
