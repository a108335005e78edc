"""Tests of the gradient-based inference engine (``seal.inference.gbi``).

Exact values from the shared case B17, equivalence with the released code's projected-Adam loop
(``seal-method.md`` C.2), and property tests against exhaustive enumeration on label spaces small
enough to enumerate (L <= 8).
"""

from __future__ import annotations

import itertools
import json

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from seal.inference import (
    GBIError,
    GradientBasedInference,
    gradient_based_inference,
    init_uniform,
    init_zeros,
    project_box,
    project_simplex,
)

METHODS = ("adam", "sgd", "mirror")


def vertices(n_labels: int, dtype=torch.float32) -> torch.Tensor:
    """All 2^L binary vectors, ``(2^L, L)``."""
    return torch.tensor(list(itertools.product([0.0, 1.0], repeat=n_labels)), dtype=dtype)


def linear_objective(c: torch.Tensor, bias: torch.Tensor | None = None):
    """Energy ``E(y) = <c_b, y> (+ bias_b)`` per example; ``c`` is ``(B, *out_shape)``."""

    def f(y: torch.Tensor) -> torch.Tensor:
        e = (c * y).flatten(1).sum(1)
        return e if bias is None else e + bias

    return f


# ----------------------------------------------------------------------------------------------
# B17: one step on the unit box
# ----------------------------------------------------------------------------------------------


def test_b17_case_file_matches_constants(cases_dir):
    case = json.loads((cases_dir / "B17_gbi_leaves_unit_box.json").read_text())
    y0 = torch.tensor([case["y0"]])
    g = torch.tensor([case["grad_of_energy_at_y0"]])
    res = gradient_based_inference(linear_objective(g), y0, method="sgd", lr=1.0, steps=1, pick="last")
    assert torch.allclose(y0 - g, torch.tensor([case["raw_step"]]))
    assert torch.equal(res.y, torch.tensor([case["expected_after_projection_clamp"]]))
    mirror = gradient_based_inference(linear_objective(g), y0, method="mirror", lr=1.0, steps=1, pick="last")
    assert torch.allclose(mirror.y, torch.tensor([[0.9659, 0.0413]]), atol=1e-4)


def test_b17_projected_sgd_step_is_clamped_exactly():
    y0 = torch.tensor([[0.95, 0.05]])
    g = torch.tensor([[-0.2, 0.1]])
    res = gradient_based_inference(linear_objective(g), y0, method="sgd", lr=1.0, steps=1, pick="last")
    assert torch.equal(res.y, torch.tensor([[1.0, 0.0]]))
    assert res.steps_run == 1
    assert res.best_step.tolist() == [1]  # the final (post-update) iterate
    assert torch.allclose(res.objective, torch.tensor([-0.2]))
    # the init tensor is never modified
    assert torch.equal(y0, torch.tensor([[0.95, 0.05]]))


def test_b17_log_terms_stay_finite_at_the_boundary():
    y0 = torch.tensor([[0.95, 0.05]])
    g = torch.tensor([[-0.2, 0.1]])
    y1 = gradient_based_inference(linear_objective(g), y0, method="sgd", lr=1.0, steps=1, pick="last").y
    target = torch.tensor([[0.0, 1.0]])  # the worst case: log(1 - 1) and log(0)

    def bce(y):  # BCE clamps each log term at -100, like the released code (H.8)
        return nn.functional.binary_cross_entropy(y, target.expand_as(y), reduction="none").sum(-1)

    assert torch.isfinite(bce(y1)).all()
    # continuing GBI from the boundary point with this objective stays finite and in the box
    for method in ("sgd", "adam"):
        res = gradient_based_inference(bce, y1, method=method, lr=1.0, steps=5, record=True, score_final=True)
        assert torch.isfinite(res.trajectory_objective).all()
        assert ((res.trajectory_y >= 0) & (res.trajectory_y <= 1)).all()
        assert torch.isfinite(res.objective).all()


def test_b17_mirror_step_exact_formula():
    y0 = torch.tensor([[0.95, 0.05]], dtype=torch.float64)
    g = torch.tensor([[-0.2, 0.1]], dtype=torch.float64)
    eta = 1.0
    res = gradient_based_inference(linear_objective(g), y0, method="mirror", lr=eta, steps=1, pick="last")
    num = y0 * torch.exp(-eta * g)
    expected = num / (num + (1 - y0) * torch.exp(eta * g))
    assert torch.allclose(res.y, expected, atol=1e-12)
    assert torch.allclose(res.y, torch.tensor([[0.9659, 0.0413]], dtype=torch.float64), atol=1e-4)
    assert ((res.y > 0) & (res.y < 1)).all()


