"""Run a grid of datasets x methods x seeds as ``seal fit`` subprocesses, resumably.

A grid is a YAML file::

    datasets: [bibtex, genbase]
    methods: [cross-entropy, seal-dynamic-nce]
    seeds: [0, 1, 2]
    variant: cpu            # config = <config_dir>/<dataset>/<method>.<variant>.yaml when present,
                            # else <config_dir>/<dataset>/<method>.yaml (see variant_optional)
    variant_optional: [cross-entropy]   # optional: methods (or true: all) that may run their base config when
                            # the variant has no config for them (one note line per run); a missing variant
                            # config of any other method (or of any, without this key) refuses the grid.
    config_dir: configs     # relative to the working directory
    overrides: ["--trainer.max_epochs=60"]                          # extra CLI args for every run
    per_run_overrides: {bibtex/seal-dynamic-nce: ["--model.schedule.loss_net_steps=3"]}   # "dataset/method"
                            # keys; shell-style wildcards allowed ("*/seal-dynamic-nce", "bibtex/*")
    threads: 1              # torch threads per run (OMP_NUM_THREADS / MKL_NUM_THREADS)
    command: [...]          # optional: replaces the default command template (see DEFAULT_COMMAND)
    results: results/tmp/smoke.jsonl   # optional: this grid's results file and run root when the command
    runs_dir: runs/smoke               # line gives none (defaults: results/runs.jsonl and runs)
    after:                  # optional chaining: method -> the method whose checkpoint it starts from
      nce-gbi: cross-entropy                    # --model.task_checkpoint=<best ckpt of that CE run>
      seal-static-nce: nce-gbi                  # --model.score_checkpoint=<best ckpt of that nce-gbi run>
      my-method: {from: cross-entropy, arg: model.task_checkpoint}   # explicit CLI argument

Chaining (``after``): a run of method ``M`` with ``after: {M: P}`` waits for the run of ``P`` with the same
dataset and seed in this grid (or one already recorded), then gets ``--<arg>=<P's best checkpoint>``
appended to its command (``best_checkpoint`` from P's ``metrics.json``, else the newest ``best*.ckpt``
under P's run directory). The argument is the method's ``chain_argument`` in :mod:`seal.methods.registry`
unless given explicitly. If ``P`` fails (or has no checkpoint), ``M`` is not started and counts as failed.

Every run is one subprocess (by default ``python -m seal.cli.main fit --config CFG --seed_everything SEED
--trainer.default_root_dir RUN_DIR --metrics_file RUN_DIR/metrics.json`` followed by the overrides) with its
stdout and stderr appended to ``RUN_DIR/log.txt``; ``RUN_DIR = <runs_dir>/<dataset>/<method>[.<variant>]/
seed<seed>``. The command template can be replaced by the grid's ``command`` field or, taking precedence,
the environment variable ``SEAL_EXPERIMENT_COMMAND`` (a shell-quoted string); both are formatted with the
placeholders ``{python} {config} {seed} {run_dir} {metrics_file} {dataset} {method} {variant} {threads}``.

A run is identified by its key ``(dataset, method, variant, seed, split_protocol)`` and its overrides (the grid's
``overrides`` then its ``per_run_overrides``). Overrides that only change how a run shows progress or logs
(:data:`COSMETIC_OPTIONS`: ``--trainer.enable_progress_bar``, ``--trainer.enable_model_summary``,
``--trainer.log_every_n_steps``) and the checkpoint argument the runner itself appends to a chained run are left
out of the comparison (:func:`override_identity`); every other override changes what is trained. A run whose key
already has a line in the results file with the same other overrides is skipped, so a long grid resumes where it
stopped. When the key is recorded only with other overrides (e.g. a smoke run with ``--data.max_train_instances=64``
and a grid with 128, or none), the grid is refused before anything runs, with one line naming the run and both
override lists: a run with other settings is neither taken for this grid's run nor run over it in the same run
directory and results file; give such a grid its own ``--results`` and ``--runs-dir`` (or ``results`` /
``runs_dir`` keys). A successful run appends
exactly one JSON object line to the results file (``O_APPEND``, one ``write``, ``flush`` + ``fsync``; the
file is never rewritten or truncated). A failed run is reported (exit code, last lines of its log) and not
recorded; the grid carries on, and the command's exit status is non-zero.

Never losing work, never running a run twice at once:

* Every run is its own process group, started with ``prctl(PR_SET_PDEATHSIG, SIGTERM)`` on Linux, so it
  dies with the runner even when the runner is killed with SIGKILL. Ctrl-C or SIGTERM to the runner is
  forwarded as SIGINT to each run (``seal fit`` then keeps its ``last.ckpt`` and logs the resume command),
  then SIGTERM and SIGKILL if it does not stop; the runner exits 130.
* ``RUN/.seal-run.lock`` is ``flock``-ed by the runner for as long as the run goes and names the runner and
  trainer processes (pid, start time, host). A lock file that still names a holder when the next grid takes
  it was left by a runner that died: if that trainer still lives the run is skipped (never a second trainer
  in one directory), otherwise the stale lock is reported and taken over.
* An interrupted run (runner stopped or killed, trainer interrupted by a signal) is resumed from its newest
  ``RUN/lightning_logs/version_N/checkpoints/last.ckpt`` (written at the end of every epoch) with
  ``--ckpt_path``, which continues exactly as an uninterrupted run would (both optimizers, schedulers, RNG
  states, early stopping); its record says ``"resumed": <times>``. A run that failed by itself, or whose
  command changed since, starts again from scratch. ``RUN/.seal-run.json`` keeps the run's command, status
  and resume count. A resumed run's ``timings``: ``epoch_s_mean`` and ``train_s`` cover the whole run (the
  checkpoint carries the earlier attempts' epoch times and fit seconds), ``train_s_attempt`` and ``wall_s`` the
  last attempt only.
"""

from __future__ import annotations

import datetime as _dt
import fnmatch
import functools
import json
import math
import os
import platform
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any

import yaml

__all__ = [
    "COMMAND_ENV",
    "COSMETIC_OPTIONS",
    "DEFAULT_COMMAND",
    "Grid",
    "GridError",
    "GridSummary",
    "ResultsFile",
    "RunSpec",
    "append_result",
    "build_command",
    "chain_argument",
    "check_run_arguments",
    "check_datasets",
    "conflict_message",
    "load_grid",
    "override_identity",
    "plan_runs",
    "read_results",
    "record_key",
    "record_key_str",
    "recorded_run",
    "restrict_grid",
    "run_grid",
    "variant_fallbacks",
]

#: default command template of one run (formatted per run; the grid's overrides are appended)
DEFAULT_COMMAND: tuple[str, ...] = (
    "{python}", "-m", "seal.cli.main", "fit",
    "--config", "{config}",
    "--seed_everything", "{seed}",
    "--trainer.default_root_dir", "{run_dir}",
    "--metrics_file", "{metrics_file}",
)  # fmt: skip

#: environment variable that replaces the command template (shell-quoted string); used by tests
COMMAND_ENV = "SEAL_EXPERIMENT_COMMAND"

#: environment variables set to the grid's ``threads`` in every run's environment
THREAD_ENV_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "SEAL_NUM_THREADS")

_GRID_KEYS = {
    "datasets", "methods", "seeds", "variant", "config_dir", "overrides", "per_run_overrides", "threads",
    "command", "after", "results", "runs_dir", "variant_optional",
}  # fmt: skip

RunKey = tuple[str, str, "str | None", int, str]


class GridError(ValueError):
    """A grid file that cannot be used (missing file, bad YAML, unknown key, wrong type)."""


# --------------------------------------------------------------------------------------------- grid


@dataclass
class Grid:
    """A parsed grid file (see the module docstring for the YAML form).

    Attributes:
        datasets, methods, seeds: the product that is run (in this order: dataset, method, seed).
        variant: config variant name (``<method>.<variant>.yaml``), or ``None``.
        config_dir: directory holding ``<dataset>/<method>[.<variant>].yaml``.
        overrides: CLI arguments appended to every run's command.
        per_run_overrides: ``"dataset/method"`` pattern -> extra CLI arguments (after ``overrides``).
        threads: torch threads per run process.
        command: command template replacing :data:`DEFAULT_COMMAND`, or ``None``.
        path: the grid file this came from, if any.
        after: chaining, ``{method: (parent method, CLI argument)}`` (see the module docstring).
        results, runs_dir: where this grid's records and run directories go when the command line does not
            say (``seal experiment --results / --runs-dir``); ``None``: ``results/runs.jsonl`` and ``runs``.
            A smoke or demo grid names its own files here, so it cannot land in the main results file.
        variant_optional: the methods (``True``: all, ``False``: none) that may run their base config when the
            ``variant`` has no config for them (:func:`variant_fallbacks`); ``None`` (key absent): none may.
    """

    datasets: list[str]
    methods: list[str]
    seeds: list[int]
    variant: str | None = None
    config_dir: str = "configs"
    overrides: list[str] = field(default_factory=list)
    per_run_overrides: dict[str, list[str]] = field(default_factory=dict)
    threads: int = 1
    command: list[str] | None = None
    path: Path | None = None
    after: dict[str, tuple[str, str]] = field(default_factory=dict)
    results: str | None = None
    runs_dir: str | None = None
    variant_optional: bool | list[str] | None = None


def chain_argument(method: str) -> str | None:
    """The registry's ``chain_argument`` of ``method`` (``None`` if unknown or not chainable)."""
    try:
        from seal.methods.registry import METHODS
    except Exception:  # noqa: BLE001 - registry unavailable: explicit arguments still work
        return None
    spec = METHODS.get(method)
    return getattr(spec, "chain_argument", None) if spec is not None else None


