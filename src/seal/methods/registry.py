"""Registry of methods: named assemblies of task-net, loss-net, objectives and schedule.

Names follow the paper's rows (``seal-method.md`` C.1):

* ``cross-entropy``; ``crf`` (tagging only: a linear-chain CRF on the task-net's logits, Viterbi decoding);
* SEAL-dynamic: ``seal-dynamic-{nce,ranking,regression,regression-s,margin}``;
* energy-network baselines, predicting by gradient-based inference (GBI, C.2):
  ``spen-gbi`` (``pspen``: structured SVM, cost-augmented GBI from a fixed cross-entropy task-net),
  ``dvn-gbi`` (``pdvn``: DVN regression on GBI, adversarial and gold samples) and ``nce-gbi``
  (``pnce``: NCE ranking with a fixed cross-entropy task-net as noise distribution);
* SEAL-static: ``seal-static-{margin,regression,nce}`` (``seal_static_spen``, ``SEAL-static-DVN``,
  ``SEAL-static-NCE``): a frozen loss-net loaded from a baseline checkpoint, task-net trained with the
  SEAL task-net objective.

This module does not import torch (the experiment runner reads :attr:`MethodSpec.chain_argument`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from torch import nn


@dataclass(frozen=True)
class GBIDefaults:
    """Per-method default settings of gradient-based inference (``seal-method.md`` C.2, G, H.12).

    Attributes:
        init: ``"task-net"`` (task-net probabilities), ``"zeros"`` or ``"uniform"`` (``U[0, 1]``).
        lr: Adam step size on ``y``.
        steps: GBI steps at validation / test / prediction.
        num_inits: number of initial points (``> 1`` only with ``"uniform"``).
        train_steps: GBI steps of the training samplers (cost-augmented / inference / adversarial).
    """

    init: str = "zeros"
    lr: float = 0.1
    steps: int = 20
    num_inits: int = 1
    train_steps: int = 20


@dataclass(frozen=True)
class MethodSpec:
    """What a method trains and how.

    Attributes:
        name: registry name.
        loss_net_objective: ``None`` (no loss-net), ``"nce"``, ``"ranking"``, ``"regression"``,
            ``"regression-s"``, ``"margin"``, ``"ssvm"`` (``spen-gbi``), ``"regression-gbi"``
            (``dvn-gbi``) or ``"frozen"`` (SEAL-static: a loss-net is used but never trained).
        inner_mode: ``"score_nn"`` (T x (S loss-net steps + 1 task step)) or ``"task_nn"``
            (S x (T task steps + 1 loss-net step)), seal-method A.6.
        trains_score_net: whether the loss-net has an optimizer (False for SEAL-static).
        description: one line for ``--help`` and reports.
        build: ``(hparams, output space) -> (loss-net objective or None, task-net objective or None)``.
        trains_task_net: whether the task-net has an optimizer (False for the energy-network
            baselines, whose task-net is a fixed cross-entropy network or unused).
        predict_with_gbi: validation, test and prediction by GBI on the score network instead of a
            task-net forward pass (energy-network baselines).
        gbi_transform: GBI test-time objective: ``"raw"`` (minimise ``-S``; SPEN, NCE) or
            ``"sigmoid"`` (minimise ``-sigmoid(S)``; DVN).
        gbi: default GBI settings (overridable per run by the module's ``gbi_*`` hyper-parameters).
        frozen_score_net: the loss-net is loaded from ``score_checkpoint`` and frozen (SEAL-static).
        needs_task_checkpoint: the task-net is loaded from ``task_checkpoint`` (a cross-entropy run)
            and kept fixed (``spen-gbi``: GBI initialiser; ``nce-gbi``: noise distribution).
        chain_argument: the CLI argument through which a chained run receives the best checkpoint
            of the run it depends on (``model.task_checkpoint`` / ``model.score_checkpoint``).
        score_source: the baseline whose checkpoint a SEAL-static method is meant to load.
    """

    name: str
    loss_net_objective: str | None
    inner_mode: str
    trains_score_net: bool
    description: str
    build: Callable[..., tuple[nn.Module | None, nn.Module | None]]
    trains_task_net: bool = True
    predict_with_gbi: bool = False
    gbi_transform: str = "raw"
    gbi: GBIDefaults = GBIDefaults()
    frozen_score_net: bool = False
    needs_task_checkpoint: bool = False
    chain_argument: str | None = None
    score_source: str | None = None

    @property
    def uses_score_net(self) -> bool:
        return self.loss_net_objective is not None

    @property
    def uses_samples(self) -> bool:
        return self.loss_net_objective in ("nce", "ranking", "regression-s")

    @property
    def uses_task_net_for_training(self) -> bool:
        """Whether training runs the task-net at all (trained, or fixed as GBI init / noise)."""
        return self.trains_task_net or self.needs_task_checkpoint

    def build_objectives(self, hp, space=None) -> tuple[nn.Module | None, nn.Module]:
        """``(loss-net objective or None, task-net objective or None)`` for the hyper-parameters ``hp`` (a
        mapping) on the output space ``space`` (default multi-label)."""
        if space is None:
            from seal.core.spaces import MultiLabelSpace

            space = MultiLabelSpace()
        return self.build(hp, space)


def _red(hp, default: str) -> dict:
    """Reduction keywords of a loss-net objective: ``loss_net_reduction`` (if the module has one) and
    ``per_candidate_reduction`` (the segmentation setting: regression averaged over batch and candidates)."""
    return {"reduction": hp.get("loss_net_reduction") or default}


def _reg(hp) -> dict:
    return {**_red(hp, "sum"), "per_candidate": bool(hp.get("per_candidate_reduction", False))}


def _task(hp, space, transform: str, weight: float | None = None):
    from seal.objectives.task_net import TaskNetLoss

    w = hp["score_loss_weight"] if weight is None else weight
    return TaskNetLoss(w, hp["ce_weight"], transform, space=space)


def _ce(hp, space):
    return None, _task(hp, space, "raw", 0.0)


def _nce(hp, space):
    from seal.objectives.loss_net import NCERankingLoss

    return NCERankingLoss(hp["num_samples"], space=space, sparse=hp.get("sparse", "auto"), **_red(hp, "sum")), _task(hp, space, "raw")


def _ranking(hp, space):
    from seal.objectives.loss_net import RankingLoss

    return RankingLoss(hp["num_samples"], space=space, sparse=hp.get("sparse", "auto"), **_red(hp, "sum")), _task(hp, space, "raw")


def _regression(hp, space):
    from seal.objectives.loss_net import RegressionLoss

    return RegressionLoss(space=space, **_reg(hp)), _task(hp, space, "sigmoid")


def _regression_s(hp, space):
    from seal.objectives.loss_net import RegressionSamplesLoss

    return RegressionSamplesLoss(hp["num_samples"], hp["sample_std"], space=space, **_reg(hp)), _task(hp, space, "sigmoid")


def _margin(hp, space):
    from seal.objectives.loss_net import MarginLoss
    from seal.objectives.task_net import InfNetTaskLoss

    return (
        MarginLoss(hp["inference_score_weight"], released_behaviour=hp["margin_released_behaviour"]),
        InfNetTaskLoss(hp["inference_score_weight"], hp["ce_weight"]),
    )


def _ssvm(hp, space):
    from seal.objectives.ssvm import SSVMLoss

    return SSVMLoss(released_behaviour=hp["margin_released_behaviour"]), None


def _dvn_gbi(hp, space):
    from seal.objectives.loss_net import RegressionLoss

    return RegressionLoss(space=space, **_reg(hp)), None


def _nce_gbi(hp, space):
    from seal.objectives.loss_net import NCERankingLoss

    return NCERankingLoss(hp["num_samples"], space=space, sparse=hp.get("sparse", "auto"), **_red(hp, "sum")), None


def _crf(hp, space):
    from seal.objectives.crf import CRFTaskLoss

    if "num_tags" not in hp:
        raise ValueError("method 'crf' needs num_tags (the tagging task's number of tags)")
    return None, CRFTaskLoss(int(hp["num_tags"]))


def _static(transform: str):
    def build(hp, space):
        return None, _task(hp, space, transform)

    return build


_TASK_CKPT = "model.task_checkpoint"
_SCORE_CKPT = "model.score_checkpoint"

METHODS: dict[str, MethodSpec] = {
    m.name: m
    for m in (
        MethodSpec("cross-entropy", None, "score_nn", False, "feed-forward task-net trained with summed BCE", _ce),
        MethodSpec(
            "crf", None, "score_nn", False,
            "tagging baseline: the task-net's logits as emissions of a linear-chain CRF (NLL), Viterbi decoding", _crf,
        ),
        MethodSpec("seal-dynamic-nce", "nce", "score_nn", True, "SEAL-dynamic, NCE ranking loss-net", _nce),
        MethodSpec("seal-dynamic-ranking", "ranking", "score_nn", True, "SEAL-dynamic, ranking (NCE without -log P_N)", _ranking),
        MethodSpec("seal-dynamic-regression", "regression", "score_nn", True, "SEAL-dynamic, DVN regression on p", _regression),
        MethodSpec(
            "seal-dynamic-regression-s", "regression-s", "score_nn", True,
            "SEAL-dynamic, DVN regression on Gaussian-logit samples", _regression_s,
        ),
        MethodSpec("seal-dynamic-margin", "margin", "task_nn", True, "SEAL-dynamic, margin (InfNet form)", _margin),
        # energy-network baselines (loss-net only; prediction by GBI)
        MethodSpec(
            "spen-gbi", "ssvm", "task_nn", True,
            "SPEN energy network: structured SVM (1 - soft F1 cost), cost-augmented GBI from a fixed CE task-net",
            _ssvm, trains_task_net=False, predict_with_gbi=True, gbi_transform="raw",
            gbi=GBIDefaults(init="task-net", lr=0.01, steps=20, num_inits=1, train_steps=20),
            needs_task_checkpoint=True, chain_argument=_TASK_CKPT,
        ),
        MethodSpec(
            "dvn-gbi", "regression-gbi", "task_nn", True,
            "DVN energy network: soft-F1 regression on GBI, adversarial and gold samples",
            _dvn_gbi, trains_task_net=False, predict_with_gbi=True, gbi_transform="sigmoid",
            gbi=GBIDefaults(init="zeros", lr=0.1, steps=30, num_inits=1, train_steps=20),
        ),
        MethodSpec(
            "nce-gbi", "nce", "score_nn", True,
            "NCE energy network: NCE ranking with a fixed CE task-net as noise distribution",
            _nce_gbi, trains_task_net=False, predict_with_gbi=True, gbi_transform="raw",
            gbi=GBIDefaults(init="uniform", lr=0.1, steps=20, num_inits=3, train_steps=20),
            needs_task_checkpoint=True, chain_argument=_TASK_CKPT,
        ),
        # SEAL-static: frozen loss-net from a baseline checkpoint, task-net trained with L_F
        MethodSpec(
            "seal-static-margin", "frozen", "score_nn", False,
            "SEAL-static, margin: frozen spen-gbi loss-net, task loss w_s*(-S) + BCE",
            _static("raw"), frozen_score_net=True, chain_argument=_SCORE_CKPT, score_source="spen-gbi",
        ),
        MethodSpec(
            "seal-static-regression", "frozen", "score_nn", False,
            "SEAL-static, regression: frozen dvn-gbi loss-net, task loss w_s*(-sigmoid(S)) + BCE",
            _static("sigmoid"), gbi_transform="sigmoid", frozen_score_net=True, chain_argument=_SCORE_CKPT,
            score_source="dvn-gbi",
        ),
        MethodSpec(
            "seal-static-nce", "frozen", "score_nn", False,
            "SEAL-static, NCE ranking: frozen nce-gbi loss-net, task loss w_s*(-S) + BCE",
            _static("raw"), frozen_score_net=True, chain_argument=_SCORE_CKPT, score_source="nce-gbi",
        ),
    )
}


def get_method(name: str) -> MethodSpec:
    """Return the :class:`MethodSpec` registered as ``name``.

    Raises:
        ValueError: unknown name (the message lists the known ones).
    """
    try:
        return METHODS[name]
    except KeyError:
        raise ValueError(f"unknown method {name!r}; known methods: {', '.join(METHODS)}") from None
