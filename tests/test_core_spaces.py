"""Output spaces (seal.core.spaces) and the score-net protocol (seal.core.score_net), checked by exhaustive
enumeration of tiny output spaces, hand-computed values and chi-square tests with fixed seeds."""

from __future__ import annotations

import itertools
import math

import pytest
import torch
from scipy.stats import chisquare
from torch.nn import functional as F

from seal.core import BinaryMaskSpace, MultiLabelSpace, TaggingSpace, check_score_net, check_task_net, get_space
from seal.objectives.loss_net import NCERankingLoss, RegressionLoss
from seal.objectives.task_net import TaskNetLoss

# chi-square tests: a fixed seed, rejection at p < 1e-3 (the statistic is deterministic, so this never flakes)
ALPHA = 1e-3


def _expected(n: int, probs: torch.Tensor):
    """Expected counts of ``n`` draws (renormalised in float64 so that they add up to ``n`` exactly)."""
    p = probs.double()
    return (n * p / p.sum()).numpy()


def _all_binary(n: int) -> torch.Tensor:
    return torch.tensor(list(itertools.product([0.0, 1.0], repeat=n)))


def _all_tag_sequences(T: int, C: int) -> torch.Tensor:
    return torch.tensor(list(itertools.product(range(C), repeat=T)))


# ------------------------------------------------------------------------------------ multi-label
def test_multilabel_log_prob_normalised_and_sampling_frequencies():
    space = MultiLabelSpace()
    z = torch.tensor([[1.5, -0.5, 0.0]])
    ys = _all_binary(3)  # (8, 3)
    logp = space.log_prob(z, ys.unsqueeze(0))[0]  # (8,)
    assert math.isclose(float(torch.logsumexp(logp, 0)), 0.0, abs_tol=1e-6)
    p = torch.sigmoid(z[0])
    by_hand = torch.stack([torch.prod(torch.where(y > 0, p, 1 - p)) for y in ys])
    torch.testing.assert_close(logp.exp(), by_hand)
    g = torch.Generator().manual_seed(0)
    n = 20000
    s = space.sample(z, n, generator=g)[0]  # (n, 3)
    assert s.shape == (n, 3) and set(s.unique().tolist()) == {0.0, 1.0}
    codes = (s * torch.tensor([4.0, 2.0, 1.0])).sum(-1).long()
    counts = torch.bincount(codes, minlength=8).double()
    assert chisquare(counts.numpy(), _expected(n, by_hand)).pvalue > ALPHA


def test_multilabel_saturated_log_prob_is_finite_case_b16():
    z = torch.tensor([[20.0, -20.0]])
    gold = torch.tensor([[[0.0, 1.0]]])
    assert MultiLabelSpace().log_prob(z, gold).item() == -40.0


def test_multilabel_oracle_and_anchor_hand_values():
    space = MultiLabelSpace()
    cands = torch.tensor([[[0.0, 0.0], [0.7, 0.2]]])
    gold = torch.tensor([[1.0, 1.0]])
    # soft F1: 2 * sum min / (sum min + sum max) = 2 * 0.9 / (0.9 + 2) and 0 (empty vs non-empty)
    torch.testing.assert_close(space.oracle(cands, gold), torch.tensor([[0.0, 1.8 / 2.9]]))
    z = torch.tensor([[0.0, math.log(3.0)]])
    # BCE(0, y=1) = log 2; BCE(log 3, y=0) = log(1 + 3) = log 4
    torch.testing.assert_close(space.supervised_loss(z, torch.tensor([[1.0, 0.0]])), torch.tensor([math.log(2) + math.log(4)]))


# ------------------------------------------------------------------------------------ binary masks
def test_mask_log_prob_over_all_16_masks_and_two_logit_layouts():
    space = BinaryMaskSpace()
    z2 = torch.tensor([[[[0.0, 1.0], [-1.0, 2.0]], [[0.5, -0.5], [1.0, 0.0]]]])  # (1, 2, 2, 2)
    masks = _all_binary(4).view(16, 2, 2)
    logp = space.log_prob(z2, masks.unsqueeze(0))[0]
    assert math.isclose(float(torch.logsumexp(logp, 0)), 0.0, abs_tol=1e-6)
    d = z2[:, 1] - z2[:, 0]
    z1 = d.unsqueeze(1)  # the (B, 1, H, W) foreground log-odds layout gives the same distribution
    torch.testing.assert_close(space.log_prob(z1, masks.unsqueeze(0)), logp.unsqueeze(0))
    torch.testing.assert_close(space.relax(z2), torch.sigmoid(d))
    torch.testing.assert_close(space.relax(z1), torch.sigmoid(d))


