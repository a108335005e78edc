"""Shared base for metrics that average a per-item value (per row, per image) over all items seen."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor
from torchmetrics import Metric

__all__ = ["PerItemMean"]


class PerItemMean(Metric):
    """Mean over items of a per-item value computed by :meth:`per_item` (``(B, ...)`` inputs -> ``(B,)``).

    States: ``total`` (float64, sum of per-item values) and ``count`` (int64), both summed across
    processes. ``compute()`` returns a float64 scalar (NaN, with torchmetrics' warning, before any update).

    Args:
        threshold: decision threshold handed to :meth:`per_item`.
        validate_args: check shapes / values on every update (costs a device sync).
        **kwargs: passed to ``torchmetrics.Metric`` (e.g. ``sync_on_compute``, ``process_group``).
    """

    is_differentiable = False
    higher_is_better = True
    full_state_update = False

    def __init__(self, threshold: float = 0.5, validate_args: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.threshold = float(threshold)
        self.validate_args = bool(validate_args)
        self.add_state("total", torch.tensor(0.0, dtype=torch.float64), dist_reduce_fx="sum")
        self.add_state("count", torch.tensor(0, dtype=torch.long), dist_reduce_fx="sum")

    def per_item(self, probs: Tensor, target: Tensor) -> Tensor:
        """``(B,)`` per-item values; subclasses implement it."""
        raise NotImplementedError

    def update(self, probs: Tensor, target: Tensor) -> None:
        """Accumulate a batch of ``B`` items."""
        values = self.per_item(probs, target)
        self.total += values.sum().to(self.total.dtype)
        self.count += values.numel()

    def compute(self) -> Tensor:
        """Mean per-item value over all items seen (float64 scalar)."""
        return self.total / self.count
