"""``seal experiment GRID.yaml``: run a grid of datasets x methods x seeds, resumably.

Each run is a ``seal fit`` subprocess writing to ``runs/<dataset>/<method>[.<variant>]/seed<seed>``; each
successful run appends one JSON line to ``results/runs.jsonl``; runs already recorded there (same key and
overrides) are skipped, and a run recorded there with other overrides refuses the grid.
See :mod:`seal.experiments.runner` for the grid format.
"""

from __future__ import annotations

import argparse
import sys


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``seal experiment``."""
    from seal.experiments.runner import COSMETIC_OPTIONS

    cosmetic = ", ".join(f"--{name}" for name in sorted(COSMETIC_OPTIONS))
    parser = argparse.ArgumentParser(
        prog="seal experiment",
        description=(
            "Run datasets x methods x seeds from a grid YAML as `seal fit` subprocesses. Runs whose key "
            "(dataset, method, variant, seed, split protocol) is already in the results file with the same "
            "overrides are skipped, so an interrupted grid resumes where it stopped. Overrides are compared "
            f"without the cosmetic ones ({cosmetic}) and without the checkpoint argument `after` appends; a run "
            "recorded only with other overrides (e.g. a smoke run with --data.max_train_instances=64) refuses the grid "
            "before anything runs (exit 2, one line naming both override lists): give such a grid its own "
            "--results and --runs-dir. Exit status 1 if any run failed."
        ),
        epilog=(
            "grid keys: datasets, methods, seeds (each a list without repeats, or one value), variant, "
            "variant_optional (methods, or true, that may run their base config where the variant has no config; "
            "otherwise, and without this key, a missing variant config refuses the grid), config_dir, overrides, per_run_overrides, threads, "
            "command, after (chaining: a method starts from the best checkpoint of another method's run of the same "
            "dataset and seed, e.g. `after: {seal-static-nce: nce-gbi}`), results and runs_dir (this grid's own "
            "defaults for --results / --runs-dir). The command template can also be replaced with "
            "$SEAL_EXPERIMENT_COMMAND. An interrupted run (Ctrl-C, SIGTERM, or the runner killed) resumes from its "
            "last checkpoint, RUN/lightning_logs/version_N/checkpoints/last.ckpt, exactly as an uninterrupted run "
            "would go on; its record says how often (\"resumed\": N). A run that failed by itself starts again "
            "from scratch; only finished runs are skipped. Runs die with this command, even when it is killed."
        ),
    )
    parser.add_argument("grid", help="grid YAML file (e.g. configs/grids/ce-cpu.yaml)")
    parser.add_argument("--jobs", "-j", type=int, default=1, help="runs executed at once, each its own process (default 1)")
    parser.add_argument("--threads", type=int, default=None, help="torch threads per run (overrides the grid's `threads`)")
    parser.add_argument("--dry-run", action="store_true", help="list the planned runs and which would be skipped; run nothing")
    parser.add_argument("--no-progress", action="store_true",
                        help="do not echo each run's per-epoch validation lines (finished runs are still reported)")
    parser.add_argument("--results", default=None,
                        help="results file, appended to (default: the grid's `results`, else results/runs.jsonl)")
    parser.add_argument("--runs-dir", default=None,
                        help="root of the run directories (default: the grid's `runs_dir`, else runs)")
    parser.add_argument("--datasets", nargs="+", default=None, metavar="NAME",
                        help="run only these of the grid's datasets (default: all)")
    parser.add_argument("--methods", nargs="+", default=None, metavar="NAME",
                        help="run only these of the grid's methods (default: all); a method chained with "
                        "`after` keeps the method it starts from")
    parser.add_argument("--seeds", nargs="+", type=int, default=None, metavar="N",
                        help="run only these of the grid's seeds (default: all), e.g. one seed of every run "
                        "first and the others in a later session")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``seal experiment``; returns the exit status (0 ok, 1 a run failed, 2 bad usage, 130 interrupted)."""
    from seal.experiments.runner import GridError, load_grid, restrict_grid, run_grid

    args = build_parser().parse_args(argv)
    if args.jobs < 1:
        print("seal experiment: error: --jobs must be >= 1", file=sys.stderr)
        return 2
    try:
        grid = load_grid(args.grid)
        if args.threads is not None:
            if args.threads < 1:
                raise GridError("--threads must be >= 1")
            grid.threads = args.threads
        if args.datasets or args.methods or args.seeds:
            grid, notes = restrict_grid(grid, datasets=args.datasets, methods=args.methods, seeds=args.seeds)
            for note in notes:
                print(f"seal experiment: {note}", file=sys.stderr)
        results = args.results or grid.results or "results/runs.jsonl"
        runs_dir = args.runs_dir or grid.runs_dir or "runs"
        summary = run_grid(
            grid, results=results, runs_dir=runs_dir, jobs=args.jobs, dry_run=args.dry_run, progress=not args.no_progress
        )
    except GridError as exc:
        print(f"seal experiment: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("seal experiment: interrupted; rerun the same command to resume", file=sys.stderr)
        return 130
    return summary.exit_code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
