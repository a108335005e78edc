"""Structured SVM loss of the SPEN energy-network baseline (``spen-gbi``; released ``pspen``).

Source: ``seal-method.md`` A.4 (d) (``multi-label-structured-svm``, reduction mean), C.2 (cost-augmented
GBI), H.2 (double sigmoid), H.4 (the F1 cost is not differentiable); Belanger & McCallum 2016.

With scores ``S = -E`` (higher is better), the gold output ``y*`` and a cost-augmented prediction ``ŷ``
(found by GBI, **detached**)::

    ℓ_i = relu( Δ(ŷ_i, y*_i) − (S(x_i, y*_i) − S(x_i, ŷ_i)) ),     Δ = 1 − F1soft(ŷ, y*)
    L_E = mean_i ℓ_i

which is the paper's ``Σ [Δ(ỹ, y*) − E(x, ỹ) + E(x, y*)]_+`` written with scores.

Paper form vs release (H.2): by default (``released_behaviour=False``) the score network sees ``ŷ`` as
returned by GBI (values in ``[0, 1]``), both here and in the cost-augmented GBI objective. The released
``MarginBasedLoss`` applies a second sigmoid to already-normalised samples, so the loss-net sees
``σ(ŷ) ∈ [0.5, 0.73]`` during training (while test-time GBI scores ``y`` directly); pass
``released_behaviour=True`` to reproduce that (the gold output is never re-normalised, and ``Δ`` is
computed on the squashed sample, as in the release).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn
from torch.nn import functional as F

from seal.objectives.loss_net import _check_reduction, _ctx, _reduce
from seal.oracles.functional import soft_f1

__all__ = ["SSVMLoss", "cost_augmented_objective", "f1_cost"]


def f1_cost(y_hat: torch.Tensor, y_gold: torch.Tensor) -> torch.Tensor:
    """``Δ = 1 − F1soft(ŷ, y*)`` (no gradient: the F1 oracle is declared non-differentiable, H.4).

    Shapes: ``ŷ (..., L)``, ``y* `` broadcastable; returns ``(...)``.
    """
    with torch.no_grad():
        return 1.0 - soft_f1(y_hat.detach(), y_gold.detach())


class SSVMLoss(nn.Module):
    """``mean_i relu(Δ(ŷ_i, y*_i) − (S(x_i, y*_i) − S(x_i, ŷ_i)))`` with ``Δ = 1 − F1soft``.

    Args:
        reduction: ``"mean"`` (default, over the batch, as released), ``"sum"`` or ``"none"``.
        released_behaviour: score (and cost) the sample as ``σ(ŷ)`` (the release's double sigmoid,
            ``seal-method.md`` H.2) instead of ``ŷ``.

    Raises:
        ValueError: an unknown ``reduction``.
    """

    def __init__(self, reduction: str = "mean", released_behaviour: bool = False) -> None:
        super().__init__()
        self.reduction = _check_reduction(type(self).__name__, reduction)
        self.released_behaviour = bool(released_behaviour)

    def normalise(self, y_hat: torch.Tensor) -> torch.Tensor:
        """What the score network is shown for a GBI sample: ``ŷ`` (paper) or ``σ(ŷ)`` (release)."""
        return torch.sigmoid(y_hat) if self.released_behaviour else y_hat

    def per_example(
        self,
        score_net: nn.Module,
        x: torch.Tensor | None,
        y_gold: torch.Tensor,
        y_hat: torch.Tensor,
        local: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """``(B,)`` hinge terms; arguments as in :meth:`forward`."""
        with torch.no_grad():
            gold = y_gold.detach().to(y_hat.dtype)
            sample = self.normalise(y_hat.detach())
            delta = f1_cost(sample, gold)
            cands = torch.stack([gold, sample], dim=1)  # (B, 2, L)
        scores = score_net.score(_ctx(score_net, x, local), cands)
        return F.relu(delta - (scores[:, 0] - scores[:, 1]))

    def forward(
        self,
        score_net: nn.Module,
        x: torch.Tensor | None,
        y_gold: torch.Tensor,
        y_hat: torch.Tensor,
        local: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Reduced SSVM loss.

        Args:
            score_net: score network (score-net protocol ``encode`` / ``score``; scores, higher is better).
            x: ``(B, D)`` features (unused when ``local`` is given).
            y_gold: ``(B, L)`` gold labels in {0, 1}.
            y_hat: ``(B, L)`` cost-augmented GBI output in ``[0, 1]`` (detached here).
            local: optional ``(B, L)`` precomputed local logits of ``score_net``.

        Returns:
            scalar, or ``(B,)`` with ``reduction="none"``. Gradients reach only ``score_net``.
        """
        return _reduce(self.per_example(score_net, x, y_gold, y_hat, local), self.reduction)


def cost_augmented_objective(
    score_net: nn.Module,
    local: torch.Tensor,
    y_gold: torch.Tensor,
    released_behaviour: bool = False,
) -> Callable[[torch.Tensor], torch.Tensor]:
    """The GBI objective (minimised) of SPEN training: ``−[Δ(y, y*) + S(x, y)]`` (``seal-method.md`` C.2).

    ``Δ = 1 − F1soft`` is detached (H.4), so its value takes part in picking the best iterate but the
    search direction is plain score ascent. With ``released_behaviour`` the score and the cost see
    ``σ(y)`` (H.2).

    Args:
        score_net: score network.
        local: ``(B, L)`` local logits of ``score_net`` for the batch (computed once, detached).
        y_gold: ``(B, L)`` gold labels.
        released_behaviour: see :class:`SSVMLoss`.

    Returns:
        a callable ``(B, K, L) -> (B, K)`` (GBI ``layout="candidates"``).
    """
    gold = y_gold.detach().unsqueeze(1)
    local = local.detach()

    def objective(y: torch.Tensor) -> torch.Tensor:
        sample = torch.sigmoid(y) if released_behaviour else y
        return -(f1_cost(sample, gold.to(y.dtype)) + score_net.score(local, sample))

    return objective
