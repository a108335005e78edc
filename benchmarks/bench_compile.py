"""``torch.compile`` (Inductor, CPU) of the SEAL objectives vs eager, on the feature-MLC paper settings.

Two modules with identical weights train interleaved, batch by batch, under the same seeds: ``eager`` and
``compiled``, where the loss-net objective (``module.loss_net_loss``: the NCE sampling, the loss-net's energies of
the gold and the candidates, ``log P_N`` and the ranking loss) and the task-net loss (``module.task_loss``) are
wrapped in ``torch.compile(dynamic=False)``; backward and the optimizer steps stay eager. Inductor's
``fallback_random`` is on, so the samples come from the same random stream. Printed per dataset: the compile
(warm-up) seconds, median milliseconds per training batch (the whole T x (S + 1) schedule) of each arm, their
ratio, the number of graphs and graph breaks of the loss-net objective (``torch._dynamo.explain``), and the largest
parameter difference after the timed batches (float summation order differs in fused kernels).

Usage::

    SEAL_DATA_DIR=../shared/data python benchmarks/bench_compile.py --datasets bibtex delicious --batches 10
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_train import build, interleaved_medians, ready_for_steps  # noqa: E402


def compare(dataset: str, method: str, n_batches: int) -> dict:
    import torch._inductor.config as inductor_config

    from seal.training.seal_module import unpack_batch

    inductor_config.fallback_random = True
    torch.manual_seed(0)
    dm, eager = build(dataset, method, {})
    torch.manual_seed(0)
    _, compiled = build(dataset, method, {})
    compiled.load_state_dict(eager.state_dict())
    batches = []
    for b in dm.train_dataloader():
        batches.append(b)
        if len(batches) >= n_batches + 1:
            break
    x, y, _ = unpack_batch(batches[0])
    with torch.no_grad():
        z = eager.task_net(x)
    explained = torch._dynamo.explain(eager.loss_net_loss)(eager.score_net, x, y, z)
    torch._dynamo.reset()
    compiled.loss_net_loss = torch.compile(compiled.loss_net_loss, dynamic=False)
    compiled.task_loss = torch.compile(compiled.task_loss, dynamic=False)
    arms = {"eager": eager, "compiled": compiled}
    warm = {}
    for name, m in arms.items():
        ready_for_steps(m)
        torch.manual_seed(99)
        t = time.perf_counter()
        m.training_step(batches[0], 0)  # warm-up; the compiled arm compiles here
        warm[name] = time.perf_counter() - t
    med = interleaved_medians(arms, batches[1:])
    diff = max((p - q).abs().max().item() for p, q in zip(eager.parameters(), compiled.parameters()))
    hp = eager.flat_hparams
    return {
        "dataset": dataset, "method": method,
        "stk": f"{hp['loss_net_steps']}/{hp['task_net_steps']}/{hp['num_samples']}",
        "eager": med["eager"], "compiled": med["compiled"],
        "compile_s": warm["compiled"] - warm["eager"], "graphs": explained.graph_count,
        "breaks": explained.graph_break_count, "diff": diff,
    }  # fmt: skip


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--datasets", nargs="+", default=["bibtex", "delicious"])
    ap.add_argument("--method", default="seal-dynamic-nce")
    ap.add_argument("--batches", type=int, default=10)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    print(f"threads {args.threads}, {args.batches} timed batches per arm, interleaved; medians")
    print("| dataset | method (S/T/K) | compile s | graphs / breaks | eager ms/batch | compiled ms/batch "
          "| eager / compiled | max param diff |")
    print("|---|---|---|---|---|---|---|---|")
    for ds in args.datasets:
        r = compare(ds, args.method, args.batches)
        print(f"| {r['dataset']} | {r['method']} ({r['stk']}) | {r['compile_s']:.0f} | {r['graphs']} / {r['breaks']} "
              f"| {r['eager'] * 1e3:.1f} | {r['compiled'] * 1e3:.1f} | **{r['eager'] / r['compiled']:.2f}x** "
              f"| {r['diff']:.1e} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
