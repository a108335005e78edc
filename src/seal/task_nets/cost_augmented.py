"""Cost-augmented network stacked on the task-net (margin / InfNet variant).

Source: ``seal-method.md`` A.3 (``ŷ_ca = σ(g_ψ([p ; y*]))``), B.1 (cost-augmented layer), H.18
(Kaiming-uniform ReLU-gain weights, zero biases), H.19 (its parameters belong to the task-net optimiser).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

__all__ = ["CostAugmentedNet"]


class CostAugmentedNet(nn.Module):
    """``g_ψ``: ``[σ(z) ; y*]`` ``(B, 2L)`` → Linear(2L, L) → softplus → Linear(L, L) → logits → σ.

    Args:
        num_labels: ``L >= 1``.

    Shapes:
        ``forward(probs (B, L), y_gold (B, L)) -> (B, L)`` probabilities in ``(0, 1)``;
        :meth:`logits` returns the pre-sigmoid ``(B, L)``.

    Raises:
        ValueError: ``num_labels < 1``.
    """

    def __init__(self, num_labels: int) -> None:
        super().__init__()
        if isinstance(num_labels, bool) or int(num_labels) != num_labels or num_labels < 1:
            raise ValueError(f"CostAugmentedNet: num_labels must be an integer >= 1, got {num_labels!r}")
        self.num_labels = int(num_labels)
        self.hidden_layer = nn.Linear(2 * self.num_labels, self.num_labels)
        self.output_layer = nn.Linear(self.num_labels, self.num_labels)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for lin in (self.hidden_layer, self.output_layer):
            nn.init.kaiming_uniform_(lin.weight, nonlinearity="relu")
            nn.init.zeros_(lin.bias)

    def logits(self, probs: torch.Tensor, y_gold: torch.Tensor) -> torch.Tensor:
        """Pre-sigmoid output ``g_ψ([probs ; y*])``, shape ``(B, L)``.

        Raises:
            ValueError: if ``probs`` / ``y_gold`` do not have ``L`` labels.
        """
        if probs.shape[-1] != self.num_labels or y_gold.shape[-1] != self.num_labels:
            raise ValueError(
                f"CostAugmentedNet: expected (B, {self.num_labels}) inputs, got {tuple(probs.shape)} and {tuple(y_gold.shape)}"
            )
        h = torch.cat([probs, y_gold.to(probs.dtype)], dim=-1)
        return self.output_layer(F.softplus(self.hidden_layer(h)))

    def forward(self, probs: torch.Tensor, y_gold: torch.Tensor) -> torch.Tensor:
        """Cost-augmented output ``ŷ_ca = σ(g_ψ([probs ; y*]))``.

        Args:
            probs: ``(B, L)`` task-net probabilities ``σ(z)`` (not detached: gradients reach the task-net).
            y_gold: ``(B, L)`` gold labels.

        Returns:
            ``(B, L)`` probabilities in ``(0, 1)``.
        """
        return torch.sigmoid(self.logits(probs, y_gold))
