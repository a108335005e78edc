"""Finding, verifying and fetching a catalogued dataset's files.

Files are addressed by paths relative to a data root laid out like ``shared/data``
(``bibtex/mulan/bibtex.arff``, ``expr_fun/expr_FUN.train.arff.zip``) and looked up in the roots of
:func:`seal.data.download.search_dirs`: the ``data_dir`` argument (else ``$SEAL_DATA_DIR``), then the
user cache (``$SEAL_CACHE_DIR`` or ``~/.cache/seal``). Missing files with a public URL are downloaded
into the cache when ``download=True`` (atomically, verified against the SHA-256 recorded in the
catalogue, :mod:`seal.data.catalogue`); files without a URL are produced by the dataset's ``fetcher``
(e.g. :func:`seal.tasks.segmentation.data.fetch_converted`, imported by name when needed). Files are read in place,
never copied.

The raw mechanics (search roots, SHA-256 memo, atomic streaming download) live in
:mod:`seal.data.download`; this module applies them to catalogue entries and phrases the errors
(what is missing, where it was searched, how to get it).
"""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from seal.data.catalogue import DataFile, DatasetSpec, get_spec
from seal.data.download import (
    ChecksumMismatchError,
    DownloadError,
    cache_dir,
    download_file,
    find_file,
    search_dirs,
    sha256_file,
)
from seal.data.errors import DatasetError, DatasetNotFoundError

__all__ = [
    "DownloadFailedError", "FileStatus", "fetch_dataset", "is_available", "locate_files", "locate_spec", "verify_dataset",
]


class DownloadFailedError(DownloadError, DatasetError):
    """Files of a dataset are missing and fetching them failed: one message naming the files, the directories
    searched and the download error. A :class:`DownloadError` (``seal data`` exits 1, as for any failed download)
    and a :class:`DatasetError` (a ``ValueError``: ``seal fit`` prints it as one line, without a traceback).

    Attributes:
        url: the URL whose download failed; name, missing (relative paths), searched (directories): as
            :class:`DatasetNotFoundError`.
    """

    def __init__(self, message: str, *, name: str = "", missing=(), searched=(), url: str | None = None) -> None:
        DownloadError.__init__(self, message, url=url)
        self.name = name
        self.missing = list(missing)
        self.searched = [str(s) for s in searched]


@dataclass
class FileStatus:
    """Result of checking one registered file: ``status`` is ``"ok"``, ``"mismatch"``, ``"missing"`` or
    ``"unchecked"`` (present, but the registry has no sha256 for it)."""

    file: DataFile
    path: Path | None
    status: str
    actual_sha256: str | None = None
    size: int | None = None


def _check_file(f: DataFile, roots: list[Path]) -> FileStatus:
    path = find_file(f.path, roots)
    if path is None:
        return FileStatus(f, None, "missing")
    size = path.stat().st_size
    if f.sha256 is None:
        return FileStatus(f, path, "unchecked", None, size)
    actual = sha256_file(path)
    return FileStatus(f, path, "ok" if actual == f.sha256 else "mismatch", actual, size)


def verify_dataset(name: str, *, data_dir: str | os.PathLike | None = None) -> list[FileStatus]:
    """SHA-256 of every registered file of ``name`` that is found locally, against the registry.

    Returns one :class:`FileStatus` per registered file (missing files included).
    """
    spec = get_spec(name)
    roots = search_dirs(data_dir)
    return [_check_file(f, roots) for f in spec.files]


_MISMATCH_HINT = (
    "the file differs from the registered version; replace it (delete it and run `seal data fetch NAME`), "
    "or pass verify=False to use it anyway"
)


def _numbered_pattern(paths: list[str]) -> str | None:
    """``a/x-fold{1..10}.arff`` when ``paths`` (more than 3) differ only by one consecutive integer."""
    if len(paths) <= 3:
        return None
    parts = [re.split(r"(\d+)", p) for p in paths]
    shape = len(parts[0])
    if any(len(p) != shape for p in parts):
        return None
    varying = [i for i in range(shape) if len({p[i] for p in parts}) > 1]
    if len(varying) != 1 or varying[0] % 2 == 0:
        return None
    i = varying[0]
    nums = [int(p[i]) for p in parts]
    if nums != list(range(nums[0], nums[0] + len(nums))):
        return None
    return "".join(parts[0][:i]) + f"{{{nums[0]}..{nums[-1]}}}" + "".join(parts[0][i + 1 :])


