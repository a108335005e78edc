"""Task-net and loss-net objectives for binary image segmentation (image-level SEAL, ``seal-method.md`` A.3, A.4, B.4).

Shapes: images ``x`` ``(B, 3, H, W)``; gold masks ``y`` ``(B, H, W)`` in {0, 1}; task-net logits ``(B, 2, H, W)``
(channel 1 = foreground); candidate masks ``(B, K, H, W)`` in [0, 1]. The score network is
:class:`seal.energies.segmentation.SegmentationScoreNet` (``score_net(x, y) -> (B,)`` or ``(B, K)``, a score:
higher is better). The relaxed output is the foreground probability ``p = softmax(logits)[:, 1] = sigmoid(d)``
with ``d = z_1 - z_0`` the foreground log-odds.

* Task-net (A.3, segmentation): ``L_F = mean_b [ w_s * l_s(x_b, p_b) + w_ce * mean_pixels CE(logits_b, y_b) ]``
  with ``l_s = -sigmoid(S)`` (regression / DVN-type loss-nets) or ``l_s = -S`` (NCE).
* Loss-net objectives: every task-net output they see is **detached** (a loss-net step never reaches the
  task-net):

  - :class:`SegRegressionLoss` (``regression``): ``BCEWithLogits(S(x, p), IoU_soft(p, y))``;
  - :class:`SegRegressionSamplesLoss` (``regression-s``): the same on ``K`` candidates: ``p`` plus ``K - 1``
    perturbations ``sigmoid(d + std * eps)`` of the foreground log-odds (pixel-wise ``eps ~ N(0, 1)``);
  - :class:`SegNCELoss` (``nce``): gold at index 0 plus ``K`` masks with every pixel an independent
    ``Bernoulli(p)``; ``s~_k = S(x, y_k) - log P_N(y_k)``, ``log P_N(y) = sum_pixels [y log p + (1-y) log(1-p)]``
    (from logits, no clamp needed); loss ``-log softmax(s~)_0``;
  - :class:`SegDVNGBILoss` (the DVN baseline, B.4 / C.2): the regression loss on the candidates
    {GBI inference sample, adversarial GBI sample, gold}.

  Reduction: ``"mean"`` over the batch **and** the candidates for the regression losses (the segmentation
  config's ``reduction: mean``, H.5); ``"mean"`` over the batch for NCE (the release's segmentation NCE
  reduction is not recorded; MLC sums -- pass ``reduction="sum"`` for that).

The soft IoU oracle (:func:`seal.oracles.soft_iou`) scores an empty mask against an empty gold as 1.0, so
no target is ever NaN.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from seal.inference.gbi import gradient_based_inference
from seal.objectives.loss_net import _check_nonneg, _check_num_samples, _check_reduction, _reduce, noise_log_prob
from seal.oracles.functional import soft_iou
from seal.samplers.mlc import bernoulli_samples, gaussian_logit_samples
from seal.task_nets.segmentation import foreground_logit, foreground_probs

__all__ = [
    "SegDVNGBILoss",
    "SegNCELoss",
    "SegRegressionLoss",
    "SegRegressionSamplesLoss",
    "SegTaskLoss",
    "pixel_cross_entropy",
]

def _check(owner: str, reduction: str, num_samples: int | None = None) -> None:
    _check_reduction(owner, reduction)
    if num_samples is not None:
        _check_num_samples(owner, num_samples)


def pixel_cross_entropy(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Per-image 2-class cross-entropy averaged over pixels: ``(B, 2, H, W)``, ``(B, H, W)`` -> ``(B,)``."""
    return F.cross_entropy(logits, y.long(), reduction="none").flatten(1).mean(1)


