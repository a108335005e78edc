"""Tests for the MLC score network (seal-method.md B.1, H.18): exact formula, vectorisation, enumeration."""

from __future__ import annotations

import itertools
import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from seal.energies import MLCScoreNet


def _net(d=5, L=4, seed=0, **kw):
    torch.manual_seed(seed)
    kw.setdefault("hidden", 8)
    kw.setdefault("global_hidden", 6)
    return MLCScoreNet(d, L, **kw).double()


def _reference_score(net: MLCScoreNet, local_row, y_row) -> float:
    """Explicit per-label / per-unit loops of S = Σ_l y_l local_l + Σ_g c2_g softplus(Σ_l C1_gl y_l + b1_g)."""
    L = len(y_row)
    s = sum(float(y_row[l]) * float(local_row[l]) for l in range(L))
    W = net.global_linear.weight.detach()
    b = net.global_linear.bias.detach()
    c2 = net.global_vector.detach()
    for g in range(net.global_hidden):
        pre = float(b[g]) + sum(float(W[g, l]) * float(y_row[l]) for l in range(L))
        s += float(c2[g]) * math.log1p(math.exp(pre))
    return s


def test_shapes_and_energy_sign():
    net = _net()
    x = torch.randn(3, 5, dtype=torch.float64)
    y1 = torch.rand(3, 4, dtype=torch.float64)
    yk = torch.rand(3, 7, 4, dtype=torch.float64)
    assert net(x, y1).shape == (3,)
    assert net(x, yk).shape == (3, 7)
    assert net.local_logits(x).shape == (3, 4)
    torch.testing.assert_close(net.energy(x, yk), -net(x, yk))


def test_score_from_local_matches_explicit_loop():
    net = _net(L=5)
    x = torch.randn(4, 5, dtype=torch.float64)
    y = torch.rand(4, 3, 5, dtype=torch.float64)
    with torch.no_grad():
        local = net.local_logits(x)
        got = net.score_from_local(local, y)
    for b in range(4):
        for k in range(3):
            assert got[b, k].item() == pytest.approx(_reference_score(net, local[b], y[b, k]), rel=1e-10, abs=1e-10)


def test_vectorised_equals_separate_calls():
    net = _net(L=6)
    x = torch.randn(5, 5, dtype=torch.float64)
    y = torch.rand(5, 9, 6, dtype=torch.float64)
    with torch.no_grad():
        local = net.local_logits(x)
        together = net.score_from_local(local, y)
        separate = torch.stack([net.score_from_local(local, y[:, k]) for k in range(9)], dim=1)
        via_forward = net(x, y)
    torch.testing.assert_close(together, separate, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(together, via_forward, rtol=1e-12, atol=1e-12)


@settings(max_examples=12, deadline=None)
@given(L=st.integers(1, 6), seed=st.integers(0, 10_000))
def test_exhaustive_enumeration_of_binary_outputs(L, seed):
    net = _net(d=3, L=L, seed=seed)
    x = torch.randn(2, 3, dtype=torch.float64)
    all_y = torch.tensor(list(itertools.product([0.0, 1.0], repeat=L)), dtype=torch.float64)  # (2^L, L)
    Y = all_y.unsqueeze(0).expand(2, -1, -1)
    with torch.no_grad():
        local = net.local_logits(x)
        scores = net(x, Y)
    assert scores.shape == (2, 2**L)
    for b in range(2):
        for i, y in enumerate(all_y):
            assert scores[b, i].item() == pytest.approx(_reference_score(net, local[b], y), rel=1e-10, abs=1e-10)
    # empty output: the local part vanishes, only the global bias path remains
    with torch.no_grad():
        empty = float((net.global_vector * torch.nn.functional.softplus(net.global_linear.bias)).sum())
    assert scores[:, 0].tolist() == pytest.approx([empty, empty])


@pytest.mark.filterwarnings("ignore:Sparse CSR tensor support is in beta")
def test_sparse_input_equals_dense():
    net = _net()
    x = torch.zeros(3, 5, dtype=torch.float64)
    x[0, 1] = 1.0
    x[2, 4] = 2.5
    y = torch.rand(3, 2, 4, dtype=torch.float64)
    with torch.no_grad():
        torch.testing.assert_close(net(x.to_sparse(), y), net(x, y))
        torch.testing.assert_close(net(x.to_sparse_csr(), y), net(x, y))


def test_local_logits_is_feature_net_times_embeddings():
    net = _net()
    x = torch.randn(3, 5, dtype=torch.float64)
    with torch.no_grad():
        torch.testing.assert_close(net.local_logits(x), net.feature_net(x) @ net.label_embeddings.T)


def test_initialisation():
    torch.manual_seed(0)
    net = MLCScoreNet(50, 30, hidden=64, num_layers=2, dropout=[0.5, 0.0], global_hidden=2000)
    assert torch.all(net.global_linear.bias == 0)
    for lin in net.feature_net.linears:
        assert torch.all(lin.bias == 0)
    # c2 ~ N(0, sqrt(2/G))
    assert net.global_vector.std().item() == pytest.approx(math.sqrt(2 / 2000), rel=0.1)
    # kaiming-uniform (relu gain) bound sqrt(6 / fan_in)
    assert net.global_linear.weight.abs().max().item() <= math.sqrt(6 / 30) + 1e-6
    # xavier-uniform bound sqrt(6 / (fan_in + fan_out))
    assert net.label_embeddings.abs().max().item() <= math.sqrt(6 / (30 + 64)) + 1e-6
    assert net.feature_net.dropouts == [0.5, 0.0]


def test_gradients_flow_to_all_parameters():
    net = _net()
    x = torch.randn(3, 5, dtype=torch.float64)
    y = torch.rand(3, 4, 4, dtype=torch.float64)
    net(x, y).sum().backward()
    for name, p in net.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name


def test_bad_shapes_raise():
    net = _net()
    local = torch.zeros(3, 4, dtype=torch.float64)
    with pytest.raises(ValueError, match="num_labels|local"):
        net.score_from_local(local, torch.zeros(3, 5, dtype=torch.float64))
    with pytest.raises(ValueError):
        net.score_from_local(local, torch.zeros(2, 4, dtype=torch.float64))
    with pytest.raises(ValueError):
        net.score_from_local(local, torch.zeros(3, 1, 1, 4, dtype=torch.float64))


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(in_features=0, num_labels=3), "in_features"),
        (dict(in_features=3, num_labels=0), "num_labels"),
        (dict(in_features=3, num_labels=3, global_hidden=0), "global_hidden"),
        (dict(in_features=3, num_labels=3, num_layers=0), "num_layers"),
        (dict(in_features=3, num_labels=3, num_layers=2, dropout=[0.1]), "dropout"),
    ],
)
def test_constructor_validation(kwargs, name):
    with pytest.raises(ValueError, match=name):
        MLCScoreNet(**kwargs)
