"""Sparse vs dense candidates (and inputs): per-step and per-epoch ratios, and a loss-net step's scaling in L.

Two tables, both measured in one process with the dense and the sparse path **interleaved** repetition by
repetition (medians), at every thread count given by ``--threads`` (default 1 and 2):

1. ``scaling``: one NCE loss-net step (fresh no-grad task-net forward with dropout, K Bernoulli samples + the
   gold, loss-net forward / backward, fused AdamW) at ``B=32, K=20, D=500, H=400, G=200`` for
   ``L = 159, 983, 4000, 16000`` (synthetic data beyond the real sets). The gold has ``min(0.02·L, 20)`` labels
   (delicious has 19 per row on average) and the task-net's logits are shifted so that its mean probability
   equals that density, the regime of a trained task-net (an untrained one has ``p ≈ 0.5`` everywhere, which
   no sampler can make sparse).
2. ``methods``: for each dataset and method (``configs/<dataset>/<method>.yaml``, the paper's settings), two
   modules with identical weights, ``sparse: dense`` (today's path: dense candidates, dense inputs) and
   ``sparse: auto`` (sparse candidates; with ``--sparse-inputs`` the batches are also handed over as CSR, as a
   DataModule serving sparse rows would; the MultiLabelDataModule serves dense rows). Before timing, the task-net of both is trained with cross-entropy
   for ``--warm-batches`` batches so that its probabilities are those of a training run past its first
   minutes (see 1.). Then ``--batches`` training batches (the whole T x (S + 1) schedule each) are timed,
   alternating dense / sparse per batch; the per-epoch time is the median batch time x batches per epoch.
   ``loss-net step`` is one ``loss_net_step`` on the first batch, timed the same way.

Usage::

    SEAL_DATA_DIR=../shared/data python benchmarks/bench_sparse.py
    python benchmarks/bench_sparse.py --datasets delicious --methods seal-dynamic-nce --batches 200 --threads 1
    python benchmarks/bench_sparse.py --skip-methods            # the scaling table only

Absolute times vary with the machine and its load; the ratios printed side by side travel.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_train import build  # noqa: E402

SCALING_L = (159, 983, 4000, 16000)


def _median_ms(xs):
    return 1e3 * statistics.median(xs)


# ------------------------------------------------------------------------------------------- scaling
def scaling_table(labels=SCALING_L, reps: int = 9, B=32, K=20, D=500, H=400, G=200) -> list[tuple]:
    from seal.energies.mlc import MLCScoreNet
    from seal.objectives.loss_net import NCERankingLoss
    from seal.task_nets.mlc import MLCTaskNet

    rows = []
    for L in labels:
        torch.manual_seed(0)
        density = min(0.02, 20.0 / L)
        x = torch.randn(B, D)
        y = (torch.rand(B, L) < density).float()
        task = MLCTaskNet(D, L, H, 2, [0.5, 0.0])
        with torch.no_grad():  # calibrate the logits to a trained task-net's mean probability ~ density
            z0 = task(x)
            scale = 1.5 / float(z0.std())
            shift = math.log(density) - 1.125 - float(z0.mean()) * scale
        nets = {m: MLCScoreNet(D, L, H, 2, [0.5, 0.0], G) for m in ("dense", "sparse")}
        nets["sparse"].load_state_dict(nets["dense"].state_dict())
        opts = {m: torch.optim.AdamW(n.parameters(), lr=1e-4, fused=True) for m, n in nets.items()}
        objs = {m: NCERankingLoss(K, sparse="dense" if m == "dense" else "auto") for m in nets}

        def step(m):
            with torch.no_grad():
                z = task(x) * scale + shift
            loss = objs[m](nets[m], x, y, z)
            opts[m].zero_grad(set_to_none=True)
            loss.backward()
            opts[m].step()

        for m in nets:
            step(m)
            step(m)
        times = {m: [] for m in nets}
        n = reps if L <= 4000 else max(3, reps // 2)
        for _ in range(n):
            for m in nets:
                t = time.perf_counter()
                step(m)
                times[m].append(time.perf_counter() - t)
        with torch.no_grad():
            p = torch.sigmoid(task(x) * scale + shift)
        rows.append((L, float(p.mean()), _median_ms(times["dense"]), _median_ms(times["sparse"])))
    return rows


def print_scaling(rows, threads: int) -> None:
    print(f"\nloss-net NCE step vs L (B=32, K=20, D=500, H=400, G=200; threads {threads}; medians, interleaved)")
    hdr = f"{'L':>7}{'mean p':>9}{'dense ms':>11}{'sparse ms':>11}{'dense/sparse':>14}"
    print(hdr)
    print("-" * len(hdr))
    for L, p, d, s in rows:
        print(f"{L:>7}{p:>9.4f}{d:>11.2f}{s:>11.2f}{d / s:>13.2f}x")
    if len(rows) > 1:
        (L0, _, d0, s0), (L1, _, d1, s1) = rows[0], rows[-1]
        print(f"growth {L0} -> {L1} labels ({L1 / L0:.0f}x): dense {d1 / d0:.1f}x, sparse {s1 / s0:.1f}x")


# ------------------------------------------------------------------------------------------- methods
def _warm_task_net(module, loader, n: int) -> None:
    """Cross-entropy on the task-net only (AdamW, lr 1e-3, ``n`` batches) so its probabilities are a trained net's."""
    from torch.nn import functional as F

    flags = [q.requires_grad for q in module.task_net.parameters()]
    module.task_net.requires_grad_(True)
    opt = torch.optim.AdamW(module.task_net.parameters(), lr=1e-3)
    done = 0
    while done < n:
        for x, y in loader:
            loss = F.binary_cross_entropy_with_logits(module.task_net(x), y, reduction="none").sum(-1).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            done += 1
            if done >= n:
                break
    for q, f in zip(module.task_net.parameters(), flags):
        q.requires_grad_(f)


