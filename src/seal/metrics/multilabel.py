"""Multi-label classification metrics as ``torchmetrics.Metric`` classes (accumulate with ``update``,
reduce with ``compute``).

Each class declares its states with ``add_state(..., dist_reduce_fx=...)``, so they synchronise under
DDP and follow ``.to(device)``; ``update`` only accumulates and ``compute`` is a pure function of the
states. The maths lives in the functional twins, :mod:`seal.metrics.functional`, which state the
conventions (threshold ``>= 0.5``; empty/empty row = 1; undefined AP left out and counted; macro-F1
``zero_division``). Source: ``seal-method.md`` E, H.14 (SEAL repository ``seal/metrics``).

Inputs everywhere: ``probs`` ``(B, L)`` float probabilities (AP metrics accept any real scores) and
``target`` ``(B, L)`` in {0, 1} (bool, int or float). States that hold sums of real values are float64
(float arithmetic on per-row values stays exact enough over millions of rows); counts are int64.
float64 states cannot live on Apple MPS.

Metric keys produced by :class:`MultilabelMetrics`: ``example_f1``, ``micro_f1``, ``macro_f1``,
``hamming_loss``, ``map`` (per-example mAP, the SEAL paper's MAP), ``map_rows_left_out``, ``map_label``
(per-label macro mAP), ``map_labels_left_out``.
"""

from __future__ import annotations

from typing import Any, Literal

import torch
from torch import Tensor
from torchmetrics import Metric, MetricCollection
from torchmetrics.classification import MultilabelF1Score, MultilabelHammingDistance
from torchmetrics.utilities import rank_zero_warn
from torchmetrics.utilities.data import dim_zero_cat

from seal.metrics import functional as F
from seal.metrics.base import PerItemMean

__all__ = [
    "ExampleF1",
    "MicroF1",
    "MacroF1",
    "HammingLoss",
    "MeanAveragePrecision",
    "MultilabelMetrics",
    "multilabel_metrics",
]


class ExampleF1(PerItemMean):
    """Example-based (per-instance) F1 averaged over rows: SEAL's reported MLC "F1" (``fixed_f1``).

    Per row ``2 |P and G| / (|P| + |G|)`` with ``P = {l : prob_l >= threshold}``, 1.0 when both sets are
    empty; the result equals ``sklearn.metrics.f1_score(target, pred, average="samples",
    zero_division=1)`` (see :func:`seal.metrics.functional.example_f1_per_row`).

    States (from :class:`~seal.metrics.base.PerItemMean`): ``total`` (float64, sum of per-row F1) and
    ``count`` (int64), both summed across processes. ``compute()`` returns a float64 scalar (NaN, with
    torchmetrics' warning, before any update).

    Args:
        threshold: decision threshold (default 0.5, the paper's).
        validate_args: check shapes / values on every update (costs a device sync).
        **kwargs: passed to ``torchmetrics.Metric`` (e.g. ``sync_on_compute``, ``process_group``).
    """

    def per_item(self, probs: Tensor, target: Tensor) -> Tensor:
        """``(B,)`` per-row F1 of ``probs`` ``(B, L)`` against ``target`` ``(B, L)``."""
        return F.example_f1_per_row(probs, target, self.threshold, validate_args=self.validate_args)


def _binarized_inputs(
    probs: Tensor, target: Tensor, threshold: float, validate: bool, name: str
) -> tuple[Tensor, Tensor]:
    """(pred, target) as int64 {0,1} tensors with the project's ``prob >= threshold`` rule.

    torchmetrics thresholds floats with ``>`` (and applies a sigmoid to floats outside [0, 1]); passing
    integer predictions makes it use them as they are.
    """
    F._check_pair(probs, target, name, validate=validate)
    pred = F._binarize(probs, threshold, strict=False).long()
    return pred, (target != 0).long()


class _ThresholdedF1(MultilabelF1Score):
    """``MultilabelF1Score`` fed with the project's ``prob >= threshold`` predictions; ``_average`` set by subclasses."""

    _average: str = "micro"

    def __init__(
        self,
        num_labels: int,
        threshold: float = 0.5,
        zero_division: float = 1.0,
        validate_args: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            num_labels=num_labels,
            threshold=threshold,
            average=self._average,
            zero_division=zero_division,
            validate_args=validate_args,
            **kwargs,
        )

    def update(self, probs: Tensor, target: Tensor) -> None:
        """Accumulate a batch: ``probs`` ``(B, L)``, ``target`` ``(B, L)``."""
        pred, gold = _binarized_inputs(probs, target, self.threshold, self.validate_args, type(self).__name__)
        super().update(pred, gold)


