"""Segmentation: FCN and score-net shapes, objectives, gradient isolation, SEAL-static loading, training,
``seal fit`` dispatch, ``seal predict --png`` and the report's segmentation table."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import lightning as L
import numpy as np
import pytest
import torch
from torch.nn import functional as F

from seal.core.spaces import BinaryMaskSpace
from seal.energies.segmentation import SegmentationScoreNet
from seal.objectives.loss_net import NCERankingLoss, RegressionLoss, RegressionSamplesLoss, noise_log_prob
from seal.objectives.task_net import TaskNetLoss
from seal.samplers.gbi import DVNSampler
from seal.tasks.segmentation import data as wz
from seal.tasks.segmentation.datamodule import SegmentationArrays, WeizmannDataModule

MASK = BinaryMaskSpace()
from seal.oracles import soft_iou
from seal.task_nets.segmentation import FCNSegmenter, foreground_probs
from seal.tasks.segmentation.module import SegmentationModule, resolve_pretrained
from seal.training.checkpoint import AtomicCheckpointIO, load_checkpoint

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::DeprecationWarning")


@pytest.fixture(scope="module", autouse=True)
def _one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def _toy_split(n, seed):
    """Bright squares on a dark noisy background: learnable in a few steps."""
    rng = np.random.default_rng(seed)
    masks = np.zeros((n, 32, 32), np.uint8)
    for i in range(n):
        r, c = rng.integers(4, 20, 2)
        masks[i, r : r + 10, c : c + 10] = 1
    images = (rng.integers(0, 60, (n, 32, 32, 3)) + 150 * masks[..., None]).astype(np.uint8)
    return wz.SegmentationSplit(images, masks, f"toy{seed}.npz")


@pytest.fixture(scope="module")
def toy_arrays():
    return SegmentationArrays({"train": _toy_split(16, 0), "val": _toy_split(4, 1), "test": _toy_split(4, 2)}, "toy")


def _trainer(tmp, epochs=1):
    return L.Trainer(
        max_epochs=epochs, accelerator="cpu", devices=1, logger=False, enable_checkpointing=False,
        enable_progress_bar=False, enable_model_summary=False, num_sanity_val_steps=0, inference_mode=False,
        plugins=[AtomicCheckpointIO()], default_root_dir=tmp,
    )


# ---------------------------------------------------------------------------------------- networks


def test_fcn_and_score_net_shapes():
    fcn = FCNSegmenter()
    assert fcn(torch.rand(2, 3, 24, 24)).shape == (2, 2, 24, 24)
    assert fcn(torch.rand(1, 3, 32, 32)).shape == (1, 2, 32, 32)
    with pytest.raises(ValueError, match="multiples of 4"):
        fcn(torch.rand(1, 3, 30, 30))
    assert fcn.up3.bias is None and fcn.up2.bias is None
    net = SegmentationScoreNet().eval()
    x, y = torch.rand(3, 3, 24, 24), torch.rand(3, 24, 24)
    assert net(x, y).shape == (3,) and net(x, torch.rand(3, 5, 24, 24)).shape == (3, 5)
    assert net.conv1.in_channels == 4 and net.fc1.in_features == 128 * 6 * 6
    assert (net.fc1.out_features, net.fc2.out_features, net.fc3.out_features, net.dropout.p) == (384, 192, 1, 0.25)
    # the shared image part of the first convolution equals the convolution of [image ; mask]
    h = F.relu(net.conv1(torch.cat([x, y[:, None]], 1)))
    h = F.relu(net.conv3(F.relu(net.conv2(h))))
    ref = net.fc3(F.relu(net.fc2(F.relu(net.fc1(h.flatten(1))))))[:, 0]
    assert torch.allclose(net(x, y), ref, atol=1e-5)
    with pytest.raises(ValueError, match="24x24"):
        net(torch.rand(1, 3, 32, 32), torch.rand(1, 32, 32))


# -------------------------------------------------------------------------------------- objectives


class _ConstScore(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = torch.nn.Parameter(torch.tensor(float(c)))

    def encode(self, x):
        return x

    def score(self, ctx, y):
        return self.c * torch.ones(y.shape[:-2]) + 0 * y.sum((-2, -1))


def test_task_loss_terms():
    torch.manual_seed(0)
    logits, y, x = torch.randn(2, 2, 4, 4), (torch.rand(2, 4, 4) < 0.5).float(), torch.rand(2, 3, 4, 4)
    ce = F.cross_entropy(logits, y.long())  # mean over all pixels of all images = mean of per-image means
    assert torch.allclose(TaskNetLoss(0.0, space=MASK)(None, x, y, logits), ce)
    s = _ConstScore(0.7)
    assert torch.allclose(TaskNetLoss(0.5, 1.0, "sigmoid", space=MASK)(s, x, y, logits), ce - 0.5 * torch.sigmoid(torch.tensor(0.7)))
    assert torch.allclose(TaskNetLoss(0.5, 1.0, "raw", space=MASK)(s, x, y, logits), ce - 0.5 * 0.7)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: TaskNetLoss(-0.1, space=MASK), "TaskNetLoss: score_weight must be a finite number >= 0"),
        (lambda: TaskNetLoss(0.1, float("nan"), space=MASK), "TaskNetLoss: ce_weight must be a finite number >= 0"),
        (lambda: TaskNetLoss(0.1, 1.0, "tanh", space=MASK), "score_transform must be one of ('raw', 'sigmoid')"),
        (lambda: RegressionLoss("avg", space=MASK), "RegressionLoss: reduction must be one of"),
        (lambda: RegressionSamplesLoss(0, 1.0, space=MASK), "RegressionSamplesLoss: num_samples must be an integer >= 1"),
        (lambda: RegressionSamplesLoss(True, 1.0, space=MASK), "num_samples must be an integer >= 1, got True"),
        (lambda: RegressionSamplesLoss(4, 0.0, space=MASK), "std must be a finite number > 0"),
        (lambda: NCERankingLoss(2.5, space=MASK), "NCERankingLoss: num_samples must be an integer >= 1"),
        (lambda: NCERankingLoss(4, "max", space=MASK), "NCERankingLoss: reduction must be one of"),
        (lambda: DVNSampler(MASK, steps=-1), "DVN sampler steps must be an integer >= 0, got -1"),
        (lambda: DVNSampler(MASK, init="gold-or-zeros", gold_init_prob=1.5), "gold_init_prob must lie in [0, 1], got 1.5"),
    ],
)
def test_objective_arguments_rejected(build, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        build()


def test_regression_targets_and_samples():
    torch.manual_seed(0)
    net = SegmentationScoreNet(image_size=8)
    x, y, z = torch.rand(2, 3, 8, 8), (torch.rand(2, 8, 8) < 0.5).float(), torch.randn(2, 2, 8, 8)
    loss = RegressionLoss("mean", space=MASK, per_candidate=True)
    p = foreground_probs(z)
    scores = net.eval()(x, p.unsqueeze(1))
    expected = F.binary_cross_entropy_with_logits(scores, soft_iou(p.unsqueeze(1), y.unsqueeze(1)))
    assert torch.allclose(loss(net, x, y, z), expected)
    rs = RegressionSamplesLoss(5, 0.8553, "mean", space=MASK, per_candidate=True)
    c = rs.candidates(z)
    assert c.shape == (2, 5, 8, 8) and torch.allclose(c[:, 0], p) and not torch.allclose(c[:, 1], p)
    # empty prediction against empty gold: the target is 1, never NaN
    assert soft_iou(torch.zeros(1, 8, 8), torch.zeros(1, 8, 8)).item() == 1.0


def test_nce_loss_value():
    torch.manual_seed(0)
    x, y, z = torch.rand(2, 3, 6, 6), (torch.rand(2, 6, 6) < 0.5).float(), torch.randn(2, 2, 6, 6)
    nce = NCERankingLoss(4, "mean", space=MASK)
    g = torch.Generator().manual_seed(1)
    cands = nce.candidates(y, z, torch.Generator().manual_seed(1))
    assert cands.shape == (2, 5, 6, 6) and torch.equal(cands[:, 0], y)
    assert set(cands[:, 1:].unique().tolist()) <= {0.0, 1.0}
    s = _ConstScore(0.3)
    logits = 0.3 - noise_log_prob((z[:, 1] - z[:, 0]).flatten(1), cands.flatten(2))
    expected = (torch.logsumexp(logits, 1) - logits[:, 0]).mean()
    assert torch.allclose(nce(s, x, y, z, generator=g), expected)
    # saturated probabilities stay finite
    assert torch.isfinite(nce(s, x, y, torch.stack([torch.zeros(2, 6, 6), 50 * torch.ones(2, 6, 6)], 1))).all()


def test_dvn_gbi_samples_leave_parameters_alone():
    torch.manual_seed(0)
    net = SegmentationScoreNet(image_size=8)
    x, y = torch.rand(3, 3, 8, 8), (torch.rand(3, 8, 8) < 0.5).float()
    sampler = DVNSampler(MASK, init="gold-or-zeros", gold_init_prob=0.0, steps=3, adv_steps=3, differentiable_oracle=True)
    c = sampler(net, x, y)
    assert c.shape == (3, 3, 8, 8) and float(c.min()) >= 0 and float(c.max()) <= 1
    assert torch.equal(c[:, 2], y) and all(p.grad is None for p in net.parameters())
    RegressionLoss("mean", space=MASK, per_candidate=True)(net, x, y, None, samples=c).backward()
    assert all(p.grad is not None for p in net.parameters())


# --------------------------------------------------------------------------- module: isolation, static


def _snapshot(module):
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def _same(a, b):
    return all(torch.equal(a[k], b[k]) for k in a)


def test_gradient_isolation_in_a_seal_step():
    torch.manual_seed(0)
    m = SegmentationModule(method="seal-dynamic-nce", objective={"score_loss_weight": 1.0}, sampler={"num_samples": 2})
    opt_t = torch.optim.Adam(m.task_net.parameters(), lr=0.1)
    opt_s = torch.optim.Adam(m.score_net.parameters(), lr=0.1)
    x, y = torch.rand(2, 3, 24, 24), (torch.rand(2, 24, 24) < 0.5).float()
    task0, score0 = _snapshot(m.task_net), _snapshot(m.score_net)
    m.loss_net_step(opt_s, x, y)
    assert all(p.grad is None for p in m.task_net.parameters()) and _same(task0, _snapshot(m.task_net))
    assert not _same(score0, _snapshot(m.score_net))
    score1 = _snapshot(m.score_net)
    opt_s.zero_grad(set_to_none=True)
    m.task_net_step(opt_t, x, y)
    assert all(p.grad is None for p in m.score_net.parameters()) and _same(score1, _snapshot(m.score_net))
    assert not _same(task0, _snapshot(m.task_net))
    assert all(p.requires_grad for p in m.score_net.parameters())  # flags restored


def _dvn_checkpoint(path, crop_size=24):
    dvn = SegmentationModule(method="dvn-gbi", crop_size=crop_size)
    torch.save({"state_dict": dvn.state_dict(), "hyper_parameters": dict(dvn.hparams)}, path)
    return dvn


def test_seal_static_loads_frozen_dvn_score_net(tmp_path, monkeypatch):
    torch.manual_seed(0)
    run = tmp_path / "runs" / "dvn-gbi" / "seed3" / "lightning_logs" / "version_0" / "checkpoints"
    run.mkdir(parents=True)
    dvn = _dvn_checkpoint(run / "best.ckpt")
    monkeypatch.setenv("PL_GLOBAL_SEED", "3")
    template = str(tmp_path / "runs" / "dvn-gbi" / "seed{seed}")
    assert resolve_pretrained(template) == run / "best.ckpt"
    m = SegmentationModule(method="seal-static-regression", objective={"score_loss_weight": 1.0}, score_checkpoint=template)
    m.setup("fit")
    assert _same(_snapshot(dvn.score_net), _snapshot(m.score_net))
    assert not any(p.requires_grad for p in m.score_net.parameters())
    opt_t = torch.optim.Adam(m.task_net.parameters(), lr=0.1)
    m.task_net_step(opt_t, torch.rand(2, 3, 24, 24), (torch.rand(2, 24, 24) < 0.5).float())
    assert _same(_snapshot(dvn.score_net), _snapshot(m.score_net))
    assert not any(p.requires_grad for p in m.score_net.parameters())  # still frozen after the step
    assert m.configure_optimizers()[0].__len__() == 1  # no loss-net optimizer

    _dvn_checkpoint(tmp_path / "small.ckpt", crop_size=32)
    with pytest.raises(ValueError, match=r"score_net\.fc1\.weight is \(384, 8192\) in the checkpoint but \(384, 4608\) here"):
        m.load_pretrained_score_net(tmp_path / "small.ckpt")
    torch.save({"state_dict": {"task_net.conv1.weight": torch.zeros(1)}}, tmp_path / "ce.ckpt")
    with pytest.raises(ValueError, match="no score_net"):
        m.load_pretrained_score_net(tmp_path / "ce.ckpt")
    (tmp_path / "runs" / "dvn-gbi" / "seed9").mkdir()
    with pytest.raises(FileNotFoundError, match="no best.ckpt"):
        resolve_pretrained(str(tmp_path / "runs" / "dvn-gbi" / "seed{seed}"), seed=9)
    with pytest.raises(FileNotFoundError, match="checkpoint not found"):
        resolve_pretrained(str(tmp_path / "nothing.ckpt"))


def test_bad_method_settings():
    with pytest.raises(ValueError, match="unknown segmentation method"):
        SegmentationModule(method="spen")
    with pytest.raises(ValueError, match="score_loss_weight"):
        SegmentationModule(method="seal-dynamic-regression-s")
    with pytest.raises(ValueError, match="score_checkpoint"):
        SegmentationModule(method="seal-static-regression", objective={"score_loss_weight": 1.0})
    with pytest.raises(ValueError, match="num_samples"):
        SegmentationModule(method="seal-dynamic-nce", objective={"score_loss_weight": 1.0}, sampler={"num_samples": 0})
    with pytest.raises(ValueError, match=r"gbi.gt_init_prob must be a probability in \[0, 1\], got 1.5"):
        SegmentationModule(method="dvn-gbi", gbi={"gt_init_prob": 1.5})
    with pytest.raises(ValueError, match=r"model.gbi: unknown key\(s\) \['init'\]"):
        SegmentationModule(method="dvn-gbi", gbi={"init": "zeros"})


# -------------------------------------------------------------------------------- training, predict


@pytest.fixture(scope="module")
def trained(toy_arrays, tmp_path_factory):
    """CE and SEAL-dynamic NCE models trained 2 epochs on toy arrays, saved as checkpoints."""
    out = {}
    d = tmp_path_factory.mktemp("seg")
    for method, kw in (
        ("cross-entropy", {}),
        ("seal-dynamic-nce", {"objective": {"score_loss_weight": 0.01}, "sampler": {"num_samples": 2}}),
    ):
        L.seed_everything(0, verbose=False)
        m = SegmentationModule(method=method, **kw)
        dm = WeizmannDataModule.from_arrays(toy_arrays, batch_size=8, eval_batch_size=4)
        tr = _trainer(d, epochs=2)
        tr.fit(m, datamodule=dm)
        tr.test(m, datamodule=dm, verbose=False)
        path = d / f"{method}.ckpt"
        tr.save_checkpoint(path)
        out[method] = (path, m)
    np.savez(d / "test.npz", images=toy_arrays.splits["test"].images, masks=toy_arrays.splits["test"].masks)
    return out, d / "test.npz"


def test_training_records_iou_and_checkpoint(trained):
    models, _ = trained
    for method, (path, m) in models.items():
        assert [h["epoch"] for h in m.val_history] == [0, 1] and m.batches_seen == 4
        assert 0.0 <= m.test_results["mean_iou"] <= 1.0 and "pixel_accuracy" in m.test_results
        ckpt = load_checkpoint(path)
        assert ckpt["seal"]["task"] == "segmentation" and ckpt["hyper_parameters"]["method"] == method


def test_predict_png_and_jsonl(trained, tmp_path, capsys):
    from seal.cli import predict as cli

    models, npz = trained
    ce, nce = models["cross-entropy"][0], models["seal-dynamic-nce"][0]
    png, out = tmp_path / "grid.png", tmp_path / "p.jsonl"
    rc = cli.main(["--ckpt_path", str(ce), "--input", str(npz), "--png", str(png), "--images", "0", "2",
                   "--compare", str(nce), "--output", str(out)])
    text = capsys.readouterr().out
    assert rc == 0, text
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # the command that drew the grid is written beside it
    assert (tmp_path / "grid.command.txt").read_text() == (
        f"seal predict --ckpt_path {ce} --input {npz} --png {png} --images 0 2 --compare {nce} --output {out}\n"
    )
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 4 and len(rows[0]["mask"]) == 32 and set(rows[0]) == {"index", "iou", "pixel_accuracy", "foreground_fraction", "mask"}
    assert "mean IoU" in text and "seal-dynamic-nce" in text
    assert cli.main(["--ckpt_path", str(ce), "--input", str(npz), "--png", str(png), "--images", "9"]) == 2
    assert "out of range" in capsys.readouterr().err
    assert cli.main(["--ckpt_path", str(ce), "--input", str(npz)]) == 2
    assert "--output is required" in capsys.readouterr().err
    # --compare takes checkpoints of the main checkpoint's task only (asked of the registry, not by name)
    other = load_checkpoint(ce)
    del other["seal"]["task"]  # a checkpoint without a task name is a feature-MLC one
    torch.save(other, tmp_path / "mlc.ckpt")
    assert cli.main(["--ckpt_path", str(ce), "--input", str(npz), "--png", str(png),
                     "--compare", str(tmp_path / "mlc.ckpt")]) == 2
    err = capsys.readouterr().err
    assert str(tmp_path / "mlc.ckpt") in err and "multilabel" in err


# ------------------------------------------------------------------------------------ CLI dispatch


def test_detect_task():
    from seal.cli.lightning import detect_task

    cfg = str(REPO / "configs" / "weizmann_horse" / "cross-entropy.yaml")
    assert detect_task(["fit", "--config", cfg]) == "segmentation"
    assert detect_task(["fit", f"--config={cfg}", "--task", "multilabel"]) == "multilabel"
    assert detect_task(["fit", "--config", str(REPO / "configs" / "genbase" / "cross-entropy.yaml")]) == "multilabel"
    with pytest.raises(ValueError, match="unknown task 'pose'"):
        detect_task(["fit", "--task=pose"])


def test_configs_parse_and_say_what_changed():
    import yaml

    d = REPO / "configs" / "weizmann_horse"
    methods = ["cross-entropy", "dvn-gbi", "seal-dynamic-regression-s", "seal-dynamic-nce", "seal-static-regression"]
    for m in methods:
        for variant in ("", ".cpu"):
            path = d / f"{m}{variant}.yaml"
            cfg = yaml.safe_load(path.read_text())
            assert cfg["task"] == "segmentation" and cfg["model"]["method"] == m and cfg["data"]["batch_size"] == 8
            if variant:
                assert "Changed from" in path.read_text()
    paper = yaml.safe_load((d / "seal-dynamic-regression-s.yaml").read_text())["model"]
    assert (paper["sampler"]["num_samples"], paper["schedule"]["loss_net_steps"], paper["schedule"]["task_net_steps"],
            paper["objective"]["score_loss_weight"]) == (48, 6, 10, 0.005643)
    assert yaml.safe_load((d / "seal-dynamic-nce.yaml").read_text())["model"]["sampler"]["num_samples"] == 500
    # the 'cpu-w' NCE variant differs from 'cpu' only in w_s (0.01 -> 0.001)
    cpu = yaml.safe_load((d / "seal-dynamic-nce.cpu.yaml").read_text())
    cpu_w = yaml.safe_load((d / "seal-dynamic-nce.cpu-w.yaml").read_text())
    assert (cpu["model"]["objective"].pop("score_loss_weight"), cpu_w["model"]["objective"].pop("score_loss_weight")) == (
        0.01, 0.001)
    assert cpu == cpu_w and "w_s 0.01 -> 0.001" in (d / "seal-dynamic-nce.cpu-w.yaml").read_text()


@pytest.mark.realdata
def test_seal_fit_segmentation_config_end_to_end(data_dir, tmp_path, monkeypatch, capsys):
    """``seal fit --config configs/weizmann_horse/...`` dispatches on ``task: segmentation`` (in-process)."""
    from seal.cli.main import main

    metrics = tmp_path / "m.json"
    monkeypatch.setenv("SEAL_DATA_DIR", str(data_dir))
    monkeypatch.setattr(sys, "argv", ["seal"])
    rc = main([
        "fit", "--config", str(REPO / "configs" / "weizmann_horse" / "cross-entropy.cpu.yaml"),
        "--trainer.max_epochs", "1", "--trainer.limit_train_batches", "2", "--trainer.limit_val_batches", "1",
        "--trainer.limit_test_batches", "1", "--data.eval_batch_size", "4", "--trainer.enable_progress_bar", "false",
        "--trainer.default_root_dir", str(tmp_path), "--metrics_file", str(metrics),
    ])
    out = capsys.readouterr().out
    assert rc == 0
    res = json.loads(metrics.read_text())
    assert res["task"] == "segmentation" and res["batches_seen"] == 2
    assert 0.0 <= res["metrics"]["test"]["mean_iou"] <= 1.0 and "mean_iou" in res["metrics"]["val"]
    assert res["val_history"][0]["mean_iou"] == pytest.approx(res["metrics"]["val"]["mean_iou"], abs=1e-6)
    assert "test metrics (cross-entropy)" in out and "mean_iou" in out
    ckpts = sorted(p.name for p in tmp_path.rglob("*.ckpt"))
    assert ckpts == ["best.ckpt", "last.ckpt"]


# ------------------------------------------------------------------------------------------ report


def test_report_has_a_segmentation_table(tmp_path):
    from seal.experiments.report import render_report

    def rec(method, seed, iou, s_epoch, variant="cpu"):
        return {
            "dataset": "weizmann_horse", "split_protocol": "official", "method": method, "variant": variant, "seed": seed,
            "metrics": {"test": {"mean_iou": iou, "pixel_accuracy": 0.9}, "val": {"mean_iou": iou}},
            "epochs": 10, "best_epoch": 5, "timings": {"epoch_s_mean": s_epoch},
            "val_history": [{"epoch": 0, "mean_iou": iou}],
        }

    records = [rec("cross-entropy", 0, 0.60, 2.0), rec("cross-entropy", 1, 0.62, 2.0),
               rec("seal-dynamic-nce", 0, 0.65, 5.0), rec("seal-dynamic-nce", 1, 0.67, 5.0)]
    text = render_report(records, command="seal report", results_path="r.jsonl",
                         prediction_figures=[("grid", "figures/weizmann_horse_predictions.png")])
    assert "## Binary image segmentation" in text and "Test mean IoU (%), 36-crop average: ours vs the paper" in text
    assert "| weizmann_horse | official | cross-entropy (cpu) | 61.00 ± 1.41 (n=2) | — | — |" in text
    assert "| pixel accuracy |" in text and "2.50×" in text and "1.00×" in text
    assert "SEAL-dynamic NCE 66.00 ± 1.41 (n=2) **beats** cross-entropy 61.00 ± 1.41 (n=2) (cpu)" in text
    assert "![grid](figures/weizmann_horse_predictions.png)" in text
    # a SEAL variant without its own (or a base) cross-entropy row is compared with CE 'cpu': 4.0 / 2.0 s per epoch
    records += [rec("seal-dynamic-nce", 0, 0.58, 4.0, variant="cpu-w")]
    text = render_report(records, command="seal report", results_path="r.jsonl")
    row = next(ln for ln in text.splitlines() if ln.startswith("| weizmann_horse | official | seal-dynamic-nce (cpu-w) | 1 |"))
    assert "| 4.00 | — | 2.00× |" in row  # runs at once: — (these records have no finish time)
    assert "(SEAL cpu-w variant, split official): SEAL-dynamic NCE 58.00 (n=1) does **not** beat cross-entropy 61.00 ± 1.41 (n=2) (cpu) (Δ −3.00)" in text


def test_write_report_plots_iou_and_embeds_the_prediction_grid(tmp_path):
    from seal.experiments.report import write_report
    from seal.experiments.runner import append_result

    results = tmp_path / "runs.jsonl"
    for seed, iou in ((0, 0.5), (1, 0.6)):
        append_result(results, {
            "dataset": "weizmann_horse", "split_protocol": "official", "method": "cross-entropy", "variant": "cpu",
            "seed": seed, "metrics": {"test": {"mean_iou": iou}, "val": {"mean_iou": iou}}, "best_epoch": 1,
            "val_history": [{"epoch": 0, "mean_iou": iou - 0.1}, {"epoch": 1, "mean_iou": iou}],
        })
    figs = tmp_path / "docs" / "figures"
    figs.mkdir(parents=True)
    (figs / "weizmann_horse_predictions.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (figs / "weizmann_horse_predictions.command.txt").write_text("seal predict --ckpt_path a.ckpt --png x.png\n")
    out = write_report(results, tmp_path / "docs" / "results.md", figures_dir=figs, plots=["weizmann_horse/cross-entropy/cpu/0"])
    text = out.read_text()
    assert "Validation mean IoU per epoch: weizmann_horse/cross-entropy/cpu/0" in text
    assert "](figures/weizmann_horse_predictions.png)" in text and "## Segmentation predictions" in text
    assert "\nCommand: `seal predict --ckpt_path a.ckpt --png x.png`\n" in text
    assert (figs / "val_f1_weizmann_horse_cross-entropy_cpu_0.png").is_file()