# ----------------------------------------------------------------------------------------------
# equivalence with the released code's loop (C.2)
# ----------------------------------------------------------------------------------------------


def _reference_c2(objective, init: torch.Tensor, lr: float, steps: int):
    """The C.2 pseudo-code: fresh Adam on y, record (y^t, l_t) before each update, clamp, best-of."""
    y = init.clone().requires_grad_(True)
    opt = torch.optim.Adam([y], lr=lr, weight_decay=0)
    ys, ls = [], []
    for _ in range(steps):
        opt.zero_grad()
        loss = objective(y)
        ys.append(y.detach().clone())
        ls.append(loss.detach().clone())
        loss.sum().backward()
        opt.step()
        with torch.no_grad():
            y.clamp_(0, 1)
    ls_t = torch.stack(ls)  # (steps, B)
    idx = ls_t.argmin(0)
    ar = torch.arange(init.shape[0])
    return torch.stack(ys)[idx, ar], ls_t[idx, ar], ls_t


def test_projected_adam_matches_reference_loop():
    gen = torch.Generator().manual_seed(0)
    B, L, H = 5, 6, 7
    w1 = torch.randn(L, H, generator=gen, dtype=torch.float64)
    w2 = torch.randn(H, generator=gen, dtype=torch.float64)
    c = torch.randn(B, L, generator=gen, dtype=torch.float64)

    def energy(y):
        return -(c * y).sum(-1) - nn.functional.softplus(y @ w1) @ w2

    init = torch.rand(B, L, generator=gen, dtype=torch.float64)
    ref_y, ref_l, ref_traj = _reference_c2(energy, init, lr=0.3, steps=15)
    res = gradient_based_inference(energy, init, method="adam", lr=0.3, steps=15, record=True)
    assert torch.allclose(res.trajectory_objective[:, 0], ref_traj, atol=1e-12)
    assert torch.allclose(res.y, ref_y, atol=1e-12)
    assert torch.allclose(res.objective, ref_l, atol=1e-12)


# ----------------------------------------------------------------------------------------------
# property tests by exhaustive enumeration
# ----------------------------------------------------------------------------------------------


@settings(max_examples=30, deadline=None, derandomize=True)
@given(
    seed=st.integers(0, 2**31 - 1),
    n_labels=st.integers(1, 8),
    batch=st.integers(1, 4),
    method=st.sampled_from(METHODS),
    init_kind=st.sampled_from(["zeros", "uniform", "half"]),
)
def test_linear_box_energy_reaches_the_exact_minimiser(seed, n_labels, batch, method, init_kind):
    gen = torch.Generator().manual_seed(seed)
    sign = torch.where(torch.rand(batch, n_labels, generator=gen) < 0.5, -1.0, 1.0)
    c = sign * (0.1 + torch.rand(batch, n_labels, generator=gen))  # |c| >= 0.1: unique minimiser
    bias = torch.randn(batch, generator=gen)
    energy = linear_objective(c, bias)
    if init_kind == "zeros":
        init = init_zeros((batch, n_labels))
    elif init_kind == "half":
        init = torch.full((batch, n_labels), 0.5)
    else:
        init = init_uniform(1, (batch, n_labels), gen)[0]
    lr = {"adam": 0.1, "sgd": 1.0, "mirror": 1.0}[method]
    res = gradient_based_inference(energy, init, method=method, lr=lr, steps=120)

    # exhaustive enumeration of the 2^L vertices
    v = vertices(n_labels)  # (V, L)
    e_all = c @ v.T + bias[:, None]  # (B, V)
    e_min, arg = e_all.min(dim=1)
    assert torch.equal(res.y.round(), v[arg])  # exact minimiser after rounding
    assert torch.equal(v[arg], (c < 0).float())  # (the sign rule, checked by enumeration)
    # a linear energy's minimum over the box is attained at a vertex: GBI cannot go below it
    # (which would mean leaving the box) and reaches it
    atol = 1e-5 if method != "mirror" else 1e-3
    assert (res.objective >= e_min - 1e-5).all()
    assert torch.allclose(res.objective, e_min, atol=atol)
    assert ((res.y >= 0) & (res.y <= 1)).all()


