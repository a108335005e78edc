"""Oracle value functions ``v(y_hat, y*) in [0, 1]`` (higher is better) and the L1 margin cost.

See :mod:`seal.oracles.functional` for the conventions (empty/empty = 1, never NaN).
"""

from __future__ import annotations

from seal.oracles.functional import ORACLES, get_oracle, l1_cost, soft_f1, soft_hamming, soft_iou

__all__ = ["ORACLES", "get_oracle", "l1_cost", "soft_f1", "soft_hamming", "soft_iou"]
