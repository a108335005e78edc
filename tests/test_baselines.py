"""Energy-network baselines (spen-gbi, dvn-gbi, nce-gbi): SSVM, GBI prediction path, GBI samplers, errors.

All on tiny synthetic arrays; every fit is one or two epochs of a 16-unit network (well under a second).
"""

from __future__ import annotations

import lightning as L
import numpy as np
import pytest
import scipy.sparse as sp
import torch

import seal.methods.gbi as gbi_mod
from seal.cli.lightning import best_and_last_checkpoints
from seal.inference.gbi import GBIError
from seal.methods.gbi import GBISettings, gbi_predict
from seal.methods.registry import METHODS, get_method
from seal.objectives.ssvm import SSVMLoss, cost_augmented_objective
from seal.tasks.mlc_features.datamodule import MultiLabelArrays, MultiLabelDataModule
from seal.tasks.mlc_features.module import MultilabelModule

D, NL = 30, 6
LABELS = [f"l{i}" for i in range(NL)]
BASELINES = ("spen-gbi", "dvn-gbi", "nce-gbi")


def _arrays(seed: int = 0, n=(160, 48, 48), num_labels: int = NL, name: str = "toy") -> MultiLabelArrays:
    rng = np.random.default_rng(seed)
    W = rng.normal(size=(D, num_labels))

    def mk(k):
        X = sp.random(k, D, density=0.3, format="csr", dtype=np.float32, random_state=rng)
        return X, ((X @ W) > 0.3).astype(np.uint8)

    splits = dict(zip(("train", "val", "test"), (mk(k) for k in n)))
    return MultiLabelArrays(splits, [f"f{i}" for i in range(D)], [f"l{i}" for i in range(num_labels)], name=name)


def _module(method: str, **kw) -> MultilabelModule:
    args = dict(
        in_features=D, num_labels=NL, method=method, hidden=16, num_layers=2, dropout=[0.2, 0.0],
        label_names=LABELS, num_samples=4, score_grad_clip=10.0,
    )
    if get_method(method).trains_task_net and method != "cross-entropy":
        args["score_loss_weight"] = 0.1
    args.update(kw)
    return MultilabelModule.from_hparams(args)  # flat names, as configs before the grouping


def _save(module: MultilabelModule, path, dataset: str = "toy") -> str:
    """A checkpoint as Lightning writes it (the parts the loaders read)."""
    torch.save(
        {
            "state_dict": module.state_dict(),
            "hyper_parameters": dict(module.hparams),
            "datamodule_hyper_parameters": {"dataset": dataset},
        },
        path,
    )
    return str(path)


def _trainer(tmp_path, epochs: int = 1, sub: str = "run") -> L.Trainer:
    return L.Trainer(
        max_epochs=epochs, logger=False, callbacks=best_and_last_checkpoints(tmp_path / sub), enable_progress_bar=False,
        enable_model_summary=False, num_sanity_val_steps=0, inference_mode=False,
    )


@pytest.fixture
def ce_ckpt(tmp_path):
    torch.manual_seed(0)
    return _save(_module("cross-entropy"), tmp_path / "ce.ckpt")


# ------------------------------------------------------------------------------------ registry
def test_registry_flags():
    for name in BASELINES:
        spec = METHODS[name]
        assert spec.predict_with_gbi and not spec.trains_task_net and spec.trains_score_net
    assert METHODS["dvn-gbi"].gbi_transform == "sigmoid" and METHODS["nce-gbi"].gbi_transform == "raw"
    assert (METHODS["spen-gbi"].gbi.init, METHODS["dvn-gbi"].gbi.init, METHODS["nce-gbi"].gbi.init) == ("task-net", "zeros", "uniform")
    assert METHODS["nce-gbi"].gbi.num_inits == 3 and METHODS["dvn-gbi"].gbi.steps == 30
    for name in ("cross-entropy", "seal-dynamic-nce", "seal-static-nce"):
        assert not METHODS[name].predict_with_gbi


