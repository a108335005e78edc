"""Inference benchmark: task-net forward pass vs gradient-based inference (GBI) on the same energy network.

SEAL predicts with one forward pass of its task-net; the energy-network baselines (SPEN / DVN / NCE with
GBI, ``seal-method.md`` A.7, C.2) predict by 20-30 steps of gradient-based inference on the score network.
This script measures both in one process and prints, for each batch size:

* examples per second of the task-net (``sigmoid(F(x))``, eval mode, no grad);
* examples per second of GBI with 20 and 30 steps (``seal.methods.gbi.gbi_predict``: the score network's
  local logits once per call, then per step the score of ``y``, its gradient and an Adam update);
* the ratio task-net / GBI (how many times faster the task-net is);
* the ratio of matmul FLOPs of one GBI call to one task-net call (``torch.profiler``'s ``with_flops``
  count of mm / addmm / bmm, elementwise work not counted): the work GBI does beyond a forward pass, and so
  roughly the speed ratio a compute-bound large batch can reach;
* peak memory per example of one call: on CUDA ``torch.cuda.max_memory_allocated`` above the memory
  allocated before the call; on CPU the peak of the PyTorch profiler's memory timeline (all tensor
  allocations and frees during the call) above the tensors that existed when it started, falling back to
  the growth of the process's peak resident set size (Linux ``VmHWM``; coarse) if the profiler's
  (private) memory-timeline API is unavailable.

Networks: ``--score-checkpoint CKPT`` (any seal checkpoint holding a loss-net: ``spen-gbi``, ``dvn-gbi``,
``nce-gbi``, SEAL-static or SEAL-dynamic) rebuilds the model from the checkpoint's hyper-parameters and
weights (loaded with ``weights_only=True``) and uses its GBI settings and task-net. Without a checkpoint,
freshly initialised networks of the bibtex paper architecture are used (1836 features, 159 labels,
task-net and loss-net 400x2, global energy 200; GBI from zeros, lr 0.1): speed and memory do not depend on
the weights, and the output says so.

Usage::

    python benchmarks/bench_inference.py                       # bibtex architecture, batch 1 / 32 / 1024
    python benchmarks/bench_inference.py --score-checkpoint runs/bibtex/nce-gbi.cpu/seed0/.../best.ckpt
    python benchmarks/bench_inference.py --quick               # tiny networks, a few seconds (smoke test)
    python benchmarks/bench_inference.py --device cuda

Absolute numbers vary by machine (and by +-25 % on a shared VM); the ratios measured side by side travel.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]
if str(REPO / "src") not in sys.path:  # running from a checkout without installing
    sys.path.insert(0, str(REPO / "src"))

BIBTEX = dict(in_features=1836, num_labels=159, hidden=400, num_layers=2, global_hidden=200)
QUICK = dict(in_features=64, num_labels=16, hidden=32, num_layers=2, global_hidden=16)


def build(args):
    """``(task_net, score_net, GBISettings, transform, description, in_features)``, nets in eval mode on
    ``args.device``."""
    from seal.methods.gbi import GBISettings
    from seal.tasks.mlc_features.module import MultilabelModule

    if args.score_checkpoint:
        from seal.methods.pretrained import read_checkpoint

        ckpt = read_checkpoint(args.score_checkpoint, "checkpoint")
        hp = dict(ckpt.get("hyper_parameters") or {})
        module = MultilabelModule.from_hparams(hp)  # rebuilding never reads the task/score checkpoints it names
        module.load_state_dict(ckpt["state_dict"])
        if module.score_net is None:
            raise SystemExit(f"{args.score_checkpoint}: method {hp.get('method')!r} has no loss-net to run GBI on")
        g = module.gbi_settings
        if args.gbi_init:
            g = GBISettings(init=args.gbi_init, lr=g.lr, steps=g.steps, num_inits=1, method=g.method)
        transform = module.spec.gbi_transform
        desc = (
            f"trained networks from {args.score_checkpoint} (method {hp.get('method')}, {hp.get('in_features')} features, "
            f"{hp.get('num_labels')} labels)"
        )
    else:
        arch = QUICK if args.quick else BIBTEX
        torch.manual_seed(0)
        module = MultilabelModule.from_hparams(dict(method="nce-gbi", **arch))  # flat names
        g = GBISettings(init=args.gbi_init or "zeros", lr=0.1, steps=20, num_inits=1)
        transform = "raw"
        name = "tiny (--quick)" if args.quick else "bibtex paper"
        desc = (
            f"FRESHLY INITIALISED networks of the {name} architecture ({arch['in_features']} features, "
            f"{arch['num_labels']} labels, {arch['hidden']}x{arch['num_layers']}, global {arch['global_hidden']}): "
            "no trained weights, timings and memory only"
        )
    module.eval().to(args.device)
    return module.task_net, module.score_net, g, transform, desc, int(module.hparams.in_features)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def throughput(fn, batch: int, device: torch.device, min_time: float, min_reps: int = 3) -> float:
    """Examples per second of ``fn()`` (one warm-up call, then repeated for at least ``min_time`` s)."""
    fn()
    _sync(device)
    reps, t0 = 0, time.perf_counter()
    while True:
        fn()
        reps += 1
        _sync(device)
        elapsed = time.perf_counter() - t0
        if reps >= min_reps and elapsed >= min_time:
            return batch * reps / elapsed


def _vm_hwm_kib() -> int | None:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _profiled_peak_extra_bytes(fn) -> float | None:
    """Peak bytes allocated by one call of ``fn()`` above what was allocated when it started (CPU).

    From the PyTorch profiler's memory timeline (``profile_memory=True``; every tensor allocation and
    free, by category): the maximum of the total over time minus the total at the start (weights and
    inputs that already exist). Uses ``torch.profiler._memory_profiler`` (a private API); ``None`` if it
    is unavailable.
    """
    try:
        from torch.profiler import ProfilerActivity, profile
        from torch.profiler._memory_profiler import MemoryProfileTimeline

        with profile(activities=[ProfilerActivity.CPU], profile_memory=True, record_shapes=True, with_stack=True) as prof:
            fn()
        _, sizes = MemoryProfileTimeline(prof._memory_profile())._coalesce_timeline(torch.device("cpu"))
    except Exception:  # noqa: BLE001 - private API: fall back to the coarse RSS measurement
        return None
    totals = [sum(row) for row in sizes]
    return float(max(totals) - totals[0]) if totals else None


def _rss_peak_extra_bytes(fn) -> float | None:
    """Growth of the process's peak resident set size over one call (Linux ``VmHWM``; coarse)."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")  # reset VmHWM to the current RSS
    except OSError:
        return None
    before = _vm_hwm_kib()
    fn()
    after = _vm_hwm_kib()
    if before is None or after is None:
        return None
    return max(after - before, 0) * 1024.0


