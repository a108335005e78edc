"""Feature-based multi-label task-net (``seal-method.md`` B.1).

``h = FeedForward(x)`` (Linear -> softplus -> Dropout per layer), then ``z = h @ U.T`` with label
embeddings ``U`` of shape ``(L, H)`` and no bias; ``p = sigmoid(z)``. The task-net knows nothing
about energies.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from seal.nn import FeedForward


class MLCTaskNet(nn.Module):
    """Feed-forward multi-label predictor ``F(x) -> logits``.

    Args:
        in_features: number of input features ``D``.
        num_labels: number of labels ``L``.
        hidden: width ``H`` of the feature network.
        num_layers: depth of the feature network.
        dropout: dropout per layer (one value or one per layer).

    Shapes: ``x (B, D)`` (dense or sparse) ``-> logits (B, L)``.

    Raises:
        ValueError: on non-positive sizes or invalid dropout (see :class:`seal.nn.FeedForward`).
    """

    def __init__(
        self,
        in_features: int,
        num_labels: int,
        hidden: int = 400,
        num_layers: int = 2,
        dropout: float | Sequence[float] = 0.0,
    ) -> None:
        super().__init__()
        if num_labels < 1:
            raise ValueError(f"num_labels must be >= 1, got {num_labels}")
        self.features = FeedForward(in_features, hidden, num_layers, dropout)
        self.label_embeddings = nn.Parameter(torch.empty(num_labels, hidden))
        nn.init.xavier_uniform_(self.label_embeddings)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x) @ self.label_embeddings.T

    def forward_repeated(self, x: torch.Tensor, n: int) -> torch.Tensor:
        """``forward`` on ``x`` stacked ``n`` times, ``(n·B, L)``, with the first layer computed once
        (:meth:`seal.nn.FeedForward.forward_repeated`: the values of ``forward(x.repeat(n, 1))``, to the bit on the
        feature-MLC batches measured, otherwise to float rounding)."""
        return self.features.forward_repeated(x, n) @ self.label_embeddings.T
