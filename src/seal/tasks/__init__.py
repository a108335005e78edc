"""The task registry: what each application provides, so that the CLI, the runner and the report ask a task
instead of branching on names or guessing from metric keys.

A :class:`Task` names (by import path, so that ``import seal.tasks`` stays cheap) its LightningModule, its
DataModule, the ``seal fit`` CLI class, its main metric, the datasets it serves (the catalogue's ``task`` field of
a dataset, ``seal/data/catalogue.toml``) and their loaders, and its optional hooks (``seal data info`` /
``seal predict`` / ``seal data list`` / ``seal experiment`` columns / metric conventions / ``seal report``
sections as :class:`ReportFamily`). Each application is a folder of this package (``mlc_features``,
``segmentation``, ``text_mlc``, ``srl``) whose ``__init__`` registers its task with :func:`register_task`; they are
imported at the end of this module, multi-label first.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "TASKS",
    "ReportFamily",
    "Task",
    "get_task",
    "register_task",
    "task_for_dataset",
    "task_net_fields",
    "task_of_checkpoint",
    "task_of_file",
    "task_of_kind",
    "task_of_record",
]


@dataclass(frozen=True)
class ReportFamily:
    """One section of ``seal report`` (``docs/results.md``): a task's datasets in one pair of tables.

    The datasets are chosen from the catalogue by kind, not by name: every catalogue dataset whose ``task`` is one
    of ``dataset_kinds`` (and whose ``used_in_paper`` equals ``used_in_paper`` when that is set), in catalogue
    order, those named in ``order`` first. A dataset lands in the first family (task registration order) that
    selects it; records of datasets no family selects go to a final "Other datasets" section.

    Attributes:
        title: section title.
        metric: the test metric of the main table (a key of ``metrics.test``).
        metric_label: the main table's header, e.g. ``"test mean IoU (%), 36-crop average"``.
        other_metrics: ``(key in metrics.test, column header, digits, scale)`` of the second table.
        loss_type_chains: per loss type, the (energy network with GBI, SEAL-static, SEAL-dynamic) methods whose
            ordering the report checks (``seal-method.md`` C.1): ``((loss type, (m1, m2, m3)), ...)``.
        relative_time: add a "s / epoch ÷ cross-entropy" column.
        note: a paragraph printed under the title.
        dataset_kinds: catalogue dataset kinds of the section; empty: the task's ``dataset_tasks``.
        used_in_paper: keep only catalogue datasets whose ``used_in_paper`` equals this (``None``: all of them).
        order: display order of datasets (those not named follow, in catalogue order); it selects nothing.
        extra_lines: optional ``"package.module:function"``: ``function(groups) -> list[str]`` markdown lines
            after the second table (``groups``: the section's :class:`seal.experiments.report.Group` objects).
        prediction_figure: optional ``(section heading, caption with {dataset})`` of the figures
            ``<figures dir>/<dataset>_predictions.png`` that ``seal predict --png`` draws, embedded when present.
    """

    title: str
    metric: str
    metric_label: str
    other_metrics: tuple[tuple[str, str, int, float], ...] = ()
    loss_type_chains: tuple[tuple[str, tuple[str, str, str]], ...] = ()
    relative_time: bool = False
    note: str = ""
    dataset_kinds: tuple[str, ...] = ()
    used_in_paper: bool | None = None
    order: tuple[str, ...] = ()
    extra_lines: str = ""
    prediction_figure: tuple[str, str] | tuple[()] = ()


@dataclass(frozen=True)
class Task:
    """One application.

    Attributes:
        name: the ``task:`` value of configs and ``seal fit --task``.
        module: ``"package.module:Class"`` of its LightningModule.
        datamodule: ``"package.module:Class"`` of its DataModule.
        cli: ``"package.module:Class"`` of its ``seal fit`` LightningCLI subclass.
        main_metric: the validation / test metric that selects models and heads result tables (higher is better).
        metric_label: how tables print it.
        dataset_tasks: the catalogue's dataset ``task`` values (dataset kinds) it trains on; a catalogue entry may
            name any kind a registered task lists (:func:`seal.data.catalogue.known_dataset_kinds`).
        loaders: the catalogue ``loader`` values its datasets use (besides ``"arff"``, which :mod:`seal.data` reads);
            a catalogue entry may name any loader a registered task lists (:func:`seal.data.catalogue.known_loaders`).
        description: one line for ``--help``.
        describe: optional ``"package.module:function"`` that ``seal data info NAME`` calls for a catalogue dataset
            of this task that the ARFF reader does not load: ``function(name, *, data_dir, download) -> dict`` with
            ``"text"`` (printed) and ``"stats"`` (JSON-serialisable, for ``--json``).
        predict: optional ``"package.module:function"`` that ``seal predict`` calls for a checkpoint of this task
            (``checkpoint["seal"]["task"] == name``; feature-MLC checkpoints store no name and are multi-label):
            ``function(args, checkpoint) -> str`` (the summary line); without it ``seal predict`` refuses the
            checkpoint.
        data_list: optional ``(column, format string)`` pairs that replace the catalogue's counts in the
            ``seal data list`` row of a dataset of this task (columns ``"labels"``, ``"features"``,
            ``"instances"``); the string is formatted with ``spec=`` the dataset's
            :class:`~seal.data.catalogue.DatasetSpec` (e.g. ``("labels", "{spec.n_labels} tags")``).
        summary_metrics: ``(key in metrics.test, column header)`` pairs: the columns of ``seal experiment``'s
            test-metrics table for runs of this task (a table of several tasks' runs has every task's columns, in
            registry order, and ``-`` where a run has no such metric); none: one column of :attr:`main_metric`.
        conventions: ``"package.module:NAME"`` of the task's metric-conventions paragraph (a ``str``, imported on
            use): printed under the test metrics of ``seal fit`` and under ``seal experiment``'s test-metrics
            table (:meth:`conventions_text`).
        report: optional ``"package.module:NAME"`` of a sequence of :class:`ReportFamily`: the task's sections of
            ``seal report``, in order.
        file_suffixes: file name endings (lower case) of the task's own data files that ``seal data info FILE``
            hands to :attr:`describe_file` (e.g. SRL's ``.conllu``); empty: none.
        file_format: the ``seal data info --format`` name of the task's own files (e.g. text MLC's ``"jsonl"``):
            that format given explicitly hands the file to :attr:`describe_file` whatever its name; empty: none.
        file_kind: how errors name the task's files (``"an SRL file"``).
        describe_file: optional ``"package.module:function"``: ``function(path, **options) -> {"text": str,
            "stats": dict}``, ``seal data info FILE`` for the task's own files (:func:`task_of_file`); ``options``
            are the ``seal data info`` options named in :attr:`file_options`, by their ``dest``.
        file_options: the ``seal data info`` options (``dest`` names: ``labels``, ``text_field``,
            ``labels_field``, ``val_fraction``, ``seed``, ...) that :attr:`describe_file` takes; any other file
            option given for such a file is refused, naming it.
        predict_options: optional ``"package.module:function"`` that adds the task's own ``seal predict`` options
            to the parser: ``function(parser) -> None`` (an argument group; keep its module cheap to import, it runs
            for ``seal predict --help``). ``seal predict`` refuses an option of one task given for another task's
            checkpoint, with one line naming both.
        task_net_hparams: optional ``"package.module:Class"`` of the frozen dataclass of its task-net architecture
            settings (``model.task_net``; keep its module free of torch). ``seal report`` reads the field names to
            find a task-net setting in records written before ``model.task_net`` was grouped
            (:func:`task_net_fields`).
    """

    name: str
    module: str
    datamodule: str
    cli: str
    main_metric: str
    metric_label: str
    dataset_tasks: tuple[str, ...] = field(default_factory=tuple)
    loaders: tuple[str, ...] = field(default_factory=tuple)
    description: str = ""
    describe: str = ""
    predict: str = ""
    data_list: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    summary_metrics: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    conventions: str = ""
    report: str = ""
    predict_options: str = ""
    task_net_hparams: str = ""
    file_suffixes: tuple[str, ...] = ()
    file_format: str = ""
    file_kind: str = ""
    describe_file: str = ""
    file_options: tuple[str, ...] = ()

    @staticmethod
    def _load(path: str) -> Any:
        mod, _, attr = path.partition(":")
        return getattr(importlib.import_module(mod), attr)

    def module_class(self) -> type:
        """The LightningModule class (imported on first use)."""
        return self._load(self.module)

    def datamodule_class(self) -> type:
        """The DataModule class (imported on first use)."""
        return self._load(self.datamodule)

    def cli_class(self) -> type:
        """The LightningCLI subclass of ``seal fit`` / ``seal test`` (imported on first use)."""
        return self._load(self.cli)

    def describe_function(self):
        """The ``seal data info`` hook, or ``None``."""
        return self._load(self.describe) if self.describe else None

    def predict_function(self):
        """The ``seal predict`` hook, or ``None``."""
        return self._load(self.predict) if self.predict else None

    def describe_file_function(self):
        """The ``seal data info FILE`` hook for the task's own files, or ``None``."""
        return self._load(self.describe_file) if self.describe_file else None

    def predict_options_function(self):
        """The hook that adds the task's ``seal predict`` options, or ``None``."""
        return self._load(self.predict_options) if self.predict_options else None

    def conventions_text(self) -> str:
        """The task's metric-conventions paragraph (:attr:`conventions`, imported on first use), or ``""``."""
        return str(self._load(self.conventions)) if self.conventions else ""

    def task_net_field_names(self) -> frozenset[str]:
        """The field names of the task's task-net settings dataclass (imported on first use), or empty."""
        if not self.task_net_hparams:
            return frozenset()
        from dataclasses import fields

        return frozenset(f.name for f in fields(self._load(self.task_net_hparams)))

    def report_families(self) -> tuple[ReportFamily, ...]:
        """The task's ``seal report`` sections (imported on first use), or ``()``."""
        return tuple(self._load(self.report)) if self.report else ()


