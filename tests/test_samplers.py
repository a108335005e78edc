"""Tests for the MLC samplers (seal-method.md A.4, A.5, H.7)."""

from __future__ import annotations

import pytest
import torch

from seal.samplers import bernoulli_samples, gaussian_logit_samples


def test_bernoulli_shape_values_and_mean():
    g = torch.Generator().manual_seed(0)
    p = torch.tensor([[0.0, 0.05, 0.5, 0.9, 1.0], [0.3, 0.7, 0.2, 0.99, 0.01]])
    s = bernoulli_samples(p, 20_000, generator=g)
    assert s.shape == (2, 20_000, 5)
    assert s.dtype == p.dtype
    assert set(s.unique().tolist()) <= {0.0, 1.0}
    mean = s.mean(dim=1)
    # 4.5 binomial standard deviations of a 20k-sample mean
    tol = 4.5 * torch.sqrt(p * (1 - p) / 20_000) + 1e-12
    assert torch.all((mean - p).abs() <= tol), (mean, p)
    # p = 0 / 1 are deterministic
    assert torch.all(s[0, :, 0] == 0) and torch.all(s[0, :, 4] == 1)


def test_bernoulli_reproducible_with_generator_and_no_grad():
    logits = torch.randn(3, 4, requires_grad=True)
    p = torch.sigmoid(logits)
    a = bernoulli_samples(p, 7, generator=torch.Generator().manual_seed(3))
    b = bernoulli_samples(p, 7, generator=torch.Generator().manual_seed(3))
    c = bernoulli_samples(p, 7, generator=torch.Generator().manual_seed(4))
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert not a.requires_grad and a.grad_fn is None


def test_bernoulli_leading_dims():
    s = bernoulli_samples(torch.full((2, 3, 4), 0.5), 5)
    assert s.shape == (2, 3, 5, 4)


def test_gaussian_keep_probs_puts_p_at_index_0():
    g = torch.Generator().manual_seed(0)
    z = torch.randn(3, 6, requires_grad=True)
    s = gaussian_logit_samples(z, 5, std=0.5, keep_probs=True, generator=g)
    assert s.shape == (3, 5, 6)
    torch.testing.assert_close(s[:, 0], torch.sigmoid(z.detach()))
    assert not torch.allclose(s[:, 1], torch.sigmoid(z.detach()))
    assert not s.requires_grad and s.grad_fn is None
    assert torch.all((s > 0) & (s < 1))
    # k = 1 with keep_probs is p alone
    torch.testing.assert_close(gaussian_logit_samples(z, 1, std=0.5), torch.sigmoid(z.detach()).unsqueeze(1))


def test_gaussian_without_keep_probs_and_noise_statistics():
    g = torch.Generator().manual_seed(1)
    z = torch.tensor([[-1.0, 0.0, 2.0]], dtype=torch.float64)
    s = gaussian_logit_samples(z, 20_000, std=0.3, keep_probs=False, generator=g)
    assert s.shape == (1, 20_000, 3)
    eps = torch.logit(s) - z.unsqueeze(1)
    assert eps.mean(dim=1).abs().max().item() < 0.02
    assert torch.allclose(eps.std(dim=1), torch.full((1, 3), 0.3, dtype=torch.float64), atol=0.01)


def test_gaussian_reproducible():
    z = torch.randn(2, 4)
    a = gaussian_logit_samples(z, 4, 1.0, generator=torch.Generator().manual_seed(9))
    b = gaussian_logit_samples(z, 4, 1.0, generator=torch.Generator().manual_seed(9))
    assert torch.equal(a, b)


@pytest.mark.parametrize("k", [0, -1, 1.5, True])
def test_bad_k_raises(k):
    with pytest.raises(ValueError, match="k"):
        bernoulli_samples(torch.full((1, 2), 0.5), k)
    with pytest.raises(ValueError, match="k"):
        gaussian_logit_samples(torch.zeros(1, 2), k, std=1.0)


@pytest.mark.parametrize("std", [0.0, -0.5])
def test_bad_std_raises(std):
    with pytest.raises(ValueError, match="std"):
        gaussian_logit_samples(torch.zeros(1, 2), 3, std=std)
