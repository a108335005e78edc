"""Safe checkpoints: atomic writes, and loading that never unpickles arbitrary objects.

* Writes go to a temporary file in the target directory, are flushed and fsync'ed, then moved into
  place with :func:`os.replace`; a failed write leaves the previous checkpoint intact
  (design.md, reliability item 3).
* Checkpoints hold only tensors and plain Python values (numpy scalars, ``argparse.Namespace`` and
  other objects are converted before saving), so ``torch.load(path, weights_only=True)`` loads them
  (``../shared/cases/B18``).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

import torch
from lightning.pytorch.plugins.io import TorchCheckpointIO


def to_plain(obj: Any) -> Any:
    """Recursively convert ``obj`` into tensors and plain Python containers/scalars.

    numpy scalars -> ``int``/``float``/``bool``; numpy arrays -> tensors; ``argparse.Namespace`` and
    other objects with ``__dict__`` (jsonargparse namespaces, dataclasses) -> dicts; ``Path`` -> str.

    Raises:
        TypeError: for a value that has no plain representation.
    """
    import numpy as np

    if isinstance(obj, np.generic):  # before the float check: np.float64 subclasses float
        return obj.item()
    if obj is None or isinstance(obj, (bool, int, float, str, bytes, torch.Tensor, torch.dtype, torch.device)):
        return obj
    if isinstance(obj, np.ndarray):
        return torch.from_numpy(obj.copy())
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, dict):
        return {to_plain(k): to_plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_plain(v) for v in obj) if isinstance(obj, list) else tuple(to_plain(v) for v in obj)
    if isinstance(obj, (set, frozenset)):
        return [to_plain(v) for v in sorted(obj, key=repr)]
    if isinstance(obj, argparse.Namespace) or hasattr(obj, "__dict__"):
        try:
            return {str(k): to_plain(v) for k, v in vars(obj).items()}
        except TypeError:
            pass
    raise TypeError(f"cannot store a {type(obj).__name__} in a weights-only checkpoint")


def atomic_torch_save(obj: Any, path: str | os.PathLike) -> None:
    """``torch.save`` to ``path`` atomically (temporary file + fsync + ``os.replace``)."""
    from seal.io import atomic_open

    with atomic_open(path, "wb") as fh:
        torch.save(obj, fh)


def load_checkpoint(path: str | os.PathLike, map_location: Any = "cpu") -> dict:
    """Load a checkpoint written by :func:`atomic_torch_save` / :class:`AtomicCheckpointIO` safely.

    ``torch.load(..., weights_only=True)``: only tensors and plain Python values are rebuilt, never code.

    Args:
        path: the ``.ckpt`` file.
        map_location: as :func:`torch.load` (default ``"cpu"``).

    Returns:
        The checkpoint dict: Lightning's keys (``state_dict``, ``epoch``, ``global_step``,
        ``optimizer_states``, ``lr_schedulers``, ``callbacks``, ``hyper_parameters``, ...) plus ``seal``, the
        module's own state (``batches_seen``, ``torch_rng_state``, ``val_history``, ``epoch_times``, ...). In
        ``state_dict`` the task-net's weights are under ``task_net.``, the loss-net's (score network) under
        ``score_net.`` and the cost-augmented network's (margin methods) under ``cost_augmented.``.

    Raises:
        FileNotFoundError: no file at ``path``.
        pickle.UnpicklingError: the file holds anything but tensors and plain values (e.g. a checkpoint
            pickled with code objects), or is not a checkpoint.
    """
    return torch.load(path, map_location=map_location, weights_only=True)


class AtomicCheckpointIO(TorchCheckpointIO):
    """Lightning CheckpointIO that converts to plain values and writes atomically."""

    def save_checkpoint(self, checkpoint: dict, path, storage_options=None) -> None:
        if storage_options is not None:
            raise TypeError("AtomicCheckpointIO does not take storage_options")
        atomic_torch_save(to_plain(checkpoint), path)

    def load_checkpoint(self, path, map_location=None, weights_only: bool | None = None) -> dict:
        return load_checkpoint(path, map_location=map_location or "cpu")
