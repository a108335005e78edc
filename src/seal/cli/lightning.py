"""``seal fit`` / ``seal test``: LightningCLI over the task's module and DataModule (:mod:`seal.tasks`).

Configs are YAML (``configs/<dataset>/<method>.yaml``) with ``model:``, ``data:`` and ``trainer:``
sections; ``--print_config`` prints the resolved config and every run saves it as ``config.yaml`` in its
log directory. ``seal fit`` trains with early stopping on validation example-F1, then restores the best
weights and evaluates on the test split, printing a table and writing ``metrics.json`` beside the logs.

A config (or the command line) with ``task: NAME`` selects a registered task (:mod:`seal.tasks`): its
LightningModule, DataModule and CLI class (``segmentation``: :class:`seal.tasks.segmentation.module.SegmentationModule`
over :class:`seal.tasks.segmentation.datamodule.WeizmannDataModule` with
:class:`seal.tasks.segmentation.cli.SegmentationCLI`, monitored on validation mean IoU, 36-crop); without either,
the task the ``--ckpt_path`` checkpoint names (so ``seal test --ckpt_path CKPT`` needs no ``--task``); the default
is ``task: multilabel``. A ``--ckpt_path`` checkpoint of another task than the one given is refused in one line.

A test evaluation over part of the test split (``--trainer.limit_test_batches``, also when inherited from a fit's
saved ``config.yaml``) says so under the test metrics (``partial test split: 64 of 128 test images
(limit_test_batches=2, from --trainer.limit_test_batches)``) and in ``metrics.json`` (``test_coverage``).

Never losing work: ``best.ckpt`` and ``last.ckpt`` (the latter at the end of every training epoch) are written
atomically and carry a SHA-256 of their tensors. ``--ckpt_path`` is checked before anything else (weights-only,
checksum): an empty, truncated, random-bytes, pickled or corrupted file is one line on stderr naming the file
and the reason, exit 2. Ctrl-C (SIGINT) during ``seal fit`` keeps the last ``last.ckpt``, prints one line with
where training stopped and the exact command that resumes it (``seal fit ... --ckpt_path .../last.ckpt``), and
exits 130; a resumed fit writes on into the checkpoint directory it resumed from and ends exactly as the
uninterrupted run would. A checkpoint that is not in its run's checkpoint directory under the current
``--trainer.default_root_dir`` (a copy, or another run's) is resumed from, but the new checkpoints go to a new
version directory under that root (said in one line on stderr); the original run's files are left as they were.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import re
import shlex
import sys
import time
import warnings
from pathlib import Path
from typing import ClassVar

from lightning.pytorch.callbacks import Callback, EarlyStopping, ModelCheckpoint
from lightning.pytorch.cli import LightningCLI

from seal.cli.runlimits import HintingParser, apply_run_limits, run_counts
from seal.training.checkpoint import AtomicCheckpointIO


class _RefusedValue(argparse.ArgumentTypeError, ValueError):
    """A refused option value: its message is shown as is on the command line (argparse) and in a config
    file (jsonargparse, which reports ``ValueError``)."""


def _only_null(key: str):
    """An argument type that accepts only ``null`` (the ``KEY: null`` of older saved configs) and refuses any
    other value with a line saying that SEAL configures its own optimizers."""

    def only_null(value):
        if value is None or (isinstance(value, str) and value.strip().lower() in ("null", "none", "")):
            return
        raise _RefusedValue(
            f"--{key} is not supported: SEAL's modules configure their own optimizers and schedulers; "
            "use model.optimizer / model.loss_net_optimizer (e.g. --model.optimizer.lr 0.001)"
        )

    only_null.__name__ = f"{key}_null_only"
    return only_null


def _task_names() -> tuple[str, ...]:
    from seal.tasks import TASKS

    return tuple(TASKS)


class SEALCLI(LightningCLI):
    """LightningCLI with SEAL's links, callbacks and the fit-then-test behaviour (multi-label classification)."""

    #: the task this CLI trains (the ``--task`` value), the validation metric it monitors, and its key
    task_name = "multilabel"
    monitor = "val/example_f1"
    metric_key = "example_f1"
    #: what one test example is called in the line that says a test evaluation covered part of the split
    example_noun = "examples"

    def __init__(self, *args, **kwargs):
        self.results: dict = {}
        self._resume_dirpath: str | None = None  # where a resumed fit writes its checkpoints
        kwargs.setdefault("save_config_kwargs", {"overwrite": True})
        # SEAL's modules configure their own optimizers (model.optimizer / model.loss_net_optimizer: two AdamWs
        # for SEAL-dynamic) and schedulers; Lightning's --optimizer / --lr_scheduler would silently replace them
        kwargs.setdefault("auto_configure_optimizers", False)
        kwargs.setdefault(
            "trainer_defaults",
            {
                "max_epochs": 300,
                "inference_mode": False,  # gradient-based inference needs autograd in validation/test
                "enable_model_summary": False,
                "log_every_n_steps": 50,
                "num_sanity_val_steps": 0,
                "deterministic": False,
                "accelerator": "auto",
                "devices": 1,
            },
        )
        super().__init__(*args, **kwargs)

    #: the ``seal fit --help`` / ``seal test --help`` descriptions (LightningCLI would take the first line of the
    #: Trainer method's docstring, which for ``test`` stops mid-sentence)
    subcommand_descriptions: ClassVar[dict[str, str]] = {
        "fit": (
            "Train a model (from --config files and/or options; without any, the defaults), keeping best.ckpt "
            "(best validation score) and last.ckpt (every epoch), then evaluate the best checkpoint on the test "
            "split. --ckpt_path resumes from a last.ckpt."
        ),
        "test": (
            "Evaluate a checkpoint (--ckpt_path) on the test split. It is separate from fit so that you never "
            "run on your test set until you want to."
        ),
    }
    #: titles of the option groups of the Trainer method's own arguments (--ckpt_path, ...)
    subcommand_group_titles: ClassVar[dict[str, str]] = {"fit": "resuming", "test": "the checkpoint to evaluate"}

    def _add_subcommands(self, parser, **kwargs) -> None:
        for name, text in self.subcommand_descriptions.items():
            kwargs[name] = {"description": text, **(kwargs.get(name) or {})}
        super()._add_subcommands(parser, **kwargs)

    def _prepare_subcommand_parser(self, klass, subcommand: str, **kwargs):
        parser = super()._prepare_subcommand_parser(klass, subcommand, **kwargs)
        # the group of the method's arguments is titled by the first line of its docstring (cut mid-sentence)
        from lightning.pytorch.cli import _get_short_description

        method_title = _get_short_description(getattr(klass, subcommand, None))
        title = self.subcommand_group_titles.get(subcommand)
        if method_title and title:
            for group in parser._action_groups:
                if group.title and group.title.rstrip(".") == method_title.rstrip("."):
                    group.title = title
        return parser

    def link_arguments(self, parser) -> None:
        parser.link_arguments("data.num_features", "model.in_features", apply_on="instantiate")
        parser.link_arguments("data.num_labels", "model.num_labels", apply_on="instantiate")
        parser.link_arguments("data.label_names", "model.label_names", apply_on="instantiate")

    def add_arguments_to_parser(self, parser) -> None:
        self.link_arguments(parser)
        parser.add_argument(
            "--task", type=str, default=self.task_name,
            help=f"which model/data classes the config is for: {' or '.join(_task_names())} (read before parsing)",
        )
        parser.add_argument(
            "--early_stopping_patience", type=int, default=20, help=f"epochs without a better {self.monitor}"
        )
        parser.add_argument("--no_test", type=bool, default=False, help="skip the test evaluation after fit")
        parser.add_argument("--metrics_file", type=str | None, default=None, help="where to write metrics.json")
        # Configs saved (config.yaml) and recorded (results/runs.jsonl) while LightningCLI still added its
        # --optimizer / --lr_scheduler options carry `optimizer: null` and `lr_scheduler: null`: those null
        # values are still read (and ignored); any other value is refused. Hidden from --help.
        for key in ("optimizer", "lr_scheduler"):
            parser.add_argument(f"--{key}", type=_only_null(key), default=None, help=argparse.SUPPRESS)

    def parse_arguments(self, parser, args) -> None:
        """Parse as LightningCLI does, with the task's checks of the command line before (:meth:`check_argv`) and
        of the parsed config after (:meth:`check_parsed`); the command line is kept (``_argv``) to say later
        where a setting came from."""
        self._argv = [str(a) for a in (sys.argv[1:] if args is None else args)] if not isinstance(args, dict) else []
        self.check_argv(self._argv)
        super().parse_arguments(parser, args)
        sub = self.config.get("subcommand")
        self.check_parsed(self._argv, self.config[sub] if sub else self.config)

    @classmethod
    def check_argv(cls, argv: list[str]) -> None:
        """Refuse a command line before it is parsed (a task's CLI; ``ValueError``: one line). Here: nothing."""

    @classmethod
    def check_parsed(cls, argv: list[str], config) -> None:
        """Refuse a parsed config (the subcommand's) before anything is built (a task's CLI; ``ValueError``: one
        line). Here: nothing."""

    def instantiate_trainer(self, **kwargs):
        # a batch limit written as an int is a number of batches (1: one batch), not the fraction 1.0 that
        # jsonargparse makes of every value of Lightning's int | float type
        kwargs = {**integer_batch_limits(getattr(self, "_argv", [])), **kwargs}
        config = self.config[self.subcommand] if self.subcommand else self.config
        patience = config.get("early_stopping_patience", 20)
        trainer = super().instantiate_trainer(**kwargs)
        # Lightning adds an unmonitored ModelCheckpoint by default (it would "restore" the last epoch);
        # replace it by one that keeps the best validation example-F1 (plus the last, for resuming).
        trainer.callbacks[:] = [
            cb for cb in trainer.callbacks if not (isinstance(cb, ModelCheckpoint) and cb.monitor is None)
        ]
        if not any(isinstance(cb, ModelCheckpoint) for cb in trainer.callbacks):
            # a resumed fit writes on into the checkpoint directory it resumes from: there the best-checkpoint
            # callback gets its full state back (best score and path), as an uninterrupted run would have it
            dirpath = self._resume_dirpath if self.subcommand == "fit" else None
            trainer.callbacks += best_and_last_checkpoints(dirpath=dirpath, monitor=self.monitor)
        if not any(isinstance(cb, EarlyStopping) for cb in trainer.callbacks) and patience > 0:
            trainer.callbacks.append(EarlyStopping(monitor=self.monitor, mode="max", patience=patience))
        trainer.strategy.checkpoint_io = AtomicCheckpointIO()
        if self.subcommand == "fit":
            trainer.callbacks.append(InterruptReport())
            if trainer.progress_bar_callback is None:  # without a progress bar: one line per epoch
                trainer.callbacks.append(EpochLines(self.metric_key, config.get("trainer", {}).get("max_epochs")))
        apply_run_limits(trainer)  # --trainer.max_steps counts training batches; max_epochs 0 warns
        return trainer

    def _parse_ckpt_path(self) -> None:
        """Check ``--ckpt_path`` with :func:`seal.training.checkpoint.load_checkpoint` (weights-only, checksum)
        before LightningCLI reads its hyper-parameters, so a damaged file is one clear error (exit 2); a checkpoint
        of another task is refused. Without any ``--config`` (``seal test --ckpt_path CKPT`` alone, a resume), the
        data settings the checkpoint was trained with are used (said in one line on stderr), not the DataModule's
        defaults; ``--data.KEY`` options override single ones."""
        data_settings: dict = {}
        if self.config.get("subcommand"):
            ckpt_path = self.config[self.config.subcommand].get("ckpt_path")
            if ckpt_path:
                # FileNotFoundError / CheckpointError, reported by _friendly (loaded once: detect_task may have)
                ckpt = _load_checkpoint_once(ckpt_path)
                named = checkpoint_task_name(ckpt)
                if named != self.task_name:
                    raise ValueError(
                        f"--ckpt_path {ckpt_path} is a {named} checkpoint, but this command is for task "
                        f"{self.task_name} (from --task or a --config file's 'task:'); use --task {named}"
                    )
                if self.config.subcommand == "fit":
                    root = (self.config.fit.get("trainer") or {}).get("default_root_dir")
                    self._resume_dirpath = checkpoint_dirpath(ckpt, ckpt_path, root)
                    if self._resume_dirpath is None:
                        print(
                            f"seal fit: {ckpt_path} is not in the checkpoint directory of a run under "
                            f"{root or os.getcwd()}: resuming from it, but writing the new checkpoints under that root "
                            f"(a new version directory), not into {stored_checkpoint_dirpath(ckpt) or 'its run'}",
                            file=sys.stderr, flush=True,
                        )
                data_settings = self._checkpoint_data_settings(ckpt)
        super()._parse_ckpt_path()
        if data_settings:
            sub = self.config.subcommand
            self.config = self.parser.parse_object({sub: {"data": data_settings}}, self.config)
            dataset = f" (dataset {data_settings['dataset']})" if data_settings.get("dataset") else ""
            given = sorted({a.split("=", 1)[0] for a in getattr(self, "_argv", []) if a.startswith("--data.")})
            print(f"seal {sub}: no --config: using the data settings stored in {self.config[sub].ckpt_path}{dataset}"
                  + (f", except {', '.join(given)} as given" if given else ""), file=sys.stderr, flush=True)

    def _checkpoint_data_settings(self, ckpt: dict) -> dict:
        """The DataModule settings stored in ``ckpt`` that this parser knows, when the command line has no
        ``--config`` and no whole ``--data`` value (else ``{}``), less those given as ``--data.KEY`` (which win)."""
        argv = getattr(self, "_argv", [])
        if any(a == "--config" or a.startswith(("--config=", "--data=")) or a == "--data" for a in argv):
            return {}
        stored = ckpt.get("datamodule_hyper_parameters")
        current = self.config[self.config.subcommand].get("data")
        if not isinstance(stored, dict) or current is None:
            return {}
        # options given as --data.KEY on the command line win over the stored value of KEY
        given = {a[len("--data."):].split("=", 1)[0].split(".", 1)[0] for a in argv if a.startswith("--data.")}
        return {k: v for k, v in stored.items() if not k.startswith("_") and k in current and k not in given}

    def before_instantiate_classes(self) -> None:
        """Check the output paths of the command line (:func:`check_output_paths`) before the data is loaded
        and anything is trained, so that a wrong one is one clear error (exit 2), not a traceback at the end."""
        config = self.config[self.subcommand] if self.subcommand else self.config
        trainer = config.get("trainer") or {}
        metrics_file = config.get("metrics_file") if self.subcommand == "fit" else None
        check_output_paths(trainer.get("default_root_dir"), metrics_file)

    def before_fit(self) -> None:
        self._fit_t0 = time.perf_counter()

    def after_fit(self) -> None:
        train_s = time.perf_counter() - self._fit_t0
        trainer, model = self.trainer, self.model
        config = self.config[self.subcommand]
        ckpt = trainer.checkpoint_callback
        best_path = ckpt.best_model_path if ckpt is not None else ""
        best_val = float(ckpt.best_model_score) if ckpt is not None and ckpt.best_model_score is not None else None
        if trainer.interrupted:
            return
        # the test below restores the best checkpoint, whose history ends at the best epoch: keep the full one
        val_history = list(model.val_history)
        epoch_times = list(model.epoch_times)
        # the whole run's training seconds (a resumed run adds those of its earlier attempts, from the checkpoint);
        # read before the test below restores best.ckpt
        run_train_s = model.train_seconds() if hasattr(model, "train_seconds") else train_s
        counts = run_counts(trainer, model)  # before the restore below rewinds batches_seen
        test = {}
        has_test = getattr(self.datamodule, "has_test", True)
        if not has_test and not config.get("no_test", False):
            print("seal: no test split (your own files without --data.test): test evaluation skipped", file=sys.stderr)
        coverage = None
        if not config.get("no_test", False) and has_test:
            trainer.test(model, datamodule=self.datamodule, ckpt_path=best_path or None, verbose=False, weights_only=True)
            test = dict(model.test_results)
            coverage = scored_test_examples(trainer, model, self.example_noun)
            if trainer.world_size == 1:
                test.update(self.extra_test_metrics(model))
        best_epoch = None
        if val_history:
            best_epoch = max(val_history, key=lambda h: h[self.metric_key])["epoch"]
        self.results = {
            **({"task": self.task_name} if self.task_name != "multilabel" else {}),
            "metrics": {"test": test, "val": {self.metric_key: best_val}},
            "epochs": counts["epochs"],  # epochs run; the last may be partial (--trainer.max_steps)
            "best_epoch": best_epoch,  # 0-based, as val_history's "epoch"
            "batches_seen": counts["batches_seen"],  # training batches of the whole run
            "timings": {
                "train_s": run_train_s,  # None: resumed from a checkpoint that predates the count
                "train_s_attempt": train_s,  # this process's fit only
                "epoch_s_mean": sum(epoch_times) / len(epoch_times) if epoch_times else None,
                "infer_examples_per_s": model.infer_examples_per_s,
            },
            "val_history": val_history,
            "best_checkpoint": best_path,
            "log_dir": trainer.log_dir,
        }
        if coverage is not None:
            # how much of the test split the test metrics cover (--trainer.limit_test_batches)
            self.results["test_coverage"] = coverage
        if trainer.is_global_zero:
            out = config.get("metrics_file") or (os.path.join(trainer.log_dir, "metrics.json") if trainer.log_dir else None)
            if out:
                write_metrics_file(out, self.results)
            if test:
                from seal.tasks import get_task

                conventions = get_task(self.task_name).conventions_text()
                note = coverage_text(coverage, self._limit_source()) if coverage and coverage["partial"] else None
                print(format_metrics(test, title=f"test metrics ({model.hparams.method})", conventions=conventions,
                                     note=note))

    def after_test(self) -> None:
        """``seal test``: after Lightning's table, one line when the evaluation covered only part of the test split
        (``--trainer.limit_test_batches``, also when inherited from a fit's saved ``config.yaml``)."""
        coverage = scored_test_examples(self.trainer, self.model, self.example_noun)
        if coverage and coverage["partial"] and self.trainer.is_global_zero:
            print(f"seal test: {coverage_text(coverage, self._limit_source())}; --trainer.limit_test_batches 1.0 "
                  f"scores all {coverage['total']}", flush=True)

    def _limit_source(self) -> str | None:
        """Where ``limit_test_batches`` was set: ``--trainer.limit_test_batches`` on the command line, else the last
        ``--config`` file that sets it, else ``None``."""
        argv = getattr(self, "_argv", [])
        if any(a == "--trainer.limit_test_batches" or a.startswith("--trainer.limit_test_batches=") for a in argv):
            return "--trainer.limit_test_batches"
        source = None
        for path, data in config_files(argv):
            trainer = data.get("trainer") if isinstance(data, dict) else None
            if isinstance(trainer, dict) and trainer.get("limit_test_batches") is not None:
                source = f"--config {path}"
        return source

    def extra_test_metrics(self, model) -> dict:
        """Metrics added to the test results after fit (multi-label: example-F1 at a tuned threshold)."""
        return _tuned_threshold(model, self.datamodule)


