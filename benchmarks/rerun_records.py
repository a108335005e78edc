"""Rerun recorded runs with today's code and compare their test metrics with the records (a refactoring check).

Each run named on the command line (``dataset/method[.variant]/seed``) is looked up in the results file, rerun with
its recorded ``seal fit`` command (one thread, as the grid runner runs it) into a scratch directory, and its test
metrics are compared with the recorded ones. Chained runs (``--model.task_checkpoint`` /
``--model.score_checkpoint``) get the checkpoint of the rerun of the run they depend on when that is rerun in the
same call (name it first), else the recorded path. Prints one table: run, metric, recorded, rerun, difference,
bit-identical (yes / no), and the seed spread (std over the recorded seeds of the same dataset / method / variant).

    python benchmarks/rerun_records.py genbase/cross-entropy/0 genbase/seal-dynamic-nce.cpu-t/0 \\
        cal500/cross-entropy/0 cal500/spen-gbi.cpu/0 cal500/seal-static-margin.cpu/0 --out /tmp/rerun

Exit status 0 when every rerun finished (whether or not the values are equal), 1 when a rerun failed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MAIN_METRIC = {"weizmann_horse": "mean_iou"}


def key_of(rec: dict) -> str:
    variant = f".{rec['variant']}" if rec.get("variant") else ""
    return f"{rec['dataset']}/{rec['method']}{variant}/{rec['seed']}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("runs", nargs="+", help="dataset/method[.variant]/seed, dependencies first")
    ap.add_argument("--results", default=str(REPO / "results" / "runs.jsonl"))
    ap.add_argument("--out", default="/tmp/seal-rerun", help="scratch directory for the reruns")
    ap.add_argument("--json", help="also write the comparison as JSON here")
    args = ap.parse_args(argv)

    records = [json.loads(line) for line in Path(args.results).read_text().splitlines() if line.strip()]
    by_key = {key_of(r): r for r in records}
    out = Path(args.out)
    new_ckpt: dict[str, str] = {}  # recorded run directory -> the rerun's best checkpoint
    rows, failed = [], False
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "SEAL_NUM_THREADS": "1"}
    for key in args.runs:
        rec = by_key.get(key)
        if rec is None:
            print(f"{key}: no such record in {args.results}", file=sys.stderr)
            return 2
        run_dir = out / key.replace("/", "__")
        cmd = list(rec["command"])
        cmd[0] = sys.executable
        for i, a in enumerate(cmd):
            if a == "--trainer.default_root_dir":
                cmd[i + 1] = str(run_dir)
            elif a == "--metrics_file":
                cmd[i + 1] = str(run_dir / "metrics.json")
            elif a.startswith(("--model.task_checkpoint=", "--model.score_checkpoint=")):
                opt, path = a.split("=", 1)
                for recorded_dir, rerun_ckpt in new_ckpt.items():
                    if f"/{recorded_dir}/" in path or path.startswith(f"{recorded_dir}/"):
                        path = rerun_ckpt
                cmd[i] = f"{opt}={path}"
        # recorded options may use the flat model names from before the grouping of hyper-parameters
        from seal.cli.lightning import detect_task
        from seal.training.hparams import migrate_argv

        cmd = migrate_argv(cmd, detect_task(cmd[3:]))
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        if proc.returncode != 0:
            print(f"{key}: rerun failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}", file=sys.stderr)
            failed = True
            continue
        res = json.loads((run_dir / "metrics.json").read_text())
        if res.get("best_checkpoint"):  # a chained run names a checkpoint below the recorded run directory
            new_ckpt[rec["run_dir"].rstrip("/")] = res["best_checkpoint"]
        metric = MAIN_METRIC.get(rec["dataset"], "example_f1")
        old, new = rec["metrics"]["test"][metric], res["metrics"]["test"][metric]
        group = [r["metrics"]["test"][metric] for r in records
                 if (r["dataset"], r["method"], r.get("variant")) == (rec["dataset"], rec["method"], rec.get("variant"))]
        spread = statistics.stdev(group) if len(group) > 1 else float("nan")
        rows.append({
            "run": key, "metric": metric, "recorded": old, "rerun": new, "difference": new - old,
            "bit_identical": old == new, "seed_std": spread, "n_seeds": len(group), "wall_s": round(wall, 1),
            "command": " ".join(["seal", *cmd[3:]]),
        })
        print(f"{key}: {metric} recorded {old!r} rerun {new!r} ({'identical' if old == new else f'diff {new - old:+.3g}'}, {wall:.0f} s)",
              flush=True)
    print()
    print("| run | metric | recorded | rerun | difference | bit-identical | seed std (n) |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['run']} | {r['metric']} | {r['recorded']:.6f} | {r['rerun']:.6f} | {r['difference']:+.2e} | "
              f"{'yes' if r['bit_identical'] else 'no'} | {r['seed_std']:.4f} ({r['n_seeds']}) |")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
