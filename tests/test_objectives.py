"""Tests for loss-net and task-net objectives (seal-method.md A.3, A.4, H.2-H.8; cases B09, B16)."""

from __future__ import annotations

import json
import math

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from seal.energies import MLCScoreNet
from seal.objectives import (
    InfNetTaskLoss,
    MarginLoss,
    NCERankingLoss,
    RankingLoss,
    RegressionLoss,
    RegressionSamplesLoss,
    TaskNetLoss,
    noise_log_prob,
)
from seal.samplers import bernoulli_samples, gaussian_logit_samples
from seal.task_nets.cost_augmented import CostAugmentedNet


# ------------------------------------------------------------------------------------------- helpers
class LinearScore(nn.Module):
    """Hand-checkable score net: local = w ⊙ x, S(x, y) = Σ_l y_l w_l x_l + c Σ_l y_l."""

    def __init__(self, w, c=0.0):
        super().__init__()
        self.w = nn.Parameter(torch.tensor(w, dtype=torch.float64))
        self.c = nn.Parameter(torch.tensor(float(c), dtype=torch.float64))

    def encode(self, x):
        return x * self.w

    def score(self, local, y):
        if y.dim() == 3:
            local = local.unsqueeze(1)
        return (y * local).sum(-1) + self.c * y.sum(-1)

    def forward(self, x, y):
        return self.score(self.encode(x), y)


class RaisingScore(nn.Module):
    def encode(self, x):
        raise AssertionError("score net must not be called")

    def score(self, local, y):
        raise AssertionError("score net must not be called")

    def forward(self, x, y):
        raise AssertionError("score net must not be called")


def _hand_score(w, c, x_row, y_row):
    return sum(yl * wl * xl for yl, wl, xl in zip(y_row, w, x_row)) + c * sum(y_row)


def _sig(v):
    return 1.0 / (1.0 + math.exp(-v))


def _log_pn(z_row, y_row):
    return sum(y * math.log(_sig(z)) + (1 - y) * math.log(1 - _sig(z)) for z, y in zip(z_row, y_row))


def _bce_logit(s, t):
    return max(s, 0.0) - s * t + math.log1p(math.exp(-abs(s)))


def _mlc(L=4, seed=0, dtype=torch.float64):
    torch.manual_seed(seed)
    return MLCScoreNet(5, L, hidden=8, num_layers=2, global_hidden=6).to(dtype)


# ------------------------------------------------------------------------------------------- B16
def test_b16_gold_distance_exact_and_finite(cases_dir):
    case = json.loads((cases_dir / "B16_nce_saturated_probs.json").read_text())
    z = torch.tensor([case["task_logits"]], dtype=torch.float32)
    gold = torch.tensor([case["gold"]], dtype=torch.float32)
    samples = torch.tensor([case["samples"]], dtype=torch.float32)  # (1, 2, 2)
    # gold distance from logits: exactly 40.0 in float32
    lp_gold = noise_log_prob(z, gold)
    assert lp_gold.dtype == torch.float32
    assert lp_gold.item() == -40.0
    assert -lp_gold.item() == case["expected_gold_distance_from_logits (BCE-with-logits, exact)"]
    # sample distance = Σ BCE-with-logits = 2·softplus(−20) ≈ 4.12e-9, tiny and positive; accurate to
    # float32 relative precision (float32 F.binary_cross_entropy_with_logits itself rounds one term to 0)
    lp_s = noise_log_prob(z, samples)
    ref = F.binary_cross_entropy_with_logits(z.double().expand(2, 2), samples[0].double(), reduction="none").sum(-1)
    torch.testing.assert_close(-lp_s[0].double(), ref, rtol=1e-5, atol=0.0)
    assert 0 < -lp_s[0, 0].item() < 1e-8

    net = _mlc(L=2, dtype=torch.float32)
    x = torch.randn(1, 5)
    for loss_fn in (NCERankingLoss(2), RankingLoss(2)):
        net.zero_grad()
        loss = loss_fn(net, x, gold, z, samples=samples)
        assert torch.isfinite(loss)
        loss.backward()
        for name, p in net.named_parameters():
            assert p.grad is not None and torch.isfinite(p.grad).all(), name


