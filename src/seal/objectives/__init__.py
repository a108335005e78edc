"""Loss-net objectives (NCE, ranking, regression, margin) and task-net objectives, explicit reductions."""

from seal.objectives.loss_net import (
    MarginLoss,
    NCERankingLoss,
    RankingLoss,
    RegressionLoss,
    RegressionSamplesLoss,
    noise_log_prob,
)
from seal.objectives.task_net import InfNetTaskLoss, TaskNetLoss

__all__ = [
    "InfNetTaskLoss",
    "MarginLoss",
    "NCERankingLoss",
    "RankingLoss",
    "RegressionLoss",
    "RegressionSamplesLoss",
    "TaskNetLoss",
    "noise_log_prob",
]
