"""GBI samplers of the DVN energy-network baseline: inference, adversarial and gold candidates, for any output space.

Source: ``seal-method.md`` A.4 (a) (``pdvn``), B.4 (segmentation DVN), C.2 (GBI), H.4 (the oracle target of the
adversarial search); Gygli, Norouzi & Angelova 2017 (DVN).

For a batch ``(x, y*)`` the sampler returns ``(B, K, *out)`` candidates, one per kind, in the order given:

* ``"inference"``: GBI minimising ``−σ(S(x, y))`` (the DVN test-time objective);
* ``"adversarial"``: GBI minimising ``−BCEWithLogits(S(x, y), v(y, y*))``, i.e. towards outputs whose predicted
  oracle value is most wrong. The oracle target is detached by default (H.4, the multi-label release); the
  segmentation DVN differentiates through the soft IoU (``differentiable_oracle=True``);
* ``"gold"``: ``y*`` itself.

Both searches start from ``init`` (``"zeros"``, ``"uniform"`` (``num_inits`` points), ``"task-net"`` (the relaxed
task-net output) or ``"gold-or-zeros"`` (per example the gold with probability ``gold_init_prob``, else zeros;
one draw per search)) and return the best iterate over all steps and initial points ("best" picker). The score
network's context ``encode(x)`` is computed once, without gradients, and shared by every step of both searches
(in training mode, with dropout, this means one dropout mask of the encoder per call). No parameter gradient is
created: the loss-net step scores the returned candidates afresh.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from seal.inference.gbi import GBIResult, gradient_based_inference, init_uniform

if TYPE_CHECKING:  # pragma: no cover
    from seal.core.spaces import OutputSpace

__all__ = ["DVN_SAMPLE_KINDS", "DVNSampler", "SAMPLER_INITS"]

DVN_SAMPLE_KINDS = ("inference", "adversarial", "gold")
SAMPLER_INITS = ("zeros", "uniform", "task-net", "gold-or-zeros")


class DVNSampler:
    """Training candidates of the DVN energy-network baseline (see the module docstring).

    Args:
        space: the output space (box or simplex GBI, oracle value).
        kinds: non-empty sequence of distinct names from :data:`DVN_SAMPLE_KINDS`, in output order.
        init: starting point of both searches, one of :data:`SAMPLER_INITS`.
        num_inits: starting points per example (``> 1`` only with ``"uniform"``).
        gold_init_prob: probability of starting from the gold (``init="gold-or-zeros"``).
        method: GBI update rule (``"adam"`` as released, ``"sgd"``, ``"mirror"``).
        steps, lr: the inference search.
        adv_steps, adv_lr: the adversarial search (default: as the inference search).
        differentiable_oracle: differentiate the adversarial objective through the oracle value too.

    Raises:
        ValueError: bad kinds, init, probabilities or step counts.
    """

    def __init__(
        self,
        space: OutputSpace,
        kinds: Sequence[str] = DVN_SAMPLE_KINDS,
        *,
        init: str = "zeros",
        num_inits: int = 1,
        gold_init_prob: float = 0.0,
        method: str = "adam",
        steps: int = 20,
        lr: float = 0.1,
        adv_steps: int | None = None,
        adv_lr: float | None = None,
        differentiable_oracle: bool = False,
    ) -> None:
        kinds = tuple(kinds)
        bad = [k for k in kinds if k not in DVN_SAMPLE_KINDS]
        if bad or not kinds or len(set(kinds)) != len(kinds):
            raise ValueError(f"DVN sample kinds must be a non-empty list of distinct names from {DVN_SAMPLE_KINDS}, got {list(kinds)!r}")
        if init not in SAMPLER_INITS:
            raise ValueError(f"DVN sampler init must be one of {SAMPLER_INITS}, got {init!r}")
        if num_inits > 1 and init != "uniform":
            raise ValueError(f"num_inits={num_inits} needs init='uniform' (every {init!r} init is the same point)")
        if not 0.0 <= float(gold_init_prob) <= 1.0:
            raise ValueError(f"gold_init_prob must lie in [0, 1], got {gold_init_prob}")
        adv_steps = steps if adv_steps is None else adv_steps
        for name, value in (("steps", steps), ("adv_steps", adv_steps), ("num_inits", num_inits)):
            if isinstance(value, bool) or not isinstance(value, int) or value < (1 if name == "num_inits" else 0):
                raise ValueError(f"DVN sampler {name} must be an integer >= {1 if name == 'num_inits' else 0}, got {value!r}")
        self.space = space
        self.kinds = kinds
        self.init = init
        self.num_inits = int(num_inits)
        self.gold_init_prob = float(gold_init_prob)
        self.method = method
        self.steps, self.lr = int(steps), float(lr)
        self.adv_steps = int(adv_steps)
        self.adv_lr = float(lr if adv_lr is None else adv_lr)
        self.differentiable_oracle = bool(differentiable_oracle)

    def __repr__(self) -> str:
        return (
            f"DVNSampler({self.space!r}, kinds={list(self.kinds)}, init={self.init!r}, steps={self.steps}, lr={self.lr}, "
            f"adv_steps={self.adv_steps}, adv_lr={self.adv_lr})"
        )

    def _init_points(self, gold: Tensor, task_relaxed: Tensor | None, generator: torch.Generator | None) -> Tensor:
        """``(n_init, B, *out)`` starting points."""
        if self.init == "task-net":
            if task_relaxed is None:
                raise ValueError("DVN sampler init='task-net' needs the task-net's relaxed output")
            return task_relaxed.detach().unsqueeze(0).expand(self.num_inits, *task_relaxed.shape)
        if self.init == "zeros":
            return torch.zeros((self.num_inits, *gold.shape), device=gold.device, dtype=gold.dtype)
        if self.init == "uniform":
            return init_uniform(self.num_inits, tuple(gold.shape), generator, device=gold.device, dtype=gold.dtype)
        use_gold = torch.rand(gold.shape[0], generator=generator, device=gold.device) < self.gold_init_prob
        view = (-1,) + (1,) * (gold.dim() - 1)
        return torch.where(use_gold.view(view), gold, torch.zeros_like(gold)).unsqueeze(0)

    def search(
        self, objective: Callable[[Tensor], Tensor], init: Tensor, steps: int, lr: float
    ) -> GBIResult:
        """One GBI run in the candidates layout: ``objective`` ``(B, n_init, *out) -> (B, n_init)``, ``init``
        ``(n_init, B, *out)``; the best iterate per example."""
        return gradient_based_inference(
            objective, init, space=self.space.gbi_space, multi_init=True, layout="candidates",
            method=self.method, lr=lr, steps=steps,
        )

    def __call__(
        self,
        score_net: nn.Module,
        x: Any,
        y_gold: Tensor,
        *,
        task_relaxed: Callable[[], Tensor] | None = None,
        generator: torch.Generator | None = None,
        mask: Tensor | None = None,
    ) -> Tensor:
        """The ``(B, K, *out)`` candidates (``K = len(kinds)``), detached.

        Args:
            score_net: the loss-net (score-net protocol).
            x: the batch input.
            y_gold: ``(B, *out)`` gold outputs (tagging: tag ids).
            task_relaxed: called once (after ``encode``) for ``init="task-net"``: the task-net's relaxed output.
            generator: RNG of the uniform / gold-or-zeros starting points.
            mask: ``(B, T)`` real positions (tagging).

        Raises:
            seal.inference.GBIError: a non-finite objective or gradient (names the example and the step).
        """
        with torch.no_grad():
            ctx = score_net.encode(x)
            probs = task_relaxed() if (self.init == "task-net" and task_relaxed is not None) else None
            like = torch.empty(0, dtype=torch.get_default_dtype(), device=y_gold.device)
            gold = self.space.gold_output(y_gold.detach(), like, mask)
        if isinstance(ctx, Tensor):
            ctx = ctx.detach()
        space = self.space
        out: list[Tensor] = []
        for kind in self.kinds:
            if kind == "gold":
                out.append(gold)
                continue
            init = self._init_points(gold, probs, generator)
            if kind == "inference":

                def objective(v: Tensor) -> Tensor:
                    return -torch.sigmoid(score_net.score(ctx, v))

                out.append(self.search(objective, init, self.steps, self.lr).y)
            else:
                target_gold = gold.detach()

                def objective(v: Tensor) -> Tensor:
                    if self.differentiable_oracle:
                        target = space.oracle(v, target_gold, mask)
                    else:
                        with torch.no_grad():
                            target = space.oracle(v.detach(), target_gold, mask)
                    s = score_net.score(ctx, v)
                    return -F.binary_cross_entropy_with_logits(s, target.to(s.dtype), reduction="none")

                out.append(self.search(objective, init, self.adv_steps, self.adv_lr).y)
        return torch.stack([o.detach() for o in out], dim=1)
