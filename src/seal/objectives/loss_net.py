"""Loss-net objectives ``L_E(θ)`` for multi-label classification.

Source: ``seal-method.md`` A.4 (a)-(d), H.1-H.3, H.5, H.7, H.8 and the appendix pseudo-code.

Conventions shared by every class here:

* The score network returns a **score** ``S(x, y) = −E(x, y)`` (higher is better). It must provide
  ``local_logits(x) -> (B, L)`` and ``score_from_local(local (B, L), y (B, K, L)) -> (B, K)`` (see
  :class:`seal.energies.MLCScoreNet`); ``local`` may be passed precomputed (then ``x`` is not used).
* Task-net outputs (``task_logits``, cost-augmented probabilities, injected samples) are **detached**
  inside every objective: a loss-net step never creates gradients in the task-net (A.4). Gradients flow
  only into the score network (and into ``local`` when it is passed in).
* ``forward(...)`` returns the reduced loss, ``per_example(...)`` the ``(B,)`` terms (already summed
  over samples). ``reduction`` is ``"sum"`` (over the batch), ``"mean"`` (over the batch) or ``"none"``
  (returns ``(B,)``). Defaults follow H.5: NCE / ranking / regression sum, margin mean.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from seal.oracles.functional import l1_cost, soft_f1
from seal.samplers.mlc import bernoulli_samples, gaussian_logit_samples

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


def _local(score_net: nn.Module, x: torch.Tensor | None, local: torch.Tensor | None) -> torch.Tensor:
    if local is not None:
        return local
    if x is None:
        raise ValueError("either x or precomputed local logits must be given")
    return score_net.local_logits(x)


def noise_log_prob(task_logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """``log P_N(y) = −Σ_l BCEWithLogits(z_l, y_l)`` under the factorised Bernoulli ``σ(z)``, from logits.

    Computed as ``−[y · softplus(−z) + (1 − y) · softplus(z)]`` summed over labels: every term is
    non-negative, so there is no cancellation and no ``log 0`` (seal-method H.8, case B16: logits
    ``[20, −20]`` vs gold ``[0, 1]`` give exactly ``−40.0`` in float32). Unlike the release there is no
    −100 clamp of the log terms. Valid for relaxed ``y ∈ [0, 1]`` too (it is exactly BCE-with-logits).

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