def _parse_after(value: Any, methods: list[str], where: str) -> dict[str, tuple[str, str]]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise GridError(f"{where}: 'after' must map a method to the method it starts from, got {value!r}")
    out: dict[str, tuple[str, str]] = {}
    for child, parent in value.items():
        child = str(child)
        arg = None
        if isinstance(parent, dict):
            unknown = sorted(set(parent) - {"from", "arg"})
            if unknown or "from" not in parent:
                raise GridError(f"{where}: after[{child}] must be a method name or {{from: METHOD, arg: ARGUMENT}}")
            arg = parent.get("arg")
            parent = parent["from"]
        if not isinstance(parent, str) or not parent:
            raise GridError(f"{where}: after[{child}] must name a method, got {parent!r}")
        for name in (child, parent):
            if name not in methods:
                raise GridError(f"{where}: after: {child} <- {parent}: {name!r} is not in the grid's methods")
        if child == parent:
            raise GridError(f"{where}: after: {child!r} cannot start from itself")
        arg = arg or chain_argument(child)
        if not arg:
            raise GridError(
                f"{where}: after[{child}]: method {child!r} takes no checkpoint argument in the registry; "
                "write {from: METHOD, arg: model.task_checkpoint|model.score_checkpoint}"
            )
        out[child] = (parent, str(arg).lstrip("-"))
    for start in out:  # no cycles
        seen, node = {start}, start
        while node in out:
            node = out[node][0]
            if node in seen:
                raise GridError(f"{where}: 'after' has a cycle through {node!r}")
            seen.add(node)
    return out


def restrict_grid(
    grid: Grid,
    *,
    datasets: Sequence[str] | None = None,
    methods: Sequence[str] | None = None,
    seeds: Sequence[int] | None = None,
) -> tuple[Grid, list[str]]:
    """A copy of ``grid`` running only the given datasets / methods / seeds (each ``None`` = all).

    The grid's order is kept. A selected method that starts from another one (``after``) keeps its parent in
    the plan (already recorded parent runs are skipped as usual, so nothing is rerun).

    Returns:
        ``(restricted grid, notes)``: the notes say which parent methods were added.

    Raises:
        GridError: a requested dataset, method or seed that the grid does not have (named in the message).
    """
    where = str(grid.path) if grid.path else "grid"
    notes: list[str] = []

    def pick(kind: str, have: list, want: Sequence | None) -> list:
        if want is None:
            return list(have)
        unknown = [w for w in want if w not in have]
        if unknown:
            raise GridError(
                f"{where}: --{kind} {' '.join(map(str, unknown))}: not in the grid's {kind} "
                f"({', '.join(map(str, have))})"
            )
        return [h for h in have if h in set(want)]

    keep_methods = pick("methods", grid.methods, methods)
    closure = set(keep_methods)
    for m in list(keep_methods):
        node = m
        while node in grid.after:
            node = grid.after[node][0]
            if node not in closure:
                closure.add(node)
                notes.append(f"{node} added: {m} starts from its checkpoints")
    restricted = replace(
        grid,
        datasets=pick("datasets", grid.datasets, datasets),
        methods=[m for m in grid.methods if m in closure],
        seeds=pick("seeds", grid.seeds, seeds),
        after={c: a for c, a in grid.after.items() if c in closure},
    )
    return restricted, notes


def _str_list(value: Any, name: str, where: str) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, (str, int, float)) for v in value):
        raise GridError(f"{where}: {name!r} must be a list of strings, got {value!r}")
    return [str(v) for v in value]


def _product_list(data: dict, key: str, where: str) -> list:
    """``datasets`` / ``methods`` / ``seeds`` as a list: a YAML list, or one value standing for a list of one
    (the same rule for the three keys); refused when missing, empty or listing a value twice."""
    if key not in data or data[key] is None or data[key] == []:
        raise GridError(f"{where}: {key!r} is required: a non-empty list (or a single value)")
    value = data[key]
    if not isinstance(value, list):
        value = [value]
    if key == "seeds":
        if not all(isinstance(s, int) and not isinstance(s, bool) for s in value):
            raise GridError(f"{where}: 'seeds' must be a list of integers (or one integer), got {data[key]!r}")
    else:
        if not all(isinstance(v, str) and v.strip() for v in value):
            raise GridError(f"{where}: {key!r} must be a list of names (or one name), got {data[key]!r}")
        value = [v.strip() for v in value]
    dups = [v for i, v in enumerate(value) if v in value[:i]]
    if dups:
        raise GridError(
            f"{where}: {key!r} lists {', '.join(map(str, dict.fromkeys(dups)))} more than once "
            f"({data[key]!r}); each must appear once, or the same run would be planned twice"
        )
    return value


def _yaml_error_line(exc: yaml.YAMLError) -> str:
    """One line for a YAML error: what went wrong and where (PyYAML's own text spans several lines)."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or getattr(exc, "context", None) or str(exc).splitlines()[0]
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    return f"{problem}{where}"


def load_grid(path: str | os.PathLike) -> Grid:
    """Read and validate a grid YAML file.

    ``datasets``, ``methods`` and ``seeds`` are each a non-empty list without repeats, or a single value (a list
    of one).

    Raises:
        GridError: missing or unreadable file, invalid YAML, unknown key (typo guard), missing required key,
            wrong type, a dataset / method / seed listed twice.
    """
    path = Path(path)
    where = str(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise GridError(f"grid file not found: {where}") from None
    except IsADirectoryError:
        raise GridError(f"{where} is a directory, not a grid file") from None
    except UnicodeDecodeError as exc:
        raise GridError(f"{where}: not a UTF-8 text file ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise GridError(f"{where}: cannot read the grid file: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise GridError(f"{where}: invalid YAML: {_yaml_error_line(exc)}") from None
    if not isinstance(data, dict):
        raise GridError(f"{where}: expected a mapping with datasets, methods, seeds")
    unknown = sorted(set(data) - _GRID_KEYS)
    if unknown:
        raise GridError(f"{where}: unknown key(s) {', '.join(unknown)}; known keys: {', '.join(sorted(_GRID_KEYS))}")
    datasets, methods, seeds = (_product_list(data, key, where) for key in ("datasets", "methods", "seeds"))
    variant = data.get("variant")
    if variant is not None and (not isinstance(variant, str) or not variant or "/" in variant):
        raise GridError(f"{where}: 'variant' must be a non-empty name without '/', got {variant!r}")
    optional = data.get("variant_optional")
    if optional is not None and not isinstance(optional, bool):
        optional = _str_list(optional, "variant_optional", where)
        stray = [m for m in optional if m not in methods]
        if stray:
            raise GridError(f"{where}: variant_optional: {', '.join(stray)} not in the grid's methods ({', '.join(methods)})")
    threads = data.get("threads", 1)
    if not isinstance(threads, int) or isinstance(threads, bool) or threads < 1:
        raise GridError(f"{where}: 'threads' must be a positive integer, got {threads!r}")
    per_run = data.get("per_run_overrides") or {}
    if not isinstance(per_run, dict):
        raise GridError(f"{where}: 'per_run_overrides' must map 'dataset/method' to a list of arguments")
    per_run = {str(k): _str_list(v, f"per_run_overrides[{k}]", where) for k, v in per_run.items()}
    for k in per_run:
        if k.count("/") != 1:
            raise GridError(f"{where}: per_run_overrides key {k!r} must look like 'dataset/method'")
    command = data.get("command")
    if command is not None:
        command = shlex.split(command) if isinstance(command, str) else _str_list(command, "command", where)
        if not command:
            raise GridError(f"{where}: 'command' is empty")
    paths = {}
    for key in ("results", "runs_dir"):
        value = data.get(key)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise GridError(f"{where}: {key!r} must be a non-empty path, got {value!r}")
        paths[key] = value
    return Grid(
        datasets=datasets,
        methods=methods,
        seeds=list(seeds),
        variant=variant,
        config_dir=str(data.get("config_dir", "configs")),
        overrides=_str_list(data.get("overrides") or [], "overrides", where),
        per_run_overrides=per_run,
        threads=threads,
        command=command,
        path=path,
        after=_parse_after(data.get("after"), methods, where),
        variant_optional=optional,
        **paths,
    )


# --------------------------------------------------------------------------------------------- runs


@dataclass(frozen=True)
class RunSpec:
    """One planned run.

    Attributes:
        dataset, method, variant, seed: what is run.
        config_file: the config used (``None`` if neither the variant nor the base config exists).
        run_dir: ``<runs_dir>/<dataset>/<method>[.<variant>]/seed<seed>``.
        overrides: CLI arguments appended to the command (grid-wide, then per-run).
        split_protocol: the split protocol expected from the config (checked again after the run).
        after: ``(parent method, CLI argument)`` when this run starts from another run's checkpoint.
        variant_missing: the grid's variant config that does not exist for this run, when it fell back to the
            base config (``config_file``); ``None`` otherwise.
    """

    dataset: str
    method: str
    variant: str | None
    seed: int
    config_file: Path | None
    run_dir: Path
    overrides: tuple[str, ...]
    split_protocol: str
    after: tuple[str, str] | None = None
    variant_missing: Path | None = None

    @property
    def key(self) -> RunKey:
        """The run key ``(dataset, method, variant, seed, split_protocol)``."""
        return (self.dataset, self.method, self.variant, self.seed, self.split_protocol)

    @property
    def label(self) -> str:
        """A short human-readable name, e.g. ``bibtex/cross-entropy (cpu) seed 0``."""
        variant = f" ({self.variant})" if self.variant else ""
        return f"{self.dataset}/{self.method}{variant} seed {self.seed}"

    @property
    def metrics_file(self) -> Path:
        """Where the run writes its ``metrics.json``."""
        return self.run_dir / "metrics.json"

    @property
    def log_file(self) -> Path:
        """Where the run's stdout and stderr go."""
        return self.run_dir / "log.txt"


def record_key(record: dict) -> RunKey:
    """The run key ``(dataset, method, variant, seed, split_protocol)`` of a results record."""
    seed = record.get("seed")
    return (
        str(record.get("dataset")),
        str(record.get("method")),
        record.get("variant") or None,
        int(seed) if isinstance(seed, (int, float)) else seed,
        str(record.get("split_protocol") or "default"),
    )


