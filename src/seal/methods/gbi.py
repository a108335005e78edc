"""Gradient-based inference (GBI) for the energy-network baselines: prediction and training samplers.

Source: ``seal-method.md`` A.4 (a) ``pdvn``, A.7, C.2, H.4, H.12. The engine is
:func:`seal.inference.gradient_based_inference`; this module builds the objectives (all **minimised**)
and initial points for the MLC score network (:class:`seal.energies.MLCScoreNet`: scores, higher is
better):

* test time: ``−S(x, y)`` (``transform="raw"``: SPEN, NCE) or ``−σ(S(x, y))`` (``"sigmoid"``: DVN);
* SPEN training: the cost-augmented ``−[Δ(y, y*) + S(x, y)]`` (:func:`seal.objectives.ssvm.cost_augmented_objective`);
* DVN training: the inference sample (test-time objective) and the adversarial sample, which maximises
  the regression loss ``BCEWithLogits(S(x, y), F1soft(y, y*))`` (the F1 target is detached, H.4).

Every GBI call here works in the candidates layout ``(B, n_init, L) -> (B, n_init)``. The score
network's local logits ``h(x) Uᵀ`` do not depend on ``y``; they are computed **once per call** (no
gradient) and every step only re-evaluates ``Σ_l y_l·local_l + S_global(y)``. In evaluation mode this
is exactly the per-step re-evaluation of the released code; in training mode (dropout on, H.9) it means
one dropout mask per GBI call instead of one per step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from seal.inference.gbi import GBIResult, gradient_based_inference, init_uniform
from seal.oracles.functional import soft_f1

__all__ = [
    "GBI_INITS",
    "GBI_METHODS",
    "GBISettings",
    "adversarial_objective",
    "gbi_predict",
    "init_points",
    "run_gbi",
    "score_objective",
]

GBI_INITS = ("task-net", "zeros", "uniform")
GBI_METHODS = ("adam", "sgd", "mirror")
_TRANSFORMS = ("raw", "sigmoid")


@dataclass(frozen=True)
class GBISettings:
    """Resolved GBI settings of one model.

    Attributes:
        init: ``"task-net"`` (``σ(task-net(x))``), ``"zeros"`` or ``"uniform"`` (i.i.d. ``U[0, 1]``).
        lr: step size.
        steps: steps at validation / test / prediction.
        num_inits: initial points per example (``> 1`` only with ``"uniform"``); the best iterate over
            all steps and inits is returned.
        method: ``"adam"`` (the released code's GBI), ``"sgd"`` or ``"mirror"``.
        train_steps: steps of the training samplers.
    """

    init: str = "zeros"
    lr: float = 0.1
    steps: int = 20
    num_inits: int = 1
    method: str = "adam"
    train_steps: int = 20

    def __post_init__(self) -> None:
        if self.init not in GBI_INITS:
            raise ValueError(f"gbi_init must be one of {GBI_INITS}, got {self.init!r}")
        if self.method not in GBI_METHODS:
            raise ValueError(f"gbi_method must be one of {GBI_METHODS}, got {self.method!r}")
        if not (isinstance(self.lr, (int, float)) and self.lr > 0 and self.lr != float("inf")):
            raise ValueError(f"gbi_lr must be a finite number > 0, got {self.lr!r}")
        for name in ("steps", "num_inits", "train_steps"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"gbi_{name} must be an integer >= 1, got {value!r}")
        if self.num_inits > 1 and self.init != "uniform":
            raise ValueError(
                f"gbi_num_inits={self.num_inits} needs gbi_init='uniform' (every {self.init!r} init is the same point)"
            )


def score_objective(score_net: nn.Module, local: Tensor, transform: str = "raw") -> Callable[[Tensor], Tensor]:
    """Test-time GBI objective ``−S(x, y)`` (``"raw"``) or ``−σ(S(x, y))`` (``"sigmoid"``).

    Args:
        score_net: score network (score-net protocol: ``encode`` / ``score``).
        local: ``(B, L)`` local logits for the batch (detached here).
        transform: ``"raw"`` or ``"sigmoid"``.

    Returns:
        a callable ``(B, K, L) -> (B, K)``.
    """
    if transform not in _TRANSFORMS:
        raise ValueError(f"transform must be one of {_TRANSFORMS}, got {transform!r}")
    local = local.detach()

    def objective(y: Tensor) -> Tensor:
        s = score_net.score(local, y)
        return -(torch.sigmoid(s) if transform == "sigmoid" else s)

    return objective


def adversarial_objective(score_net: nn.Module, local: Tensor, y_gold: Tensor) -> Callable[[Tensor], Tensor]:
    """DVN adversarial sampler objective: minimise ``−BCEWithLogits(S(x, y), F1soft(y, y*))``.

    The oracle target is detached (``seal-method.md`` H.4), so the search follows the score's
    gradient towards outputs where the network's predicted F1 is most wrong.

    Returns:
        a callable ``(B, K, L) -> (B, K)``.
    """
    local = local.detach()
    gold = y_gold.detach().unsqueeze(1)

    def objective(y: Tensor) -> Tensor:
        with torch.no_grad():
            target = soft_f1(y.detach(), gold.to(y.dtype))
        s = score_net.score(local, y)
        return -F.binary_cross_entropy_with_logits(s, target, reduction="none")

    return objective


def init_points(
    kind: str,
    num_inits: int,
    batch: int,
    num_labels: int,
    *,
    task_probs: Tensor | None = None,
    generator: torch.Generator | None = None,
    device: torch.device | str | None = None,
    dtype: torch.dtype | None = None,
) -> Tensor:
    """Initial points ``(num_inits, B, L)`` for GBI.

    Args:
        kind: ``"task-net"`` (needs ``task_probs``), ``"zeros"`` or ``"uniform"``.
        num_inits: number of initial points per example.
        batch, num_labels: ``B`` and ``L``.
        task_probs: ``(B, L)`` task-net probabilities for ``"task-net"``.
        generator: RNG for ``"uniform"`` (the global RNG when ``None``).
    """
    if kind == "task-net":
        if task_probs is None:
            raise ValueError("gbi_init='task-net' needs the task-net's probabilities")
        return task_probs.detach().unsqueeze(0).expand(num_inits, -1, -1)
    if kind == "zeros":
        return torch.zeros((num_inits, batch, num_labels), device=device, dtype=dtype)
    if kind == "uniform":
        return init_uniform(num_inits, (batch, num_labels), generator, device=device, dtype=dtype)
    raise ValueError(f"gbi_init must be one of {GBI_INITS}, got {kind!r}")


def run_gbi(objective: Callable[[Tensor], Tensor], init: Tensor, settings: GBISettings, steps: int) -> GBIResult:
    """Gradient-based inference over relaxed labels, from several starting points per example (``seal-method.md`` C.2).

    Calls :func:`seal.inference.gradient_based_inference` with ``multi_init=True`` and ``layout="candidates"``:
    ``objective`` receives all iterates at once as ``(B, n_init, L)`` and returns ``(B, n_init)`` values to
    minimise (e.g. ``−S(x, y)``), so the score network's features are computed once per call. Each iterate is a
    projected step of ``settings.method`` (Adam, SGD or entropic mirror descent) at ``settings.lr`` inside
    ``[0, 1]^L``; the returned ``y`` is, per example, the iterate with the lowest recorded objective over all
    steps and initialisations (the "best" picker, C.2).

    Args:
        objective: ``(B, n_init, L) -> (B, n_init)``.
        init: ``(n_init, B, L)`` starting points in ``[0, 1]`` (see :func:`init_points`).
        settings: :class:`GBISettings` (``method``, ``lr``).
        steps: number of gradient steps.

    Returns:
        :class:`seal.inference.GBIResult` (``y`` is ``(B, L)``).

    Raises:
        seal.inference.GBIError: a non-finite objective or gradient (names the example and the step).
        ValueError: an objective of the wrong shape.
    """
    return gradient_based_inference(
        objective, init, multi_init=True, layout="candidates", method=settings.method, lr=settings.lr, steps=steps
    )


def gbi_predict(
    score_net: nn.Module,
    x: Tensor,
    settings: GBISettings,
    transform: str = "raw",
    *,
    task_net: nn.Module | None = None,
    generator: torch.Generator | None = None,
    steps: int | None = None,
) -> Tensor:
    """Predict relaxed labels ``ŷ ∈ [0, 1]^{B×L}`` by test-time GBI on ``score_net``.

    The networks are used in their current mode (put them in ``eval()`` for prediction). No parameter
    gradient is created. Works under ``torch.no_grad()`` but not under ``torch.inference_mode()``.

    Args:
        score_net: the energy network (scores).
        x: ``(B, D)`` features.
        settings: :class:`GBISettings`.
        transform: ``"raw"`` (``−S``) or ``"sigmoid"`` (``−σ(S)``).
        task_net: the task-net (logits), needed for ``init="task-net"``.
        generator: RNG for uniform initialisations.
        steps: overrides ``settings.steps``.

    Raises:
        seal.inference.GBIError: a non-finite objective or gradient (names example and step).
    """
    with torch.no_grad():
        local = score_net.encode(x)
        probs = None
        if settings.init == "task-net":
            if task_net is None:
                raise ValueError("gbi_init='task-net' needs a task-net")
            probs = torch.sigmoid(task_net(x))
    B, L = local.shape
    init = init_points(
        settings.init, settings.num_inits, B, L, task_probs=probs, generator=generator,
        device=local.device, dtype=local.dtype,
    )
    result = run_gbi(score_objective(score_net, local, transform), init, settings, steps or settings.steps)
    return result.y