def _missing_message(
    spec: DatasetSpec, missing: list[DataFile], roots: list[Path], download: bool, failed: str | None = None
) -> str:
    described = []
    pattern = _numbered_pattern([f.path for f in missing]) if all(f.sha256 is None for f in missing) else None
    if pattern is not None:
        described.append(f"{pattern} (sha256 unknown)")
    else:
        for f in missing:
            digest = f"sha256 {f.sha256}" if f.sha256 else "sha256 unknown"
            described.append(f"{f.path} ({digest})")
    where = ", ".join(str(r) + ("" if r.is_dir() else " (no such directory)") for r in roots)
    downloadable = all(f.url or spec.fetcher for f in missing)
    if failed is not None:
        how = f"put the file(s) at those relative paths under {roots[0]}"
        if spec.obtain:
            how = f"{spec.obtain}; {how}"
        return (
            f"dataset {spec.name!r}: {len(missing)} file(s) not found: {'; '.join(described)}. Searched: {where}. "
            f"Downloading them failed: {failed}. To fix: {how}, or point --data.data_dir / data_dir / "
            "SEAL_DATA_DIR at a directory holding them."
        )
    if downloadable and not download:
        how = f"run `seal data fetch {spec.name}` or call load_dataset(..., download=True)"
    else:
        how = f"put the file(s) at those relative paths under {roots[0]}"
        if spec.obtain:
            how = f"{spec.obtain}; {how}"
        if not downloadable:
            how += " (no public download URL)"
    return (
        f"dataset {spec.name!r}: {len(missing)} file(s) not found: {'; '.join(described)}. "
        f"Searched: {where}. To fix: {how}, or point data_dir / SEAL_DATA_DIR at a directory holding them."
    )


def locate_files(
    name: str,
    *,
    protocol: str | None = None,
    data_dir: str | os.PathLike | None = None,
    download: bool = False,
    verify: bool = True,
    progress: Callable[[str, int, int | None], None] | None = None,
) -> dict[str, Path]:
    """Absolute paths of the files ``name`` needs under ``protocol`` (default: the dataset's).

    Files are searched in :func:`~seal.data.download.search_dirs` order; missing files with a URL are
    downloaded into the cache when ``download`` is true.

    Returns:
        ``{relative path: absolute path}``.

    Raises:
        UnknownDatasetError, DatasetError (bad protocol), DatasetNotFoundError (missing, not downloadable
        or ``download=False``), DownloadError / ChecksumMismatchError (a failed download, or with
        ``verify`` a local file whose digest differs from the registry).
    """
    spec = get_spec(name)
    protocol = protocol or spec.default_protocol
    if protocol is None:
        raise DatasetError(f"dataset {spec.name!r} has no split protocol")
    files = spec.files_for(protocol)
    return locate_spec(spec, files, data_dir=data_dir, download=download, verify=verify, progress=progress)


def locate_spec(
    spec: DatasetSpec,
    files: list[DataFile],
    *,
    data_dir,
    download: bool,
    verify: bool,
    progress: Callable[[str, int, int | None], None] | None = None,
) -> dict[str, Path]:
    """Absolute paths of ``files`` (entries of ``spec``), found, fetched or produced, and verified.

    Args:
        spec: the dataset the files belong to (names it in errors; its ``fetcher`` and ``obtain``).
        files: which of its files to locate.
        data_dir: searched before the user cache (default ``$SEAL_DATA_DIR``).
        download: fetch missing files that have a URL or a fetcher (and a sha256) into the cache.
        verify: compare present files' SHA-256 with the catalogue (memoised per process); fetched files
            are always verified while they are written.
        progress: ``progress(relative path, bytes so far, total or None)`` during downloads.

    Returns:
        ``{relative path: absolute path}``.

    Raises:
        DatasetNotFoundError: a file is missing and ``download`` is false or it cannot be fetched.
        DownloadFailedError (a DownloadError and a DatasetError): a missing file's download failed; the
            message names the missing files, the directories searched (marking those that do not exist) and the
            download error.
        ChecksumMismatchError: a fetched file, or a present file, with another digest.
    """
    roots = search_dirs(data_dir)
    found: dict[str, Path] = {}
    missing: list[DataFile] = []
    for f in files:
        p = find_file(f.path, roots)
        if p is None:
            missing.append(f)
        else:
            found[f.path] = p
    if missing and (not download or not all(_obtainable(spec, f) for f in missing)):
        raise DatasetNotFoundError(
            _missing_message(spec, missing, roots, download),
            name=spec.name,
            missing=[f.path for f in missing],
            searched=roots,
        )
    for f in missing:
        try:
            found[f.path] = _obtain(spec, f, progress)
        except DownloadError as e:  # one line naming what was looked for where, and why the download failed
            still = [g for g in missing if g.path not in found]
            raise DownloadFailedError(
                _missing_message(spec, still, roots, download, failed=str(e)),
                name=spec.name, missing=[g.path for g in still], searched=roots, url=getattr(e, "url", None),
            ) from None
    if verify:
        for f in files:
            if f.sha256 is None or f in missing:  # downloads were verified while streaming
                continue
            actual = sha256_file(found[f.path])
            if actual != f.sha256:
                raise ChecksumMismatchError(
                    found[f.path], f.sha256, actual, what=f"{spec.name!r} file", hint=_MISMATCH_HINT
                )
    return found