def test_b16_all_masked_row_is_zero_with_zero_grad():
    net = _mlc(L=2, dtype=torch.float32)
    x = torch.randn(2, 5)
    z = torch.tensor([[20.0, -20.0], [0.3, -0.4]])
    gold = torch.tensor([[0.0, 1.0], [1.0, 0.0]])
    samples = torch.tensor([[[1.0, 0.0], [1.0, 0.0]], [[0.0, 0.0], [1.0, 1.0]]])
    mask = torch.tensor([[False, False, False], [True, True, False]])
    loss_fn = NCERankingLoss(2, reduction="none")
    terms = loss_fn(net, x, gold, z, samples=samples, candidate_mask=mask)
    assert terms[0].item() == 0.0
    assert torch.isfinite(terms).all()
    terms[0].backward()
    for name, p in net.named_parameters():
        assert p.grad is None or (torch.isfinite(p.grad).all() and torch.all(p.grad == 0)), name
    # the partially masked row equals the NCE loss on its unmasked candidates only
    net.zero_grad()
    kept = NCERankingLoss(1, reduction="none")(net, x[1:], gold[1:], z[1:], samples=samples[1:, :1])
    torch.testing.assert_close(terms[1], kept[0])
    # a fully masked batch gives a finite zero total with finite grads
    total = NCERankingLoss(2)(net, x, gold, z, samples=samples, candidate_mask=torch.zeros(2, 3, dtype=torch.bool))
    assert total.item() == 0.0
    total.backward()
    for p in net.parameters():
        assert p.grad is None or torch.isfinite(p.grad).all()


def test_candidate_mask_wrong_shape_raises():
    net = _mlc(L=2)
    with pytest.raises(ValueError, match="candidate_mask"):
        NCERankingLoss(2)(net, torch.randn(1, 5, dtype=torch.float64), torch.zeros(1, 2, dtype=torch.float64),
                          torch.zeros(1, 2, dtype=torch.float64), candidate_mask=torch.ones(1, 2, dtype=torch.bool))


# ------------------------------------------------------------------------------------------- NCE / ranking
def test_nce_matches_hand_computation_with_fixed_samples():
    w, c = [0.7, -1.1], 0.25
    net = LinearScore(w, c)
    x = torch.tensor([[1.0, 2.0], [-0.5, 0.3]], dtype=torch.float64)
    gold = torch.tensor([[1.0, 0.0], [1.0, 1.0]], dtype=torch.float64)
    z = torch.tensor([[0.4, -1.3], [2.0, 0.1]], dtype=torch.float64)
    samples = torch.tensor([[[0, 0], [1, 1], [0, 1]], [[1, 0], [1, 1], [0, 0]]], dtype=torch.float64)
    cands_all = [[gold[b].tolist()] + samples[b].tolist() for b in range(2)]

    for use_corr, cls in ((True, lambda: NCERankingLoss(3)), (False, lambda: RankingLoss(3))):
        expected = 0.0
        per = []
        for b in range(2):
            s = []
            for y in cands_all[b]:
                v = _hand_score(w, c, x[b].tolist(), y)
                if use_corr:
                    v -= _log_pn(z[b].tolist(), y)
                s.append(v)
            m = max(s)
            lse = m + math.log(sum(math.exp(v - m) for v in s))
            per.append(lse - s[0])
            expected += lse - s[0]
        loss_fn = cls()
        assert loss_fn(net, x, gold, z, samples=samples).item() == pytest.approx(expected, rel=1e-12)
        assert loss_fn.per_example(net, x, gold, z, samples=samples).tolist() == pytest.approx(per, rel=1e-12)


def test_nce_with_generator_matches_explicit_loop_over_mlc_net():
    net = _mlc(L=4)
    x = torch.randn(3, 5, dtype=torch.float64)
    gold = (torch.rand(3, 4) < 0.5).double()
    z = torch.randn(3, 4, dtype=torch.float64)
    K = 6
    loss = NCERankingLoss(K, sparse="dense")(net, x, gold, z, generator=torch.Generator().manual_seed(11))
    samples = bernoulli_samples(torch.sigmoid(z), K, generator=torch.Generator().manual_seed(11))
    expected = 0.0
    with torch.no_grad():
        for b in range(3):
            cands = [gold[b]] + [samples[b, k] for k in range(K)]
            s = torch.stack([net(x[b:b + 1], y.unsqueeze(0))[0] - _log_pn(z[b].tolist(), y.tolist()) for y in cands])
            expected += (torch.logsumexp(s, 0) - s[0]).item()
    assert loss.item() == pytest.approx(expected, rel=1e-10)