def test_gbi_hyper_parameters_resolved_and_checked():
    m = _module("nce-gbi", gbi_lr=0.05)
    assert m.gbi_settings == GBISettings(init="uniform", lr=0.05, steps=20, num_inits=3, method="adam", train_steps=20)
    assert _module("nce-gbi", gbi_init="zeros").gbi_settings.num_inits == 1
    with pytest.raises(ValueError, match="gbi_init must be one of"):
        _module("dvn-gbi", gbi_init="random")
    with pytest.raises(ValueError, match="gbi_num_inits=3 needs gbi_init='uniform'"):
        _module("dvn-gbi", gbi_num_inits=3)
    with pytest.raises(ValueError, match="gbi_steps must be an integer >= 1"):
        _module("dvn-gbi", gbi_steps=0)
    with pytest.raises(ValueError, match="dvn_samples"):
        _module("dvn-gbi", dvn_samples=["gold", "noise"])


# ------------------------------------------------------------------------------------ SSVM
class _LinearScore(torch.nn.Module):
    """``S(x, y) = Σ_l y_l local_l`` with fixed local logits (a hand-checkable score network)."""

    def __init__(self, local):
        super().__init__()
        self.local = torch.nn.Parameter(torch.as_tensor(local, dtype=torch.float32))

    def encode(self, x):
        return self.local

    def score(self, local, y):
        return (y * local).sum(-1) if y.dim() == 2 else (y * local.unsqueeze(1)).sum(-1)


def test_ssvm_hand_computed_two_labels():
    # example 0: y* = [1, 0], ŷ = [0.5, 0.5], local = [2, -1]:
    #   F1soft = 2*0.5 / (0.5 + 1.5) = 0.5 -> Δ = 0.5; S(y*) = 2, S(ŷ) = 0.5 -> relu(0.5 - 1.5) = 0
    # example 1: y* = [0, 1], ŷ = [0.8, 0.2], local = [1, 0.5]:
    #   F1soft = 2*0.2 / (0.2 + 1.8) = 0.2 -> Δ = 0.8; S(y*) = 0.5, S(ŷ) = 0.9 -> relu(0.8 + 0.4) = 1.2
    net = _LinearScore([[2.0, -1.0], [1.0, 0.5]])
    y_gold = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    y_hat = torch.tensor([[0.5, 0.5], [0.8, 0.2]])
    loss = SSVMLoss()
    x = torch.zeros(2, 1)  # unused by the stub
    terms = loss.per_example(net, x, y_gold, y_hat)
    torch.testing.assert_close(terms, torch.tensor([0.0, 1.2]))
    value = loss(net, x, y_gold, y_hat)
    torch.testing.assert_close(value, torch.tensor(0.6))
    value.backward()
    # d/d local of mean_i relu(...): only example 1 is active: (ŷ - y*) / 2
    torch.testing.assert_close(net.local.grad, torch.tensor([[0.0, 0.0], [0.4, -0.4]]))
    assert SSVMLoss(reduction="sum")(net, x, y_gold, y_hat).item() == pytest.approx(1.2)
    # released behaviour (H.2): the sample is squashed once more, σ(ŷ), before scoring and costing
    s = torch.sigmoid(y_hat[1])
    f1 = 2 * torch.minimum(s, y_gold[1]).sum() / (torch.minimum(s, y_gold[1]).sum() + torch.maximum(s, y_gold[1]).sum())
    expected = torch.relu((1 - f1) - (0.5 - (s * torch.tensor([1.0, 0.5])).sum()))
    got = SSVMLoss(released_behaviour=True).per_example(net, x, y_gold, y_hat)[1]
    torch.testing.assert_close(got, expected)


