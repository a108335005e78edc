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

    #: ``"auto"``: a sparse (CSR / COO) input goes through the first layer sparsely (:func:`sparse_linear`);
    #: ``"dense"``: it is densified first (the reference path).
    sparse_inputs: str = "auto"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._layers(x, 1)

    def forward_repeated(self, x: torch.Tensor, n: int) -> torch.Tensor:
        """``forward(x.repeat(n, 1))`` with the first layer computed once: its ``Linear`` and softplus do not depend on
        the copy, so ``softplus(Linear(x))`` is computed on ``(B, D)`` and stacked ``n`` times before the first
        dropout (which draws an independent mask for every copy, as the stacked forward does).

        The stacked forward's values at ``1/n`` of its first-layer cost, the largest layer for wide inputs (bibtex:
        ``D = 1836``). A row of a matrix product does not depend on the other rows, so the two agree to the bit where
        the BLAS uses the same kernel for ``B`` and ``n·B`` rows (so on bibtex and delicious batches, B = 32, n = 12 /
        6, checked over whole training batches); otherwise they differ by the product's float rounding.

        Shapes: ``(B, D) -> (n·B, H)``, copy-major (rows ``c·B .. c·B + B - 1`` are copy ``c``).
        """
        if n < 1:
            raise ValueError(f"n must be >= 1, got {n}")
        return self._layers(x, n)

    def _layers(self, x: torch.Tensor, n: int) -> torch.Tensor:
        for i, (lin, drop) in enumerate(zip(self.linears, self.drops)):
            if i == 0 and x.layout != torch.strided:
                if self.sparse_inputs == "dense":  # the reference path, for a well-formed batch only
                    from seal.core.sparse import check_sparse_rows, csr_parts

                    crow, col, val = csr_parts(x)
                    check_sparse_rows(col, crow, lin.in_features, val, what="sparse input features")
                    x = dense_input(x).to(lin.weight.dtype)
                    h = lin(x)
                else:
                    h = sparse_linear(x, lin.weight, lin.bias)
            else:
                h = lin(x)
            h = nn.functional.softplus(h)
            if i == 0 and n > 1:
                h = h.repeat(n, *([1] * (h.dim() - 1)))
            x = drop(h)
        return x


class _SparseRowsMatmul(torch.autograd.Function):
    """``S @ table`` for CSR rows ``S`` (``indices``, ``offsets``, optional ``weights``); gradient for ``table`` only.

    Forward: ``embedding_bag`` (mode ``"sum"``). Backward: ``Sᵀ @ grad`` as another ``embedding_bag`` over the
    transposed (CSC) structure, built by one stable sort of the indices -- a gather-sum again, several times
    faster on CPU than ``embedding_bag``'s own dense backward (a scatter) and than the dense weight-gradient matmul.
    """

    @staticmethod
    def forward(ctx, table, indices, offsets, weights, rows, transposed):
        ctx.save_for_backward(indices, rows, weights)
        ctx.num_rows = table.shape[0]
        ctx.transposed = transposed
        return nn.functional.embedding_bag(
            indices, table, offsets, mode="sum", per_sample_weights=weights, include_last_offset=True
        )

    @staticmethod
    def backward(ctx, grad):
        indices, rows, weights = ctx.saved_tensors
        if not ctx.needs_input_grad[0]:
            return None, None, None, None, None, None
        if ctx.transposed is not None:
            order, t_offsets = ctx.transposed()
        else:
            order = torch.sort(indices, stable=True).indices
            t_offsets = indices.new_zeros(ctx.num_rows + 1)
            torch.cumsum(torch.bincount(indices, minlength=ctx.num_rows), 0, out=t_offsets[1:])
        t_weights = None if weights is None else weights[order].to(grad.dtype)
        g = nn.functional.embedding_bag(
            rows[order], grad.contiguous(), t_offsets, mode="sum", per_sample_weights=t_weights, include_last_offset=True
        )
        return g, None, None, None, None, None


