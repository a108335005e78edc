"""Candidate samplers for loss-net training (no parameter gradients)."""

from seal.samplers.mlc import bernoulli_samples, gaussian_logit_samples

__all__ = ["bernoulli_samples", "gaussian_logit_samples"]