def test_cost_augmented_objective_value_includes_cost_but_gradient_is_score_ascent():
    net = _LinearScore([[2.0, -1.0]])
    y_gold = torch.tensor([[1.0, 0.0]])
    y = torch.tensor([[[0.5, 0.5]]], requires_grad=True)  # (B, K, L)
    obj = cost_augmented_objective(net, net.local.detach(), y_gold)(y)
    assert obj.item() == pytest.approx(-(0.5 + 0.5))  # −(Δ + S) = −(0.5 + (1 − 0.5))
    (g,) = torch.autograd.grad(obj.sum(), y)
    torch.testing.assert_close(g, torch.tensor([[[-2.0, 1.0]]]))  # −∂S/∂y: Δ is detached (H.4)


# ------------------------------------------------------------------------------------ GBI prediction path
def test_validation_and_test_predict_by_gbi(tmp_path, ce_ckpt, monkeypatch):
    calls = {"n": 0}
    real = gbi_mod.gradient_based_inference

    def counting(*a, **k):
        calls["n"] += 1
        return real(*a, **k)

    monkeypatch.setattr(gbi_mod, "gradient_based_inference", counting)
    L.seed_everything(0, verbose=False)
    dm = MultiLabelDataModule.from_arrays(_arrays(), batch_size=16, eval_batch_size=16)
    m = _module("nce-gbi", task_checkpoint=ce_ckpt)
    trainer = _trainer(tmp_path)
    trainer.fit(m, datamodule=dm)
    assert calls["n"] == 3  # nce-gbi trains without GBI; 48 validation rows / 16 = 3 GBI calls
    calls["n"] = 0
    trainer.test(m, datamodule=dm, verbose=False)
    assert calls["n"] == 3
    assert 0.0 <= m.test_results["example_f1"] <= 1.0
    # the metric was computed from GBI outputs, not from the (fixed, cross-entropy) task-net
    x, _ = next(iter(dm.val_dataloader()))
    m.eval()
    with torch.no_grad():
        gbi_probs = m.predict_probs(x, 0, "validation")
        task_probs = torch.sigmoid(m.task_net(x))
    assert not torch.allclose(gbi_probs, task_probs)
    # predict_proba / forward / predict_step give the same GBI output (same generator seed for batch 0)
    torch.testing.assert_close(m.predict_proba(x), gbi_probs)
    torch.testing.assert_close(torch.sigmoid(m(x)), gbi_probs.clamp(1e-6, 1 - 1e-6))
    torch.testing.assert_close(m.predict_step((x,), 0), gbi_probs)


def test_task_net_methods_never_run_gbi(tmp_path, monkeypatch):
    def boom(*a, **k):
        raise AssertionError("GBI must not run for a task-net method")

    monkeypatch.setattr(gbi_mod, "gradient_based_inference", boom)
    dm = MultiLabelDataModule.from_arrays(_arrays(), batch_size=32)
    m = _module("seal-dynamic-nce", loss_net_steps=1)
    trainer = _trainer(tmp_path)
    trainer.fit(m, datamodule=dm)
    trainer.test(m, datamodule=dm, verbose=False)


def test_gbi_divergence_names_example_and_step_and_returns_nothing():
    torch.manual_seed(0)
    m = _module("dvn-gbi")
    m.eval()
    real = m.score_net.global_score
    calls = {"n": 0}

    def poisoned(y):
        calls["n"] += 1
        out = real(y)
        if calls["n"] == 4:  # the 4th objective evaluation is step 3
            out = out.clone()
            out[2] = float("nan")  # (an infinite score would be squashed to 1 by the DVN objective)
        return out

    m.score_net.global_score = poisoned
    x, y = torch.rand(5, D), torch.ones(5, NL)
    with pytest.raises(GBIError, match=r"example 2 at step 3 \(validation batch 7; no prediction is returned\)"):
        m.validation_step((x, y), 7)
    calls["n"] = 0
    with pytest.raises(GBIError, match=r"example 2 at step 3"):
        m.predict_proba(x)