def sparse_rows_matmul(
    indices: torch.Tensor, offsets: torch.Tensor, table: torch.Tensor, weights: torch.Tensor | None = None,
    rows: torch.Tensor | None = None, transposed=None,
) -> torch.Tensor:
    """``S @ table`` for a sparse ``(N, V)`` matrix ``S`` in CSR form, differentiable in ``table``.

    Args:
        indices: ``(nnz,)`` int64 column ids of ``S`` row by row.
        offsets: ``(N + 1,)`` int64 row pointers.
        table: ``(V, G)`` dense, contiguous.
        weights: optional ``(nnz,)`` values of ``S`` (``None``: all ones, a {0, 1} matrix).
        rows: optional ``(nnz,)`` row id of every entry (computed from ``offsets`` when ``None``).
        transposed: optional callable returning the cached ``(order, column_offsets)`` CSC structure
            (:meth:`seal.core.sparse.SparseCandidates.transposed`), shared by several products over the same ``S``.

    Returns:
        ``(N, G)``; ``table.grad`` receives ``Sᵀ @ grad`` (a gather-sum over the transposed structure).
    """
    if rows is None:
        rows = torch.repeat_interleave(torch.arange(offsets.numel() - 1, device=offsets.device), offsets[1:] - offsets[:-1])
    return _SparseRowsMatmul.apply(table, indices, offsets, weights, rows, transposed)


def sparse_linear(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None) -> torch.Tensor:
    """``x @ weightᵀ + bias`` for a sparse CSR / COO ``x`` ``(B, D)``, from its non-zeros only.

    An ``embedding_bag`` (mode ``"sum"``, ``per_sample_weights`` = the values) over the contiguous ``(D, H)``
    table ``weightᵀ``: the forward pass gathers the rows of the non-zero features, the weight gradient sums the
    output gradients of the rows that hold each feature (:func:`sparse_rows_matmul`). Same values as the dense ``F.linear`` to float tolerance.

    Args:
        x: ``(B, D)`` sparse features (checked: indices in ``[0, D)``, finite values; see
            :func:`seal.core.sparse.check_sparse_rows`).
        weight: ``(H, D)`` (an ``nn.Linear`` weight).
        bias: ``(H,)`` or ``None``.

    Returns:
        ``(B, H)``.

    Raises:
        seal.core.sparse.SparseInputError: a malformed sparse batch (names the row).
    """
    from seal.core.sparse import check_sparse_rows, csr_parts

    if x.dim() != 2 or x.shape[1] != weight.shape[1]:
        raise ValueError(f"sparse input must be (B, D) with D = {weight.shape[1]}, got {tuple(x.shape)}")
    crow, col, val = csr_parts(x)
    check_sparse_rows(col, crow, weight.shape[1], val, what="sparse input features")
    out = sparse_rows_matmul(col.long(), crow.long(), weight.t().contiguous(), val.to(weight.dtype))
    return out if bias is None else out + bias


def repeat_rows(x: torch.Tensor, n: int) -> torch.Tensor:
    """``x.repeat(n, 1)`` for dense and sparse CSR / COO ``(B, D)`` inputs (sparse stays sparse, as CSR)."""
    if x.layout == torch.strided:
        return x.repeat(n, *([1] * (x.dim() - 1)))
    from seal.core.sparse import csr_parts

    crow, col, val = csr_parts(x)
    nnz = col.numel()
    shift = torch.arange(n, device=crow.device, dtype=crow.dtype).unsqueeze(1) * nnz
    new_crow = torch.cat([crow[:1], (crow[1:].unsqueeze(0) + shift).reshape(-1)])
    return torch.sparse_csr_tensor(new_crow, col.repeat(n), val.repeat(n), (x.shape[0] * n, x.shape[1]))


def dense_input(x: torch.Tensor) -> torch.Tensor:
    """Return a dense float tensor for ``x`` (sparse COO/CSR batches are densified per batch)."""
    if x.layout != torch.strided:
        x = x.to_dense()
    return x
