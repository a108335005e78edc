"""The LightningModule for feature-based multi-label classification: cross-entropy and SEAL-dynamic.

One module with manual optimization covers every method that trains a task-net, because they differ
only in the loss-net objective and the schedule (``seal-method.md`` A.3, A.4, A.6):

* ``cross-entropy``: task-net loss = batch mean of summed BCE (no loss-net is built or trained).
* ``seal-dynamic-{nce,ranking,regression,regression-s}``: per batch, ``T x (S loss-net steps, then one
  task-net step)`` on the same batch, samples redrawn at every loss-net step.
* ``seal-dynamic-margin`` (InfNet form): per batch, ``S x (T task-net steps, then one loss-net step)``
  (``inner_mode = task_nn`` in the released configs), with the cost-augmented network trained by the
  task-net optimizer.

"Step" means one training batch, counted here (``batches_seen``), never ``trainer.global_step`` (which
counts every optimizer step under manual optimization).

Gradient isolation: loss-net steps see task-net outputs computed under ``torch.no_grad``; task-net steps
run with the loss-net's parameters temporarily set to ``requires_grad=False`` and restored afterwards
to their *original* flags, so frozen parameters stay frozen.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from contextlib import contextmanager, nullcontext

import lightning as L
import torch
from torch import nn

from seal.methods.registry import MethodSpec, get_method
from seal.task_nets.mlc import MLCTaskNet

# Largest candidate tensor (B x (K+1) x L float32, in bytes) a loss-net step may allocate.
MAX_CANDIDATE_BYTES = 2 << 30


class NonFiniteError(FloatingPointError):
    """A loss, energy or gradient became NaN/inf; the message names network, epoch and batch."""


class MultilabelModule(L.LightningModule):
    """Task-net (+ loss-net) training for feature-based multi-label classification.

    Args:
        in_features: input width ``D`` (linked from the DataModule by the CLI).
        num_labels: number of labels ``L`` (linked from the DataModule by the CLI).
        method: a registered method name (see :mod:`seal.methods.registry`).
        hidden, num_layers, dropout: task-net feature network (``seal-method.md`` B.1, G).
        score_hidden, score_num_layers, score_dropout: loss-net feature network (default: as task-net).
        global_hidden: width ``G`` of the global energy ``c2^T softplus(C1 y)``.
        lr, weight_decay: AdamW for the task-net (and the cost-augmented net).
        score_lr, score_weight_decay: AdamW for the loss-net.
        grad_clip, score_grad_clip: gradient-norm clipping per network (``None`` = off). The paper's
            SEAL configs clip the task-net at 10 and leave the loss-net unclipped.
        score_loss_weight: ``w_s`` of the task-net objective.
        ce_weight: weight of the summed-BCE anchor.
        loss_net_steps, task_net_steps: ``S`` and ``T`` per batch (A.6).
        num_samples: ``K`` samples per example for NCE/ranking/regression-s.
        sample_std: std of the Gaussian-logit perturbations (regression-s).
        inference_score_weight: ``lambda`` of the margin objective.
        margin_released_behaviour: reproduce the released margin code (double sigmoid, dropped
            cost-augmented output; ``seal-method.md`` H.2-H.3) instead of the paper's form (default).
        plateau_patience, plateau_factor: ReduceLROnPlateau on validation example-F1 (task-net).
        threshold: decision threshold for the metrics (the paper uses 0.5).
        batch_task_forward: compute the S no-grad task-net passes of one T-iteration in one call
            (same distribution as S sequential passes, since the task-net does not change in between;
            ``False`` reproduces the sequential loop, e.g. for benchmarks).
        label_names: label names, stored in checkpoints for ``seal predict``.

    Raises:
        ValueError: unknown method or an out-of-range hyper-parameter (K, S, T < 1; negative weights
            or learning rates), before any training.
    """

    def __init__(
        self,
        in_features: int = 0,
        num_labels: int = 0,
        method: str = "cross-entropy",
        hidden: int = 400,
        num_layers: int = 2,
        dropout: float | list[float] = 0.0,
        score_hidden: int | None = None,
        score_num_layers: int | None = None,
        score_dropout: float | list[float] | None = None,
        global_hidden: int = 200,
        lr: float = 1e-3,
        weight_decay: float = 1e-5,
        score_lr: float = 1e-3,
        score_weight_decay: float = 1e-5,
        grad_clip: float | None = 10.0,
        score_grad_clip: float | None = None,
        score_loss_weight: float = 0.0,
        ce_weight: float = 1.0,
        loss_net_steps: int = 1,
        task_net_steps: int = 1,
        num_samples: int = 20,
        sample_std: float = 1.0,
        inference_score_weight: float = 0.0,
        margin_released_behaviour: bool = False,
        plateau_patience: int = 5,
        plateau_factor: float = 0.5,
        threshold: float = 0.5,
        batch_task_forward: bool = True,
        label_names: list[str] | None = None,
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.automatic_optimization = False
        spec: MethodSpec = get_method(method)
        self.spec = spec
        _check_positive_int("in_features", in_features)
        _check_positive_int("num_labels", num_labels)
        _check_positive_int("loss_net_steps (S)", loss_net_steps)
        _check_positive_int("task_net_steps (T)", task_net_steps)
        _check_positive_int("num_samples (K)", num_samples)
        for name, value in (
            ("lr", lr),
            ("score_lr", score_lr),
            ("weight_decay", weight_decay),
            ("score_weight_decay", score_weight_decay),
            ("score_loss_weight", score_loss_weight),
            ("ce_weight", ce_weight),
            ("inference_score_weight", inference_score_weight),
        ):
            if not (value >= 0 and math.isfinite(value)):
                raise ValueError(f"{name} must be a finite number >= 0, got {value}")
        if spec.name != "cross-entropy" and score_loss_weight == 0 and spec.loss_net_objective != "margin":
            raise ValueError(f"method {spec.name!r} needs score_loss_weight > 0 (w_s); 0 is plain cross-entropy")
        if not 0.0 < threshold < 1.0:
            raise ValueError(f"threshold must lie in (0, 1), got {threshold}")
        if sample_std <= 0:
            raise ValueError(f"sample_std must be > 0, got {sample_std}")

        self.task_net = MLCTaskNet(in_features, num_labels, hidden, num_layers, dropout)
        self.score_net: nn.Module | None = None
        self.cost_augmented: nn.Module | None = None
        if spec.uses_score_net:
            from seal.energies.mlc import MLCScoreNet

            self.score_net = MLCScoreNet(
                in_features,
                num_labels,
                hidden=score_hidden or hidden,
                num_layers=score_num_layers or num_layers,
                dropout=dropout if score_dropout is None else score_dropout,
                global_hidden=global_hidden,
            )
        if spec.loss_net_objective == "margin":
            from seal.task_nets.cost_augmented import CostAugmentedNet

            self.cost_augmented = CostAugmentedNet(num_labels)
        self.loss_net_loss, self.task_loss = spec.build_objectives(self.hparams)

        from seal.metrics import multilabel_metrics

        self.val_metrics = multilabel_metrics(num_labels, threshold=threshold)
        self.test_metrics = multilabel_metrics(num_labels, threshold=threshold)
        self.batches_seen = 0
        self._pending_rng: torch.Tensor | None = None
        self._epoch_losses: list = [torch.zeros(()), torch.zeros(()), 0]
        self.epoch_times: list[float] = []
        self._epoch_t0 = 0.0
        self.val_history: list[dict] = []
        self.test_results: dict = {}
        self.infer_examples_per_s: float | None = None

    # ------------------------------------------------------------------ forward / inference
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Task-net logits ``(B, L)`` for features ``(B, D)``: the only network used at test time."""
        return self.task_net(x)

    @torch.no_grad()
    def predict_proba(self, x: torch.Tensor) -> torch.Tensor:
        """Label probabilities ``sigmoid(F(x))``, shape ``(B, L)``."""
        return torch.sigmoid(self.task_net(x))

    # ------------------------------------------------------------------ optimizers
    def task_parameters(self) -> list[nn.Parameter]:
        params = list(self.task_net.parameters())
        if self.cost_augmented is not None:
            params += list(self.cost_augmented.parameters())
        return params

    def configure_optimizers(self):
        hp = self.hparams
        opts = [_adamw(self.task_parameters(), hp.lr, hp.weight_decay)]
        scheds = [
            torch.optim.lr_scheduler.ReduceLROnPlateau(
                opts[0], mode="max", factor=hp.plateau_factor, patience=hp.plateau_patience
            )
        ]
        if self.score_net is not None and self.spec.trains_score_net:
            opts.append(_adamw(self.score_net.parameters(), hp.score_lr, hp.score_weight_decay))
        return opts, scheds

    # ------------------------------------------------------------------ training
    def setup(self, stage: str) -> None:
        dm = getattr(self.trainer, "datamodule", None) if self._trainer is not None else None
        bs = getattr(dm, "batch_size", None)
        if bs and self.spec.uses_samples:
            need = bs * (self.hparams.num_samples + 1) * self.hparams.num_labels * 4
            if need > MAX_CANDIDATE_BYTES:
                raise ValueError(
                    f"num_samples={self.hparams.num_samples} at batch_size={bs} with {self.hparams.num_labels} labels "
                    f"needs {need / 2**30:.1f} GiB per candidate tensor (limit {MAX_CANDIDATE_BYTES / 2**30:.0f} GiB); "
                    "lower num_samples or batch_size"
                )

    def on_train_epoch_start(self) -> None:
        if self._pending_rng is not None:
            torch.set_rng_state(self._pending_rng)
            self._pending_rng = None
        self._epoch_t0 = time.perf_counter()
        self._epoch_losses = [torch.zeros((), device=self.device), torch.zeros((), device=self.device), 0]

    def on_train_epoch_end(self) -> None:
        self.epoch_times.append(time.perf_counter() - self._epoch_t0)
        n = max(int(self._epoch_losses[2]), 1)
        self.log("train/task_loss", float(self._epoch_losses[0]) / n, prog_bar=True, sync_dist=True)
        if self.spec.trains_score_net:
            self.log("train/loss_net_loss", float(self._epoch_losses[1]) / n, sync_dist=True)
        self.log("train/epoch_s", self.epoch_times[-1])

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
        if not torch.isfinite(value).all():
            epoch = self.current_epoch if self._trainer is not None else 0
            raise NonFiniteError(
                f"non-finite {what} in the {network} at epoch {epoch}, batch {self.batches_seen} "
                f"(value {value.detach().flatten()[:4].tolist()}); the last good checkpoint is kept"
            )

    def _step(self, opt, loss: torch.Tensor, params: Sequence[nn.Parameter], clip: float | None, network: str) -> None:
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

    @torch.no_grad()
    def _task_outputs(self, x: torch.Tensor, n: int) -> torch.Tensor:
        """``n`` task-net forward passes on the same batch, in one call: logits ``(n, B, L)``.

        Dropout (train mode) draws an independent mask for every copy, so this equals ``n`` sequential
        no-grad forward passes in distribution as long as the task-net's parameters do not change in
        between -- which holds for the S loss-net steps of one T-iteration (seal-method A.6).
        """
        B = x.shape[0]
        z = self.task_net(x.repeat(n, 1) if n > 1 else x)
        return z.view(n, B, -1)

    def _loss_net_step(self, opt_s, x, y, z: torch.Tensor | None = None) -> torch.Tensor:
        hp = self.hparams
        with torch.no_grad():
            if z is None:
                z = self.task_net(x)
            extra = {}
            if self.cost_augmented is not None:
                extra["cost_augmented_probs"] = self.cost_augmented(torch.sigmoid(z), y)
        loss = self.loss_net_loss(self.score_net, x, y, z, **extra)
        self._step(opt_s, loss, list(self.score_net.parameters()), hp.score_grad_clip, "loss-net")
        return loss.detach()

    def _task_net_step(self, opt_t, x, y) -> torch.Tensor:
        hp = self.hparams
        with self._frozen(self.score_net):
            z = self.task_net(x)
            if self.cost_augmented is not None:
                y_ca = self.cost_augmented(torch.sigmoid(z), y)
                loss = self.task_loss(self.score_net, x, y, z, y_ca)
            else:
                loss = self.task_loss(self.score_net, x, y, z)
        self._step(opt_t, loss, self.task_parameters(), hp.grad_clip, "task-net")
        return loss.detach()

    def training_step(self, batch, batch_idx: int):
        x, y = batch
        opts = self.optimizers()
        opts = opts if isinstance(opts, list) else [opts]
        opt_t = opts[0]
        opt_s = opts[1] if len(opts) > 1 else None
        hp = self.hparams
        S, T = hp.loss_net_steps, hp.task_net_steps
        loss_s = None
        if opt_s is None:  # cross-entropy or SEAL-static: task-net steps only
            for _ in range(T if self.score_net is not None else 1):
                loss_t = self._task_net_step(opt_t, x, y)
        elif self.spec.inner_mode == "score_nn":
            for _ in range(T):
                # the task-net is fixed during the S loss-net steps: its S noisy forward passes
                # (fresh dropout masks each) are computed in one larger, more efficient call
                z_all = self._task_outputs(x, S) if hp.batch_task_forward else None
                for s in range(S):
                    loss_s = self._loss_net_step(opt_s, x, y, None if z_all is None else z_all[s])
                loss_t = self._task_net_step(opt_t, x, y)
        else:  # inner task-net loop (margin / InfNet)
            for _ in range(S):
                for _ in range(T):
                    loss_t = self._task_net_step(opt_t, x, y)
                loss_s = self._loss_net_step(opt_s, x, y)
        self.batches_seen += 1
        # accumulate on-device; logged once per epoch (per-step self.log costs ~1.7 ms, 17% of a CE epoch)
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

    # ------------------------------------------------------------------ evaluation
    def validation_step(self, batch, batch_idx: int) -> None:
        x, y = batch
        self.val_metrics.update(torch.sigmoid(self.task_net(x)), y.int())

    def on_validation_epoch_end(self) -> None:
        values = self.val_metrics.compute()
        self.val_metrics.reset()
        for k, v in values.items():
            # already synchronised by the metric; sync_dist=True only averages identical values
            self.log(f"val/{k}", float(v), prog_bar=(k == "example_f1"), sync_dist=True)
        if self.trainer.sanity_checking:
            return
        f1 = float(values["example_f1"])
        self.val_history.append({"epoch": int(self.current_epoch), "example_f1": f1, "batches_seen": self.batches_seen})
        for sched in _as_list(self.lr_schedulers()):
            sched.step(f1)

    def on_test_epoch_start(self) -> None:
        self._test_t0 = time.perf_counter()
        self._test_n = 0

    def test_step(self, batch, batch_idx: int) -> None:
        x, y = batch
        self.test_metrics.update(torch.sigmoid(self.task_net(x)), y.int())
        self._test_n += len(y)

    def on_test_epoch_end(self) -> None:
        elapsed = time.perf_counter() - self._test_t0
        values = self.test_metrics.compute()
        self.test_metrics.reset()
        self.test_results = {k: float(v) for k, v in values.items()}
        self.infer_examples_per_s = self._test_n / elapsed if elapsed > 0 else None
        for k, v in values.items():
            self.log(f"test/{k}", float(v), sync_dist=True)

    def predict_step(self, batch, batch_idx: int, dataloader_idx: int = 0):
        x = batch[0] if isinstance(batch, (tuple, list)) else batch
        return torch.sigmoid(self.task_net(x))

    # ------------------------------------------------------------------ checkpoints
    def on_save_checkpoint(self, checkpoint: dict) -> None:
        checkpoint["seal"] = {
            "batches_seen": int(self.batches_seen),
            "torch_rng_state": torch.get_rng_state(),
            "val_history": [dict(h) for h in self.val_history],
            "epoch_times": [float(t) for t in self.epoch_times],
        }

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        state = checkpoint.get("seal", {})
        self.batches_seen = int(state.get("batches_seen", 0))
        self.val_history = list(state.get("val_history", []))
        self.epoch_times = list(state.get("epoch_times", []))
        rng = state.get("torch_rng_state")
        if rng is not None:
            self._pending_rng = rng


def _check_positive_int(name: str, value: int) -> None:
    if not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {value!r}")


def _adamw(params, lr: float, weight_decay: float) -> torch.optim.Optimizer:
    params = [p for p in params if p.requires_grad]
    fused = all(p.dtype.is_floating_point for p in params)
    try:
        return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay, fused=fused)
    except (RuntimeError, TypeError):  # device without a fused kernel
        return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)


def _as_list(x):
    if x is None:
        return []
    return x if isinstance(x, list) else [x]


def _all_reduce_grads(params: Sequence[nn.Parameter], world_size: int) -> None:
    """Average gradients across processes (used instead of DDP's reducer, which expects one backward
    per forward, while SEAL alternates several backward passes per batch)."""
    import torch.distributed as dist

    for p in params:
        if p.grad is not None:
            dist.all_reduce(p.grad, op=dist.ReduceOp.SUM)
            p.grad.div_(world_size)