def record_key_str(record: dict) -> str:
    """``dataset/method/variant/seed`` (variant ``default`` when none), the form ``seal report --plot`` matches."""
    return f"{record.get('dataset')}/{record.get('method')}/{record.get('variant') or 'default'}/{record.get('seed')}"


#: ``seal fit`` options that change how a run shows its progress or logs, not what it trains: a grid's
#: ``overrides`` / ``per_run_overrides`` that set only these are the same run as one without them (existing grids
#: pass ``--trainer.enable_progress_bar=false``). Every other override is part of the run's identity
#: (:func:`override_identity`).
COSMETIC_OPTIONS: frozenset[str] = frozenset({
    "trainer.enable_progress_bar", "trainer.enable_model_summary", "trainer.log_every_n_steps",
})  # fmt: skip


def _option_name(flag: str) -> str:
    """``--trainer.init_args.max_epochs`` -> ``trainer.max_epochs``."""
    return ".".join(part for part in flag.lstrip("-").split(".") if part != "init_args")


def override_identity(overrides: Sequence[str], chain_argument: str | None = None) -> tuple[str, ...]:
    """The part of a run's CLI overrides that changes what is trained, as compared between a planned run and a
    record: each option as ``--name=value`` (``--name value`` joined, ``init_args`` dropped from the name), in
    the given order, without the :data:`COSMETIC_OPTIONS`.

    ``chain_argument`` (e.g. ``"model.task_checkpoint"``): that option is left out too. The runner appends it to
    a chained run (``after``) when the run starts, so the record of a chained run has it and the planned run
    does not; being last, it is the value the run used, whatever the overrides gave before it.
    """
    items: list[tuple[str | None, str]] = []  # (option name or None for a bare word, normalised text)
    args = [str(a) for a in overrides]
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if not arg.startswith("--") or arg == "--":
            items.append((None, arg))
            continue
        flag, eq, value = arg.partition("=")
        if not eq and i < len(args) and not args[i].startswith("--"):
            value, eq = args[i], "="
            i += 1
        name = _option_name(flag)
        items.append((name, f"--{name}={value}" if eq else f"--{name}"))
    left_out = COSMETIC_OPTIONS | ({_option_name(chain_argument)} if chain_argument else set())
    return tuple(text for name, text in items if name not in left_out)


def _spec_identity(spec: RunSpec) -> tuple[str, ...]:
    return override_identity(spec.overrides, spec.after[1] if spec.after else None)


def _record_identity(record: dict, spec: RunSpec) -> tuple[str, ...]:
    overrides = record.get("overrides") if isinstance(record.get("overrides"), list) else []
    return override_identity(overrides, spec.after[1] if spec.after else None)


def recorded_run(records: Sequence[dict], spec: RunSpec) -> tuple[str | None, dict | None]:
    """Whether ``spec`` is in ``records``: ``("done", record)`` when a record has its key and the same
    :func:`override_identity`; ``("conflict", record)`` when records have its key but all with other
    (non-cosmetic) overrides (the last such record); ``(None, None)`` when none has its key."""
    found = None
    identity = _spec_identity(spec)
    for rec in records:
        try:
            if record_key(rec) != spec.key:
                continue
        except (TypeError, ValueError):
            continue
        if _record_identity(rec, spec) == identity:
            return "done", rec
        found = rec
    return ("conflict", found) if found is not None else (None, None)


def _fmt_overrides(identity: Sequence[str]) -> str:
    return "[" + " ".join(identity) + "]" if identity else "[] (none)"


def conflict_message(results: str | os.PathLike, spec: RunSpec, record: dict, more: int = 0) -> str:
    """One line: ``spec`` is recorded in ``results`` only with other overrides than the grid's, both lists named
    (as compared: without the :data:`COSMETIC_OPTIONS`); ``more``: how many other runs of the grid are alike."""
    others = f" (and {more} more run{'s' if more != 1 else ''} of this grid likewise)" if more else ""
    return (
        f"{results}: {spec.label} [split {spec.split_protocol}] is recorded with overrides "
        f"{_fmt_overrides(_record_identity(record, spec))} but this grid runs it with {_fmt_overrides(_spec_identity(spec))}"
        f"{others}; not taking one for the other nor running over it: give this grid its own --results and "
        f"--runs-dir (overrides compared without {', '.join('--' + o for o in sorted(COSMETIC_OPTIONS))})"
    )


def _config_section(config: dict | None, name: str) -> dict:
    """``config[name]`` as a dict, looking through a ``class_path``/``init_args`` wrapper."""
    if not isinstance(config, dict):
        return {}
    section = config.get(name)
    if not isinstance(section, dict):
        return {}
    if isinstance(section.get("init_args"), dict):
        return {**section, **section["init_args"]}
    return section


def _override_value(overrides: Sequence[str], names: Iterable[str]) -> str | None:
    """The value given to any of ``--<name>`` in ``overrides`` (last one wins), else ``None``."""
    names = tuple(names)
    value = None
    for i, arg in enumerate(overrides):
        for name in names:
            flag = f"--{name}"
            if arg.startswith(flag + "="):
                value = arg[len(flag) + 1 :]
            elif arg == flag and i + 1 < len(overrides):
                value = overrides[i + 1]
    return value


@functools.lru_cache(maxsize=None)
def registry_default_protocol(dataset: str) -> str | None:
    """The dataset's default split protocol from :mod:`seal.data.registry`, or ``None`` if unavailable.

    Uses ``registry.get_spec(dataset).default_protocol``; tolerant of API changes (a ``get`` function or a ``DATASETS``
    mapping whose entries have ``default_protocol``/``protocol``/``split_protocol``); any failure gives ``None``.
    """
    try:
        from seal.data import registry
    except Exception:  # noqa: BLE001 - registry missing or broken: fall back to "default"
        return None
    spec = None
    for name in ("get_spec", "get_dataset_spec", "dataset_spec", "get"):
        fn = getattr(registry, name, None)
        if callable(fn):
            try:
                spec = fn(dataset)
            except Exception:  # noqa: BLE001
                spec = None
            if spec is not None:
                break
    if spec is None:
        for name in ("DATASETS", "REGISTRY", "SPECS"):
            mapping = getattr(registry, name, None)
            if isinstance(mapping, dict) and dataset in mapping:
                spec = mapping[dataset]
                break
    if spec is None:
        return None
    for attr in ("default_protocol", "protocol", "split_protocol"):
        value = spec.get(attr) if isinstance(spec, dict) else getattr(spec, attr, None)
        if isinstance(value, str) and value:
            return value
    return None


def resolve_split_protocol(dataset: str, protocol: Any) -> str:
    """``protocol`` if set, else the registry default of ``dataset``, else ``"default"``."""
    if isinstance(protocol, str) and protocol and protocol.lower() not in ("null", "none"):
        return protocol
    return registry_default_protocol(dataset) or "default"


def find_config_file(config_dir: str | os.PathLike, dataset: str, method: str, variant: str | None) -> Path | None:
    """``<config_dir>/<dataset>/<method>.<variant>.yaml`` if ``variant`` and it exists, else the base config
    ``<config_dir>/<dataset>/<method>.yaml`` if it exists, else ``None``."""
    base = Path(config_dir) / dataset
    if variant:
        candidate = base / f"{method}.{variant}.yaml"
        if candidate.is_file():
            return candidate
    candidate = base / f"{method}.yaml"
    return candidate if candidate.is_file() else None


def _read_yaml(path: Path) -> dict | None:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return None
    return data if isinstance(data, dict) else None


def plan_runs(grid: Grid, runs_dir: str | os.PathLike = "runs") -> list[RunSpec]:
    """Expand ``grid`` into the list of :class:`RunSpec` (datasets x methods x seeds, in that order).

    The expected split protocol of each run comes from ``--data.protocol`` in the overrides, else the
    config file's ``data.protocol``, else the dataset's registry default, else ``"default"``.
    """
    runs_dir = Path(runs_dir)
    specs = []
    for dataset in grid.datasets:
        for method in grid.methods:
            cfg = find_config_file(grid.config_dir, dataset, method, grid.variant)
            overrides = list(grid.overrides)
            for pattern, extra in grid.per_run_overrides.items():
                if fnmatch.fnmatchcase(f"{dataset}/{method}", pattern):
                    overrides += extra
            protocol = _override_value(overrides, ("data.protocol", "data.init_args.protocol"))
            if protocol is None and cfg is not None:
                protocol = _config_section(_read_yaml(cfg), "data").get("protocol")
            protocol = resolve_split_protocol(dataset, protocol)
            # a run is labelled with the grid's variant only when that variant's config exists; otherwise
            # it runs (and is reported as) the base config, e.g. cross-entropy needs no CPU-sized variant
            variant = grid.variant
            if variant and (cfg is None or cfg.name != f"{method}.{variant}.yaml"):
                variant = None
            leaf = f"{method}.{variant}" if variant else method
            fell_back = Path(grid.config_dir) / dataset / f"{method}.{grid.variant}.yaml" if (
                grid.variant and cfg is not None and variant is None) else None
            for seed in grid.seeds:
                specs.append(
                    RunSpec(
                        dataset=dataset,
                        method=method,
                        variant=variant,
                        seed=int(seed),
                        config_file=cfg,
                        run_dir=runs_dir / dataset / leaf / f"seed{seed}",
                        overrides=tuple(overrides),
                        split_protocol=protocol,
                        after=grid.after.get(method),
                        variant_missing=fell_back,
                    )
                )
    return specs


def _config_names(config_dir: str | os.PathLike) -> list[str]:
    """The dataset directories under ``config_dir`` (``grids`` excluded)."""
    try:
        return sorted(p.name for p in Path(config_dir).iterdir() if p.is_dir() and p.name != "grids")
    except OSError:
        return []


