"""Experiment grids and results reports.

:mod:`seal.experiments.runner`
    ``seal experiment GRID.yaml``: run datasets x methods x seeds as ``seal fit`` subprocesses, resumable,
    appending one JSON line per finished run to ``results/runs.jsonl``.
:mod:`seal.experiments.report`
    ``seal report``: render ``docs/results.md`` (tables of mean ± std over seeds beside the paper's
    secondary-source numbers, other metrics, timings, validation curves) from ``results/runs.jsonl``.

Neither module imports torch at import time.
"""

from __future__ import annotations

__all__ = ["report", "runner"]
