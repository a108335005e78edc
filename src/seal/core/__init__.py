"""The SEAL core shared by every application: output spaces and the score-net protocol.

* :mod:`seal.core.spaces` — :class:`MultiLabelSpace`, :class:`BinaryMaskSpace`, :class:`TaggingSpace`: sampling,
  ``log P_N`` from logits, projection, relaxed value, oracle and the cross-entropy anchor of each output shape;
* :mod:`seal.core.score_net` — ``encode(x) -> ctx`` once per step, ``score(ctx, y (B, K, *out)) -> (B, K)``.

The objectives (:mod:`seal.objectives`) and samplers (:mod:`seal.samplers`) are written once against these.
"""

from seal.core.score_net import ScoreNet, check_score_net, check_task_net
from seal.core.spaces import BinaryMaskSpace, MultiLabelSpace, OutputSpace, TaggingSpace, get_space, noise_log_prob

__all__ = [
    "BinaryMaskSpace",
    "MultiLabelSpace",
    "OutputSpace",
    "ScoreNet",
    "TaggingSpace",
    "check_score_net",
    "check_task_net",
    "get_space",
    "noise_log_prob",
]
