"""Sparse candidates and sparse inputs: the sparse paths against the dense reference (values, gradients, losses,
training), the sparse sampler against exhaustive enumeration, and malformed sparse batches refused by name."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from scipy import stats

from seal.core.sparse import AUTO_MIN_LABELS, SparseCandidates, SparseInputError, check_sparse_rows
from seal.core.spaces import MultiLabelSpace, TaggingSpace, noise_log_prob, noise_log_prob_sparse
from seal.energies.mlc import MLCScoreNet
from seal.nn import FeedForward, repeat_rows, sparse_linear
from seal.objectives.loss_net import NCERankingLoss, RankingLoss
from seal.samplers.mlc import bernoulli_samples_sparse
from seal.task_nets.mlc import MLCTaskNet


def _cands(B, K, L, density=0.3, seed=0, special=True):
    g = torch.Generator().manual_seed(seed)
    y = (torch.rand(B, K, L, generator=g) < density).float()
    if special and K >= 3:
        y[:, 0] = 0.0  # empty candidates
        y[:, 1] = 1.0  # all-ones candidates
    return y


# ------------------------------------------------------------------------------------------- representation
@pytest.mark.parametrize("shape", [(1, 1, 1), (1, 3, 5), (4, 6, 7), (2, 3, 1)])
def test_sparse_candidates_round_trip(shape):
    y = _cands(*shape, special=shape[1] >= 3)
    c = SparseCandidates.from_dense(y)
    assert c.shape == shape and c.nnz == int(y.sum())
    assert torch.equal(c.to_dense(), y)
    assert torch.equal(c.counts(), y.sum(-1).long())
    both = SparseCandidates.cat([SparseCandidates.from_dense(y[:, 0]), c])
    assert torch.equal(both.to_dense(), torch.cat([y[:, :1], y], 1))


# ------------------------------------------------------------------------------------------- sampler
def _enumerate_frequencies(z, n, seed, gold=None):
    L = z.shape[-1]
    c = bernoulli_samples_sparse(z, n, generator=torch.Generator().manual_seed(seed), gold=gold)
    y = c.to_dense()
    if gold is not None:
        assert torch.equal(y[:, 0], gold)
        y = y[:, 1:]
    codes = (y[0].long() * (2 ** torch.arange(L))).sum(-1)
    observed = torch.bincount(codes, minlength=2**L).double()
    p = torch.sigmoid(z[0].double())
    bits = (torch.arange(2**L).unsqueeze(1) >> torch.arange(L)) & 1  # (2^L, L): bit l of code c is label l
    probs = torch.where(bits > 0, p, 1 - p).prod(-1)
    return observed, probs * n


@pytest.mark.parametrize(
    "logits",
    [
        [-2.0, -0.3, 0.0, 0.8],  # uncertain and likely labels (z > 0 take the complement branch)
        [3.0, -3.0, 1.5, -1.0],
        [-6.0, -5.0, -4.0, 2.0],  # sparse regime
    ],
)
def test_sparse_sampler_matches_exhaustive_enumeration(logits):
    z = torch.tensor([logits])
    n = 40_000
    obs, exp = _enumerate_frequencies(z, n, seed=1234)
    keep = exp > 5  # chi-square cells with enough mass; the rest checked for near-absence
    e = exp[keep] * obs[keep].sum() / exp[keep].sum()
    chi2, pval = stats.chisquare(obs[keep].numpy(), e.numpy())
    assert pval > 1e-3, (chi2, pval)
    assert obs[~keep].sum() <= max(20.0, 5 * exp[~keep].sum().item())


def test_sparse_sampler_saturated_nan_and_gold_rows():
    z = torch.tensor([[200.0, -200.0, float("inf"), -float("inf"), 30.0, -30.0], [0.0] * 6])
    gold = torch.tensor([[0.0, 1, 0, 1, 0, 1], [1.0, 1, 1, 1, 1, 1]])
    c = bernoulli_samples_sparse(z, 50, generator=torch.Generator().manual_seed(0), gold=gold)
    y = c.to_dense()
    assert c.shape == (2, 51, 6)
    assert torch.equal(y[:, 0], gold)
    assert torch.all(y[0, 1:] == torch.tensor([1.0, 0, 1, 0, 1, 0]))  # saturated labels are deterministic
    freq = y[1, 1:].mean()
    assert 0.35 < float(freq) < 0.65
    # log P_N of the drawn candidates: the same as the dense formula, finite however saturated
    lp_s = noise_log_prob_sparse(z[:, [0, 1, 4, 5]], SparseCandidates.from_dense(y[:, :, [0, 1, 4, 5]]))
    lp_d = noise_log_prob(z[:, [0, 1, 4, 5]], y[:, :, [0, 1, 4, 5]])
    assert torch.isfinite(lp_s).all()
    torch.testing.assert_close(lp_s, lp_d, rtol=1e-5, atol=1e-4)
    zn = torch.tensor([[float("nan"), -1.0]])
    assert bernoulli_samples_sparse(zn, 3).shape == (1, 3, 2)  # NaN draws nothing; its NaN reaches log P_N
    assert torch.isnan(noise_log_prob_sparse(zn, bernoulli_samples_sparse(zn, 3))).all()


def test_sparse_sampler_is_seeded_and_batched_examples_independent():
    z = torch.randn(3, 9) * 2
    a = bernoulli_samples_sparse(z, 5, generator=torch.Generator().manual_seed(3))
    b = bernoulli_samples_sparse(z, 5, generator=torch.Generator().manual_seed(3))
    assert torch.equal(a.keys(), b.keys())
    # per-label frequencies over many samples, every example
    y = bernoulli_samples_sparse(z, 20_000, generator=torch.Generator().manual_seed(5)).to_dense()
    torch.testing.assert_close(y.mean(1), torch.sigmoid(z), atol=0.015, rtol=0)


# ------------------------------------------------------------------------------------------- log P_N
@pytest.mark.parametrize("B, K, L", [(1, 4, 5), (3, 6, 17), (2, 3, 1)])
def test_sparse_log_prob_equals_dense(B, K, L):
    z = torch.randn(B, L) * 4
    z[0, 0] = 40.0
    y = _cands(B, K, L)
    torch.testing.assert_close(
        MultiLabelSpace().log_prob(z, SparseCandidates.from_dense(y)), noise_log_prob(z, y), rtol=1e-5, atol=1e-4
    )


# ------------------------------------------------------------------------------------------- energies
def _twin_nets(D=5, L=7, seed=0, dtype=torch.float64):
    torch.manual_seed(seed)
    a = MLCScoreNet(D, L, hidden=8, num_layers=2, global_hidden=6).to(dtype)
    b = MLCScoreNet(D, L, hidden=8, num_layers=2, global_hidden=6).to(dtype)
    b.load_state_dict(a.state_dict())
    return a, b


@pytest.mark.parametrize("B, K, L", [(1, 3, 7), (4, 5, 7), (3, 4, 1)])
def test_sparse_scores_and_gradients_equal_dense(B, K, L):
    dense, sparse = _twin_nets(L=L)
    x = torch.randn(B, 5, dtype=torch.float64)
    y = _cands(B, K, L, special=True).double()
    w = torch.randn(B, K, dtype=torch.float64)
    s_d = dense.score(dense.encode(x), y)
    s_s = sparse.score(sparse.encode(x), SparseCandidates.from_dense(y))
    torch.testing.assert_close(s_s, s_d, rtol=1e-10, atol=1e-10)
    (s_d * w).sum().backward()
    (s_s * w).sum().backward()
    for (n, p), q in zip(dense.named_parameters(), sparse.parameters()):
        torch.testing.assert_close(q.grad, p.grad, rtol=1e-10, atol=1e-10, msg=n)
    assert tuple(sparse.state_dict()["global_linear.weight"].shape) == (6, L)  # checkpoint layout unchanged


@pytest.mark.parametrize("density", [0.01, 0.9])  # below / above the switch of score_sparse_input
def test_score_sparse_input_equals_score_of_encode(density):
    dense, sparse = _twin_nets(L=400)
    x = torch.randn(4, 5, dtype=torch.float64)
    y = _cands(4, 6, 400, density=density, special=False).double()
    c = SparseCandidates.from_dense(y)
    s_d = dense.score(dense.encode(x), y)
    s_s = sparse.score_sparse_input(x, c)
    torch.testing.assert_close(s_s, s_d, rtol=1e-10, atol=1e-10)
    (s_d * torch.arange(24.0, dtype=torch.float64).view(4, 6)).sum().backward()
    (s_s * torch.arange(24.0, dtype=torch.float64).view(4, 6)).sum().backward()
    for (n, p), q in zip(dense.named_parameters(), sparse.parameters()):
        torch.testing.assert_close(q.grad, p.grad, rtol=1e-9, atol=1e-10, msg=n)


@pytest.mark.parametrize("cls", [NCERankingLoss, RankingLoss])
@pytest.mark.parametrize("B", [1, 4])
def test_sparse_objective_losses_and_gradients_equal_dense_with_fixed_samples(cls, B):
    dense, sparse = _twin_nets()
    L, K = 7, 5
    x = torch.randn(B, 5, dtype=torch.float64)
    z = torch.randn(B, L, dtype=torch.float64) * 3
    gold = (torch.rand(B, L) < 0.4).double()
    gold[0] = 1.0
    samples = _cands(B, K, L).double()
    mask = torch.ones(B, K + 1, dtype=torch.bool)
    mask[0, 2] = False
    loss_d = cls(K, sparse="dense")(dense, x, gold, z, samples=samples, candidate_mask=mask)
    loss_s = cls(K)(sparse, x, gold, z, samples=SparseCandidates.from_dense(samples), candidate_mask=mask)
    torch.testing.assert_close(loss_s, loss_d, rtol=1e-10, atol=1e-10)
    loss_d.backward()
    loss_s.backward()
    for (n, p), q in zip(dense.named_parameters(), sparse.parameters()):
        torch.testing.assert_close(q.grad, p.grad, rtol=1e-9, atol=1e-10, msg=n)


def test_sparse_objective_drawn_candidates_equal_dense_formula():
    """The default draws sparse candidates; scoring their dense twin gives the same loss."""
    net, twin = _twin_nets()
    B, L, K = 3, 7, 6
    x = torch.randn(B, 5, dtype=torch.float64)
    z = torch.randn(B, L, dtype=torch.float64)
    gold = (torch.rand(B, L) < 0.4).double()
    obj = NCERankingLoss(K, sparse="sparse")
    assert obj.use_sparse(net, gold)
    assert not NCERankingLoss(K).use_sparse(net, gold)  # auto: 7 labels are below AUTO_MIN_LABELS
    assert NCERankingLoss(K).use_sparse(net, torch.zeros(B, 400))
    loss = obj(net, x, gold, z, generator=torch.Generator().manual_seed(2))
    c = bernoulli_samples_sparse(z, K, generator=torch.Generator().manual_seed(2)).to_dense(torch.float64)
    ref = NCERankingLoss(K, sparse="dense")(twin, x, gold, z, samples=c)
    torch.testing.assert_close(loss, ref, rtol=1e-10, atol=1e-10)


def test_sparse_switch_and_fallbacks():
    net, _ = _twin_nets()
    gold = torch.zeros(2, 7, dtype=torch.float64)
    assert not NCERankingLoss(3, sparse="dense").use_sparse(net, gold)
    assert not NCERankingLoss(3, sparse="sparse").use_sparse(net, gold + 0.5)  # relaxed gold: dense
    assert not NCERankingLoss(3, sparse="sparse").use_sparse(net, gold, samples=torch.zeros(2, 3, 7))  # injected dense samples
    with pytest.raises(ValueError, match="sparse='sparse'"):
        NCERankingLoss(3, sparse="sparse", space=TaggingSpace()).use_sparse(net, gold)
    with pytest.raises(ValueError, match="sparse must be one of"):
        NCERankingLoss(3, sparse="maybe")


def test_injected_sparse_samples_out_of_range_are_refused():
    net, _ = _twin_nets()
    bad = SparseCandidates(torch.tensor([2, 9]), torch.tensor([0, 1, 2, 2]), torch.tensor([0, 1]), (1, 3, 7))
    with pytest.raises(SparseInputError, match=r"candidate row 1 has index 9 outside \[0, 7\)"):
        NCERankingLoss(3)(net, torch.randn(1, 5, dtype=torch.float64), torch.zeros(1, 7), torch.zeros(1, 7), samples=bad)


# ------------------------------------------------------------------------------------------- sparse inputs
def _csr(B=5, D=11, density=0.3, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(B, D, generator=g) * (torch.rand(B, D, generator=g) < density)
    x[0] = 0.0  # an empty row
    return x, x.to_sparse_csr()


@pytest.mark.parametrize("layout", ["csr", "coo"])
def test_sparse_inputs_through_first_layer_equal_dense(layout):
    x, xs = _csr()
    if layout == "coo":
        xs = x.to_sparse()
    torch.manual_seed(0)
    a = MLCTaskNet(11, 4, hidden=6, num_layers=2)
    b = MLCTaskNet(11, 4, hidden=6, num_layers=2)
    b.load_state_dict(a.state_dict())
    za, zb = a(x), b(xs)
    torch.testing.assert_close(zb, za, rtol=1e-5, atol=1e-6)
    za.sum().backward()
    zb.sum().backward()
    for (n, p), q in zip(a.named_parameters(), b.parameters()):
        torch.testing.assert_close(q.grad, p.grad, rtol=1e-5, atol=1e-6, msg=n)
    net = MLCScoreNet(11, 4, hidden=6, global_hidden=3)
    torch.testing.assert_close(net.encode(xs), net.encode(x), rtol=1e-5, atol=1e-6)
    ff = FeedForward(11, 6)
    ff.sparse_inputs = "dense"  # the reference path densifies
    torch.testing.assert_close(ff(xs), ff(x))
    torch.testing.assert_close(repeat_rows(xs, 3).to_dense(), x.repeat(3, 1))


@pytest.mark.parametrize("layout", ["dense", "csr"])
def test_forward_repeated_is_bit_identical_to_the_stacked_forward(layout, one_thread):
    """``task_outputs`` computes the first layer once for the S stacked no-grad passes: the stacked forward's values,
    dropout masks included (same shape, same generator draws)."""
    from seal.training.seal_module import repeat_input

    x, xs = _csr()
    inp = x if layout == "dense" else xs
    torch.manual_seed(0)
    net = MLCTaskNet(11, 4, hidden=6, num_layers=2, dropout=[0.5, 0.3]).train()
    torch.manual_seed(7)
    stacked = net(repeat_input(inp, 5))
    torch.manual_seed(7)
    once = net.forward_repeated(inp, 5)
    assert once.shape == (5 * x.shape[0], 4)
    # equal up to the first product's rounding (the BLAS may pick another kernel for 5x the rows); the same masks
    torch.testing.assert_close(once, stacked, rtol=1e-6, atol=1e-6)
    assert not torch.equal(once[: x.shape[0]], once[x.shape[0]: 2 * x.shape[0]])  # independent dropout per copy
    net.eval()
    torch.testing.assert_close(net.forward_repeated(inp, 3), net(inp).repeat(3, 1), rtol=1e-6, atol=1e-6)
    with pytest.raises(ValueError, match="n must be >= 1, got 0"):
        net.features.forward_repeated(x, 0)


@pytest.mark.parametrize(
    "corrupt, msg",
    [
        ("index", r"row 2 has index 11 outside \[0, 11\)"),
        ("value", r"row 3 has a non-finite value nan"),
    ],
)
def test_malformed_sparse_inputs_are_refused_naming_the_row(corrupt, msg):
    x, xs = _csr()
    crow, col, val = xs.crow_indices().clone(), xs.col_indices().clone(), xs.values().clone()
    if corrupt == "index":
        col[crow[2]] = 11
    else:
        val[crow[3]] = float("nan")
    bad = torch.sparse_csr_tensor(crow, col, val, (5, 11))
    lin = torch.nn.Linear(11, 4)
    with pytest.raises(SparseInputError, match=msg):
        sparse_linear(bad, lin.weight, lin.bias)
    with pytest.raises(SparseInputError, match=msg):
        MLCTaskNet(11, 4, hidden=6)(bad)
    ff = FeedForward(11, 4)
    ff.sparse_inputs = "dense"  # the dense fallback refuses it too, never densifies it silently
    with pytest.raises(SparseInputError, match=msg):
        ff(bad)
    with pytest.raises(SparseInputError, match=r"\(batch 7\): " + msg):
        check_sparse_rows(col, crow, 11, val, what="sparse input features", batch=7)


def test_module_refuses_malformed_sparse_batch_naming_batch_and_row(one_thread):
    from seal.tasks.mlc_features.module import MultilabelModule

    m = MultilabelModule(in_features=11, num_labels=4, method="seal-dynamic-nce", task_net={"hidden": 8},
                         objective={"score_loss_weight": 1.0}, sampler={"num_samples": 3})
    opts, _ = m.configure_optimizers()
    m.optimizers = lambda: opts
    x, xs = _csr()
    y = (torch.rand(5, 4) < 0.5).float()
    m.training_step((xs, y), 0)  # a well-formed sparse batch trains
    crow, col, val = xs.crow_indices(), xs.col_indices().clone(), xs.values()
    col[-1] = -1
    with pytest.raises(SparseInputError, match=r"batch 3\): row 4 has index -1"):
        m.training_step((torch.sparse_csr_tensor(crow, col, val, (5, 11)), y), 3)


# ------------------------------------------------------------------------------------------- training
@pytest.mark.parametrize("method", ["seal-dynamic-nce", "seal-dynamic-ranking"])
def test_first_100_batches_same_losses_sparse_vs_dense_with_samples_fixed(method, monkeypatch, one_thread):
    """Same seed, same samples (the dense path is fed the sparse sampler's draws, densified): the training losses
    of the first 100 batches agree to a relative 1e-4."""
    from seal.tasks.mlc_features.module import MultilabelModule

    D, L, B = 12, 9, 8
    rng = np.random.default_rng(0)
    X = torch.tensor(rng.normal(size=(B * 10, D)), dtype=torch.float32)
    Y = torch.tensor(rng.random((B * 10, L)) < 0.25, dtype=torch.float32)

    def run(mode):
        torch.manual_seed(0)
        m = MultilabelModule(in_features=D, num_labels=L, method=method,
                             task_net={"hidden": 16, "num_layers": 2, "dropout": [0.2, 0.0]},
                             objective={"score_loss_weight": 0.5}, schedule={"loss_net_steps": 2, "task_net_steps": 1},
                             sampler={"num_samples": 5, "sparse": mode})
        opts, _ = m.configure_optimizers()
        m.optimizers = lambda: opts
        losses = []
        orig = m._add_epoch_losses
        m._add_epoch_losses = lambda t, s: (losses.append((float(t), float(s))), orig(t, s))
        for i in range(100):
            j = i % 10
            m.training_step((X[j * B:(j + 1) * B], Y[j * B:(j + 1) * B]), i)
        return np.array(losses)

    sparse = run("sparse")
    monkeypatch.setattr(
        MultiLabelSpace, "sample",
        lambda self, logits, k, generator=None, mask=None: bernoulli_samples_sparse(logits, k, generator).to_dense(logits.dtype),
    )
    dense = run("dense")
    np.testing.assert_allclose(sparse, dense, rtol=1e-4, atol=1e-6)


# ------------------------------------------------------------------------------------------- tagging hook
class _ToyTagger(torch.nn.Module):
    """A tagging score net with a local term and a transition-count global term, scoring one-hot candidates
    (``score``) and tag indices (``score_indices``)."""

    def __init__(self, D=4, C=5):
        super().__init__()
        self.proj = torch.nn.Linear(D, C).double()
        self.trans = torch.nn.Parameter(torch.randn(C, C, dtype=torch.float64))

    def encode(self, x):
        return self.proj(x)  # (B, T, C)

    def score(self, ctx, y):  # y (B, K, T, C) one-hot (zero at padding)
        local = (y * ctx.unsqueeze(1)).sum((-2, -1))
        pairs = torch.einsum("bktc,bktd->bkcd", y[:, :, :-1], y[:, :, 1:])
        return local + (pairs * self.trans).sum((-2, -1))

    def score_indices(self, ctx, tags, mask):
        local = TaggingSpace.local_score_indices(ctx, tags, mask)
        m = mask.to(ctx.dtype).unsqueeze(1)
        both = m[..., :-1] * m[..., 1:]
        return local + (self.trans[tags[..., :-1], tags[..., 1:]] * both).sum(-1)


def test_tagging_index_candidates_equal_one_hot_path():
    torch.manual_seed(0)
    B, T, C, K = 3, 6, 5, 4
    net = _ToyTagger(C=C)
    twin = _ToyTagger(C=C)
    twin.load_state_dict(net.state_dict())
    x = torch.randn(B, T, 4, dtype=torch.float64)
    z = torch.randn(B, T, C, dtype=torch.float64)
    gold = torch.randint(0, C, (B, T))
    mask = torch.ones(B, T, dtype=torch.bool)
    mask[0, 4:] = False
    mask[2, 1:] = False
    space = TaggingSpace()
    for cls in (NCERankingLoss, RankingLoss):
        obj = cls(K, space=space)
        assert obj._use_indices(net, gold, None)
        a = obj(net, x, gold, z, generator=torch.Generator().manual_seed(4), mask=mask)
        b = cls(K, space=space, sparse="dense")(twin, x, gold, z, generator=torch.Generator().manual_seed(4), mask=mask)
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-10)
        net.zero_grad()
        twin.zero_grad()
        a.backward()
        b.backward()
        for p, q in zip(net.parameters(), twin.parameters()):
            torch.testing.assert_close(p.grad, q.grad, rtol=1e-9, atol=1e-10)
    tags = space.sample_indices(z, K, torch.Generator().manual_seed(1), mask)
    torch.testing.assert_close(
        space.log_prob_indices(z, tags, mask), space.log_prob(z, torch.nn.functional.one_hot(tags, C).double(), mask)
    )


# ------------------------------------------------------------------------------------------- layout / checkpoints
def test_global_table_layout_keeps_checkpoints_and_optimizer_state_compatible():
    """``global_linear.weight`` is a (G, L) view of a contiguous (L, G) table: the state_dict entry keeps its
    shape; an old contiguous checkpoint (weights and AdamW moments) loads and steps exactly as a contiguous net."""
    from seal.training.seal_module import OptimizerSettings

    def _adamw(params, lr, weight_decay):
        return OptimizerSettings("adamw", lr, weight_decay).build(params)

    L = AUTO_MIN_LABELS  # the transposed layout is used where sparse='auto' takes the sparse path
    small = MLCScoreNet(5, 9, hidden=8, global_hidden=6)
    assert small.global_linear.weight.is_contiguous()  # below it: the ordinary layout (bit-identical dense path)
    torch.manual_seed(0)
    net = MLCScoreNet(5, L, hidden=8, global_hidden=6).double()
    w = net.global_linear.weight
    assert tuple(w.shape) == (6, L) and net.global_table().data_ptr() == w.data_ptr()  # a view, no copy
    old = MLCScoreNet(5, L, hidden=8, global_hidden=6).double()
    old.global_linear.weight = torch.nn.Parameter(old.global_linear.weight.detach().contiguous())  # former layout
    old.load_state_dict(net.state_dict())
    x, y = torch.randn(3, 5, dtype=torch.float64), (torch.rand(3, 4, L) < 0.01).double()
    opt_old = _adamw(old.parameters(), 0.1, 0.01)
    for _ in range(2):  # moments in the old (contiguous) layout
        opt_old.zero_grad()
        old(x, y).sum().backward()
        opt_old.step()
    net.load_state_dict(old.state_dict())
    opt_new = _adamw(net.parameters(), 0.1, 0.01)
    opt_new.load_state_dict(copy.deepcopy(opt_old.state_dict()))  # as from a file: no shared moments
    assert opt_new.state[net.global_linear.weight]["exp_avg"].stride() == net.global_linear.weight.stride()
    for o, n in ((opt_old, old), (opt_new, net)):
        o.zero_grad()
        n.score(n.encode(x), SparseCandidates.from_dense(y) if n is net else y).sum().backward()
        o.step()
    for (k, a), b in zip(old.named_parameters(), net.parameters()):
        torch.testing.assert_close(b, a, rtol=1e-9, atol=1e-9, msg=k)