def test_mask_oracle_is_soft_iou_and_anchor_is_pixel_mean_ce():
    space = BinaryMaskSpace()
    gold = torch.tensor([[[1.0, 0.0], [0.0, 0.0]]])
    cands = torch.tensor([[[[0.5, 0.5], [0.0, 0.0]], [[0.0, 0.0], [0.0, 0.0]]]])
    # IoU: min sum 0.5 / max sum 1.5; an empty prediction against a non-empty gold: 0
    torch.testing.assert_close(space.oracle(cands, gold), torch.tensor([[1 / 3, 0.0]]))
    assert space.oracle(torch.zeros(1, 1, 2, 2), torch.zeros(1, 2, 2)).item() == 1.0  # empty/empty (B12)
    z = torch.zeros(1, 2, 2, 2)
    assert math.isclose(space.supervised_loss(z, gold).item(), math.log(2), rel_tol=1e-6)


# ------------------------------------------------------------------------------------ tagging
Z_TAG = torch.tensor([[[2.0, 0.0, -1.0], [0.0, 0.0, 0.0], [-1.0, 3.0, 0.5]]])  # (1, T=3, C=3)


def test_tagging_enumerates_all_27_sequences():
    space = TaggingSpace()
    seqs = _all_tag_sequences(3, 3)  # (27, 3)
    onehot = space.gold_output(seqs, Z_TAG)  # (27, 3, 3)
    logp = space.log_prob(Z_TAG, onehot.unsqueeze(0))[0]
    assert math.isclose(float(torch.logsumexp(logp, 0)), 0.0, abs_tol=1e-6)
    p = torch.softmax(Z_TAG[0], -1)
    by_hand = torch.stack([p[0, a] * p[1, b] * p[2, c] for a, b, c in seqs.tolist()])
    torch.testing.assert_close(logp.exp(), by_hand)
    n = 27000
    idx = space.sample_indices(Z_TAG, n, generator=torch.Generator().manual_seed(0))[0]  # (n, 3)
    codes = idx[:, 0] * 9 + idx[:, 1] * 3 + idx[:, 2]
    counts = torch.bincount(codes, minlength=27).double()
    assert chisquare(counts.numpy(), _expected(n, by_hand)).pvalue > ALPHA
    one = space.sample(Z_TAG, 5, generator=torch.Generator().manual_seed(1))
    assert one.shape == (1, 5, 3, 3) and torch.equal(one.sum(-1), torch.ones(1, 5, 3))


def test_tagging_padding_never_enters():
    space = TaggingSpace()
    mask = torch.tensor([[True, True, False]])
    seqs = _all_tag_sequences(3, 3)
    onehot = space.gold_output(seqs, Z_TAG, mask.expand(27, 3))
    assert torch.equal(onehot[:, 2], torch.zeros(27, 3))  # padded position is zero in the outputs
    logp = space.log_prob(Z_TAG, onehot.unsqueeze(0), mask)[0]
    # 9 distinct real prefixes, each appearing 3 times (once per padded tag): total mass 3
    assert math.isclose(float(torch.logsumexp(logp, 0)), math.log(3.0), abs_tol=1e-6)
    other = Z_TAG.clone()
    other[0, 2] = torch.tensor([100.0, -100.0, 7.0])  # logits at the padded position do not matter
    torch.testing.assert_close(space.log_prob(other, onehot.unsqueeze(0), mask), logp.unsqueeze(0))
    s = space.sample(Z_TAG, 50, generator=torch.Generator().manual_seed(2), mask=mask)
    assert torch.equal(s[:, :, 2], torch.zeros(1, 50, 3))
    torch.testing.assert_close(space.relax(Z_TAG, mask)[0, 2], torch.zeros(3))
    # the anchor sums CE over the real positions only: -log p(0 at t0) - log p(1 at t1)
    gold = torch.tensor([[0, 1, 2]])
    p = torch.softmax(Z_TAG[0], -1)
    expected = -(torch.log(p[0, 0]) + torch.log(p[1, 1]))
    torch.testing.assert_close(space.supervised_loss(Z_TAG, gold, mask), expected.unsqueeze(0))


