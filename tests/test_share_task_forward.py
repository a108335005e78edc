"""``schedule.share_task_forward``: with S = 1, one task-net forward per T-iteration serves the loss-net step (its
noise distribution, detached) and the task-net step. Without dropout the two schedules are the same computation,
so they must end bit-identical; with dropout the shared one runs half the task-net forwards."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from seal.tasks.mlc_features.module import MultilabelModule
from seal.training.seal_module import Schedule

D, L, B = 12, 9, 8


def _data():
    rng = np.random.default_rng(0)
    X = torch.tensor(rng.normal(size=(B * 4, D)), dtype=torch.float32)
    Y = torch.tensor(rng.random((B * 4, L)) < 0.25, dtype=torch.float32)
    return X, Y


def _module(method, share, dropout, T=2):
    torch.manual_seed(0)
    m = MultilabelModule(in_features=D, num_labels=L, method=method,
                         task_net={"hidden": 16, "num_layers": 2, "dropout": dropout},
                         objective={"score_loss_weight": 0.5},
                         schedule={"loss_net_steps": 1, "task_net_steps": T, "share_task_forward": share},
                         sampler={"num_samples": 5})  # fmt: skip
    opts, _ = m.configure_optimizers()
    m.optimizers = lambda: opts
    return m


def _train(m, batches=12):
    X, Y = _data()
    losses = []
    orig = m._add_epoch_losses
    m._add_epoch_losses = lambda t, s: (losses.append((float(t), float(s))), orig(t, s))
    torch.manual_seed(1)
    for i in range(batches):
        j = i % 4
        m.training_step((X[j * B:(j + 1) * B], Y[j * B:(j + 1) * B]), i)
    return losses


@pytest.mark.parametrize("method", ["seal-dynamic-nce", "seal-dynamic-regression", "seal-dynamic-ranking"])
def test_without_dropout_the_shared_forward_is_the_same_computation(method, one_thread):
    a, b = _module(method, False, 0.0), _module(method, True, 0.0)
    la, lb = _train(a), _train(b)
    assert la == lb  # every task-net and loss-net loss, exactly
    for (name, p), q in zip(a.named_parameters(), b.parameters()):
        assert torch.equal(p, q), name


def test_with_dropout_one_task_net_forward_per_t_iteration(one_thread):
    calls = {}
    for share in (False, True):
        m = _module("seal-dynamic-nce", share, [0.3, 0.0], T=3)
        n = []
        m.task_net.register_forward_hook(lambda mod, i, o: n.append(1))
        m.task_net.forward_repeated = None  # count the S no-grad passes as forwards too
        _train(m, batches=4)
        calls[share] = len(n)
    assert calls == {False: 4 * 3 * 2, True: 4 * 3}  # batches x T x (no-grad pass + task step) vs x T


def test_share_task_forward_needs_one_loss_net_step():
    with pytest.raises(ValueError, match=r"share_task_forward needs loss_net_steps \(S\) = 1.*loss_net_steps=3"):
        Schedule(loss_net_steps=3, share_task_forward=True)
    with pytest.raises(ValueError, match="share_task_forward must be true or false, got 'yes'"):
        Schedule(share_task_forward="yes")


@pytest.mark.parametrize("method", ["cross-entropy", "seal-static-nce", "nce-gbi", "seal-dynamic-margin"])
def test_share_task_forward_is_refused_where_there_is_no_such_step(method):
    objective = {"score_loss_weight": 0.5} if method.startswith("seal") else {}
    with pytest.raises(ValueError, match=f"share_task_forward applies to SEAL-dynamic.*method '{method}'"):
        MultilabelModule(in_features=D, num_labels=L, method=method, objective=objective,
                         schedule={"share_task_forward": True})