@pytest.mark.parametrize("method", ["adam", "sgd"])
def test_concave_box_energy_never_below_the_vertex_minimum(method):
    """Concave energies attain their box minimum at a vertex, so the exact minimum over the
    2^L vertices lower-bounds every in-box iterate; GBI ends at a KKT point never worse than init."""
    gen = torch.Generator().manual_seed(1)
    B, L = 16, 6
    c = torch.randn(B, L, generator=gen)
    a = torch.randn(B, L, L, generator=gen) / L

    def energy(y):  # <c, y> - ||A y||^2 : concave
        return (c * y).sum(-1) - (torch.einsum("bij,bj->bi", a, y) ** 2).sum(-1)

    init = torch.rand(B, L, generator=gen)
    lr = 0.02 if method == "adam" else 0.2
    res = gradient_based_inference(energy, init, method=method, lr=lr, steps=400, pick="last")
    v = vertices(L)
    e_vert = torch.stack([energy(v[i].expand(B, L)) for i in range(v.shape[0])], 1)  # (B, V)
    e_min = e_vert.min(1).values
    assert (res.objective >= e_min - 1e-4).all()
    assert (res.objective <= energy(init) + 1e-6).all()
    # KKT of min over the box: the projected-gradient step does not move the point
    y = res.y.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(energy(y).sum(), y)
    assert torch.allclose(project_box(res.y - 0.1 * g), res.y, atol=1e-4)
    # and the rounded point is a vertex whose energy is what GBI reports
    assert torch.allclose(energy(res.y.round()), res.objective, atol=1e-4)


