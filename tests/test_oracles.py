"""Oracle value functions: exact cases, exhaustive enumeration on tiny label spaces, gradients."""

from __future__ import annotations

import itertools
import json

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import f1_score, jaccard_score

from seal.oracles import ORACLES, get_oracle, l1_cost, soft_f1, soft_hamming, soft_iou


def _all_binary(n: int) -> torch.Tensor:
    return torch.tensor(list(itertools.product([0, 1], repeat=n)), dtype=torch.float64)


# ---------------------------------------------------------------------------------------------- B09


def test_b09_soft_f1_exact(cases_dir):
    case = json.loads((cases_dir / "B09_example_f1_empty_rows.json").read_text())
    oracle = case["dvn_oracle_soft_f1"]
    y_hat = torch.tensor(oracle["y_hat"], dtype=torch.float64)
    y = torch.tensor(oracle["labels"])
    value = soft_f1(y_hat, y)
    assert value.shape == (2,)
    assert value.tolist() == pytest.approx(oracle["expected"], abs=1e-10)
    assert not torch.isnan(value).any()
    # row 1 by hand: 2*0.9 / (0.9 + 2.0)
    assert value[1].item() == pytest.approx(1.8 / 2.9, abs=1e-15)


# ------------------------------------------------------------------------------ exhaustive binary


@pytest.mark.parametrize("n_labels", [1, 2, 3, 4])
def test_soft_f1_equals_f1_on_all_binary_pairs(n_labels):
    ys = _all_binary(n_labels)
    a = ys.repeat_interleave(len(ys), dim=0)  # every pair (a_i, b_j)
    b = ys.repeat(len(ys), 1)
    value = soft_f1(a, b)
    ref = torch.tensor(
        [f1_score(bb.numpy(), aa.numpy(), zero_division=1) for aa, bb in zip(a, b)], dtype=torch.float64
    )
    torch.testing.assert_close(value, ref, rtol=0, atol=1e-12)
    # and the closed form 2tp / (2tp + fp + fn), empty/empty = 1
    tp = (a * b).sum(-1)
    den = a.sum(-1) + b.sum(-1)
    closed = torch.where(den > 0, 2 * tp / den.clamp(min=1), torch.ones_like(den))
    torch.testing.assert_close(value, closed, rtol=0, atol=1e-12)


def test_soft_iou_equals_iou_on_all_binary_2x2_masks():
    masks = _all_binary(4).reshape(-1, 2, 2)
    a = masks.repeat_interleave(len(masks), dim=0)
    b = masks.repeat(len(masks), 1, 1)
    value = soft_iou(a, b)
    assert value.shape == (len(masks) ** 2,)
    ref = torch.tensor(
        [
            jaccard_score(bb.flatten().numpy(), aa.flatten().numpy(), zero_division=1)
            for aa, bb in zip(a, b)
        ],
        dtype=torch.float64,
    )
    torch.testing.assert_close(value, ref, rtol=0, atol=1e-12)


def test_empty_empty_is_one():
    z = torch.zeros(3, 5)
    assert soft_f1(z, z).tolist() == [1.0, 1.0, 1.0]
    assert soft_iou(torch.zeros(2, 4, 4), torch.zeros(2, 4, 4)).tolist() == [1.0, 1.0]
    # empty prediction against a non-empty gold set scores 0, and vice versa
    y = torch.tensor([0.0, 1.0, 0.0])
    assert soft_f1(torch.zeros(3), y).item() == 0.0
    assert soft_f1(y, torch.zeros(3)).item() == 0.0


# -------------------------------------------------------------------------------------- gradients


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_soft_f1_gradient_finite_at_empty_and_ties(dtype):
    y_hat = torch.zeros(4, 3, dtype=dtype, requires_grad=True)
    y = torch.zeros(4, 3)
    y[2, 1] = 1
    with torch.no_grad():
        y_hat[1] = 0.0
        y_hat[2] = torch.tensor([0.0, 1.0, 0.0], dtype=dtype)  # ties with gold everywhere
        y_hat[3] = torch.tensor([0.3, 0.0, 0.7], dtype=dtype)
    value = soft_f1(y_hat, y)
    assert torch.isfinite(value).all()
    (grad,) = torch.autograd.grad(value.sum(), y_hat)
    assert torch.isfinite(grad).all()
    assert grad[0].abs().sum() == 0  # constant branch at empty/empty


