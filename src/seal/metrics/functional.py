"""Functional evaluation metrics for multi-label classification and binary segmentation.

These are the pure-tensor twins of the classes in :mod:`seal.metrics.multilabel` and
:mod:`seal.metrics.segmentation`; the classes accumulate, these compute. All functions take torch
tensors on any device and return tensors on the same device (plus a Python ``int`` count where stated).

Source: ``seal-method.md`` E and H.14/H.15 (SEAL repository ``seal/metrics``: ``MultilabelClassificationF1``,
``MultilabelClassificationMeanAvgPrecision``, ``SegIoU``), with the conventions fixed in ``cases/README.md``:

* **Binarisation.** Multi-label: a label is predicted iff ``prob >= threshold`` (SEAL: ``p >= 0.5``).
  Segmentation: a pixel is foreground iff ``prob > threshold``; a probability of exactly 0.5 is
  background (SEAL ``seg_iou``; case B12). Boolean or {0, 1} integer predictions are accepted as-is.
* **Empty/empty = 1.** A row (multi-label) or image (segmentation) whose gold set and predicted set are
  both empty scores 1.0 for example-F1 and IoU (cases B09, B12). An empty prediction against a non-empty
  gold set scores 0, and so does a non-empty prediction against an empty gold set.
* **Undefined averages are left out, and counted.** Average precision of a row (or label) with no
  positive is undefined: per-row functions return NaN for it, the ``map_*`` means leave it out and
  return how many were left out (case B10). When *every* row/label is undefined the mean is NaN.
* **Macro/micro F1 zero division.** A label with no gold and no predicted positive (F1 = 0/0) scores
  ``zero_division`` (default **1.0**, the empty/empty rule applied per label; scikit-learn's default
  behaves as 0). Labels are never dropped from the macro average (scikit-learn ``average="macro"``).
* **Precision.** Per-row/per-image values and averages are computed in float64 (float32 on Apple MPS,
  which has no float64).

Units: every score is a fraction in [0, 1] (not a percentage).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

__all__ = [
    "accumulation_dtype",
    "example_f1",
    "example_f1_per_row",
    "micro_f1",
    "macro_f1",
    "hamming_loss",
    "average_precision_per_row",
    "map_per_example",
    "map_per_label",
    "iou_per_image",
    "mean_iou",
    "pixel_accuracy",
    "tune_threshold",
]


# --------------------------------------------------------------------------------------------------
# helpers


def accumulation_dtype(device: torch.device | str) -> torch.dtype:
    """float64, except on devices without float64 support (Apple MPS), where float32 is used."""
    return torch.float32 if torch.device(device).type == "mps" else torch.float64


def _check_pair(preds: Tensor, target: Tensor, name: str, *, ndim: int | None = 2, validate: bool = True) -> None:
    if not isinstance(preds, Tensor) or not isinstance(target, Tensor):
        raise TypeError(f"{name}: expected torch tensors, got {type(preds).__name__} and {type(target).__name__}")
    if preds.shape != target.shape:
        raise ValueError(f"{name}: preds and target shapes differ: {tuple(preds.shape)} vs {tuple(target.shape)}")
    if ndim is not None and preds.dim() != ndim:
        raise ValueError(f"{name}: expected {ndim}-d inputs (B, L), got shape {tuple(preds.shape)}")
    if ndim is None and preds.dim() < 2:
        raise ValueError(f"{name}: expected inputs of shape (B, ...), got shape {tuple(preds.shape)}")
    if validate:
        if preds.is_floating_point() and not bool(torch.isfinite(preds).all()):
            raise ValueError(f"{name}: preds contain non-finite values (NaN or inf)")
        if target.dtype != torch.bool and not bool(((target == 0) | (target == 1)).all()):
            raise ValueError(f"{name}: target must contain only 0 and 1")
        if preds.dtype != torch.bool and not preds.is_floating_point():
            if not bool(((preds == 0) | (preds == 1)).all()):
                raise ValueError(f"{name}: integer preds must contain only 0 and 1 (pass probabilities as floats)")


def _binarize(preds: Tensor, threshold: float, *, strict: bool) -> Tensor:
    """Boolean predictions: ``preds >= threshold`` (``strict=False``) or ``preds > threshold``; bool/int as-is."""
    if preds.dtype == torch.bool:
        return preds
    if not preds.is_floating_point():
        return preds != 0
    return preds > threshold if strict else preds >= threshold


# --------------------------------------------------------------------------------------------------
# multi-label: F1 and Hamming


def example_f1_per_row(probs: Tensor, target: Tensor, threshold: float = 0.5, *, validate_args: bool = True) -> Tensor:
    """Per-row (example-based) F1 of the thresholded prediction.

    ``F1_i = 2 |P_i and G_i| / (|P_i| + |G_i|)`` with ``P_i = {l : probs[i, l] >= threshold}`` and
    ``G_i = {l : target[i, l] = 1}``; ``F1_i = 1`` when both sets are empty (case B09). This equals
    scikit-learn's binary ``f1_score(target[i], pred[i], zero_division=1)`` row by row, and the mean equals
    ``f1_score(target, pred, average="samples", zero_division=1)``: scikit-learn computes
    ``2 tp / (2 tp + fp + fn)`` and applies ``zero_division`` only when that denominator is 0, i.e. only
    for empty/empty rows (SEAL's own metric, ``seal-method.md`` E, gives 0 there with a warning; it never
    meets such rows because it drops them).

    Args:
        probs: label probabilities ``(B, L)`` (or boolean / {0,1} predictions).
        target: gold labels ``(B, L)`` in {0, 1} (bool, int or float).
        threshold: a label is predicted iff ``probs >= threshold``.
        validate_args: check shapes, finiteness and that target is binary (costs a device sync).

    Returns:
        ``(B,)`` per-row F1 in [0, 1], float64.
    """
    _check_pair(probs, target, "example_f1_per_row", validate=validate_args)
    pred = _binarize(probs, threshold, strict=False)
    gold = target != 0
    dtype = accumulation_dtype(probs.device)
    tp = (pred & gold).sum(dim=-1).to(dtype)
    den = pred.sum(dim=-1).to(dtype) + gold.sum(dim=-1).to(dtype)
    safe = torch.where(den > 0, den, torch.ones_like(den))
    return torch.where(den > 0, 2.0 * tp / safe, torch.ones_like(den))


def example_f1(probs: Tensor, target: Tensor, threshold: float = 0.5, *, validate_args: bool = True) -> Tensor:
    """Example-based F1: mean over rows of :func:`example_f1_per_row` (SEAL's reported "F1", H.14).

    Shapes: ``probs``, ``target`` ``(B, L)`` with ``B >= 1``. Returns a float64 scalar in [0, 1].
    Case B09: pred ``[[0, 0], [1, 0]]`` vs gold ``[[0, 0], [1, 1]]`` gives ``(1 + 2/3) / 2 = 0.8333``.
    """
    per_row = example_f1_per_row(probs, target, threshold, validate_args=validate_args)
    if per_row.numel() == 0:
        raise ValueError("example_f1: empty batch (B = 0)")
    return per_row.mean()


def _stat_scores(probs: Tensor, target: Tensor, threshold: float, name: str, validate_args: bool) -> tuple[Tensor, ...]:
    _check_pair(probs, target, name, validate=validate_args)
    pred = _binarize(probs, threshold, strict=False)
    gold = target != 0
    tp = (pred & gold).sum(dim=0)
    fp = (pred & ~gold).sum(dim=0)
    fn = (~pred & gold).sum(dim=0)
    tn = (~pred & ~gold).sum(dim=0)
    return tp, fp, fn, tn


def _f1_from_counts(tp: Tensor, fp: Tensor, fn: Tensor, zero_division: float, dtype: torch.dtype) -> Tensor:
    num = 2.0 * tp.to(dtype)
    den = num + fp.to(dtype) + fn.to(dtype)
    safe = torch.where(den > 0, den, torch.ones_like(den))
    return torch.where(den > 0, num / safe, torch.full_like(den, float(zero_division)))


def micro_f1(
    probs: Tensor, target: Tensor, threshold: float = 0.5, zero_division: float = 1.0, *, validate_args: bool = True
) -> Tensor:
    """Micro-averaged F1 ``2 TP / (2 TP + FP + FN)`` with counts summed over all rows and labels.

    Equals ``sklearn.metrics.f1_score(target, pred, average="micro", zero_division=zero_division)``
    (``zero_division`` is used only if there is no gold and no predicted positive at all).
    Shapes: ``(B, L)``; returns a float64 scalar.
    """
    tp, fp, fn, _ = _stat_scores(probs, target, threshold, "micro_f1", validate_args)
    return _f1_from_counts(tp.sum(), fp.sum(), fn.sum(), zero_division, accumulation_dtype(probs.device))


def macro_f1(
    probs: Tensor, target: Tensor, threshold: float = 0.5, zero_division: float = 1.0, *, validate_args: bool = True
) -> Tensor:
    """Macro-averaged F1: unweighted mean over **all** ``L`` labels of the per-label F1.

    A label with no gold and no predicted positive scores ``zero_division`` (default 1.0, the empty/empty
    rule); no label is dropped. Equals ``sklearn.metrics.f1_score(target, pred, average="macro",
    zero_division=zero_division)``. Shapes: ``(B, L)``; returns a float64 scalar.
    """
    tp, fp, fn, _ = _stat_scores(probs, target, threshold, "macro_f1", validate_args)
    return _f1_from_counts(tp, fp, fn, zero_division, accumulation_dtype(probs.device)).mean()


def hamming_loss(probs: Tensor, target: Tensor, threshold: float = 0.5, *, validate_args: bool = True) -> Tensor:
    """Hamming loss: fraction of (row, label) entries predicted wrongly (lower is better).

    Equals ``sklearn.metrics.hamming_loss(target, pred)``. Shapes: ``(B, L)``; returns a float64 scalar.
    """
    _check_pair(probs, target, "hamming_loss", validate=validate_args)
    pred = _binarize(probs, threshold, strict=False)
    wrong = (pred != (target != 0)).sum()
    return wrong.to(accumulation_dtype(probs.device)) / max(pred.numel(), 1)


# --------------------------------------------------------------------------------------------------
# multi-label: average precision


def _average_precision_rows(scores: Tensor, target: Tensor) -> Tensor:
    """AP of each row of ``scores (N, M)`` against ``target (N, M)``; NaN for rows with no positive.

    Matches ``sklearn.metrics.average_precision_score`` exactly, ties included: AP = sum over distinct
    score thresholds ``k`` (descending) of ``(R_k - R_{k-1}) * P_k``. Equivalently each positive contributes
    the precision measured at the *end* of its group of tied scores, divided by the number of positives.
    Vectorised over rows (no Python loop).
    """
    n, m = scores.shape
    dtype = accumulation_dtype(scores.device)
    if m == 0:
        return torch.full((n,), float("nan"), dtype=dtype, device=scores.device)
    sorted_scores, order = torch.sort(scores, dim=-1, descending=True)
    t = (target != 0).gather(-1, order).to(dtype)
    tp_cum = t.cumsum(dim=-1)
    position = torch.arange(m, device=scores.device).expand(n, m)
    is_end = torch.ones((n, m), dtype=torch.bool, device=scores.device)
    is_end[:, :-1] = sorted_scores[:, :-1] != sorted_scores[:, 1:]
    # index of the last element of each position's tie group: a reverse running minimum of end indices
    end_idx = torch.where(is_end, position, torch.full_like(position, m))
    end_idx = end_idx.flip(-1).cummin(dim=-1).values.flip(-1)
    precision_at_end = tp_cum.gather(-1, end_idx) / (end_idx + 1).to(dtype)
    n_pos = t.sum(dim=-1)
    defined = n_pos > 0
    ap = (t * precision_at_end).sum(dim=-1) / torch.where(defined, n_pos, torch.ones_like(n_pos))
    return torch.where(defined, ap, torch.full_like(ap, float("nan")))


def average_precision_per_row(scores: Tensor, target: Tensor, *, validate_args: bool = True) -> Tensor:
    """Per-row average precision (ranking the ``L`` labels of each row by score).

    Each row equals ``sklearn.metrics.average_precision_score(target[i], scores[i])`` (ties handled by
    thresholds over the distinct scores, exactly as scikit-learn). SEAL's MAP (``seal-method.md`` E).

    Args:
        scores: ``(B, L)`` real scores (probabilities or logits; only their order matters).
        target: ``(B, L)`` gold labels in {0, 1}.

    Returns:
        ``(B,)`` float64 AP; **NaN** for a row with no positive label (undefined, case B10).
    """
    _check_pair(scores, target, "average_precision_per_row", validate=validate_args)
    return _average_precision_rows(scores, target)


def _mean_defined(values: Tensor) -> tuple[Tensor, int]:
    defined = ~torch.isnan(values)
    n_defined = int(defined.sum())
    n_left_out = values.numel() - n_defined
    if n_defined == 0:
        return torch.full((), float("nan"), dtype=values.dtype, device=values.device), n_left_out
    return values[defined].mean(), n_left_out


def map_per_example(scores: Tensor, target: Tensor, *, validate_args: bool = True) -> tuple[Tensor, int]:
    """Per-example mAP (the SEAL paper's "MAP"): mean of :func:`average_precision_per_row` over the rows
    where it is defined.

    Shapes: ``(B, L)``. Returns ``(mean, n_left_out)``: a float64 scalar and the number of rows without
    any positive label that were left out (case B10: ``(0.7917, 1)``). ``mean`` is NaN only when every row
    was left out. Note scikit-learn's ``average_precision_score(average="samples")`` counts such rows as 0.
    """
    return _mean_defined(average_precision_per_row(scores, target, validate_args=validate_args))


def map_per_label(scores: Tensor, target: Tensor, *, validate_args: bool = True) -> tuple[Tensor, int]:
    """Per-label (macro) mAP: AP of each label column (ranking the ``B`` rows), averaged over the labels
    that have at least one positive.

    Shapes: ``(B, L)``. Returns ``(mean, n_left_out)`` with ``n_left_out`` the number of labels without
    any positive (case B10: ``(1.0, 1)``). scikit-learn's ``average="macro"`` would count them as 0.
    """
    _check_pair(scores, target, "map_per_label", validate=validate_args)
    return _mean_defined(_average_precision_rows(scores.t(), target.t()))


# --------------------------------------------------------------------------------------------------
# segmentation


def iou_per_image(probs: Tensor, target: Tensor, threshold: float = 0.5, *, validate_args: bool = True) -> Tensor:
    """Per-image IoU of the foreground mask ``probs > threshold`` against the gold mask.

    ``IoU = |pred and gold| / |pred or gold|``; **1.0** when both masks are empty (SEAL's ``SegIoU`` gives
    NaN there, ``seal-method.md`` H.15; case B12). A probability of exactly ``threshold`` is background.

    Args:
        probs: foreground probabilities ``(B, H, W)`` (any trailing shape, e.g. ``(B, 1, H, W)``), or
            boolean / {0,1} masks.
        target: gold masks, same shape, values in {0, 1}.

    Returns:
        ``(B,)`` float64 IoU in [0, 1].
    """
    _check_pair(probs, target, "iou_per_image", ndim=None, validate=validate_args)
    pred = _binarize(probs, threshold, strict=True).flatten(1)
    gold = (target != 0).flatten(1)
    dtype = accumulation_dtype(probs.device)
    inter = (pred & gold).sum(dim=1).to(dtype)
    union = (pred | gold).sum(dim=1).to(dtype)
    safe = torch.where(union > 0, union, torch.ones_like(union))
    return torch.where(union > 0, inter / safe, torch.ones_like(union))


def mean_iou(probs: Tensor, target: Tensor, threshold: float = 0.5, *, validate_args: bool = True) -> Tensor:
    """Mean over images of :func:`iou_per_image` (SEAL's segmentation metric, ``seal-method.md`` E).

    Shapes: ``(B, H, W)`` (or ``(B, ...)``), ``B >= 1``. Returns a float64 scalar.
    Case B12: per image ``[1.0, 0.5, 0.0]``, mean 0.5.
    """
    per_image = iou_per_image(probs, target, threshold, validate_args=validate_args)
    if per_image.numel() == 0:
        raise ValueError("mean_iou: empty batch (B = 0)")
    return per_image.mean()


def pixel_accuracy(probs: Tensor, target: Tensor, threshold: float = 0.5, *, validate_args: bool = True) -> Tensor:
    """Fraction of pixels whose class (foreground iff ``probs > threshold``) equals the gold mask.

    Counted over all pixels of all images (equal to the mean of per-image accuracies when all images have
    the same size). Shapes: ``(B, H, W)`` (or ``(B, ...)``). Returns a float64 scalar.
    """
    _check_pair(probs, target, "pixel_accuracy", ndim=None, validate=validate_args)
    pred = _binarize(probs, threshold, strict=True)
    correct = (pred == (target != 0)).sum()
    return correct.to(accumulation_dtype(probs.device)) / max(pred.numel(), 1)


# --------------------------------------------------------------------------------------------------
# threshold tuning


def tune_threshold(
    probs: Tensor,
    target: Tensor,
    grid: Sequence[float] | Tensor | None = None,
    *,
    validate_args: bool = True,
) -> float:
    """Threshold that maximises example-based F1 on (validation) data.

    To be reported *next to* the fixed-0.5 example-F1 (the paper's metric, H.14), never instead of it,
    and chosen on validation data only.

    Args:
        probs: ``(B, L)`` validation probabilities.
        target: ``(B, L)`` gold labels.
        grid: candidate thresholds (default ``0.05, 0.10, ..., 0.95``).

    Returns:
        The best threshold as a Python float. Ties are broken towards the threshold closest to 0.5,
        then towards the smaller one.
    """
    _check_pair(probs, target, "tune_threshold", validate=validate_args)
    if grid is None:
        grid_t = torch.arange(1, 20, dtype=torch.float64) / 20.0
    else:
        grid_t = torch.as_tensor(grid, dtype=torch.float64).flatten()
    if grid_t.numel() == 0:
        raise ValueError("tune_threshold: empty grid")
    scores = torch.stack(
        [example_f1(probs, target, float(th), validate_args=False).cpu() for th in grid_t.tolist()]
    )
    best = scores.max()
    candidates = [float(th) for th, s in zip(grid_t.tolist(), scores.tolist()) if s == float(best)]
    return min(candidates, key=lambda th: (abs(th - 0.5), th))
