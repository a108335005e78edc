"""Shared fixtures: where the real data and the shared cases live; one torch thread for tiny networks.

Real data is read in place from ``SEAL_DATA_DIR`` (default: ``../shared/data`` next to the checkout);
tests that need it are skipped when it is absent. The shared cases live in ``../shared/cases``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _default_data_dir() -> Path:
    env = os.environ.get("SEAL_DATA_DIR")
    if env:
        return Path(env).resolve()  # absolute: some tests change directory
    return REPO.parent / "shared" / "data"


DATA_DIR = _default_data_dir()
CASES_DIR = Path(os.environ.get("SEAL_CASES_DIR", REPO.parent / "shared" / "cases"))


@pytest.fixture(scope="session")
def data_dir() -> Path:
    if not DATA_DIR.is_dir():
        pytest.skip(f"real data not found at {DATA_DIR} (set SEAL_DATA_DIR)")
    return DATA_DIR


@pytest.fixture(scope="session")
def cases_dir() -> Path:
    if not CASES_DIR.is_dir():
        pytest.skip(f"shared cases not found at {CASES_DIR} (set SEAL_CASES_DIR)")
    return CASES_DIR


@pytest.fixture
def one_thread():
    """Tiny networks: a second OpenMP thread only adds synchronisation (and stalls on a loaded machine)."""
    import torch

    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)
