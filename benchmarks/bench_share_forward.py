"""``schedule.share_task_forward`` vs the default schedule on feature-MLC configs with S = 1.

Two modules with identical weights train interleaved, batch by batch, under the same seeds: ``default`` (a no-grad
task-net pass for the loss-net step's samples, then the task-net step's own forward) and ``shared`` (one task-net
forward per T-iteration serves both). Printed per config: median milliseconds per training batch (the whole
T x (S + 1) schedule) and their ratio. The values differ between the arms (shared dropout masks, another random
stream); ``tests/test_share_task_forward.py`` checks that without dropout they are identical.

Usage::

    SEAL_DATA_DIR=../shared/data python benchmarks/bench_share_forward.py --configs delicious/seal-dynamic-nce.cpu-t10
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_train import interleaved_medians, ready_for_steps  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def compare(config: str, n_batches: int) -> tuple[float, float, str]:
    from seal.tasks.mlc_features.datamodule import MultiLabelDataModule
    from seal.tasks.mlc_features.module import MultilabelModule

    cfg = yaml.safe_load((REPO / "configs" / f"{config}.yaml").read_text())
    dm = MultiLabelDataModule(**cfg.get("data", {}))
    mods = {}
    for share in (False, True):
        torch.manual_seed(0)
        model = dict(cfg["model"])
        model["schedule"] = {**model.get("schedule", {}), "share_task_forward": share}
        m = MultilabelModule.from_hparams({**model, "in_features": dm.num_features, "num_labels": dm.num_labels})
        ready_for_steps(m)
        mods["shared" if share else "default"] = m
    batches = []
    for b in dm.train_dataloader():
        batches.append(b)
        if len(batches) >= n_batches + 1:
            break
    for m in mods.values():
        m.training_step(batches[0], 0)  # warm-up
    med = interleaved_medians(mods, batches[1:])
    hp = mods["default"].flat_hparams
    return med["default"], med["shared"], f"S={hp['loss_net_steps']}, T={hp['task_net_steps']}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--configs", nargs="+", default=["delicious/seal-dynamic-nce.cpu-t10"],
                    help="configs/<dataset>/<method>[.<variant>] without .yaml (feature MLC, S = 1)")
    ap.add_argument("--batches", type=int, default=30)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    print(f"threads {args.threads}, {args.batches} timed batches per arm, interleaved; medians")
    print("| config | schedule | default ms/batch | shared ms/batch | default / shared |")
    print("|---|---|---|---|---|")
    for c in args.configs:
        d, s, sched = compare(c, args.batches)
        print(f"| {c} | {sched} | {d * 1e3:.1f} | {s * 1e3:.1f} | **{d / s:.2f}x** |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
