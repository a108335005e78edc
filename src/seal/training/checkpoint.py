"""Safe checkpoints: atomic writes, and loading that never unpickles arbitrary objects.

* Writes go to a temporary file in the target directory, are flushed and fsync'ed, then moved into
  place with :func:`os.replace`; a failed write leaves the previous checkpoint intact
  (design.md, reliability item 3).
* Checkpoints hold only tensors and plain Python values (numpy scalars, ``argparse.Namespace`` and
  other objects are converted before saving), so ``torch.load(path, weights_only=True)`` loads them
  (``../shared/cases/B18``).
* Every checkpoint written by a seal module carries ``checkpoint["seal"]["state_sha256"]``, a SHA-256 over
  its ``state_dict`` tensors (:func:`state_checksum`), and, when it holds the optimizers' state,
  ``checkpoint["seal"]["optimizer_sha256"]`` over that (:func:`optimizer_checksum`). :func:`load_checkpoint` recomputes it, so a file whose
  tensor bytes were damaged on disk (``torch.load`` checks no CRC) is reported as corrupted instead of
  loading silently and predicting NaN. Checkpoints written before the checksum existed load unchecked.
* Every failure to read a checkpoint is one :class:`CheckpointError` (a ``ValueError``) naming the file and
  the reason (missing, empty, truncated, not a checkpoint, corrupted, would unpickle code).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import pickle
import re
import zipfile
from collections.abc import Mapping
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


class CheckpointError(ValueError):
    """A checkpoint file that cannot be used: empty, truncated, not a checkpoint, or corrupted.

    The message is one line naming the file and the reason.
    """


class UnsafeCheckpointError(CheckpointError, pickle.UnpicklingError):
    """A checkpoint that holds Python objects other than tensors and plain values (loading it would run code).

    Also a :class:`pickle.UnpicklingError`, which :func:`load_checkpoint` raised for this case before.
    """


def state_checksum(state_dict: Mapping[str, Any]) -> str:
    """SHA-256 (hex) over a ``state_dict``'s tensors: for each key in sorted order, the key, the dtype, the
    shape and the raw bytes of the (contiguous, CPU) tensor. Non-tensor entries are skipped.

    Equal for a state dict and its ``torch.save`` / ``torch.load`` round trip; differs as soon as one byte
    of one tensor differs.
    """
    h = hashlib.sha256()
    for key in sorted(state_dict, key=str):
        t = state_dict[key]
        if not isinstance(t, torch.Tensor) or t.is_meta:
            continue
        t = t.detach().to("cpu").contiguous()
        h.update(f"{key}\0{t.dtype}\0{tuple(t.shape)}\0".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
    return h.hexdigest()


def optimizer_checksum(optimizer_states: Any) -> str:
    """SHA-256 (hex) over Lightning's ``optimizer_states`` (a list of optimizer ``state_dict`` s): every tensor
    (path, dtype, shape, raw bytes) and every plain value (path and ``repr``: learning rates, betas, steps) of the
    nested lists and dicts, dict keys in sorted order. Equal for a ``torch.save`` / ``torch.load`` round trip."""
    h = hashlib.sha256()

    def walk(obj: Any, path: str) -> None:
        if isinstance(obj, torch.Tensor):
            t = obj.detach().to("cpu").contiguous()
            h.update(f"{path}\0{t.dtype}\0{tuple(t.shape)}\0".encode())
            h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
        elif isinstance(obj, Mapping):
            for key in sorted(obj, key=str):
                walk(obj[key], f"{path}/{key}")
        elif isinstance(obj, (list, tuple)):
            for i, item in enumerate(obj):
                walk(item, f"{path}/{i}")
        else:
            h.update(f"{path}\0{obj!r}\0".encode())

    walk(optimizer_states, "")
    return h.hexdigest()


def add_checksum(checkpoint: dict) -> dict:
    """Store :func:`state_checksum` of ``checkpoint["state_dict"]`` as ``checkpoint["seal"]["state_sha256"]`` and,
    when the checkpoint holds them (not a weights-only save), :func:`optimizer_checksum` of its
    ``optimizer_states`` as ``checkpoint["seal"]["optimizer_sha256"]`` (called from the LightningModules'
    ``on_save_checkpoint``); returns ``checkpoint``."""
    state = checkpoint.get("state_dict")
    if isinstance(state, Mapping):
        checkpoint.setdefault("seal", {})["state_sha256"] = state_checksum(state)
    if "optimizer_states" in checkpoint:
        checkpoint.setdefault("seal", {})["optimizer_sha256"] = optimizer_checksum(checkpoint["optimizer_states"])
    return checkpoint


def verify_checksum(checkpoint: Mapping, path: str | os.PathLike = "checkpoint") -> bool:
    """Check ``checkpoint["seal"]["state_sha256"]`` against its ``state_dict``.

    Returns:
        ``True`` if the checksum was present and matched, ``False`` for a checkpoint without one (written
        before checksums existed, or not by a seal module).

    Raises:
        CheckpointError: the tensors do not match the stored checksum (the file was damaged after it was
            written), or the checksum is there but the ``state_dict`` is not.
    """
    seal = checkpoint.get("seal") if isinstance(checkpoint, Mapping) else None
    expected = seal.get("state_sha256") if isinstance(seal, Mapping) else None
    if expected is None:
        return False
    state = checkpoint.get("state_dict")
    if not isinstance(state, Mapping):
        raise CheckpointError(f"checkpoint {os.fspath(path)} is corrupted: it has a checksum but no state_dict")
    actual = state_checksum(state)
    if actual != expected:
        raise CheckpointError(
            f"checkpoint {os.fspath(path)} is corrupted: its tensors do not match the SHA-256 stored when it was "
            f"written (now {actual[:12]}..., stored {str(expected)[:12]}...); use another checkpoint of the run "
            "or train again"
        )
    expected_opt = seal.get("optimizer_sha256")
    if expected_opt is not None:  # checkpoints written before it was stored have none
        if "optimizer_states" not in checkpoint:
            raise CheckpointError(f"checkpoint {os.fspath(path)} is corrupted: it has an optimizer checksum but no "
                                  "optimizer_states")
        actual_opt = optimizer_checksum(checkpoint["optimizer_states"])
        if actual_opt != expected_opt:
            raise CheckpointError(
                f"checkpoint {os.fspath(path)} is corrupted: its optimizer state (needed to resume training) does "
                f"not match the SHA-256 stored when it was written (now {actual_opt[:12]}..., stored "
                f"{str(expected_opt)[:12]}...); use another checkpoint of the run or train again"
            )
    return True


def atomic_torch_save(obj: Any, path: str | os.PathLike) -> None:
    """``torch.save`` to ``path`` atomically (temporary file + fsync + ``os.replace``)."""
    from seal.io import atomic_open

    with atomic_open(path, "wb") as fh:
        torch.save(obj, fh)


def load_checkpoint(path: str | os.PathLike, map_location: Any = "cpu", *, verify: bool = True) -> dict:
    """Load a checkpoint written by :func:`atomic_torch_save` / :class:`AtomicCheckpointIO` safely.

    ``torch.load(..., weights_only=True)``: only tensors and plain Python values are rebuilt, never code.
    The tensors are then checked against ``checkpoint["seal"]["state_sha256"]`` (:func:`verify_checksum`);
    checkpoints written before seal stored that checksum have none and load unchecked. Only the zip format
    of ``torch.save`` (its default since torch 1.6) is read.

    Args:
        path: the ``.ckpt`` file.
        map_location: as :func:`torch.load` (default ``"cpu"``).
        verify: check the checksum (default ``True``).

    Returns:
        The checkpoint dict: Lightning's keys (``state_dict``, ``epoch``, ``global_step``,
        ``optimizer_states``, ``lr_schedulers``, ``callbacks``, ``hyper_parameters``, ...) plus ``seal``, the
        module's own state (``batches_seen``, ``torch_rng_state``, ``val_history``, ``epoch_times``,
        ``state_sha256``, ...). In ``state_dict`` the task-net's weights are under ``task_net.``, the
        loss-net's (score network) under ``score_net.`` and the cost-augmented network's (margin methods)
        under ``cost_augmented.``.

    Raises:
        FileNotFoundError: no file at ``path``.
        UnsafeCheckpointError: the file holds anything but tensors and plain values (e.g. a checkpoint
            pickled with code objects); also a ``pickle.UnpicklingError``.
        CheckpointError: the file is empty, truncated, not a checkpoint, or corrupted (checksum mismatch).
    """
    p = os.fspath(path)
    if not os.path.isfile(p):
        raise FileNotFoundError(f"checkpoint not found: {p}")
    if os.path.getsize(p) == 0:
        raise CheckpointError(f"checkpoint {p} is empty (0 bytes): its write never finished; use another checkpoint")
    if not zipfile.is_zipfile(p):
        raise CheckpointError(
            f"checkpoint {p} is truncated or is not a checkpoint: it is not the zip archive torch.save writes"
        )
    try:
        ckpt = torch.load(p, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as exc:
        found = re.search(r"Unsupported global: GLOBAL ([\w.]+)", str(exc))
        what = f"the Python object {found.group(1)}" if found else "Python objects other than tensors and plain values"
        raise UnsafeCheckpointError(
            f"checkpoint {p} is not a weights-only checkpoint: it holds {what}, and loading it would run code, "
            "which seal never does"
        ) from None
    except Exception as exc:  # noqa: BLE001 - zip/miniz/EOF errors of a damaged file: one clear line
        first = next((ln.strip() for ln in str(exc).splitlines() if ln.strip()), type(exc).__name__)
        first = first.split(". This is an internal miniz error")[0]
        raise CheckpointError(f"checkpoint {p} is truncated or corrupted: {first}") from None
    if not isinstance(ckpt, dict):
        raise CheckpointError(f"checkpoint {p} holds a {type(ckpt).__name__}, not a checkpoint dictionary")
    if verify:
        verify_checksum(ckpt, p)
    return ckpt


def read_checkpoint(path: str | os.PathLike, what: str = "checkpoint") -> dict:
    """:func:`load_checkpoint` for a checkpoint whose ``state_dict`` another model reads (``task_checkpoint``,
    ``score_checkpoint``); messages start with ``what``.

    Raises:
        FileNotFoundError: no such file.
        CheckpointError: as :func:`load_checkpoint`, or no ``state_dict`` in it.
    """
    try:
        ckpt = load_checkpoint(path)
    except FileNotFoundError:
        raise FileNotFoundError(f"{what} not found: {os.fspath(path)}") from None
    except CheckpointError as exc:
        msg = str(exc)
        raise type(exc)(what + msg[len("checkpoint"):] if msg.startswith("checkpoint ") else msg) from None
    if not isinstance(ckpt.get("state_dict"), Mapping):
        raise CheckpointError(f"{what} {os.fspath(path)} holds no 'state_dict' (not a seal/Lightning checkpoint)")
    return ckpt


class AtomicCheckpointIO(TorchCheckpointIO):
    """Lightning CheckpointIO that converts to plain values and writes atomically."""

    def save_checkpoint(self, checkpoint: dict, path, storage_options=None) -> None:
        if storage_options is not None:
            raise TypeError("AtomicCheckpointIO does not take storage_options")
        atomic_torch_save(to_plain(checkpoint), path)

    def load_checkpoint(self, path, map_location=None, weights_only: bool | None = None) -> dict:
        return load_checkpoint(path, map_location=map_location or "cpu")