def _closest_methods(dataset_dir: Path, method: str) -> str:
    """``" (closest configs there: a, b)"`` for a method without a config in ``dataset_dir``, or ``""``."""
    import difflib

    try:
        names = sorted({p.name.split(".", 1)[0] for p in dataset_dir.glob("*.yaml")})
    except OSError:
        return ""
    close = difflib.get_close_matches(method, names, n=3, cutoff=0.6)
    return f" (closest methods with a config there: {', '.join(close)})" if close else ""


def check_datasets(grid: Grid) -> None:
    """Refuse a grid naming a dataset that has no ``<config_dir>/<dataset>/`` directory (a typo, usually), with
    the closest known names.

    Raises:
        GridError: one line naming the unknown dataset(s) and the closest names; a relative ``config_dir`` is
            shown resolved against the current directory (with what to do when that directory does not exist).
    """
    import difflib

    known = _config_names(grid.config_dir)
    unknown = [d for d in grid.datasets if not (Path(grid.config_dir) / d).is_dir()]
    if not unknown:
        return
    where = str(grid.path) if grid.path else "grid"
    parts = []
    for d in unknown:
        close = difflib.get_close_matches(d, known, n=3, cutoff=0.6)
        parts.append(f"{d!r}" + (f" (closest: {', '.join(close)})" if close else ""))
    config_dir = Path(grid.config_dir)
    resolved = ""
    if not config_dir.is_absolute():  # relative to the working directory, not to the grid file: say so
        absolute = Path.cwd() / config_dir
        resolved = f" (config_dir {grid.config_dir!r} is resolved against the current directory: {absolute}" + (
            ")" if absolute.is_dir() else ", which does not exist; run seal experiment from the repository root, "
            "or give the grid an absolute config_dir)")
    raise GridError(
        f"{where}: unknown dataset{'s' if len(unknown) > 1 else ''} {', '.join(parts)}: no such directory under "
        f"{grid.config_dir}/" + (f" (datasets there: {', '.join(known)})" if known and len(known) <= 40 else "")
        + resolved
    )


def variant_fallbacks(grid: Grid, planned: Sequence[RunSpec]) -> tuple[list[RunSpec], list[RunSpec]]:
    """The planned runs that fall back to their base config because the grid's ``variant`` has no config for
    them, as ``(allowed, refused)``: allowed when the grid's ``variant_optional`` is ``true`` or lists the run's
    method; refused otherwise, also without the key (:func:`variant_fallback_error`): a mistyped variant must not
    run the paper's configs in its place."""
    fell = [s for s in planned if s.variant_missing is not None]
    opt = grid.variant_optional
    if opt is True:
        return fell, []
    allowed_methods = set(opt) if isinstance(opt, list) else set()
    return [s for s in fell if s.method in allowed_methods], [s for s in fell if s.method not in allowed_methods]


def variant_fallback_error(grid: Grid, refused: Sequence[RunSpec]) -> GridError:
    """One line naming the missing variant configs of ``refused`` runs (each file once)."""
    where = str(grid.path) if grid.path else "grid"
    files = list(dict.fromkeys(str(s.variant_missing) for s in refused))
    return GridError(
        f"{where}: variant {grid.variant!r} has no config {', '.join(files)}; not running the base config in its "
        "place: fix 'variant', add the file(s), or list the method(s) in 'variant_optional'"
    )


def command_template(grid: Grid) -> list[str]:
    """The command template in force: ``$SEAL_EXPERIMENT_COMMAND``, else the grid's ``command``, else
    :data:`DEFAULT_COMMAND`."""
    env = os.environ.get(COMMAND_ENV)
    if env and env.strip():
        return shlex.split(env)
    if grid.command:
        return list(grid.command)
    return list(DEFAULT_COMMAND)


def check_run_arguments(planned: Sequence[RunSpec], grid: Grid) -> list[str]:
    """Problems with the ``seal fit`` arguments of the planned runs that have a config, one line each naming the
    run, found by parsing each distinct command as ``seal fit`` would (option names, value types, config files;
    :func:`seal.cli.lightning.check_fit_arguments`) without training anything. Only the default command template is
    checked (a grid's own ``command`` or ``$SEAL_EXPERIMENT_COMMAND`` may not be ``seal fit``); a chained run's
    checkpoint argument is checked with a placeholder path."""
    if os.environ.get(COMMAND_ENV, "").strip() or grid.command:
        return []
    from seal.cli.lightning import check_fit_arguments

    problems: list[str] = []
    seen: dict[tuple[str, ...], str | None] = {}
    n_fit = DEFAULT_COMMAND.index("fit") + 1
    for spec in planned:
        if spec.config_file is None:
            continue
        shown = spec
        if spec.after is not None:
            shown = replace(spec, overrides=(*spec.overrides, f"--{spec.after[1]}=<best checkpoint of the parent run>"))
        argv = build_command(shown, grid)[n_fit:]
        key = (str(spec.config_file), str(spec.after), *spec.overrides)  # seeds and run paths are always valid
        if key not in seen:
            try:
                check_fit_arguments(argv)
                seen[key] = None
            except ValueError as exc:
                seen[key] = str(exc)
        if seen[key] is not None:
            problems.append(f"{spec.label}: {seen[key]}")
    return problems


def build_command(spec: RunSpec, grid: Grid) -> list[str]:
    """The argv of one run: the formatted command template followed by ``spec.overrides``.

    Raises:
        GridError: the template uses an unknown placeholder.
    """
    values = {
        "python": sys.executable,
        "config": str(spec.config_file) if spec.config_file else "",
        "seed": str(spec.seed),
        "run_dir": str(spec.run_dir),
        "metrics_file": str(spec.metrics_file),
        "dataset": spec.dataset,
        "method": spec.method,
        "variant": spec.variant or "",
        "threads": str(grid.threads),
    }
    try:
        argv = [part.format(**values) for part in command_template(grid)]
    except (KeyError, IndexError, ValueError) as exc:
        raise GridError(f"command template: bad placeholder {exc}; known: {', '.join('{%s}' % k for k in values)}") from None
    return argv + list(spec.overrides)


# ------------------------------------------------------------------------------------------ results


@dataclass
class ResultsFile:
    """The parsed lines of a results file.

    Attributes:
        records: the JSON objects, in file order.
        problems: one message per line that was skipped (unparsable or not an object), naming file and line.
    """

    records: list[dict]
    problems: list[str]

    def keys(self) -> set[RunKey]:
        """The run keys present."""
        out = set()
        for r in self.records:
            try:
                out.add(record_key(r))
            except (TypeError, ValueError):
                continue
        return out


def read_results(path: str | os.PathLike) -> ResultsFile:
    """Read a JSON-lines results file; a missing file reads as empty.

    Lines that do not parse as a JSON object (e.g. a half-written trailing line left by a crash) are
    skipped and described in ``problems``; they never stop the reading.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return ResultsFile([], [])
    records, problems = [], []
    lines = data.split(b"\n")
    for lineno, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        trailing = lineno == len(lines)  # no newline after it: the writer was interrupted
        try:
            obj = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            what = "truncated trailing line (no newline; an interrupted write?)" if trailing else "unparsable line"
            problems.append(f"{path}:{lineno}: {what} skipped: {exc}")
            continue
        if not isinstance(obj, dict):
            problems.append(f"{path}:{lineno}: not a JSON object, skipped")
            continue
        records.append(obj)
    return ResultsFile(records, problems)


def _json_safe(value: Any) -> Any:
    """Non-finite floats become ``None`` so that the line is strict JSON."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


