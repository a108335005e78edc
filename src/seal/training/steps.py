"""Optimizer steps shared by the LightningModules that alternate loss-net and task-net updates.

Every SEAL-style module (multi-label :class:`~seal.tasks.mlc_features.module.MultilabelModule`, segmentation
:class:`~seal.tasks.segmentation.module.SegmentationModule`) runs several backward passes per batch, one per
network update (``seal-method.md`` A.6). This mixin holds the pieces they share: freezing a network
during the other's step, the non-finite check naming network/epoch/batch, and one optimizer step with
clipping and explicit DDP gradient averaging (DDP's reducer expects one backward per forward), and the
per-epoch bookkeeping both modules do the same way (RNG restore on resume, epoch clock, loss sums, batch
transfer), the validation / test / prediction loop (metrics, validation history, plateau schedulers,
test throughput) and the module's own checkpoint state. The host class calls :meth:`_init_bookkeeping`
in its ``__init__`` and provides ``val_metrics`` / ``test_metrics`` (metric collections), the class
attribute ``selection_metric`` (the validation key that drives the LR schedulers, e.g. ``"example_f1"``)
and :meth:`eval_probs`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from contextlib import contextmanager, nullcontext

import torch
from torch import nn


def _xym(batch):
    """``(x, y, mask)`` of a batch given as a pair or as a mapping with keys ``x``, ``y`` and optionally ``mask``."""
    if isinstance(batch, Mapping):
        return batch["x"], batch["y"], batch.get("mask")
    x, y = batch
    return x, y, None


class NonFiniteError(FloatingPointError):
    """A loss, energy or gradient became NaN/inf; the message names network, epoch and batch."""


class AlternatingUpdates:
    """Mixin for ``LightningModule`` subclasses with manual, alternating optimizer steps."""

    def _init_bookkeeping(self) -> None:
        """Create the per-run state this mixin keeps (call once from the host's ``__init__``)."""
        self.batches_seen = 0
        self._pending_rng: torch.Tensor | None = None
        self._epoch_losses: list = [torch.zeros(()), torch.zeros(()), 0]
        self.epoch_times: list[float] = []
        self._epoch_t0 = 0.0
        # training seconds of the attempts before this one (from a resumed checkpoint; None: a checkpoint written
        # before they were kept) and the start of this attempt's fit
        self._train_s_before: float | None = 0.0
        self._fit_t0: float | None = None
        self.val_history: list[dict] = []
        self.test_results: dict = {}
        self.infer_examples_per_s: float | None = None

    def on_fit_start(self) -> None:
        """Start this attempt's training clock (:meth:`train_seconds`)."""
        self._fit_t0 = time.perf_counter()

    def train_seconds(self) -> float | None:
        """Seconds of ``fit`` over the whole run: this attempt's so far plus those of the attempts it resumed
        (kept in the checkpoint up to its save; work redone after a resume is counted once). ``None`` when the
        run was resumed from a checkpoint written before these seconds were kept (before 2026-12-08)."""
        if self._train_s_before is None:
            return None
        now = 0.0 if self._fit_t0 is None else time.perf_counter() - self._fit_t0
        return self._train_s_before + now

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
        """Move a batch to ``device``: ``(x, y)`` tensors directly (a no-op, without Lightning's generic tree walk,
        when already there); any other batch (a mapping, nested inputs) through Lightning's tree walk."""
        if isinstance(batch, (tuple, list)) and len(batch) == 2 and all(isinstance(t, torch.Tensor) for t in batch):
            x, y = batch
            if x.device == device and y.device == device:
                return batch
            return x.to(device, non_blocking=True), y.to(device, non_blocking=True)
        return super().transfer_batch_to_device(batch, device, dataloader_idx)

    # ------------------------------------------------------------------ evaluation
    selection_metric: str = ""

    def eval_probs(self, x: torch.Tensor, batch_idx: int, stage: str) -> torch.Tensor:
        """Predicted probabilities for a batch in ``stage`` ("validation", "test", "prediction")."""
        raise NotImplementedError

    def _update_metrics(self, metrics, batch, batch_idx: int, stage: str) -> int:
        """Evaluate one batch into ``metrics``; a batch with a ``mask`` (tagging) passes it to :meth:`eval_probs`
        and to ``metrics.update(probs, y, mask)``. Returns the batch size."""
        x, y, mask = _xym(batch)
        if mask is None:
            metrics.update(self.eval_probs(x, batch_idx, stage), y.int())
        else:
            metrics.update(self.eval_probs(x, batch_idx, stage, mask=mask), y, mask)
        return len(y)

    def validation_step(self, batch, batch_idx: int) -> None:
        self._update_metrics(self.val_metrics, batch, batch_idx, "validation")

    def on_validation_epoch_end(self) -> None:
        """Log ``val/<metric>``, record the validation history and step plateau schedulers on
        ``selection_metric`` (not during the sanity check)."""
        values = self.val_metrics.compute()
        self.val_metrics.reset()
        key = self.selection_metric
        for k, v in values.items():
            # already synchronised by the metric; sync_dist=True only averages identical values
            self.log(f"val/{k}", float(v), prog_bar=(k == key), sync_dist=True)
        if key not in values:
            raise ValueError(
                f"selection_metric {key!r} is not among the validation metrics {sorted(values)}; "
                "set selection_metric to one of them"
            )
        if self.trainer.sanity_checking:
            return
        value = float(values[key])
        self.val_history.append({"epoch": int(self.current_epoch), key: value, "batches_seen": self.batches_seen})
        scheds = self.lr_schedulers()
        for sched in scheds if isinstance(scheds, list) else ([] if scheds is None else [scheds]):
            sched.step(value)

    def on_test_epoch_start(self) -> None:
        self._test_t0 = time.perf_counter()
        self._test_n = 0

    def test_step(self, batch, batch_idx: int) -> None:
        self._test_n += self._update_metrics(self.test_metrics, batch, batch_idx, "test")

    def on_test_epoch_end(self) -> None:
        """Store ``test_results`` (metric -> float) and ``infer_examples_per_s`` (test examples per second)."""
        elapsed = time.perf_counter() - self._test_t0
        values = self.test_metrics.compute()
        self.test_metrics.reset()
        self.test_results = {k: float(v) for k, v in values.items()}
        self.infer_examples_per_s = self._test_n / elapsed if elapsed > 0 else None
        for k, v in values.items():
            self.log(f"test/{k}", float(v), sync_dist=True)

    def predict_step(self, batch, batch_idx: int, dataloader_idx: int = 0):
        if isinstance(batch, Mapping):
            x = batch["x"]
        else:
            x = batch[0] if isinstance(batch, (tuple, list)) else batch
        return self.eval_probs(x, batch_idx, "prediction")

    # ------------------------------------------------------------------ checkpoints
    def checkpoint_extra(self) -> dict:
        """Host-specific entries added to ``checkpoint["seal"]``."""
        return {}

    def load_checkpoint_extra(self, state: dict) -> None:
        """Read back what :meth:`checkpoint_extra` wrote."""

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        checkpoint["seal"] = {
            "batches_seen": int(self.batches_seen),
            "torch_rng_state": torch.get_rng_state(),
            "val_history": [dict(h) for h in self.val_history],
            "epoch_times": [float(t) for t in self.epoch_times],
            "train_seconds": self.train_seconds(),
            **self.checkpoint_extra(),
        }
        from seal.training.checkpoint import add_checksum  # checkpoint["seal"]["state_sha256"], verified on load

        add_checksum(checkpoint)

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        state = checkpoint.get("seal", {})
        self.batches_seen = int(state.get("batches_seen", 0))
        self.val_history = list(state.get("val_history", []))
        self.epoch_times = list(state.get("epoch_times", []))
        if self._fit_t0 is None:  # restoring for fit (a resume); the test's restore of best.ckpt keeps the clock
            seconds = state.get("train_seconds")
            self._train_s_before = float(seconds) if isinstance(seconds, (int, float)) else None
        self.load_checkpoint_extra(state)
        rng = state.get("torch_rng_state")
        if rng is not None:
            self._pending_rng = rng

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
