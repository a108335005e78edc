"""Output spaces: everything the SEAL objectives need to know about the shape of ``y``.

An output space owns, for its kind of structured output (``seal-method.md`` A.1-A.5; the interface is modelled
on torch-struct's distributions):

* :meth:`~OutputSpace.relax` — the relaxed output ``ŷ = g(z)`` of task-net logits ``z`` that the loss-net scores
  and the task-net objective differentiates through;
* :meth:`~OutputSpace.sample` — discrete candidates drawn from the detached task-net (NCE / ranking noise),
  ``(B, K, *out)``, never with gradients;
* :meth:`~OutputSpace.perturb` — continuous Gaussian-logit candidates (DVN ``regression-s``), ``(B, K, *out)``;
* :meth:`~OutputSpace.log_prob` — ``log P_N(y_k)`` of any candidates under the task-net's factorised
  distribution, computed from logits (finite when the probabilities saturate, case B16), ``(B, K)``;
* :meth:`~OutputSpace.project` — the GBI projection (box clamp or simplex projection), and :attr:`gbi_space`;
* :meth:`~OutputSpace.oracle` — the oracle value ``v(ŷ, y*) ∈ [0, 1]`` the regression objective targets, ``(B, K)``;
* :meth:`~OutputSpace.supervised_loss` — the per-example cross-entropy anchor of the task-net objective, ``(B,)``.

Three spaces:

============================  =================  ======================  ==========================================
space                         task-net logits    output ``y``            noise / oracle / anchor
============================  =================  ======================  ==========================================
:class:`MultiLabelSpace`      ``(B, L)``         ``[0,1]^L`` box         Bernoulli / soft F1 / Σ_l BCE
:class:`BinaryMaskSpace`      ``(B, 2, H, W)``   ``[0,1]^{H×W}`` box     Bernoulli per pixel / soft IoU / pixel-mean CE
:class:`TaggingSpace`         ``(B, T, C)``      ``Δ_C^T`` with a mask   categorical per position / soft accuracy /
                                                                         Σ_t CE over real positions
============================  =================  ======================  ==========================================

The multi-label and mask spaces call exactly the functions the objectives used before this module existed
(:func:`seal.samplers.bernoulli_samples`, :func:`seal.samplers.gaussian_logit_samples`,
:func:`noise_log_prob`, :func:`seal.oracles.soft_f1` / :func:`~seal.oracles.soft_iou`), in the same order, so
random streams and floating-point results are unchanged.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor
from torch.nn import functional as F

from seal.inference.gbi import project_box, project_simplex
from seal.oracles.functional import soft_f1, soft_iou
from seal.core.sparse import SparseCandidates
from seal.samplers.mlc import _check_k, bernoulli_samples, bernoulli_samples_sparse, gaussian_logit_samples

__all__ = [
    "BinaryMaskSpace",
    "MultiLabelSpace",
    "OutputSpace",
    "TaggingSpace",
    "get_space",
    "noise_log_prob",
    "noise_log_prob_sparse",
]


def noise_log_prob(task_logits: Tensor, y: Tensor) -> Tensor:
    """``log P_N(y) = −Σ_l BCEWithLogits(z_l, y_l)`` under the factorised Bernoulli ``σ(z)``, from logits.

    Computed as ``−[y · softplus(−z) + (1 − y) · softplus(z)]`` summed over the last dimension: every term is
    non-negative, so there is no cancellation and no ``log 0`` (seal-method H.8, case B16: logits ``[20, −20]``
    vs gold ``[0, 1]`` give exactly ``−40.0`` in float32). Unlike the release there is no −100 clamp. Valid for
    relaxed ``y ∈ [0, 1]`` too (it is exactly BCE-with-logits).

    Args:
        task_logits: ``(B, L)`` task-net logits (detached here).
        y: ``(B, K, L)`` candidates (or ``(B, L)``).

    Returns:
        ``(B, K)`` (or ``(B,)``) log-probabilities (<= 0). No gradient flows into ``task_logits``.
    """
    z = task_logits.detach()
    y = y.to(z.dtype)
    log_p1 = F.softplus(-z)  # −log σ(z)
    log_p0 = F.softplus(z)  # −log(1 − σ(z))
    if y.dim() == z.dim():
        dist = (y * log_p1 + (1.0 - y) * log_p0).sum(-1)
    else:
        dist = torch.matmul(y, log_p1.unsqueeze(-1)).squeeze(-1) + torch.matmul(1.0 - y, log_p0.unsqueeze(-1)).squeeze(-1)
    return -dist


def noise_log_prob_sparse(task_logits: Tensor, cands: SparseCandidates) -> Tensor:
    """``log P_N(y)`` of sparse binary candidates under ``Bernoulli(σ(z))``, at a cost that follows the ones.

    ``log P_N(y) = Σ_l log(1 − p_l) + Σ_{l ∈ y} [log p_l − log(1 − p_l)] = −Σ_l softplus(z_l) + Σ_{l ∈ y} z_l``
    (since ``log σ(z) − log(1 − σ(z)) = z``): one ``(B, L)`` softplus sum per example, shared by all ``K``
    candidates, plus a gather of the logits at the ones. Accumulated in float64 and returned in the logits'
    dtype, so the cancellation between the two sums costs no accuracy; finite for finite logits however
    saturated (the same value as :func:`noise_log_prob` on ``cands.to_dense()`` to float tolerance).

    Args:
        task_logits: ``(B, L)`` task-net logits (detached here).
        cands: :class:`~seal.core.sparse.SparseCandidates` ``(B, K, L)``.

    Returns:
        ``(B, K)`` log-probabilities, no gradient.
    """
    z = task_logits.detach()
    B, K, L = cands.shape
    if tuple(z.shape) != (B, L):
        raise ValueError(f"noise_log_prob_sparse: logits must be (B, L) = {(B, L)}, got {tuple(z.shape)}")
    zd = z.double()
    base = -F.softplus(zd).sum(-1)  # (B,) log P_N of the empty output
    picked = zd.reshape(-1)[cands.example_ids() * L + cands.indices]
    per_row = torch.zeros(B * K, dtype=torch.float64, device=z.device).index_add_(0, cands.rows, picked)
    return (per_row.view(B, K) + base.unsqueeze(1)).to(z.dtype)


def _check_std(std: float) -> float:
    std = float(std)
    if not (math.isfinite(std) and std > 0.0):
        raise ValueError(f"std must be a finite number > 0, got {std!r}")
    return std


class OutputSpace:
    """Protocol of an output space (see the module docstring). Subclasses implement every method.

    Attributes:
        name: registry name (``"multilabel"``, ``"binary-mask"``, ``"tagging"``).
        gbi_space: the relaxed domain GBI works in, ``"box"`` or ``"simplex"``
            (:func:`seal.inference.gradient_based_inference`).
        event_dims: number of trailing dimensions of one output ``y`` (1 for ``(L,)``, 2 for ``(H, W)``/``(T, C)``).
    """

    name: str = ""
    gbi_space: str = "box"
    event_dims: int = 1
    #: whether :meth:`sample_sparse` draws :class:`~seal.core.sparse.SparseCandidates` and :meth:`log_prob`
    #: accepts them (the NCE / ranking objectives then take the sparse path, see ``sparse="auto"``)
    supports_sparse: bool = False

    def relax(self, logits: Tensor, mask: Tensor | None = None) -> Tensor:  # pragma: no cover - protocol
        raise NotImplementedError

    def sample(self, logits: Tensor, k: int, generator: torch.Generator | None = None, mask: Tensor | None = None) -> Tensor:  # pragma: no cover
        raise NotImplementedError

    def perturb(
        self, logits: Tensor, k: int, std: float, keep_relaxed: bool = True, generator: torch.Generator | None = None,
        mask: Tensor | None = None,
    ) -> Tensor:  # pragma: no cover - protocol
        raise NotImplementedError

    def log_prob(self, logits: Tensor, y: Tensor, mask: Tensor | None = None) -> Tensor:  # pragma: no cover
        raise NotImplementedError

    def project(self, y: Tensor) -> Tensor:
        """Project relaxed outputs back into the space (GBI); any leading dimensions."""
        return project_box(y) if self.gbi_space == "box" else project_simplex(y)

    def oracle(self, y_hat: Tensor, gold: Tensor, mask: Tensor | None = None) -> Tensor:  # pragma: no cover
        raise NotImplementedError

    def supervised_loss(self, logits: Tensor, gold: Tensor, mask: Tensor | None = None) -> Tensor:  # pragma: no cover
        raise NotImplementedError

    def gold_output(self, gold: Tensor, like: Tensor, mask: Tensor | None = None) -> Tensor:
        """The gold output as a point of the space ``(B, *out)`` in ``like``'s dtype (tagging: one-hot)."""
        return gold.to(like.dtype)

    def check_logits(self, logits: Tensor) -> None:
        """Raise ``ValueError`` (naming expected and actual shapes) if ``logits`` do not fit this space."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class MultiLabelSpace(OutputSpace):
    """The multi-label box ``[0, 1]^L`` (feature- and text-based MLC, ``seal-method.md`` B.1, B.2).

    Logits ``(B, L)``; outputs ``(B, L)``; candidates ``(B, K, L)``. Relaxed output ``σ(z)``; noise
    ``Bernoulli(σ(z))`` i.i.d. per label; oracle soft per-instance F1 (empty/empty = 1); anchor ``Σ_l BCE``.
    """

    name = "multilabel"
    gbi_space = "box"
    event_dims = 1

    def check_logits(self, logits: Tensor) -> None:
        if logits.dim() != 2:
            raise ValueError(f"multi-label task-net logits must be (B, L), got shape {tuple(logits.shape)}")

    def relax(self, logits: Tensor, mask: Tensor | None = None) -> Tensor:
        """``σ(z)``: ``(B, L) -> (B, L)`` (differentiable)."""
        return torch.sigmoid(logits)

    @torch.no_grad()
    def sample(self, logits: Tensor, k: int, generator: torch.Generator | None = None, mask: Tensor | None = None) -> Tensor:
        """``k`` Bernoulli samples per example, ``(B, k, L)`` of 0/1 in the logits' dtype (no grad)."""
        return bernoulli_samples(torch.sigmoid(logits.detach()), k, generator=generator)

    supports_sparse = True

    @torch.no_grad()
    def sample_sparse(
        self, logits: Tensor, k: int, generator: torch.Generator | None = None, gold: Tensor | None = None
    ) -> SparseCandidates:
        """``k`` Bernoulli samples per example as :class:`~seal.core.sparse.SparseCandidates` ``(B, k, L)``
        (``(B, k + 1, L)`` with the ``gold`` ``(B, L)`` prepended), drawn at a cost that follows the uncertain
        labels (:func:`seal.samplers.mlc.bernoulli_samples_sparse`; same distribution, another random stream)."""
        return bernoulli_samples_sparse(logits, k, generator=generator, gold=gold)

    @torch.no_grad()
    def perturb(
        self, logits: Tensor, k: int, std: float, keep_relaxed: bool = True, generator: torch.Generator | None = None,
        mask: Tensor | None = None,
    ) -> Tensor:
        """``σ(z)`` (if ``keep_relaxed``) then Gaussian-logit samples ``σ(z + std·ε)``: ``(B, k, L)`` (H.7)."""
        return gaussian_logit_samples(logits, k, std, keep_probs=keep_relaxed, generator=generator)

    def log_prob(self, logits: Tensor, y: Tensor | SparseCandidates, mask: Tensor | None = None) -> Tensor:
        """``log P_N(y)`` under ``Bernoulli(σ(z))``: logits ``(B, L)``, ``y`` ``(B, K, L)`` (dense or
        :class:`~seal.core.sparse.SparseCandidates`) -> ``(B, K)``."""
        if isinstance(y, SparseCandidates):
            return noise_log_prob_sparse(logits, y)
        return noise_log_prob(logits, y)

    def oracle(self, y_hat: Tensor, gold: Tensor, mask: Tensor | None = None) -> Tensor:
        """Soft F1 of candidates ``(B, K, L)`` against the gold ``(B, L)``: ``(B, K)`` (no grad needed)."""
        gold = gold.to(y_hat.dtype)
        return soft_f1(y_hat, gold.unsqueeze(1).expand_as(y_hat))

    def supervised_loss(self, logits: Tensor, gold: Tensor, mask: Tensor | None = None) -> Tensor:
        """``Σ_l BCEWithLogits(z_l, y*_l)``: ``(B, L)`` -> ``(B,)``."""
        return F.binary_cross_entropy_with_logits(logits, gold.to(logits.dtype), reduction="none").sum(-1)