def append_result(path: str | os.PathLike, record: dict) -> None:
    """Append ``record`` as one JSON line to ``path`` (created if missing); never rewrites the file.

    The line is written with a single ``write`` on an ``O_APPEND`` descriptor under an exclusive ``flock``
    (so concurrent grids do not interleave), then ``fsync``-ed. If the file does not end with a newline
    (a crash left a half line), a newline is written first so that the new record stays parseable.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = (json.dumps(_json_safe(record), default=str, ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")
    created = not path.exists()
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        try:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX)
        except (ImportError, OSError):  # pragma: no cover - non-POSIX
            pass
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            data = b"\n" + data
        view = memoryview(data)
        while view:
            n = os.write(fd, view)
            view = view[n:]
        os.fsync(fd)
    finally:
        os.close(fd)  # also releases the lock
    if created:
        try:
            dfd = os.open(path.parent, os.O_RDONLY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)
        except OSError:  # pragma: no cover - platform without directory fsync
            pass


# -------------------------------------------------------------------------------------- environment


def _git(args: list[str], cwd: Path) -> str | None:
    try:
        out = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout if out.returncode == 0 else None


def git_commit(ignore: Iterable[str | os.PathLike] = ()) -> str | None:
    """``git rev-parse HEAD`` of the checkout holding this package, plus ``"+dirty"`` if it has changes.

    Changes under ``ignore`` (the results file, the runs directory) do not count. ``None`` outside a git
    checkout or before the first commit.
    """
    here = Path(__file__).resolve().parent
    top = _git(["rev-parse", "--show-toplevel"], here)
    if top is None:
        return None
    top_path = Path(top.strip())
    head = _git(["rev-parse", "HEAD"], top_path)
    if head is None:
        return None
    status = _git(["status", "--porcelain", "--untracked-files=normal"], top_path) or ""
    ignored = []
    for p in ignore:
        try:
            ignored.append(Path(p).resolve().relative_to(top_path).as_posix())
        except ValueError:
            continue
    dirty = any(not _under(line[3:].split(" -> ")[-1].strip().strip('"'), ignored) for line in status.splitlines())
    return head.strip() + ("+dirty" if dirty else "")


def _under(name: str, ignored: list[str]) -> bool:
    """Whether the git path ``name`` is one of ``ignored``, below one, or an untracked folder holding one."""
    for ig in ignored:
        ig = ig.rstrip("/")
        if name.rstrip("/") == ig or name.startswith(ig + "/") or (name.endswith("/") and ig.startswith(name)):
            return True
    return False


@functools.lru_cache(maxsize=1)
def _torch_info() -> tuple[str | None, str | None]:
    """``(torch version, CUDA device name or None)``, computed once.

    torch is imported only when its build could have CUDA (a ``+cpu`` build answers from its metadata).
    """
    try:
        from importlib.metadata import PackageNotFoundError, version

        installed = version("torch")
    except (ImportError, PackageNotFoundError):
        installed = None
    if installed is not None and installed.endswith("+cpu"):
        return installed, None
    try:
        import torch
    except Exception:  # noqa: BLE001
        return installed, None
    cuda = None
    try:
        if torch.cuda.is_available():
            cuda = torch.cuda.get_device_name(0)
    except Exception:  # noqa: BLE001 - a broken driver must not lose a finished run
        cuda = None
    return torch.__version__, cuda


def _device(config: dict | None, metrics: dict) -> str:
    """The device a run used: from ``metrics.json`` if it says, else inferred from ``trainer.accelerator``."""
    for source in (metrics, metrics.get("env") if isinstance(metrics.get("env"), dict) else {}):
        if isinstance(source.get("device"), str):
            return source["device"]
    accelerator = str(_config_section(config, "trainer").get("accelerator") or "auto").lower()
    _, cuda = _torch_info()
    if accelerator in ("auto", "gpu", "cuda") and cuda:
        return f"cuda:{cuda}"
    return "cpu"


def find_resolved_config(run_dir: Path, since: float | None = None) -> Path | None:
    """The newest ``config.yaml`` under ``run_dir`` (e.g. ``lightning_logs/version_N/config.yaml``).

    With ``since`` (a ``time.time()`` value), files older than it (left by an earlier attempt) are ignored.
    """
    found = []
    for p in run_dir.rglob("config.yaml"):
        try:
            mtime = p.stat().st_mtime
        except OSError:
            continue
        if since is None or mtime >= since - 1.0:
            found.append((mtime, str(p), p))
    return max(found)[2] if found else None


# ------------------------------------------------------------------------------------------ running


@dataclass
class RunResult:
    """The outcome of one executed run."""

    spec: RunSpec
    ok: bool
    returncode: int | None
    wall_s: float
    message: str = ""
    record: dict | None = None
    log_tail: list[str] = field(default_factory=list)


@dataclass
class GridSummary:
    """What :func:`run_grid` did.

    Attributes:
        planned: every run of the grid.
        skipped: runs already recorded (same key and overrides, :func:`recorded_run`).
        results: outcomes of the runs executed (empty for a dry run).
        missing_config: runs without a config file (counted as failed).
        problems: unparsable lines found in the results file.
        busy: runs not started because another process holds their run directory's lock (it is running
            them now); like failures they make the exit status non-zero, since the grid is not complete.
    """

    planned: list[RunSpec]
    skipped: list[RunSpec]
    results: list[RunResult]
    missing_config: list[RunSpec]
    problems: list[str]
    busy: list[RunSpec] = field(default_factory=list)

    @property
    def failed(self) -> list[RunResult]:
        """The executed runs that failed."""
        return [r for r in self.results if not r.ok]

    @property
    def exit_code(self) -> int:
        """0 if nothing failed (and no config was missing, and no run was busy elsewhere), else 1."""
        return 1 if self.failed or self.missing_config or self.busy else 0


def _tail(path: Path, offset: int, n: int = 15) -> list[str]:
    try:
        with open(path, "rb") as fh:
            fh.seek(offset)
            text = fh.read().decode("utf-8", errors="replace")
    except OSError:
        return []
    return text.rstrip("\n").splitlines()[-n:]


def _fmt_elapsed(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 3600:d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def main_metric(doc: dict) -> str:
    """The main test metric of a ``metrics.json`` document or results record: its task's
    (:func:`seal.tasks.task_of_record`: the ``task`` key, else the task of its ``dataset``, else multi-label)."""
    from seal.tasks import task_of_record

    return task_of_record(doc).main_metric


def _metric_label(key: str) -> str:
    from seal.tasks import TASKS

    return next((t.metric_label for t in TASKS.values() if t.main_metric == key), key)


def _collect_record(
    spec: RunSpec, argv: list[str], grid: Grid, started: float, wall_s: float, ignore: Iterable[Path]
) -> tuple[dict | None, str]:
    """Build the results record of a finished run, or ``(None, reason)`` if its outputs are unusable."""
    try:
        metrics_doc = json.loads(spec.metrics_file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, f"the run exited 0 but wrote no {spec.metrics_file}"
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        return None, f"cannot read {spec.metrics_file}: {exc}"
    if not isinstance(metrics_doc, dict):
        return None, f"{spec.metrics_file} is not a JSON object"
    metrics = metrics_doc.get("metrics") if isinstance(metrics_doc.get("metrics"), dict) else {}
    test = metrics.get("test") if isinstance(metrics.get("test"), dict) else {}
    main = main_metric(metrics_doc)
    if not isinstance(test.get(main), (int, float)):
        return None, f"{spec.metrics_file} has no metrics.test.{main} (was the test evaluation skipped?)"
    cfg_path = find_resolved_config(spec.run_dir, since=started)
    config = _read_yaml(cfg_path) if cfg_path else None
    protocol = resolve_split_protocol(spec.dataset, _config_section(config, "data").get("protocol")) if config else spec.split_protocol
    torch_version, _ = _torch_info()
    timings = metrics_doc.get("timings") if isinstance(metrics_doc.get("timings"), dict) else {}
    record = {
        "dataset": spec.dataset,
        "split_protocol": protocol,
        "method": spec.method,
        "variant": spec.variant,
        "seed": spec.seed,
        "config_file": str(spec.config_file) if spec.config_file else None,
        "resolved_config_file": str(cfg_path) if cfg_path else None,
        "config": config,
        "overrides": list(spec.overrides),
        "metrics": {"test": test, "val": metrics.get("val") if isinstance(metrics.get("val"), dict) else {}},
        "epochs": metrics_doc.get("epochs"),
        "best_epoch": metrics_doc.get("best_epoch"),
        "batches_seen": metrics_doc.get("batches_seen"),
        "timings": {
            "train_s": timings.get("train_s"),  # the whole run's fit seconds, earlier attempts included
            "train_s_attempt": timings.get("train_s_attempt"),  # this attempt's fit seconds
            "epoch_s_mean": timings.get("epoch_s_mean"),
            "infer_examples_per_s": timings.get("infer_examples_per_s"),
            "wall_s": wall_s,
        },
        "val_history": metrics_doc.get("val_history") or [],
        "env": {
            "torch": torch_version,
            "threads": grid.threads,
            "device": _device(config, metrics_doc),
            "git_commit": git_commit(ignore),
            "hostname": socket.gethostname(),
            "python": platform.python_version(),
        },
        "run_dir": str(spec.run_dir),
        "finished_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "command": argv,
        "grid": {"file": str(grid.path) if grid.path else None, "argv": ["seal", "experiment", *sys.argv[2:]] if sys.argv[1:2] == ["experiment"] else None},
    }
    note = ""
    if cfg_path is None:
        note = f"warning: no resolved config.yaml found under {spec.run_dir}; recorded config = null"
    elif protocol != spec.split_protocol:
        note = f"warning: split protocol {protocol!r} differs from the expected {spec.split_protocol!r}"
    return record, note


class _Active:
    """A run in progress."""

    def __init__(
        self, spec: RunSpec, argv: list[str], proc: subprocess.Popen, log: IO, offset: int, index: int, lock: int | None,
        resumed: int = 0,
    ):
        self.spec, self.argv, self.proc, self.log, self.offset, self.index = spec, argv, proc, log, offset, index
        self.echoed = offset  # how far the log has been scanned for per-epoch lines
        self.lock = lock
        self.resumed = resumed
        self.t0 = time.perf_counter()
        self.started = time.time()

    def close(self) -> None:
        """Close the log (if still open) and release the run directory's lock (clearing its holder record)."""
        self.log.close()
        _unlock_run(self.lock)
        self.lock = None


#: per-run lock file: held (``flock``) by the grid process that runs it, released when the run ends or that
#: process dies, so two grids never run the same run into the same directory at once. While a run is going
#: it also holds one JSON line naming the runner and the trainer process (pid, start time, host): a lock
#: file that still names a holder when the next grid takes it was left by a runner that died without
#: cleaning up; if that holder's trainer still lives the run is not started again, else the stale lock is
#: reported and taken over.
RUN_LOCK = ".seal-run.lock"

#: per-run state file (JSON, written atomically): the run's base command, its status (``running``,
#: ``interrupted``, ``failed``, ``done``) and how many times it was resumed from its ``last.ckpt``
RUN_STATE = ".seal-run.json"


def _try_lock_run(run_dir: Path) -> tuple[bool, int | None]:
    """``(True, fd)`` with an exclusive lock on ``run_dir/RUN_LOCK`` held through ``fd``, or ``(False, None)``
    when another process holds it. Without ``fcntl`` (non-POSIX) it always succeeds, with ``fd = None``."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - non-POSIX
        return True, None
    fd = os.open(run_dir / RUN_LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return False, None
    return True, fd


def _unlock_run(fd: int | None) -> None:
    if fd is not None:
        try:
            os.ftruncate(fd, 0)  # the run ended under our watch: no holder left behind
        except OSError:  # pragma: no cover
            pass
        os.close(fd)  # releases the flock


def _process_start(pid: int) -> int | None:
    """The start time of process ``pid`` in clock ticks since boot (``/proc/PID/stat`` field 22), or ``None``
    where ``/proc`` is not available or the process is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    try:
        return int(stat[stat.rindex(")") + 2 :].split()[19])
    except (ValueError, IndexError):  # pragma: no cover
        return None


