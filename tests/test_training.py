"""Training loop: gradient isolation, checkpoints (B18), resume, determinism, bad input."""

from __future__ import annotations

import argparse
import copy
import os
from pathlib import Path

import lightning as L
import numpy as np
import pytest
import scipy.sparse as sp
import torch

from seal.cli.lightning import best_and_last_checkpoints
from seal.data.errors import DataError
from seal.tasks.mlc_features.datamodule import MultiLabelArrays, MultiLabelDataModule
from seal.tasks.mlc_features.module import MultilabelModule, NonFiniteError
from seal.training.checkpoint import AtomicCheckpointIO, atomic_torch_save, load_checkpoint, to_plain

D, NL = 30, 6


def _arrays(seed: int = 0, n=(160, 48, 48)) -> MultiLabelArrays:
    rng = np.random.default_rng(seed)
    W = rng.normal(size=(D, NL))

    def mk(k):
        X = sp.random(k, D, density=0.3, format="csr", dtype=np.float32, random_state=rng)
        Y = ((X @ W) > 0.3).astype(np.uint8)
        return X, Y

    splits = dict(zip(("train", "val", "test"), (mk(k) for k in n)))
    return MultiLabelArrays(splits, [f"f{i}" for i in range(D)], [f"l{i}" for i in range(NL)], name="toy")


SEAL_KW = dict(score_loss_weight=1.0, loss_net_steps=2, task_net_steps=2, num_samples=4, inference_score_weight=0.01)


def _module(method="seal-dynamic-nce", **kw):
    args = dict(in_features=D, num_labels=NL, method=method, hidden=16, num_layers=2, dropout=[0.2, 0.0])
    if method != "cross-entropy":
        args.update(SEAL_KW)
    args.update(kw)
    return MultilabelModule.from_hparams(args)  # flat names, as configs before the grouping


def _params(module):
    return {n: p.detach().clone() for n, p in module.named_parameters()}


def _changed(before, module, prefix):
    return {n for n, p in module.named_parameters() if n.startswith(prefix) and not torch.equal(before[n], p.detach())}


@pytest.mark.parametrize(
    "method",
    ["seal-dynamic-nce", "seal-dynamic-ranking", "seal-dynamic-regression", "seal-dynamic-regression-s", "seal-dynamic-margin"],
)
def test_loss_net_and_task_net_steps_do_not_leak(method):
    torch.manual_seed(0)
    m = _module(method)
    m.train()
    # a frozen loss-net parameter must stay frozen (and unchanged) through both kinds of step
    m.score_net.global_linear.weight.requires_grad_(False)
    opts, _ = m.configure_optimizers()
    opt_t, opt_s = opts
    x = torch.rand(8, D)
    y = (torch.rand(8, NL) > 0.5).float()

    before = _params(m)
    m.loss_net_step(opt_s, x, y)
    assert _changed(before, m, "task_net.") == set()
    assert _changed(before, m, "cost_augmented.") == set()
    changed = _changed(before, m, "score_net.")
    assert changed and "score_net.global_linear.weight" not in changed
    assert all(p.grad is None for p in m.task_net.parameters())

    before = _params(m)
    opt_s.zero_grad(set_to_none=True)
    m.task_net_step(opt_t, x, y)
    assert _changed(before, m, "score_net.") == set()
    assert _changed(before, m, "task_net.")
    assert all(p.grad is None for p in m.score_net.parameters())
    assert m.score_net.global_linear.weight.requires_grad is False
    assert all(p.requires_grad for n, p in m.score_net.named_parameters() if n != "global_linear.weight")


