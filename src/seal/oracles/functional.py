"""Oracle value functions ``v(y_hat, y*)`` and margin costs (differentiable, never NaN).

An *oracle value* scores a relaxed output ``y_hat`` (values in [0, 1]) against the gold output ``y*``
(values in {0, 1}); it lies in [0, 1] and **higher is better**. SEAL uses it as the DVN regression
target and, through ``Delta = 1 - v``, as a margin cost (``seal-method.md`` A.1, A.4).

Source: SEAL repository, ``seal/modules/oracle_value_function/{per_instance_f1, seg_iou, manhattan}``
(Lee et al., NeurIPS 2022) and DVN (Gygli et al., 2017).

Conventions (``cases/README.md``, B09; ``seal-method.md`` H.17):

* Empty/empty is a perfect match: when ``y_hat`` and ``y*`` are both all-zero, ``soft_f1`` and
  ``soft_iou`` are **1.0** (the SEAL code gives 0/0 = NaN there; the released pipeline only avoids it by
  dropping empty-label instances). This agrees with :func:`seal.metrics.functional.example_f1`, so the
  metric and the regression target never disagree.
* Gradients are finite everywhere, including the empty/empty point (the guarded branch is a constant,
  so its gradient there is 0).
* Integer or boolean inputs are promoted to the floating dtype of the other argument (or to torch's
  default dtype when both are non-floating). Arguments broadcast against each other, so a batch of
  candidates ``(B, K, L)`` can be scored against gold ``(B, 1, L)``.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

__all__ = [
    "soft_f1",
    "soft_iou",
    "l1_cost",
    "soft_hamming",
    "ORACLES",
    "get_oracle",
]


def _as_float_pair(y_hat: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
    """Promote both arguments to one floating dtype (``y_hat``'s if floating, else ``y``'s, else default)."""
    if y_hat.is_floating_point():
        dtype = y_hat.dtype
    elif y.is_floating_point():
        dtype = y.dtype
    else:
        dtype = torch.get_default_dtype()
    return y_hat.to(dtype), y.to(dtype)


def _guarded_ratio(num: Tensor, den: Tensor) -> Tensor:
    """``num / den`` where ``den > 0``, else 1.0; no NaN in the value or in the gradient."""
    positive = den > 0
    safe_den = torch.where(positive, den, torch.ones_like(den))
    return torch.where(positive, num / safe_den, torch.ones_like(num))


def soft_f1(y_hat: Tensor, y: Tensor) -> Tensor:
    """Soft per-instance F1 (SEAL's ``per-instance-f1`` oracle), with empty/empty = 1.

    ``F1soft(y_hat, y) = 2 * sum_l min(y_hat_l, y_l) / (sum_l min(y_hat_l, y_l) + sum_l max(y_hat_l, y_l))``;
    on binary vectors it equals the usual F1 ``2 tp / (2 tp + fp + fn)`` (``seal-method.md`` A.1).

    Args:
        y_hat: relaxed output, values in [0, 1], shape ``(..., L)``.
        y: gold output, values in {0, 1} (any dtype), shape broadcastable with ``y_hat``.

    Returns:
        Oracle value in [0, 1], shape = the broadcast leading shape ``(...)``. When both vectors are
        all-zero (``sum max == 0``) the value is 1.0. Example (case B09): ``y_hat = [[0, 0], [0.7, 0.2]]``,
        ``y = [[0, 0], [1, 1]]`` gives ``[1.0, 0.6207]``.
    """
    y_hat, y = _as_float_pair(y_hat, y)
    s_min = torch.minimum(y_hat, y).sum(dim=-1)
    s_max = torch.maximum(y_hat, y).sum(dim=-1)
    return _guarded_ratio(2.0 * s_min, s_min + s_max)


def soft_iou(y_hat: Tensor, y: Tensor) -> Tensor:
    """Soft intersection-over-union over the last two (spatial) dimensions, with empty/empty = 1.

    ``IoU_soft(y_hat, y) = sum_{h,w} min(y_hat, y) / sum_{h,w} max(y_hat, y)`` (SEAL ``seg_iou`` oracle,
    ``seal-method.md`` A.1, E); on binary masks it is the usual IoU ``|A and B| / |A or B|``.

    Args:
        y_hat: relaxed foreground mask, values in [0, 1], shape ``(..., H, W)``.
        y: gold mask, values in {0, 1}, shape broadcastable with ``y_hat``.

    Returns:
        Oracle value in [0, 1], shape ``(...)``; 1.0 where both masks are empty (``sum max == 0``).
    """
    if y_hat.dim() < 2 or y.dim() < 2:
        raise ValueError(
            f"soft_iou expects masks of shape (..., H, W), got {tuple(y_hat.shape)} and {tuple(y.shape)}"
        )
    y_hat, y = _as_float_pair(y_hat, y)
    s_min = torch.minimum(y_hat, y).sum(dim=(-2, -1))
    s_max = torch.maximum(y_hat, y).sum(dim=(-2, -1))
    return _guarded_ratio(s_min, s_max)


def l1_cost(y_hat: Tensor, y: Tensor) -> Tensor:
    """Mean absolute difference ``Delta_L1(y_hat, y) = mean_l |y_hat_l - y_l|`` (a cost: lower is better).

    SEAL's ``manhattan`` oracle is ``v = -mean_l |y_hat_l - y_l|`` with upper bound 0, so the margin cost
    ``Delta = 0 - v`` is this function (``seal-method.md`` A.1, H.4). It is differentiable (sub-gradient
    0 at ties, as ``torch.abs``) and is the cost used where gradients must flow through ``Delta``.

    Args:
        y_hat: relaxed output, shape ``(..., L)``.
        y: gold output, shape broadcastable with ``y_hat``.

    Returns:
        Cost in [0, 1] for inputs in [0, 1], shape ``(...)``.
    """
    y_hat, y = _as_float_pair(y_hat, y)
    return (y_hat - y).abs().mean(dim=-1)


def soft_hamming(y_hat: Tensor, y: Tensor) -> Tensor:
    """Hamming-accuracy oracle ``v = 1 - mean_l |y_hat_l - y_l|`` in [0, 1] (higher is better).

    Shapes as :func:`l1_cost`; ``1 - soft_hamming`` is the Hamming loss on binary vectors.
    """
    return 1.0 - l1_cost(y_hat, y)


#: Oracle values by name (all in [0, 1], higher is better). ``l1_cost`` is a cost, not listed here.
ORACLES: dict[str, Callable[[Tensor, Tensor], Tensor]] = {
    "soft_f1": soft_f1,
    "soft_iou": soft_iou,
    "soft_hamming": soft_hamming,
}


def get_oracle(name: str) -> Callable[[Tensor, Tensor], Tensor]:
    """Return the oracle value function called ``name`` (one of :data:`ORACLES`).

    Raises:
        KeyError: naming the known oracles when ``name`` is unknown.
    """
    try:
        return ORACLES[name]
    except KeyError:
        raise KeyError(f"unknown oracle {name!r}; known: {sorted(ORACLES)}") from None
