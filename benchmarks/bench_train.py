"""Training-speed benchmark: cross-entropy vs SEAL-dynamic, as ratios measured in one process.

Prints, for each method (configs/<dataset>/<method>.yaml, the paper's hyper-parameters unless overridden):

* seconds per training epoch (measured on ``--batches`` training batches and scaled to the full epoch,
  or measured on the whole epoch with ``--batches 0``) and its ratio to cross-entropy's;
* network updates per batch (loss-net + task-net optimizer steps);
* achieved FLOP/s (matmul-family FLOPs of one batch iteration counted with ``torch.utils.flop_counter``,
  times batches, over the measured time) as a fraction of the fp32 matmul peak measured in the same
  process (median of several 2048 x 2048 matmuls);
* for cross-entropy, a full Lightning epoch (training + validation) split into the time inside
  forward/backward/optimizer work and the time outside it (data loading, metrics, logging, hooks).

Usage::

    SEAL_DATA_DIR=../shared/data python benchmarks/bench_train.py --dataset bibtex
    python benchmarks/bench_train.py --dataset bibtex --methods cross-entropy seal-dynamic-nce --batches 20
    python benchmarks/bench_train.py --dataset bibtex --device cuda --no-lightning-split

Absolute seconds vary by machine (and by ±25 % on a shared VM); the ratios printed side by side travel.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import torch
import yaml

REPO = Path(__file__).resolve().parents[1]
METHODS = [
    "cross-entropy",
    "seal-dynamic-margin",
    "seal-dynamic-regression",
    "seal-dynamic-regression-s",
    "seal-dynamic-nce",
    "seal-dynamic-ranking",
]


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def matmul_peak(n: int = 2048, reps: int = 7, device: torch.device = torch.device("cpu")) -> float:
    """Median fp32 GFLOP/s of an ``n x n @ n x n`` matmul in this process (on CUDA: with torch's default
    TF32 setting, i.e. true fp32 unless ``torch.backends.cuda.matmul.allow_tf32`` was turned on)."""
    if device.type == "cuda":
        n = max(n, 8192)  # 2048^3 is too small to load a data-centre GPU
    a, b = torch.randn(n, n, device=device), torch.randn(n, n, device=device)
    a @ b
    _sync(device)
    rates = []
    for _ in range(reps):
        t = time.perf_counter()
        a @ b
        _sync(device)
        rates.append(2 * n**3 / (time.perf_counter() - t) / 1e9)
    return statistics.median(rates)


def build(dataset: str, method: str, overrides: dict):
    from seal.tasks.mlc_features.datamodule import MultiLabelDataModule
    from seal.tasks.mlc_features.module import MultilabelModule

    cfg = yaml.safe_load((REPO / "configs" / dataset / f"{method}.yaml").read_text())
    dm = MultiLabelDataModule(**cfg.get("data", {}))
    # overrides use flat names (num_samples=5, sparse=dense), merged into the config's groups
    module = MultilabelModule.from_hparams(
        {**cfg["model"], "in_features": dm.num_features, "num_labels": dm.num_labels}, **overrides
    )
    return dm, module


def count_updates(module) -> tuple[int, int]:
    """(loss-net updates, task-net updates) per batch, from the schedule (seal-method A.6)."""
    hp, spec = module.flat_hparams, module.spec
    S, T = hp["loss_net_steps"], hp["task_net_steps"]
    if spec.loss_net_objective is None:
        return 0, 1
    if spec.inner_mode == "score_nn":
        return S * T, T
    return S, S * T


def ready_for_steps(module) -> None:
    """Train mode and the module's optimizers attached, so that ``module.training_step`` runs outside a Trainer."""
    module.train()
    opts, _ = module.configure_optimizers()
    module.optimizers = lambda: opts  # the module's training_step asks Lightning for its optimizers


def interleaved_medians(arms: dict, batches: list) -> dict[str, float]:
    """Median seconds per training batch of each arm (name -> module made ready by :func:`ready_for_steps`). Each
    batch ``i`` runs through every arm in turn, each under ``torch.manual_seed(i)``, so that load on a shared
    machine hits the arms alike."""
    times = {k: [] for k in arms}
    for i, b in enumerate(batches):
        for k, m in arms.items():
            torch.manual_seed(i)
            t = time.perf_counter()
            m.training_step(b, i)
            times[k].append(time.perf_counter() - t)
    return {k: statistics.median(v) for k, v in times.items()}


def time_batches(module, dm, n_batches: int, device: torch.device = torch.device("cpu")) -> tuple[float, int, float]:
    """Run ``n_batches`` training batches outside Lightning on ``device`` (batches moved there before the
    clock starts); returns (seconds, batches, GFLOP per batch)."""
    from torch.utils.flop_counter import FlopCounterMode

    module.to(device)
    ready_for_steps(module)
    loader = dm.train_dataloader()
    batches = []
    for b in loader:
        batches.append(module.transfer_batch_to_device(b, device, 0))
        if n_batches and len(batches) >= n_batches:
            break
    module.training_step(batches[0], 0)  # warm-up (allocations, fused kernels)
    with FlopCounterMode(display=False) as fc:
        module.training_step(batches[0], 0)
    gflop_per_batch = fc.get_total_flops() / 1e9
    _sync(device)
    t = time.perf_counter()
    for i, b in enumerate(batches):
        module.training_step(b, i)
    _sync(device)
    return time.perf_counter() - t, len(batches), gflop_per_batch