def __getattr__(name: str):
    """``SegmentationCLI`` moved to :mod:`seal.tasks.segmentation.cli`; still answered here (imported on use:
    that module imports this one) so that existing imports keep working."""
    if name == "SegmentationCLI":
        from seal.tasks.segmentation.cli import SegmentationCLI

        return SegmentationCLI
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _file_on_the_way(path: Path) -> Path | None:
    """The first existing component of ``path`` (itself included) that is not a directory, else ``None``."""
    for part in reversed((path, *path.parents)):
        if part.exists() and not part.is_dir():
            return part
    return None


def check_output_paths(default_root_dir: str | os.PathLike | None, metrics_file: str | os.PathLike | None) -> None:
    """Refuse output paths that training could only fail on after the fact: a ``--trainer.default_root_dir``
    that is (or lies under) an existing file, a ``--metrics_file`` that is an existing directory or lies under
    an existing file. Remote paths (``scheme://``) are left to Lightning.

    Raises:
        ValueError: one line naming the option and the path.
    """
    if default_root_dir and "://" not in str(default_root_dir):
        root = Path(default_root_dir)
        blocker = _file_on_the_way(root)
        if blocker == root:
            raise ValueError(f"--trainer.default_root_dir {root}: is an existing file, not a directory")
        if blocker is not None:
            raise ValueError(f"--trainer.default_root_dir {root}: {blocker} is a file, not a directory")
    if metrics_file and "://" not in str(metrics_file):
        out = Path(metrics_file)
        if out.is_dir():
            raise ValueError(f"--metrics_file {out}: is an existing directory, not a file")
        blocker = _file_on_the_way(out.parent)
        if blocker is not None:
            raise ValueError(f"--metrics_file {out}: {blocker} is a file, not a directory")


