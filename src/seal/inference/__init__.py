"""Gradient-based inference (GBI) over relaxed outputs: projected Adam / SGD and entropic mirror
descent in the box ``[0, 1]^shape`` or on per-position simplices (``seal-method.md`` C.2)."""

from seal.inference.gbi import (
    GBIError,
    GBIResult,
    GradientBasedInference,
    gradient_based_inference,
    init_uniform,
    init_zeros,
    project_box,
    project_simplex,
)

__all__ = [
    "GBIError",
    "GBIResult",
    "GradientBasedInference",
    "gradient_based_inference",
    "init_uniform",
    "init_zeros",
    "project_box",
    "project_simplex",
]
