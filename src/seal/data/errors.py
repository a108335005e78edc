"""The errors of :mod:`seal.data`, in one module that every other ``seal.data`` module may import.

* :class:`DataError`: bad data handed to training (non-finite features, wrong label count, empty split);
  raised by the DataModules (:mod:`seal.tasks.mlc_features.datamodule`, ...) and the segmentation reader
  (:class:`seal.tasks.segmentation.data.WeizmannDataError` is a subclass).
* :class:`DatasetError`: a catalogued dataset cannot be loaded as asked (bad protocol, counts differing
  from the catalogue, non-finite features after preprocessing).
* :class:`DatasetNotFoundError` / :class:`UnknownDatasetError`: files missing (and not downloadable), or
  no dataset of that name.
* :class:`OtherTaskDatasetError`: a catalogue dataset handed to another task's reader; its message
  (:func:`other_task_message`) names the task and the ``seal fit`` options that train on it.

The download errors (:class:`seal.data.download.DownloadError`, :class:`~seal.data.download.ChecksumMismatchError`)
live with the downloader; the catalogue's own :class:`seal.data.catalogue.CatalogueError` with the catalogue.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

__all__ = [
    "DataError", "DatasetError", "DatasetNotFoundError", "OtherTaskDatasetError", "UnknownDatasetError", "located",
    "other_task_message",
]


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


class OtherTaskDatasetError(DatasetError, NotImplementedError):
    """A catalogue dataset handed to the reader of another task (:func:`other_task_message`); a
    :class:`DatasetError` (one line on the command line) and, as before, a ``NotImplementedError``."""


def other_task_message(spec, wanted: str) -> str:
    """The one line for a catalogue dataset handed to another task's reader (``seal fit --data.dataset bibtex``
    with a segmentation config): what the dataset is and how to train on it from the command line, e.g.
    ``dataset 'bibtex' is a mlc dataset, not a segmentation dataset; train it with task 'multilabel': seal fit
    --task multilabel --data.dataset bibtex, or --config configs/bibtex/cross-entropy.yaml``.

    Args:
        spec: the dataset's :class:`seal.data.catalogue.DatasetSpec` (``name``, ``task``).
        wanted: the kind of dataset the reader takes (``"segmentation"``, ``"multi-label ARFF"``).
    """
    from seal.tasks import task_of_kind  # imported on use: seal.tasks reads the catalogue

    task = task_of_kind(spec.task)
    head = f"dataset {spec.name!r} is a {spec.task} dataset, not a {wanted} dataset"
    if task is None:
        return f"{head}; no registered task trains on {spec.task} datasets"
    how = f"seal fit --task {task.name} --data.dataset {spec.name}"
    configs = Path(__file__).resolve().parents[3] / "configs" / spec.name  # the repository's configs/<dataset>/
    examples = sorted(configs.glob("*.yaml"), key=lambda p: (p.name.count("."), p.name)) if configs.is_dir() else []
    if examples:
        try:
            shown = os.path.relpath(examples[0])
        except ValueError:  # another drive (Windows)
            shown = str(examples[0])
        if shown.startswith(".."):
            shown = str(examples[0])
        how += f", or --config {shown}"
    return f"{head}; train it with task {task.name!r}: {how}"