def write_metrics_file(path: str | os.PathLike, results: dict) -> Path:
    """Write ``results`` as JSON to ``path`` atomically (:func:`seal.io.atomic_write_text`: a temporary file beside
    it, then a rename, so a failure leaves no half-written file and any older file as it was). An existing file
    (e.g. from an earlier run into the same directory) is replaced, which is said on stderr:
    ``seal: replaced existing metrics file PATH``."""
    from seal.io import atomic_write_text

    path = Path(path)
    text = json.dumps(results, indent=2)
    existed = path.is_file()
    atomic_write_text(path, text)
    if existed:
        print(f"seal: replaced existing metrics file {path}", file=sys.stderr, flush=True)
    return path


def config_files(argv: list[str]) -> list[tuple[str, object]]:
    """``(path, parsed YAML)`` of every ``--config`` file of a command line, in order; ``None`` for a file that
    cannot be read or parsed (left for LightningCLI to report)."""
    import yaml

    out: list[tuple[str, object]] = []
    for i, arg in enumerate(argv):
        value = arg.split("=", 1)[1] if arg.startswith("--config=") else (
            argv[i + 1] if arg == "--config" and i + 1 < len(argv) else None)
        if value is None:
            continue
        try:
            data = yaml.safe_load(Path(value).read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError):
            data = None
        out.append((value, data))
    return out