# ------------------------------------------------------------------------------------ training steps
@pytest.mark.parametrize("method", BASELINES)
def test_baseline_trains_only_the_loss_net(method, ce_ckpt):
    torch.manual_seed(0)
    kw = {"task_checkpoint": ce_ckpt} if get_method(method).needs_task_checkpoint else {}
    m = _module(method, **kw)
    m.load_pretrained()
    m.train()
    opts, scheds = m.configure_optimizers()
    assert m.optimizer_roles() == ["score"] and len(opts) == 1
    score_ids = {id(p) for p in m.score_net.parameters()}
    assert {id(p) for g in opts[0].param_groups for p in g["params"]} == score_ids
    assert scheds[0].optimizer is opts[0]  # the plateau scheduler follows the loss-net (seal-method G)
    assert all(not p.requires_grad for p in m.task_net.parameters())
    if kw:
        ce = torch.load(ce_ckpt, weights_only=True)["state_dict"]
        assert all(torch.equal(v, ce["task_net." + k]) for k, v in m.task_net.state_dict().items())
    before = {n: p.detach().clone() for n, p in m.named_parameters()}
    x, y = torch.rand(8, D), (torch.rand(8, NL) > 0.5).float()
    loss = m.loss_net_step(opts[0], x, y)
    assert torch.isfinite(loss)
    changed = {n for n, p in m.named_parameters() if not torch.equal(before[n], p.detach())}
    assert changed and all(n.startswith("score_net.") for n in changed)
    assert all(p.grad is None for p in m.task_net.parameters())


def test_dvn_samples_are_inference_adversarial_and_gold():
    torch.manual_seed(0)
    m = _module("dvn-gbi", gbi_train_steps=5)
    x, y = torch.rand(4, D), (torch.rand(4, NL) > 0.5).float()
    samples = m.dvn_samples_for(x, y)
    assert samples.shape == (4, 3, NL)
    assert torch.equal(samples[:, 2], y)
    assert samples.min() >= 0 and samples.max() <= 1
    m.eval()  # no dropout: the inference sample is test-time GBI with the training step count
    samples = m.dvn_samples_for(x, y)
    expected = gbi_predict(m.score_net, x, m.gbi_settings, "sigmoid", steps=5)
    torch.testing.assert_close(samples[:, 0], expected)
    assert not torch.equal(samples[:, 0], samples[:, 1])
    only_gold = _module("dvn-gbi", dvn_samples=["gold"]).dvn_samples_for(x, y)
    assert only_gold.shape == (4, 1, NL)


def test_spen_gbi_starts_cost_augmented_gbi_from_the_task_net(ce_ckpt, monkeypatch):
    m = _module("spen-gbi", task_checkpoint=ce_ckpt, dropout=0.0)
    m.load_pretrained()
    seen = {}
    real = gbi_mod.gradient_based_inference

    def spy(objective, init, **k):
        seen["init"] = init.clone()
        return real(objective, init, **k)

    monkeypatch.setattr(gbi_mod, "gradient_based_inference", spy)
    x, y = torch.rand(4, D), (torch.rand(4, NL) > 0.5).float()
    m.ssvm_loss(x, y)
    torch.testing.assert_close(seen["init"][0], torch.sigmoid(m.task_net(x)).detach())


# ------------------------------------------------------------------------------------ end to end, errors
@pytest.mark.parametrize("method", BASELINES)
def test_baseline_fits_and_keeps_the_task_net_fixed(tmp_path, method, ce_ckpt):
    L.seed_everything(0, verbose=False)
    dm = MultiLabelDataModule.from_arrays(_arrays(), batch_size=32)
    kw = {"task_checkpoint": ce_ckpt} if get_method(method).needs_task_checkpoint else {}
    m = _module(method, **kw)
    task_before = {k: v.clone() for k, v in m.task_net.state_dict().items()} if not kw else None
    trainer = _trainer(tmp_path, epochs=2)
    trainer.fit(m, datamodule=dm)
    trainer.test(m, datamodule=dm, verbose=False, ckpt_path="best", weights_only=True)
    assert set(m.test_results) >= {"example_f1", "micro_f1"}
    assert m.batches_seen == 2 * 5
    ref = (
        {k: v for k, v in torch.load(ce_ckpt, weights_only=True)["state_dict"].items() if k.startswith("task_net.")}
        if kw else {"task_net." + k: v for k, v in task_before.items()}
    )
    assert all(torch.equal(v, ref["task_net." + k]) for k, v in m.task_net.state_dict().items())
    state = torch.load(trainer.checkpoint_callback.best_model_path, weights_only=True)
    assert state["hyper_parameters"]["method"] == method


