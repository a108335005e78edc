"""Moved to :mod:`seal.tasks.mlc_features.module` (the feature-MLC task folder); kept so that existing imports keep
working.

New code imports from :mod:`seal.tasks.mlc_features.module`.
"""

from seal.tasks.mlc_features.module import *  # noqa: F403
from seal.tasks.mlc_features.module import (  # noqa: F401
    DVN_SAMPLES,
    MAX_CANDIDATE_BYTES,
    MultilabelModule,
    NonFiniteError,
)

__all__ = [
    "DVN_SAMPLES",
    "MAX_CANDIDATE_BYTES",
    "MultilabelModule",
    "NonFiniteError",
]
