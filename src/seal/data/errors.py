"""The errors of :mod:`seal.data`, in one module that every other ``seal.data`` module may import.

* :class:`DataError`: bad data handed to training (non-finite features, wrong label count, empty split);
  raised by the DataModules (:mod:`seal.tasks.mlc_features.datamodule`, ...) and the segmentation reader
  (:class:`seal.tasks.segmentation.data.WeizmannDataError` is a subclass).
* :class:`DatasetError`: a catalogued dataset cannot be loaded as asked (bad protocol, counts differing
  from the catalogue, non-finite features after preprocessing).
* :class:`DatasetNotFoundError` / :class:`UnknownDatasetError`: files missing (and not downloadable), or
  no dataset of that name.

The download errors (:class:`seal.data.download.DownloadError`, :class:`~seal.data.download.ChecksumMismatchError`)
live with the downloader; the catalogue's own :class:`seal.data.catalogue.CatalogueError` with the catalogue.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["DataError", "DatasetError", "DatasetNotFoundError", "UnknownDatasetError", "located"]


def located(reason: str, path: str, line: int | None = None, field: str | None = None) -> str:
    """The one message layout of file errors: ``"<path>[, line <n>][, <field>]: <reason>"`` (the readers' errors,
    :class:`seal.data.formats.FormatError` and :class:`seal.data.arff.ArffError`, use it)."""
    where = str(path)
    if line is not None:
        where += f", line {line}"
    if field is not None:
        where += f", {field}"
    return f"{where}: {reason}"


class DataError(ValueError):
    """Bad data handed to training (non-finite features, wrong label count, missing split)."""


class DatasetError(ValueError):
    """A registered dataset cannot be loaded as asked (bad protocol, unexpected shape, bad values)."""


class DatasetNotFoundError(DatasetError, FileNotFoundError):
    """A dataset's files are not available locally (and cannot or may not be downloaded).

    Attributes:
        name: dataset name.
        missing: relative paths of the missing files.
        searched: directories searched.
    """

    def __init__(self, message: str, *, name: str = "", missing: Iterable[str] = (), searched: Iterable = ()) -> None:
        super().__init__(message)
        self.name = name
        self.missing = list(missing)
        self.searched = [str(s) for s in searched]

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class UnknownDatasetError(DatasetNotFoundError):
    """No dataset of that name is registered."""
