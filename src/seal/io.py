"""Atomic file writes: the one helper every writer in ``seal`` uses.

A file written through :func:`atomic_open` is first written to a temporary file in the same directory,
flushed and ``fsync``-ed, given ordinary permissions (``0o666 & ~umask`` unless ``mode_bits`` says
otherwise) and only then moved over the destination with :func:`os.replace`. If anything fails before
that (an exception in the ``with`` body, a full disk, Ctrl-C) the temporary file is removed and an
existing destination is left byte-identical (design.md, reliability checklist 3 and 6).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

__all__ = ["atomic_open", "atomic_write_bytes", "atomic_write_text"]


def _default_mode_bits() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@contextmanager
def atomic_open(
    path: str | os.PathLike,
    mode: str = "w",
    *,
    encoding: str | None = "utf-8",
    newline: str | None = None,
    suffix: str = ".tmp",
    mode_bits: int | None = None,
) -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path``; on a clean exit it replaces ``path`` atomically.

    Args:
        path: the destination; its parent directories are created.
        mode: ``"w"`` (text) or ``"wb"`` (binary).
        encoding, newline: for text mode (ignored in binary mode).
        suffix: suffix of the temporary file (``.tmp``; downloads use ``.part``).
        mode_bits: permission bits of the final file (default ``0o666 & ~umask``, as ``open`` would give).

    Yields:
        The open file object.

    Raises:
        ValueError: ``mode`` is neither ``"w"`` nor ``"wb"``.
        IsADirectoryError: ``path`` is a directory.
        OSError: from creating, writing or renaming (the destination is then unchanged).
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_open: mode must be 'w' or 'wb', got {mode!r}")
    dest = Path(path)
    if dest.is_dir():
        raise IsADirectoryError(f"{dest} is a directory")
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=suffix, dir=dest.parent)
    try:
        if mode == "wb":
            fh = os.fdopen(fd, "wb")
        else:
            fh = os.fdopen(fd, "w", encoding=encoding, newline=newline)
        with fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, _default_mode_bits() if mode_bits is None else mode_bits)
        os.replace(tmp, dest)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def atomic_write_text(path: str | os.PathLike, text: str, *, encoding: str = "utf-8", newline: str | None = None) -> Path:
    """Write ``text`` to ``path`` atomically (see :func:`atomic_open`); returns the path."""
    with atomic_open(path, "w", encoding=encoding, newline=newline) as fh:
        fh.write(text)
    return Path(path)


def atomic_write_bytes(path: str | os.PathLike, data: bytes, *, mode_bits: int | None = None) -> Path:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_open`); returns the path."""
    with atomic_open(path, "wb", mode_bits=mode_bits) as fh:
        fh.write(data)
    return Path(path)