def method_rows(
    dataset: str, methods, n_batches: int, warm: int, sparse_inputs: bool, threads: int, sparse_mode: str = "auto"
) -> list[tuple]:
    rows = []
    for method in methods:
        torch.manual_seed(0)
        dm, dense = build(dataset, method, {"sparse": "dense"})
        torch.manual_seed(0)
        _, sparse = build(dataset, method, {"sparse": sparse_mode})
        loader = dm.train_dataloader()
        n_epoch = len(loader)
        batches = []
        for b in loader:
            batches.append(b)
            if len(batches) >= max(n_batches, 1):
                break
        _warm_task_net(dense, loader, warm)
        sparse.load_state_dict(dense.state_dict())
        mods = {"dense": dense, "sparse": sparse}
        data = {
            "dense": batches,
            "sparse": [(x.to_sparse_csr(), y) for x, y in batches] if sparse_inputs else batches,
        }
        for m in mods.values():
            m.train()
            opts, _ = m.configure_optimizers()
            m.optimizers = (lambda o: (lambda: o))(opts)
        for name, m in mods.items():  # warm-up
            m.training_step(data[name][0], 0)
        times = {m: [] for m in mods}
        for i in range(n_batches):
            for name, m in mods.items():
                t = time.perf_counter()
                m.training_step(data[name][i], i)
                times[name].append(time.perf_counter() - t)
        step_times = {m: [] for m in mods}
        if mods["dense"].spec.uses_score_net and mods["dense"].spec.trains_score_net:
            for _ in range(7):
                for name, m in mods.items():
                    opt_s = m.optimizers()[-1] if isinstance(m.optimizers(), list) else m.optimizers()
                    t = time.perf_counter()
                    m.loss_net_step(opt_s, *data[name][0])
                    step_times[name].append(time.perf_counter() - t)
        hp = dense.flat_hparams
        stk = "-" if not dense.spec.uses_score_net else f"{hp['loss_net_steps']}/{hp['task_net_steps']}/{hp['num_samples']}"
        d, s = _median_ms(times["dense"]), _median_ms(times["sparse"])
        ld = _median_ms(step_times["dense"]) if step_times["dense"] else float("nan")
        ls = _median_ms(step_times["sparse"]) if step_times["sparse"] else float("nan")
        rows.append((dataset, method, stk, n_batches, n_epoch, d, s, d * n_epoch / 1e3, s * n_epoch / 1e3, ld, ls))
    return rows


def print_methods(rows, threads: int, sparse_inputs: bool, sparse_mode: str = "auto") -> None:
    print(
        f"\nper batch (the whole schedule) and per epoch, dense (today) vs sparse; threads {threads}; "
        f"sparse arm with {'CSR' if sparse_inputs else 'dense'} inputs, model.sparse={sparse_mode}; medians, interleaved"
    )
    hdr = (
        f"{'dataset':<10}{'method':<24}{'S/T/K':>9}{'batches':>9}{'dense ms/b':>12}{'sparse ms/b':>12}"
        f"{'dense s/ep':>11}{'sparse s/ep':>12}{'epoch x':>9}{'LN step d/s ms':>17}{'step x':>8}"
    )
    print(hdr)
    print("-" * len(hdr))
    for ds, method, stk, nb, ne, d, s, de, se, ld, ls in rows:
        ln = f"{ld:.1f}/{ls:.1f}" if not math.isnan(ld) else "-"
        lx = f"{ld / ls:.2f}x" if not math.isnan(ld) else "-"
        print(
            f"{ds:<10}{method:<24}{stk:>9}{f'{nb}/{ne}':>9}{d:>12.1f}{s:>12.1f}{de:>11.1f}{se:>12.1f}"
            f"{d / s:>8.2f}x{ln:>17}{lx:>8}"
        )
    print("s/ep = median batch time x batches per epoch (training steps only; validation excluded).")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--datasets", nargs="+", default=["delicious", "bibtex"])
    p.add_argument("--methods", nargs="+", default=["cross-entropy", "seal-dynamic-nce", "seal-dynamic-ranking", "nce-gbi"])
    p.add_argument("--batches", type=int, default=20, help="timed training batches per method and path")
    p.add_argument("--warm-batches", type=int, default=300, help="cross-entropy batches training the task-net first")
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    p.add_argument("--labels", type=int, nargs="+", default=list(SCALING_L))
    p.add_argument("--sparse-inputs", action="store_true", help="hand the sparse arm its batches as CSR")
    p.add_argument("--sparse-mode", default="auto", choices=["auto", "sparse"], help="the sparse arm's model.sparse")
    p.add_argument("--skip-scaling", action="store_true")
    p.add_argument("--skip-methods", action="store_true")
    args = p.parse_args(argv)
    print(f"torch {torch.__version__}")
    for threads in args.threads:
        torch.set_num_threads(threads)
        if not args.skip_scaling:
            print_scaling(scaling_table(args.labels), threads)
        if not args.skip_methods:
            rows = []
            for ds in args.datasets:
                rows += method_rows(
                    ds, args.methods, args.batches, args.warm_batches, args.sparse_inputs, threads, args.sparse_mode
                )
            print_methods(rows, threads, args.sparse_inputs, args.sparse_mode)
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
