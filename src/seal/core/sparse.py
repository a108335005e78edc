"""Sparse discrete candidates and sparse input rows: index lists instead of mostly-zero dense tensors.

NCE / ranking candidates (the gold plus ``K`` Bernoulli samples of the task-net) are {0, 1} vectors with a few
per cent of ones, yet the dense path multiplies ``(B·(K+1), L) @ (L, G)`` and draws one uniform per label.
:class:`SparseCandidates` holds the same ``(B, K, L)`` candidates as sorted label-index lists (CSR: ``indices``
with ``offsets``), so the energies gather and sum (``embedding_bag``) and scatter-add their weight gradients, and
the sampler (:func:`seal.samplers.mlc.bernoulli_samples_sparse`) costs what the positives cost.

The dense ``(B, K, L)`` tensor stays the reference: every sparse computation is tested against it
(``SparseCandidates.to_dense``).

:func:`check_sparse_rows` refuses malformed sparse input (indices outside the label / feature range, negative
or unsorted offsets, non-finite values), naming the batch and the row, so that the dense fallback is never
taken silently when the sparse input is broken.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import Tensor

__all__ = ["AUTO_MIN_LABELS", "SparseCandidates", "SparseInputError", "check_sparse_rows", "csr_parts", "resolve_sparse_mode"]

SPARSE_MODES = ("auto", "dense", "sparse")

#: ``sparse="auto"`` takes the sparse candidate path from this many labels on. Below it the dense products are
#: a few small matmuls and the sparse path's fixed cost (a few dozen small index operations) does not pay:
#: measured on the 2-core machines (benchmarks/bench_sparse.py, one thread), a loss-net NCE step at L=159 is
#: ~0.9x with sparse candidates, at L=983 ~1.6x, at L=4000 ~2.4x.
AUTO_MIN_LABELS = 400


class SparseInputError(ValueError):
    """A sparse batch (candidates or input features) is malformed; the message names the batch and the row."""


def resolve_sparse_mode(owner: str, mode: str) -> str:
    """Check a ``sparse`` switch value: ``"auto"`` (sparse where it applies), ``"dense"`` (the reference path,
    always) or ``"sparse"`` (sparse, an error where it does not apply)."""
    if mode not in SPARSE_MODES:
        raise ValueError(f"{owner}: sparse must be one of {SPARSE_MODES}, got {mode!r}")
    return mode


def check_sparse_rows(
    indices: Tensor, offsets: Tensor, size: int, values: Tensor | None = None, *, what: str = "sparse batch",
    batch: int | str | None = None, row_names: str = "row",
) -> None:
    """Validate CSR rows: ``offsets`` non-decreasing from 0 to ``nnz``, every index in ``[0, size)``, values finite.

    Args:
        indices: ``(nnz,)`` integer column / label indices.
        offsets: ``(N + 1,)`` row pointers.
        size: the number of columns (labels ``L`` or features ``D``).
        values: optional ``(nnz,)`` values (input features), checked finite.
        what: names the batch kind in the message (``"candidates"``, ``"input features"``).
        batch: the batch index, named in the message when given.
        row_names: how a row is named (``"row"``, ``"candidate row"``).

    Raises:
        SparseInputError: naming the batch, the first offending row, the index / value and the allowed range.
    """
    where = f"{what}" + (f" (batch {batch})" if batch is not None else "")
    if indices.dim() != 1 or offsets.dim() != 1 or offsets.numel() < 1:
        raise SparseInputError(f"{where}: indices must be 1-D and offsets 1-D with N + 1 entries")
    nnz = indices.numel()
    if int(offsets[0]) != 0 or int(offsets[-1]) != nnz or bool((offsets[1:] < offsets[:-1]).any()):
        raise SparseInputError(f"{where}: offsets must rise from 0 to nnz={nnz}")
    if indices.is_floating_point():
        raise SparseInputError(f"{where}: indices must be integers, got {indices.dtype}")
    bad = (indices < 0) | (indices >= size)
    if values is not None:
        if values.shape != indices.shape:
            raise SparseInputError(f"{where}: values {tuple(values.shape)} do not match indices {tuple(indices.shape)}")
        bad_val = ~torch.isfinite(values)
    else:
        bad_val = None
    for mask, kind in ((bad, "index"), (bad_val, "value")):
        if mask is None or not bool(mask.any()):
            continue
        pos = int(mask.nonzero()[0, 0])
        row = int(torch.searchsorted(offsets, torch.tensor(pos, device=offsets.device), right=True)) - 1
        if kind == "index":
            raise SparseInputError(f"{where}: {row_names} {row} has index {int(indices[pos])} outside [0, {size})")
        raise SparseInputError(f"{where}: {row_names} {row} has a non-finite value {float(values[pos])}")


def csr_parts(x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """``(crow_indices, col_indices, values)`` of a 2-D sparse CSR or COO tensor (COO is converted)."""
    if x.layout == torch.sparse_coo:
        x = x.coalesce().to_sparse_csr()
    if x.layout != torch.sparse_csr:
        raise TypeError(f"expected a sparse CSR or COO tensor, got layout {x.layout}")
    return x.crow_indices(), x.col_indices(), x.values()


@dataclass(frozen=True, eq=False)
class SparseCandidates:
    """``(B, K, L)`` binary candidates as CSR index lists (row ``r = b·K + k``).

    Attributes:
        indices: ``(nnz,)`` int64 label ids of the ones, row by row, ascending within a row.
        offsets: ``(B·K + 1,)`` int64; row ``r`` holds ``indices[offsets[r]:offsets[r + 1]]``.
        rows: ``(nnz,)`` int64 row id of every entry.
        shape: ``(B, K, L)``.

    Built from sorted keys ``r·L + l`` (:meth:`from_keys`), from a dense tensor (:meth:`from_dense`) or by the
    sparse sampler; :meth:`to_dense` is the reference representation.
    """

    indices: Tensor
    offsets: Tensor
    rows: Tensor
    shape: tuple[int, int, int]
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_keys(cls, keys: Tensor, shape: tuple[int, int, int]) -> "SparseCandidates":
        """From **sorted, distinct** int64 keys ``(b·K + k)·L + l``."""
        B, K, L = (int(s) for s in shape)
        rows = torch.div(keys, L, rounding_mode="floor")
        indices = keys - rows * L
        counts = torch.bincount(rows, minlength=B * K)
        offsets = torch.zeros(B * K + 1, dtype=torch.long, device=keys.device)
        torch.cumsum(counts, 0, out=offsets[1:])
        return cls(indices, offsets, rows, (B, K, L))

    @classmethod
    def from_dense(cls, y: Tensor) -> "SparseCandidates":
        """From dense {0, 1} candidates ``(B, K, L)`` (or ``(B, L)``: ``K = 1``); entries ``!= 0`` are ones."""
        if y.dim() == 2:
            y = y.unsqueeze(1)
        if y.dim() != 3:
            raise ValueError(f"SparseCandidates.from_dense: y must be (B, K, L) or (B, L), got {tuple(y.shape)}")
        B, K, L = y.shape
        keys = (y.reshape(-1) != 0).nonzero().squeeze(1)
        return cls.from_keys(keys, (B, K, L))

    # ------------------------------------------------------------------ properties
    @property
    def batch_size(self) -> int:
        return self.shape[0]

    @property
    def num_candidates(self) -> int:
        return self.shape[1]

    @property
    def num_labels(self) -> int:
        return self.shape[2]

    @property
    def nnz(self) -> int:
        return self.indices.numel()

    @property
    def device(self) -> torch.device:
        return self.indices.device

    def dim(self) -> int:
        return 3

    def keys(self) -> Tensor:
        """``(nnz,)`` sorted keys ``row·L + label``."""
        return self.rows * self.num_labels + self.indices

    def example_ids(self) -> Tensor:
        """``(nnz,)`` the example ``b`` of every entry."""
        return torch.div(self.rows, self.num_candidates, rounding_mode="floor")

    def counts(self) -> Tensor:
        """``(B, K)`` number of ones per candidate."""
        return (self.offsets[1:] - self.offsets[:-1]).view(self.batch_size, self.num_candidates)

    def transposed(self) -> tuple[Tensor, Tensor]:
        """``(order, label_offsets)``: the entries grouped by label (stable), i.e. the CSC structure that the weight
        gradients of the gathers sum over; computed once per candidate set and cached."""
        if "csc" not in self._cache:
            L = self.num_labels
            order = torch.sort(self.indices, stable=True).indices
            t_offsets = self.indices.new_zeros(L + 1)
            torch.cumsum(torch.bincount(self.indices, minlength=L), 0, out=t_offsets[1:])
            self._cache["csc"] = (order, t_offsets)
        return self._cache["csc"]

    # ------------------------------------------------------------------ conversion
    def to_dense(self, dtype: torch.dtype = torch.float32) -> Tensor:
        """The dense ``(B, K, L)`` {0, 1} tensor (the reference representation)."""
        B, K, L = self.shape
        out = torch.zeros(B * K * L, dtype=dtype, device=self.device)
        out[self.keys()] = 1
        return out.view(B, K, L)

    def to(self, *args, **kwargs) -> "SparseCandidates":
        """Device moves only (index tensors keep their dtype)."""
        conv = lambda t: t.to(*[a for a in args if not isinstance(a, torch.dtype)], **{k: v for k, v in kwargs.items() if k != "dtype"})  # noqa: E731
        return SparseCandidates(conv(self.indices), conv(self.offsets), conv(self.rows), self.shape)

    def detach(self) -> "SparseCandidates":
        return self

    @staticmethod
    def cat(parts: list["SparseCandidates"]) -> "SparseCandidates":
        """Concatenate along the candidate axis ``K`` (e.g. the gold, then the samples)."""
        B, _, L = parts[0].shape
        if any(p.batch_size != B or p.num_labels != L for p in parts):
            raise ValueError("SparseCandidates.cat: parts must share B and L")
        K = sum(p.num_candidates for p in parts)
        keys, k0 = [], 0
        for p in parts:
            b = p.example_ids()
            k = p.rows - b * p.num_candidates
            keys.append((b * K + k0 + k) * L + p.indices)
            k0 += p.num_candidates
        return SparseCandidates.from_keys(torch.sort(torch.cat(keys)).values, (B, K, L))

    def check(self, num_labels: int | None = None, *, batch: int | str | None = None) -> None:
        """Raise :class:`SparseInputError` (naming batch and candidate row) for label ids outside ``[0, L)``."""
        check_sparse_rows(
            self.indices, self.offsets, self.num_labels if num_labels is None else num_labels,
            what="sparse candidates", batch=batch, row_names="candidate row",
        )

    def __repr__(self) -> str:
        return f"SparseCandidates(shape={self.shape}, nnz={self.nnz})"