TASKS: dict[str, Task] = {}


def register_task(task: Task) -> Task:
    """Add ``task`` to the registry (a name may be registered once).

    Raises:
        ValueError: the name is taken.
    """
    if task.name in TASKS:
        raise ValueError(f"task {task.name!r} is already registered")
    TASKS[task.name] = task
    return task


def get_task(name: str) -> Task:
    """The task called ``name``.

    Raises:
        ValueError: unknown name (the message lists the known ones).
    """
    try:
        return TASKS[name]
    except KeyError:
        raise ValueError(f"unknown task {name!r}; known: {', '.join(TASKS)}") from None


def task_of_kind(kind: str) -> Task | None:
    """The first registered task that trains on catalogue datasets of kind ``kind`` (their ``task`` field), or
    ``None``."""
    return next((task for task in TASKS.values() if kind in task.dataset_tasks), None)


def task_of_file(name: str, format: str | None = None) -> Task | None:
    """The task whose own files ``name`` is: with ``format``, the task whose :attr:`Task.file_format` it is (an
    explicit format wins over the name); else the task whose :attr:`Task.file_suffixes` ``name`` ends with
    (case-insensitive); ``None`` if no task claims it."""
    if format is not None:
        return next((task for task in TASKS.values() if task.file_format and task.file_format == format), None)
    low = str(name).lower()
    for task in TASKS.values():
        if task.file_suffixes and low.endswith(task.file_suffixes):
            return task
    return None


