"""``seal predict`` for SRL: predicted frames as JSON lines, and one frame printed readably.

A frame is one predicate instance::

    {"words": [...], "predicate": {"index": i, "word": w, "roleset": r}, "roles": [role per word],
     "arguments": [{"index": j, "word": w_j, "role": role_j}, ...], "source": "file:line"}

``roles`` holds the model's prediction per word (``"O"`` = none); the predicate's own position is always ``"V"``
(the predicate is given, not predicted). ``arguments`` lists the words with a role other than ``O`` / ``V``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import torch

__all__ = ["format_frame", "frame_at", "iter_frames", "write_frames"]


def iter_frames(model, datamodule, split: str = "test", start: int = 0, stop: int | None = None) -> Iterator[dict]:
    """Predicted frames of ``split`` (``"train"``, ``"val"``, ``"test"``) in file order (instances ``start`` to
    ``stop``, default all).

    Args:
        model: an :class:`~seal.tasks.srl.module.SRLModule` (any method; put in eval mode here).
        datamodule: the :class:`~seal.tasks.srl.data.SRLDataModule` the model was trained with (same labels), or an
            :class:`~seal.tasks.srl.data.SRLPredictData` whose role names start with the model's (roles the model
            does not know are appended after its own; it never predicts them).

    Raises:
        ValueError: an unknown split, or data whose role names do not start with the model's ``num_tags`` (and, when
            the model stores them, its ``label_names``).
    """
    from seal.tasks.srl.data import collate_instances

    datamodule.prepare()
    if split not in datamodule.instances:
        raise ValueError(f"unknown split {split!r}; known: {', '.join(datamodule.instances)}")
    n_model = int(model.hparams.num_tags)
    names = list(model.hparams.get("label_names") or [])
    if datamodule.num_tags < n_model or (names and list(datamodule.label_names[:n_model]) != names):
        raise ValueError(f"the model has {n_model} tags but the data {datamodule.num_tags}"
                         + (" (other role names)" if datamodule.num_tags >= n_model else ""))
    labels = datamodule.label_names
    insts, sp = datamodule.instances[split], datamodule._splits[split]
    model.eval()
    bs = datamodule.eval_batch_size
    stop = len(insts) if stop is None else min(stop, len(insts))
    for a in range(start, stop, bs):
        idx = list(range(a, min(a + bs, stop)))
        batch = collate_instances(datamodule.encoded, sp, idx)
        with torch.no_grad():
            tags = model(batch["x"])
        for b, i in enumerate(idx):
            inst = insts[i]
            roles = [labels[t] for t in tags[b, : len(inst.words)].tolist()]
            roles[inst.predicate] = "V"
            yield {
                "words": list(inst.words),
                "predicate": {"index": inst.predicate, "word": inst.words[inst.predicate], "roleset": inst.roleset},
                "roles": roles,
                "arguments": [{"index": j, "word": inst.words[j], "role": r} for j, r in enumerate(roles) if r not in ("O", "V")],
                "source": inst.source,
            }


def write_frames(model, datamodule, path: str | os.PathLike, split: str = "test") -> int:
    """Write the predicted frames of ``split`` to ``path`` (one JSON object per line, atomically); returns how many.

    Raises:
        ValueError: see :func:`iter_frames`. OSError: ``path`` cannot be written (nothing is left half-written).
    """
    from seal.io import atomic_write_text

    lines = [json.dumps(f, ensure_ascii=False) for f in iter_frames(model, datamodule, split)]
    atomic_write_text(Path(path), "\n".join(lines) + ("\n" if lines else ""))
    return len(lines)


def format_frame(frame: dict) -> str:
    """One frame readably: ``"<predicate> (<roleset>): <sentence>"``, then one ``"  <role>: <word> [#index]"`` line
    per argument in sentence order (``"  (no arguments)"`` when there is none)."""
    p = frame["predicate"]
    head = f"{p['word']} ({p['roleset']}): {' '.join(frame['words'])}"
    args = [f"  {a['role']}: {a['word']} [#{a['index']}]" for a in frame["arguments"]]
    return "\n".join([head, *(args or ["  (no arguments)"])])


def frame_at(model, datamodule, index: int, split: str = "test") -> dict:
    """The predicted frame of instance ``index`` (0-based, file order) of ``split`` (only its batch is run).

    Raises:
        IndexError: ``index`` outside the split. ValueError: see :func:`iter_frames`.
    """
    datamodule.prepare()
    n = len(datamodule.instances.get(split, []))
    if not 0 <= index < n:
        raise IndexError(f"instance {index} is outside the {n} predicate instances of {split!r}")
    bs = datamodule.eval_batch_size
    start = (index // bs) * bs
    for k, frame in enumerate(iter_frames(model, datamodule, split, start=start, stop=min(start + bs, n))):
        if start + k == index:
            return frame
    raise AssertionError("unreachable")  # pragma: no cover
