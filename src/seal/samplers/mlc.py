"""Candidate samplers for multi-label classification (no parameter gradients).

Source: ``seal-method.md`` A.4 (b) (discrete Bernoulli samples for NCE / ranking), A.4 (a) and A.5
(``dvn-samples``: Gaussian-logit perturbations plus ``p``), H.7 (``num_samples`` counts ``p``).

Both samplers run under :func:`torch.no_grad` on detached inputs, so they never build a graph into the
task-net. They are vectorised over the sample axis ``K``.
"""

from __future__ import annotations

import torch
from torch.nn import functional as F

__all__ = ["bernoulli_samples", "bernoulli_samples_sparse", "gaussian_logit_samples"]


def _check_k(k: int) -> int:
    if isinstance(k, bool) or int(k) != k or int(k) < 1:
        raise ValueError(f"number of samples k must be an integer >= 1, got {k!r}")
    return int(k)


@torch.no_grad()
def bernoulli_samples(probs: torch.Tensor, k: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """Draw ``k`` independent Bernoulli samples per example and label.

    ``y_{b,j,l} = 1[u_{b,j,l} < p_{b,l}]`` with ``u ~ U[0, 1)`` (same distribution as
    ``torch.bernoulli``, faster on CPU; see calibration.md).

    Args:
        probs: ``(B, L)`` probabilities ``p = σ(z)`` (any leading dims allowed: ``(..., L)``); detached.
        k: number of samples ``K >= 1``.
        generator: optional :class:`torch.Generator` (on ``probs.device``) for reproducibility.

    Returns:
        ``(B, k, L)`` float tensor (dtype of ``probs``) of 0/1 values, no grad.

    Raises:
        ValueError: ``k < 1``.
    """
    k = _check_k(k)
    p = probs.detach()
    shape = (*p.shape[:-1], k, p.shape[-1])
    u = torch.rand(shape, generator=generator, device=p.device, dtype=p.dtype)
    return (u < p.unsqueeze(-2)).to(p.dtype)


@torch.no_grad()
def bernoulli_samples_sparse(
    logits: torch.Tensor, k: int, generator: torch.Generator | None = None, gold: torch.Tensor | None = None
) -> "SparseCandidates":  # noqa: F821
    """``k`` samples of ``Bernoulli(σ(z))`` per example as :class:`SparseCandidates`, at a cost that follows the
    uncertain labels, not ``L`` (exact, not an approximation).

    Method (a Poisson process, exact): give label ``l`` the intensity ``λ_l = softplus(−|z_l|) =
    −log max(p_l, 1 − p_l)`` and lay the labels of an example end to end on a line, label ``l`` owning an
    interval of length ``λ_l`` (total ``Λ``). A unit-rate Poisson process on that line hits label ``l`` with
    probability ``1 − e^{−λ_l} = min(p_l, 1 − p_l)``, independently across labels (disjoint intervals), so
    ``y_l = hit_l`` where ``z_l <= 0`` and ``y_l = not hit_l`` where ``z_l > 0`` are independent
    ``Bernoulli(p_l)`` draws. The ``K`` samples of an example are ``K`` copies of the line laid end to end
    (length ``K·Λ``); the process is drawn as cumulative sums of ``Exp(1)`` gaps, so its points come out
    sorted, each is located by ``searchsorted`` in the example's cumulative intensities, and the resulting
    label ids are already in CSR order. The expected number of points per sample is ``Σ_l softplus(−|z_l|) <=
    1.45 Σ_l min(p_l, 1 − p_l)``: what the task-net is unsure about, not ``L``; the ``z > 0`` labels (a
    sample's likely positives) cost one index each.

    The random stream differs from :func:`bernoulli_samples` (the distribution does not); with the samples
    fixed the two paths give the same losses.

    Args:
        logits: ``(B, L)`` task-net logits ``z`` (detached).
        k: number of samples ``K >= 1``.
        generator: optional :class:`torch.Generator` for reproducibility.
        gold: optional ``(B, L)`` {0, 1} gold outputs, prepended as candidate 0 (then ``K + 1`` candidates).

    Returns:
        :class:`SparseCandidates` of shape ``(B, k, L)`` (``(B, k + 1, L)`` with ``gold``), no grad.
    """
    from seal.core.sparse import SparseCandidates

    k = _check_k(k)
    z = logits.detach()
    if z.dim() != 2:
        raise ValueError(f"bernoulli_samples_sparse: logits must be (B, L), got {tuple(z.shape)}")
    B, L = z.shape
    dev = z.device
    k0 = 0 if gold is None else 1
    Kt = k + k0
    # (B, L) cumulative intensities; a NaN logit draws nothing here (its NaN reaches log P_N and the loss, where
    # the training loop's non-finite check names it), as the dense path's ``u < NaN`` draws nothing
    cum = torch.cumsum(torch.nan_to_num(F.softplus(-z.abs()), nan=0.0).double(), 1)
    lam = cum[:, -1:].clamp_min(1e-300)  # (B, 1) Λ per example
    total = lam * k  # length of the K copies
    t_max = float(total.max())
    m = -(-int(t_max + 6.0 * t_max**0.5 + 16.0) // 64) * 64  # rounded up: the stream rarely depends on z
    gaps = torch.empty((B, m), dtype=torch.float64, device=dev).exponential_(generator=generator)
    pos = torch.cumsum(gaps, 1)
    while bool((pos[:, -1:] < total).any()):  # not enough points drawn for some example (rare): draw more
        more = torch.empty((B, m), dtype=torch.float64, device=dev).exponential_(generator=generator)
        pos = torch.cat([pos, pos[:, -1:] + torch.cumsum(more, 1)], 1)
    valid = pos < total
    j = torch.div(pos, lam, rounding_mode="floor").clamp_max(k - 1)
    label = torch.searchsorted(cum, pos - j * lam, right=True).clamp_max(L - 1)
    b = torch.arange(B, device=dev).unsqueeze(1)
    keys = (((b * Kt + k0) + j.long()) * L + label)[valid]  # sorted: by example, sample, label
    if keys.numel():
        keys = keys[torch.cat([keys.new_ones(1, dtype=torch.bool), keys[1:] != keys[:-1]])]  # one hit per label
    parts = [keys]
    inv = (z > 0).reshape(-1).nonzero().squeeze(1)  # likely positives: a hit turns them off
    if inv.numel():
        ib = torch.div(inv, L, rounding_mode="floor")
        il = inv - ib * L
        jj = torch.arange(k, device=dev)
        parts.append(((ib.unsqueeze(1) * Kt + k0 + jj) * L + il.unsqueeze(1)).reshape(-1))
    if gold is not None:
        g = (gold.detach().reshape(-1) != 0).nonzero().squeeze(1)
        gb = torch.div(g, L, rounding_mode="floor")
        parts.append((gb * Kt) * L + (g - gb * L))  # rows of their own: never equal to a sample key
    if len(parts) > 1:
        keys = torch.sort(torch.cat(parts)).values
        if inv.numel() and keys.numel() > 1:  # hit XOR likely positive: drop keys that occur twice
            dup = keys[1:] == keys[:-1]
            drop = torch.zeros_like(keys, dtype=torch.bool)
            drop[1:] |= dup
            drop[:-1] |= dup
            keys = keys[~drop]
    return SparseCandidates.from_keys(keys, (B, Kt, L))


@torch.no_grad()
def gaussian_logit_samples(
    logits: torch.Tensor,
    k: int,
    std: float,
    keep_probs: bool = True,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Continuous samples ``σ(z + std·ε)``, ``ε ~ N(0, I)`` (the ``dvn-samples`` / regression-s sampler).

    With ``keep_probs=True`` the output holds ``σ(z)`` itself **at index 0** followed by ``k − 1``
    perturbed samples, so ``k`` counts ``p`` (seal-method H.7); with ``keep_probs=False`` all ``k``
    entries are perturbed.

    Args:
        logits: ``(B, L)`` task-net logits ``z`` (any leading dims: ``(..., L)``); detached.
        k: total number of candidates ``K >= 1``.
        std: standard deviation of the logit noise, ``> 0``.
        keep_probs: include the unperturbed ``σ(z)`` at index 0.
        generator: optional :class:`torch.Generator` for reproducibility.

    Returns:
        ``(B, k, L)`` values in ``(0, 1)``, no grad.

    Raises:
        ValueError: ``k < 1`` or ``std <= 0``.
    """
    k = _check_k(k)
    if not float(std) > 0.0:
        raise ValueError(f"std must be > 0, got {std!r}")
    z = logits.detach()
    n_noisy = k - 1 if keep_probs else k
    shape = (*z.shape[:-1], n_noisy, z.shape[-1])
    eps = torch.randn(shape, generator=generator, device=z.device, dtype=z.dtype)
    noisy = torch.sigmoid(z.unsqueeze(-2) + float(std) * eps)
    if keep_probs:
        return torch.cat([torch.sigmoid(z).unsqueeze(-2), noisy], dim=-2)
    return noisy
