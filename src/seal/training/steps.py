"""Optimizer steps shared by the LightningModules that alternate loss-net and task-net updates.

Every SEAL-style module (multi-label :class:`~seal.training.module.MultilabelModule`, segmentation
:class:`~seal.training.segmentation.SegmentationModule`) runs several backward passes per batch, one per
network update (``seal-method.md`` A.6). This mixin holds the pieces they share: freezing a network
during the other's step, the non-finite check naming network/epoch/batch, and one optimizer step with
clipping and explicit DDP gradient averaging (DDP's reducer expects one backward per forward), and the
per-epoch bookkeeping both modules do the same way (RNG restore on resume, epoch clock, loss sums, batch
transfer). The host class must provide ``batches_seen`` and ``_pending_rng``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from contextlib import contextmanager, nullcontext

import torch
from torch import nn


class NonFiniteError(FloatingPointError):
    """A loss, energy or gradient became NaN/inf; the message names network, epoch and batch."""


class AlternatingUpdates:
    """Mixin for ``LightningModule`` subclasses with manual, alternating optimizer steps."""

    def on_train_epoch_start(self) -> None:
        """Restore the RNG state saved in a resumed checkpoint, start the epoch clock, zero the loss sums."""
        if self._pending_rng is not None:
            torch.set_rng_state(self._pending_rng)
            self._pending_rng = None
        self._epoch_t0 = time.perf_counter()
        self._epoch_losses = [torch.zeros((), device=self.device), torch.zeros((), device=self.device), 0]

    def _add_epoch_losses(self, loss_t: torch.Tensor | None, loss_s: torch.Tensor | None) -> None:
        """Accumulate one batch's (detached) task-net and loss-net losses on-device; logged once per epoch
        (a per-step ``self.log`` costs ~1.7 ms, 17% of a cross-entropy epoch)."""
        if loss_t is not None:
            self._epoch_losses[0] += loss_t
        if loss_s is not None:
            self._epoch_losses[1] += loss_s
        self._epoch_losses[2] += 1

    def transfer_batch_to_device(self, batch, device, dataloader_idx: int):
        """Move ``(x, y)`` to ``device``; a no-op (without Lightning's generic tree walk) when already there."""
        x, y = batch
        if x.device == device and y.device == device:
            return batch
        return x.to(device, non_blocking=True), y.to(device, non_blocking=True)

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