class MicroF1(_ThresholdedF1):
    """Micro-averaged F1 over all (row, label) entries, wrapping ``torchmetrics``' ``MultilabelF1Score``.

    Equals ``sklearn.metrics.f1_score(target, prob >= threshold, average="micro",
    zero_division=zero_division)``. States: per-label ``tp, fp, tn, fn`` (int64, summed).

    Args:
        num_labels: ``L``.
        threshold: a label is predicted iff ``prob >= threshold``.
        zero_division: value when there is no gold and no predicted positive at all (0 or 1; default 1).
        validate_args: check inputs on every update.
    """

    _average = "micro"


class MacroF1(_ThresholdedF1):
    """Macro-averaged F1: unweighted mean over all ``L`` labels (wraps ``MultilabelF1Score``).

    A label with no gold and no predicted positive scores ``zero_division`` (default **1.0**, the
    empty/empty rule; scikit-learn's default behaves as 0); labels are never dropped. Equals
    ``sklearn.metrics.f1_score(target, prob >= threshold, average="macro", zero_division=zero_division)``.
    Arguments as :class:`MicroF1`.
    """

    _average = "macro"


class HammingLoss(MultilabelHammingDistance):
    """Hamming loss: fraction of wrong (row, label) entries, lower is better (wraps
    ``MultilabelHammingDistance(average="micro")``). Equals ``sklearn.metrics.hamming_loss``.

    Args:
        num_labels: ``L``.
        threshold: a label is predicted iff ``prob >= threshold``.
        validate_args: check inputs on every update.
    """

    def __init__(self, num_labels: int, threshold: float = 0.5, validate_args: bool = True, **kwargs: Any) -> None:
        super().__init__(
            num_labels=num_labels, threshold=threshold, average="micro", validate_args=validate_args, **kwargs
        )

    def update(self, probs: Tensor, target: Tensor) -> None:
        """Accumulate a batch: ``probs`` ``(B, L)``, ``target`` ``(B, L)``."""
        pred, gold = _binarized_inputs(probs, target, self.threshold, self.validate_args, type(self).__name__)
        super().update(pred, gold)