#: the Trainer's batch limits: an int is a number of batches, a float a fraction of the split (Lightning)
BATCH_LIMITS = ("limit_train_batches", "limit_val_batches", "limit_test_batches", "limit_predict_batches")


def integer_batch_limits(argv: list[str]) -> dict[str, int]:
    """The ``trainer.limit_*_batches`` values written as integers, in a ``--config`` file (YAML int) or on the
    command line (``--trainer.limit_test_batches 1``), the last one of each winning. jsonargparse turns every
    value of Lightning's ``int | float`` type into a float, which for ``1`` means the whole split (1.0) instead of
    one batch; the CLI puts these back as ints."""
    found: dict[str, int | None] = {}
    i = 0
    while i < len(argv):
        arg = argv[i]
        name, eq, value = arg.partition("=")
        if name == "--config" and (eq or i + 1 < len(argv)):
            path = value if eq else argv[i + 1]
            for _, data in config_files(["--config", path]):
                trainer = data.get("trainer") if isinstance(data, dict) else None
                for key in BATCH_LIMITS:
                    if isinstance(trainer, dict) and key in trainer:
                        v = trainer[key]
                        found[key] = v if isinstance(v, int) and not isinstance(v, bool) else None
        elif name.startswith("--trainer.") and name[len("--trainer."):] in BATCH_LIMITS and (eq or i + 1 < len(argv)):
            text = value if eq else argv[i + 1]
            found[name[len("--trainer."):]] = int(text) if text.strip().lstrip("+").isdigit() else None
        i += 1
    return {k: v for k, v in found.items() if v is not None}


def _option_value(argv: list[str], name: str) -> str | None:
    """The value of the last ``--NAME VALUE`` / ``--NAME=VALUE`` of a command line, else ``None``."""
    value = None
    for i, arg in enumerate(argv):
        if arg.startswith(f"--{name}="):
            value = arg.split("=", 1)[1]
        elif arg == f"--{name}" and i + 1 < len(argv):
            value = argv[i + 1]
    return value