@pytest.mark.parametrize("T", [1, 3])
def test_cross_entropy_takes_T_task_net_steps_per_batch(T):
    """Cross-entropy with ``task_net_steps = T`` (the matched control of a SEAL run with the same T) makes
    exactly T AdamW steps on the batch: the same weights as T hand-written steps on the summed BCE."""
    torch.manual_seed(0)
    m = _module("cross-entropy", dropout=[0.0, 0.0], task_net_steps=T, lr=0.01, weight_decay=0.001, grad_clip=0.5)
    m.train()
    ref = copy.deepcopy(m.task_net)
    (opt,), _ = m.configure_optimizers()
    m.optimizers = lambda *a, **k: opt  # no Trainer: hand the module its optimizer
    x, y = torch.rand(8, D), (torch.rand(8, NL) > 0.5).float()
    m.training_step((x, y), 0)

    ref_opt = torch.optim.AdamW(ref.parameters(), lr=0.01, weight_decay=0.001)
    for _ in range(T):
        ref_opt.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(ref(x), y, reduction="none").sum(1).mean()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(ref.parameters(), 0.5)
        ref_opt.step()
    for (name, p), q in zip(m.task_net.named_parameters(), ref.parameters()):
        torch.testing.assert_close(p, q, rtol=1e-5, atol=1e-6, msg=lambda e, n=name: f"{n}: {e}")
    assert m.batches_seen == 1


def test_non_finite_loss_names_network_and_batch():
    m = _module()
    opts, _ = m.configure_optimizers()
    x = torch.rand(4, D)
    x[0, 0] = float("nan")
    y = torch.ones(4, NL)
    with pytest.raises(NonFiniteError, match=r"loss-net at epoch 0, batch 0"):
        m.loss_net_step(opts[1], x, y)


@pytest.mark.parametrize(
    "kw, msg",
    [
        (dict(num_samples=0), "num_samples"),
        (dict(loss_net_steps=0), "loss_net_steps"),
        (dict(task_net_steps=0), "task_net_steps"),
        (dict(score_loss_weight=-1.0), "score_loss_weight"),
        (dict(lr=-1e-3), "lr"),
        (dict(method="nope"), "unknown method"),
    ],
)
def test_bad_hyper_parameters_rejected_before_training(kw, msg):
    with pytest.raises(ValueError, match=msg):
        _module(**kw)


def test_samples_that_do_not_fit_in_memory_are_rejected():
    dm = MultiLabelDataModule.from_arrays(_arrays(), batch_size=4096)
    m = _module(num_samples=200_000)
    trainer = L.Trainer(max_epochs=1, logger=False, enable_checkpointing=False, enable_progress_bar=False)
    with pytest.raises(ValueError, match="GiB per candidate tensor"):
        trainer.fit(m, datamodule=dm)


def test_non_finite_features_rejected_with_feature_name():
    arr = _arrays()
    X, Y = arr.splits["val"]
    X = X.tolil()
    X[3, 7] = np.inf
    arr.splits["val"] = (X.tocsr(), Y)
    with pytest.raises(DataError, match=r"split 'val'.*row 3, feature 'f7'"):
        MultiLabelDataModule.from_arrays(arr)


def test_label_count_mismatch_rejected():
    with pytest.raises(DataError, match="expect_num_labels=7 but dataset 'toy' has 6 labels"):
        MultiLabelDataModule.from_arrays(_arrays(), expect_num_labels=7)


# ----------------------------------------------------------------------------- fitting helpers
def _fit(tmp_path: Path, method: str, max_epochs: int, seed: int = 0, ckpt_path=None, sub="run"):
    L.seed_everything(seed, verbose=False)
    dm = MultiLabelDataModule.from_arrays(_arrays(), batch_size=32)
    m = _module(method)
    callbacks = best_and_last_checkpoints(tmp_path / sub)
    ckpt = callbacks[1]
    trainer = L.Trainer(
        max_epochs=max_epochs,
        logger=False,
        callbacks=callbacks,
        enable_progress_bar=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
        inference_mode=False,
        plugins=[AtomicCheckpointIO()],
    )
    trainer.fit(m, datamodule=dm, ckpt_path=ckpt_path, weights_only=True)
    trainer.test(m, datamodule=dm, verbose=False)
    return m, trainer, ckpt


@pytest.mark.parametrize("method", ["cross-entropy", "seal-dynamic-nce"])
def test_resume_reproduces_uninterrupted_run_exactly(tmp_path, method):
    full, _, _ = _fit(tmp_path, method, 4, sub="full")
    _fit(tmp_path, method, 2, sub="part")
    resumed, _, _ = _fit(tmp_path, method, 4, ckpt_path=tmp_path / "part" / "last.ckpt", sub="part")
    assert resumed.batches_seen == full.batches_seen == 4 * 5
    assert resumed.test_results == full.test_results
    for (n, a), (_, b) in zip(full.state_dict().items(), resumed.state_dict().items()):
        assert torch.equal(a, b), n