def test_tagging_saturated_log_prob_is_finite():
    z = torch.tensor([[[50.0, -50.0, 0.0]]])
    gold = TaggingSpace().gold_output(torch.tensor([[1]]), z)
    value = TaggingSpace().log_prob(z, gold.unsqueeze(1)).item()
    assert math.isfinite(value) and math.isclose(value, -100.0, rel_tol=1e-6)


def test_tagging_oracles_hand_values():
    gold = torch.tensor([[0, 1, 1]])
    cand = torch.tensor([[[[1.0, 0.0], [0.5, 0.5], [0.0, 1.0]]]])  # (1, 1, T=3, C=2)
    # token accuracy: (1 + 0.5 + 1) / 3
    torch.testing.assert_close(TaggingSpace().oracle(cand, gold), torch.tensor([[2.5 / 3]]))
    # F1 over the non-null tag 1 (null tag 0): min sum 1.5, max sum 2 -> 2 * 1.5 / 3.5
    torch.testing.assert_close(TaggingSpace(null_tag=0).oracle(cand, gold), torch.tensor([[3.0 / 3.5]]))
    mask = torch.tensor([[True, True, False]])
    torch.testing.assert_close(TaggingSpace().oracle(cand, gold, mask), torch.tensor([[1.5 / 2]]))
    # nothing real: accuracy 1 by convention
    torch.testing.assert_close(TaggingSpace().oracle(cand, gold, torch.zeros(1, 3, dtype=torch.bool)), torch.tensor([[1.0]]))


def test_tagging_one_hot_of_k_sequences():
    space = TaggingSpace()
    tags = torch.tensor([[[0, 2, 1], [1, 1, 0]]])  # (B=1, K=2, T=3)
    oh = space.one_hot(tags, 3)
    assert oh.shape == (1, 2, 3, 3) and torch.equal(oh.argmax(-1), tags)
    masked = space.one_hot(tags, 3, torch.tensor([[True, True, False]]))
    assert torch.equal(masked[:, :, 2], torch.zeros(1, 2, 3)) and torch.equal(masked[:, :, :2], oh[:, :, :2])


def test_tagging_bad_input_is_named():
    space = TaggingSpace()
    with pytest.raises(ValueError, match=r"tag 3 at position \(0, 1\) is outside \[0, 3\)"):
        space.gold_output(torch.tensor([[0, 3, 1]]), Z_TAG)
    space.gold_output(torch.tensor([[0, 1, -100]]), Z_TAG, torch.tensor([[True, True, False]]))  # padding: ignored
    with pytest.raises(ValueError, match=r"tagging mask must be \(B, T\) = \(1, 3\), got \(1, 2\)"):
        space.relax(Z_TAG, torch.ones(1, 2, dtype=torch.bool))
    with pytest.raises(ValueError, match="null_tag"):
        TaggingSpace(null_tag=-1)


# ------------------------------------------------------------------------------------ projections, registry
def test_projections_by_hand():
    torch.testing.assert_close(MultiLabelSpace().project(torch.tensor([-0.5, 0.3, 1.7])), torch.tensor([0.0, 0.3, 1.0]))
    # sorted u = (0.8, 0.5, -0.2): rho = 2, theta = (1.3 - 1) / 2 = 0.15
    torch.testing.assert_close(TaggingSpace().project(torch.tensor([0.5, 0.8, -0.2])), torch.tensor([0.35, 0.65, 0.0]))
    assert TaggingSpace().gbi_space == "simplex" and BinaryMaskSpace().gbi_space == "box"


def test_get_space():
    assert isinstance(get_space("tagging", null_tag=0), TaggingSpace)
    with pytest.raises(ValueError, match="unknown output space 'sequence'; known: multilabel, binary-mask, tagging"):
        get_space("sequence")


# ------------------------------------------------------------------------------------ objectives on tagging
X = torch.zeros(1, 1)  # the tagging tests' input (the linear score below ignores it)


