"""Binary segmentation metrics as ``torchmetrics.Metric`` classes.

A pixel is foreground iff its probability is ``> threshold`` (default 0.5; exactly 0.5 is background,
as SEAL's ``seg_iou``). IoU is computed per image and averaged over images, with an empty gold mask and
an empty predicted mask scoring **1.0** (SEAL gives NaN there; case B12). Source: ``seal-method.md`` E,
H.15. Functional twins: :func:`seal.metrics.functional.mean_iou`, :func:`~seal.metrics.functional.pixel_accuracy`.

Inputs: ``probs`` ``(B, H, W)`` foreground probabilities (any ``(B, ...)`` shape, e.g. ``(B, 1, H, W)``;
boolean / {0,1} masks are used as they are) and ``target`` of the same shape in {0, 1}.
"""

from __future__ import annotations

from typing import Any

from torch import Tensor
from torchmetrics import MetricCollection
from torchmetrics.classification import BinaryAccuracy

from seal.metrics import functional as F
from seal.metrics.base import PerItemMean

__all__ = ["MeanIoU", "PixelAccuracy", "SegmentationMetrics"]


class MeanIoU(PerItemMean):
    """Mean over images of the per-image IoU (empty/empty = 1).

    States (from :class:`~seal.metrics.base.PerItemMean`): ``total`` (float64, sum of per-image IoU) and
    ``count`` (int64), summed across processes. ``compute()`` returns a float64 scalar.

    Args:
        threshold: a pixel is foreground iff ``prob > threshold``.
        validate_args: check inputs on every update.
    """

    def per_item(self, probs: Tensor, target: Tensor) -> Tensor:
        """``(B,)`` per-image IoU."""
        return F.iou_per_image(probs, target, self.threshold, validate_args=self.validate_args)


class PixelAccuracy(BinaryAccuracy):
    """Fraction of correctly classified pixels over all images (wraps ``torchmetrics``' ``BinaryAccuracy``
    with this project's ``prob > threshold`` rule applied before it). States: ``tp, fp, tn, fn`` (int64).

    Args:
        threshold: a pixel is foreground iff ``prob > threshold``.
        validate_args: check inputs on every update.
    """

    def __init__(self, threshold: float = 0.5, validate_args: bool = True, **kwargs: Any) -> None:
        super().__init__(threshold=threshold, validate_args=validate_args, **kwargs)

    def update(self, probs: Tensor, target: Tensor) -> None:
        """Accumulate a batch of masks ``(B, ...)``."""
        F._check_pair(probs, target, type(self).__name__, ndim=None, validate=self.validate_args)
        pred = F._binarize(probs, self.threshold, strict=True).long()
        super().update(pred, (target != 0).long())


class SegmentationMetrics(MetricCollection):
    """``MetricCollection`` with keys ``mean_iou`` and ``pixel_accuracy`` (plus ``prefix`` / ``postfix``)."""

    def __init__(
        self,
        threshold: float = 0.5,
        prefix: str | None = None,
        postfix: str | None = None,
        validate_args: bool = True,
    ) -> None:
        super().__init__(
            {
                "mean_iou": MeanIoU(threshold, validate_args=validate_args),
                "pixel_accuracy": PixelAccuracy(threshold, validate_args=validate_args),
            },
            prefix=prefix,
            postfix=postfix,
        )
