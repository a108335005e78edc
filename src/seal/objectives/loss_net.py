"""Loss-net objectives ``L_E(θ)``, written once for every output space.

Source: ``seal-method.md`` A.4 (a)-(d), H.1-H.3, H.5, H.7, H.8 and the appendix pseudo-code.

Conventions shared by every class here:

* The score network implements the score-net protocol (:mod:`seal.core.score_net`): ``encode(x) -> ctx``
  and ``score(ctx, y (B, K, *out)) -> (B, K)``, a **score** ``S(x, y) = −E(x, y)`` (higher is better). ``ctx``
  may be passed precomputed (then ``x`` is not used). For :class:`seal.energies.MLCScoreNet` ``ctx`` is the
  ``(B, L)`` local logits; for the segmentation CNN the image half of its first convolution.
* The shape of ``y`` is the business of an output space (:mod:`seal.core.spaces`, default
  :class:`~seal.core.spaces.MultiLabelSpace`): it draws the candidates, computes ``log P_N`` and the oracle
  value. ``mask`` (``(B, T)``, tagging only) marks real positions.
* Task-net outputs (``task_logits``, cost-augmented probabilities, injected samples) are **detached**
  inside every objective: a loss-net step never creates gradients in the task-net (A.4). Gradients flow
  only into the score network (and into ``ctx`` when it is passed in).
* Candidates are drawn **before** the score network encodes ``x``, so with dropout the random draws come in
  the same order for every space.
* ``forward(...)`` returns the reduced loss, ``per_example(...)`` the ``(B,)`` terms (already summed
  over samples). ``reduction`` is ``"sum"`` (over the batch), ``"mean"`` (over the batch) or ``"none"``
  (returns ``(B,)``). Defaults follow H.5: NCE / ranking / regression sum, margin mean. The regression
  objectives take ``per_candidate=True`` to reduce the ``(B, K)`` candidate terms directly instead (the
  segmentation config's ``reduction: mean`` averages over batch **and** candidates).
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from seal.core import sparse as _sparse
from seal.core.sparse import SparseCandidates, resolve_sparse_mode
from seal.core.spaces import MultiLabelSpace, OutputSpace, noise_log_prob
from seal.oracles.functional import l1_cost

__all__ = [
    "NCERankingLoss",
    "RankingLoss",
    "RegressionLoss",
    "RegressionSamplesLoss",
    "MarginLoss",
    "noise_log_prob",
]

_REDUCTIONS = ("sum", "mean", "none")


# ---------------------------------------------------------------------------------------- helpers
def _check_reduction(owner: str, reduction: str) -> str:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{owner}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")
    return reduction


def _check_num_samples(owner: str, num_samples: int) -> int:
    if isinstance(num_samples, bool) or not isinstance(num_samples, int) or num_samples < 1:
        raise ValueError(f"{owner}: num_samples must be an integer >= 1, got {num_samples!r}")
    return num_samples


def _check_nonneg(owner: str, name: str, value: float) -> float:
    value = float(value)
    if not math.isfinite(value) or value < 0.0:
        raise ValueError(f"{owner}: {name} must be a finite number >= 0, got {value!r}")
    return value


def _reduce(per_example: torch.Tensor, reduction: str) -> torch.Tensor:
    if reduction == "sum":
        return per_example.sum()
    if reduction == "mean":
        return per_example.mean()
    return per_example


def _ctx(score_net: nn.Module, x: Any, ctx: Any) -> Any:
    """The score network's context: ``ctx`` if given, else ``score_net.encode(x)``."""
    if ctx is not None:
        return ctx
    if x is None:
        raise ValueError("either x or a precomputed score-net context (ctx) must be given")
    return score_net.encode(x)


_local = _ctx  # the MLC name of the context (local logits), kept for the SSVM / task-net objectives


def _space(space: OutputSpace | None) -> OutputSpace:
    if space is None:
        return MultiLabelSpace()
    if not isinstance(space, OutputSpace):
        raise TypeError(f"space must be a seal.core.spaces.OutputSpace, got {type(space).__name__}")
    return space