#: the checkpoint :func:`detect_task` loaded, kept for ``--ckpt_path``'s check (:meth:`SEALCLI._parse_ckpt_path`)
#: so that the file is read once: ``(path, (size, mtime), checkpoint)``
_LOADED_CHECKPOINT: tuple[str, tuple[int, int], dict] | None = None


def _file_key(path: str) -> tuple[int, int]:
    st = os.stat(path)
    return st.st_size, st.st_mtime_ns


def _load_checkpoint_once(path: str | os.PathLike, keep: bool = False) -> dict:
    """:func:`seal.training.checkpoint.load_checkpoint` (weights-only, checksum-checked) of ``path``, reusing the
    copy an earlier call kept (``keep=True``) if the file has not changed since; a reused copy is given up."""
    global _LOADED_CHECKPOINT
    from seal.training.checkpoint import load_checkpoint

    p = os.fspath(path)
    kept, _LOADED_CHECKPOINT = _LOADED_CHECKPOINT, None
    if kept is not None and kept[0] == p and os.path.isfile(p) and kept[1] == _file_key(p):
        ckpt = kept[2]
    else:
        ckpt = load_checkpoint(p)  # FileNotFoundError / CheckpointError: one line naming the file
    if keep:
        _LOADED_CHECKPOINT = (p, _file_key(p), ckpt)
    return ckpt


def checkpoint_task_name(checkpoint: dict) -> str:
    """The task that wrote a loaded checkpoint (:func:`seal.tasks.task_of_checkpoint`: ``checkpoint["seal"]["task"]``,
    else ``"multilabel"``: feature-MLC checkpoints store no task name)."""
    from seal.tasks import task_of_checkpoint

    return task_of_checkpoint(checkpoint if isinstance(checkpoint, dict) else {}).name


def detect_task(argv: list[str], keep_checkpoint: bool = False) -> str:
    """The ``task`` a command line is for: ``--task`` if given, else the last ``--config`` file that sets
    ``task:``, else the task of the ``--ckpt_path`` checkpoint (``seal test --ckpt_path CKPT``, a resumed
    ``seal fit``; read with the weights-only loader: a damaged file is its one-line error), else
    ``"multilabel"``. Unreadable config files and a missing checkpoint are left for LightningCLI to report.
    ``keep_checkpoint``: keep the loaded checkpoint for the CLI's own check of ``--ckpt_path`` (read once).

    Raises:
        ValueError: an unknown task name; a damaged ``--ckpt_path`` file
            (:class:`seal.training.checkpoint.CheckpointError`).
    """
    task = ckpt_path = None
    for _, data in config_files(argv):
        if isinstance(data, dict) and data.get("task") is not None:
            task = str(data["task"])
        if isinstance(data, dict) and data.get("ckpt_path"):
            ckpt_path = str(data["ckpt_path"])
    cli_task = _option_value(argv, "task")
    ckpt_path = _option_value(argv, "ckpt_path") or ckpt_path
    task = cli_task or task
    if task is None and ckpt_path and os.path.isfile(ckpt_path):
        ckpt = _load_checkpoint_once(ckpt_path, keep=keep_checkpoint)
        task = checkpoint_task_name(ckpt)
    task = task or "multilabel"
    if task not in _task_names():
        raise ValueError(f"unknown task {task!r} (from --task or the config's 'task:' key); known: {', '.join(_task_names())}")
    return task


def refuse_flat_model_keys(argv: list[str], task: str) -> None:
    """Refuse the flat ``model:`` keys of configs and options written before the hyper-parameters were grouped
    (:mod:`seal.training.hparams`), naming each key's new place and the command that rewrites a file.

    Raises:
        ValueError: a ``--config`` file or a ``--model.KEY`` option uses a flat key.
    """
    from seal.training.hparams import FLAT_KEYS, flat_argv_keys, flat_keys_in

    if task not in FLAT_KEYS:
        return
    table = FLAT_KEYS[task]
    for value, data in config_files(argv):
        model = data.get("model") if isinstance(data, dict) else None
        flat = flat_keys_in(model, task) if isinstance(model, dict) else []
        if flat:
            moves = ", ".join(f"model.{k} -> model.{'.'.join(table[k])}" for k in flat[:4])
            more = f" (and {len(flat) - 4} more)" if len(flat) > 4 else ""
            raise ValueError(
                f"config {value}: flat model keys from before the grouping of hyper-parameters: {moves}{more}; "
                f"rewrite the file with: seal migrate-config {value}"
            )
    flat_args = flat_argv_keys(argv, task)
    if flat_args:
        moves = ", ".join(f"{old} -> {new}" for old, new in flat_args)
        raise ValueError(f"flat model options from before the grouping of hyper-parameters: use {moves}")


def best_and_last_checkpoints(dirpath=None, monitor: str = "val/example_f1") -> list[ModelCheckpoint]:
    """``best.ckpt`` (highest value of ``monitor``, restored for testing) and ``last.ckpt`` (at the end of
    every training epoch, also when validation runs less often, for resuming). Lightning's own ``save_last``
    only refreshes ``last`` when the best improves, so the latest state is kept by a second, unmonitored
    checkpoint callback that overwrites one file (atomically, through :class:`AtomicCheckpointIO`)."""
    return [
        ResumableCheckpoint(dirpath=dirpath, monitor=monitor, mode="max", save_top_k=1, filename="best"),
        ResumableCheckpoint(
            dirpath=dirpath, save_top_k=1, filename="last", enable_version_counter=False, save_on_train_epoch_end=True
        ),
    ]


class ResumableCheckpoint(ModelCheckpoint):
    """A ``ModelCheckpoint`` whose state (best score and path) is restored on resume when the checkpoint
    directory is the same one spelled differently: Lightning stores the directory it resolved at run time
    (relative when ``default_root_dir`` is) but compares it with the absolute one it gets when the
    directory is given, and would otherwise forget the best score, so that a resumed run could pick a
    worse "best" checkpoint than the uninterrupted run. Same state key as ``ModelCheckpoint``."""

    __qualname__ = "ModelCheckpoint"  # the callback state key, shared with checkpoints written before

    def load_state_dict(self, state_dict: dict) -> None:
        stored = state_dict.get("dirpath")
        if isinstance(stored, str) and self.dirpath and os.path.realpath(stored) == os.path.realpath(self.dirpath):
            # the stored file paths are spelled like the stored directory: spell them like this run's, or the next
            # best would not replace best.ckpt in place (Lightning compares path strings) but be saved as
            # best-v1.ckpt, with best.ckpt deleted
            state_dict = {**respell_checkpoint_paths(state_dict, stored, self.dirpath), "dirpath": self.dirpath}
        elif isinstance(stored, str) and self.dirpath and stored != self.dirpath:
            # resumed into a new directory (:func:`checkpoint_dirpath`): Lightning would keep only best_model_path,
            # a file of the other run that this run must neither test as "its" best nor ever replace
            return
        super().load_state_dict(state_dict)


