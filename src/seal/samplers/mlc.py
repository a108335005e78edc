"""Candidate samplers for multi-label classification (no parameter gradients).

Source: ``seal-method.md`` A.4 (b) (discrete Bernoulli samples for NCE / ranking), A.4 (a) and A.5
(``dvn-samples``: Gaussian-logit perturbations plus ``p``), H.7 (``num_samples`` counts ``p``).

Both samplers run under :func:`torch.no_grad` on detached inputs, so they never build a graph into the
task-net. They are vectorised over the sample axis ``K``.
"""

from __future__ import annotations

import torch

__all__ = ["bernoulli_samples", "gaussian_logit_samples"]


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