class BinaryMaskSpace(OutputSpace):
    """Binary masks ``[0, 1]^{H×W}`` (image segmentation, ``seal-method.md`` B.4).

    Logits ``(B, 2, H, W)`` (channel 1 = foreground) or ``(B, 1, H, W)`` (foreground log-odds); outputs
    ``(B, H, W)``; candidates ``(B, K, H, W)``. Relaxed output ``p = softmax(z)[:, 1] = σ(d)`` with the
    foreground log-odds ``d = z_1 − z_0``; noise ``Bernoulli(p)`` per pixel; oracle soft IoU (empty/empty = 1);
    anchor the pixel-mean 2-class cross-entropy.
    """

    name = "binary-mask"
    gbi_space = "box"
    event_dims = 2

    def check_logits(self, logits: Tensor) -> None:
        if logits.dim() != 4 or logits.shape[1] not in (1, 2):
            raise ValueError(f"binary-mask task-net logits must be (B, 2, H, W) or (B, 1, H, W), got shape {tuple(logits.shape)}")

    @staticmethod
    def log_odds(logits: Tensor) -> Tensor:
        """Foreground log-odds ``d``: ``(B, 2, H, W) -> (B, H, W)`` (``z_1 − z_0``) or ``(B, 1, H, W) -> (B, H, W)``."""
        return logits[:, 0] if logits.shape[1] == 1 else logits[:, 1] - logits[:, 0]

    def relax(self, logits: Tensor, mask: Tensor | None = None) -> Tensor:
        """Foreground probability ``(B, H, W)`` (differentiable): ``softmax(z)[:, 1]`` or ``σ(z[:, 0])``."""
        return torch.sigmoid(logits[:, 0]) if logits.shape[1] == 1 else torch.softmax(logits, dim=1)[:, 1]

    @torch.no_grad()
    def sample(self, logits: Tensor, k: int, generator: torch.Generator | None = None, mask: Tensor | None = None) -> Tensor:
        """``k`` masks with every pixel an independent ``Bernoulli(p)``: ``(B, k, H, W)`` (no grad)."""
        p = self.relax(logits.detach())
        B, H, W = p.shape
        return bernoulli_samples(p.reshape(B, H * W), k, generator=generator).view(B, -1, H, W)

    @torch.no_grad()
    def perturb(
        self, logits: Tensor, k: int, std: float, keep_relaxed: bool = True, generator: torch.Generator | None = None,
        mask: Tensor | None = None,
    ) -> Tensor:
        """``p`` (if ``keep_relaxed``) then ``σ(d + std·ε)`` per pixel: ``(B, k, H, W)`` (regression-s, H.7)."""
        d = self.log_odds(logits.detach())
        B, H, W = d.shape
        return gaussian_logit_samples(d.reshape(B, H * W), k, std, keep_probs=keep_relaxed, generator=generator).view(B, k, H, W)

    def log_prob(self, logits: Tensor, y: Tensor, mask: Tensor | None = None) -> Tensor:
        """``Σ_pixels [y log p + (1−y) log(1−p)]`` from the log-odds: ``y`` ``(B, K, H, W)`` -> ``(B, K)``."""
        d = self.log_odds(logits.detach())
        return noise_log_prob(d.flatten(1), y.flatten(2))

    def oracle(self, y_hat: Tensor, gold: Tensor, mask: Tensor | None = None) -> Tensor:
        """Soft IoU of candidates ``(B, K, H, W)`` against the gold ``(B, H, W)``: ``(B, K)``."""
        return soft_iou(y_hat, gold.to(y_hat.dtype).unsqueeze(1))

    def supervised_loss(self, logits: Tensor, gold: Tensor, mask: Tensor | None = None) -> Tensor:
        """Per-image pixel-mean cross-entropy: ``(B, 2, H, W)``, ``(B, H, W)`` -> ``(B,)``."""
        if logits.shape[1] == 1:
            return F.binary_cross_entropy_with_logits(logits[:, 0], gold.to(logits.dtype), reduction="none").flatten(1).mean(1)
        return F.cross_entropy(logits, gold.long(), reduction="none").flatten(1).mean(1)