def matmul_flops(fn) -> float | None:
    """Matmul FLOPs of one call of ``fn`` (``torch.profiler`` with ``with_flops=True``; None if unsupported)."""
    try:
        from torch.profiler import profile

        with profile(with_flops=True) as prof:
            fn()
        return float(sum(e.flops for e in prof.events() if e.flops))
    except Exception:  # noqa: BLE001 - an optional column
        return None


def peak_memory_per_example(fn, batch: int, device: torch.device) -> tuple[float | None, str]:
    """``(peak extra bytes per example of one call of fn(), how it was measured)``.

    CUDA: ``torch.cuda.max_memory_allocated`` above the memory allocated before the call. CPU: the
    profiler's memory timeline (:func:`_profiled_peak_extra_bytes`), else peak-RSS growth.
    """
    if device.type == "cuda":
        _sync(device)
        torch.cuda.reset_peak_memory_stats(device)
        base = torch.cuda.memory_allocated(device)
        fn()
        _sync(device)
        return (torch.cuda.max_memory_allocated(device) - base) / batch, "CUDA max_memory_allocated"
    peak = _profiled_peak_extra_bytes(fn)
    if peak is not None:
        return peak / batch, "profiler memory timeline (peak tensor bytes allocated during the call)"
    peak = _rss_peak_extra_bytes(fn)
    return (None if peak is None else peak / batch), "peak RSS growth (coarse; ~0 below page/allocator resolution)"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--score-checkpoint", default=None, help="a seal checkpoint with a loss-net (default: fresh bibtex-sized nets)")
    p.add_argument("--batch-sizes", type=int, nargs="+", default=None, help="default 1 32 1024 (--quick: 1 32 256)")
    p.add_argument("--steps", type=int, nargs="+", default=[20, 30], help="GBI step counts to time (default 20 30)")
    p.add_argument("--gbi-init", choices=("task-net", "zeros", "uniform"), default=None, help="override the GBI init")
    p.add_argument("--device", default="cpu", help="cpu, cuda or auto")
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    p.add_argument("--min-time", type=float, default=None, help="seconds per measurement (default 1.0; --quick 0.05)")
    p.add_argument("--quick", action="store_true", help="tiny networks and short measurements (a smoke test)")
    args = p.parse_args(argv)
    if args.device == "auto":
        args.device = "cuda" if torch.cuda.is_available() else "cpu"
    device = torch.device(args.device)
    if args.threads:
        torch.set_num_threads(args.threads)
    batch_sizes = args.batch_sizes or ([1, 32, 256] if args.quick else [1, 32, 1024])
    min_time = args.min_time if args.min_time is not None else (0.05 if args.quick else 1.0)

    from seal.methods.gbi import gbi_predict

    task_net, score_net, g, transform, desc, in_features = build(args)
    print("inference benchmark: task-net forward pass vs gradient-based inference on the same energy network")
    print(f"networks: {desc}")
    where = torch.cuda.get_device_name(device) if device.type == "cuda" else f"cpu, {torch.get_num_threads()} thread(s)"
    print(f"device: {where}; torch {torch.__version__}")
    print(
        f"GBI: {g.method}, init {g.init} x{g.num_inits}, lr {g.lr}, objective "
        f"{'-sigmoid(S)' if transform == 'sigmoid' else '-S'}, best iterate over steps; steps timed: {args.steps}"
    )
    mem_notes: set[str] = set()

    gen = torch.Generator(device=device)
    rows = []
    for bs in batch_sizes:
        gen.manual_seed(0)
        x = (torch.rand(bs, in_features, generator=gen, device=device) > 0.95).float()

        def task():
            with torch.no_grad():
                return torch.sigmoid(task_net(x))

        def gbi(steps):
            def run():
                with torch.no_grad():
                    return gbi_predict(score_net, x, g, transform, task_net=task_net, generator=gen, steps=steps)

            return run

        row = {"bs": bs, "task": throughput(task, bs, device, min_time)}
        row["task_mem"], how = peak_memory_per_example(task, bs, device)
        mem_notes.add(how)
        row["task_flops"] = matmul_flops(task)
        for n in args.steps:
            row[f"gbi{n}"] = throughput(gbi(n), bs, device, min_time)
            row[f"gbi{n}_flops"] = matmul_flops(gbi(n))
            row[f"gbi{n}_mem"], how = peak_memory_per_example(gbi(n), bs, device)
            mem_notes.add(how)
        rows.append(row)

    def mem(v):
        return "n/a" if v is None else f"{v / 1024:.1f}"

    header = ["batch", "task-net ex/s"]
    for n in args.steps:
        header += [f"GBI-{n} ex/s", f"task/GBI-{n}"]
    header += [f"FLOP GBI-{n}/task" for n in args.steps]
    header += ["KiB/ex task"] + [f"KiB/ex GBI-{n}" for n in args.steps]
    table = [header]
    for r in rows:
        line = [str(r["bs"]), f"{r['task']:.0f}"]
        for n in args.steps:
            line += [f"{r[f'gbi{n}']:.0f}", f"{r['task'] / r[f'gbi{n}']:.1f}x"]
        for n in args.steps:
            tf, gf = r["task_flops"], r[f"gbi{n}_flops"]
            line.append(f"{gf / tf:.1f}x" if tf and gf is not None else "n/a")
        line += [mem(r["task_mem"])] + [mem(r[f"gbi{n}_mem"]) for n in args.steps]
        table.append(line)
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    print()
    for row in table:
        print("  ".join(v.rjust(w) for v, w in zip(row, widths)))
    print(f"\nratio = task-net examples/s / GBI examples/s (one process, same inputs); memory = {'; '.join(sorted(mem_notes))}, per example.")
    print("FLOP GBI/task = matmul FLOPs of one GBI call / one task-net call (torch.profiler with_flops; elementwise ops not counted).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
