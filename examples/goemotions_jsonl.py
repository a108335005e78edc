"""Write a small "own files" sample in seal's JSON-lines text format from the GoEmotions files of the data directory.

    python examples/goemotions_jsonl.py --train 400 --test 100 --out .   # writes ./train.jsonl and ./test.jsonl

Each line is ``{"text": ..., "labels": [label names]}`` (the first N comments of GoEmotions' train.tsv / test.tsv,
label ids mapped to the names in labels.txt). The data directory is ``$SEAL_DATA_DIR`` (or ``--data-dir``); the files
are read in place and nothing is copied elsewhere. Used by the README's "Your own data" text example.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path


def convert(tsv: Path, out: Path, n: int, names: list[str]) -> int:
    """Write the first ``n`` rows of a GoEmotions TSV (``text<TAB>ids<TAB>id``) to ``out`` as JSON lines."""
    written = 0
    with open(tsv, encoding="utf-8") as src, open(out, "w", encoding="utf-8") as dst:
        for line in src:
            if written == n:
                break
            text, ids, _ = line.rstrip("\n").split("\t")
            dst.write(json.dumps({"text": text, "labels": [names[int(k)] for k in ids.split(",")]}) + "\n")
            written += 1
    return written


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data-dir", default=os.environ.get("SEAL_DATA_DIR"), help="default: $SEAL_DATA_DIR")
    p.add_argument("--train", type=int, default=400, help="documents in train.jsonl")
    p.add_argument("--test", type=int, default=100, help="documents in test.jsonl")
    p.add_argument("--out", default=".", help="output folder")
    args = p.parse_args(argv)
    if not args.data_dir:
        p.error("give --data-dir or set SEAL_DATA_DIR")
    src = Path(args.data_dir) / "goemotions"
    names = [n for n in (src / "labels.txt").read_text(encoding="utf-8").splitlines() if n]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for split, n in (("train", args.train), ("test", args.test)):
        k = convert(src / f"{split}.tsv", out / f"{split}.jsonl", n, names)
        print(f"wrote {out / f'{split}.jsonl'}: {k} documents")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