# ---------------------------------------------------------------------------------------- NCE / ranking
class NCERankingLoss(nn.Module):
    """NCE ranking loss-net objective (SEAL-dynamic ``nce``; baseline ``pnce``), seal-method A.4 (b).

    Candidates ``y_0 = y*`` (gold, index 0) and ``y_1..y_K ~ Bernoulli(σ(z))`` i.i.d. per label, drawn
    from the **detached** task-net. With ``s̃_k = S(x, y_k) − log P_N(y_k)`` (score, higher is better;
    the gold also gets its correction, H.8; ``log P_N`` from logits, see :func:`noise_log_prob`)::

        ℓ_i = CrossEntropy([s̃_0 … s̃_K], target 0) = logsumexp_k s̃_k − s̃_0

    With ``use_noise_correction=False`` the correction is dropped (``s̃_k = S(x, y_k)``): the ``ranking``
    variant (A.4 (c)).

    Optional ``candidate_mask`` ``(B, K+1)`` bool (``True`` = keep): masked candidates get ``s̃ = −∞``.
    A row whose gold (index 0) is masked — in particular a row with **all** candidates masked (case B16,
    masked variant) — contributes loss 0 and gradient 0 (never NaN).

    Args:
        num_samples: number of noise samples ``K >= 1`` (the gold is extra: ``K + 1`` candidates).
        reduction: ``"sum"`` (default, over the batch, as released), ``"mean"`` or ``"none"``.
        use_noise_correction: subtract ``log P_N`` (NCE) or not (ranking).

    Raises:
        ValueError: ``num_samples < 1`` or an unknown ``reduction``.
    """

    def __init__(self, num_samples: int, reduction: str = "sum", use_noise_correction: bool = True) -> None:
        super().__init__()
        owner = type(self).__name__
        self.num_samples = _check_num_samples(owner, num_samples)
        self.reduction = _check_reduction(owner, reduction)
        self.use_noise_correction = bool(use_noise_correction)

    def candidates(
        self,
        y_gold: torch.Tensor,
        task_logits: torch.Tensor,
        generator: torch.Generator | None = None,
        samples: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Return the ``(B, K+1, L)`` candidates ``[y*, y_1, …, y_K]`` (no grad).

        ``samples`` ``(B, K', L)`` replaces the Bernoulli draw when given (``K'`` may differ from
        ``num_samples``).
        """
        with torch.no_grad():
            z = task_logits.detach()
            if samples is None:
                samples = bernoulli_samples(torch.sigmoid(z), self.num_samples, generator=generator)
            samples = samples.detach().to(z.dtype)
            gold = y_gold.detach().to(z.dtype).unsqueeze(1)
            if samples.dim() != 3 or samples.shape[0] != gold.shape[0] or samples.shape[-1] != gold.shape[-1]:
                raise ValueError(
                    f"{type(self).__name__}: samples must be (B, K, L) = (B, K, {gold.shape[-1]}), got {tuple(samples.shape)}"
                )
            return torch.cat([gold, samples], dim=1)

    def candidate_logits(
        self,
        score_net: nn.Module,
        x: torch.Tensor | None,
        y_gold: torch.Tensor,
        task_logits: torch.Tensor,
        local: torch.Tensor | None = None,
        generator: torch.Generator | None = None,
        *,
        samples: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """The unmasked ``(B, K+1)`` logits ``s̃_k = S(x, y_k) − log P_N(y_k)`` (gold at index 0)."""
        cands = self.candidates(y_gold, task_logits, generator=generator, samples=samples)
        scores = score_net.score_from_local(_local(score_net, x, local), cands)
        if self.use_noise_correction:
            scores = scores - noise_log_prob(task_logits, cands)
        return scores

    def per_example(
        self,
        score_net: nn.Module,
        x: torch.Tensor | None,
        y_gold: torch.Tensor,
        task_logits: torch.Tensor,
        local: torch.Tensor | None = None,
        generator: torch.Generator | None = None,
        *,
        samples: torch.Tensor | None = None,
        candidate_mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """``(B,)`` terms ``−log softmax(s̃)_0``; arguments as in :meth:`forward`."""
        logits = self.candidate_logits(score_net, x, y_gold, task_logits, local, generator, samples=samples)
        if candidate_mask is None:
            return torch.logsumexp(logits, dim=1) - logits[:, 0]
        mask = candidate_mask.to(device=logits.device, dtype=torch.bool)
        if mask.shape != logits.shape:
            raise ValueError(
                f"{type(self).__name__}: candidate_mask must be (B, K+1) = {tuple(logits.shape)}, got {tuple(mask.shape)}"
            )
        row_ok = mask[:, 0]
        masked = logits.masked_fill(~mask, float("-inf"))
        # rows without a gold candidate: replace by zeros so that neither value nor gradient is NaN
        safe = torch.where(row_ok.unsqueeze(1), masked, torch.zeros_like(masked))
        terms = torch.logsumexp(safe, dim=1) - safe[:, 0]
        return torch.where(row_ok, terms, torch.zeros_like(terms))

    def forward(
        self,
        score_net: nn.Module,
        x: torch.Tensor | None,
        y_gold: torch.Tensor,
        task_logits: torch.Tensor,
        local: torch.Tensor | None = None,
        generator: torch.Generator | None = None,
        *,
        samples: torch.Tensor | None = None,
        candidate_mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Reduced NCE / ranking loss.

        Args:
            score_net: score network (``local_logits`` / ``score_from_local``), returns scores.
            x: ``(B, D)`` features (unused when ``local`` is given).
            y_gold: ``(B, L)`` gold labels in {0, 1}.
            task_logits: ``(B, L)`` task-net logits ``z`` (detached here).
            local: optional ``(B, L)`` precomputed ``score_net.local_logits(x)``.
            generator: optional RNG for the Bernoulli samples.
            samples: optional ``(B, K', L)`` candidates to use instead of sampling.
            candidate_mask: optional ``(B, K'+1)`` bool, ``True`` = keep.

        Returns:
            scalar (``"sum"``/``"mean"``) or ``(B,)`` (``"none"``).
        """
        terms = self.per_example(
            score_net, x, y_gold, task_logits, local, generator, samples=samples, candidate_mask=candidate_mask
        )
        return _reduce(terms, self.reduction)


class RankingLoss(NCERankingLoss):
    """Ranking loss-net objective (SEAL-dynamic ``ranking``), seal-method A.4 (c).

    Identical to :class:`NCERankingLoss` with ``use_noise_correction=False``: ``s̃_k = S(x, y_k)``.

    Args:
        num_samples: ``K >= 1`` Bernoulli samples (plus the gold at index 0).
        reduction: ``"sum"`` (default), ``"mean"`` or ``"none"``.

    Raises:
        ValueError: ``num_samples < 1`` or an unknown ``reduction``.
    """

    def __init__(self, num_samples: int, reduction: str = "sum") -> None:
        super().__init__(num_samples, reduction=reduction, use_noise_correction=False)


# ---------------------------------------------------------------------------------------- regression (DVN)
class RegressionLoss(nn.Module):
    """DVN regression loss-net objective (SEAL-dynamic ``dvn`` / regression), seal-method A.4 (a).

    One candidate ``ŷ = σ(z)`` from the **detached** task-net (or injected ``samples``)::

        ℓ_i = Σ_k BCEWithLogits(S(x_i, ŷ_ik), F1soft(ŷ_ik, y*_i))

    The score is used as a logit for the predicted oracle value (``σ(S)`` ≈ soft F1). Soft F1 of an
    empty prediction against an empty gold is 1.0 (case B09), so the loss is never NaN.

    Args:
        reduction: ``"sum"`` (default, over batch and samples, as released), ``"mean"`` (over the
            batch of per-example sums) or ``"none"``.

    Raises:
        ValueError: unknown ``reduction``.
    """

    def __init__(self, reduction: str = "sum") -> None:
        super().__init__()
        self.reduction = _check_reduction(type(self).__name__, reduction)

    def candidates(
        self, task_logits: torch.Tensor, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """``(B, 1, L)`` candidate ``σ(z)`` (no grad)."""
        with torch.no_grad():
            return torch.sigmoid(task_logits.detach()).unsqueeze(1)

    def per_example(
        self,
        score_net: nn.Module,
        x: torch.Tensor | None,
        y_gold: torch.Tensor,
        task_logits: torch.Tensor | None,
        local: torch.Tensor | None = None,
        generator: torch.Generator | None = None,
        *,
        samples: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """``(B,)`` terms (summed over candidates); arguments as in :meth:`forward`."""
        if samples is None:
            if task_logits is None:
                raise ValueError(f"{type(self).__name__}: task_logits or samples must be given")
            cands = self.candidates(task_logits, generator)
        else:
            cands = samples.detach()
        gold = y_gold.detach().to(cands.dtype)
        with torch.no_grad():
            target = soft_f1(cands, gold.unsqueeze(1).expand_as(cands))
        scores = score_net.score_from_local(_local(score_net, x, local), cands)
        return F.binary_cross_entropy_with_logits(scores, target.to(scores.dtype), reduction="none").sum(-1)

    def forward(
        self,
        score_net: nn.Module,
        x: torch.Tensor | None,
        y_gold: torch.Tensor,
        task_logits: torch.Tensor | None,
        local: torch.Tensor | None = None,
        generator: torch.Generator | None = None,
        *,
        samples: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Reduced regression loss.

        Args:
            score_net: score network (returns scores, used as logits of the oracle value).
            x: ``(B, D)`` features (unused when ``local`` is given).
            y_gold: ``(B, L)`` gold labels.
            task_logits: ``(B, L)`` task-net logits (detached here).
            local: optional ``(B, L)`` precomputed local logits of ``score_net``.
            generator: RNG (used by :class:`RegressionSamplesLoss`).
            samples: optional ``(B, K, L)`` candidates in ``[0, 1]`` replacing the task-net ones
                (e.g. GBI / adversarial / gold samples of the DVN baseline).

        Returns:
            scalar or ``(B,)`` (``"none"``).
        """
        return _reduce(
            self.per_example(score_net, x, y_gold, task_logits, local, generator, samples=samples), self.reduction
        )


class RegressionSamplesLoss(RegressionLoss):
    """DVN regression on Gaussian-logit samples (SEAL-dynamic ``dvn-samples`` / regression-s), A.4 (a).

    Candidates: :func:`seal.samplers.gaussian_logit_samples` with ``keep_probs=True``: ``σ(z)`` at
    index 0 plus ``num_samples − 1`` perturbations ``σ(z + std·ε)`` (H.7); then the regression loss of
    :class:`RegressionLoss`, summed over samples.

    Args:
        num_samples: total candidates ``K >= 1`` (counts ``σ(z)``).
        std: logit-noise standard deviation ``> 0``.
        reduction: ``"sum"`` (default), ``"mean"`` or ``"none"``.

    Raises:
        ValueError: ``num_samples < 1``, ``std <= 0`` or an unknown ``reduction``.
    """

    def __init__(self, num_samples: int, std: float, reduction: str = "sum") -> None:
        super().__init__(reduction=reduction)
        owner = type(self).__name__
        self.num_samples = _check_num_samples(owner, num_samples)
        std = float(std)
        if not (math.isfinite(std) and std > 0.0):
            raise ValueError(f"{owner}: std must be a finite number > 0, got {std!r}")
        self.std = std

    def candidates(
        self, task_logits: torch.Tensor, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """``(B, K, L)`` candidates: ``σ(z)`` at index 0 and ``K − 1`` Gaussian-logit samples."""
        return gaussian_logit_samples(task_logits, self.num_samples, self.std, keep_probs=True, generator=generator)


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
        x: torch.Tensor | None,
        y_gold: torch.Tensor,
        task_logits: torch.Tensor,
        local: torch.Tensor | None = None,
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
        scores = score_net.score_from_local(_local(score_net, x, local), cands)
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
        x: torch.Tensor | None,
        y_gold: torch.Tensor,
        task_logits: torch.Tensor,
        local: torch.Tensor | None = None,
        generator: torch.Generator | None = None,
        *,
        cost_augmented_probs: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Reduced margin loss.

        Args:
            score_net: score network (returns scores).
            x: ``(B, D)`` features (unused when ``local`` is given).
            y_gold: ``(B, L)`` gold labels.
            task_logits: ``(B, L)`` task-net logits (detached here).
            local: optional precomputed ``(B, L)`` local logits.
            generator: unused (uniform signature).
            cost_augmented_probs: ``(B, L)`` output of :class:`seal.task_nets.cost_augmented.CostAugmentedNet`
                (detached here); required unless ``released_behaviour=True`` (where it is ignored).

        Returns:
            scalar or ``(B,)`` (``"none"``).

        Raises:
            ValueError: ``cost_augmented_probs`` missing in the paper form.
        """
        terms = self.per_example(
            score_net, x, y_gold, task_logits, local, generator, cost_augmented_probs=cost_augmented_probs
        )
        return _reduce(terms, self.reduction)