def lightning_epoch_split(dataset: str) -> tuple[float, float, float]:
    """One Lightning epoch (train + validation) of cross-entropy: (epoch_s, inside_s, outside_fraction).

    "inside" is the time spent in the training step's forward, backward and optimizer calls; "outside" is
    everything else of the epoch: data loading, Lightning's loop and hooks, validation forward passes
    and metric computation, logging.
    """
    import lightning as L

    dm, module = build(dataset, "cross-entropy", {})
    inside = [0.0]
    orig = module.training_step

    def timed(batch, idx=0):
        t = time.perf_counter()
        out = orig(batch, idx)
        inside[0] += time.perf_counter() - t
        return out

    module.training_step = timed
    trainer = L.Trainer(
        max_epochs=2,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
        inference_mode=False,
    )
    marks = {}

    class Clock(L.Callback):
        def on_train_epoch_start(self, trainer, pl_module):
            marks["start"] = time.perf_counter()
            inside[0] = 0.0

        def on_validation_epoch_end(self, trainer, pl_module):
            marks["end"] = time.perf_counter()

    trainer.callbacks.append(Clock())
    trainer.fit(module, datamodule=dm)  # the second epoch is measured (the first warms up)
    epoch = marks["end"] - marks["start"]
    return epoch, inside[0], 1.0 - inside[0] / epoch


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dataset", default="bibtex")
    p.add_argument("--methods", nargs="+", default=METHODS)
    p.add_argument("--batches", type=int, default=10, help="training batches timed per SEAL method (0 = full epoch)")
    p.add_argument("--ce-batches", type=int, default=0, help="training batches timed for cross-entropy (0 = full epoch)")
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--no-lightning-split", action="store_true")
    p.add_argument("--device", default="cpu", help="cpu, cuda or auto (the Lightning split runs on the CPU only)")
    p.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE", help="model overrides, e.g. batch_task_forward=false")
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    overrides = {}
    for kv in args.set:
        k, v = kv.split("=", 1)
        overrides[k] = yaml.safe_load(v)

    if args.device == "auto":
        args.device = "cuda" if torch.cuda.is_available() else "cpu"
    device = torch.device(args.device)
    torch.manual_seed(0)
    peak_before = matmul_peak(device=device)
    rows = []
    for method in args.methods:
        dm, module = build(args.dataset, method, overrides)
        n_epoch = len(dm.train_dataloader())
        n = args.ce_batches if method == "cross-entropy" else args.batches
        secs, done, gflop = time_batches(module, dm, n, device)
        epoch_s = secs / done * n_epoch
        loss_up, task_up = count_updates(module)
        n_train = len(dm.train_dataloader().dataset)
        rows.append((method, module.flat_hparams, done, n_epoch, epoch_s, loss_up, task_up, gflop, gflop * done / secs, n_train / epoch_s))
    peak_after = matmul_peak(device=device)
    peak = statistics.median([peak_before, peak_after])

    ce = next((r for r in rows if r[0] == "cross-entropy"), None)
    where = torch.cuda.get_device_name(device) if device.type == "cuda" else f"threads {torch.get_num_threads()}"
    size = "8192^3" if device.type == "cuda" else "2048^3"
    print(f"dataset {args.dataset}; torch {torch.__version__}; {where}")
    print(f"fp32 matmul peak ({size}, median): {peak:.1f} GFLOP/s (before {peak_before:.1f}, after {peak_after:.1f})")
    hdr = f"{'method':<27}{'S/T/K':>11}{'batches':>10}{'s/epoch':>10}{'x CE':>8}{'updates/batch':>15}{'GFLOP/batch':>13}{'GFLOP/s':>9}{'% peak':>8}{'train ex/s':>12}"
    print(hdr)
    print("-" * len(hdr))
    for method, hp, done, n_epoch, epoch_s, loss_up, task_up, gflop, rate, ex_s in rows:
        stk = "-" if method == "cross-entropy" else f"{hp['loss_net_steps']}/{hp['task_net_steps']}/{hp['num_samples']}"
        ratio = f"{epoch_s / ce[4]:.1f}" if ce else "-"
        print(
            f"{method:<27}{stk:>11}{f'{done}/{n_epoch}':>10}{epoch_s:>10.2f}{ratio:>8}"
            f"{f'{loss_up}+{task_up}':>15}{gflop:>13.3f}{rate:>9.1f}{100 * rate / peak:>7.1f}%{ex_s:>12.0f}"
        )
    print("updates/batch = loss-net + task-net optimizer steps; s/epoch scaled from the timed batches.")
    if ce and not args.no_lightning_split and device.type == "cpu":
        epoch, inside, outside = lightning_epoch_split(args.dataset)
        print(
            f"cross-entropy Lightning epoch (train + validation): {epoch:.2f} s, of which "
            f"{inside:.2f} s forward/backward/optimizer; outside that: {100 * outside:.1f}% "
            "(data loading, loop hooks, validation + metrics, logging)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