def process_alive(pid: int, start: int | None = None) -> bool:
    """Whether process ``pid`` exists, is not a zombie and (when ``start`` is given and ``/proc`` is
    readable) is the same process that started at ``start`` (not a later one that reused the pid)."""
    if not isinstance(pid, int) or pid <= 0:
        return False
    stat_path = Path(f"/proc/{pid}/stat")
    if Path("/proc/self/stat").exists():
        try:
            stat = stat_path.read_text()
        except OSError:
            return False
        fields = stat[stat.rindex(")") + 2 :].split()
        if fields and fields[0] in ("Z", "X"):
            return False
        return start is None or _process_start(pid) == start
    try:  # pragma: no cover - non-Linux
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _read_holder(fd: int | None) -> dict | None:
    """The holder record a lock file holds (``None`` if empty or unreadable)."""
    if fd is None:
        return None
    try:
        raw = os.pread(fd, 65536, 0)
    except OSError:  # pragma: no cover
        return None
    if not raw.strip():
        return None
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return {"unreadable": raw[:200].decode("utf-8", errors="replace")}
    return doc if isinstance(doc, dict) else {"unreadable": str(doc)[:200]}


def _write_holder(fd: int | None, proc: subprocess.Popen) -> None:
    """Record this runner and its trainer ``proc`` in the lock file (one JSON line, fsync-ed)."""
    if fd is None:
        return
    doc = {
        "runner_pid": os.getpid(), "runner_start": _process_start(os.getpid()),
        "trainer_pid": proc.pid, "trainer_start": _process_start(proc.pid),
        "host": socket.gethostname(),
        "started_at": _dt.datetime.now().astimezone().isoformat(timespec="seconds"),
    }  # fmt: skip
    data = (json.dumps(doc) + "\n").encode("utf-8")
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, data, 0)
        os.fsync(fd)
    except OSError:  # pragma: no cover - a full disk must not stop the run
        pass


def stale_holder_status(holder: dict) -> tuple[str, str]:
    """``("alive" | "stale", description)`` of a holder record left in a lock file by an earlier runner.

    ``alive``: its trainer process still runs (same pid and start time), or it ran on another host (where
    it cannot be checked); ``stale``: neither the trainer nor the runner it names exists any more.
    """
    if "unreadable" in holder:
        return "stale", f"an unreadable holder record ({holder['unreadable']!r})"
    host = holder.get("host")
    trainer, runner = holder.get("trainer_pid"), holder.get("runner_pid")
    what = f"seal experiment pid {runner} (trainer pid {trainer}, started {holder.get('started_at')}, host {host})"
    if host and host != socket.gethostname():
        return "alive", what + "; it ran on another host, so whether it still runs cannot be checked here"
    if isinstance(trainer, int) and process_alive(trainer, holder.get("trainer_start")):
        return "alive", what
    if isinstance(runner, int) and process_alive(runner, holder.get("runner_start")):
        return "alive", what
    return "stale", what


def read_run_state(run_dir: str | os.PathLike) -> dict:
    """The run's state file ``RUN/.seal-run.json`` (``{}`` if missing or unreadable)."""
    try:
        doc = json.loads((Path(run_dir) / RUN_STATE).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError):
        return {}
    return doc if isinstance(doc, dict) else {}


def _write_run_state(run_dir: Path, **fields: Any) -> None:
    from seal.io import atomic_write_text

    doc = {**read_run_state(run_dir), **fields}
    doc["updated_at"] = _dt.datetime.now().astimezone().isoformat(timespec="seconds")
    try:
        atomic_write_text(run_dir / RUN_STATE, json.dumps(doc, indent=1) + "\n")
    except OSError:  # pragma: no cover - the run itself matters more than its bookkeeping
        pass


def last_checkpoint_of(run_dir: str | os.PathLike) -> Path | None:
    """The newest ``last.ckpt`` under ``run_dir`` (``lightning_logs/version_N/checkpoints/last.ckpt`` of any
    attempt), or ``None``."""
    found = []
    for p in Path(run_dir).rglob("last.ckpt"):
        try:
            found.append((p.stat().st_mtime, str(p), p))
        except OSError:
            continue
    return max(found)[2] if found else None


def resume_point(run_dir: Path, argv: list[str]) -> tuple[Path | None, int, str]:
    """Where a run about to start picks up: ``(last.ckpt or None, times resumed so far, note)``.

    A run resumes from its newest ``last.ckpt`` when its state file says the previous attempt was
    interrupted (the runner was stopped or killed, or the trainer got a signal) and the command is the same;
    a run that failed by itself, finished, or whose command changed starts again from scratch; the note
    says why (empty when there was no earlier attempt).
    """
    state = read_run_state(run_dir)
    status = state.get("status")
    if status not in ("running", "interrupted"):
        return None, 0, ("" if status is None else f"the previous attempt {status}; starting from scratch")
    last = last_checkpoint_of(run_dir)
    if last is None:
        return None, 0, "the interrupted attempt left no last.ckpt; starting from scratch"
    if state.get("argv") != list(argv):
        return None, 0, "the command differs from the interrupted attempt's; starting from scratch"
    try:
        from seal.training.checkpoint import load_checkpoint

        load_checkpoint(last)
    except (OSError, ValueError) as exc:
        return None, 0, f"cannot resume: {exc}; starting from scratch"
    resumed = state.get("resumed") if isinstance(state.get("resumed"), int) else 0
    return last, resumed + 1, f"resuming from {last}"


def _child_setup_fn(runner_pid: int):
    """The ``preexec_fn`` of every run: its own process group (the runner forwards Ctrl-C / SIGTERM to it, and
    a terminal's Ctrl-C reaches only the runner) and, on Linux, ``prctl(PR_SET_PDEATHSIG, SIGTERM)`` so the
    trainer dies with the runner even when the runner is killed with SIGKILL. libc is loaded here, in the
    runner, so that the forked child only makes two system calls."""
    if os.name != "posix":  # pragma: no cover - Windows has neither process groups nor preexec_fn
        return None
    prctl = None
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            prctl = ctypes.CDLL(None, use_errno=True).prctl
        except (OSError, AttributeError):  # pragma: no cover
            prctl = None

    def setup() -> None:  # pragma: no cover - runs in the forked child
        os.setpgid(0, 0)
        if prctl is not None:
            prctl(1, int(signal.SIGTERM), 0, 0, 0)  # PR_SET_PDEATHSIG = 1
            if os.getppid() != runner_pid:  # the runner died before the death signal was armed
                os._exit(1)

    return setup


def _stop_children(active: Sequence["_Active"], grace_s: float = 20.0) -> None:
    """Stop the runs in progress: SIGINT to each run's process group (``seal fit`` keeps its ``last.ckpt``
    and prints the resume line), SIGTERM after ``grace_s`` seconds, SIGKILL after as many again."""
    kill = getattr(signal, "SIGKILL", signal.SIGTERM)
    for sig, wait_s in ((signal.SIGINT, grace_s), (signal.SIGTERM, grace_s), (kill, 30.0)):
        alive = [a for a in active if a.proc.poll() is None]
        if not alive:
            return
        for a in alive:
            try:
                if not hasattr(os, "killpg"):  # pragma: no cover - Windows
                    raise ProcessLookupError
                os.killpg(a.proc.pid, sig)
            except (ProcessLookupError, PermissionError):
                try:
                    a.proc.send_signal(sig)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + wait_s
        for a in alive:
            try:
                a.proc.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass


def _raise_terminated(signum, frame):  # noqa: ARG001 - signal handler signature
    """SIGTERM handler during a grid: unwind like Ctrl-C so that the runs in progress are stopped."""
    raise KeyboardInterrupt(f"signal {signum}")


def _run_env(threads: int) -> dict[str, str]:
    env = dict(os.environ)
    for var in THREAD_ENV_VARS:
        env[var] = str(threads)
    env["PYTHONUNBUFFERED"] = "1"
    return env


#: per-epoch progress lines of ``seal fit`` (``seal.cli.lightning.EpochLines``) start with this
EPOCH_LINE_PREFIX = "seal: epoch "


def _new_epoch_lines(a: "_Active") -> list[str]:
    """The complete per-epoch lines a run wrote to its log since the last call (without the ``seal: `` prefix)."""
    try:
        with open(a.spec.log_file, "rb") as fh:
            fh.seek(a.echoed)
            chunk = fh.read()
    except OSError:
        return []
    end = chunk.rfind(b"\n")
    if end < 0:
        return []
    a.echoed += end + 1
    lines = chunk[: end + 1].decode("utf-8", errors="replace").splitlines()
    return [ln[len("seal: "):] for ln in lines if ln.startswith(EPOCH_LINE_PREFIX)]


def format_comparison(records: Sequence[dict]) -> str:
    """Mean ± standard deviation over seeds of each (dataset, method, variant) group's main test metric (x100),
    and for every group that is not cross-entropy its difference to the cross-entropy group of the same dataset
    (same variant if there is one, else the plain one), saying whether the difference is larger than the seed
    spread (both groups' standard deviations). Empty when no group has a cross-entropy partner."""
    import statistics

    groups: dict[tuple, list[float]] = {}
    for rec in records:
        key = main_metric(rec)
        value = (rec.get("metrics") or {}).get("test", {}).get(key)
        if isinstance(value, (int, float)):
            groups.setdefault((rec["dataset"], rec["method"], rec.get("variant") or "", key), []).append(100 * float(value))
    if not groups:
        return ""

    def name(g):
        return f"{g[1]}" + (f" ({g[2]})" if g[2] else "")

    def stats(vals):
        return statistics.mean(vals), (statistics.stdev(vals) if len(vals) > 1 else 0.0)

    width = max(len(f"{g[0]}  {name(g)}") for g in groups)
    lines = ["", "comparison (test, x100, mean ± std over seeds):"]
    for g in sorted(groups, key=lambda g: (g[0], g[1] != "cross-entropy", g[1], g[2])):
        m, sd = stats(groups[g])
        line = f"  {(g[0] + '  ' + name(g)).ljust(width)}  {_metric_label(g[3])} {m:6.2f} ± {sd:4.2f}  ({len(groups[g])} seed{'s' if len(groups[g]) != 1 else ''})"
        if g[1] != "cross-entropy":
            ref = next((r for r in ((g[0], "cross-entropy", g[2], g[3]), (g[0], "cross-entropy", "", g[3])) if r in groups), None)
            if ref is not None:
                rm, rsd = stats(groups[ref])
                diff = m - rm
                n_min = min(len(groups[g]), len(groups[ref]))
                verdict = (
                    "one seed each: no spread to compare with" if n_min < 2
                    else ("larger than the seed spread" if abs(diff) > max(sd, rsd) else "within the seed spread")
                )
                line += f"  {diff:+.2f} vs {name(ref)}: {verdict}"
        lines.append(line)
    return "\n".join(lines)