def _obtainable(spec: DatasetSpec, f: DataFile) -> bool:
    """Whether a missing file can be produced: a pinned URL or the dataset's fetcher, and a known sha256."""
    return bool(f.sha256 and (f.url or spec.fetcher))


def _obtain(spec: DatasetSpec, f: DataFile, progress=None) -> Path:
    """Download ``f`` (direct URL) or produce it with ``spec.fetcher`` into the cache; verified by sha256."""
    dest = cache_dir() / f.path
    cb = (lambda got, total, _p=f.path: progress(_p, got, total)) if progress else None
    if f.url:
        return download_file(f.url, dest, sha256=f.sha256, size=f.size, progress=cb)
    module, _, func = spec.fetcher.partition(":")
    path = Path(getattr(importlib.import_module(module), func)(f, dest, cb))
    actual = sha256_file(path, memo=False)
    if actual != f.sha256:
        path.unlink(missing_ok=True)
        raise ChecksumMismatchError(path, f.sha256, actual, what=f"{spec.name!r} file produced by {spec.fetcher}")
    return path


def fetch_dataset(
    name: str,
    *,
    data_dir: str | os.PathLike | None = None,
    progress: Callable[[str, int, int | None], None] | None = None,
) -> list[tuple[DataFile, Path, str]]:
    """Make every downloadable file of ``name`` available, downloading into the cache what is missing.

    Returns:
        ``[(file, path, action)]`` with action ``"present"`` (found and verified) or ``"downloaded"``.

    Raises:
        DatasetNotFoundError: a missing file has no public URL.
        DownloadError, ChecksumMismatchError: as :func:`~seal.data.download.download_file`; also when a
            present file's digest differs from the registry.
    """
    spec = get_spec(name)
    roots = search_dirs(data_dir)
    unobtainable = [f for f in spec.files if find_file(f.path, roots) is None and not _obtainable(spec, f)]
    if unobtainable:
        raise DatasetNotFoundError(
            _missing_message(spec, unobtainable, roots, True),
            name=spec.name,
            missing=[f.path for f in unobtainable],
            searched=roots,
        )
    result = []
    for f in spec.files:
        present = find_file(f.path, roots)
        if present is not None:
            if f.sha256 is not None:
                actual = sha256_file(present)
                if actual != f.sha256:
                    raise ChecksumMismatchError(
                        present, f.sha256, actual, what=f"{spec.name!r} file", hint=_MISMATCH_HINT
                    )
            result.append((f, present, "present"))
            continue
        path = _obtain(spec, f, progress)
        result.append((f, path, "downloaded" if f.url else "converted"))
    return result


def is_available(name: str, *, protocol: str | None = None, data_dir=None) -> bool:
    """Whether every file needed for ``protocol`` (default: the dataset's) exists locally (not verified)."""
    spec = get_spec(name)
    protocol = protocol or spec.default_protocol
    roots = search_dirs(data_dir)
    files = spec.files_for(protocol) if spec.loader == "arff" else list(spec.files)
    return all(find_file(f.path, roots) is not None for f in files)


