"""Post-hoc threshold study of finished text-MLC runs: macro-F1 with one threshold per label tuned on validation.

The GoEmotions anchors (macro-F1 0.46 BERT-base, 0.40 frozen MiniLM + linear head "with tuned thresholds") tune a
threshold per label; ``seal fit`` reports one global threshold per metric (``*_tuned``). This script loads each
run's best checkpoint (``results/runs.jsonl`` records of the text-mlc task), computes validation and test
probabilities once and prints, per run and as mean ± sample std per (dataset, method, variant): test macro-F1 at
0.5, at the global validation-tuned threshold, and with per-label validation-tuned thresholds (grid 0.05 ... 0.95,
ties towards 0.5), and micro-F1 likewise (global threshold).

    PYTHONPATH=src SEAL_DATA_DIR=... python benchmarks/text_thresholds.py [--results results/runs.jsonl]
        [--datasets reuters21578] [--variants cpu-top1 cpu-top1-w1]

Each run is evaluated at the maximum length of its own config (``data.max_length`` of the record), so a variant-B
run reads the cache it was trained on.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections import defaultdict

import torch

GRID = [k / 20 for k in range(1, 20)]


def per_label_thresholds(pv: torch.Tensor, yv: torch.Tensor) -> torch.Tensor:
    """``(L,)`` thresholds, each maximising that label's F1 on validation (``prob >= t``), ties towards 0.5."""
    best = torch.full((pv.shape[1],), 0.5)
    best_f1 = torch.full((pv.shape[1],), -1.0)
    for t in sorted(GRID, key=lambda g: (abs(g - 0.5), g)):  # first found wins ties: closest to 0.5
        pred = pv >= t
        tp = (pred & (yv > 0)).sum(0).float()
        fp = (pred & (yv == 0)).sum(0).float()
        fn = (~pred & (yv > 0)).sum(0).float()
        den = 2 * tp + fp + fn
        f1 = torch.where(den > 0, 2 * tp / den.clamp_min(1), torch.ones_like(den))
        better = f1 > best_f1
        best = torch.where(better, torch.tensor(t), best)
        best_f1 = torch.where(better, f1, best_f1)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--results", default="results/runs.jsonl")
    ap.add_argument("--datasets", nargs="*", help="only these datasets (default: every text-MLC record)")
    ap.add_argument("--variants", nargs="*", help="only these config variants (default: all)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    from seal.metrics.functional import macro_f1, micro_f1
    from seal.tasks.text_mlc.cli import tuned_threshold_metrics  # noqa: F401 (same grid and tie rule)
    from seal.tasks.text_mlc.datamodule import TextMLCDataModule
    from seal.tasks.text_mlc.module import TextMLCModule
    from seal.training.seal_module import unpack_batch

    from seal.experiments.runner import best_checkpoint_of
    from seal.tasks import task_of_record

    records = []
    for line in open(args.results, encoding="utf-8"):
        r = json.loads(line)
        if task_of_record(r).name != "text-mlc":
            continue
        if (args.datasets and r["dataset"] not in args.datasets) or (args.variants and r.get("variant") not in args.variants):
            continue
        best = best_checkpoint_of(r["run_dir"])  # the runner's rule (metrics.json, else the newest best*.ckpt)
        if best is not None:
            r["best_checkpoint"] = str(best)
            records.append(r)
        else:
            print(f"skipped (no best checkpoint under {r['run_dir']}): {r['dataset']} {r['method']} "
                  f"({r.get('variant')}) seed {r.get('seed')}", file=sys.stderr)
    dms: dict = {}
    rows = defaultdict(list)
    for r in records:
        model = TextMLCModule.load_from_checkpoint(r["best_checkpoint"])
        model.eval()
        max_length = int(((r.get("config") or {}).get("data") or {}).get("max_length") or 512)
        key = (r["dataset"], tuple(model.input_keys()), max_length)
        if key not in dms:
            dm = TextMLCDataModule(r["dataset"], batch_size=256, max_length=max_length, input_keys=list(key[1]))
            dm.setup("test")
            dms[key] = dm
        dm = dms[key]

        def probs(loader):
            ps, ys = [], []
            with torch.no_grad():
                for i, batch in enumerate(loader):
                    x, y, _ = unpack_batch(batch)
                    ps.append(model.eval_probs(x, i, "threshold study"))
                    ys.append(y)
            return torch.cat(ps), torch.cat(ys)

        pv, yv = probs(dm.val_dataloader())
        pt, yt = probs(dm.test_dataloader())
        th = per_label_thresholds(pv, yv)
        pred = pt >= th
        tp = (pred & (yt > 0)).sum(0).float()
        fp = (pred & (yt == 0)).sum(0).float()
        fn = (~pred & (yt > 0)).sum(0).float()
        den = 2 * tp + fp + fn
        macro_pl = float(torch.where(den > 0, 2 * tp / den.clamp_min(1), torch.ones_like(den)).mean())
        micro_pl = float(2 * tp.sum() / (2 * tp.sum() + fp.sum() + fn.sum()))
        t = r["metrics"]["test"]
        row = {"macro@0.5": float(macro_f1(pt, yt, 0.5)), "macro_global": t.get("macro_f1_tuned"),
               "macro_per_label": macro_pl, "micro@0.5": float(micro_f1(pt, yt, 0.5)),
               "micro_global": t.get("micro_f1_tuned"), "micro_per_label": micro_pl}
        label = f"{r['dataset']} {r['method']} ({r.get('variant')}) seed {r.get('seed')}"
        print(label + ": " + ", ".join(f"{k} {v:.4f}" for k, v in row.items() if v is not None), flush=True)
        rows[(r["dataset"], r["method"], r.get("variant"))].append(row)
    print("\nmean ± sample std over seeds (test, thresholds tuned on validation):")
    for (d, m, v), rs in rows.items():
        cells = []
        for k in rs[0]:
            vals = [x[k] for x in rs if x[k] is not None]
            if vals:
                sd = f" ± {statistics.stdev(vals):.4f}" if len(vals) > 1 else ""
                cells.append(f"{k} {statistics.fmean(vals):.4f}{sd}")
        print(f"  {d} {m} ({v}) n={len(rs)}: " + ", ".join(cells))


if __name__ == "__main__":
    main()
