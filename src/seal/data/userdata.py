"""The user's own files as train / validation / test splits (``seal fit --data.train PATH ...``).

:func:`load_user_files` reads the files with :func:`seal.data.formats.read_files` (one format, one feature
and label space), carves a validation split from train by iterative stratification
(:func:`seal.data.splits.carve_validation`, fixed seed) when no validation file is given, and returns
:class:`UserSplits` with a one-line description of the sizes (printed by the DataModule). Features are used
as read (no scaling). Without a test file there is no test split (``seal fit`` then skips the test).

:func:`describe_file` is ``seal data info PATH``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from seal.data.formats import LabelledData, detect_format, read_files
from seal.data.splits import carve_validation

__all__ = ["UserSplits", "describe_file", "load_user_files"]


@dataclass
class UserSplits:
    """``splits``: ``{"train": (X, Y), "val": ..., ["test": ...]}``; ``sizes_line``: what was read/carved."""

    name: str
    splits: dict
    feature_names: list[str]
    label_names: list[str]
    format: str
    label_source: str
    carved: bool
    sizes_line: str
    split_protocol: str = "given"
    notes: list[str] = field(default_factory=list)
    zero_based: bool | None = None


def _stats(Y: np.ndarray) -> tuple[float, int]:
    if Y.shape[0] == 0:
        return 0.0, 0
    return float(Y.sum(axis=1, dtype=np.int64).mean()), int((Y.sum(axis=1) == 0).sum())


def load_user_files(
    train: str | os.PathLike,
    val: str | os.PathLike | None = None,
    test: str | os.PathLike | None = None,
    *,
    format: str | None = None,
    labels: Sequence[str] | None = None,
    label_count: int | None = None,
    xml: str | None = None,
    drop_columns: Sequence[str] = (),
    zero_based: bool | str = "auto",
    val_fraction: float = 0.25,
    split_seed: int = 0,
) -> UserSplits:
    """Read ``train`` (and ``val``, ``test``) and make the splits.

    Raises:
        FormatError / ArffError: a malformed file (file, line, field).
        FileNotFoundError: a missing file.
        ValueError: too few training rows to carve a validation split.
    """
    roles = [("train", train), ("val", val), ("test", test)]
    given = [(r, os.fspath(p)) for r, p in roles if p is not None]
    datas = read_files([p for _, p in given], format=format, labels=labels, label_count=label_count, xml=xml,
                       drop_columns=drop_columns, zero_based=zero_based)
    by_role: dict[str, LabelledData] = {r: d for (r, _), d in zip(given, datas)}
    tr = by_role["train"]
    splits: dict = {}
    carved = "val" not in by_role
    if carved:
        n = tr.X.shape[0]
        if n < 2:
            raise ValueError(f"{tr.path}: {n} training row(s); at least 2 are needed to carve a validation split "
                             "(or give --data.val)")
        tr_idx, va_idx = carve_validation(tr.Y, val_fraction=val_fraction, seed=split_seed)
        splits["train"] = (tr.X[tr_idx], tr.Y[tr_idx])
        splits["val"] = (tr.X[va_idx], tr.Y[va_idx])
    else:
        splits["train"] = (tr.X, tr.Y)
        splits["val"] = (by_role["val"].X, by_role["val"].Y)
    if "test" in by_role:
        splits["test"] = (by_role["test"].X, by_role["test"].Y)
    sizes = ", ".join(f"{k} {v[0].shape[0]}" for k, v in splits.items())
    how = (f"validation carved from {tr.path} by iterative stratification "
           f"({val_fraction:g} of its {tr.X.shape[0]} rows, seed {split_seed})" if carved else "")
    no_test = "" if "test" in by_role else "; no test file (--data.test), so no test split"
    line = (f"seal: {tr.format} data, {tr.X.shape[1]} features, {len(tr.label_names)} labels "
            f"(labels from {tr.label_source}): {sizes}" + (f"; {how}" if how else "") + no_test)
    return UserSplits(
        name=Path(tr.path).stem,
        splits=splits,
        feature_names=list(tr.feature_names),
        label_names=list(tr.label_names),
        format=tr.format,
        label_source=tr.label_source,
        carved=carved,
        sizes_line=line,
        notes=list(tr.notes),
        zero_based=tr.zero_based,
    )


def describe_file(
    path: str | os.PathLike,
    *,
    format: str | None = None,
    labels: Sequence[str] | None = None,
    label_count: int | None = None,
    xml: str | None = None,
    drop_columns: Sequence[str] = (),
    zero_based: bool | str = "auto",
    val_fraction: float = 0.25,
    split_seed: int = 0,
) -> dict:
    """``seal data info PATH``: format, counts and label statistics of one file, and the validation carve
    ``seal fit --data.train PATH`` would make (JSON-able)."""
    path = os.fspath(path)
    fmt = detect_format(path, format)
    d = read_files([path], format=fmt, labels=labels, label_count=label_count, xml=xml, drop_columns=drop_columns,
                   zero_based=zero_based)[0]
    n, nf = d.X.shape
    card, empty = _stats(d.Y)
    out = {
        "file": path,
        "format": fmt,
        "labels_from": d.label_source,
        "instances": int(n),
        "features": int(nf),
        "labels": len(d.label_names),
        "label_cardinality": card,
        "label_density": card / len(d.label_names) if d.label_names else 0.0,
        "empty_rows": empty,
        "labels_unseen": int((d.Y.sum(axis=0) == 0).sum()),
        "feature_density": float(d.X.nnz) / max(1, n * nf),
        "label_names": list(d.label_names),
        "notes": list(d.notes),
    }
    if n >= 2:
        tr, va = carve_validation(d.Y, val_fraction=val_fraction, seed=split_seed)
        out["carve"] = {"train": int(len(tr)), "val": int(len(va)), "seed": int(split_seed),
                        "val_fraction": float(val_fraction)}
    return out


def format_description(info: dict) -> str:
    """Text form of :func:`describe_file`'s result."""
    names = info["label_names"]
    shown = ", ".join(names[:8]) + (f", ... ({len(names)} in all)" if len(names) > 8 else "")
    lines = [
        f"{info['file']}",
        f"  format             {info['format']}" + (f" ({'; '.join(info['notes'])})" if info["notes"] else ""),
        f"  labels from        {info['labels_from']}",
        f"  instances          {info['instances']}",
        f"  features           {info['features']}",
        f"  labels             {info['labels']}: {shown}",
        f"  label cardinality  {info['label_cardinality']:.3f} (density {info['label_density']:.4f})",
        f"  empty label rows   {info['empty_rows']}",
        f"  labels never set   {info['labels_unseen']}",
        f"  feature density    {info['feature_density']:.4f}",
    ]
    if "carve" in info:
        c = info["carve"]
        lines.append(f"  as --data.train    train {c['train']} / val {c['val']} (validation carved by iterative "
                     f"stratification, {c['val_fraction']:g}, seed {c['seed']})")
    return "\n".join(lines)
