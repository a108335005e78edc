"""Candidate samplers for loss-net training (no parameter gradients).

Discrete and Gaussian-logit samples are drawn by the output spaces (:mod:`seal.core.spaces`, built on
:func:`bernoulli_samples` and :func:`gaussian_logit_samples`); :class:`DVNSampler` runs the DVN baseline's GBI
searches (inference, adversarial) for any output space.
"""

from seal.samplers.gbi import DVNSampler
from seal.samplers.mlc import bernoulli_samples, gaussian_logit_samples

__all__ = ["DVNSampler", "bernoulli_samples", "gaussian_logit_samples"]
