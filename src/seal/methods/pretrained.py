"""Loading a pre-trained task-net or loss-net out of another run's checkpoint, with checks.

Used by SEAL-static (``score_checkpoint``: the loss-net of a ``spen-gbi`` / ``dvn-gbi`` / ``nce-gbi``
run, ``seal-method.md`` A.2, H.11) and by the ``spen-gbi`` / ``nce-gbi`` baselines (``task_checkpoint``:
the task-net of a cross-entropy run, used as GBI initialiser / NCE noise distribution, H.12).

Checkpoints are read with ``torch.load(..., weights_only=True)`` only (nothing is unpickled). Before
any weight is copied, every tensor shape of the sub-network and the stored hyper-parameters that define
the data (input width, label count, label names, dataset name) are compared with the receiving model;
any difference raises one :class:`CheckpointMismatchError` that lists all of them, e.g.::

    score checkpoint runs/genbase/nce-gbi/seed0/.../best.ckpt does not match this model (3 differences):
    num_labels: checkpoint 27 vs model 6; score_net.label_embeddings: checkpoint shape (27, 400) vs model
    shape (6, 400); ...
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from torch import nn

__all__ = ["CheckpointMismatchError", "load_subnetwork", "read_checkpoint", "resolve_run_checkpoint"]


def resolve_run_checkpoint(path: str | os.PathLike, what: str, *, seed: int | None = None,
                           producer: str = "that run") -> Path:
    """The checkpoint file a ``task_checkpoint`` / ``score_checkpoint`` option names.

    ``{seed}`` in ``path`` is replaced by ``seed`` (default: the run's seed, ``PL_GLOBAL_SEED``); a directory stands
    for the newest ``best.ckpt`` below it (e.g. a ``seal experiment`` run directory).

    Args:
        path: a checkpoint file or a run directory, possibly with ``{seed}``.
        what: the option's name, starting the error messages.
        seed: replaces ``{seed}``.
        producer: the run that writes the checkpoint, for the message (``"train {producer} (same seed) first"``).

    Raises:
        FileNotFoundError: nothing there (names ``what`` and the path).
    """
    from seal.data.batches import run_seed

    p = Path(str(path).replace("{seed}", str(run_seed() if seed is None else seed))).expanduser()
    if p.is_dir():
        found = sorted(p.rglob("best.ckpt"), key=lambda q: q.stat().st_mtime)
        if not found:
            raise FileNotFoundError(f"{what}: no best.ckpt under {p}; train {producer} (same seed) first")
        return found[-1]
    if not p.is_file():
        raise FileNotFoundError(f"{what}: checkpoint not found: {p}")
    return p


class CheckpointMismatchError(ValueError):
    """A checkpoint whose sub-network or data does not match the receiving model (lists every difference)."""


def read_checkpoint(path: str | os.PathLike, what: str = "checkpoint") -> dict:
    """Weights-only, checksum-verified load: :func:`seal.training.checkpoint.read_checkpoint`.

    Raises:
        FileNotFoundError: no such file.
        seal.training.checkpoint.CheckpointError: not a loadable weights-only checkpoint, a checksum mismatch,
            or no ``state_dict`` in it.
    """
    from seal.training.checkpoint import read_checkpoint as _read

    return _read(path, what)


def _fmt_names(names: list) -> str:
    shown = ", ".join(repr(str(n)) for n in names[:4])
    return f"{len(names)} labels [{shown}{', ...' if len(names) > 4 else ''}]"


def load_subnetwork(
    path: str | os.PathLike,
    prefix: str,
    target: nn.Module,
    *,
    expect: Mapping[str, Any] | None = None,
    checkpoint_hparams: Mapping[str, Any] | None = None,
    label_names: list | None = None,
    dataset: str | None = None,
    what: str = "checkpoint",
    ckpt: dict | None = None,
) -> dict:
    """Copy the ``prefix*`` tensors of a checkpoint's ``state_dict`` into ``target`` after checking them.

    Args:
        path: the checkpoint file.
        prefix: e.g. ``"score_net."`` or ``"task_net."``.
        target: the receiving module (its own ``state_dict`` keys, without ``prefix``).
        expect: hyper-parameters the checkpoint must agree on, ``{name: model value}``, compared with
            ``checkpoint_hparams`` (default: the checkpoint's ``hyper_parameters``) where present.
        checkpoint_hparams: the checkpoint's hyper-parameters as resolved by the caller (e.g. the
            effective loss-net width), overriding the raw ones for the comparison.
        label_names: the model's label names; compared with the checkpoint's when both are known.
        dataset: the model's dataset name; compared with the checkpoint's datamodule hyper-parameters.
        what: how to name the checkpoint in messages (``"score checkpoint"``).
        ckpt: the already loaded checkpoint (skips reading ``path`` again).

    Returns:
        the loaded checkpoint dict (``hyper_parameters`` etc. for further checks).

    Raises:
        FileNotFoundError, ValueError: unreadable checkpoint.
        CheckpointMismatchError: differing shapes, missing/unexpected tensors, or differing
            hyper-parameters / label names / dataset; all differences in one message.
    """
    if ckpt is None:
        ckpt = read_checkpoint(path, what)
    state = ckpt["state_dict"]
    hp = dict(ckpt.get("hyper_parameters") or {})
    sub = {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}
    if not sub:
        method = hp.get("method", "unknown")
        raise CheckpointMismatchError(
            f"{what} {os.fspath(path)} holds no '{prefix}*' weights (it was trained with method {method!r})"
        )
    diffs: list[str] = []
    ck_hp = dict(hp)
    ck_hp.update(checkpoint_hparams or {})
    for name, mine in (expect or {}).items():
        if name in ck_hp and ck_hp[name] is not None and mine is not None and ck_hp[name] != mine:
            diffs.append(f"{name}: checkpoint {ck_hp[name]!r} vs model {mine!r}")
    theirs = hp.get("label_names")
    if label_names is not None and theirs is not None and list(theirs) != list(label_names):
        if len(theirs) == len(label_names):
            diffs.append(f"label_names differ: checkpoint {_fmt_names(list(theirs))} vs model {_fmt_names(list(label_names))}")
    dm_hp = ckpt.get("datamodule_hyper_parameters") or {}
    their_ds = dm_hp.get("dataset") if isinstance(dm_hp, Mapping) else None
    if dataset is not None and their_ds is not None and str(their_ds) != str(dataset):
        diffs.append(f"dataset: checkpoint {their_ds!r} vs model {dataset!r}")
    own = target.state_dict()
    for key in sorted(set(own) | set(sub)):
        name = prefix + key
        if key not in sub:
            diffs.append(f"{name}: missing in checkpoint (model shape {tuple(own[key].shape)})")
        elif key not in own:
            diffs.append(f"{name}: not in model (checkpoint shape {tuple(sub[key].shape)})")
        elif tuple(sub[key].shape) != tuple(own[key].shape):
            diffs.append(f"{name}: checkpoint shape {tuple(sub[key].shape)} vs model shape {tuple(own[key].shape)}")
    if diffs:
        n = len(diffs)
        raise CheckpointMismatchError(
            f"{what} {os.fspath(path)} does not match this model ({n} difference{'s' if n > 1 else ''}): "
            + "; ".join(diffs)
        )
    target.load_state_dict({k: v.to(own[k].dtype) for k, v in sub.items()})
    return ckpt