def test_soft_iou_gradient_finite_at_empty():
    y_hat = torch.zeros(2, 3, 3, requires_grad=True)
    y = torch.zeros(2, 3, 3)
    y[1, 0, 0] = 1
    value = soft_iou(y_hat, y)
    assert value.tolist() == [1.0, 0.0]
    (grad,) = torch.autograd.grad(value.sum(), y_hat)
    assert torch.isfinite(grad).all()


def test_gradcheck_interior():
    gen = torch.Generator().manual_seed(0)
    y = (torch.rand(3, 5, generator=gen) < 0.5).double()
    y[0] = 0  # an empty gold row with a non-empty relaxed prediction
    # keep y_hat away from {0, 1} so min/max are differentiable
    y_hat = (0.1 + 0.8 * torch.rand(3, 5, generator=gen, dtype=torch.float64)).requires_grad_()
    assert torch.autograd.gradcheck(lambda p: soft_f1(p, y), (y_hat,))
    assert torch.autograd.gradcheck(lambda p: l1_cost(p, y), (y_hat,))
    masks = (torch.rand(2, 3, 4, generator=gen) < 0.5).double()
    m_hat = (0.1 + 0.8 * torch.rand(2, 3, 4, generator=gen, dtype=torch.float64)).requires_grad_()
    assert torch.autograd.gradcheck(lambda p: soft_iou(p, masks), (m_hat,))


# ------------------------------------------------------------------------------------- properties


@settings(max_examples=60, deadline=None)
@given(
    st.integers(min_value=1, max_value=6).flatmap(
        lambda n: st.tuples(
            st.lists(st.floats(0.0, 1.0), min_size=n, max_size=n),
            st.lists(st.integers(0, 1), min_size=n, max_size=n),
        )
    )
)
def test_oracles_in_unit_interval(pair):
    y_hat = torch.tensor(pair[0], dtype=torch.float64)
    y = torch.tensor(pair[1])
    for fn in (soft_f1, soft_hamming):
        v = fn(y_hat, y).item()
        assert 0.0 <= v <= 1.0
    assert 0.0 <= l1_cost(y_hat, y).item() <= 1.0
    v_iou = soft_iou(y_hat[None, :], y[None, :]).item()
    assert 0.0 <= v_iou <= 1.0
    # value 1 exactly at the gold output
    assert soft_f1(y.double(), y).item() == 1.0


def test_broadcasting_candidates_against_gold():
    gen = torch.Generator().manual_seed(1)
    cand = torch.rand(4, 6, 5, generator=gen)  # (B, K, L)
    gold = (torch.rand(4, 5, generator=gen) < 0.4).long()
    v = soft_f1(cand, gold[:, None, :])
    assert v.shape == (4, 6)
    for b in range(4):
        for k in range(6):
            torch.testing.assert_close(v[b, k], soft_f1(cand[b, k], gold[b]))
    assert l1_cost(cand, gold[:, None, :]).shape == (4, 6)


def test_l1_cost_and_hamming_values():
    y_hat = torch.tensor([[0.2, 0.9, 0.0, 1.0]])
    y = torch.tensor([[0, 1, 1, 1]])
    assert l1_cost(y_hat, y).item() == pytest.approx((0.2 + 0.1 + 1.0 + 0.0) / 4)
    assert soft_hamming(y_hat, y).item() == pytest.approx(1 - 1.3 / 4)
    # on binary vectors 1 - soft_hamming is the Hamming loss
    ys = _all_binary(3)
    for a in ys:
        for b in ys:
            assert 1 - soft_hamming(a, b).item() == pytest.approx((a != b).double().mean().item())


def test_dtypes_and_integer_inputs():
    y = torch.tensor([1, 0, 1], dtype=torch.long)
    assert soft_f1(torch.tensor([1, 0, 0], dtype=torch.bool), y).dtype == torch.get_default_dtype()
    assert soft_f1(torch.tensor([1.0, 0, 0], dtype=torch.float64), y).dtype == torch.float64
    assert soft_f1(torch.tensor([1, 0, 0]), y).item() == pytest.approx(2 / 3)


def test_registry():
    assert set(ORACLES) == {"soft_f1", "soft_iou", "soft_hamming"}
    assert get_oracle("soft_f1") is soft_f1
    with pytest.raises(KeyError, match="known"):
        get_oracle("f1")
    with pytest.raises(ValueError):
        soft_iou(torch.zeros(3), torch.zeros(3))