class MeanAveragePrecision(Metric):
    """Mean average precision, per example (SEAL's "MAP") or per label, leaving undefined APs out.

    * ``average="example"``: AP of each row (ranking its ``L`` labels), averaged over the rows that have
      a positive label. Cheap states: ``ap_sum`` (float64), ``n_defined``, ``n_left_out`` (int64), summed.
    * ``average="label"``: AP of each label column (ranking all rows seen), averaged over the labels that
      have a positive. Needs every score: states ``scores`` / ``target`` are lists concatenated across
      batches and processes (``dist_reduce_fx="cat"``), ``O(N L)`` memory, like any exact ranking metric.

    APs match ``sklearn.metrics.average_precision_score`` exactly (ties included); unlike scikit-learn's
    ``average="samples"/"macro"``, rows/labels without a positive are **left out and counted**, never
    counted as 0 and never NaN (case B10).

    Reading the left-out count (choose one):

    * ``compute_with_count()`` -> ``(mean, n_left_out)`` (a float64 scalar tensor and an ``int``),
      synchronised across processes like ``compute()``;
    * ``return_left_out=True``: ``compute()`` returns a dict ``{"map": mean, "map_rows_left_out": n}``
      (``average="example"``) or ``{"map_label": mean, "map_labels_left_out": n}`` (``average="label"``),
      with the count as a float64 tensor so it can be logged; inside a ``MetricCollection`` these keys
      appear flattened. With ``return_left_out=False`` (default) ``compute()`` returns the mean only.

    The mean is NaN (with a warning) only when every row/label was left out.

    Args:
        average: ``"example"`` or ``"label"``.
        return_left_out: see above.
        validate_args: check inputs on every update.
    """

    is_differentiable = False
    higher_is_better = True
    full_state_update = False

    def __init__(
        self,
        average: Literal["example", "label"] = "example",
        return_left_out: bool = False,
        validate_args: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if average not in ("example", "label"):
            raise ValueError(f"average must be 'example' or 'label', got {average!r}")
        self.average = average
        self.return_left_out = bool(return_left_out)
        self.validate_args = bool(validate_args)
        if average == "example":
            self.add_state("ap_sum", torch.tensor(0.0, dtype=torch.float64), dist_reduce_fx="sum")
            self.add_state("n_defined", torch.tensor(0, dtype=torch.long), dist_reduce_fx="sum")
            self.add_state("n_left_out", torch.tensor(0, dtype=torch.long), dist_reduce_fx="sum")
        else:
            self.add_state("scores", [], dist_reduce_fx="cat")
            self.add_state("target", [], dist_reduce_fx="cat")

    @property
    def keys(self) -> tuple[str, str]:
        """Names of the mean and of the left-out count in ``compute()``'s dict."""
        if self.average == "example":
            return "map", "map_rows_left_out"
        return "map_label", "map_labels_left_out"

    def update(self, scores: Tensor, target: Tensor) -> None:
        """Accumulate a batch: ``scores`` ``(B, L)`` (probabilities or logits), ``target`` ``(B, L)``."""
        F._check_pair(scores, target, type(self).__name__, validate=self.validate_args)
        if self.average == "example":
            ap = F._average_precision_rows(scores, target)
            defined = ~torch.isnan(ap)
            self.ap_sum += torch.where(defined, ap, torch.zeros_like(ap)).sum().to(self.ap_sum.dtype)
            n_def = defined.sum()
            self.n_defined += n_def
            self.n_left_out += ap.numel() - n_def
        else:
            self.scores.append(scores.detach())
            self.target.append((target != 0).to(torch.uint8))

    def _mean_and_count(self) -> tuple[Tensor, Tensor]:
        if self.average == "example":
            n_def = self.n_defined
            mean = self.ap_sum / n_def.clamp(min=1).to(self.ap_sum.dtype)
            mean = torch.where(n_def > 0, mean, torch.full_like(mean, float("nan")))
            left_out = self.n_left_out
        else:
            if isinstance(self.scores, list) and len(self.scores) == 0:
                nan = torch.tensor(float("nan"), dtype=torch.float64, device=self.device)
                return nan, torch.tensor(0, dtype=torch.long, device=self.device)
            scores = dim_zero_cat(self.scores)
            target = dim_zero_cat(self.target)
            ap = F._average_precision_rows(scores.t(), target.t())
            defined = ~torch.isnan(ap)
            n_def = defined.sum()
            mean = torch.where(defined, ap, torch.zeros_like(ap)).sum() / n_def.clamp(min=1).to(ap.dtype)
            mean = torch.where(n_def > 0, mean, torch.full_like(mean, float("nan")))
            left_out = ap.numel() - n_def
        if bool(torch.isnan(mean)):
            rank_zero_warn(
                f"{type(self).__name__}(average={self.average!r}): no row/label with a positive; "
                "mean AP is undefined (NaN).",
                UserWarning,
            )
        return mean, left_out

    def compute(self) -> Tensor | dict[str, Tensor]:
        """The mean AP (float64 scalar), or the dict described in the class docstring."""
        mean, left_out = self._mean_and_count()
        if not self.return_left_out:
            return mean
        mean_key, count_key = self.keys
        return {mean_key: mean, count_key: left_out.to(torch.float64)}

    def compute_with_count(self) -> tuple[Tensor, int]:
        """``(mean, n_left_out)``, synchronised across processes like ``compute()``."""
        with self.sync_context(
            dist_sync_fn=self.dist_sync_fn,
            should_sync=getattr(self, "_to_sync", True),
            should_unsync=getattr(self, "_should_unsync", True),
        ):
            mean, left_out = self._mean_and_count()
            return mean.clone(), int(left_out)


class MultilabelMetrics(MetricCollection):
    """All multi-label metrics of the project in one ``MetricCollection``.

    ``compute()`` returns a dict with exactly the keys ``example_f1``, ``micro_f1``, ``macro_f1``,
    ``hamming_loss``, ``map`` (per-example mAP, the SEAL paper's MAP), ``map_rows_left_out``,
    ``map_label`` (per-label macro mAP), ``map_labels_left_out`` (each prefixed by ``prefix``).
    Inputs of ``update(probs, target)``: probabilities ``(B, L)`` float and targets ``(B, L)`` int/bool.
    F1/Hamming use ``prob >= threshold``; AP uses the probabilities as scores.

    Args:
        num_labels: ``L``.
        threshold: decision threshold for the F1 / Hamming metrics (default 0.5).
        zero_division: micro/macro-F1 value of an all-empty label (default 1.0; see :class:`MacroF1`).
        prefix, postfix: added to every key (e.g. ``prefix="val/"``).
        validate_args: check inputs on every update.
    """

    def __init__(
        self,
        num_labels: int,
        threshold: float = 0.5,
        zero_division: float = 1.0,
        prefix: str | None = None,
        postfix: str | None = None,
        validate_args: bool = True,
    ) -> None:
        va = validate_args
        super().__init__(
            {
                "example_f1": ExampleF1(threshold, validate_args=va),
                "micro_f1": MicroF1(num_labels, threshold, zero_division, validate_args=va),
                "macro_f1": MacroF1(num_labels, threshold, zero_division, validate_args=va),
                "hamming_loss": HammingLoss(num_labels, threshold, validate_args=va),
                "map": MeanAveragePrecision("example", return_left_out=True, validate_args=va),
                "map_label": MeanAveragePrecision("label", return_left_out=True, validate_args=va),
            },
            prefix=prefix,
            postfix=postfix,
        )


def multilabel_metrics(
    num_labels: int, prefix: str = "", threshold: float = 0.5, zero_division: float = 1.0
) -> MultilabelMetrics:
    """Shorthand for ``MultilabelMetrics(num_labels, threshold, zero_division, prefix=prefix or None)``."""
    return MultilabelMetrics(num_labels, threshold=threshold, zero_division=zero_division, prefix=prefix or None)
