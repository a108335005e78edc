"""The ``seal`` command: a thin dispatcher to sub-commands.

``seal data ...``        dataset registry: list, info, verify, fetch
``seal fit|test|predict`` LightningCLI-driven training / evaluation / prediction (YAML configs optional)
``seal experiment GRID``  run datasets x methods x seeds, resumable, into results/runs.jsonl
``seal report``           render docs/results.md from results/runs.jsonl
``seal migrate-config F``  rewrite old flat ``model:`` keys of config files into their groups
"""

from __future__ import annotations

import sys

_COMMANDS = {
    "data": ("seal.cli.data", "main", "dataset registry: list, info, verify, fetch"),
    "fit": ("seal.cli.lightning", "fit_main", "train a model (LightningCLI: YAML --config files and/or options), then test it"),
    "test": ("seal.cli.lightning", "test_main", "evaluate a checkpoint on the test split"),
    "predict": ("seal.cli.predict", "main", "write predictions (JSONL/CSV) for a data file (ARFF, LibSVM, CSV/TSV, text JSONL) or dataset split"),
    "experiment": ("seal.cli.experiment", "main", "run a grid of datasets x methods x seeds (resumable)"),
    "report": ("seal.cli.report", "main", "render docs/results.md from results/runs.jsonl"),
    "migrate-config": ("seal.cli.migrate", "main", "rewrite config files with flat model: keys into the grouped form"),
}


def _usage() -> str:
    lines = [
        "usage: seal <command> [options]",
        "",
        "SEAL -- Structured Energy Network As a Loss (Lee et al., NeurIPS 2022).",
        "",
        "commands:",
    ]
    for name, (_, _, helptext) in _COMMANDS.items():
        lines.append(f"  {name:<11} {helptext}")
    lines += ["", "Run `seal <command> --help` for the options of a command."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    if argv is None and sys.argv[1:2] and sys.argv[1] in ("fit", "experiment"):
        _restore_ctrl_c()
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(_usage())
        return 0
    if argv[0] in ("-V", "--version"):
        from seal import __version__

        print(__version__)
        return 0
    cmd = argv[0]
    if cmd not in _COMMANDS:
        print(f"seal: unknown command {cmd!r}\n\n{_usage()}", file=sys.stderr)
        return 2
    import importlib

    _quiet_known_noise()
    module_name, func_name, _ = _COMMANDS[cmd]
    func = getattr(importlib.import_module(module_name), func_name)
    rc = func(argv[1:])
    return int(rc or 0)


def _restore_ctrl_c() -> None:
    """Make Ctrl-C (SIGINT) reach ``seal fit`` / ``seal experiment`` even when the parent started the process with
    SIGINT ignored or blocked (a script's background job ``cmd &``, some job runners and test workers): both are
    inherited across ``exec``, and Python then never raises ``KeyboardInterrupt``, so ``seal fit`` could not keep its
    ``last.ckpt`` and print the resume line, and the runner could not forward the signal to its runs. Only for a
    real process entry (``main()`` without ``argv``), never for an in-process call."""
    import signal

    try:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
        signal.signal(signal.SIGINT, signal.default_int_handler)
    except (AttributeError, ValueError, OSError):  # pragma: no cover - no SIGINT / not the main thread
        pass


def _quiet_known_noise() -> None:
    """Silence third-party chatter that says nothing about the user's run (set SEAL_VERBOSE=1 to keep it)."""
    import logging
    import os
    import warnings

    _plain_seal_warnings()
    if os.environ.get("SEAL_VERBOSE"):
        return
    warnings.filterwarnings("ignore", message=r".*LeafSpec.*")
    # `seal fit ...` hands LightningCLI its own argv explicitly; the CLI warns that sys.argv is also set
    warnings.filterwarnings("ignore", message=r".*LightningCLI's args parameter is intended.*")
    warnings.filterwarnings("ignore", message=r".*number of training batches.*logging interval.*")
    warnings.filterwarnings("ignore", message=r".*tensorboardX.*")
    warnings.filterwarnings("ignore", message=r".*does not have many workers.*")
    for name in ("lightning.pytorch.utilities.rank_zero", "lightning.fabric.utilities.rank_zero"):
        logging.getLogger(name).setLevel(logging.WARNING)


def _plain_seal_warnings() -> None:
    """Show seal's own warnings (e.g. a stale MEKA header) as ``seal: warning: ...``, without a source line."""
    import warnings

    default = warnings.formatwarning

    def fmt(message, category, filename, lineno, line=None):
        if getattr(category, "__module__", "").startswith("seal."):
            return f"seal: warning: {message}\n"
        return default(message, category, filename, lineno, line)

    warnings.formatwarning = fmt


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
