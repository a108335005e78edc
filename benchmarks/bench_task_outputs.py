"""The S stacked no-grad task-net passes of a SEAL-dynamic batch, first layer computed once vs on the stacked batch.

``SEALModule.task_outputs`` gives the feature-MLC task-net the batch once (``MLCTaskNet.forward_repeated``: the first
``Linear`` and softplus on ``(B, D)``, stacked ``S`` times before the first dropout) instead of ``S`` stacked copies.
For each dataset, two modules with identical weights train interleaved, batch by batch, under the same seeds:
``stacked`` (``forward_repeated`` switched off, the code before) and ``once``. Printed: median seconds per training
batch (the whole T x (S + 1) schedule), the ratio, and whether every parameter is bit-identical after the timed
batches (it is where the BLAS uses one kernel for B and S·B rows).

Usage::

    SEAL_DATA_DIR=../shared/data python benchmarks/bench_task_outputs.py --datasets bibtex delicious --batches 20
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_sparse import _warm_task_net  # noqa: E402
from bench_train import build, interleaved_medians, ready_for_steps  # noqa: E402


def compare(dataset: str, method: str, n_batches: int, warm: int) -> tuple:
    torch.manual_seed(0)
    dm, stacked = build(dataset, method, {})
    torch.manual_seed(0)
    _, once = build(dataset, method, {})
    loader = dm.train_dataloader()
    batches = []
    for b in loader:
        batches.append(b)
        if len(batches) >= n_batches:
            break
    _warm_task_net(stacked, loader, warm)
    once.load_state_dict(stacked.state_dict())
    stacked.task_net.forward_repeated = None  # task_outputs falls back to the stacked batch
    mods = {"stacked": stacked, "once": once}
    for m in mods.values():
        ready_for_steps(m)
        torch.manual_seed(99)
        m.training_step(batches[0], 0)  # warm-up
    med = interleaved_medians(mods, batches)
    same = all(torch.equal(p, q) for p, q in zip(stacked.parameters(), once.parameters()))
    hp = once.flat_hparams
    s, o = med["stacked"], med["once"]
    return dataset, method, f"{hp['loss_net_steps']}/{hp['task_net_steps']}/{hp['num_samples']}", s, o, len(loader), same


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--datasets", nargs="+", default=["bibtex", "delicious"])
    ap.add_argument("--method", default="seal-dynamic-nce")
    ap.add_argument("--batches", type=int, default=20)
    ap.add_argument("--warm-batches", type=int, default=200)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    print(f"threads {args.threads}, {args.batches} timed batches per arm, interleaved; medians")
    print("| dataset | method (S/T/K) | stacked ms/batch | once ms/batch | stacked / once | s/epoch stacked -> once | bit-identical |")
    print("|---|---|---|---|---|---|---|")
    for ds in args.datasets:
        d, m, stk, s, o, n, same = compare(ds, args.method, args.batches, args.warm_batches)
        print(f"| {d} | {m} ({stk}) | {s * 1e3:.1f} | {o * 1e3:.1f} | **{s / o:.2f}x** | {s * n:.1f} -> {o * n:.1f} | {same} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