class SegTaskLoss(nn.Module):
    """Task-net loss ``mean_b [w_s * l_s + w_ce * pixel-mean CE]`` (A.3, segmentation).

    Args:
        score_weight: ``w_s >= 0`` (0: plain cross-entropy; the score network is then not called).
        ce_weight: ``w_ce >= 0``.
        score_mode: ``"sigmoid"`` (``l_s = -sigmoid(S)``, DVN-type loss-nets) or ``"raw"`` (``l_s = -S``, NCE).
    """

    def __init__(self, score_weight: float = 0.0, ce_weight: float = 1.0, score_mode: str = "sigmoid") -> None:
        super().__init__()
        if score_mode not in ("sigmoid", "raw"):
            raise ValueError(f"SegTaskLoss: score_mode must be 'sigmoid' or 'raw', got {score_mode!r}")
        self.score_weight = _check_nonneg("SegTaskLoss", "score_weight", score_weight)
        self.ce_weight = _check_nonneg("SegTaskLoss", "ce_weight", ce_weight)
        self.score_mode = score_mode

    def forward(self, score_net: nn.Module | None, x: torch.Tensor, y: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
        """Scalar task-net loss (batch mean).

        Args:
            score_net: the loss-net (``None`` allowed when ``score_weight == 0``); not detached here, so
                freeze its parameters around the call (the training modules do).
            x: ``(B, 3, H, W)`` images; y: ``(B, H, W)`` gold masks in {0, 1}; logits: ``(B, 2, H, W)``.

        Raises:
            ValueError: ``score_weight > 0`` without a score network.
        """
        loss = self.ce_weight * pixel_cross_entropy(logits, y)
        if self.score_weight > 0:
            if score_net is None:
                raise ValueError("SegTaskLoss: score_weight > 0 needs a score network")
            s = score_net(x, foreground_probs(logits))
            ls = -torch.sigmoid(s) if self.score_mode == "sigmoid" else -s
            loss = loss + self.score_weight * ls
        return loss.mean()


class SegRegressionLoss(nn.Module):
    """DVN regression ``BCEWithLogits(S(x, y_k), IoU_soft(y_k, y*))`` on the candidate ``p`` (A.4 (a)).

    Args:
        reduction: ``"mean"`` (default: over batch and candidates), ``"sum"`` or ``"none"`` (``(B, K)``).
    """

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        _check(type(self).__name__, reduction)
        self.reduction = reduction

    def candidates(self, task_logits: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """``(B, 1, H, W)``: the foreground probability ``p`` (no grad)."""
        with torch.no_grad():
            return foreground_probs(task_logits.detach()).unsqueeze(1)

    def on_candidates(self, score_net: nn.Module, x: torch.Tensor, y: torch.Tensor, cands: torch.Tensor) -> torch.Tensor:
        """The reduced loss on given candidates ``(B, K, H, W)`` (detached here)."""
        cands = cands.detach()
        with torch.no_grad():
            target = soft_iou(cands, y.detach().to(cands.dtype).unsqueeze(1))
        scores = score_net(x, cands)
        return _reduce(F.binary_cross_entropy_with_logits(scores, target.to(scores.dtype), reduction="none"), self.reduction)

    def forward(
        self,
        score_net: nn.Module,
        x: torch.Tensor,
        y: torch.Tensor,
        task_logits: torch.Tensor | None = None,
        generator: torch.Generator | None = None,
        *,
        samples: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Regression loss on the candidates: a scalar, or ``(B, K)`` with ``reduction="none"``.

        Args:
            score_net: the loss-net; x: ``(B, 3, H, W)``; y: ``(B, H, W)`` gold masks.
            task_logits: ``(B, 2, H, W)`` task-net logits (detached here), used to build the candidates.
            generator: RNG of the perturbations (regression-s).
            samples: ``(B, K, H, W)`` candidates in ``[0, 1]`` used instead of the task-net's.

        Raises:
            ValueError: neither ``task_logits`` nor ``samples`` given.
        """
        if samples is None:
            if task_logits is None:
                raise ValueError(f"{type(self).__name__}: task_logits or samples must be given")
            samples = self.candidates(task_logits, generator)
        return self.on_candidates(score_net, x, y, samples)


class SegRegressionSamplesLoss(SegRegressionLoss):
    """Regression-s: ``p`` plus ``K - 1`` Gaussian perturbations of the foreground log-odds (A.4 (a), H.7).

    Args:
        num_samples: ``K >= 1`` candidates in all (counts ``p``).
        std: noise standard deviation on the log-odds ``d = z_1 - z_0`` (> 0).
        reduction: as :class:`SegRegressionLoss`.
    """

    def __init__(self, num_samples: int, std: float, reduction: str = "mean") -> None:
        super().__init__(reduction)
        _check(type(self).__name__, reduction, num_samples)
        if not (math.isfinite(float(std)) and float(std) > 0):
            raise ValueError(f"{type(self).__name__}: std must be a finite number > 0, got {std!r}")
        self.num_samples = int(num_samples)
        self.std = float(std)

    def candidates(self, task_logits: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        d = foreground_logit(task_logits.detach())
        B, H, W = d.shape
        s = gaussian_logit_samples(d.reshape(B, H * W), self.num_samples, self.std, keep_probs=True, generator=generator)
        return s.view(B, self.num_samples, H, W)


class SegNCELoss(nn.Module):
    """NCE ranking with ``K`` sampled masks, each pixel an independent ``Bernoulli(p)`` (A.4 (b)).

    Args:
        num_samples: ``K >= 1`` noise masks (the gold is extra: ``K + 1`` candidates).
        reduction: ``"mean"`` (default, over the batch), ``"sum"`` or ``"none"`` (``(B,)``).
        use_noise_correction: subtract ``log P_N`` (NCE) or not (ranking, A.4 (c)).
    """

    def __init__(self, num_samples: int, reduction: str = "mean", use_noise_correction: bool = True) -> None:
        super().__init__()
        _check(type(self).__name__, reduction, num_samples)
        self.num_samples = int(num_samples)
        self.reduction = reduction
        self.use_noise_correction = bool(use_noise_correction)

    def candidates(self, y: torch.Tensor, task_logits: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """``(B, K + 1, H, W)``: gold first, then ``K`` Bernoulli masks (no grad)."""
        with torch.no_grad():
            p = foreground_probs(task_logits.detach())
            B, H, W = p.shape
            samples = bernoulli_samples(p.reshape(B, H * W), self.num_samples, generator=generator).view(B, -1, H, W)
            return torch.cat([y.detach().to(p.dtype).unsqueeze(1), samples], dim=1)

    def logits(
        self, score_net: nn.Module, x: torch.Tensor, y: torch.Tensor, task_logits: torch.Tensor,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """``(B, K + 1)`` candidate logits ``S(x, y_k) - log P_N(y_k)`` (gold at index 0)."""
        cands = self.candidates(y, task_logits, generator)
        scores = score_net(x, cands)
        if self.use_noise_correction:
            d = foreground_logit(task_logits.detach())
            scores = scores - noise_log_prob(d.flatten(1), cands.flatten(2)).to(scores.dtype)
        return scores

    def forward(
        self, score_net: nn.Module, x: torch.Tensor, y: torch.Tensor, task_logits: torch.Tensor,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """NCE (or ranking) loss ``-log softmax(s~)_0``: a scalar, or ``(B,)`` with ``reduction="none"``.

        Args:
            score_net: the loss-net; x: ``(B, 3, H, W)``; y: ``(B, H, W)`` gold masks.
            task_logits: ``(B, 2, H, W)`` task-net logits (detached here): the noise distribution.
            generator: RNG of the ``K`` Bernoulli masks.
        """
        s = self.logits(score_net, x, y, task_logits, generator)
        return _reduce(torch.logsumexp(s, dim=1) - s[:, 0], self.reduction)


class SegDVNGBILoss(SegRegressionLoss):
    """The DVN baseline's loss-net objective: regression on {GBI sample, adversarial GBI sample, gold} (B.4, C.2).

    * inference sample: GBI (projected Adam in ``[0, 1]^{H x W}``) minimising ``-sigmoid(S(x, y))``;
    * adversarial sample: GBI minimising ``-BCEWithLogits(S(x, y), IoU_soft(y, y*))`` (i.e. maximising the
      regression loss, with the differentiable soft IoU);
    * both start per example from the gold mask with probability ``gt_init_prob`` (else all zeros) and return
      the best iterate along the trajectory ("best" picker, the final iterate not scored).

    The score network's image features are computed once per call and shared by all GBI steps (no grad).

    Args:
        steps, lr: inference-sample GBI settings.
        adv_steps, adv_lr: adversarial-sample GBI settings (``adv_steps = 0`` drops that sample).
        gt_init_prob: probability of starting from the gold mask.
        include_gold: add the gold mask as a candidate.
        reduction: as :class:`SegRegressionLoss`.
    """

    def __init__(
        self,
        steps: int = 30,
        lr: float = 0.1,
        adv_steps: int = 30,
        adv_lr: float = 0.1,
        gt_init_prob: float = 0.5,
        include_gold: bool = True,
        reduction: str = "mean",
    ) -> None:
        super().__init__(reduction)
        if steps < 0 or adv_steps < 0:
            raise ValueError(f"SegDVNGBILoss: GBI steps must be >= 0, got {steps}, {adv_steps}")
        if not 0.0 <= gt_init_prob <= 1.0:
            raise ValueError(f"SegDVNGBILoss: gt_init_prob must lie in [0, 1], got {gt_init_prob}")
        self.steps, self.lr = int(steps), float(lr)
        self.adv_steps, self.adv_lr = int(adv_steps), float(adv_lr)
        self.gt_init_prob = float(gt_init_prob)
        self.include_gold = bool(include_gold)

    def _init(self, y: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        use_gold = torch.rand(y.shape[0], generator=generator, device=y.device) < self.gt_init_prob
        return torch.where(use_gold.view(-1, 1, 1), y.to(torch.get_default_dtype()), torch.zeros_like(y, dtype=torch.get_default_dtype()))

    @torch.no_grad()
    def samples(
        self, score_net: nn.Module, x: torch.Tensor, y: torch.Tensor, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """``(B, K, H, W)`` candidates (``K`` = 1 + [adv_steps > 0] + [include_gold]); no parameter grads."""
        feats = score_net.image_features(x).detach()
        gold = y.detach().float()
        out = []
        if self.steps > 0:
            res = gradient_based_inference(
                lambda v: -torch.sigmoid(score_net(x, v, feats)), self._init(gold, generator),
                method="adam", lr=self.lr, steps=self.steps,
            )
            out.append(res.y)
        if self.adv_steps > 0:

            def adversarial(v: torch.Tensor) -> torch.Tensor:
                s = score_net(x, v, feats)
                return -F.binary_cross_entropy_with_logits(s, soft_iou(v, gold), reduction="none")

            res = gradient_based_inference(adversarial, self._init(gold, generator), method="adam", lr=self.adv_lr, steps=self.adv_steps)
            out.append(res.y)
        if self.include_gold or not out:
            out.append(gold)
        return torch.stack(out, dim=1)

    def forward(
        self,
        score_net: nn.Module,
        x: torch.Tensor,
        y: torch.Tensor,
        task_logits: torch.Tensor | None = None,
        generator: torch.Generator | None = None,
        *,
        samples: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """DVN regression loss on {GBI sample, adversarial sample, gold} (or on ``samples``), reduced as
        :class:`SegRegressionLoss`; ``task_logits`` is unused (the DVN baseline has no task-net).

        Raises:
            seal.inference.GBIError: GBI met a non-finite objective or gradient (names example and step).
        """
        if samples is None:
            samples = self.samples(score_net, x, y, generator)
        return self.on_candidates(score_net, x, y, samples)
