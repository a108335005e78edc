"""Where dataset files live, and how a missing one is fetched safely.

Lookup order (used by :func:`seal.data.load.load_dataset` and the ``seal data`` command):

1. the explicit ``data_dir`` argument, else ``$SEAL_DATA_DIR`` when set;
2. the user cache, always searched last: ``$SEAL_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/seal``
   if ``XDG_CACHE_HOME`` is set, else ``~/.cache/seal``.

Files are addressed by a path relative to such a root (``bibtex/mulan/bibtex.arff``), so a data
directory laid out like ``shared/data`` and the cache share one layout.

Downloads (standard library ``urllib`` only) go into the cache and are atomic: the body is streamed
into a temporary file in the destination directory while its SHA-256 is computed, the size and the
digest are checked, and only then is the file moved into place with :func:`os.replace`. A failed,
interrupted or mismatching download leaves no partial file behind.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from pathlib import Path

from seal.io import atomic_open

__all__ = [
    "ChecksumMismatchError",
    "DownloadError",
    "cache_dir",
    "download_file",
    "search_dirs",
    "sha256_file",
]

_CHUNK = 1 << 16
_USER_AGENT = "seal-data/0.1 (+https://github.com; python-urllib)"


class DownloadError(OSError):
    """A download failed: HTTP error, network error, or an interrupted / oversized transfer.

    Attributes:
        url: the URL that was requested.
    """

    def __init__(self, message: str, *, url: str | None = None) -> None:
        super().__init__(message)
        self.url = url

    def __str__(self) -> str:  # OSError's str() would prefix errno fields; keep the plain message
        return str(self.args[0]) if self.args else ""


class ChecksumMismatchError(ValueError):
    """A file's SHA-256 differs from the registry's.

    Attributes:
        path: the file (or the URL for a download) that was checked.
        expected, actual: hex digests.
    """

    def __init__(
        self, path: str | os.PathLike, expected: str, actual: str, *, what: str = "file", hint: str = ""
    ) -> None:
        self.path = str(path)
        self.expected = expected
        self.actual = actual
        msg = f"sha256 mismatch for {what} {self.path}: expected {expected}, got {actual}"
        super().__init__(f"{msg}; {hint}" if hint else msg)


# --------------------------------------------------------------------------------------------- paths


def cache_dir() -> Path:
    """The user cache for downloaded datasets (see the module docstring for the precedence)."""
    env = os.environ.get("SEAL_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg:
        return Path(xdg).expanduser() / "seal"
    return Path.home() / ".cache" / "seal"


def search_dirs(data_dir: str | os.PathLike | None = None) -> list[Path]:
    """Roots searched for dataset files, in order: ``data_dir`` (else ``$SEAL_DATA_DIR``), then the cache.

    Duplicates are removed; directories need not exist.
    """
    roots: list[Path] = []
    primary = data_dir if data_dir is not None else os.environ.get("SEAL_DATA_DIR") or None
    if primary is not None:
        roots.append(Path(primary).expanduser())
    roots.append(cache_dir())
    unique: list[Path] = []
    for r in roots:
        if r not in unique:
            unique.append(r)
    return unique


def find_file(relpath: str, roots: Iterable[Path]) -> Path | None:
    """The first ``root / relpath`` that is an existing file, or ``None``."""
    for root in roots:
        p = root / relpath
        if p.is_file():
            return p
    return None


# ------------------------------------------------------------------------------------------ checksum

_SHA_MEMO: dict[tuple[str, int, int], str] = {}


def sha256_file(path: str | os.PathLike, *, memo: bool = True) -> str:
    """Hex SHA-256 of a file, read in chunks.

    With ``memo=True`` the digest is remembered for the process, keyed on (absolute path, size,
    mtime in ns), so re-verifying an unchanged file is free.
    """
    p = Path(path)
    st = p.stat()
    key = (str(p.resolve()), st.st_size, st.st_mtime_ns)
    if memo and key in _SHA_MEMO:
        return _SHA_MEMO[key]
    h = hashlib.sha256()
    with open(p, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    digest = h.hexdigest()
    if memo:
        _SHA_MEMO[key] = digest
    return digest


# ---------------------------------------------------------------------------------------- download


def download_file(
    url: str,
    dest: str | os.PathLike,
    *,
    sha256: str,
    size: int | None = None,
    timeout: float = 60.0,
    progress: Callable[[int, int | None], None] | None = None,
) -> Path:
    """Download ``url`` to ``dest`` atomically, verifying its SHA-256 (and size, when known).

    Args:
        url: an ``http(s)://`` URL (``file://`` also works, which is handy for mirrors).
        dest: final path; parent directories are created.
        sha256: expected hex digest; required, a download is never accepted unverified.
        size: expected byte count, if known; a longer body is aborted early, a shorter one rejected.
        timeout: socket timeout in seconds for connecting and for each read.
        progress: optional ``callback(bytes_so_far, total_or_None)`` called after each chunk.

    Returns:
        ``Path(dest)``.

    Raises:
        DownloadError: HTTP status >= 400, network failure or timeout, a transfer shorter than its
            ``Content-Length`` (interrupted) or than ``size``, or longer than ``size``.
        ChecksumMismatchError: the body's digest differs from ``sha256``.

    In every failure case no file is left at ``dest`` (an existing ``dest`` is not touched) and the
    temporary file is removed.
    """
    if not sha256 or len(sha256) != 64:
        raise ValueError(f"download_file needs the expected 64-hex-digit sha256, got {sha256!r}")
    dest = Path(dest)
    # a cache file is ordinary data: 0644; on any failure the .part file is removed, dest untouched
    with atomic_open(dest, "wb", suffix=".part", mode_bits=0o644) as out:
        h = hashlib.sha256()
        received = 0
        declared: int | None = None
        request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as resp:
                length_header = resp.headers.get("Content-Length") if resp.headers else None
                if length_header and length_header.strip().isdigit():
                    declared = int(length_header)
                if size is not None and declared is not None and declared > size:
                    raise DownloadError(
                        f"{url} announces {declared} bytes, more than the expected {size}; aborted", url=url
                    )
                total = declared if declared is not None else size
                while True:
                    chunk = resp.read(_CHUNK)
                    if not chunk:
                        break
                    received += len(chunk)
                    if size is not None and received > size:
                        raise DownloadError(f"download of {url} exceeds the expected {size} bytes; aborted", url=url)
                    h.update(chunk)
                    out.write(chunk)
                    if progress is not None:
                        progress(received, total)
        except DownloadError:
            raise
        except urllib.error.HTTPError as e:
            raise DownloadError(f"HTTP {e.code} {e.reason} for {url}", url=url) from None
        except urllib.error.URLError as e:
            raise DownloadError(f"cannot download {url}: {e.reason}", url=url) from None
        except (OSError, http.client.HTTPException) as e:  # timeouts, resets, IncompleteRead
            raise DownloadError(f"cannot download {url}: {type(e).__name__}: {e}", url=url) from None
        if declared is not None and received != declared:
            raise DownloadError(f"interrupted transfer from {url}: got {received} of {declared} bytes", url=url)
        if size is not None and received != size:
            raise DownloadError(f"download of {url} has {received} bytes, expected {size}", url=url)
        actual = h.hexdigest()
        if actual != sha256.lower():
            raise ChecksumMismatchError(url, sha256.lower(), actual, what="download")
    return dest