# ---------------------------------------------------------------------------------------- NCE / ranking
class NCERankingLoss(nn.Module):
    """NCE ranking loss-net objective (SEAL-dynamic ``nce``; baseline ``pnce``), seal-method A.4 (b).

    Candidates ``y_0 = y*`` (gold, index 0) and ``y_1..y_K`` drawn by the output space from the **detached**
    task-net (multi-label / masks: ``Bernoulli(σ(z))`` i.i.d. per label or pixel; tagging: one categorical per
    position). With ``s̃_k = S(x, y_k) − log P_N(y_k)`` (score, higher is better; the gold also gets its
    correction, H.8; ``log P_N`` from logits, see :meth:`seal.core.spaces.OutputSpace.log_prob`)::

        ℓ_i = CrossEntropy([s̃_0 … s̃_K], target 0) = logsumexp_k s̃_k − s̃_0

    With ``use_noise_correction=False`` the correction is dropped (``s̃_k = S(x, y_k)``): the ``ranking``
    variant (A.4 (c)).

    Optional ``candidate_mask`` ``(B, K+1)`` bool (``True`` = keep): masked candidates get ``s̃ = −∞``.
    A row whose gold (index 0) is masked — in particular a row with **all** candidates masked (case B16,
    masked variant) — contributes loss 0 and gradient 0 (never NaN).

    Sparse path (``sparse="auto"``, the default): when the output space draws sparse candidates
    (``space.supports_sparse``, multi-label) and the score network scores them
    (``score_net.supports_sparse_candidates``, :class:`~seal.energies.MLCScoreNet`), the gold and the samples
    are kept as :class:`~seal.core.sparse.SparseCandidates` (index lists) from the draw to the scores and
    ``log P_N``: the same loss and gradients as the dense path for the same candidates, at a cost that follows
    the ones instead of ``L``. The sampler's random stream differs from the dense one (the distribution does
    not). ``"auto"`` keeps the dense path below :data:`seal.core.sparse.AUTO_MIN_LABELS` labels (where it is as
    fast); ``sparse="dense"`` forces the dense reference path; ``sparse="sparse"`` forces the sparse one and
    raises where it does not apply. A non-binary gold (relaxed targets) or injected dense ``samples`` take the dense path.
    Categorical outputs (:class:`~seal.core.spaces.TaggingSpace`): when the score network implements
    ``score_indices(ctx, tags (B, K, T), mask) -> (B, K)``, the candidates stay tag indices ``(B, K+1, T)``
    (``sample_indices``; the same draws as the one-hot path) and ``log P_N`` is a gather
    (:meth:`~seal.core.spaces.TaggingSpace.log_prob_indices`).

    Args:
        num_samples: number of noise samples ``K >= 1`` (the gold is extra: ``K + 1`` candidates).
        reduction: ``"sum"`` (default, over the batch, as released), ``"mean"`` or ``"none"``.
        use_noise_correction: subtract ``log P_N`` (NCE) or not (ranking).
        space: the output space (default :class:`~seal.core.spaces.MultiLabelSpace`).
        sparse: ``"auto"``, ``"dense"`` or ``"sparse"`` (see above).

    Raises:
        ValueError: ``num_samples < 1``, an unknown ``reduction`` or ``sparse`` value.
    """

    def __init__(
        self, num_samples: int, reduction: str = "sum", use_noise_correction: bool = True, space: OutputSpace | None = None,
        sparse: str = "auto",
    ) -> None:
        super().__init__()
        owner = type(self).__name__
        self.num_samples = _check_num_samples(owner, num_samples)
        self.reduction = _check_reduction(owner, reduction)
        self.use_noise_correction = bool(use_noise_correction)
        self.space = _space(space)
        self.sparse = resolve_sparse_mode(owner, sparse)

    def use_sparse(self, score_net: Any, y_gold: torch.Tensor | None = None, samples: Any = None) -> bool:
        """Whether this call takes the sparse path (see the class docstring).

        Raises:
            ValueError: ``sparse="sparse"`` where the space or the score network has no sparse path.
        """
        if self.sparse == "dense":
            return False
        able = bool(getattr(self.space, "supports_sparse", False)) and bool(
            getattr(score_net, "supports_sparse_candidates", False)
        )
        if self.sparse == "sparse" and not able and callable(getattr(self.space, "sample_indices", None)):
            able = callable(getattr(score_net, "score_indices", None))  # categorical: index candidates
            if able:
                return False
        if self.sparse == "sparse" and not able:
            raise ValueError(
                f"{type(self).__name__}: sparse='sparse' but {type(self.space).__name__} / {type(score_net).__name__} "
                "have no sparse candidate path"
            )
        if not able or (samples is not None and not isinstance(samples, SparseCandidates)):
            return False
        if self.sparse == "auto" and y_gold is not None and y_gold.shape[-1] < _sparse.AUTO_MIN_LABELS:
            return isinstance(samples, SparseCandidates)  # small label spaces: dense is as fast
        if y_gold is not None and y_gold.is_floating_point() and bool(((y_gold != 0) & (y_gold != 1)).any()):
            return False  # relaxed gold: not a set of labels
        return True

    def _use_indices(self, score_net: Any, y_gold: torch.Tensor, samples: Any) -> bool:
        """Index candidates for categorical spaces (tagging) whose score network has ``score_indices``."""
        return (
            self.sparse != "dense"
            and samples is None
            and callable(getattr(self.space, "sample_indices", None))
            and callable(getattr(score_net, "score_indices", None))
            and not (y_gold.is_floating_point() and y_gold.dim() >= 3 and bool(((y_gold != 0) & (y_gold != 1)).any()))
        )

    def sparse_candidates(
        self,
        y_gold: torch.Tensor,
        task_logits: torch.Tensor,
        generator: torch.Generator | None = None,
        samples: SparseCandidates | None = None,
    ) -> SparseCandidates:
        """The ``(B, K+1, L)`` candidates ``[y*, y_1, …, y_K]`` as :class:`~seal.core.sparse.SparseCandidates`.

        Raises:
            seal.core.sparse.SparseInputError: injected ``samples`` with label ids outside ``[0, L)``.
        """
        with torch.no_grad():
            z = task_logits.detach()
            if samples is None:
                return self.space.sample_sparse(z, self.num_samples, generator=generator, gold=y_gold)
            B, L = z.shape
            if samples.batch_size != B or samples.num_labels != L:
                raise ValueError(f"{type(self).__name__}: samples must be (B, K, L) = ({B}, K, {L}), got {samples.shape}")
            samples.check(L)
            return SparseCandidates.cat([SparseCandidates.from_dense(y_gold.detach()), samples])

    def candidates(
        self,
        y_gold: torch.Tensor,
        task_logits: torch.Tensor,
        generator: torch.Generator | None = None,
        samples: torch.Tensor | None = None,
        mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Return the ``(B, K+1, *out)`` candidates ``[y*, y_1, …, y_K]`` (no grad).

        ``samples`` ``(B, K', *out)`` replaces the draw when given (``K'`` may differ from ``num_samples``).
        """
        with torch.no_grad():
            z = task_logits.detach()
            if samples is None:
                samples = self.space.sample(z, self.num_samples, generator=generator, mask=mask)
            samples = samples.detach().to(z.dtype)
            gold = self.space.gold_output(y_gold.detach(), z, mask).unsqueeze(1)
            if samples.dim() != gold.dim() or samples.shape[0] != gold.shape[0] or samples.shape[2:] != gold.shape[2:]:
                out = ", ".join(str(d) for d in gold.shape[2:])
                raise ValueError(
                    f"{type(self).__name__}: samples must be (B, K, *out) = (B, K, {out}), got {tuple(samples.shape)}"
                )
            return torch.cat([gold, samples], dim=1)

    def candidate_logits(
        self,
        score_net: nn.Module,
        x: Any,
        y_gold: torch.Tensor,
        task_logits: torch.Tensor,
        ctx: Any = None,
        generator: torch.Generator | None = None,
        *,
        samples: torch.Tensor | None = None,
        mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """The unmasked ``(B, K+1)`` logits ``s̃_k = S(x, y_k) − log P_N(y_k)`` (gold at index 0)."""
        if self._use_indices(score_net, y_gold, samples):
            # categorical outputs: candidates as tag indices (B, K+1, T), never one-hot (same draws as the dense path)
            with torch.no_grad():
                z = task_logits.detach()
                tags = torch.cat(
                    [
                        self.space.gold_indices(y_gold.detach(), mask).unsqueeze(1),
                        self.space.sample_indices(z, self.num_samples, generator, mask),
                    ],
                    1,
                )
            scores = score_net.score_indices(_ctx(score_net, x, ctx), tags, mask)
            if self.use_noise_correction:
                scores = scores - self.space.log_prob_indices(task_logits, tags, mask).to(scores.dtype)
            return scores
        if self.use_sparse(score_net, y_gold, samples):
            cands = self.sparse_candidates(y_gold, task_logits, generator=generator, samples=samples)
            if ctx is None and callable(getattr(score_net, "score_sparse_input", None)):
                scores = score_net.score_sparse_input(x, cands)  # skips the (B, L) context when that is cheaper
            else:
                scores = score_net.score(_ctx(score_net, x, ctx), cands)
            if self.use_noise_correction:
                scores = scores - self.space.log_prob(task_logits, cands, mask).to(scores.dtype)
            return scores
        else:
            if isinstance(samples, SparseCandidates):
                samples = samples.to_dense(task_logits.dtype)
            cands = self.candidates(y_gold, task_logits, generator=generator, samples=samples, mask=mask)
        scores = score_net.score(_ctx(score_net, x, ctx), cands)
        if self.use_noise_correction:
            scores = scores - self.space.log_prob(task_logits, cands, mask).to(scores.dtype)
        return scores

    def per_example(
        self,
        score_net: nn.Module,
        x: Any,
        y_gold: torch.Tensor,
        task_logits: torch.Tensor,
        ctx: Any = None,
        generator: torch.Generator | None = None,
        *,
        samples: torch.Tensor | None = None,
        candidate_mask: torch.Tensor | None = None,
        mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """``(B,)`` terms ``−log softmax(s̃)_0``; arguments as in :meth:`forward`."""
        logits = self.candidate_logits(score_net, x, y_gold, task_logits, ctx, generator, samples=samples, mask=mask)
        if candidate_mask is None:
            return torch.logsumexp(logits, dim=1) - logits[:, 0]
        keep = candidate_mask.to(device=logits.device, dtype=torch.bool)
        if keep.shape != logits.shape:
            raise ValueError(
                f"{type(self).__name__}: candidate_mask must be (B, K+1) = {tuple(logits.shape)}, got {tuple(keep.shape)}"
            )
        row_ok = keep[:, 0]
        masked = logits.masked_fill(~keep, float("-inf"))
        # rows without a gold candidate: replace by zeros so that neither value nor gradient is NaN
        safe = torch.where(row_ok.unsqueeze(1), masked, torch.zeros_like(masked))
        terms = torch.logsumexp(safe, dim=1) - safe[:, 0]
        return torch.where(row_ok, terms, torch.zeros_like(terms))

    def forward(
        self,
        score_net: nn.Module,
        x: Any,
        y_gold: torch.Tensor,
        task_logits: torch.Tensor,
        ctx: Any = None,
        generator: torch.Generator | None = None,
        *,
        samples: torch.Tensor | None = None,
        candidate_mask: torch.Tensor | None = None,
        mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Reduced NCE / ranking loss.

        Args:
            score_net: score network (score-net protocol), returns scores.
            x: the batch input (unused when ``ctx`` is given).
            y_gold: ``(B, *out)`` gold outputs (tagging: ``(B, T)`` tag ids).
            task_logits: task-net logits ``z`` (``(B, L)``, ``(B, 2, H, W)``, ``(B, T, C)``; detached here).
            ctx: optional precomputed ``score_net.encode(x)``.
            generator: optional RNG for the samples.
            samples: optional ``(B, K', *out)`` candidates to use instead of sampling.
            candidate_mask: optional ``(B, K'+1)`` bool, ``True`` = keep.
            mask: ``(B, T)`` real positions (tagging).

        Returns:
            scalar (``"sum"``/``"mean"``) or ``(B,)`` (``"none"``).
        """
        terms = self.per_example(
            score_net, x, y_gold, task_logits, ctx, generator, samples=samples, candidate_mask=candidate_mask, mask=mask
        )
        return _reduce(terms, self.reduction)


class RankingLoss(NCERankingLoss):
    """Ranking loss-net objective (SEAL-dynamic ``ranking``), seal-method A.4 (c).

    Identical to :class:`NCERankingLoss` with ``use_noise_correction=False``: ``s̃_k = S(x, y_k)``.

    Args:
        num_samples: ``K >= 1`` samples (plus the gold at index 0).
        reduction: ``"sum"`` (default), ``"mean"`` or ``"none"``.
        space: the output space (default multi-label).
        sparse: ``"auto"``, ``"dense"`` or ``"sparse"`` (see :class:`NCERankingLoss`).

    Raises:
        ValueError: ``num_samples < 1`` or an unknown ``reduction``.
    """

    def __init__(
        self, num_samples: int, reduction: str = "sum", space: OutputSpace | None = None, sparse: str = "auto"
    ) -> None:
        super().__init__(num_samples, reduction=reduction, use_noise_correction=False, space=space, sparse=sparse)


# ---------------------------------------------------------------------------------------- regression (DVN)
class RegressionLoss(nn.Module):
    """DVN regression loss-net objective (SEAL-dynamic ``dvn`` / regression), seal-method A.4 (a).

    One candidate ``ŷ = g(z)``, the relaxed output of the **detached** task-net (or injected ``samples``)::

        ℓ_ik = BCEWithLogits(S(x_i, ŷ_ik), v(ŷ_ik, y*_i)),     ℓ_i = Σ_k ℓ_ik

    with the output space's oracle value ``v`` (soft F1 for multi-label, soft IoU for masks). The score is
    used as a logit for the predicted oracle value (``σ(S)`` ≈ v). The oracle of an empty prediction against
    an empty gold is 1.0 (cases B09, B12), so the loss is never NaN.

    Args:
        reduction: ``"sum"`` (default, over batch and samples, as released), ``"mean"`` (over the batch of
            per-example sums) or ``"none"``; with ``per_candidate=True`` the same reductions apply to the
            ``(B, K)`` candidate terms (``"mean"``: over batch and candidates; ``"none"``: ``(B, K)``).
        space: the output space (default multi-label).
        per_candidate: reduce the ``(B, K)`` terms directly (the segmentation setting, H.5).

    Raises:
        ValueError: unknown ``reduction``.
    """

    def __init__(self, reduction: str = "sum", space: OutputSpace | None = None, per_candidate: bool = False) -> None:
        super().__init__()
        self.reduction = _check_reduction(type(self).__name__, reduction)
        self.space = _space(space)
        self.per_candidate = bool(per_candidate)

    def candidates(
        self, task_logits: torch.Tensor, generator: torch.Generator | None = None, mask: torch.Tensor | None = None
    ) -> torch.Tensor:
        """``(B, 1, *out)`` candidate ``g(z)`` (no grad)."""
        with torch.no_grad():
            return self.space.relax(task_logits.detach(), mask).unsqueeze(1)

    def per_candidate_terms(
        self,
        score_net: nn.Module,
        x: Any,
        y_gold: torch.Tensor,
        task_logits: torch.Tensor | None,
        ctx: Any = None,
        generator: torch.Generator | None = None,
        *,
        samples: torch.Tensor | None = None,
        mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """``(B, K)`` terms ``BCEWithLogits(S(x, ŷ_k), v(ŷ_k, y*))``; arguments as in :meth:`forward`."""
        if samples is None:
            if task_logits is None:
                raise ValueError(f"{type(self).__name__}: task_logits or samples must be given")
            cands = self.candidates(task_logits, generator, mask)
        else:
            cands = samples.detach()
        with torch.no_grad():
            target = self.space.oracle(cands, y_gold.detach(), mask)
        scores = score_net.score(_ctx(score_net, x, ctx), cands)
        return F.binary_cross_entropy_with_logits(scores, target.to(scores.dtype), reduction="none")

    def per_example(
        self,
        score_net: nn.Module,
        x: Any,
        y_gold: torch.Tensor,
        task_logits: torch.Tensor | None,
        ctx: Any = None,
        generator: torch.Generator | None = None,
        *,
        samples: torch.Tensor | None = None,
        mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """``(B,)`` terms (summed over candidates); arguments as in :meth:`forward`."""
        return self.per_candidate_terms(score_net, x, y_gold, task_logits, ctx, generator, samples=samples, mask=mask).sum(-1)

    def forward(
        self,
        score_net: nn.Module,
        x: Any,
        y_gold: torch.Tensor,
        task_logits: torch.Tensor | None,
        ctx: Any = None,
        generator: torch.Generator | None = None,
        *,
        samples: torch.Tensor | None = None,
        mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Reduced regression loss.

        Args:
            score_net: score network (returns scores, used as logits of the oracle value).
            x: the batch input (unused when ``ctx`` is given).
            y_gold: ``(B, *out)`` gold outputs.
            task_logits: task-net logits (detached here).
            ctx: optional precomputed ``score_net.encode(x)``.
            generator: RNG (used by :class:`RegressionSamplesLoss`).
            samples: optional ``(B, K, *out)`` candidates replacing the task-net ones (e.g. GBI / adversarial /
                gold samples of the DVN baseline).
            mask: ``(B, T)`` real positions (tagging).

        Returns:
            scalar, or ``(B,)`` / ``(B, K)`` with ``"none"`` (per example / per candidate).
        """
        if self.per_candidate:
            terms = self.per_candidate_terms(score_net, x, y_gold, task_logits, ctx, generator, samples=samples, mask=mask)
        else:
            terms = self.per_example(score_net, x, y_gold, task_logits, ctx, generator, samples=samples, mask=mask)
        return _reduce(terms, self.reduction)


class RegressionSamplesLoss(RegressionLoss):
    """DVN regression on Gaussian-logit samples (SEAL-dynamic ``dvn-samples`` / regression-s), A.4 (a).

    Candidates: :meth:`seal.core.spaces.OutputSpace.perturb` with ``keep_relaxed=True``: ``g(z)`` at index 0 plus
    ``num_samples − 1`` perturbations ``g(z + std·ε)`` of the logits (masks: of the foreground log-odds) (H.7);
    then the regression loss of :class:`RegressionLoss`.

    Args:
        num_samples: total candidates ``K >= 1`` (counts ``g(z)``).
        std: logit-noise standard deviation ``> 0``.
        reduction, space, per_candidate: as :class:`RegressionLoss`.

    Raises:
        ValueError: ``num_samples < 1``, ``std <= 0`` or an unknown ``reduction``.
    """

    def __init__(
        self, num_samples: int, std: float, reduction: str = "sum", space: OutputSpace | None = None,
        per_candidate: bool = False,
    ) -> None:
        super().__init__(reduction=reduction, space=space, per_candidate=per_candidate)
        owner = type(self).__name__
        self.num_samples = _check_num_samples(owner, num_samples)
        std_f = float(std)
        if not (math.isfinite(std_f) and std_f > 0.0):
            raise ValueError(f"{owner}: std must be a finite number > 0, got {std!r}")
        self.std = std_f

    def candidates(
        self, task_logits: torch.Tensor, generator: torch.Generator | None = None, mask: torch.Tensor | None = None
    ) -> torch.Tensor:
        """``(B, K, *out)`` candidates: ``g(z)`` at index 0 and ``K − 1`` Gaussian-logit samples."""
        kw = {} if mask is None else {"mask": mask}
        return self.space.perturb(task_logits, self.num_samples, self.std, keep_relaxed=True, generator=generator, **kw)


# ---------------------------------------------------------------------------------------- margin
class MarginLoss(nn.Module):
    """Margin (InfNet / SEAL-dynamic ``spen``) loss-net objective, seal-method A.4 (d), H.2-H.3.

    Paper form (default, ``released_behaviour=False``), with the cost-augmented output ``ŷ_ca`` and the
    task-net probabilities ``p = σ(z)``, both **detached**::

        ℓ_i = relu(Δ_L1(ŷ_ca, y*) − (S(x, y*) − S(x, ŷ_ca))) + λ · relu(S(x, p) − S(x, y*))

    ``released_behaviour=True`` reproduces the released code instead: the cost-augmented output is
    dropped (its score replaced by 0, Δ computed on the inference output) and the already normalised
    output is squashed again, ``p' = σ(σ(z))`` (double sigmoid)::

        ℓ_i = relu(Δ_L1(p', y*) − S(x, y*)) + λ · relu(S(x, p') − S(x, y*))

    ``Δ_L1(a, b) = mean_l |a_l − b_l|`` (:func:`seal.oracles.functional.l1_cost`). Scores, not energies.
    Multi-label outputs (the InfNet cost-augmented network exists for them only).

    Args:
        inference_score_weight: ``λ >= 0``.
        reduction: ``"mean"`` (default, over the batch, as released), ``"sum"`` or ``"none"``.
        released_behaviour: replicate the release's quirks (see above).

    Raises:
        ValueError: ``λ < 0`` or an unknown ``reduction``.
    """

    def __init__(self, inference_score_weight: float, reduction: str = "mean", released_behaviour: bool = False) -> None:
        super().__init__()
        owner = type(self).__name__
        self.inference_score_weight = _check_nonneg(owner, "inference_score_weight", inference_score_weight)
        self.reduction = _check_reduction(owner, reduction)
        self.released_behaviour = bool(released_behaviour)

    def per_example(
        self,
        score_net: nn.Module,
        x: Any,
        y_gold: torch.Tensor,
        task_logits: torch.Tensor,
        ctx: Any = None,
        generator: torch.Generator | None = None,
        *,
        cost_augmented_probs: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """``(B,)`` margin terms; arguments as in :meth:`forward`."""
        lam = self.inference_score_weight
        with torch.no_grad():
            p = torch.sigmoid(task_logits.detach())
            gold = y_gold.detach().to(p.dtype)
            if self.released_behaviour:
                p = torch.sigmoid(p)
                cands = torch.stack([gold, p], dim=1)
                delta = l1_cost(p, gold)
            else:
                if cost_augmented_probs is None:
                    raise ValueError(
                        f"{type(self).__name__}: cost_augmented_probs is required unless released_behaviour=True"
                    )
                ca = cost_augmented_probs.detach().to(p.dtype)
                cands = torch.stack([gold, ca, p], dim=1)
                delta = l1_cost(ca, gold)
        scores = score_net.score(_ctx(score_net, x, ctx), cands)
        s_gold = scores[:, 0]
        if self.released_behaviour:
            s_inf = scores[:, 1]
            hinge = F.relu(delta - s_gold)
        else:
            s_ca, s_inf = scores[:, 1], scores[:, 2]
            hinge = F.relu(delta - (s_gold - s_ca))
        return hinge + lam * F.relu(s_inf - s_gold)

    def forward(
        self,
        score_net: nn.Module,
        x: Any,
        y_gold: torch.Tensor,
        task_logits: torch.Tensor,
        ctx: Any = None,
        generator: torch.Generator | None = None,
        *,
        cost_augmented_probs: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Reduced margin loss.

        Args:
            score_net: score network (returns scores).
            x: ``(B, D)`` features (unused when ``ctx`` is given).
            y_gold: ``(B, L)`` gold labels.
            task_logits: ``(B, L)`` task-net logits (detached here).
            ctx: optional precomputed ``score_net.encode(x)``.
            generator: unused (uniform signature).
            cost_augmented_probs: ``(B, L)`` output of :class:`seal.task_nets.cost_augmented.CostAugmentedNet`
                (detached here); required unless ``released_behaviour=True`` (where it is ignored).

        Returns:
            scalar or ``(B,)`` (``"none"``).

        Raises:
            ValueError: ``cost_augmented_probs`` missing in the paper form.
        """
        terms = self.per_example(
            score_net, x, y_gold, task_logits, ctx, generator, cost_augmented_probs=cost_augmented_probs
        )
        return _reduce(terms, self.reduction)