def task_for_dataset(dataset: str) -> Task:
    """The task that trains on ``dataset`` (from the catalogue's ``task`` field of the dataset).

    Raises:
        ValueError: unknown dataset, or no registered task serves its kind.
    """
    from seal.data.catalogue import get_spec

    kind = get_spec(dataset).task
    task = task_of_kind(kind)
    if task is not None:
        return task
    raise ValueError(f"no registered task trains on {dataset!r} (dataset task {kind!r}); known tasks: {', '.join(TASKS)}")


def task_of_record(doc: dict) -> Task:
    """The task of a results record or ``metrics.json`` document: its ``task`` key if present, else the task of
    its ``dataset`` (catalogue), else the first registered task (multi-label)."""
    if doc.get("task"):
        return get_task(str(doc["task"]))
    if doc.get("dataset"):
        try:
            return task_for_dataset(str(doc["dataset"]))
        except (ValueError, KeyError, LookupError):
            pass
    return next(iter(TASKS.values()))


def task_net_fields() -> frozenset[str]:
    """The task-net setting names of every registered task (:attr:`Task.task_net_hparams`), united."""
    return frozenset().union(*(task.task_net_field_names() for task in TASKS.values()))


def task_of_checkpoint(checkpoint: dict) -> Task:
    """The task that wrote a loaded checkpoint: ``checkpoint["seal"]["task"]`` when it names a registered task,
    else multi-label (feature MLC checkpoints do not store a task name)."""
    state = checkpoint.get("seal") if isinstance(checkpoint.get("seal"), dict) else {}
    name = state.get("task")
    if isinstance(name, str) and name in TASKS:
        return TASKS[name]
    return TASKS["multilabel"]


# The task folders register themselves when imported; the order is the registry's order, and multi-label comes
# first (``task_of_record`` falls back to the first task). Their ``__init__`` modules import no torch.
from seal.tasks import mlc_features, segmentation, text_mlc, srl  # noqa: E402,F401,I001
