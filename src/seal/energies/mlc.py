"""Score network (loss-net / structured energy network) for feature-based multi-label classification.

Source: ``seal-method.md`` B.1 (``MultilabelClassificationScoreNN``), A.1 (sign convention), H.1, H.10,
H.18 (initialisation) and the appendix pseudo-code.

Sign convention: every method returns a **score** ``S(x, y) = -E(x, y)`` (higher is better) except
:meth:`MLCScoreNet.energy`, which returns the energy ``E = -S``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn
from torch.nn import functional as F

from seal.core.sparse import AUTO_MIN_LABELS, SparseCandidates
from seal.nn import FeedForward, sparse_rows_matmul

__all__ = ["MLCScoreNet"]


class MLCScoreNet(nn.Module):
    """Local + global score network ``S(x, y) = S_local(x, y) + S_global(y)`` for MLC.

    ``S_local(x, y) = Σ_l y_l · z_l(x)`` with ``z(x) = h(x) Uᵀ`` (the loss-net's *own* feature MLP
    ``h`` and label embeddings ``U``; nothing is shared with the task-net, seal-method H.10) and
    ``S_global(y) = c₂ᵀ softplus(C₁ y + b₁)`` (one hidden layer of width ``G``, no output bias).

    Initialisation (seal-method H.18): feature MLP Kaiming-uniform (ReLU gain) with zero biases (see
    :class:`seal.nn.FeedForward`); ``U`` xavier-uniform; ``C₁`` Kaiming-uniform (ReLU gain), zero bias;
    ``c₂ ~ N(0, sqrt(2/G))``.

    Args:
        in_features: input width ``D``.
        num_labels: number of labels ``L``.
        hidden: width ``H`` of the feature MLP and of the label embeddings.
        num_layers: depth of the feature MLP (>= 1).
        dropout: one dropout probability for every MLP layer or one per layer.
        global_hidden: width ``G`` of the global energy.

    Shapes:
        ``x``: ``(B, D)`` dense or sparse (densified per batch); ``y``: ``(B, L)`` or ``(B, K, L)`` with
        entries in ``[0, 1]`` (binary or relaxed); scores ``(B,)`` or ``(B, K)``. All ``K`` candidates
        are scored in one vectorised call.

    Raises:
        ValueError: ``in_features``, ``num_labels``, ``hidden``, ``global_hidden`` < 1, ``num_layers`` < 1
            or an invalid dropout (from :class:`seal.nn.FeedForward`).
    """

    def __init__(
        self,
        in_features: int,
        num_labels: int,
        hidden: int = 400,
        num_layers: int = 2,
        dropout: float | Sequence[float] = 0.0,
        global_hidden: int = 200,
    ) -> None:
        super().__init__()
        for name, value in (("in_features", in_features), ("num_labels", num_labels), ("hidden", hidden),
                            ("global_hidden", global_hidden)):
            if int(value) < 1:
                raise ValueError(f"MLCScoreNet: {name} must be >= 1, got {value}")
        self.in_features = int(in_features)
        self.num_labels = int(num_labels)
        self.hidden = int(hidden)
        self.num_layers = int(num_layers)
        self.dropout = dropout
        self.global_hidden = int(global_hidden)

        self.feature_net = FeedForward(self.in_features, self.hidden, self.num_layers, dropout)
        self.label_embeddings = nn.Parameter(torch.empty(self.num_labels, self.hidden))
        self.global_linear = nn.Linear(self.num_labels, self.global_hidden)
        if self.num_labels >= AUTO_MIN_LABELS:
            # where sparse="auto" takes the sparse path: C₁ keeps its (G, L) shape and state_dict entry, but its
            # memory is the contiguous (L, G) table the sparse path gathers rows from (a transposed view): no copy
            # per step, and old checkpoints load unchanged. Below that size the dense path runs and the ordinary
            # layout keeps its floating-point results bit-identical to earlier releases (the weight gradient of a
            # transposed view is reduced in another order, ~1e-7 relative).
            self.global_linear.weight = nn.Parameter(torch.empty(self.num_labels, self.global_hidden).t())
        self.global_vector = nn.Parameter(torch.empty(self.global_hidden))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Re-initialise all parameters as in seal-method H.18."""
        self.feature_net.reset_parameters()
        nn.init.xavier_uniform_(self.label_embeddings)
        c1 = torch.empty(self.global_linear.weight.shape, dtype=self.global_linear.weight.dtype)
        nn.init.kaiming_uniform_(c1, nonlinearity="relu")  # drawn in (G, L) order, as before the (L, G) layout
        with torch.no_grad():
            self.global_linear.weight.copy_(c1)
        nn.init.zeros_(self.global_linear.bias)
        nn.init.normal_(self.global_vector, mean=0.0, std=math.sqrt(2.0 / self.global_hidden))

    # ------------------------------------------------------------------ pieces
    def local_logits(self, x: torch.Tensor) -> torch.Tensor:
        """Per-label local scores ``z^θ(x) = h_θ(x) Uᵀ``.

        Args:
            x: ``(B, D)`` features, dense or sparse (densified here, per batch).

        Returns:
            ``(B, L)``; ``S_local(x, y) = Σ_l y_l z_l``. Compute once per step and pass to
            :meth:`score_from_local` to score many candidates.
        """
        weight = self.label_embeddings
        if x.layout == torch.strided and x.dtype != weight.dtype:
            x = x.to(weight.dtype)
        return self.feature_net(x) @ weight.t()

    def global_score(self, y: torch.Tensor) -> torch.Tensor:
        """Global score ``S_global(y) = c₂ᵀ softplus(C₁ y + b₁)`` (a score, higher is better).

        Args:
            y: ``(..., L)`` candidate outputs.

        Returns:
            ``(...)``.
        """
        return F.softplus(self.global_linear(y)) @ self.global_vector

    #: :meth:`score` accepts :class:`~seal.core.sparse.SparseCandidates` (gather / embedding-bag path)
    supports_sparse_candidates = True

    def global_table(self) -> torch.Tensor:
        """``C₁ᵀ`` as a contiguous ``(L, G)`` table, the rows the sparse path gathers: ``global_linear.weight``
        (shape ``(G, L)``, as in every checkpoint) is stored as a transposed view of that table, so this is a view,
        not a copy (a copy only if the parameter was replaced by a contiguous one)."""
        w = self.global_linear.weight.t()
        return w if w.is_contiguous() else w.contiguous()

    def score_sparse(self, local: torch.Tensor, cands: SparseCandidates) -> torch.Tensor:
        """Scores of sparse binary candidates: the same values as :meth:`score_from_local` on
        ``cands.to_dense()`` (to float tolerance), computed from the ones only.

        ``S_local = Σ_{l ∈ y} local_l`` (a gather and a segment sum); ``C₁ y = Σ_{l ∈ y} C₁[:, l]``
        (``embedding_bag`` over the ``(L, G)`` table, mode ``"sum"``; its weight gradient another gather-sum over
        the transposed index lists, :func:`seal.nn.sparse_rows_matmul`). An empty candidate scores ``c₂ᵀ softplus(b₁)``.

        Args:
            local: ``(B, L)`` local logits (gradients flow into them).
            cands: ``(B, K, L)`` :class:`~seal.core.sparse.SparseCandidates`.

        Returns:
            ``(B, K)`` scores (higher is better).
        """
        B, K, L = cands.shape
        if local.dim() != 2 or tuple(local.shape) != (B, L) or L != self.num_labels:
            raise ValueError(
                f"MLCScoreNet.score_sparse: local must be (B, L) = {(B, L)} with L = num_labels={self.num_labels}; "
                f"got local {tuple(local.shape)}"
            )
        flat = cands.example_ids() * L + cands.indices
        local_term = local.new_zeros(B * K).index_add(0, cands.rows, local.reshape(-1)[flat])
        hidden = sparse_rows_matmul(
            cands.indices, cands.offsets, self.global_table(), rows=cands.rows, transposed=cands.transposed
        )
        hidden = hidden + self.global_linear.bias
        return (local_term + F.softplus(hidden) @ self.global_vector).view(B, K)

    def score_sparse_input(self, x: torch.Tensor, cands: SparseCandidates) -> torch.Tensor:
        """Scores of sparse candidates straight from the input, without the ``(B, L)`` local logits when the
        candidates hold few ones (``4·(nnz + B·K) < B·L``): ``S_local = h(x)_b · Σ_{l ∈ y} U_l`` (a gather-sum of label
        embeddings, weight gradient a gather-sum over the transposed index lists), so neither the ``(B, H) @ (H, L)``
        product nor its two backward products run. Same values as ``score(encode(x), cands)`` to float
        tolerance; otherwise it is exactly that.

        Args:
            x: ``(B, D)`` features (dense or sparse).
            cands: ``(B, K, L)`` :class:`~seal.core.sparse.SparseCandidates`.

        Returns:
            ``(B, K)`` scores.
        """
        B, K, L = cands.shape
        if 4 * (cands.nnz + B * K) >= B * L:  # gathers cost ~4x a matmul's multiply-add here
            return self.score_sparse(self.local_logits(x), cands)
        if x.layout == torch.strided and x.dtype != self.label_embeddings.dtype:
            x = x.to(self.label_embeddings.dtype)
        h = self.feature_net(x)  # (B, H)
        if h.shape[0] != B or L != self.num_labels:
            raise ValueError(f"MLCScoreNet.score_sparse_input: x has {h.shape[0]} rows, candidates {cands.shape}")
        emb = sparse_rows_matmul(
            cands.indices, cands.offsets, self.label_embeddings, rows=cands.rows, transposed=cands.transposed
        )  # (B·K, H): Σ_{l ∈ y} U_l per candidate
        local_term = (emb.view(B, K, -1) * h.unsqueeze(1)).sum(-1)
        hidden = sparse_rows_matmul(
            cands.indices, cands.offsets, self.global_table(), rows=cands.rows, transposed=cands.transposed
        )
        hidden = hidden + self.global_linear.bias
        return local_term + (F.softplus(hidden) @ self.global_vector).view(B, K)

    def score_from_local(self, local: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Score candidates given precomputed local logits.

        ``S(x, y) = Σ_l y_l · local_l + c₂ᵀ softplus(C₁ y + b₁)``  (score = −energy).

        Args:
            local: ``(B, L)`` from :meth:`local_logits`.
            y: ``(B, L)`` (one candidate per example) or ``(B, K, L)`` (``K`` candidates).

        Returns:
            ``(B,)`` or ``(B, K)`` scores.

        Raises:
            ValueError: if the shapes of ``local`` and ``y`` do not match.
        """
        if local.dim() != 2 or y.shape[-1] != local.shape[-1] or y.shape[0] != local.shape[0]:
            raise ValueError(
                f"MLCScoreNet.score_from_local: local must be (B, L) and y (B, L) or (B, K, L); "
                f"got local {tuple(local.shape)}, y {tuple(y.shape)}"
            )
        if y.shape[-1] != self.num_labels:
            raise ValueError(f"MLCScoreNet: y has {y.shape[-1]} labels, expected num_labels={self.num_labels}")
        if y.dim() == 2:
            local_term = (y * local).sum(-1)
        elif y.dim() == 3:
            local_term = torch.matmul(y, local.unsqueeze(-1)).squeeze(-1)
        else:
            raise ValueError(f"MLCScoreNet.score_from_local: y must be (B, L) or (B, K, L), got {tuple(y.shape)}")
        return local_term + self.global_score(y)

    # ------------------------------------------------------------------ score-net protocol
    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Score-net protocol (:mod:`seal.core.score_net`): the context ``ctx`` = local logits ``(B, L)``."""
        return self.local_logits(x)

    def score(self, ctx: torch.Tensor, y: torch.Tensor | SparseCandidates) -> torch.Tensor:
        """Score-net protocol: ``score_from_local(ctx, y)``; ``y`` ``(B, K, L)`` -> ``(B, K)`` (or ``(B, L)`` -> ``(B,)``);
        :class:`~seal.core.sparse.SparseCandidates` ``(B, K, L)`` -> ``(B, K)`` by :meth:`score_sparse`."""
        if isinstance(y, SparseCandidates):
            return self.score_sparse(ctx, y)
        return self.score_from_local(ctx, y)

    # ------------------------------------------------------------------ API
    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Score ``S(x, y)`` (higher is better): ``score_from_local(local_logits(x), y)``.

        Args:
            x: ``(B, D)`` dense or sparse features.
            y: ``(B, L)`` or ``(B, K, L)``.

        Returns:
            ``(B,)`` or ``(B, K)`` scores.
        """
        return self.score_from_local(self.local_logits(x), y)

    def energy(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Energy ``E(x, y) = −S(x, y)`` (lower is better); same shapes as :meth:`forward`."""
        return -self.forward(x, y)

    def extra_repr(self) -> str:
        return f"num_labels={self.num_labels}, global_hidden={self.global_hidden}"