def respell_checkpoint_paths(state_dict: dict, old_dir: str, new_dir: str) -> dict:
    """A ``ModelCheckpoint`` state with every file path inside ``old_dir`` (``best_model_path``,
    ``kth_best_model_path``, ``last_model_path``, the keys of ``best_k_models``) spelled inside ``new_dir``, the same
    directory written otherwise (relative vs absolute); other paths and values unchanged."""
    real = os.path.realpath(old_dir)

    def respell(path):
        if isinstance(path, str) and path and os.path.realpath(os.path.dirname(path)) == real:
            return os.path.join(new_dir, os.path.basename(path))
        return path

    out = dict(state_dict)
    for key in ("best_model_path", "kth_best_model_path", "last_model_path"):
        if key in out:
            out[key] = respell(out[key])
    if isinstance(out.get("best_k_models"), dict):
        out["best_k_models"] = {respell(k): v for k, v in out["best_k_models"].items()}
    return out


def stored_checkpoint_dirpath(ckpt: dict) -> str | None:
    """The checkpoint directory the checkpoint's own ModelCheckpoint states name (as written, relative or not),
    if it exists, else ``None``."""
    for state in (ckpt.get("callbacks") or {}).values():
        if isinstance(state, dict) and isinstance(state.get("dirpath"), str) and Path(state["dirpath"]).is_dir():
            return state["dirpath"]
    return None


def _is_within(path: str | os.PathLike, directory: str | os.PathLike) -> bool:
    """Whether ``path`` is ``directory`` or lies under it (symbolic links and relative spellings resolved)."""
    path, directory = Path(os.path.realpath(path)), Path(os.path.realpath(directory))
    return path == directory or directory in path.parents


def checkpoint_dirpath(ckpt: dict, path: str | os.PathLike, default_root_dir: str | os.PathLike | None = None) -> str | None:
    """The directory a resumed ``seal fit`` writes its checkpoints into, or ``None`` for Lightning's default (a new
    version directory under ``default_root_dir``).

    A resume of a run of this root continues in its own checkpoint directory: the one the checkpoint's own
    ModelCheckpoint states name (as written, relative or not, so that Lightning restores their best score and
    path), else the directory holding ``path``. That directory is kept only when ``path`` lies in it and it lies
    under ``default_root_dir`` (``None``: the working directory, as for Lightning); otherwise (a copied
    checkpoint, another run's checkpoint, another root) ``None``, so that the original run's files are never
    written to."""
    stored = stored_checkpoint_dirpath(ckpt) or str(Path(path).parent)
    if "://" in str(path) or "://" in stored:  # remote paths: left as they were
        return stored
    root = default_root_dir if default_root_dir else os.getcwd()
    if "://" in str(root):
        return None
    if _is_within(Path(path).parent, stored) and _is_within(stored, root):
        return stored
    return None


from seal.experiments.runner import EPOCH_LINE_PREFIX  # noqa: E402 (the grid runner echoes these lines)


class EpochLines(Callback):
    """One line per epoch on stdout when there is no progress bar (``--trainer.enable_progress_bar=false``, grid
    runs): ``seal: epoch 3/300: val example_f1 0.3812 (best 0.3901, epoch 2); 1.2 s`` (the epoch's time with its
    validation). Epochs are 1-based
    here (``val_history`` keeps Lightning's 0-based index)."""

    def __init__(self, metric_key: str, max_epochs: int | None = None) -> None:
        self.metric_key = metric_key
        self.max_epochs = max_epochs

    def on_train_epoch_end(self, trainer, pl_module) -> None:
        # runs after this epoch's validation (which appended to val_history)
        if not trainer.is_global_zero:
            return
        hist = getattr(pl_module, "val_history", None) or []
        if not hist or self.metric_key not in hist[-1] or hist[-1]["epoch"] != trainer.current_epoch:
            return
        cur = hist[-1]
        best = max(hist, key=lambda h: h[self.metric_key])
        t0 = getattr(pl_module, "_epoch_t0", None)
        of = f"/{self.max_epochs}" if self.max_epochs and self.max_epochs > 0 else ""
        took = f"; {time.perf_counter() - t0:.1f} s" if t0 else ""
        print(
            f"{EPOCH_LINE_PREFIX}{cur['epoch'] + 1}{of}: val {self.metric_key} {cur[self.metric_key]:.4f} "
            f"(best {best[self.metric_key]:.4f}, epoch {best['epoch'] + 1}){took}",
            flush=True,
        )


class InterruptReport(Callback):
    """Remembers where ``seal fit`` stopped on Ctrl-C (SIGINT), for :func:`fit_main`'s resume line.

    Lightning answers a ``KeyboardInterrupt`` by shutting down and ``sys.exit(1)``; this callback's
    ``on_exception`` runs before that and stores ``stopped`` (module-level :data:`_INTERRUPTED` too, since
    the CLI object never comes back to :func:`fit_main`). ``last.ckpt`` is not rewritten mid-epoch: the one
    written atomically at the end of the last finished epoch is what an exact resume starts from.
    """

    def __init__(self) -> None:
        self.stopped: dict | None = None
        self._epoch_start_batches = 0

    def on_train_epoch_start(self, trainer, pl_module) -> None:
        self._epoch_start_batches = int(getattr(pl_module, "batches_seen", 0))

    def on_exception(self, trainer, pl_module, exception: BaseException) -> None:
        global _INTERRUPTED
        if not isinstance(exception, KeyboardInterrupt):
            return
        last = None
        for cb in trainer.checkpoint_callbacks:
            if isinstance(cb, ModelCheckpoint) and cb.monitor is None and cb.dirpath:
                candidate = Path(cb.dirpath) / f"{cb.filename or 'last'}{cb.FILE_EXTENSION}"
                if candidate.is_file():
                    last = candidate
        self.stopped = _INTERRUPTED = {
            "epoch": int(trainer.current_epoch),
            # counted from the module's own batch counter (one SIGINT may land between its increment and
            # Lightning's progress bookkeeping, so the two need not agree)
            "batch": int(getattr(pl_module, "batches_seen", 0)) - self._epoch_start_batches,
            "batches_seen": int(getattr(pl_module, "batches_seen", 0)),
            "last": last,
        }


