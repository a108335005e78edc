"""The objectives and samplers written once (seal.core / seal.objectives / seal.samplers.gbi) against values
pinned from the code before the "one SEAL core" refactor (two stacks: objectives/loss_net.py for multi-label,
objectives/segmentation.py for masks, the DVN samplers in each LightningModule).

``tests/data/objectives_pinned.json`` was written by the old code (commit 01e9a48) with the same inputs, networks
and seeds as below: for every objective the loss, and for every parameter of the score network (and for the
task-net logits of the task-net objectives) the sum and the absolute sum of its gradient; for the DVN samplers
also two checksums of the samples. The RNG is seeded right before each call with dropout active, so the order of
the random draws (candidates first, then the score network's encoder) is part of what is pinned. On the machine
that wrote the file every value is bit-identical; the comparison allows float32 rounding (rel. 1e-6) so that
another CPU's kernels do not fail it.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch

from seal.energies.mlc import MLCScoreNet
from seal.energies.segmentation import SegmentationScoreNet

PINNED = json.loads((Path(__file__).parent / "data" / "objectives_pinned.json").read_text())


def inputs_mlc():
    g = torch.Generator().manual_seed(7)
    x = torch.randn(3, 7, generator=g)
    y = (torch.rand(3, 5, generator=g) < 0.4).float()
    y[2] = 0.0  # an empty gold row
    z = torch.randn(3, 5, generator=g) * 2
    ca = torch.rand(3, 5, generator=g)
    return x, y, z, ca

def inputs_seg():
    g = torch.Generator().manual_seed(8)
    x = torch.randn(2, 3, 8, 8, generator=g)
    y = (torch.rand(2, 8, 8, generator=g) < 0.3).float()
    y[1] = 0.0
    z = torch.randn(2, 2, 8, 8, generator=g)
    return x, y, z

def mlc_net():
    torch.manual_seed(11)
    return MLCScoreNet(7, 5, hidden=6, num_layers=2, dropout=0.25, global_hidden=4).train()

def seg_net():
    torch.manual_seed(12)
    return SegmentationScoreNet(image_size=8, dropout=0.25).train()

def record(net, loss, extra=None, z=None):
    net.zero_grad(set_to_none=True)
    if z is not None and z.grad is not None:
        z.grad = None
    loss.backward()
    out = {"loss": loss.item(), "grads": {n: [p.grad.sum().item(), p.grad.abs().sum().item()] for n, p in net.named_parameters() if p.grad is not None}}
    if z is not None:
        out["z_grad"] = [z.grad.sum().item(), z.grad.abs().sum().item()]
    if extra:
        out.update(extra)
    return out

def run(api):
    res = {}
    x, y, z, ca = inputs_mlc()
    for name, make, kw in api["mlc_loss_net"]:
        net = mlc_net(); obj = make()
        torch.manual_seed(1234)
        loss = obj(net, x, y, z, **kw(ca))
        res[f"mlc/{name}"] = record(net, loss)
    for name, make in api["mlc_task"]:
        net = mlc_net(); obj = make(); zz = z.clone().requires_grad_(True)
        torch.manual_seed(1234)
        loss = obj(net, x, y, zz, *( [ca] if "infnet" in name else []))
        res[f"mlc/{name}"] = record(net, loss, z=zz)
    # DVN samples (MLC): the module's sampler
    net = mlc_net()
    torch.manual_seed(1234)
    samples, loss = api["mlc_dvn"](net, x, y)
    res["mlc/dvn-gbi"] = record(net, loss, {"samples": [samples.sum().item(), (samples * torch.arange(samples.numel()).view_as(samples) % 7).sum().item()]})
    xs, ys, zs = inputs_seg()
    for name, make in api["seg_loss_net"]:
        net = seg_net(); obj = make()
        torch.manual_seed(1234)
        loss = obj(net, xs, ys, zs)
        res[f"seg/{name}"] = record(net, loss)
    for name, make in api["seg_task"]:
        net = seg_net(); obj = make(); zz = zs.clone().requires_grad_(True)
        torch.manual_seed(1234)
        loss = obj(net, xs, ys, zz)
        res[f"seg/{name}"] = record(net, loss, z=zz)
    net = seg_net()
    torch.manual_seed(1234)
    samples, loss = api["seg_dvn"](net, xs, ys)
    res["seg/dvn-gbi"] = record(net, loss, {"samples": [samples.sum().item(), (samples * torch.arange(samples.numel()).view_as(samples) % 7).sum().item()]})
    return res

def new_api():
    from seal.core.spaces import BinaryMaskSpace
    from seal.objectives.loss_net import NCERankingLoss, RankingLoss, RegressionLoss, RegressionSamplesLoss, MarginLoss
    from seal.objectives.task_net import TaskNetLoss, InfNetTaskLoss
    from seal.samplers.gbi import DVNSampler
    from seal.tasks.mlc_features.module import MultilabelModule
    none = lambda ca: {}
    M = BinaryMaskSpace()
    def mlc_dvn(net, x, y):
        m = MultilabelModule(7, 5, method="dvn-gbi", task_net={"hidden": 6, "num_layers": 2, "dropout": 0.25},
                             loss_net={"global_hidden": 4}, gbi={"train_steps": 3})
        m.score_net = net
        s = m.dvn_samples_for(x, y)
        return s, m.loss_net_loss(net, x, y, None, samples=s)
    def seg_dvn(net, x, y):
        smp = DVNSampler(M, ["inference", "adversarial", "gold"], init="gold-or-zeros", gold_init_prob=0.5, steps=3, lr=0.1, adv_steps=3, adv_lr=0.1, differentiable_oracle=True)
        s = smp(net, x, y)
        return s, RegressionLoss("mean", space=M, per_candidate=True)(net, x, y, None, samples=s)
    return {
        "mlc_loss_net": [
            ("nce", lambda: NCERankingLoss(4, sparse="dense"), none),
            ("nce-mean", lambda: NCERankingLoss(4, reduction="mean", sparse="dense"), none),
            ("ranking", lambda: RankingLoss(4, sparse="dense"), none),
            ("regression", lambda: RegressionLoss(), none),
            ("regression-s", lambda: RegressionSamplesLoss(4, 0.7), none),
            ("margin", lambda: MarginLoss(0.5), lambda ca: {"cost_augmented_probs": ca}),
            ("margin-released", lambda: MarginLoss(0.5, released_behaviour=True), none),
        ],
        "mlc_task": [
            ("task-raw", lambda: TaskNetLoss(0.7, 1.0, "raw")),
            ("task-sigmoid", lambda: TaskNetLoss(0.7, 1.0, "sigmoid")),
            ("task-ce", lambda: TaskNetLoss(0.0, 1.0)),
            ("task-infnet", lambda: InfNetTaskLoss(0.5, 1.0)),
        ],
        "mlc_dvn": mlc_dvn,
        "seg_loss_net": [
            ("regression", lambda: RegressionLoss("mean", space=M, per_candidate=True)),
            ("regression-s", lambda: RegressionSamplesLoss(3, 0.8, "mean", space=M, per_candidate=True)),
            ("nce", lambda: NCERankingLoss(3, "mean", space=M)),
        ],
        "seg_task": [
            ("task-sigmoid", lambda: TaskNetLoss(0.7, 1.0, "sigmoid", space=M)),
            ("task-raw", lambda: TaskNetLoss(0.7, 1.0, "raw", space=M)),
        ],
        "seg_dvn": seg_dvn,
    }


@pytest.fixture(scope="module")
def results():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return run(new_api())
    finally:
        torch.set_num_threads(threads)


def _close(a, b, path=""):
    if isinstance(a, dict):
        assert sorted(a) == sorted(b), path
        for k in a:
            _close(a[k], b[k], f"{path}/{k}")
    elif isinstance(a, list):
        assert len(a) == len(b), path
        for i, (u, v) in enumerate(zip(a, b)):
            _close(u, v, f"{path}[{i}]")
    else:
        assert math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-7), f"{path}: now {a!r}, pinned {b!r}"


@pytest.mark.parametrize("case", sorted(PINNED))
def test_objective_matches_pinned_old_code(results, case):
    _close(results[case], PINNED[case], case)