def format_metrics_table(records: Sequence[dict]) -> str:
    """Side-by-side test metrics (x100) of finished runs, with the metric conventions underneath.

    The columns and the conventions paragraph come from each run's task (:func:`seal.tasks.task_of_record`;
    :attr:`~seal.tasks.Task.summary_metrics`, :meth:`~seal.tasks.Task.conventions_text`): runs of several tasks
    get every task's columns (registry order, ``-`` where a run has no such metric) and each task's paragraph; a
    task without ``summary_metrics`` gets a column of its main metric.
    """
    from seal.tasks import TASKS, task_of_record

    present = {task_of_record(rec).name for rec in records}
    tasks = [t for t in TASKS.values() if t.name in present]
    cols: list[tuple[str, str]] = []
    for task in tasks:  # a task that names no columns gets its main metric
        cols += [c for c in task.summary_metrics or ((task.main_metric, task.metric_label),) if c not in cols]
    rows = []
    for rec in records:
        label = f"{rec['dataset']}/{rec['method']}" + (f" ({rec['variant']})" if rec.get("variant") else "") + f" seed {rec['seed']}"
        test = rec.get("metrics", {}).get("test", {})
        vals = [f"{100 * test[k]:.2f}" if isinstance(test.get(k), (int, float)) else "-" for k, _ in cols]
        t = rec.get("timings", {}).get("epoch_s_mean")
        rows.append([label, *vals, str(rec.get("epochs", "-")), f"{t:.2f}" if isinstance(t, (int, float)) else "-"])
    header = ["run", *(h for _, h in cols), "epochs", "s/epoch"]
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["", "test metrics (x100):", "  ".join(h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(header, widths)))]
    for r in rows:
        lines.append("  ".join(str(v).ljust(w) if i == 0 else str(v).rjust(w) for i, (v, w) in enumerate(zip(r, widths))))
    for paragraph in dict.fromkeys(task.conventions_text() for task in tasks):
        if paragraph:
            lines.append(paragraph)
    return "\n".join(lines)


def _parent_spec(spec: RunSpec, planned: Sequence[RunSpec]) -> RunSpec | None:
    """The planned run ``spec`` starts from (same dataset and seed, the ``after`` method)."""
    if spec.after is None:
        return None
    for p in planned:
        if p.method == spec.after[0] and p.dataset == spec.dataset and p.seed == spec.seed:
            return p
    return None