class TaggingSpace(OutputSpace):
    """Per-position categorical outputs with a mask, ``Δ_C^T`` (sequence tagging / SRL, ``seal-method.md`` B.3).

    Logits ``(B, T, C)``; ``mask`` ``(B, T)`` bool, ``True`` at real positions (``None``: all real); gold tags
    ``(B, T)`` int64 in ``[0, C)`` (any value at padded positions) or one-hot ``(B, T, C)``; outputs and
    candidates are one-hot or relaxed distributions ``(B, T, C)`` / ``(B, K, T, C)`` that are **zero at padded
    positions**, so padding never enters a score, ``log P_N`` or an oracle value.

    * relax: ``softmax(z)`` per position (times the mask);
    * sample: one categorical draw per position (inverse CDF with one uniform per position: ``K·T`` uniforms,
      not ``K·T·C``), one-hot ``(B, K, T, C)``;
    * log_prob: ``Σ_{t real} Σ_c y_tc · log softmax(z)_tc`` (relaxed ``y`` allowed);
    * oracle: soft token accuracy ``Σ_{t real} Σ_c min(ŷ_tc, y*_tc) / #real`` (1.0 for a sequence without real
      positions); with ``null_tag`` set, soft F1 over the non-null tags instead (the SRL argument F1, with
      empty/empty = 1);
    * supervised_loss: ``Σ_{t real} CE(z_t, y*_t)``.

    Args:
        null_tag: index of the "no role" tag (``O``) for the F1 oracle, or ``None`` for token accuracy.

    Raises:
        ValueError: logits not 3-D, a mask of another shape, or gold tags outside ``[0, C)`` at real positions.
    """

    name = "tagging"
    gbi_space = "simplex"
    event_dims = 2

    def __init__(self, null_tag: int | None = None) -> None:
        if null_tag is not None and (isinstance(null_tag, bool) or not isinstance(null_tag, int) or null_tag < 0):
            raise ValueError(f"TaggingSpace: null_tag must be an integer >= 0 or None, got {null_tag!r}")
        self.null_tag = null_tag

    def __repr__(self) -> str:
        return f"TaggingSpace(null_tag={self.null_tag!r})"

    def check_logits(self, logits: Tensor) -> None:
        if logits.dim() != 3:
            raise ValueError(f"tagging task-net logits must be (B, T, C), got shape {tuple(logits.shape)}")

    @staticmethod
    def _mask(logits: Tensor, mask: Tensor | None) -> Tensor:
        B, T = logits.shape[:2]
        if mask is None:
            return torch.ones(B, T, dtype=torch.bool, device=logits.device)
        if tuple(mask.shape) != (B, T):
            raise ValueError(f"tagging mask must be (B, T) = {(B, T)}, got {tuple(mask.shape)}")
        return mask.to(device=logits.device, dtype=torch.bool)

    def one_hot(self, tags: Tensor, num_tags: int, mask: Tensor | None = None) -> Tensor:
        """Gold tags ``(B, T)`` (or ``(B, K, T)``) -> one-hot ``(..., T, C)``, zero at padded positions.

        Raises:
            ValueError: a tag outside ``[0, C)`` at a real position (names the first one).
        """
        if mask is None:
            m = torch.ones_like(tags, dtype=torch.bool)
        else:
            m = mask.to(device=tags.device, dtype=torch.bool)
            if tags.dim() == 3:  # (B, K, T) sequences, one (B, T) mask
                m = m.unsqueeze(1).expand_as(tags)
        bad = m & ((tags < 0) | (tags >= num_tags))
        if bool(bad.any()):
            idx = tuple(int(i) for i in bad.nonzero()[0])
            raise ValueError(f"tag {int(tags[idx])} at position {idx} is outside [0, {num_tags})")
        safe = torch.where(m, tags, torch.zeros_like(tags)).long()
        return F.one_hot(safe, num_tags).to(torch.get_default_dtype()) * m.unsqueeze(-1)

    def _gold(self, gold: Tensor, logits_or_c: Tensor | int, mask: Tensor | None) -> Tensor:
        C = logits_or_c if isinstance(logits_or_c, int) else logits_or_c.shape[-1]
        if gold.is_floating_point() and gold.dim() >= 3:
            return gold
        return self.one_hot(gold, C, mask)

    def gold_output(self, gold: Tensor, like: Tensor, mask: Tensor | None = None) -> Tensor:
        """Gold tags ``(B, T)`` (or one-hot ``(B, T, C)``) -> one-hot ``(B, T, C)`` in ``like``'s dtype, zero at
        padded positions."""
        return self._gold(gold, like.shape[-1], mask).to(like.dtype)

    def relax(self, logits: Tensor, mask: Tensor | None = None) -> Tensor:
        """``softmax(z)`` per position, zero at padded positions: ``(B, T, C)`` (differentiable)."""
        m = self._mask(logits, mask)
        return torch.softmax(logits, dim=-1) * m.unsqueeze(-1).to(logits.dtype)

    @torch.no_grad()
    def sample_indices(self, logits: Tensor, k: int, generator: torch.Generator | None = None, mask: Tensor | None = None) -> Tensor:
        """``k`` tag sequences ``(B, k, T)`` int64, one categorical draw per position (padded positions: 0)."""
        k = _check_k(k)
        m = self._mask(logits, mask)
        p = torch.softmax(logits.detach(), dim=-1)
        cdf = p.cumsum(-1)
        B, T, C = p.shape
        u = torch.rand((B, k, T, 1), generator=generator, device=p.device, dtype=p.dtype)
        # index = number of classes whose cumulative probability lies below u (inverse CDF), clamped for rounding
        idx = (cdf.unsqueeze(1) <= u).sum(-1).clamp_max(C - 1)
        return torch.where(m.unsqueeze(1), idx, torch.zeros_like(idx))

    @torch.no_grad()
    def sample(self, logits: Tensor, k: int, generator: torch.Generator | None = None, mask: Tensor | None = None) -> Tensor:
        """``k`` one-hot tag sequences ``(B, k, T, C)`` in the logits' dtype, zero at padded positions (no grad)."""
        m = self._mask(logits, mask)
        idx = self.sample_indices(logits, k, generator, m)
        return F.one_hot(idx, logits.shape[-1]).to(logits.dtype) * m.unsqueeze(1).unsqueeze(-1).to(logits.dtype)

    @torch.no_grad()
    def perturb(
        self, logits: Tensor, k: int, std: float, keep_relaxed: bool = True, generator: torch.Generator | None = None,
        mask: Tensor | None = None,
    ) -> Tensor:
        """``softmax(z)`` (if ``keep_relaxed``) then ``softmax(z + std·ε)`` per position: ``(B, k, T, C)``."""
        k = _check_k(k)
        std = _check_std(std)
        z = logits.detach()
        m = self._mask(z, mask).unsqueeze(1).unsqueeze(-1).to(z.dtype)
        n = k - 1 if keep_relaxed else k
        eps = torch.randn((z.shape[0], n, *z.shape[1:]), generator=generator, device=z.device, dtype=z.dtype)
        noisy = torch.softmax(z.unsqueeze(1) + std * eps, dim=-1)
        out = torch.cat([torch.softmax(z, -1).unsqueeze(1), noisy], dim=1) if keep_relaxed else noisy
        return out * m

    def gold_indices(self, gold: Tensor, mask: Tensor | None = None) -> Tensor:
        """Gold tags as indices ``(B, T)`` int64 (one-hot ``(B, T, C)`` gold: its argmax), 0 at padded positions."""
        tags = gold.argmax(-1) if gold.is_floating_point() and gold.dim() >= 3 else gold.long()
        if mask is None:
            return tags
        return torch.where(mask.to(device=tags.device, dtype=torch.bool), tags, torch.zeros_like(tags))

    def log_prob_indices(self, logits: Tensor, tags: Tensor, mask: Tensor | None = None) -> Tensor:
        """``log P_N`` of index candidates: ``Σ_{t real} log softmax(z)_{t, y_t}``, a gather instead of the one-hot
        product of :meth:`log_prob` (same values). Logits ``(B, T, C)``, ``tags`` ``(B, K, T)`` -> ``(B, K)``."""
        m = self._mask(logits, mask)
        logp = torch.log_softmax(logits.detach(), dim=-1)
        B, K, T = tags.shape
        picked = logp.unsqueeze(1).expand(B, K, T, logp.shape[-1]).gather(-1, tags.unsqueeze(-1)).squeeze(-1)
        return (picked * m.unsqueeze(1).to(picked.dtype)).sum(-1)

    @staticmethod
    def local_score_indices(local: Tensor, tags: Tensor, mask: Tensor | None = None) -> Tensor:
        """The local (per-position) energy term of index candidates: ``Σ_{t real} local_{t, y_t}``, a gather.

        The hook a tagging score network's ``score_indices(ctx, tags (B, K, T), mask) -> (B, K)`` builds on: it
        equals ``Σ_{t, c} y_tc · local_tc`` of the one-hot candidates without materialising ``(B, K, T, C)``.
        Differentiable in ``local`` ``(B, T, C)``.
        """
        B, K, T = tags.shape
        picked = local.unsqueeze(1).expand(B, K, T, local.shape[-1]).gather(-1, tags.unsqueeze(-1)).squeeze(-1)
        if mask is not None:
            picked = picked * mask.to(device=picked.device, dtype=picked.dtype).unsqueeze(1)
        return picked.sum(-1)

    def log_prob(self, logits: Tensor, y: Tensor, mask: Tensor | None = None) -> Tensor:
        """``Σ_{t real} Σ_c y_tc log softmax(z)_tc``: logits ``(B, T, C)``, ``y`` ``(B, K, T, C)`` -> ``(B, K)``.

        Padded positions do not enter (the mask is applied here as well as in the candidates). Finite for finite
        logits, also when a probability underflows (log-softmax, not log of softmax).
        """
        m = self._mask(logits, mask)
        logp = torch.log_softmax(logits.detach(), dim=-1) * m.unsqueeze(-1).to(logits.dtype)
        single = y.dim() == 3
        yk = y.unsqueeze(1) if single else y
        out = (yk.to(logp.dtype) * logp.unsqueeze(1)).sum(dim=(-2, -1))
        return out[:, 0] if single else out

    def oracle(self, y_hat: Tensor, gold: Tensor, mask: Tensor | None = None) -> Tensor:
        """Soft token accuracy (or soft non-null F1 with ``null_tag``) of ``y_hat`` ``(B, K, T, C)`` vs the gold:
        ``(B, K)`` in ``[0, 1]``."""
        g = self._gold(gold, y_hat.shape[-1], mask).to(y_hat.dtype)
        B, T = g.shape[:2]
        m = torch.ones(B, T, dtype=torch.bool, device=g.device) if mask is None else mask.bool()
        mf = m.to(y_hat.dtype)
        y_hat = y_hat * mf.unsqueeze(1).unsqueeze(-1)
        g = g * mf.unsqueeze(-1)
        g = g.unsqueeze(1).expand_as(y_hat)
        if self.null_tag is None:
            agree = torch.minimum(y_hat, g).sum(dim=(-2, -1))
            n = mf.sum(-1).unsqueeze(1).expand_as(agree)
            return torch.where(n > 0, agree / n.clamp_min(1.0), torch.ones_like(agree))
        keep = torch.ones(y_hat.shape[-1], dtype=y_hat.dtype, device=y_hat.device)
        keep[self.null_tag] = 0.0
        return soft_f1((y_hat * keep).flatten(-2), (g * keep).flatten(-2))

    def supervised_loss(self, logits: Tensor, gold: Tensor, mask: Tensor | None = None) -> Tensor:
        """``Σ_{t real} CE(z_t, y*_t)``: logits ``(B, T, C)``, gold tags ``(B, T)`` -> ``(B,)``."""
        m = self._mask(logits, mask)
        if gold.is_floating_point() and gold.dim() == logits.dim():  # soft / one-hot (B, T, C) targets
            ce = -(gold.to(logits.dtype) * torch.log_softmax(logits, -1)).sum(-1)
        else:
            C = logits.shape[-1]
            gold = gold.long()
            bad = m & ((gold < 0) | (gold >= C))
            if bool(bad.any()):
                idx = tuple(int(i) for i in bad.nonzero()[0])
                raise ValueError(f"tag {int(gold[idx])} at position {idx} is outside [0, {C})")
            safe = torch.where(m, gold, torch.zeros_like(gold)).long()
            ce = F.cross_entropy(logits.transpose(1, 2), safe, reduction="none")
        return (ce * m.to(ce.dtype)).sum(-1)


_SPACES = {"multilabel": MultiLabelSpace, "binary-mask": BinaryMaskSpace, "tagging": TaggingSpace}


def get_space(name: str, **kwargs) -> OutputSpace:
    """The output space registered as ``name`` (``"multilabel"``, ``"binary-mask"``, ``"tagging"``).

    Raises:
        ValueError: unknown name (lists the known ones).
    """
    try:
        cls = _SPACES[name]
    except KeyError:
        raise ValueError(f"unknown output space {name!r}; known: {', '.join(_SPACES)}") from None
    return cls(**kwargs)
