"""Optimizer steps shared by the LightningModules that alternate loss-net and task-net updates.

Every SEAL-style module (multi-label :class:`~seal.training.module.MultilabelModule`, segmentation
:class:`~seal.training.segmentation.SegmentationModule`) runs several backward passes per batch, one per
network update (``seal-method.md`` A.6). This mixin holds the pieces they share: freezing a network
during the other's step, the non-finite check naming network/epoch/batch, and one optimizer step with
clipping and explicit DDP gradient averaging (DDP's reducer expects one backward per forward).
The host class must provide ``batches_seen``.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import contextmanager, nullcontext

import torch
from torch import nn


class NonFiniteError(FloatingPointError):
    """A loss, energy or gradient became NaN/inf; the message names network, epoch and batch."""


class AlternatingUpdates:
    """Mixin for ``LightningModule`` subclasses with manual, alternating optimizer steps."""

    @contextmanager
    def _frozen(self, module: nn.Module | None):
        """Temporarily stop gradients into ``module``; restores each parameter's original flag."""
        if module is None:
            yield
            return
        flags = [(p, p.requires_grad) for p in module.parameters()]
        for p, _ in flags:
            p.requires_grad_(False)
        try:
            yield
        finally:
            for p, flag in flags:
                p.requires_grad_(flag)

    def _check(self, value: torch.Tensor, network: str, what: str) -> None:
        """Raise :class:`NonFiniteError` if ``value`` holds NaN/inf."""
        if not torch.isfinite(value).all():
            epoch = self.current_epoch if self._trainer is not None else 0
            raise NonFiniteError(
                f"non-finite {what} in the {network} at epoch {epoch}, batch {self.batches_seen} "
                f"(value {value.detach().flatten()[:4].tolist()}); the last good checkpoint is kept"
            )

    def _step(self, opt, loss: torch.Tensor, params: Sequence[nn.Parameter], clip: float | None, network: str) -> None:
        """zero_grad, backward, (DDP gradient averaging), clipping, optimizer step for one network."""
        self._check(loss, network, "loss")
        opt.zero_grad(set_to_none=True)
        if self._trainer is None:  # used outside a Trainer (unit tests, the estimator's helpers)
            loss.backward()
            ddp = False
        else:
            ddp = self.trainer.world_size > 1
            ctx = self.trainer.model.no_sync() if ddp and hasattr(self.trainer.model, "no_sync") else nullcontext()
            with ctx:
                self.manual_backward(loss)
        if ddp:
            _all_reduce_grads(params, self.trainer.world_size)
        if clip is not None:
            norm = torch.nn.utils.clip_grad_norm_(params, clip)
            self._check(norm, network, "gradient norm")
        opt.step()


def _all_reduce_grads(params: Sequence[nn.Parameter], world_size: int) -> None:
    """Average gradients across processes (used instead of DDP's reducer, which expects one backward
    per forward, while SEAL alternates several backward passes per batch)."""
    import torch.distributed as dist

    for p in params:
        if p.grad is not None:
            dist.all_reduce(p.grad, op=dist.ReduceOp.SUM)
            p.grad.div_(world_size)
