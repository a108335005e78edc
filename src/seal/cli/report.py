"""``seal report``: render ``docs/results.md`` (and validation-curve PNGs) from ``results/runs.jsonl``.

See :mod:`seal.experiments.report` for what the report contains.
"""

from __future__ import annotations

import argparse
import sys


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``seal report``."""
    parser = argparse.ArgumentParser(
        prog="seal report",
        description=(
            "Render a markdown results report from the JSON-lines records written by `seal experiment`: test "
            "example-F1 (mean ± sample std over seeds) beside the paper's secondary-source numbers, other "
            "metrics, timings, and validation-F1 curves."
        ),
    )
    parser.add_argument("--results", default="results/runs.jsonl", help="results file (default results/runs.jsonl)")
    parser.add_argument("--out", default="docs/results.md", help="markdown file to write (default docs/results.md)")
    parser.add_argument(
        "--plot",
        nargs="+",
        action="extend",
        metavar="RUNKEY",
        help=(
            "plot the validation main metric of each run's task (example-F1, mean IoU for segmentation, labeled F1 "
            "for SRL) per epoch of the runs matching RUNKEY "
            "(dataset/method/variant/seed, variant 'default' when none, e.g. bibtex/seal-dynamic-nce/cpu/0; a substring also matches); one figure per key. "
            "Default: per report section (each task's families: feature-based MLC, extra MLC, segmentation, text MLC, "
            "SRL), the first seed of each method on the section's first dataset that has two or more methods"
        ),
    )
    parser.add_argument("--figures-dir", default="docs/figures", help="where PNG figures go (default docs/figures)")
    parser.add_argument("--no-plots", action="store_true", help="draw no figures")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``seal report``; returns 0 on success, 2 if there is nothing to report or a bad --plot key."""
    from seal.experiments.report import ReportError, format_command, write_report

    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    try:
        out = write_report(
            args.results,
            args.out,
            plots=args.plot,
            figures_dir=args.figures_dir,
            no_plots=args.no_plots,
            command=format_command(argv),
        )
    except ReportError as exc:
        print(f"seal report: error: {exc}", file=sys.stderr)
        return exc.code
    print(f"seal report: wrote {out}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