def best_checkpoint_of(run_dir: str | os.PathLike) -> Path | None:
    """The best checkpoint a finished run left: ``best_checkpoint`` of its ``metrics.json`` when that file
    exists, else the newest ``best*.ckpt`` under ``run_dir``; ``None`` if there is none."""
    run_dir = Path(run_dir)
    try:
        doc = json.loads((run_dir / "metrics.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError):
        doc = {}
    best = doc.get("best_checkpoint") if isinstance(doc, dict) else None
    if isinstance(best, str) and best and Path(best).is_file():
        return Path(best).resolve()
    found = []
    for p in run_dir.rglob("best*.ckpt"):
        try:
            found.append((p.stat().st_mtime, str(p), p))
        except OSError:
            continue
    return max(found)[2].resolve() if found else None


def _chain_placeholder(parent: RunSpec) -> str:
    return f"<best checkpoint of {parent.label}>"


def run_grid(
    grid: Grid,
    *,
    results: str | os.PathLike = "results/runs.jsonl",
    runs_dir: str | os.PathLike = "runs",
    jobs: int = 1,
    dry_run: bool = False,
    out: IO[str] | None = None,
    poll_s: float = 0.05,
    progress: bool = True,
) -> GridSummary:
    """Run (or, with ``dry_run``, list) the grid's runs, skipping those already in ``results``.

    A planned run whose key ``results`` holds only with other overrides (:func:`recorded_run`) refuses the whole
    grid before anything runs, dry run included (:class:`GridError`, one line naming both override lists).

    Up to ``jobs`` runs execute at once, each as a separate process with ``grid.threads`` torch threads
    (``OMP_NUM_THREADS`` etc. set in its environment). Every finished run prints a line with its elapsed
    time and test example-F1; successful runs are appended to ``results``; failed ones are reported with
    their exit code and the last lines of ``RUN_DIR/log.txt``. On ``KeyboardInterrupt`` (or SIGTERM) the runs in
    progress are stopped (SIGINT, then SIGTERM, then SIGKILL to their process groups), marked as interrupted
    so that the next call resumes them from their ``last.ckpt``, and the exception propagates (nothing
    half-done is recorded). Runs whose previous attempt was interrupted are resumed (see the module docstring).

    Returns:
        a :class:`GridSummary`; its ``exit_code`` is non-zero if any run failed.

    Raises:
        GridError: a planned run is recorded with other overrides (see above).
    """
    out = out or sys.stdout
    jobs = max(1, int(jobs))
    results = Path(results)

    def say(msg: str) -> None:
        try:
            print(msg, file=out, flush=True)
        except (BrokenPipeError, OSError, ValueError):  # a closed console must not kill a long grid
            pass

    check_datasets(grid)
    planned = plan_runs(grid, runs_dir)
    fallbacks, refused = variant_fallbacks(grid, planned)
    if refused:
        raise variant_fallback_error(grid, refused)
    existing = read_results(results)
    for p in existing.problems:
        say(f"warning: {p}")
    recorded = {s: recorded_run(existing.records, s) for s in planned}
    conflicts = [(s, rec) for s, (state, rec) in recorded.items() if state == "conflict"]
    if conflicts:  # a recorded run with other overrides is neither this grid's run nor to be run over
        raise GridError(conflict_message(results, *conflicts[0], more=len(conflicts) - 1))
    done = {s for s, (state, _) in recorded.items() if state == "done"}
    bad_args = check_run_arguments([s for s in planned if s not in done], grid)
    if bad_args:  # refuse the grid before anything runs, dry run included
        more = f" (and {len(bad_args) - 1} more run(s))" if len(bad_args) > 1 else ""
        raise GridError(f"seal fit would refuse {bad_args[0]}{more}; nothing was run")
    skipped = [s for s in planned if s in done]
    missing = [s for s in planned if s not in done and s.config_file is None]
    todo = [s for s in planned if s not in done and s.config_file is not None]
    summary = GridSummary(planned, skipped, [], missing, list(existing.problems))
    grid_name = grid.path.name if grid.path else "grid"
    say(
        f"seal experiment {grid_name}: {len(planned)} runs planned, {len(skipped)} already in {results}, "
        f"{len(todo)} to run" + (f", {len(missing)} without a config" if missing else "")
        + f" (jobs={jobs}, threads={grid.threads})"
    )
    for s in fallbacks:  # allowed by the grid's variant_optional
        say(f"  note: {s.label}: {s.variant_missing} does not exist; it runs the base config {s.config_file} "
            "(recorded without a variant)")
    for s in missing:
        base = f"{grid.config_dir}/{s.dataset}/{s.method}.yaml"
        say(
            f"  MISSING CONFIG {s.label}: "
            + (f"neither {grid.config_dir}/{s.dataset}/{s.method}.{grid.variant}.yaml nor {base} exists"
               if grid.variant else f"{base} does not exist")
            + _closest_methods(Path(grid.config_dir) / s.dataset, s.method)
        )
    for s in planned:
        if s.after is not None and _parent_spec(s, planned) is None:  # pragma: no cover - load_grid checks
            raise GridError(f"{s.label}: the run it starts from ({s.after[0]}) is not in the grid")
    if dry_run:
        for s in planned:
            if s in skipped:
                say(f"  skip  {s.label}  [split {s.split_protocol}]  (already recorded)")
            elif s.config_file is not None:
                shown = s
                after = ""
                if s.after is not None:
                    parent = _parent_spec(s, planned)
                    shown = replace(s, overrides=(*s.overrides, f"--{s.after[1]}={_chain_placeholder(parent)}"))
                    after = f"  (after {parent.label})"
                say(f"  run   {s.label}  [split {s.split_protocol}]  {s.config_file} -> {s.run_dir}{after}")
                say(f"        {shlex.join(build_command(shown, grid))}")
        return summary

    ignore = [results, Path(runs_dir)]
    if todo:
        _torch_info()  # import torch now, not while runs are waiting to be reaped
    total = len(todo)
    pending = deque(enumerate(todo, 1))
    active: list[_Active] = []
    t_grid = time.perf_counter()
    # chaining: run key -> "ok" / "failed" once known (recorded runs count as ok)
    status: dict[RunKey, str] = {s.key: "ok" for s in skipped}
    status.update({s.key: "failed" for s in missing})

    def parent_state(spec: RunSpec) -> tuple[str, RunSpec | None]:
        """("ready" | "wait" | "failed", parent spec) of a pending run."""
        if spec.after is None:
            return "ready", None
        parent = _parent_spec(spec, planned)
        state = status.get(parent.key) if parent is not None else "failed"
        if state is None:
            return "wait", parent
        return ("ready" if state == "ok" else "busy" if state == "busy" else "failed"), parent

    def chained(index: int, spec: RunSpec, parent: RunSpec) -> RunSpec | None:
        """``spec`` with ``--ARG=<parent's best checkpoint>`` appended, or ``None`` (reported as failed)."""
        run_dir = parent.run_dir
        state, rec = recorded_run(read_results(results).records, parent)
        if state == "done" and rec.get("run_dir"):
            run_dir = Path(rec["run_dir"])
        ckpt = best_checkpoint_of(run_dir)
        if ckpt is None:
            fail_unstarted(index, spec, f"no best checkpoint found for {parent.label} under {run_dir}")
            return None
        return replace(spec, overrides=(*spec.overrides, f"--{spec.after[1]}={ckpt}"))

    def fail_unstarted(index: int, spec: RunSpec, why: str) -> None:
        status[spec.key] = "failed"
        res = RunResult(spec, False, None, 0.0, f"not started: {why}")
        summary.results.append(res)
        say(f"[{index}/{total}] FAILED {spec.label}: {res.message}")

    def next_ready() -> tuple[int, RunSpec, RunSpec | None] | None:
        """Pop the first pending run whose parent (if any) has finished; failed parents fail their children."""
        rescan = True
        while rescan:  # a failure can release (as failed) runs already passed over in this scan
            rescan = False
            for item in list(pending):
                index, spec = item
                state, parent = parent_state(spec)
                if state == "wait":
                    continue
                pending.remove(item)
                if state in ("failed", "busy"):
                    what = parent.label if parent else spec.after[0]
                    why = (
                        f"the run it starts from ({what}) is running in another process; run the grid again once it has finished"
                        if state == "busy"
                        else f"the run it starts from ({what}) failed"
                    )
                    fail_unstarted(index, spec, why)
                    rescan = True
                    break
                return index, spec, parent
        return None

    def start(index: int, spec: RunSpec) -> None:
        base_argv = build_command(spec, grid)
        spec.run_dir.mkdir(parents=True, exist_ok=True)
        locked, lock = _try_lock_run(spec.run_dir)
        if locked:
            holder = _read_holder(lock)
            if holder is not None:
                state, who = stale_holder_status(holder)
                if state == "alive":
                    os.close(lock)  # release without clearing the holder record: that trainer still owns the run
                    locked = False
                    say(f"[{index}/{total}] note: {spec.run_dir / RUN_LOCK} names {who}, whose trainer is still running; "
                        "not starting a second trainer in that directory")
                else:
                    say(f"[{index}/{total}] note: stale lock {spec.run_dir / RUN_LOCK}: it was left by {who}, "
                        "which is gone; taking the run over")
        if not locked:
            status[spec.key] = "busy"
            summary.busy.append(spec)
            say(f"[{index}/{total}] skip  {spec.label}: another process is running it now ({spec.run_dir / RUN_LOCK} is locked)")
            return
        try:
            spec.metrics_file.unlink()  # a stale metrics.json must not pass for this run's
        except FileNotFoundError:
            pass
        resume_from, resumed, resume_note = resume_point(spec.run_dir, base_argv)
        argv = base_argv + (["--ckpt_path", str(resume_from)] if resume_from is not None else [])
        log = open(spec.log_file, "a", encoding="utf-8")
        now = _dt.datetime.now().astimezone().isoformat(timespec="seconds")
        if resume_note:
            log.write(f"=== seal experiment {now}: {resume_note}\n")
        log.write(f"=== seal experiment {now}: {shlex.join(argv)}\n")
        log.flush()
        offset = log.tell()
        what = f"resume {spec.label} (resumed {resumed}x) from {resume_from}" if resume_from else f"start {spec.label}"
        say(f"[{index:>{len(str(total))}}/{total} | {_fmt_elapsed(time.perf_counter() - t_grid)}] {what} -> {spec.run_dir}")
        if resume_note and resume_from is None:
            say(f"    {resume_note}")
        try:
            proc = subprocess.Popen(
                argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=_run_env(grid.threads),
                preexec_fn=child_setup,
            )
        except OSError as exc:
            log.write(f"seal experiment: cannot start the run: {exc}\n")
            log.close()
            _unlock_run(lock)
            status[spec.key] = "failed"
            res = RunResult(spec, False, None, 0.0, f"cannot start {argv[0]!r}: {exc}")
            summary.results.append(res)
            say(f"[{index}/{total}] FAILED {spec.label}: {res.message}")
            return
        _write_holder(lock, proc)
        _write_run_state(spec.run_dir, status="running", argv=base_argv, resumed=resumed,
                         ckpt_path=str(resume_from) if resume_from else None)
        active.append(_Active(spec, argv, proc, log, offset, index, lock, resumed))

    def finish(a: _Active, rc: int) -> None:
        try:
            ok = record_finished(a, rc)
            # a trainer stopped by a signal (Ctrl-C: 130, or killed) can resume; one that failed by itself cannot
            interrupted = not ok and (rc == 130 or rc < 0)
            _write_run_state(a.spec.run_dir, status="done" if ok else "interrupted" if interrupted else "failed")
        finally:
            a.close()  # the lock only now: the run is recorded, so no other grid can start it again

    def record_finished(a: _Active, rc: int) -> bool:
        wall = time.perf_counter() - a.t0
        a.log.close()
        head = f"[{a.index:>{len(str(total))}}/{total} | {_fmt_elapsed(time.perf_counter() - t_grid)}]"
        spec = a.spec
        if rc == 0:
            record, note = _collect_record(spec, a.argv, grid, a.started, wall, ignore)
            if record is not None:
                record["resumed"] = a.resumed
        else:
            record, note = None, f"exit code {rc}"
        status[spec.key] = "ok" if record is not None else "failed"
        if record is None:
            tail = _tail(spec.log_file, a.offset)
            summary.results.append(RunResult(spec, False, rc, wall, note, None, tail))
            say(f"{head} FAILED {spec.label} after {wall:.1f}s: {note}; last lines of {spec.log_file}:")
            for line in tail:
                say(f"    | {line}")
            return False
        state, other = recorded_run(read_results(results).records, spec)
        if state == "conflict":  # another grid recorded this key with other overrides meanwhile
            status[spec.key] = "failed"
            why = f"not recorded: {conflict_message(results, spec, other)}"
            summary.results.append(RunResult(spec, False, rc, wall, why, None))
            say(f"{head} FAILED {spec.label} after {wall:.1f}s: {why}")
            return False
        if state == "done":
            say(f"{head} note: {spec.label} was recorded meanwhile by another process; not appending again")
        else:
            append_result(results, record)
        summary.results.append(RunResult(spec, True, rc, wall, note, record))
        key = main_metric(record)
        f1 = record["metrics"]["test"][key]
        val = record["metrics"]["val"].get(key)
        val_s = f", val {100 * val:.2f}" if isinstance(val, (int, float)) else ""
        best = record.get("best_epoch")
        # 1-based for people, as the per-epoch lines (the record keeps Lightning's 0-based index)
        ep = f", best epoch {best + 1 if isinstance(best, int) else best} of {record['epochs']}" if record.get("epochs") is not None else ""
        say(f"{head} done  {spec.label} in {wall:.1f}s: test {_metric_label(key)} {100 * f1:.2f}{val_s}{ep}")
        if note:
            say(f"    {note}")
        return True

    child_setup = _child_setup_fn(os.getpid())
    previous_term = None
    if threading.current_thread() is threading.main_thread():
        previous_term = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        while pending or active:
            while pending and len(active) < jobs:
                picked = next_ready()
                if picked is None:
                    if not active:  # nothing can make progress (cannot happen with a validated grid)
                        while pending:
                            index, spec = pending.popleft()
                            fail_unstarted(index, spec, "the run it starts from never finished")
                    break
                index, spec, parent = picked
                # another grid may have done it meanwhile, or recorded its key with other overrides
                state, other = recorded_run(read_results(results).records, spec)
                if state == "done":
                    summary.skipped.append(spec)
                    status[spec.key] = "ok"
                    say(f"[{index}/{total}] skip  {spec.label}: recorded meanwhile")
                    continue
                if state == "conflict":
                    fail_unstarted(index, spec, conflict_message(results, spec, other))
                    continue
                if parent is not None:
                    spec = chained(index, spec, parent)
                    if spec is None:
                        continue
                start(index, spec)
            for a in list(active):
                rc = a.proc.poll()
                if progress:
                    for line in _new_epoch_lines(a):
                        say(f"  [{a.spec.label}] {line}")
                if rc is not None:
                    active.remove(a)
                    finish(a, rc)
            if active:
                time.sleep(poll_s)
    except BaseException:
        _stop_children(active)
        for a in active:
            _write_run_state(a.spec.run_dir, status="interrupted")
            a.close()
        say(
            f"interrupted: {len(active)} run(s) in progress were stopped and not recorded; rerun the same command "
            "to resume them from their last checkpoints"
        )
        raise
    finally:
        if previous_term is not None:
            signal.signal(signal.SIGTERM, previous_term)

    ok = [r for r in summary.results if r.ok]
    say(
        f"summary: {len(ok)} ok, {len(summary.failed)} failed, {len(summary.skipped)} skipped"
        + (f", {len(missing)} without a config" if missing else "")
        + (f", {len(summary.busy)} running in another process" if summary.busy else "")
        + f"; elapsed {_fmt_elapsed(time.perf_counter() - t_grid)}; results in {results}"
    )
    for r in ok:
        key = main_metric(r.record)
        say(f"  ok      {r.spec.label}: test {_metric_label(key)} {100 * r.record['metrics']['test'][key]:.2f} ({r.wall_s:.1f}s)")
    if ok:
        say(format_metrics_table([r.record for r in ok]))
        comparison = format_comparison([r.record for r in ok])
        if comparison:
            say(comparison)
        say(f"\nrecords: {results}; table and figures: seal report --results {results}")
    for r in summary.failed:
        say(f"  FAILED  {r.spec.label}: {r.message} (log: {r.spec.log_file})")
    for spec in summary.busy:
        say(f"  BUSY    {spec.label}: running in another process; not recorded by this one")
    return summary