def test_nce_sparse_generator_matches_explicit_loop_over_mlc_net():
    """The default (sparse) path draws with the sparse sampler's stream; same loss as a loop over its samples."""
    from seal.samplers.mlc import bernoulli_samples_sparse

    net = _mlc(L=4)
    x = torch.randn(3, 5, dtype=torch.float64)
    gold = (torch.rand(3, 4) < 0.5).double()
    z = torch.randn(3, 4, dtype=torch.float64)
    K = 6
    loss = NCERankingLoss(K, sparse="sparse")(net, x, gold, z, generator=torch.Generator().manual_seed(11))
    cands = bernoulli_samples_sparse(z, K, generator=torch.Generator().manual_seed(11), gold=gold).to_dense(torch.float64)
    expected = 0.0
    with torch.no_grad():
        for b in range(3):
            s = torch.stack([net(x[b:b + 1], y.unsqueeze(0))[0] - _log_pn(z[b].tolist(), y.tolist()) for y in cands[b]])
            expected += (torch.logsumexp(s, 0) - s[0]).item()
    assert loss.item() == pytest.approx(expected, rel=1e-10)


def test_nce_reductions_and_precomputed_local():
    net = _mlc(L=3)
    x = torch.randn(4, 5, dtype=torch.float64)
    gold = (torch.rand(4, 3) < 0.5).double()
    z = torch.randn(4, 3, dtype=torch.float64)
    samples = bernoulli_samples(torch.sigmoid(z), 5)
    none = NCERankingLoss(5, reduction="none")(net, x, gold, z, samples=samples)
    assert none.shape == (4,)
    torch.testing.assert_close(NCERankingLoss(5)(net, x, gold, z, samples=samples), none.sum())
    torch.testing.assert_close(NCERankingLoss(5, reduction="mean")(net, x, gold, z, samples=samples), none.mean())
    local = net.encode(x)
    torch.testing.assert_close(NCERankingLoss(5, reduction="none")(net, None, gold, z, ctx=local, samples=samples), none)


def test_ranking_is_nce_without_correction():
    net = _mlc(L=3)
    x = torch.randn(4, 5, dtype=torch.float64)
    gold = (torch.rand(4, 3) < 0.5).double()
    z = torch.randn(4, 3, dtype=torch.float64)
    s = bernoulli_samples(torch.sigmoid(z), 4)
    torch.testing.assert_close(
        RankingLoss(4)(net, x, gold, z, samples=s),
        NCERankingLoss(4, use_noise_correction=False)(net, x, gold, z, samples=s),
    )
    assert not RankingLoss(4).use_noise_correction


# ------------------------------------------------------------------------------------------- regression
def test_regression_hand_values_with_empty_row(cases_dir):
    case = json.loads((cases_dir / "B09_example_f1_empty_rows.json").read_text())["dvn_oracle_soft_f1"]
    y_hat = torch.tensor(case["y_hat"], dtype=torch.float64)
    gold = torch.tensor(case["labels"], dtype=torch.float64)
    targets = case["expected"]  # [1.0, 0.6207]
    w, c = [0.5, -1.0], 0.3
    net = LinearScore(w, c)
    x = torch.ones(2, 2, dtype=torch.float64)
    per = RegressionLoss(reduction="none")(net, x, gold, None, samples=y_hat.unsqueeze(1))
    expected = [_bce_logit(_hand_score(w, c, [1, 1], y_hat[b].tolist()), targets[b]) for b in range(2)]
    assert per.tolist() == pytest.approx(expected, rel=1e-9)
    assert expected[0] == pytest.approx(math.log(2.0))  # S = 0 on the empty row, target 1
    total = RegressionLoss()(net, x, gold, None, samples=y_hat.unsqueeze(1))
    assert total.item() == pytest.approx(sum(expected), rel=1e-9)
    total.backward()
    assert torch.isfinite(net.w.grad).all() and torch.isfinite(net.c.grad)


def test_regression_from_logits_uses_sigmoid_and_is_finite_on_empty_rows():
    net = _mlc(L=3, dtype=torch.float32)
    x = torch.randn(3, 5)
    gold = torch.tensor([[0.0, 0.0, 0.0], [1.0, 0.0, 1.0], [0.0, 0.0, 0.0]])
    z = torch.tensor([[-200.0, -200.0, -200.0], [0.2, -0.3, 1.0], [0.1, -2.0, 3.0]])
    loss_fn = RegressionLoss(reduction="none")
    per = loss_fn(net, x, gold, z)
    p = torch.sigmoid(z)
    with torch.no_grad():
        s = net(x, p)
    from seal.oracles.functional import soft_f1

    ref = F.binary_cross_entropy_with_logits(s, soft_f1(p, gold), reduction="none")
    torch.testing.assert_close(per.detach(), ref)
    assert torch.isfinite(per).all()
    per.sum().backward()
    assert all(torch.isfinite(q.grad).all() for q in net.parameters())


