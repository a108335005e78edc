"""Registry of methods: named assemblies of task-net, loss-net, objectives and schedule.

Names follow the paper's rows (``seal-method.md`` C.1): ``cross-entropy`` and the SEAL-dynamic
variants ``seal-dynamic-{nce,ranking,regression,regression-s,margin}``. Later issues register the
energy-network baselines (``spen-gbi``, ``dvn-gbi``, ``nce-gbi``) and SEAL-static variants here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from torch import nn


@dataclass(frozen=True)
class MethodSpec:
    """What a method trains and how.

    Attributes:
        name: registry name.
        loss_net_objective: ``None`` (no loss-net), ``"nce"``, ``"ranking"``, ``"regression"``,
            ``"regression-s"`` or ``"margin"``.
        inner_mode: ``"score_nn"`` (T x (S loss-net steps + 1 task step)) or ``"task_nn"``
            (S x (T task steps + 1 loss-net step)), seal-method A.6.
        trains_score_net: whether the loss-net has an optimizer (False for SEAL-static).
        description: one line for ``--help`` and reports.
    """

    name: str
    loss_net_objective: str | None
    inner_mode: str
    trains_score_net: bool
    description: str
    build: Callable[[dict], tuple[nn.Module | None, nn.Module]]

    @property
    def uses_score_net(self) -> bool:
        return self.loss_net_objective is not None

    @property
    def uses_samples(self) -> bool:
        return self.loss_net_objective in ("nce", "ranking", "regression-s")

    def build_objectives(self, hp) -> tuple[nn.Module | None, nn.Module]:
        return self.build(hp)


def _ce(hp):
    from seal.objectives.task_net import TaskNetLoss

    return None, TaskNetLoss(score_weight=0.0, ce_weight=hp["ce_weight"])


def _nce(hp):
    from seal.objectives.loss_net import NCERankingLoss
    from seal.objectives.task_net import TaskNetLoss

    return NCERankingLoss(hp["num_samples"]), TaskNetLoss(hp["score_loss_weight"], hp["ce_weight"], "raw")


def _ranking(hp):
    from seal.objectives.loss_net import RankingLoss
    from seal.objectives.task_net import TaskNetLoss

    return RankingLoss(hp["num_samples"]), TaskNetLoss(hp["score_loss_weight"], hp["ce_weight"], "raw")


def _regression(hp):
    from seal.objectives.loss_net import RegressionLoss
    from seal.objectives.task_net import TaskNetLoss

    return RegressionLoss(), TaskNetLoss(hp["score_loss_weight"], hp["ce_weight"], "sigmoid")


def _regression_s(hp):
    from seal.objectives.loss_net import RegressionSamplesLoss
    from seal.objectives.task_net import TaskNetLoss

    return (
        RegressionSamplesLoss(hp["num_samples"], hp["sample_std"]),
        TaskNetLoss(hp["score_loss_weight"], hp["ce_weight"], "sigmoid"),
    )


def _margin(hp):
    from seal.objectives.loss_net import MarginLoss
    from seal.objectives.task_net import InfNetTaskLoss

    return (
        MarginLoss(hp["inference_score_weight"], released_behaviour=hp["margin_released_behaviour"]),
        InfNetTaskLoss(hp["inference_score_weight"], hp["ce_weight"]),
    )


METHODS: dict[str, MethodSpec] = {
    m.name: m
    for m in (
        MethodSpec("cross-entropy", None, "score_nn", False, "feed-forward task-net trained with summed BCE", _ce),
        MethodSpec("seal-dynamic-nce", "nce", "score_nn", True, "SEAL-dynamic, NCE ranking loss-net", _nce),
        MethodSpec("seal-dynamic-ranking", "ranking", "score_nn", True, "SEAL-dynamic, ranking (NCE without -log P_N)", _ranking),
        MethodSpec("seal-dynamic-regression", "regression", "score_nn", True, "SEAL-dynamic, DVN regression on p", _regression),
        MethodSpec(
            "seal-dynamic-regression-s", "regression-s", "score_nn", True,
            "SEAL-dynamic, DVN regression on Gaussian-logit samples", _regression_s,
        ),
        MethodSpec("seal-dynamic-margin", "margin", "task_nn", True, "SEAL-dynamic, margin (InfNet form)", _margin),
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