def test_missing_task_checkpoint_is_a_clear_error(tmp_path):
    dm = MultiLabelDataModule.from_arrays(_arrays(), batch_size=32)
    with pytest.raises(ValueError, match=r"'nce-gbi' needs model.task_checkpoint.*noise distribution"):
        _trainer(tmp_path).fit(_module("nce-gbi"), datamodule=dm)
    with pytest.raises(ValueError, match=r"task_checkpoint is set but method 'dvn-gbi'"):
        _module("dvn-gbi", task_checkpoint="x.ckpt").load_pretrained()
    with pytest.raises(FileNotFoundError, match="task checkpoint not found"):
        _module("spen-gbi", task_checkpoint=str(tmp_path / "nope.ckpt")).load_pretrained()


def test_task_checkpoint_of_another_architecture_names_the_shapes(tmp_path):
    ce = _save(_module("cross-entropy", hidden=12), tmp_path / "ce12.ckpt")
    with pytest.raises(ValueError) as err:
        _module("spen-gbi", task_checkpoint=ce).load_pretrained()
    msg = str(err.value)
    assert "hidden: checkpoint 12 vs model 16" in msg
    assert "task_net.label_embeddings: checkpoint shape (6, 12) vs model shape (6, 16)" in msg
    assert "task_net.features" in msg


def test_gbi_under_inference_mode_is_refused():
    m = _module("dvn-gbi")
    with torch.inference_mode(), pytest.raises(RuntimeError, match="inference_mode"):
        m.predict_probs(torch.rand(2, D))


def test_inference_benchmark_quick_runs(capsys):
    bench = _inference_bench()
    assert bench.main(["--quick", "--batch-sizes", "1", "8", "--steps", "2", "3", "--min-time", "0.001"]) == 0
    out = capsys.readouterr().out
    assert "FRESHLY INITIALISED networks of the tiny (--quick) architecture" in out
    assert "task/GBI-2" in out and "task/GBI-3" in out and "KiB/ex GBI-3" in out and "FLOP GBI-3/task" in out


def _inference_bench():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_inference.py"
    spec = importlib.util.spec_from_file_location("bench_inference", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    return bench


def test_inference_benchmark_counts_forward_and_backward_matmul_flops():
    bench = _inference_bench()
    lin = torch.nn.Linear(100, 50)
    x = torch.randn(8, 100)

    def fn():
        y = x.clone().requires_grad_()
        (g,) = torch.autograd.grad(lin(y).sum(), y)  # addmm forward + mm for dL/dy
        return g

    assert bench.matmul_flops(fn) == 2 * (2 * 8 * 100 * 50)


def test_inference_benchmark_cpu_memory_is_the_peak_of_tensors_allocated_during_the_call():
    bench = _inference_bench()
    a = torch.ones(500, 1000)  # exists before the call: not counted

    def fn():
        b = a + 1  # 2,000,000 bytes
        c = b * 2  # 2,000,000 bytes, both alive: peak 4,000,000
        del b
        return c.sum()

    per_example, how = bench.peak_memory_per_example(fn, 4, torch.device("cpu"))
    assert how.startswith("profiler memory timeline")
    # the two 2 MB tensors, plus a few bytes for the wrapped Python scalars 1 and 2
    assert 4_000_000 <= per_example * 4 <= 4_000_064