def test_mlc_energy_with_global_softplus_term():
    """Non-convex MLC-style energy ``-(sum_l y_l z_l + w2 . softplus(W1 y))`` (B.1, score = -energy)."""
    gen = torch.Generator().manual_seed(2)
    B, L, H = 12, 7, 10
    z = torch.randn(B, L, generator=gen)
    w1 = torch.randn(L, H, generator=gen)
    w2 = torch.randn(H, generator=gen)

    def energy(y):  # y: (n_init * B, L), init-major rows
        zz = z.repeat(y.shape[0] // B, 1)
        return -((zz * y).sum(-1) + nn.functional.softplus(y @ w1) @ w2)

    v = vertices(L)  # (128, L)
    e_vert = torch.stack([energy(v[i].expand(B, L)) for i in range(v.shape[0])], 0)  # (V, B)
    e_min = e_vert.min(0).values

    # (1) with every vertex as an init, the "best" picker must return (at least) the exact
    #     vertex minimum: inits are scored at t = 0 and compete across inits
    all_inits = v[:, None, :].expand(v.shape[0], B, L)
    res = gradient_based_inference(energy, all_inits, multi_init=True, lr=0.05, steps=5, record=True)
    assert res.trajectory_objective.shape == (5, v.shape[0], B)
    assert (res.objective <= e_min + 1e-5).all()
    assert torch.allclose(res.objective, res.trajectory_objective.flatten(0, 1).min(0).values)
    assert torch.allclose(energy(res.y), res.objective, atol=1e-5)

    # (2) from task-net-like probabilities: never worse than the init, and a KKT point at the end
    init = torch.sigmoid(torch.randn(B, L, generator=gen))
    res = gradient_based_inference(energy, init, method="sgd", lr=0.05, steps=1500, pick="last")
    assert (res.objective <= energy(init) + 1e-6).all()
    y = res.y.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(energy(y).sum(), y)
    assert torch.allclose(project_box(res.y - 0.05 * g), res.y, atol=1e-4)
    best = gradient_based_inference(energy, init, method="sgd", lr=0.05, steps=1500)
    assert (best.objective <= energy(init) + 1e-6).all()

    # (3) random restarts: many uniform inits get within tolerance of the vertex minimum here
    inits = init_uniform(32, (B, L), gen)
    res = gradient_based_inference(energy, inits, multi_init=True, method="adam", lr=0.1, steps=100)
    rounded = energy(res.y.round())
    assert (rounded >= e_min - 1e-5).all()  # sanity: rounded points are vertices
    assert ((rounded - e_min) <= 1e-3 * e_min.abs().clamp_min(1)).float().mean() >= 0.9


@pytest.mark.parametrize("method", ["sgd", "mirror"])
def test_simplex_linear_energy_gives_one_hot_argmin(method):
    gen = torch.Generator().manual_seed(3)
    B, T, C = 4, 5, 6
    c = torch.randn(B, T, C, generator=gen)
    init = init_uniform(1, (B, T, C), gen, space="simplex")[0]
    lr = {"sgd": 1.0, "mirror": 2.0}[method]
    res = gradient_based_inference(linear_objective(c), init, space="simplex", method=method, lr=lr, steps=150)
    one_hot = nn.functional.one_hot(c.argmin(-1), C).float()
    assert torch.equal(res.y.argmax(-1), c.argmin(-1))
    # the simplex minimum of a linear energy is the sum of per-token minima
    e_min = c.min(-1).values.sum(-1)
    assert (res.objective >= e_min - 1e-5).all()
    atol = 1e-5 if method != "mirror" else 1e-3
    assert torch.allclose(res.objective, e_min, atol=atol)
    if method != "mirror":
        assert torch.allclose(res.y, one_hot, atol=1e-6)


def test_simplex_adam_is_sign_like_but_never_worse_than_init():
    """Under a constant gradient Adam's step is ``lr * sign(g)`` per coordinate, so projected Adam
    on the simplex does not in general reach the argmin of a linear energy (no magnitude
    information); the engine still stays on the simplex and the best picker never returns
    anything worse than the init."""
    gen = torch.Generator().manual_seed(3)
    B, T, C = 4, 5, 6
    c = torch.randn(B, T, C, generator=gen)
    init = init_uniform(1, (B, T, C), gen, space="simplex")[0]
    energy = linear_objective(c)
    res = gradient_based_inference(energy, init, space="simplex", lr=0.1, steps=50, record=True)
    assert (res.objective <= energy(init) + 1e-6).all()
    assert (res.trajectory_y >= 0).all()
    assert torch.allclose(res.trajectory_y.sum(-1), torch.ones(()), atol=1e-5)


# ----------------------------------------------------------------------------------------------
# picking
# ----------------------------------------------------------------------------------------------


def test_best_picker_on_an_oscillating_objective():
    gen = torch.Generator().manual_seed(4)
    B, L, K = 6, 4, 3
    center = torch.rand(B, L, generator=gen)

    def energy(y):  # quadratic; lr 1.2 overshoots (factor 1 - 2 lr = -1.4): bounces in the box
        return ((y - center.repeat(K, 1)) ** 2).sum(-1)

    inits = init_uniform(K, (B, L), gen)
    res = gradient_based_inference(
        energy, inits, multi_init=True, method="sgd", lr=1.2, steps=12, record=True
    )
    traj = res.trajectory_objective  # (12, K, B)
    assert traj.shape == (12, K, B)
    diffs = traj[1:] - traj[:-1]
    assert (diffs > 0).any() and (diffs < 0).any()  # not monotone
    flat = traj.flatten(0, 1)
    assert torch.equal(res.objective, flat.min(0).values)
    assert (res.objective < traj[-1].min(0).values).any()  # "last" would have been worse
    ar = torch.arange(B)
    assert torch.equal(res.y, res.trajectory_y[res.best_step, res.best_init, ar])
    assert torch.equal(traj[res.best_step, res.best_init, ar], res.objective)


def test_final_iterate_is_not_scored_by_default():
    calls = []
    c = torch.ones(1, 1)

    def energy(y):
        calls.append(y.shape[0])
        return (c * y).sum(-1)

    init = torch.full((1, 1), 0.5)
    res = gradient_based_inference(energy, init, method="sgd", lr=1.0, steps=1)
    # y^0 = 0.5 (objective 0.5); y^1 = 0 would be better but is never scored (C.2)
    assert len(calls) == 1
    assert res.y.item() == 0.5 and res.objective.item() == 0.5
    assert res.best_step.item() == 0
    assert res.y_final.item() == 0.0
    calls.clear()
    res = gradient_based_inference(energy, init, method="sgd", lr=1.0, steps=1, score_final=True)
    assert len(calls) == 2
    assert res.y.item() == 0.0 and res.objective.item() == 0.0 and res.best_step.item() == 1
    calls.clear()
    res = gradient_based_inference(energy, init, method="sgd", lr=1.0, steps=1, pick="last")
    assert len(calls) == 2 and res.y.item() == 0.0 and res.objective.item() == 0.0


def test_ties_go_to_the_earliest_step_and_lowest_init():
    inits = torch.rand(3, 2, 4, generator=torch.Generator().manual_seed(9))
    res = gradient_based_inference(lambda y: torch.zeros(y.shape[0]) + 0 * y.sum(-1), inits,
                                   multi_init=True, method="sgd", steps=4)
    assert res.best_step.tolist() == [0, 0] and res.best_init.tolist() == [0, 0]
    assert torch.equal(res.y, inits[0])


def test_tol_stops_early_and_steps_zero_scores_the_init():
    c = torch.tensor([[1.0, -1.0]])
    init = torch.full((1, 2), 0.5)
    res = gradient_based_inference(linear_objective(c), init, method="sgd", lr=0.25, steps=50, tol=1e-6)
    # 0.5 -> (0.25, 0.75) -> (0, 1) -> (0, 1): stops when the objective stops changing
    assert res.steps_run == 4
    assert torch.equal(res.y, torch.tensor([[0.0, 1.0]]))
    res = gradient_based_inference(linear_objective(c), init, steps=0)
    assert res.steps_run == 0 and torch.equal(res.y, init) and res.objective.item() == 0.0


# ----------------------------------------------------------------------------------------------
# staying in the output space; errors; gradients; shapes
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("space", ["box", "simplex"])
def test_iterates_stay_in_the_output_space(method, space):
    gen = torch.Generator().manual_seed(5)
    B, T, C = 3, 4, 5
    w = torch.randn(C, C, generator=gen) * 3

    def energy(y):  # non-convex, large gradients
        return (torch.sin(3 * y @ w) * y).flatten(1).sum(1) * 5

    init = torch.rand(B, T, C, generator=gen) * 3 - 1  # outside the space: projected first
    res = gradient_based_inference(
        energy, init, space=space, method=method, lr=2.0, steps=25, record=True, score_final=True
    )
    ys = torch.cat([res.trajectory_y, res.y_final[None]])
    assert torch.isfinite(ys).all()
    assert (ys >= 0).all() and (ys <= 1).all()
    if space == "simplex":
        assert torch.allclose(ys.sum(-1), torch.ones(()), atol=1e-5)


def test_non_finite_objective_raises_with_example_and_step():
    step = {"t": 0}

    def energy(y):
        e = y.sum(-1)
        if step["t"] == 3:
            e = e.clone()
            e[2] = float("nan")
        step["t"] += 1
        return e

    with pytest.raises(GBIError, match=r"example 2.*step 3"):
        gradient_based_inference(energy, torch.rand(4, 3), steps=10)

    def energy_inf(y):  # rows are init-major: row 1 * B + 1 = init 1 of example 1
        e = y.sum(-1).clone()
        e[1 * 3 + 1] = float("inf")
        return e

    with pytest.raises(GBIError, match=r"example 1 \(init 1\) at step 0"):
        gradient_based_inference(energy_inf, torch.rand(2, 3, 5), multi_init=True, steps=3)


def test_non_finite_gradient_raises():
    def energy(y):  # d sqrt(y)/dy = inf at y = 0
        return torch.sqrt(y).sum(-1)

    init = torch.tensor([[0.5, 0.5], [0.0, 0.3]])
    with pytest.raises(GBIError, match=r"gradient.*example 1.*step 0"):
        gradient_based_inference(energy, init, method="sgd", steps=2)


def test_parameters_get_no_grad_even_under_no_grad():
    torch.manual_seed(0)
    score = nn.Linear(5, 1)
    with torch.no_grad():
        score.weight.copy_(torch.tensor([[0.5, -0.3, 0.2, -0.8, 0.1]]))
    init = torch.rand(3, 5)
    with torch.no_grad():
        res = gradient_based_inference(lambda y: -score(y).squeeze(-1), init, steps=5)
    assert score.weight.grad is None and score.bias.grad is None
    assert not res.y.requires_grad and not res.objective.requires_grad
    res = gradient_based_inference(lambda y: -torch.sigmoid(score(y)).squeeze(-1), init, steps=5)
    assert score.weight.grad is None
    # the vertex picked by a linear score: y_l = 1 where the weight is positive
    res = gradient_based_inference(lambda y: -score(y).squeeze(-1), init, method="sgd", lr=1.0, steps=50)
    assert torch.equal(res.y.round(), (score.weight[0] > 0).float().expand(3, 5))


def test_inference_mode_is_refused_with_a_clear_error():
    with torch.inference_mode(), pytest.raises(RuntimeError, match="inference_mode"):
        gradient_based_inference(lambda y: y.sum(-1), torch.rand(2, 3))


@pytest.mark.parametrize("method", METHODS)
def test_pixel_masks_are_supported(method):
    gen = torch.Generator().manual_seed(6)
    B, H, W = 2, 6, 5
    c = torch.randn(B, H, W, generator=gen)
    c = torch.where(c.abs() < 0.1, torch.full_like(c, 0.1), c)
    res = gradient_based_inference(linear_objective(c), torch.full((B, H, W), 0.5), method=method,
                                   lr=1.0 if method != "adam" else 0.1, steps=60)
    assert res.y.shape == (B, H, W)
    assert torch.equal(res.y.round(), (c < 0).float())


def test_candidates_layout_matches_flat_layout():
    gen = torch.Generator().manual_seed(7)
    B, K, L = 3, 4, 5
    x = torch.randn(B, L, generator=gen)
    w = torch.randn(L, L, generator=gen)

    def energy_candidates(y):  # (B, K, L) -> (B, K), the energy-network convention
        return -((x[:, None, :] * y).sum(-1) + torch.tanh(y @ w).sum(-1))

    def energy_flat(y):  # (K * B, L) -> (K * B,), init-major
        return -((x.repeat(K, 1) * y).sum(-1) + torch.tanh(y @ w).sum(-1))

    inits = init_uniform(K, (B, L), gen)
    a = gradient_based_inference(energy_candidates, inits, multi_init=True, layout="candidates", record=True)
    b = gradient_based_inference(energy_flat, inits, multi_init=True, record=True)
    assert torch.allclose(a.trajectory_objective, b.trajectory_objective, atol=1e-5)
    assert torch.equal(a.best_init, b.best_init)
    assert torch.allclose(a.y, b.y)
    # a sequence of inits is the same as a stacked tensor with multi_init=True
    c = gradient_based_inference(energy_flat, list(inits), record=True)
    assert torch.equal(c.trajectory_objective, b.trajectory_objective)


def test_engine_object_round_trips_its_params():
    engine = GradientBasedInference(method="sgd", lr=0.5, momentum=0.9, steps=7)
    params = engine.get_params()
    assert GradientBasedInference(**params).get_params() == params
    res = engine(lambda y: y.sum(-1), torch.rand(2, 3), record=True)
    assert res.steps_run == 7 and res.trajectory_objective.shape == (7, 1, 2)


def test_sgd_momentum_heavy_ball_rule():
    c = torch.tensor([[0.1]])
    init = torch.tensor([[0.9]])
    res = gradient_based_inference(linear_objective(c), init, method="sgd", lr=1.0, momentum=0.5,
                                   steps=3, record=True)
    # buf: 0.1, 0.15, ...; y: 0.9 -> 0.8 -> 0.65
    assert torch.allclose(res.trajectory_y[:, 0, 0, 0], torch.tensor([0.9, 0.8, 0.65]))


def test_project_simplex_matches_bisection_reference():
    gen = torch.Generator().manual_seed(8)
    v = torch.randn(200, 7, generator=gen, dtype=torch.float64) * 2
    p = project_simplex(v)
    lo = v.min(-1, keepdim=True).values - 1
    hi = v.max(-1, keepdim=True).values
    for _ in range(200):  # theta with sum(max(v - theta, 0)) = 1
        mid = (lo + hi) / 2
        too_low = (v - mid).clamp_min(0).sum(-1, keepdim=True) > 1
        lo = torch.where(too_low, mid, lo)
        hi = torch.where(too_low, hi, mid)
    ref = (v - (lo + hi) / 2).clamp_min(0)
    assert torch.allclose(p, ref, atol=1e-9)
    on = project_simplex(torch.rand(10, 4, generator=gen, dtype=torch.float64).softmax(-1))
    assert torch.allclose(project_simplex(on), on, atol=1e-12)


def test_invalid_arguments():
    f = lambda y: y.sum(-1)  # noqa: E731
    y = torch.rand(2, 3)
    with pytest.raises(ValueError, match="space"):
        gradient_based_inference(f, y, space="sphere")
    with pytest.raises(ValueError, match="momentum"):
        gradient_based_inference(f, y, method="adam", momentum=0.9)
    with pytest.raises(ValueError, match="shape"):
        gradient_based_inference(lambda y: y.sum(), y)
    with pytest.raises(ValueError, match="non-finite"):
        gradient_based_inference(f, torch.tensor([[0.1, float("nan")]]))
    with pytest.raises(ValueError, match="init"):
        gradient_based_inference(f, torch.tensor(0.5))
    with pytest.raises(ValueError, match="init"):
        gradient_based_inference(f, torch.rand(3), multi_init=True)
