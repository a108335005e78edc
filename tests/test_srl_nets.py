"""SRL energies and the CRF: hand values, padding invariance, index/one-hot agreement, Viterbi by enumeration."""

from __future__ import annotations

import itertools
import math

import pytest
import torch
from torch.nn import functional as F

from seal.core.score_net import check_score_net
from seal.objectives.crf import CRFTaskLoss, viterbi_one_hot
from seal.tasks.srl.nets import LinearChainEnergy, SRLLossNet, SRLTaskNet, TagSelfAttentionEnergy


def _attention_by_hand() -> TagSelfAttentionEnergy:
    e = TagSelfAttentionEnergy(2, dim=2, dropout=0.0)
    with torch.no_grad():
        e.w_in.weight.copy_(torch.eye(2))
        for lin in (e.q, e.k):
            lin.weight.zero_()
            lin.bias.zero_()
        e.v.weight.copy_(torch.eye(2))
        e.v.bias.zero_()
        e.w_out.weight.copy_(torch.eye(2))
        e.w_out.bias.zero_()
    return e.eval()


def test_global_energy_hand_value():
    # q = k = 0: uniform attention over the real keys; h_t = y_t + PE_t, PE_0 = (0, 1), PE_1 = (sin 1, cos 1);
    # o_t = mean_t h_t = ((1 + sin 1)/2, (2 + cos 1)/2) at both positions; max is the 2nd: S = 2 + cos 1
    e = _attention_by_hand()
    y = torch.tensor([[[1.0, 0.0], [0.0, 1.0]]])
    s = e(y, torch.ones(1, 2, dtype=torch.bool))
    assert s.item() == pytest.approx(2 + math.cos(1.0), abs=1e-6)
    assert e.forward_indices(torch.tensor([[0, 1]]), torch.ones(1, 2, dtype=torch.bool)).item() == pytest.approx(s.item(), abs=1e-6)


@pytest.mark.parametrize("energy", ["self-attention", "linear-chain"])
def test_global_energy_padding_invariance(energy):
    torch.manual_seed(0)
    e = (TagSelfAttentionEnergy(5, 8) if energy == "self-attention" else LinearChainEnergy(5)).eval()
    y = torch.softmax(torch.randn(2, 3, 5), -1)
    m = torch.tensor([[True, True, True], [True, True, False]])
    y = y * m.unsqueeze(-1)
    s = e(y, m)
    # pad to length 6 with garbage in the padded rows: the mask zeroes them, scores unchanged
    yp = torch.cat([y, torch.rand(2, 3, 5)], 1)
    mp = torch.cat([m, torch.zeros(2, 3, dtype=torch.bool)], 1)
    assert torch.allclose(e(yp, mp), s, atol=1e-6)
    tags = torch.tensor([[1, 2, 3, 0, 4, 4], [2, 2, 0, 1, 1, 1]])
    assert torch.allclose(e.forward_indices(tags, mp), e(F.one_hot(tags, 5).float(), mp), atol=1e-5)


def test_linear_chain_hand_value():
    e = LinearChainEnergy(2)
    with torch.no_grad():
        e.trans.copy_(torch.tensor([[1.0, 2.0], [3.0, 4.0]]))
        e.start.copy_(torch.tensor([0.5, 0.25]))
        e.end.copy_(torch.tensor([10.0, 20.0]))
    tags = torch.tensor([[0, 1, 1, 0]])
    m = torch.tensor([[True, True, True, False]])
    # start[0] + A[0,1] + A[1,1] + end[1] = 0.5 + 2 + 4 + 20
    assert e.forward_indices(tags, m).item() == 26.5
    assert e(F.one_hot(tags, 2).float(), m).item() == 26.5


def _x(B=2, T=4, H=6):
    torch.manual_seed(1)
    mask = torch.tensor([[True] * T, [True] * (T - 1) + [False]])[:B]
    return {"states": torch.randn(B, T, H) * mask.unsqueeze(-1), "predicate": torch.tensor([1, 0])[:B], "mask": mask}


@pytest.mark.parametrize("energy", ["self-attention", "linear-chain", "none"])
def test_loss_net_protocol_indices_and_padding(energy):
    net = SRLLossNet(6, 5, hidden=8, global_energy=energy, attention_dim=8).eval()
    x = _x()
    tags = torch.randint(0, 5, (2, 3, 4), generator=torch.Generator().manual_seed(0))
    y = F.one_hot(tags, 5).float() * x["mask"][:, None, :, None]
    check_score_net(net, x, y)
    ctx = net.encode(x)
    s = net.score(ctx, y)
    assert torch.allclose(net.score_indices(ctx, tags, x["mask"]), s, atol=1e-5)
    assert torch.allclose(torch.stack([net.score(ctx, y[:, k]) for k in range(3)], 1), s, atol=1e-5)
    # the padded word's state and tag do not matter
    x2 = dict(x, states=x["states"].clone())
    x2["states"][1, 3] = 100.0
    tags2 = tags.clone()
    tags2[1, :, 3] = 4
    assert torch.allclose(net.score_indices(net.encode(x2), tags2, x["mask"]), s, atol=1e-5)


@pytest.mark.parametrize("top", ["transformer", "bilstm"])
def test_task_net_shapes_and_padding(top):
    net = SRLTaskNet(6, 5, top=top, d_model=8, n_heads=2, ff_dim=16).eval()
    x = _x()
    z = net(x)
    assert z.shape == (2, 4, 5)
    x2 = dict(x, states=x["states"].clone())
    x2["states"][1, 3] = 100.0  # a padded word never reaches a real one
    assert torch.allclose(net(x2)[1, :3], z[1, :3], atol=1e-5)


def test_crf_viterbi_and_nll_by_enumeration():
    torch.manual_seed(0)
    C, T = 3, 4
    loss = CRFTaskLoss(C)
    with torch.no_grad():
        loss.crf.transitions.copy_(torch.randn(C, C))
        loss.crf.start_transitions.copy_(torch.randn(C))
        loss.crf.end_transitions.copy_(torch.randn(C))
    em = torch.randn(2, T, C)
    mask = torch.tensor([[True] * T, [True, True, False, False]])
    gold = torch.tensor([[0, 1, 2, 1], [2, 0, 0, 0]])
    A, s0, sN = loss.crf.transitions, loss.crf.start_transitions, loss.crf.end_transitions

    def score(b, seq):
        v = s0[seq[0]] + em[b, 0, seq[0]] + sN[seq[-1]]
        for t in range(1, len(seq)):
            v = v + A[seq[t - 1], seq[t]] + em[b, t, seq[t]]
        return v

    decoded = loss.decode(em, mask)
    nll = loss.per_example(em, gold, mask)
    for b, n in enumerate([T, 2]):
        seqs = list(itertools.product(range(C), repeat=n))
        scores = torch.stack([score(b, s) for s in seqs])
        assert decoded[b, :n].tolist() == list(seqs[int(scores.argmax())])
        assert decoded[b, n:].tolist() == [0] * (T - n)
        expect = torch.logsumexp(scores, 0) - score(b, gold[b, :n].tolist())
        assert nll[b].item() == pytest.approx(expect.item(), abs=1e-5)
    oh = viterbi_one_hot(loss, em, mask)
    assert oh.shape == (2, T, C) and oh[1, 2:].sum().item() == 0.0
    with pytest.raises(ValueError, match="real first position"):
        loss.decode(em, torch.tensor([[False] * T, [True] * T]))