def test_same_seed_identical_different_seed_differs(tmp_path):
    a, _, _ = _fit(tmp_path, "seal-dynamic-nce", 1, seed=3, sub="a")
    b, _, _ = _fit(tmp_path, "seal-dynamic-nce", 1, seed=3, sub="b")
    c, _, _ = _fit(tmp_path, "seal-dynamic-nce", 1, seed=4, sub="c")
    wa, wb, wc = (m.task_net.label_embeddings.detach() for m in (a, b, c))
    assert torch.equal(wa, wb)
    assert not torch.equal(wa, wc)


def test_checkpoint_loads_weights_only_and_predicts_bit_identically(tmp_path):
    """Case B18: checkpoints hold only tensors and plain values."""
    m, trainer, ckpt = _fit(tmp_path, "seal-dynamic-nce", 1)
    state = torch.load(ckpt.best_model_path, weights_only=True)
    assert isinstance(state["seal"]["batches_seen"], int)
    fresh = _module()
    fresh.load_state_dict(state["state_dict"])
    fresh.eval()
    m.eval()
    x = torch.rand(5, D)
    assert torch.equal(fresh.predict_proba(x), m.predict_proba(x))


def test_to_plain_converts_what_trainers_typically_add(tmp_path):
    """B18 recipe: numpy scalars, argparse.Namespace and lists of str survive a weights-only round-trip."""
    extra = {
        "best": np.float64(0.6137),
        "epoch": np.int64(3),
        "args": argparse.Namespace(lr=0.1, name="x"),
        "labels": ["a", "b"],
        "w": torch.ones(2),
    }
    path = tmp_path / "c.ckpt"
    atomic_torch_save(to_plain(extra), path)
    back = load_checkpoint(path)
    assert back["best"] == 0.6137 and type(back["best"]) is float
    assert back["epoch"] == 3 and type(back["epoch"]) is int
    assert back["args"] == {"lr": 0.1, "name": "x"}
    assert back["labels"] == ["a", "b"]
    assert torch.equal(back["w"], torch.ones(2))


def test_failed_checkpoint_write_keeps_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "last.ckpt"
    atomic_torch_save({"v": 1}, path)

    def boom(obj, fh, *a, **k):
        fh.write(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", boom)
    with pytest.raises(OSError, match="disk full"):
        atomic_torch_save({"v": 2}, path)
    monkeypatch.undo()
    assert load_checkpoint(path) == {"v": 1}
    assert sorted(os.listdir(tmp_path)) == ["last.ckpt"]


def test_non_finite_loss_stops_training_and_keeps_last_good_checkpoint(tmp_path):
    """A NaN appearing in epoch 2 stops training with an error naming network, epoch and batch; the
    checkpoint written after epoch 1 stays intact and loadable."""

    class PoisonAtEpoch2(MultilabelModule):
        def training_step(self, batch, batch_idx):
            x, y = batch
            if self.current_epoch == 2:
                x = x.clone()
                x[0, 0] = float("nan")
            return super().training_step((x, y), batch_idx)

    L.seed_everything(0, verbose=False)
    dm = MultiLabelDataModule.from_arrays(_arrays(), batch_size=32)
    args = dict(in_features=D, num_labels=NL, method="seal-dynamic-nce", hidden=16, num_layers=2, **SEAL_KW)
    m = PoisonAtEpoch2.from_hparams(args)  # flat names
    trainer = L.Trainer(
        max_epochs=4, logger=False, callbacks=best_and_last_checkpoints(tmp_path), enable_progress_bar=False, enable_model_summary=False,
        num_sanity_val_steps=0, inference_mode=False, plugins=[AtomicCheckpointIO()],
    )
    with pytest.raises(NonFiniteError, match=r"non-finite loss in the loss-net at epoch 2, batch 10"):
        trainer.fit(m, datamodule=dm)
    state = torch.load(tmp_path / "last.ckpt", weights_only=True)
    assert state["epoch"] == 1 and state["seal"]["batches_seen"] == 10
    assert all(torch.isfinite(v).all() for v in state["state_dict"].values())
