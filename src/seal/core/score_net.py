"""The score-net protocol: encode the input once per step, then score any number of candidates.

Every loss-net (score network, structured energy network) used by the SEAL objectives implements::

    ctx = score_net.encode(x)          # everything that depends on x only, computed once per step
    s = score_net.score(ctx, y)        # y: (B, K, *out) candidates -> (B, K) scores; (B, *out) -> (B,)

Scores are ``S(x, y) = −E(x, y)``: **higher is better** (``seal-method.md`` A.1). Tagging candidates are zero at
padded positions (every output space zeroes them), so a score network sees padding as all-zero rows of ``y``; one
that needs the mask itself takes it from ``x``. ``x`` is whatever the task's
batch holds as input (a feature tensor, token ids with an attention mask in a mapping, images); ``ctx`` is
opaque to the objectives. Splitting the two is what lets GBI and the K candidates of NCE share one encoder
pass (the MLC local logits ``h(x)Uᵀ``, the segmentation CNN's image half of the first convolution, a text
encoder's token states).

:func:`check_score_net` is run when training is set up, before any step: a network that lacks the methods or
returns the wrong shape is rejected with the expected and actual shapes.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import torch
from torch import Tensor

__all__ = ["ScoreNet", "check_score_net", "check_task_net"]


@runtime_checkable
class ScoreNet(Protocol):
    """Structural type of a score network (see the module docstring)."""

    def encode(self, x: Any) -> Any:  # pragma: no cover - protocol
        ...

    def score(self, ctx: Any, y: Tensor) -> Tensor:  # pragma: no cover - protocol
        ...


def check_score_net(score_net: Any, x: Any, candidates: Tensor, *, name: str = "loss-net") -> None:
    """Check that ``score_net`` implements the protocol: it scores ``candidates`` ``(B, K, *out)`` as ``(B, K)``
    and one candidate per example ``(B, *out)`` (the task-net objective's relaxed output) as ``(B,)``.

    Runs one forward pass without gradients (in the network's current mode).

    Raises:
        TypeError: ``encode`` or ``score`` is missing.
        ValueError: the scores' shape is not ``(B, K)`` or they are not floating point; the message gives
            the expected and the actual shapes.
    """
    missing = [m for m in ("encode", "score") if not callable(getattr(score_net, m, None))]
    if missing:
        raise TypeError(
            f"{name} {type(score_net).__name__} does not implement the score-net protocol: missing "
            f"{', '.join(missing)} (encode(x) -> ctx, score(ctx, y (B, K, *out)) -> (B, K); see seal.core.score_net)"
        )
    B, K = candidates.shape[:2]
    with torch.no_grad():
        ctx = score_net.encode(x)
        for y, expected in ((candidates, (B, K)), (candidates[:, 0], (B,))):
            s = score_net.score(ctx, y)
            if not isinstance(s, Tensor) or tuple(s.shape) != expected or not s.is_floating_point():
                got = tuple(s.shape) if isinstance(s, Tensor) else type(s).__name__
                raise ValueError(
                    f"{name} {type(score_net).__name__}.score returned {got} for candidates of shape "
                    f"{tuple(y.shape)}; expected floating-point scores of shape {expected}"
                )


def check_task_net(task_net: Any, x: Any, space: Any, *, name: str = "task-net") -> Tensor:
    """Run ``task_net(x)`` once without gradients and check its logits fit ``space``; returns the logits.

    Raises:
        ValueError: logits of the wrong shape for the output space (expected and actual shapes named).
    """
    with torch.no_grad():
        z = task_net(x)
    if not isinstance(z, Tensor):
        raise ValueError(f"{name} {type(task_net).__name__} returned {type(z).__name__}, expected a logits tensor")
    try:
        space.check_logits(z)
    except ValueError as exc:
        raise ValueError(f"{name} {type(task_net).__name__}: {exc}") from None
    return z
