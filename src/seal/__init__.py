"""seal: Structured Energy Network As a Loss (Lee, Patel, Goyal, Zhao, Xu, McCallum; NeurIPS 2022).

A feed-forward *task-net* is trained with a learned structured *energy network* (the *loss-net*) as its
loss. Scores follow the paper's code convention: ``score = -energy``, higher is better.

``import seal`` is kept cheap: heavy modules (torch, lightning) are imported on first use of the
attributes below.
"""

from __future__ import annotations

__version__ = "0.1.0"

_LAZY = {
    "SEALClassifier": ("seal.estimator", "SEALClassifier"),
    "read_arff": ("seal.data.arff", "read_arff"),
    "load_dataset": ("seal.data.load", "load_dataset"),
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        module_name, attr = _LAZY[name]
        value = getattr(importlib.import_module(module_name), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'seal' has no attribute {name!r}")