def test_regression_samples_uses_gaussian_sampler_with_p_first():
    net = _mlc(L=4)
    x = torch.randn(3, 5, dtype=torch.float64)
    gold = (torch.rand(3, 4) < 0.5).double()
    z = torch.randn(3, 4, dtype=torch.float64)
    loss_fn = RegressionSamplesLoss(5, std=0.7, reduction="none")
    cands = loss_fn.candidates(z, torch.Generator().manual_seed(5))
    assert cands.shape == (3, 5, 4)
    torch.testing.assert_close(cands[:, 0], torch.sigmoid(z))
    got = loss_fn(net, x, gold, z, generator=torch.Generator().manual_seed(5))
    ref = RegressionLoss(reduction="none")(
        net, x, gold, None, samples=gaussian_logit_samples(z, 5, 0.7, generator=torch.Generator().manual_seed(5))
    )
    torch.testing.assert_close(got, ref)
    # K = 1 reduces to plain regression on p
    torch.testing.assert_close(RegressionSamplesLoss(1, 0.7)(net, x, gold, z), RegressionLoss()(net, x, gold, z))


# ------------------------------------------------------------------------------------------- margin
def _margin_setup():
    w, c = [0.2, 0.5], 0.0
    net = LinearScore(w, c)
    x = torch.ones(1, 2, dtype=torch.float64)
    gold = torch.tensor([[1.0, 0.0]], dtype=torch.float64)
    z = torch.tensor([[0.0, 1.0]], dtype=torch.float64)
    ca = torch.tensor([[0.3, 0.6]], dtype=torch.float64)
    return w, c, net, x, gold, z, ca


def test_margin_paper_form_hand_value():
    w, c, net, x, gold, z, ca = _margin_setup()
    lam = 0.5
    S = lambda y: _hand_score(w, c, [1, 1], y)  # noqa: E731
    p = [_sig(0.0), _sig(1.0)]
    delta = (abs(0.3 - 1) + abs(0.6 - 0)) / 2  # 0.65
    expected = max(0.0, delta - (S([1, 0]) - S([0.3, 0.6]))) + lam * max(0.0, S(p) - S([1, 0]))
    assert expected == pytest.approx(0.81 + 0.5 * (0.1 + 0.5 * _sig(1.0) - 0.2))
    got = MarginLoss(lam)(net, x, gold, z, cost_augmented_probs=ca)
    assert got.item() == pytest.approx(expected, rel=1e-12)


def test_margin_released_form_differs_as_documented():
    w, c, net, x, gold, z, ca = _margin_setup()
    lam = 0.5
    S = lambda y: _hand_score(w, c, [1, 1], y)  # noqa: E731
    pp = [_sig(_sig(0.0)), _sig(_sig(1.0))]  # double sigmoid
    delta = (abs(pp[0] - 1) + abs(pp[1] - 0)) / 2
    expected = max(0.0, delta - S([1, 0])) + lam * max(0.0, S(pp) - S([1, 0]))
    rel = MarginLoss(lam, released_behaviour=True)
    got = rel(net, x, gold, z)
    assert got.item() == pytest.approx(expected, rel=1e-12)
    # the cost-augmented output is ignored by the released form
    assert rel(net, x, gold, z, cost_augmented_probs=ca).item() == pytest.approx(expected, rel=1e-12)
    paper = MarginLoss(lam)(net, x, gold, z, cost_augmented_probs=ca).item()
    assert abs(paper - expected) > 0.1
    with pytest.raises(ValueError, match="cost_augmented_probs"):
        MarginLoss(lam)(net, x, gold, z)


def test_margin_reduction_default_mean():
    net = _mlc(L=3)
    x = torch.randn(4, 5, dtype=torch.float64)
    gold = (torch.rand(4, 3) < 0.5).double()
    z = torch.randn(4, 3, dtype=torch.float64)
    ca = torch.rand(4, 3, dtype=torch.float64)
    per = MarginLoss(0.1, reduction="none")(net, x, gold, z, cost_augmented_probs=ca)
    assert per.shape == (4,) and torch.all(per >= 0)
    torch.testing.assert_close(MarginLoss(0.1)(net, x, gold, z, cost_augmented_probs=ca), per.mean())