#: set by :class:`InterruptReport` when ``seal fit`` is interrupted (read by :func:`fit_main`)
_INTERRUPTED: dict | None = None

#: exit status of an interrupted ``seal fit`` (128 + SIGINT, as shells report Ctrl-C)
EXIT_INTERRUPTED = 130


def resume_command(argv: list[str], ckpt_path: str | os.PathLike) -> str:
    """``seal fit ARGV --ckpt_path CKPT`` with any earlier ``--ckpt_path`` of ``argv`` removed (shell-quoted)."""
    kept: list[str] = []
    skip = False
    for arg in argv:
        if skip:
            skip = False
            continue
        if arg == "--ckpt_path":
            skip = True
            continue
        if arg.startswith("--ckpt_path="):
            continue
        kept.append(arg)
    return "seal fit " + shlex.join([*kept, "--ckpt_path", str(ckpt_path)])


def interrupted_message(argv: list[str], stopped: dict) -> str:
    """The one line ``seal fit`` prints on Ctrl-C: where training stopped and the exact resume command."""
    where = f"epoch {stopped['epoch']} after {stopped['batch']} of its batches ({stopped['batches_seen']} batches in all)"
    last = stopped.get("last")
    if last is None:
        return (
            f"seal fit: interrupted in {where}, before the first checkpoint was written; "
            f"start again with: seal fit {shlex.join(argv)}"
        )
    saved = ""
    try:
        from seal.training.checkpoint import load_checkpoint

        ck = load_checkpoint(last)
        saved = f" (saved at the end of epoch {ck['epoch']}, {int(ck.get('seal', {}).get('batches_seen', 0))} batches)"
    except Exception as exc:  # noqa: BLE001 - the message must come out whatever the file holds
        saved = f" (unreadable: {exc})"
    return f"seal fit: interrupted in {where}; {last}{saved} resumes it exactly: {resume_command(argv, last)}"


def _tuned_threshold(model, datamodule) -> dict:
    """Example-F1 at a decision threshold tuned on validation (reported next to the 0.5 number, never
    instead of it): ``{"threshold_tuned": t, "example_f1_tuned": test example-F1 at t}``."""
    import torch

    from seal.metrics.functional import example_f1, tune_threshold

    def probs(loader):
        ps, ys = [], []
        model.eval()
        with torch.no_grad():
            for x, y in loader:
                ps.append(torch.sigmoid(model(x.to(model.device))).cpu())
                ys.append(y)
        return torch.cat(ps), torch.cat(ys)

    pv, yv = probs(datamodule.val_dataloader())
    t = tune_threshold(pv, yv)
    pt, yt = probs(datamodule.test_dataloader())
    return {"threshold_tuned": float(t), "example_f1_tuned": float(example_f1(pt, yt, t))}


def format_metrics(metrics: dict, title: str = "metrics", conventions: str | None = None, note: str | None = None) -> str:
    """``metrics`` one per line (the multi-label ones first, in their usual order, then the others as given),
    then ``note`` (e.g. :func:`coverage_text`: only part of the test split was scored), followed by
    ``conventions``: the task's metric-conventions paragraph (:meth:`seal.tasks.Task.conventions_text`;
    ``None``: the multi-label one; ``""``: none)."""
    if conventions is None:
        from seal.metrics import MULTILABEL_CONVENTIONS as conventions
    keys = ["example_f1", "micro_f1", "macro_f1", "hamming_loss", "map", "map_label", "example_f1_tuned", "threshold_tuned"]
    lines = [title, "-" * len(title)]
    for k in keys + [k for k in metrics if k not in keys]:
        if k in metrics:
            v = metrics[k]
            lines.append(f"{k:<22} {v:.4f}" if isinstance(v, float) and not k.endswith("left_out") else f"{k:<22} {v}")
    if note:
        lines.append(note)
    if conventions:
        lines.append(conventions)
    return "\n".join(lines)


#: the start of Lightning's warning about the module's ``transfer_batch_to_device`` (silenced by :func:`make_cli`)
TRANSFER_HOOK_WARNING = (
    "You have overridden `transfer_batch_to_device` in `LightningModule` but have passed in a `LightningDataModule`"
)


def silence_transfer_hook_warning() -> None:
    """Ignore Lightning's warning that the LightningModule's ``transfer_batch_to_device`` is used although a
    LightningDataModule is passed: the override is deliberate (:mod:`seal.training.steps`: ``(x, y)`` moved without
    the generic tree walk) and the DataModules define none. Only that hook's warning; every other one stays."""
    warnings.filterwarnings("ignore", message=re.escape(TRANSFER_HOOK_WARNING), category=UserWarning)


def scored_test_examples(trainer, model, noun: str = "examples") -> dict | None:
    """How much of the test split the last ``trainer.test`` scored: ``{"evaluated": n, "total": N, "unit": noun,
    "limit_test_batches": L, "partial": n < N}`` (``n``: the examples the module counted, summed over processes;
    ``N``: the test dataset's size); ``None`` when that cannot be told (several test loaders, a dataset without
    a length, a module that does not count)."""
    loaders = trainer.test_dataloaders
    if isinstance(loaders, (list, tuple)):
        if len(loaders) != 1:
            return None
        loaders = loaders[0]
    try:
        total = len(loaders.dataset)
    except (AttributeError, TypeError):
        return None
    n = getattr(model, "_test_n", None)
    if n is None:
        return None
    n = int(n)
    if trainer.world_size > 1:
        import torch

        n = int(trainer.strategy.reduce(torch.tensor(float(n), device=model.device), reduce_op="sum").item())
        n = min(n, total)  # the distributed sampler repeats examples to even out the processes
    return {"evaluated": n, "total": int(total), "unit": noun, "limit_test_batches": trainer.limit_test_batches,
            "partial": n < total}


