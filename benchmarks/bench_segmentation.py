"""Segmentation timing benchmark (Weizmann horses): seconds per training epoch of every method, relative to CE.

For each method, the model is built from ``configs/weizmann_horse/<method>[.<variant>].yaml`` and trained on
``--batches`` real training batches (random 24x24 crops, batch 8) inside a Lightning Trainer without
validation; the time per batch is scaled to a full epoch (160 / 8 = 20 batches). Separately, one 36-crop
evaluation of the validation split (40 images x 36 crops; GBI per crop for dvn-gbi) is timed. All methods run
in one process, one after the other, so the ratios are comparable even on a loaded machine.

SEAL-static uses a randomly initialised frozen score network here (its cost does not depend on the weights).

Usage::

    SEAL_DATA_DIR=../shared/data python benchmarks/bench_segmentation.py                 # CPU-sized configs
    SEAL_DATA_DIR=../shared/data python benchmarks/bench_segmentation.py --variant paper --device cuda

Absolute seconds vary by machine; the ratios to cross-entropy printed side by side travel better.
"""

from __future__ import annotations

import argparse
import os
import time
import warnings
from pathlib import Path

import torch
import yaml

REPO = Path(__file__).resolve().parents[1]
METHODS = ["cross-entropy", "dvn-gbi", "seal-dynamic-regression-s", "seal-dynamic-nce", "seal-static-regression"]


def config(method: str, variant: str) -> dict:
    base = REPO / "configs" / "weizmann_horse"
    path = base / f"{method}.{variant}.yaml" if variant != "paper" else base / f"{method}.yaml"
    if not path.is_file():
        path = base / f"{method}.yaml"
    return yaml.safe_load(path.read_text())


def build(method: str, variant: str):
    from seal.tasks.segmentation.module import SegmentationModule

    kw = dict(config(method, variant)["model"])
    kw.pop("score_checkpoint", None)
    if method == "seal-static-regression":
        kw["score_checkpoint"] = "unused (benchmark: random frozen score network)"
    m = SegmentationModule(**kw)
    if m.spec.frozen_score_net:
        m.pretrained_from = "random (benchmark)"
        for p in m.score_net.parameters():
            p.requires_grad_(False)
    return m


def updates_per_batch(m) -> str:
    hp = m.hparams
    if m.task_net is None:
        return f"{hp.loss_net_steps} loss-net"
    if not m.spec.trains_score_net:
        return f"{hp.task_net_steps if m.score_net is not None else 1} task"
    return f"{hp.task_net_steps * hp.loss_net_steps} loss-net + {hp.task_net_steps} task"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--variant", default="cpu", help="config variant: cpu (default) or paper")
    p.add_argument("--methods", nargs="+", default=METHODS)
    p.add_argument("--batches", type=int, default=4, help="training batches timed per method (after 1 warm-up)")
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, default=int(os.environ.get("SEAL_NUM_THREADS", 1)))
    p.add_argument("--no-eval", action="store_true", help="skip the 36-crop validation timing")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    warnings.filterwarnings("ignore")
    import lightning as L

    from seal.tasks.segmentation.datamodule import WeizmannDataModule

    dm = WeizmannDataModule(crop_seed=0)
    n_batches = -(-dm.info["train"] // dm.batch_size)
    rows = []
    for method in args.methods:
        L.seed_everything(0, verbose=False)
        m = build(method, args.variant)
        trainer = L.Trainer(
            max_epochs=1, limit_train_batches=args.batches + 1, limit_val_batches=0, accelerator=args.device,
            devices=1, logger=False, enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
            num_sanity_val_steps=0, inference_mode=False,
        )
        times: list[float] = []

        class Timer(L.Callback):
            def on_train_batch_start(self, *a):
                if args.device.startswith("cuda"):
                    torch.cuda.synchronize()
                self.t = time.perf_counter()

            def on_train_batch_end(self, *a):
                if args.device.startswith("cuda"):
                    torch.cuda.synchronize()
                times.append(time.perf_counter() - self.t)

        trainer.callbacks.append(Timer())
        trainer.fit(m, datamodule=dm)
        per_batch = sum(times[1:]) / max(len(times) - 1, 1)
        eval_s = None
        if not args.no_eval:
            x, _ = dm.split_tensors("val")
            m.eval()
            dev = torch.device(args.device)
            m.to(dev)
            t = time.perf_counter()
            with torch.no_grad():
                m.predict_canvas(x.to(dev))
            if args.device.startswith("cuda"):
                torch.cuda.synchronize()
            eval_s = time.perf_counter() - t
        rows.append((method, per_batch * n_batches, updates_per_batch(m), eval_s))
        print(f"  {method}: {per_batch * n_batches:.2f} s / training epoch", flush=True)

    ce = next((r[1] for r in rows if r[0] == "cross-entropy"), None)
    print(f"\nweizmann_horse, configs '{args.variant}', device {args.device}, {args.threads} thread(s), "
          f"{args.batches} timed batches of {dm.batch_size} scaled to {n_batches} batches / epoch")
    print(f"{'method':<28} {'s / epoch':>10} {'÷ CE':>7} {'updates / batch':>22} {'36-crop val s':>14}")
    for method, s, upd, ev in rows:
        ratio = f"{s / ce:.2f}" if ce else "-"
        print(f"{method:<28} {s:>10.2f} {ratio:>7} {upd:>22} {(f'{ev:.2f}' if ev is not None else '-'):>14}")


if __name__ == "__main__":
    main()