# ------------------------------------------------------------------------------------------- gradient isolation
def _loss_net_calls():
    return [
        ("nce", NCERankingLoss(4), {}),
        ("ranking", RankingLoss(4), {}),
        ("regression", RegressionLoss(), {}),
        ("regression-s", RegressionSamplesLoss(4, 0.5), {}),
        ("margin-released", MarginLoss(0.1, released_behaviour=True), {}),
        ("margin", MarginLoss(0.1), {"ca": True}),
    ]


@pytest.mark.parametrize("name, loss_fn, extra", _loss_net_calls(), ids=[c[0] for c in _loss_net_calls()])
def test_loss_net_objectives_do_not_reach_task_net(name, loss_fn, extra):
    torch.manual_seed(0)
    net = _mlc(L=3, dtype=torch.float32)
    task = nn.Linear(5, 3)
    ca_net = CostAugmentedNet(3)
    x = torch.randn(4, 5)
    gold = (torch.rand(4, 3) < 0.5).float()
    z = task(x)
    kwargs = {}
    if extra.get("ca"):
        kwargs["cost_augmented_probs"] = ca_net(torch.sigmoid(z), gold)
    loss = loss_fn(net, x, gold, z, **kwargs)
    loss.backward()
    assert task.weight.grad is None and task.bias.grad is None
    assert all(p.grad is None for p in ca_net.parameters())
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in net.parameters())


# ------------------------------------------------------------------------------------------- task-net losses
def test_task_net_loss_hand_values():
    w, c = [0.6, -0.4], 0.1
    net = LinearScore(w, c)
    x = torch.tensor([[1.0, 2.0], [0.5, -1.0]], dtype=torch.float64)
    gold = torch.tensor([[1.0, 0.0], [0.0, 1.0]], dtype=torch.float64)
    z = torch.tensor([[0.3, -1.2], [2.0, 0.4]], dtype=torch.float64)
    ws, wce = 2.0, 1.5
    raw, sig = 0.0, 0.0
    for b in range(2):
        p = [_sig(v) for v in z[b].tolist()]
        s = _hand_score(w, c, x[b].tolist(), p)
        bce = sum(_bce_logit(v, t) for v, t in zip(z[b].tolist(), gold[b].tolist()))
        raw += (ws * -s + wce * bce) / 2
        sig += (ws * -_sig(s) + wce * bce) / 2
    assert TaskNetLoss(ws, wce)(net, x, gold, z).item() == pytest.approx(raw, rel=1e-12)
    assert TaskNetLoss(ws, wce, score_transform="sigmoid")(net, x, gold, z).item() == pytest.approx(sig, rel=1e-12)


def test_task_net_loss_zero_weight_is_cross_entropy_and_skips_score_net():
    torch.manual_seed(0)
    task = nn.Linear(5, 3)
    x = torch.randn(4, 5)
    gold = (torch.rand(4, 3) < 0.5).float()
    z = task(x)
    loss = TaskNetLoss(0.0)(RaisingScore(), x, gold, z)
    ref = F.binary_cross_entropy_with_logits(z, gold, reduction="none").sum(-1).mean()
    torch.testing.assert_close(loss, ref)
    assert TaskNetLoss(0.0)(None, x, gold, z).item() == pytest.approx(ref.item())
    loss.backward()
    assert task.weight.grad is not None  # the CE anchor trains the task-net


def test_task_net_loss_score_gradient_reaches_task_net():
    torch.manual_seed(0)
    net = _mlc(L=3, dtype=torch.float32)
    task = nn.Linear(5, 3)
    x = torch.randn(4, 5)
    gold = (torch.rand(4, 3) < 0.5).float()
    for transform in ("raw", "sigmoid"):
        task.zero_grad()
        net.zero_grad()
        # score term only (ce_weight = 0): all task-net gradient comes through p = σ(z)
        TaskNetLoss(1.0, ce_weight=0.0, score_transform=transform)(net, x, gold, task(x)).backward()
        assert task.weight.grad is not None and task.weight.grad.abs().sum() > 0
        g_score = task.weight.grad.clone()
        task.zero_grad()
        TaskNetLoss(0.0)(net, x, gold, task(x)).backward()
        g_ce = task.weight.grad.clone()
        task.zero_grad()
        TaskNetLoss(1.0, score_transform=transform)(net, x, gold, task(x)).backward()
        torch.testing.assert_close(task.weight.grad, g_score + g_ce)


