"""Task-net objectives ``L_F(φ)``, written once for every output space.

Source: ``seal-method.md`` A.3, H.5 and the appendix pseudo-code.

Both objectives return the **batch mean** of per-example terms whose supervised part is the output space's
cross-entropy anchor (multi-label: ``Σ_labels BCEWithLogits(z, y*)``, summed over labels, not averaged; masks:
the pixel-mean 2-class CE; tagging: ``Σ_t CE`` over real positions). Gradients flow through the relaxed output
(``p = σ(z)``, ``softmax``) and the cost-augmented output into the task-net; freezing the loss-net parameters
for this step is the training loop's job (their gradients are simply not stepped otherwise).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from typing import Any

from seal.core.spaces import OutputSpace
from seal.objectives.loss_net import _check_nonneg, _ctx, _space
from seal.oracles.functional import l1_cost

__all__ = ["TaskNetLoss", "InfNetTaskLoss"]

_TRANSFORMS = ("raw", "sigmoid")


def _bce_sum(logits: torch.Tensor, y_gold: torch.Tensor) -> torch.Tensor:
    return F.binary_cross_entropy_with_logits(logits, y_gold.to(logits.dtype), reduction="none").sum(-1)


class TaskNetLoss(nn.Module):
    """SEAL task-net loss (and the cross-entropy baseline with ``score_weight=0``), seal-method A.3.

    ::

        L_F = mean_i [ w_s · ℓ_s(x_i, p_i) + w_ce · CE(z_i, y*_i) ],   p = g(z) (the space's relaxed output)
        ℓ_s = −S(x, p)        (score_transform="raw": NCE, ranking, static NCE / margin)
        ℓ_s = −σ(S(x, p))     (score_transform="sigmoid": regression / DVN variants)

    ``S`` is a score (higher is better), so minimising ``ℓ_s`` maximises the score of the task-net's
    output. With ``score_weight == 0`` the score network is **not called** (CE baseline).

    Args:
        score_weight: ``w_s >= 0``.
        ce_weight: ``w_ce >= 0`` (1 in every SEAL config except margin).
        score_transform: ``"raw"`` or ``"sigmoid"``.
        space: the output space (default multi-label): relaxed output and cross-entropy anchor.

    Raises:
        ValueError: a negative weight or an unknown ``score_transform``.
    """

    def __init__(
        self, score_weight: float, ce_weight: float = 1.0, score_transform: str = "raw", space: OutputSpace | None = None
    ) -> None:
        super().__init__()
        owner = type(self).__name__
        self.score_weight = _check_nonneg(owner, "score_weight", score_weight)
        self.ce_weight = _check_nonneg(owner, "ce_weight", ce_weight)
        if score_transform not in _TRANSFORMS:
            raise ValueError(f"{owner}: score_transform must be one of {_TRANSFORMS}, got {score_transform!r}")
        self.score_transform = score_transform
        self.space = _space(space)

    def per_example(
        self,
        score_net: nn.Module | None,
        x: Any,
        y_gold: torch.Tensor,
        logits: torch.Tensor,
        ctx: Any = None,
        mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """``(B,)`` terms ``w_s·ℓ_s + w_ce·CE``; arguments as in :meth:`forward`."""
        if self.ce_weight != 0.0:
            terms = self.ce_weight * self.space.supervised_loss(logits, y_gold, mask)
        else:
            terms = logits.new_zeros(logits.shape[0])
        if self.score_weight != 0.0:
            if score_net is None:
                raise ValueError(f"{type(self).__name__}: score_net is required when score_weight > 0")
            score = score_net.score(_ctx(score_net, x, ctx), self.space.relax(logits, mask))
            if self.score_transform == "sigmoid":
                score = torch.sigmoid(score)
            terms = terms - self.score_weight * score
        return terms

    def forward(
        self,
        score_net: nn.Module | None,
        x: Any,
        y_gold: torch.Tensor,
        logits: torch.Tensor,
        ctx: Any = None,
        mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Scalar batch-mean task-net loss.

        Args:
            score_net: loss-net (scores); may be ``None`` when ``score_weight == 0``.
            x: the batch input (unused when ``ctx`` is given or ``score_weight == 0``).
            y_gold: ``(B, *out)`` gold outputs.
            logits: task-net logits ``z`` (NOT detached: gradients reach the task-net).
            ctx: optional precomputed ``score_net.encode(x)``.
            mask: ``(B, T)`` real positions (tagging).

        Returns:
            scalar.
        """
        return self.per_example(score_net, x, y_gold, logits, ctx, mask).mean()


class InfNetTaskLoss(nn.Module):
    """Task-net loss of the margin / InfNet variant (SEAL-dynamic ``spen``), seal-method A.3.

    ::

        L_F = mean_i [ −( Δ_L1(ŷ_ca, y*) + S(x, ŷ_ca) + λ · S(x, p) ) + w_ce · Σ_l BCEWithLogits(z, y*) ]

    with ``p = σ(z)`` and ``ŷ_ca`` the cost-augmented network's output (gradients flow into both, i.e.
    into the task-net and the cost-augmented net, which share the task-net optimiser). Scores, not
    energies. Both candidates are scored in one vectorised call.

    Args:
        inference_score_weight: ``λ >= 0``.
        ce_weight: ``w_ce >= 0``.

    Raises:
        ValueError: a negative weight.
    """

    def __init__(self, inference_score_weight: float, ce_weight: float = 1.0) -> None:
        super().__init__()
        owner = type(self).__name__
        self.inference_score_weight = _check_nonneg(owner, "inference_score_weight", inference_score_weight)
        self.ce_weight = _check_nonneg(owner, "ce_weight", ce_weight)

    def per_example(
        self,
        score_net: nn.Module,
        x: torch.Tensor | None,
        y_gold: torch.Tensor,
        logits: torch.Tensor,
        cost_augmented_probs: torch.Tensor,
        local: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """``(B,)`` terms; arguments as in :meth:`forward`."""
        p = torch.sigmoid(logits)
        gold = y_gold.to(p.dtype)
        cands = torch.stack([cost_augmented_probs.to(p.dtype), p], dim=1)
        scores = score_net.score(_ctx(score_net, x, local), cands)
        gain = l1_cost(cost_augmented_probs, gold) + scores[:, 0] + self.inference_score_weight * scores[:, 1]
        terms = -gain
        if self.ce_weight != 0.0:
            terms = terms + self.ce_weight * _bce_sum(logits, gold)
        return terms

    def forward(
        self,
        score_net: nn.Module,
        x: torch.Tensor | None,
        y_gold: torch.Tensor,
        logits: torch.Tensor,
        cost_augmented_probs: torch.Tensor,
        local: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Scalar batch-mean InfNet task loss.

        Args:
            score_net: loss-net (scores).
            x: ``(B, D)`` features (unused when ``local`` is given).
            y_gold: ``(B, L)`` gold labels.
            logits: ``(B, L)`` task-net logits (not detached).
            cost_augmented_probs: ``(B, L)`` ``ŷ_ca`` from
                :class:`seal.task_nets.cost_augmented.CostAugmentedNet` (not detached).
            local: optional ``(B, L)`` loss-net local logits.

        Returns:
            scalar.
        """
        return self.per_example(score_net, x, y_gold, logits, cost_augmented_probs, local).mean()
