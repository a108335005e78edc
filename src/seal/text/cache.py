"""A keyed on-disk cache of tensors (safetensors), for tokenizations and frozen encoder outputs.

Each entry is one ``.safetensors`` file under the cache root, named by the kind and a hash of its key (a JSON
object: the tokenizer or encoder, the maximum length, the layer, the data files' sha256, ...). The full key is
stored in the file's metadata and compared on every load, so an entry is never reused for a different key:
a mismatch (a hash collision or a hand-renamed file) or an unreadable file is rebuilt, with one logged line.
Entries are written atomically (:mod:`seal.io`): a run that fails while building leaves any existing entry as it
was.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path

import torch

from seal.data.download import cache_dir as user_cache_dir
from seal.data.download import sha256_file

__all__ = ["cache_root", "cache_path", "cached_tensors", "sha256_of", "canonical_key"]

_KEY_FIELD = "seal_cache_key"


def cache_root(cache_dir: str | os.PathLike | None = None) -> Path:
    """The cache folder: ``cache_dir`` if given, else the project's user cache
    (:func:`seal.data.download.cache_dir`: ``$SEAL_CACHE_DIR``, else ``$XDG_CACHE_HOME/seal``, else
    ``~/.cache/seal``), the same folder downloaded datasets go to."""
    if cache_dir is not None:
        return Path(cache_dir)
    return user_cache_dir()


def sha256_of(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file (memoised per process on path, size and mtime)."""
    return sha256_file(path)


def canonical_key(key: Mapping) -> str:
    """The key as canonical JSON (sorted keys, no spaces).

    Raises:
        TypeError: a value is not JSON-serialisable (e.g. a tensor); keys must be plain data.
    """
    return json.dumps(key, sort_keys=True, separators=(",", ":"), default=_refuse)


def _refuse(obj):
    raise TypeError(f"cache keys must be plain JSON data, got {type(obj).__name__}")


def cache_path(kind: str, key: Mapping, *, cache_dir: str | os.PathLike | None = None) -> Path:
    """Where the entry of ``(kind, key)`` lives (it may not exist)."""
    if not kind or any(c in kind for c in "/\\ "):
        raise ValueError(f"cache kind must be a non-empty name without slashes or spaces, got {kind!r}")
    digest = hashlib.sha256(f"{kind}\n{canonical_key(key)}".encode()).hexdigest()[:20]
    return cache_root(cache_dir) / f"{kind}-{digest}.safetensors"


def _load(path: Path, want: str) -> tuple[dict[str, torch.Tensor] | None, str]:
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="pt") as fh:
            meta = fh.metadata() or {}
            if meta.get(_KEY_FIELD) != want:
                return None, "its stored key differs from this run's key"
            return {name: fh.get_tensor(name) for name in fh.keys()}, ""
    except Exception as exc:  # noqa: BLE001 - any unreadable file is rebuilt, and said so
        return None, f"it cannot be read ({type(exc).__name__}: {exc})"


def cached_tensors(
    kind: str,
    key: Mapping,
    build: Callable[[], Mapping[str, torch.Tensor]],
    *,
    cache_dir: str | os.PathLike | None = None,
    log: Callable[[str], None] | None = print,
) -> dict[str, torch.Tensor]:
    """Return the tensors cached under ``(kind, key)``, building and storing them on a miss.

    Args:
        kind: a short name of what is cached (``"tokens"``, ``"hidden"``); part of the file name.
        key: everything the tensors depend on, as plain JSON data.
        build: computes the tensors (a mapping name -> tensor) when the entry is missing, unreadable or holds
            another key.
        cache_dir: the cache folder (default :func:`cache_root`).
        log: receives one line when an entry is built or rebuilt (``None``: silent).

    Returns:
        name -> tensor (contiguous CPU tensors, as stored).

    Raises:
        TypeError: ``key`` is not plain JSON data, or ``build`` returned something other than tensors.
        OSError: the cache folder cannot be written (an existing entry is left unchanged).
    """
    from safetensors.torch import save

    want = canonical_key(key)
    path = cache_path(kind, key, cache_dir=cache_dir)
    if path.exists():
        tensors, why = _load(path, want)
        if tensors is not None:
            return tensors
        if log:
            log(f"cache {path}: {why}; rebuilding it")
    elif log:
        log(f"cache {path}: building ({kind})")
    built = dict(build())
    for name, t in built.items():
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"cache build for {kind!r} returned {type(t).__name__} for {name!r}, expected a tensor")
    built = {name: t.detach().cpu().contiguous() for name, t in built.items()}
    from seal.io import atomic_write_bytes

    atomic_write_bytes(path, save(built, metadata={_KEY_FIELD: want}))
    return built