def coverage_text(coverage: dict, source: str | None = None) -> str:
    """``partial test split: 64 of 128 test images (limit_test_batches=2, from --config RUN/config.yaml)``."""
    where = f", from {source}" if source else ""
    return (f"partial test split: {coverage['evaluated']} of {coverage['total']} test {coverage['unit']} "
            f"(limit_test_batches={coverage['limit_test_batches']}{where})")


def make_cli(args: list[str] | None = None, run: bool = True) -> SEALCLI:
    threads = os.environ.get("SEAL_NUM_THREADS")
    if threads:
        import torch

        torch.set_num_threads(int(threads))
    from seal.tasks import get_task

    if not os.environ.get("SEAL_VERBOSE"):  # SEAL_VERBOSE=1 keeps third-party chatter (seal.cli.main)
        silence_transfer_hook_warning()
    argv = list(sys.argv[1:] if args is None else args)
    task_name = detect_task(argv, keep_checkpoint=True)
    refuse_flat_model_keys(argv, task_name)
    task = get_task(task_name)
    return task.cli_class()(
        task.module_class(),
        task.datamodule_class(),
        args=args,
        run=run,
        seed_everything_default=0,
        # no abbreviated options: `--trainer.max_epoch=3` would silently set max_epochs, and a grid's overrides
        # are compared as written (the run's identity); an abbreviation is refused with a did-you-mean hint
        parser_kwargs={"prog": "seal", "description": __doc__, "allow_abbrev": False},
        parser_class=HintingParser,
    )


class _ParseOnly:
    """Mixin: a task's CLI that parses and validates its arguments and builds nothing (no seed, no classes)."""

    def _parse_ckpt_path(self) -> None:
        pass

    def _set_seed(self) -> None:
        pass

    def before_instantiate_classes(self) -> None:
        pass

    def instantiate_classes(self) -> None:
        pass

    def after_instantiate_classes(self) -> None:
        pass

    def _run_subcommand(self, subcommand: str) -> None:
        pass


_CHECK_PARSERS: dict[str, object] = {}


def check_fit_arguments(argv: list[str]) -> None:
    """Validate ``seal fit ARGV`` as ``seal fit`` parses it (config files read, every option name and value
    type-checked), without building a model or reading data; used by ``seal experiment`` before any run starts.

    Args:
        argv: the arguments after ``seal fit`` (``--config FILE ...`` and overrides).

    Raises:
        ValueError: one message naming the bad option or file (jsonargparse's first lines).
    """
    from seal.tasks import get_task

    argv = [str(a) for a in argv]
    task_name = detect_task(argv)
    refuse_flat_model_keys(argv, task_name)
    task_cli = get_task(task_name).cli_class()
    task_cli.check_argv(argv)
    parser = _CHECK_PARSERS.get(task_name)
    if parser is None:
        task = get_task(task_name)
        cli_class = type(f"ParseOnly{task.cli_class().__name__}", (_ParseOnly, task.cli_class()), {})
        with warnings.catch_warnings():  # LightningCLI warns when the caller's own sys.argv is not empty
            warnings.filterwarnings("ignore", message=".*args parameter is intended to run from within Python")
            cli = cli_class(
                task.module_class(), task.datamodule_class(), args=["fit"],
                run=True, seed_everything_default=0,
                parser_kwargs={"prog": "seal", "allow_abbrev": False, "exit_on_error": False},
                parser_class=HintingParser,
            )
        parser = _CHECK_PARSERS[task_name] = cli.parser
    try:
        config = parser.parse_args(["fit", *argv])
    except Exception as exc:  # jsonargparse.ArgumentError and what a config file's loader raises
        lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
        keep = lines[:1] + [line for line in lines[1:] if line.startswith(("Given value:", "Expected"))][:2]
        raise ValueError(" ".join(keep) or type(exc).__name__) from None
    task_cli.check_parsed(argv, config["fit"])


def fit_main(argv: list[str]) -> int:
    """``seal fit``: 0 on success; 2 on a configuration, data or checkpoint error (one line on stderr);
    130 on Ctrl-C, after one line saying where training stopped and the command that resumes it from
    ``last.ckpt`` (:func:`interrupted_message`)."""
    global _INTERRUPTED
    _INTERRUPTED = None
    try:
        _friendly(lambda: make_cli(["fit", *argv]))
    except (SystemExit, KeyboardInterrupt) as exc:
        stopped, _INTERRUPTED = _INTERRUPTED, None
        if stopped is None and isinstance(exc, KeyboardInterrupt):  # before training started: nothing to keep
            print(f"seal fit: interrupted before training started; start again with: seal fit {shlex.join(argv)}",
                  file=sys.stderr, flush=True)
            raise SystemExit(EXIT_INTERRUPTED) from None
        if stopped is None:
            raise
        print(interrupted_message(list(argv), stopped), file=sys.stderr, flush=True)
        raise SystemExit(EXIT_INTERRUPTED) from None
    finally:
        _teardown_distributed()
    return 0


def _teardown_distributed() -> None:
    """Destroy the process group of a DDP run so that gloo/NCCL shut down cleanly at exit."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


def test_main(argv: list[str]) -> int:
    """``seal test``: 0 on success; 2 on a configuration, data or checkpoint error (one line on stderr)."""
    _friendly(lambda: make_cli(["test", *argv]))
    return 0


def _friendly(fn):
    """Run ``fn``; turn known configuration/data errors into one clear line instead of a traceback."""
    from seal.data.errors import DataError

    known: tuple[type[BaseException], ...] = (DataError, ValueError, FileNotFoundError, pickle.UnpicklingError)
    try:
        from seal.data.registry import DatasetNotFoundError

        known = (*known, DatasetNotFoundError)
    except ImportError:  # pragma: no cover
        pass
    try:
        return fn()
    except known as exc:
        if os.environ.get("SEAL_DEBUG"):
            raise
        print(f"seal: error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
