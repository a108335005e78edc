"""Small neural building blocks shared by task-nets and energy networks.

Source: the released SEAL code uses AllenNLP's ``FeedForward`` (Linear -> activation -> Dropout per
layer) with Kaiming-uniform (ReLU gain) weights and zero biases even though activations are softplus
(``seal-method.md`` B.1, H.18). Task-nets and loss-nets each own a separate copy (H.10).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


class FeedForward(nn.Module):
    """MLP ``x -> [Linear -> softplus -> Dropout] x num_layers``.

    Args:
        in_features: input width ``D``.
        hidden: width ``H`` of every layer.
        num_layers: number of Linear layers (>= 1).
        dropout: one probability for all layers, or one per layer (length ``num_layers``).

    Shapes: ``(B, D) -> (B, H)``; any leading dimensions are kept.

    Raises:
        ValueError: if ``num_layers < 1``, a dropout is outside [0, 1), or the dropout list has the
            wrong length.
    """

    def __init__(
        self,
        in_features: int,
        hidden: int,
        num_layers: int = 1,
        dropout: float | Sequence[float] = 0.0,
    ) -> None:
        super().__init__()
        if num_layers < 1:
            raise ValueError(f"num_layers must be >= 1, got {num_layers}")
        if in_features < 1 or hidden < 1:
            raise ValueError(f"in_features and hidden must be >= 1, got {in_features}, {hidden}")
        drops = [float(dropout)] * num_layers if isinstance(dropout, (int, float)) else [float(d) for d in dropout]
        if len(drops) != num_layers:
            raise ValueError(f"dropout has {len(drops)} entries, expected num_layers={num_layers}")
        for d in drops:
            if not 0.0 <= d < 1.0:
                raise ValueError(f"dropout must lie in [0, 1), got {d}")
        self.in_features = in_features
        self.hidden = hidden
        self.num_layers = num_layers
        self.dropouts = drops
        dims = [in_features] + [hidden] * num_layers
        self.linears = nn.ModuleList(nn.Linear(dims[i], dims[i + 1]) for i in range(num_layers))
        self.drops = nn.ModuleList(nn.Dropout(d) if d > 0 else nn.Identity() for d in drops)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for lin in self.linears:
            nn.init.kaiming_uniform_(lin.weight, nonlinearity="relu")
            nn.init.zeros_(lin.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for lin, drop in zip(self.linears, self.drops):
            x = drop(nn.functional.softplus(lin(x)))
        return x


def dense_input(x: torch.Tensor) -> torch.Tensor:
    """Return a dense float tensor for ``x`` (sparse COO/CSR batches are densified per batch)."""
    if x.layout != torch.strided:
        x = x.to_dense()
    return x
