"""Same seed, same samples: the sparse path's training losses against the dense path's on real data.

Builds two modules from ``configs/<dataset>/<method>.yaml`` (``sparse: sparse`` and ``sparse: dense``), seeds
both the same, and runs ``--batches`` training batches of the real data through each. The dense module's
sampler is fed the sparse sampler's draws, densified (the sparse sampler has its own random stream, with the
same distribution), so both see the same candidates and the same dropout masks. Prints the largest relative
difference of the task-net and loss-net losses over the batches.

Usage::

    SEAL_DATA_DIR=../shared/data python benchmarks/check_sparse_equivalence.py --dataset delicious --batches 100
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_train import build  # noqa: E402


def run(dataset: str, method: str, mode: str, n: int, dtype: torch.dtype = torch.float32) -> np.ndarray:
    torch.manual_seed(0)
    dm, m = build(dataset, method, {"sparse": mode})
    m.to(dtype)
    m.train()
    opts, _ = m.configure_optimizers()
    m.optimizers = lambda: opts
    losses = []
    orig = m._add_epoch_losses
    m._add_epoch_losses = lambda t, s: (losses.append((float(t), float(s))), orig(t, s))
    for i, batch in enumerate(dm.train_dataloader()):
        if i >= n:
            break
        m.training_step(tuple(t.to(dtype) for t in batch), i)
    return np.array(losses)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dataset", default="delicious")
    p.add_argument("--method", default="seal-dynamic-nce")
    p.add_argument("--batches", type=int, default=100)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--double", action="store_true", help="run both paths in float64 (isolates float32 rounding)")
    p.add_argument(
        "--replay", action="store_true",
        help="hand the dense run the sparse run's exact candidates (default: redraw them from the dense run's "
        "logits with the same generator state, which flips a sample once the logits differ in the last bit)",
    )
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    from seal.core.spaces import MultiLabelSpace
    from seal.samplers.mlc import bernoulli_samples_sparse

    dtype = torch.float64 if args.double else torch.float32
    if args.replay:  # record the sparse run's candidates, hand exactly those to the dense run
        tape = []
        draw = MultiLabelSpace.sample_sparse

        def record(self, logits, k, generator=None, gold=None):
            c = draw(self, logits, k, generator, gold)
            tape.append(c)
            return c

        MultiLabelSpace.sample_sparse = record
        sparse = run(args.dataset, args.method, "sparse", args.batches, dtype)
        pos = iter(tape)

        def replay(self, logits, k, generator=None, mask=None):
            draw(self, logits, k, generator)  # consume the random stream as the sparse run did (dropout masks)
            return next(pos).to_dense(logits.dtype)[:, 1:]

        MultiLabelSpace.sample = replay
    else:
        sparse = run(args.dataset, args.method, "sparse", args.batches, dtype)
        MultiLabelSpace.sample = lambda self, logits, k, generator=None, mask=None: bernoulli_samples_sparse(
            logits, k, generator
        ).to_dense(logits.dtype)
    dense = run(args.dataset, args.method, "dense", args.batches, dtype)
    # relative to each loss's typical size (an NCE loss can touch 0 when the gold dominates every sample)
    rel = np.abs(sparse - dense) / np.maximum(np.abs(dense), 1e-3 * np.abs(dense).mean(0))
    print(f"{args.dataset} {args.method}: {len(dense)} batches, samples fixed, {dtype}")
    over = np.nonzero(rel.max(1) >= 1e-4)[0]
    print("first batch over 1e-4:", int(over[0]) if len(over) else "none")
    for i in (0, 9, 19, 29, 49, 74, 99):
        if i < len(rel):
            print(f"  batch {i:3d}: rel diff task {rel[i, 0]:.1e}, loss-net {rel[i, 1]:.1e}")
    print(f"max relative difference: task-net loss {rel[:, 0].max():.2e}, loss-net loss {rel[:, 1].max():.2e}")
    print(f"first / last task-net loss: dense {dense[0, 0]:.6f} / {dense[-1, 0]:.6f}, sparse {sparse[0, 0]:.6f} / {sparse[-1, 0]:.6f}")
    return 0 if rel.max() < 1e-4 else 1


if __name__ == "__main__":
    raise SystemExit(main())
