"""SRL speed benchmark (issue 15): training-step cost of SEAL-dynamic NCE and the CRF relative to cross-entropy, and
inference sentences per second of the task-net, CRF Viterbi and GBI on the loss-net.

Measured on real UP English-EWT batches (cached frozen MiniLM word states, built on first use), the same batches for
every method, networks as in ``configs/up_english_ewt/<method>.cpu.yaml`` (override with the flags). "Epoch" time
is extrapolated from ``--batches`` training batches (full epoch = train instances / batch size), so the ratios are
ratios of per-batch cost; the first two batches of each method are a warm-up and not timed.

    PYTHONPATH=src SEAL_DATA_DIR=... OMP_NUM_THREADS=1 python benchmarks/bench_srl.py --batches 40

Prints one line per measurement and the three requested numbers:
SEAL-dynamic NCE epoch ÷ cross-entropy epoch, CRF epoch ÷ cross-entropy epoch, inference sentences / s
(task-net argmax vs CRF Viterbi vs GBI with ``--gbi-steps`` mirror-descent steps); with ``--share-task-forward``
also SEAL-dynamic NCE with ``schedule.share_task_forward`` (one task-net forward per batch for both steps).
"""

from __future__ import annotations

import argparse
import time

import torch


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--batches", type=int, default=40)
    ap.add_argument("--eval-batches", type=int, default=10)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--num-samples", type=int, default=50, help="K of SEAL-dynamic NCE (cpu variant: 50; paper: 400)")
    ap.add_argument("--attention-dim", type=int, default=64)
    ap.add_argument("--gbi-steps", type=int, default=20)
    ap.add_argument("--d-model", type=int, default=256)
    ap.add_argument("--share-task-forward", action="store_true",
                    help="also time SEAL-dynamic NCE with schedule.share_task_forward (one task-net forward per batch)")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    from seal.tasks.srl.data import SRLDataModule
    from seal.tasks.srl.module import SRLModule
    from seal.training.seal_module import unpack_batch

    dm = SRLDataModule(batch_size=16, eval_batch_size=64)
    it = iter(dm.train_dataloader())
    train = [next(it) for _ in range(args.batches + 2)]
    ev = iter(dm.val_dataloader())
    evals = [next(ev) for _ in range(args.eval_batches)]
    n_train_batches = (len(dm.instances["train"]) + 15) // 16
    common = dict(num_tags=dm.num_tags, hidden_size=dm.hidden_size, label_names=dm.label_names, d_model=args.d_model,
                  lr=1e-3, score_lr=1e-3, attention_dim=args.attention_dim, num_samples=args.num_samples)

    def build(method: str, **kw) -> SRLModule:
        torch.manual_seed(0)
        return SRLModule.from_hparams({**common, "method": method, **kw})  # flat names

    def train_time(m: SRLModule) -> float:
        opt_t = m.task_optimizer.build(m.task_parameters())
        opt_s = m.score_optimizer.build(m.score_net.parameters()) if m.spec.trains_score_net else None
        m.train()
        for i, b in enumerate(train):
            if i == 2:
                t0 = time.perf_counter()
            x, y, mask = unpack_batch(b)
            if opt_s is not None and m.schedule.share_task_forward:  # one task-net forward for both steps
                z = m.task_net(x)
                m.loss_net_step(opt_s, x, y, z.detach(), mask)
                m.task_net_step(opt_t, x, y, mask, z=z)
                continue
            if opt_s is not None:
                m.loss_net_step(opt_s, x, y, None, mask)
            m.task_net_step(opt_t, x, y, mask)
        return (time.perf_counter() - t0) / args.batches

    per_batch = {}
    arms = {"cross-entropy": {}, "crf": {}, "seal-dynamic-nce": {}}
    if args.share_task_forward:
        arms["seal-dynamic-nce shared"] = {"share_task_forward": True}
    for arm, kw in arms.items():
        per_batch[arm] = train_time(build(arm.split()[0], **kw))
        print(f"train {arm}: {1000 * per_batch[arm]:.1f} ms / batch -> {per_batch[arm] * n_train_batches:.0f} s "
              f"/ epoch ({n_train_batches} batches of 16)", flush=True)

    def infer(m: SRLModule) -> float:
        m.eval()
        n = 0
        t0 = time.perf_counter()
        for b in evals:
            m.predict_tags_onehot(b["x"], b["mask"])
            n += b["y"].shape[0]
        return n / (time.perf_counter() - t0)

    ce, crf = build("cross-entropy"), build("crf")
    gbi = SRLModule.from_hparams({**common, "method": "nce-gbi", "task_checkpoint": "unused", "gbi_steps": args.gbi_steps})
    rates = {"task-net (argmax)": infer(ce), "CRF Viterbi": infer(crf), f"GBI ({args.gbi_steps} mirror steps)": infer(gbi)}
    for k, v in rates.items():
        print(f"inference {k}: {v:.0f} predicate instances / s", flush=True)
    ce_b = per_batch["cross-entropy"]
    print(f"SEAL-dynamic NCE epoch / cross-entropy epoch: {per_batch['seal-dynamic-nce'] / ce_b:.2f}x "
          f"(K {args.num_samples}, attention_dim {args.attention_dim}; target <= 1.5x)")
    if "seal-dynamic-nce shared" in per_batch:
        print(f"SEAL-dynamic NCE with schedule.share_task_forward epoch / cross-entropy epoch: "
              f"{per_batch['seal-dynamic-nce shared'] / ce_b:.2f}x")
    print(f"CRF epoch / cross-entropy epoch: {per_batch['crf'] / ce_b:.2f}x")
    print("inference sentences/s (predicate instances): " + ", ".join(f"{k} {v:.0f}" for k, v in rates.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
