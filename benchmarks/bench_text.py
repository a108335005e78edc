"""Text MLC speed benchmark (issue 14): SEAL-dynamic NCE seconds per epoch ÷ cross-entropy's, and the encoder's
training throughput, from one run.

Both methods train the same TextMLCModule task-net (all-MiniLM-L6-v2 by default) on the same batches (batch size,
maximum length, random word-piece ids of full length); the loss-net's encoder is the frozen, cached copy (its
pooled features come precomputed, as in training), so a SEAL step costs the task-net step plus the small loss-net
heads. An "epoch" here is ``--batches`` batches (after one warm-up batch), timed with the real schedule
(``training_step``: T x (S loss-net steps + 1 task-net step)); the methods train interleaved, batch by batch.
``--share-task-forward`` adds SEAL-dynamic NCE with ``schedule.share_task_forward`` (S = 1: one task-net forward
per T-iteration for the loss-net's samples and the task-net step).

Printed: seconds per epoch of both, the ratio (target <= 1.5x), the task-net encoder's training throughput in
tokens/s, its achieved FLOP/s (6 x trainable encoder parameters x tokens / s; attention score products not
counted) and that as a share of a measured float32 matmul peak (1024 x 1024 matmuls on the same threads).

    OMP_NUM_THREADS=1 PYTHONPATH=src python benchmarks/bench_text.py --trainable-layers 1 --max-length 128
    python benchmarks/bench_text.py --trainable-layers null   # full fine-tuning
    python benchmarks/bench_text.py --num-samples 200 --loss-net-steps 1 --share-task-forward --threads 1
"""

from __future__ import annotations

import argparse
import time

import torch


def matmul_peak(n: int = 1024, reps: int = 10) -> float:
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    t = time.perf_counter()
    for _ in range(reps):
        a @ b
    return 2 * n**3 * reps / (time.perf_counter() - t)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--encoder", default=None)
    ap.add_argument("--trainable-layers", default="1", help="an integer, or 'null' (fine-tune all)")
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--max-length", type=int, default=128)
    ap.add_argument("--batches", type=int, default=6)
    ap.add_argument("--labels", type=int, default=90)
    ap.add_argument("--num-samples", type=int, default=600)
    ap.add_argument("--loss-net-steps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--share-task-forward", action="store_true",
                    help="also time SEAL-dynamic NCE with schedule.share_task_forward (needs --loss-net-steps 1)")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    tl = None if args.trainable_layers.lower() in ("null", "none", "all") else int(args.trainable_layers)

    from seal.tasks.text_mlc.features import pool_packed
    from seal.tasks.text_mlc.module import TextMLCModule
    from seal.text.encoder import frozen_hidden_states, load_encoder

    torch.manual_seed(0)
    enc = load_encoder(args.encoder)
    n_layers, vocab = enc.config.num_hidden_layers, enc.config.vocab_size
    B, T, nb = args.batch_size, args.max_length, args.batches + 1
    ids = torch.randint(1000, vocab, (nb * B, T))
    ids[:, 0], ids[:, -1] = 101, 102
    seqs = ids.tolist()
    t0 = time.perf_counter()
    last, off = frozen_hidden_states(enc, seqs, layer=-1, progress=False, dtype=torch.float32)
    frozen_s = time.perf_counter() - t0
    pooled = pool_packed(last, off, "mean").view(nb, B, -1)
    layer = None if tl is None else n_layers - tl
    bottom = None
    if tl not in (None, 0):
        packed, _ = frozen_hidden_states(enc, seqs, layer=layer, progress=False, dtype=torch.float16)
        bottom = packed.view(nb, B, T, -1)
    y = (torch.rand(nb, B, args.labels) < 0.02).float()
    y[:, :, 0] = 1.0

    def batch(i: int) -> dict:
        x = {"pooled_mean": pooled[i], "attention_mask": torch.ones(B, T, dtype=torch.long)}
        if tl is None:
            x["input_ids"] = ids[i * B:(i + 1) * B]
        elif tl > 0:
            x[f"hidden_{layer}"] = bottom[i].float()
        return {"x": x, "y": y[i]}

    # the arms train interleaved, batch by batch, so that load on a shared machine hits them alike
    arms = ["cross-entropy", "seal-dynamic-nce"] + (["seal-dynamic-nce shared"] if args.share_task_forward else [])
    modules = {}
    for arm in arms:
        method = arm.split()[0]
        torch.manual_seed(0)
        kw = dict(score_loss_weight=3.0, num_samples=args.num_samples, loss_net_steps=args.loss_net_steps,
                  global_hidden=600) if method != "cross-entropy" else {}
        if arm.endswith("shared"):
            kw["share_task_forward"] = True
        m = TextMLCModule.from_hparams(dict(num_labels=args.labels, method=method, encoder=args.encoder,
                                            trainable_layers=tl, **kw))  # flat names
        m.train()
        opts, _ = m.configure_optimizers()
        named = dict(zip(m.optimizer_roles(), opts))
        m.named_optimizers = lambda named=named: named
        m.training_step(batch(0), 0)  # warm-up
        modules[arm] = m
        if method == "cross-entropy":
            enc_params = sum(p.numel() for n, p in m.task_net.body.named_parameters() if "embeddings" not in n)
    results = dict.fromkeys(arms, 0.0)
    for i in range(1, nb):
        for arm, m in modules.items():
            t = time.perf_counter()
            m.training_step(batch(i), i)
            results[arm] += time.perf_counter() - t
    tokens = args.batches * B * T
    ce, nce = results["cross-entropy"], results["seal-dynamic-nce"]
    tps = tokens / ce
    flops = 6 * enc_params * tps
    peak = matmul_peak()
    print(f"text MLC speed: batch {B} x length {T}, trainable_layers={tl}, {args.labels} labels, {args.batches} batches "
          f"per epoch, {torch.get_num_threads()} threads")
    print(f"  cross-entropy      {ce / args.batches:.3f} s/batch, {ce:.2f} s/epoch")
    print(f"  seal-dynamic-nce   {nce / args.batches:.3f} s/batch, {nce:.2f} s/epoch (K={args.num_samples}, "
          f"S={args.loss_net_steps}, T=1, loss-net encoder frozen and cached)")
    print(f"  SEAL-dynamic NCE epoch / cross-entropy epoch = {nce / ce:.2f}x (target <= 1.5x)")
    if "seal-dynamic-nce shared" in results:
        sh = results["seal-dynamic-nce shared"]
        print(f"  seal-dynamic-nce with schedule.share_task_forward: {sh / args.batches:.3f} s/batch, {sh:.2f} s/epoch; "
              f"/ cross-entropy epoch = {sh / ce:.2f}x")
    print(f"  encoder training throughput (cross-entropy step, trainable encoder part {enc_params / 1e6:.2f} M "
          f"parameters): {tps:,.0f} tokens/s, {flops / 1e9:.1f} GFLOP/s = {100 * flops / peak:.0f}% of the measured "
          f"float32 matmul peak {peak / 1e9:.1f} GFLOP/s")
    print(f"  frozen forward (feature cache build): {nb * B * T / frozen_s:,.0f} tokens/s")


if __name__ == "__main__":
    main()
