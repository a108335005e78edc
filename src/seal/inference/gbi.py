"""Gradient-based inference (GBI): minimise an energy over relaxed outputs ``y``.

GBI is how the energy-network baselines predict (SPEN, Belanger & McCallum 2016; DVN, Gygli et al.
2017; the NCE energy network) and how GBI samplers produce candidates for loss-net training
(``seal-method.md`` A.2, A.7, C.2, H.12). Starting from one or more initial points in the output
space, ``y`` is moved by projected Adam, projected SGD (with momentum) or entropic mirror descent
against a per-example *objective that is minimised*:

* test time, SPEN / NCE: ``objective(y) = -S(x, y)`` (energy = -score);
* test time, DVN: ``objective(y) = -sigmoid(S(x, y))``;
* training samplers: a cost-augmented or adversarial objective built by the caller.

Output spaces:

* ``"box"``: ``y in [0, 1]^out_shape`` (multi-label vectors ``(L,)``, pixel masks ``(H, W)`` or
  ``(1, H, W)``); projection = clamp.
* ``"simplex"``: the last dimension sums to one and is non-negative (per-token tag distributions
  ``(T, C)``); projection = Euclidean projection onto the simplex (sort based, Duchi et al. 2008).

Picking the returned iterate (``seal-method.md`` C.2, H.12) -- the released code's "best" picker
records ``(y^t, objective(y^t))`` *before* each update ``t = 0 .. steps-1`` and returns, per
example, the recorded iterate with the lowest objective over all steps and all initialisations.
The final iterate ``y^steps`` (after the last update) is **never scored** by default; pass
``score_final=True`` to score it as well (one extra objective call).

Model parameters never accumulate gradients: the objective is differentiated with
``torch.autograd.grad`` with respect to a detached leaf ``y`` only, inside ``torch.enable_grad()``,
so GBI works when the caller is under ``torch.no_grad()`` and leaves every ``param.grad`` untouched.
It cannot run under ``torch.inference_mode()`` (Lightning's default for validation / test): use
``Trainer(inference_mode=False)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import torch
from torch import Tensor

__all__ = [
    "GBIError",
    "GBIResult",
    "GradientBasedInference",
    "gradient_based_inference",
    "init_uniform",
    "init_zeros",
    "project_box",
    "project_simplex",
]

Space = Literal["box", "simplex"]
Method = Literal["adam", "sgd", "mirror"]
Pick = Literal["best", "last"]
Layout = Literal["flat", "candidates"]

_SPACES = ("box", "simplex")
_METHODS = ("adam", "sgd", "mirror")
_PICKS = ("best", "last")
_LAYOUTS = ("flat", "candidates")


class GBIError(RuntimeError):
    """Raised when GBI meets a non-finite objective value or gradient.

    The message names the example index (and the initialisation index when there are several), the
    step ``t`` (0-based; the objective at ``y^t``) and the offending value. A non-finite objective
    is never returned as a prediction.
    """


@dataclass
class GBIResult:
    """Output of :func:`gradient_based_inference`.

    Attributes:
        y: ``(B, *out_shape)`` the picked iterate per example (in the output space).
        objective: ``(B,)`` objective value of the returned iterate (lower is better), as recorded
            when it was evaluated.
        steps_run: number of recorded iterates per initialisation, i.e. objective evaluations in the
            loop (``steps`` unless ``tol`` stopped it early). The extra evaluation for
            ``score_final`` / ``pick="last"`` is not counted.
        trajectory_objective: ``(steps_run, n_init, B)`` recorded objectives when ``record=True``,
            else ``None``.
        trajectory_y: ``(steps_run, n_init, B, *out_shape)`` recorded iterates (aligned with
            ``trajectory_objective``) when ``record=True``, else ``None``.
        y_final: ``(n_init, B, *out_shape)`` the last iterate of every initialisation.
        best_step: ``(B,)`` step index of the returned iterate (``steps_run`` means the final
            iterate after the last update).
        best_init: ``(B,)`` initialisation index of the returned iterate.
    """

    y: Tensor
    objective: Tensor
    steps_run: int
    trajectory_objective: Tensor | None = None
    trajectory_y: Tensor | None = None
    y_final: Tensor | None = None
    best_step: Tensor | None = None
    best_init: Tensor | None = None


# ----------------------------------------------------------------------------------------------
# projections and initialisations
# ----------------------------------------------------------------------------------------------


def project_box(y: Tensor) -> Tensor:
    """Project onto the box ``[0, 1]`` elementwise (any shape). NaN stays NaN."""
    return y.clamp(0.0, 1.0)


def project_simplex(y: Tensor) -> Tensor:
    """Euclidean projection of every vector along the last dimension onto the probability simplex.

    ``argmin_p ||p - y||_2`` s.t. ``p >= 0, sum(p) = 1``, computed by the sort-based algorithm
    (Held et al. 1974; Duchi et al. 2008; Wang & Carreira-Perpinan 2013): with ``u`` sorted
    descending, ``rho = max{j : u_j - (sum_{i<=j} u_i - 1) / j > 0}``,
    ``theta = (sum_{i<=rho} u_i - 1) / rho`` and ``p = max(y - theta, 0)``.

    Shapes: ``(..., C) -> (..., C)``.
    """
    if y.shape[-1] == 0:
        raise ValueError("cannot project onto an empty simplex (last dimension has size 0)")
    u, _ = torch.sort(y, dim=-1, descending=True)
    css = u.cumsum(dim=-1) - 1.0
    j = torch.arange(1, y.shape[-1] + 1, device=y.device, dtype=y.dtype)
    cond = (u - css / j) > 0
    # rho = number of active coordinates (>= 1: the first coordinate always satisfies cond)
    rho = cond.to(torch.int64).cumsum(dim=-1).argmax(dim=-1, keepdim=True)  # last True index
    theta = css.gather(-1, rho) / (rho + 1).to(y.dtype)
    return (y - theta).clamp_min(0.0)


def _project(y: Tensor, space: str) -> Tensor:
    return project_box(y) if space == "box" else project_simplex(y)


def init_zeros(
    shape: Sequence[int],
    *,
    device: torch.device | str | None = None,
    dtype: torch.dtype | None = None,
) -> Tensor:
    """All-zeros initial point of shape ``shape`` (e.g. ``(B, L)``; the DVN test-time init).

    In the simplex space GBI projects it to the uniform distribution ``1/C``.
    """
    return torch.zeros(tuple(shape), device=device, dtype=dtype)


def init_uniform(
    n_init: int,
    shape: Sequence[int],
    generator: torch.Generator | None = None,
    *,
    space: Space = "box",
    device: torch.device | str | None = None,
    dtype: torch.dtype | None = None,
) -> Tensor:
    """``n_init`` random initial points, ``(n_init, *shape)`` (pass with ``multi_init=True``).

    ``space="box"``: i.i.d. ``U[0, 1]`` entries (the NCE energy-network test-time init, 3 inits).
    ``space="simplex"``: uniform on the simplex along the last dimension (Dirichlet(1): normalised
    ``-log U`` draws).

    If ``generator`` is given its device is used unless ``device`` says otherwise.
    """
    if n_init < 1:
        raise ValueError(f"n_init must be >= 1, got {n_init}")
    if space not in _SPACES:
        raise ValueError(f"space must be one of {_SPACES}, got {space!r}")
    if device is None and generator is not None:
        device = generator.device
    u = torch.rand((n_init, *tuple(shape)), generator=generator, device=device, dtype=dtype)
    if space == "simplex":
        e = -torch.log1p(-u)  # Exp(1) draws, finite because u < 1
        u = e / e.sum(dim=-1, keepdim=True).clamp_min(torch.finfo(e.dtype).tiny)
    return u


# ----------------------------------------------------------------------------------------------
# the engine
# ----------------------------------------------------------------------------------------------


def _where_nonfinite(values: Tensor, n_init: int, batch: int) -> tuple[int, int, float]:
    """(init, example, value) of the first non-finite entry of a flat ``(N, ...)`` tensor."""
    flat = values.detach().reshape(values.shape[0], -1)
    bad_rows = (~torch.isfinite(flat)).any(dim=1).nonzero()
    i = int(bad_rows[0, 0])
    row = flat[i]
    value = float(row[~torch.isfinite(row)][0])
    return i // batch, i % batch, value


def _describe(init_idx: int, example: int, n_init: int) -> str:
    return f"example {example}" + (f" (init {init_idx})" if n_init > 1 else "")


def gradient_based_inference(
    objective: Callable[[Tensor], Tensor],
    init: Tensor | Sequence[Tensor],
    *,
    space: Space = "box",
    method: Method = "adam",
    lr: float = 0.1,
    momentum: float = 0.0,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    steps: int = 20,
    tol: float | None = None,
    pick: Pick = "best",
    score_final: bool = False,
    multi_init: bool = False,
    layout: Layout = "flat",
    mirror_eps: float = 1e-6,
    record: bool = False,
) -> GBIResult:
    """Minimise ``objective`` over relaxed outputs ``y`` by gradient-based inference.

    Source: ``seal-method.md`` C.2 (GBI as implemented in the SEAL code release) and H.12;
    Belanger & McCallum 2016 (SPEN); Gygli, Norouzi & Angelova 2017 (DVN). Sign: the objective is
    **minimised**; for a score network pass ``energy = -score`` (SPEN / NCE) or ``-sigmoid(score)``
    (DVN).

    Algorithm (per initialisation, all vectorised in one batch)::

        y^0 = project(init)
        for t in 0 .. steps-1:
            l_t = objective(y^t)                    # recorded with y^t
            stop if tol is set, t > 0 and max |l_t - l_{t-1}| < tol
            g = d(sum l_t)/dy                       # w.r.t. y only
            y^{t+1} = update(y^t, g)                # projected Adam / SGD, or a mirror step

    Update rules:

    * ``"adam"``: the ``torch.optim.Adam`` update (``betas``, ``eps``, no weight decay, a fresh
      state per call) followed by the projection -- the released code's GBI (tested equal to a
      ``torch.optim.Adam`` + clamp loop). Under a constant gradient Adam's step is
      ``lr * sign(g)`` per coordinate, so on the simplex prefer ``"mirror"`` or ``"sgd"``.
    * ``"sgd"``: ``buf = momentum * buf + g``; ``y <- project(y - lr * buf)`` (PyTorch SGD
      convention, no dampening).
    * ``"mirror"``: entropic mirror descent with step ``lr`` on the (momentum-averaged) gradient.
      Box: the per-coordinate Bernoulli-entropy step
      ``y1 = y0 e^{-lr g} / (y0 e^{-lr g} + (1 - y0) e^{lr g}) = sigmoid(logit(y0) - 2 lr g)``;
      simplex: exponentiated gradient ``y1 = softmax(log y0 - lr g)``. Iterates stay in the
      relative interior; a boundary init is first moved inside by ``mirror_eps`` (box: clamp to
      ``[mirror_eps, 1 - mirror_eps]``; simplex: ``(y + mirror_eps) / (1 + C mirror_eps)``), since
      the entropic step cannot leave a face of the box/simplex.

    Args:
        objective: maps ``y`` to per-example objective values to minimise. ``layout="flat"``:
            ``(N, *out_shape) -> (N,)`` with ``N = n_init * B`` and row ``k * B + b`` holding init
            ``k`` of example ``b`` (init-major, so per-example inputs ``x`` line up with
            ``x.repeat(n_init, 1)``). ``layout="candidates"``: ``(B, n_init, *out_shape) ->
            (B, n_init)`` -- the energy-network candidate convention ``(B, K, L) -> (B, K)``.
            It is called once per step, under ``torch.enable_grad()``; put dropout-bearing
            networks in ``eval()`` mode yourself if wanted.
        init: initial points in the output space: ``(B, *out_shape)``; with ``multi_init=True``
            ``(n_init, B, *out_shape)``; or a sequence of ``n_init`` tensors ``(B, *out_shape)``.
            Use :func:`init_zeros`, :func:`init_uniform` or task-net probabilities (pass the
            tensor; it is detached and copied, never modified). It is projected onto the space
            first. Non-float inits are cast to the default float dtype.
        space: ``"box"`` (``[0, 1]`` per entry) or ``"simplex"`` (last dimension on the simplex).
        method: ``"adam"``, ``"sgd"`` or ``"mirror"``.
        lr: step size (``> 0``).
        momentum: heavy-ball momentum for ``"sgd"`` and ``"mirror"`` (``0 <= momentum < 1``);
            must be 0 for ``"adam"`` (use ``betas``).
        betas, eps: Adam hyper-parameters.
        steps: number of updates ``N >= 0``; the objective is evaluated at ``y^0 .. y^{N-1}``.
        tol: stop early when the largest absolute change of the objective between consecutive
            recorded iterates, over all examples and inits, is below ``tol``.
        pick: ``"best"`` -- per example the recorded iterate with the lowest objective over all
            steps and inits (ties: earliest step, then lowest init index); the final iterate
            ``y^N`` is scored only with ``score_final=True``. ``"last"`` -- the final iterate
            (the one reached when the loop ends), scored with one extra objective call if it was
            not recorded; with several inits the best final iterate over inits is returned.
        score_final: with ``pick="best"``, also score the final iterate ``y^N`` and let it compete.
        multi_init: treat the leading dimension of a tensor ``init`` as the init dimension.
        layout: how ``y`` is handed to ``objective`` (see ``objective``).
        mirror_eps: interior margin for mirror descent (see above), in ``(0, 0.5)``.
        record: keep the trajectory (objectives and iterates) in the result.

    Returns:
        :class:`GBIResult` with ``y`` of shape ``(B, *out_shape)`` and ``objective`` ``(B,)``.

    Raises:
        GBIError: if the objective or its gradient is non-finite for some example at some step.
        ValueError: on invalid arguments, a non-finite init or an objective output of the wrong
            shape.
        RuntimeError: when called under ``torch.inference_mode()``.
    """
    # ---------------------------------------------------------------- argument checks
    if space not in _SPACES:
        raise ValueError(f"space must be one of {_SPACES}, got {space!r}")
    if method not in _METHODS:
        raise ValueError(f"method must be one of {_METHODS}, got {method!r}")
    if pick not in _PICKS:
        raise ValueError(f"pick must be one of {_PICKS}, got {pick!r}")
    if layout not in _LAYOUTS:
        raise ValueError(f"layout must be one of {_LAYOUTS}, got {layout!r}")
    if not (isinstance(steps, int) and steps >= 0):
        raise ValueError(f"steps must be an int >= 0, got {steps!r}")
    if not (math.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a finite number > 0, got {lr!r}")
    if not (0.0 <= momentum < 1.0):
        raise ValueError(f"momentum must lie in [0, 1), got {momentum!r}")
    if method == "adam" and momentum != 0.0:
        raise ValueError("momentum applies to 'sgd' and 'mirror'; Adam's momentum is set by betas")
    if tol is not None and not tol >= 0:
        raise ValueError(f"tol must be >= 0 or None, got {tol!r}")
    if not 0.0 < mirror_eps < 0.5:
        raise ValueError(f"mirror_eps must lie in (0, 0.5), got {mirror_eps!r}")
    if torch.is_inference_mode_enabled():
        raise RuntimeError(
            "gradient_based_inference cannot run under torch.inference_mode(); "
            "use torch.no_grad() or Lightning's Trainer(inference_mode=False)"
        )

    if isinstance(init, Tensor):
        y0 = init.detach()
        if not multi_init:
            y0 = y0.unsqueeze(0)
    else:
        if len(init) == 0:
            raise ValueError("init is an empty sequence")
        y0 = torch.stack([t.detach() for t in init])
    if y0.ndim < 2:
        raise ValueError(
            f"init must have shape (B, *out_shape) or (n_init, B, *out_shape); got {tuple(y0.shape[1:])}"
            + (" with multi_init=True" if multi_init else "")
        )
    if not y0.is_floating_point():
        y0 = y0.to(torch.get_default_dtype())
    n_init, batch = y0.shape[0], y0.shape[1]
    out_shape = tuple(y0.shape[2:])
    if space == "simplex" and len(out_shape) == 0:
        raise ValueError("space='simplex' needs at least one output dimension (the simplex axis)")
    n = n_init * batch
    if not torch.isfinite(y0).all():
        k, b, v = _where_nonfinite(y0.reshape(n, -1), n_init, batch)
        raise ValueError(f"GBI init is non-finite ({v}) for {_describe(k, b, n_init)}")

    y = _project(y0.reshape(n, *out_shape).clone(), space)
    if method == "mirror":
        if space == "box":
            y = y.clamp(mirror_eps, 1.0 - mirror_eps)
        else:
            y = (y + mirror_eps) / (1.0 + y.shape[-1] * mirror_eps)

    def evaluate(y_leaf: Tensor) -> Tensor:
        if layout == "flat":
            out = objective(y_leaf)
            expected = (n,)
        else:
            cand = y_leaf.view(n_init, batch, *out_shape).transpose(0, 1)
            out = objective(cand)
            expected = (batch, n_init)
        if not isinstance(out, Tensor) or tuple(out.shape) != expected:
            got = tuple(out.shape) if isinstance(out, Tensor) else type(out).__name__
            raise ValueError(f"objective must return shape {expected} for layout={layout!r}, got {got}")
        if layout == "candidates":
            out = out.transpose(0, 1).reshape(n)
        return out

    def check_objective(values: Tensor, t: int) -> None:
        if not bool(torch.isfinite(values).all()):
            k, b, v = _where_nonfinite(values, n_init, batch)
            raise GBIError(f"GBI: non-finite objective ({v}) for {_describe(k, b, n_init)} at step {t}")

    # ---------------------------------------------------------------- state
    best_obj = torch.full((n,), math.inf, device=y.device, dtype=y.dtype)
    best_y = y.clone()
    best_t = torch.zeros(n, device=y.device, dtype=torch.long)
    traj_obj: list[Tensor] = []
    traj_y: list[Tensor] = []
    buf: Tensor | None = None
    exp_avg = exp_avg_sq = None
    if method == "adam":
        exp_avg, exp_avg_sq = torch.zeros_like(y), torch.zeros_like(y)
    beta1, beta2 = betas

    prev: Tensor | None = None
    last_obj: Tensor | None = None  # objective of the current y, if it has been evaluated
    steps_run = 0

    def record_step(obj: Tensor, t: int) -> None:
        nonlocal best_obj, best_y, best_t
        improved = obj < best_obj  # strict: ties keep the earliest step
        best_obj = torch.where(improved, obj, best_obj)
        best_y = torch.where(improved.view(n, *([1] * len(out_shape))), y, best_y)
        best_t = torch.where(improved, torch.full_like(best_t, t), best_t)
        if record:
            traj_obj.append(obj.clone())
            traj_y.append(y.clone())

    with torch.enable_grad():
        for t in range(steps):
            y_leaf = y.detach().requires_grad_(True)
            obj_g = evaluate(y_leaf)
            obj = obj_g.detach()
            steps_run = t + 1
            last_obj = obj
            if tol is not None and prev is not None:
                check_objective(obj, t)
                if float((obj - prev).abs().max()) < tol:
                    record_step(obj, t)
                    break
            prev = obj

            g = None
            if obj_g.requires_grad:
                (g,) = torch.autograd.grad(obj_g.sum(), y_leaf, allow_unused=True)
            g = torch.zeros_like(y) if g is None else g.detach()
            # one host sync per step for both finiteness checks
            if not bool(torch.isfinite(obj).all() & torch.isfinite(g).all()):
                check_objective(obj, t)
                k, b, v = _where_nonfinite(g, n_init, batch)
                raise GBIError(
                    f"GBI: non-finite gradient of the objective w.r.t. y ({v}) for "
                    f"{_describe(k, b, n_init)} at step {t}"
                )
            record_step(obj, t)

            with torch.no_grad():
                if method == "adam":
                    # torch.optim.Adam's update (weight_decay=0, amsgrad=False), fresh state per call
                    assert exp_avg is not None and exp_avg_sq is not None
                    exp_avg.lerp_(g, 1.0 - beta1)
                    exp_avg_sq.mul_(beta2).addcmul_(g, g, value=1.0 - beta2)
                    step_size = lr / (1.0 - beta1 ** (t + 1))
                    denom = (exp_avg_sq.sqrt() / math.sqrt(1.0 - beta2 ** (t + 1))).add_(eps)
                    y = _project(y.addcdiv(exp_avg, denom, value=-step_size), space)
                else:
                    if momentum > 0.0:
                        buf = g.clone() if buf is None else buf.mul_(momentum).add_(g)
                        d = buf
                    else:
                        d = g
                    if method == "sgd":
                        y = _project(y - lr * d, space)
                    elif space == "box":
                        y = torch.sigmoid(torch.logit(y, eps=mirror_eps) - 2.0 * lr * d)
                    else:
                        logy = torch.log(y.clamp_min(torch.finfo(y.dtype).tiny))
                        y = torch.softmax(logy - lr * d, dim=-1)
            last_obj = None  # y has moved: its objective is unknown

        # the final iterate: scored only when asked for (C.2: never by default); with steps == 0
        # nothing was recorded, so the (projected) init is scored to make the result defined
        final_scored = last_obj is not None
        if (pick == "last" or score_final or steps_run == 0) and not final_scored:
            final_obj = evaluate(y.detach()).detach()
            check_objective(final_obj, steps_run)
            last_obj = final_obj

    # ---------------------------------------------------------------- pick
    if pick == "last":
        assert last_obj is not None
        cand_obj, cand_y = last_obj, y
        cand_t = torch.full_like(best_t, steps_run - 1 if final_scored else steps_run)
    else:
        cand_obj, cand_y, cand_t = best_obj, best_y, best_t
        if not final_scored and last_obj is not None:  # the final iterate competes
            improved = last_obj < best_obj
            cand_obj = torch.where(improved, last_obj, best_obj)
            cand_y = torch.where(improved.view(n, *([1] * len(out_shape))), y, best_y)
            cand_t = torch.where(improved, torch.full_like(best_t, steps_run), best_t)

    obj2 = cand_obj.view(n_init, batch)
    best_k = obj2.argmin(dim=0)  # first minimum: lowest init index on ties
    ar = torch.arange(batch, device=y.device)
    y_out = cand_y.view(n_init, batch, *out_shape)[best_k, ar]
    traj_objective = traj_trajectory_y = None
    if record:
        if traj_obj:
            traj_objective = torch.stack(traj_obj).view(-1, n_init, batch)
            traj_trajectory_y = torch.stack(traj_y).view(-1, n_init, batch, *out_shape)
        else:
            traj_objective = y.new_empty((0, n_init, batch))
            traj_trajectory_y = y.new_empty((0, n_init, batch, *out_shape))
    return GBIResult(
        y=y_out.detach(),
        objective=obj2[best_k, ar].detach(),
        steps_run=steps_run,
        trajectory_objective=traj_objective,
        trajectory_y=traj_trajectory_y,
        y_final=y.view(n_init, batch, *out_shape).detach(),
        best_step=cand_t.view(n_init, batch)[best_k, ar],
        best_init=best_k,
    )


class GradientBasedInference:
    """Configured GBI engine: stores the keyword settings, runs :func:`gradient_based_inference`.

    The constructor only stores its typed keyword parameters (config round-trip, ``get_params``);
    ``engine(objective, init)`` runs GBI with them. Typical settings (``seal-method.md`` C.2):
    SPEN ``GradientBasedInference(steps=20, lr=0.01)`` from task-net probabilities; DVN
    ``steps=30`` (20 in training samplers) from :func:`init_zeros`; NCE ``steps=20, lr=0.1`` from
    ``init_uniform(3, (B, L))`` with ``multi_init=True``.
    """

    def __init__(
        self,
        *,
        space: Space = "box",
        method: Method = "adam",
        lr: float = 0.1,
        momentum: float = 0.0,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        steps: int = 20,
        tol: float | None = None,
        pick: Pick = "best",
        score_final: bool = False,
        layout: Layout = "flat",
        mirror_eps: float = 1e-6,
    ) -> None:
        self.space = space
        self.method = method
        self.lr = lr
        self.momentum = momentum
        self.betas = tuple(betas)
        self.eps = eps
        self.steps = steps
        self.tol = tol
        self.pick = pick
        self.score_final = score_final
        self.layout = layout
        self.mirror_eps = mirror_eps

    def get_params(self) -> dict:
        return {
            "space": self.space,
            "method": self.method,
            "lr": self.lr,
            "momentum": self.momentum,
            "betas": self.betas,
            "eps": self.eps,
            "steps": self.steps,
            "tol": self.tol,
            "pick": self.pick,
            "score_final": self.score_final,
            "layout": self.layout,
            "mirror_eps": self.mirror_eps,
        }

    def __call__(
        self,
        objective: Callable[[Tensor], Tensor],
        init: Tensor | Sequence[Tensor],
        *,
        multi_init: bool = False,
        record: bool = False,
    ) -> GBIResult:
        """Run GBI; see :func:`gradient_based_inference` for shapes and semantics."""
        return gradient_based_inference(
            objective, init, multi_init=multi_init, record=record, **self.get_params()
        )

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"