class _TagScore(torch.nn.Module):
    """Linear score ``S(x, y) = Σ_t Σ_c y_tc W_tc`` (the context is ``W``)."""

    def __init__(self, w: torch.Tensor) -> None:
        super().__init__()
        self.w = torch.nn.Parameter(w)

    def encode(self, x):
        return self.w

    def score(self, ctx, y):
        return (y * ctx).sum(dim=(-2, -1))


def test_nce_on_tags_by_hand_with_padding():
    space = TaggingSpace()
    mask = torch.tensor([[True, True, False]])
    gold = torch.tensor([[0, 2, 1]])
    w = torch.tensor([[[0.3, -0.2, 0.1], [0.0, 0.4, -0.5], [9.0, 9.0, 9.0]]])
    net = _TagScore(w)
    samples = space.gold_output(torch.tensor([[1, 1, 0], [0, 0, 2]]), Z_TAG, mask.expand(2, 3)).unsqueeze(0)  # (1, 2, 3, 3)
    loss = NCERankingLoss(2, reduction="none", space=space)(net, X, gold, Z_TAG, samples=samples, mask=mask)
    logp = torch.log_softmax(Z_TAG[0], -1)

    def s_tilde(a, b):  # score minus log P_N over the two real positions
        return float(w[0, 0, a] + w[0, 1, b] - logp[0, a] - logp[1, b])

    s = torch.tensor([s_tilde(0, 2), s_tilde(1, 1), s_tilde(0, 0)])
    torch.testing.assert_close(loss, (torch.logsumexp(s, 0) - s[0]).unsqueeze(0))


def test_regression_and_task_loss_on_tags():
    space = TaggingSpace()
    gold = torch.tensor([[0, 1, 1]])
    net = _TagScore(torch.zeros(1, 3, 3))
    # score 0 -> BCE(0, v) = log 2 whatever the oracle value
    value = RegressionLoss(space=space)(net, X, gold, Z_TAG)
    assert math.isclose(value.item(), math.log(2), rel_tol=1e-6)
    z = Z_TAG.clone().requires_grad_(True)
    loss = TaskNetLoss(0.5, 1.0, "raw", space=space)(net, X, gold, z)
    ce = F.cross_entropy(Z_TAG[0], gold[0], reduction="sum")
    torch.testing.assert_close(loss, ce)
    loss.backward()
    assert z.grad is not None and torch.isfinite(z.grad).all()


# ------------------------------------------------------------------------------------ protocol checks
def test_check_score_net_names_shapes():
    class NoScore(torch.nn.Module):
        def forward(self, x, y):
            return y.sum(-1)

    class WrongShape(_TagScore):
        def score(self, ctx, y):
            return (y * ctx).sum(-1)  # (B, K, T): forgot to sum over positions

    cands = torch.zeros(1, 4, 3, 3)
    with pytest.raises(TypeError, match="missing encode, score"):
        check_score_net(NoScore(), X, cands)
    with pytest.raises(ValueError, match=r"returned \(1, 4, 3\) for candidates of shape \(1, 4, 3, 3\); expected .* \(1, 4\)"):
        check_score_net(WrongShape(torch.zeros(1, 3, 3)), X, cands)
    check_score_net(_TagScore(torch.zeros(1, 3, 3)), X, cands)


def test_check_task_net_names_space_and_shape():
    with pytest.raises(ValueError, match=r"task-net Linear: multi-label task-net logits must be \(B, L\), got shape \(2, 3, 4\)"):
        check_task_net(torch.nn.Linear(5, 4), torch.zeros(2, 3, 5), MultiLabelSpace())
    assert check_task_net(torch.nn.Linear(5, 4), torch.zeros(2, 5), MultiLabelSpace()).shape == (2, 4)


def test_regression_s_candidates_on_tags_are_zero_at_padding():
    from seal.objectives.loss_net import RegressionSamplesLoss

    mask = torch.tensor([[True, True, False]])
    cands = RegressionSamplesLoss(4, 1.0, space=TaggingSpace()).candidates(Z_TAG, torch.Generator().manual_seed(0), mask)
    assert cands.shape == (1, 4, 3, 3)
    assert torch.equal(cands[:, :, 2], torch.zeros(1, 4, 3))
    torch.testing.assert_close(cands[:, :, :2].sum(-1), torch.ones(1, 4, 2))
    torch.testing.assert_close(cands[0, 0], torch.softmax(Z_TAG[0], -1) * mask[0].unsqueeze(-1))
