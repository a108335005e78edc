"""``seal migrate-config``: rewrite config files written before the hyper-parameters were grouped per concern.

Since the grouping (:mod:`seal.training.hparams`), a ``model:`` block says ``task_net: {hidden: 400}`` instead of
``hidden: 400``, ``sampler: {num_samples: 20}`` instead of ``num_samples: 20``, and so on. ``seal fit`` refuses the
old flat keys, naming each key's new place; this command rewrites the files (atomically, keeping their header
comments; values unchanged; comments inside the body are printed, to be put back by hand).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Exit status 0 when every file was rewritten or had nothing to move (or, with ``--check``, when none needs
    it); 1 with ``--check`` when a file needs it; 2 when a file cannot be read or parsed (the others are still
    done)."""
    ap = argparse.ArgumentParser(prog="seal migrate-config", description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="+", type=Path, help="YAML config files (``seal fit --config`` files)")
    ap.add_argument("--task", help="task of files without a 'task:' key (default: multilabel)")
    ap.add_argument("--check", action="store_true", help="only list the files that need it; write nothing")
    args = ap.parse_args(argv)

    from seal.io import atomic_write_text
    from seal.training.hparams import migrate_config_text

    status = 0
    for path in args.files:
        try:
            text = path.read_text(encoding="utf-8")
            new, moved, dropped = migrate_config_text(text, args.task)
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            print(f"{path}: cannot migrate: {exc}", file=sys.stderr)
            status = 2
            continue
        except Exception as exc:  # yaml.YAMLError without importing yaml here
            print(f"{path}: cannot migrate: {type(exc).__name__}: {exc}", file=sys.stderr)
            status = 2
            continue
        if not moved:
            print(f"{path}: nothing to move")
            continue
        if args.check:
            print(f"{path}: needs migration ({len(moved)} flat keys: {', '.join(moved)})")
            status = max(status, 1)
            continue
        atomic_write_text(path, new)
        print(f"{path}: {len(moved)} keys grouped ({', '.join(moved)})")
        for line in dropped:
            print(f"{path}: a comment inside the file was not kept, add it back where it belongs: {line}")
    return status