def test_infnet_task_loss_hand_value_and_gradients():
    w, c = [0.2, 0.5], 0.1
    net = LinearScore(w, c)
    x = torch.ones(1, 2, dtype=torch.float64)
    gold = torch.tensor([[1.0, 0.0]], dtype=torch.float64)
    z = torch.tensor([[0.0, 1.0]], dtype=torch.float64)
    ca = torch.tensor([[0.3, 0.6]], dtype=torch.float64)
    lam, wce = 0.01, 2.0
    p = [_sig(0.0), _sig(1.0)]
    delta = 0.65
    bce = _bce_logit(0.0, 1.0) + _bce_logit(1.0, 0.0)
    expected = -(delta + _hand_score(w, c, [1, 1], [0.3, 0.6]) + lam * _hand_score(w, c, [1, 1], p)) + wce * bce
    assert InfNetTaskLoss(lam, wce)(net, x, gold, z, ca).item() == pytest.approx(expected, rel=1e-12)

    torch.manual_seed(0)
    mlc = _mlc(L=3, dtype=torch.float32)
    task = nn.Linear(5, 3)
    ca_net = CostAugmentedNet(3)
    xb = torch.randn(4, 5)
    yb = (torch.rand(4, 3) < 0.5).float()
    zb = task(xb)
    InfNetTaskLoss(0.01, 1.0)(mlc, xb, yb, zb, ca_net(torch.sigmoid(zb), yb)).backward()
    assert task.weight.grad is not None and task.weight.grad.abs().sum() > 0
    assert all(q.grad is not None and torch.isfinite(q.grad).all() for q in ca_net.parameters())


def test_cost_augmented_net():
    torch.manual_seed(0)
    net = CostAugmentedNet(4)
    assert net.hidden_layer.in_features == 8 and net.hidden_layer.out_features == 4
    assert net.output_layer.in_features == 4 and net.output_layer.out_features == 4
    assert torch.all(net.hidden_layer.bias == 0) and torch.all(net.output_layer.bias == 0)
    p = torch.rand(3, 4, requires_grad=True)
    y = (torch.rand(3, 4) < 0.5).float()
    out = net(p, y)
    assert out.shape == (3, 4) and torch.all((out > 0) & (out < 1))
    h = torch.cat([p, y], -1)
    ref = torch.sigmoid(net.output_layer(F.softplus(net.hidden_layer(h))))
    torch.testing.assert_close(out, ref)
    out.sum().backward()
    assert p.grad is not None
    with pytest.raises(ValueError, match="num_labels"):
        CostAugmentedNet(0)
    with pytest.raises(ValueError):
        net(torch.rand(3, 5), torch.rand(3, 5))


# ------------------------------------------------------------------------------------------- validation
@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: NCERankingLoss(0), "num_samples"),
        (lambda: NCERankingLoss(-3), "num_samples"),
        (lambda: NCERankingLoss(2.5), "num_samples"),
        (lambda: NCERankingLoss(5, reduction="avg"), "reduction"),
        (lambda: RankingLoss(0), "num_samples"),
        (lambda: RegressionLoss(reduction="max"), "reduction"),
        (lambda: RegressionSamplesLoss(0, 1.0), "num_samples"),
        (lambda: RegressionSamplesLoss(5, 0.0), "std"),
        (lambda: RegressionSamplesLoss(5, -1.0), "std"),
        (lambda: MarginLoss(-0.1), "inference_score_weight"),
        (lambda: MarginLoss(0.1, reduction="x"), "reduction"),
        (lambda: TaskNetLoss(-1.0), "score_weight"),
        (lambda: TaskNetLoss(1.0, ce_weight=-1.0), "ce_weight"),
        (lambda: TaskNetLoss(1.0, score_transform="tanh"), "score_transform"),
        (lambda: InfNetTaskLoss(-0.01), "inference_score_weight"),
        (lambda: InfNetTaskLoss(0.01, ce_weight=-2.0), "ce_weight"),
    ],
)
def test_constructor_validation(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_constructors_store_parameters():
    assert NCERankingLoss(7, reduction="mean").num_samples == 7
    r = RegressionSamplesLoss(10, 0.25)
    assert (r.num_samples, r.std, r.reduction) == (10, 0.25, "sum")
    m = MarginLoss(0.01)
    assert (m.inference_score_weight, m.reduction, m.released_behaviour) == (0.01, "mean", False)
    t = TaskNetLoss(0.5)
    assert (t.score_weight, t.ce_weight, t.score_transform) == (0.5, 1.0, "raw")
