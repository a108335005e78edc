"""The one SEAL LightningModule: a task-net and a loss-net over an output space, trained by a registered method.

Every application trains the same way (``seal-method.md`` A.2-A.7, C.1, C.2); only the networks, the output space
and the evaluation differ. :class:`SEALModule` holds everything that is shared:

* the **method** (one registry, :mod:`seal.methods.registry`): which network is trained, the loss-net objective,
  the schedule and how predictions are made;
* the **schedule** (manual optimization, A.6), per training batch:

  - cross-entropy and SEAL-static: ``T`` task-net steps;
  - SEAL-dynamic (``inner_mode="score_nn"``): ``T x (S loss-net steps, then one task-net step)`` on the same
    batch, samples redrawn at every loss-net step; the ``S`` no-grad task-net passes of one T-iteration are
    computed in one call (``batch_task_forward``); with ``S = 1``, ``share_task_forward`` runs one task-net
    forward per T-iteration for both steps;
  - the margin / InfNet form (``inner_mode="task_nn"``): ``S x (T task-net steps, then one loss-net step)``;
  - the energy-network baselines: ``S`` loss-net steps (the task-net, if any, is fixed);

* the **steps**: :meth:`loss_net_step` (task-net outputs computed without gradients, candidates from the output
  space or the DVN GBI sampler, then the loss-net objective) and :meth:`task_net_step` (the loss-net's parameters
  frozen for the step, then the task-net objective); one optimizer step each with clipping, the non-finite check
  and DDP gradient averaging (:class:`~seal.training.steps.AlternatingUpdates`);
* the **optimizers**: AdamW (fused where available) or Adam per trained network, ReduceLROnPlateau on the
  validation ``selection_metric`` for the first optimizer or for every optimizer;
* **batches**: a tuple ``(x, y)`` or a mapping ``{"x": ..., "y": ..., "mask": ...}`` (``x`` may itself be a
  mapping, e.g. token ids and an attention mask; ``mask`` marks real positions of tagging outputs).

A task either subclasses it to build its default networks from flat hyper-parameters (feature MLC:
:class:`seal.tasks.mlc_features.module.MultilabelModule`; segmentation: :class:`seal.tasks.segmentation.module.SegmentationModule`)
or passes networks directly (:class:`InjectedSEALModule`, for ``class_path`` / ``init_args`` configs). Networks are
checked against the score-net protocol and the output space before the first step (:meth:`check_networks`).

"Step" means one training batch, counted here (``batches_seen``), never ``trainer.global_step``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import lightning as L
import torch
from torch import nn

from seal.core.spaces import OutputSpace, get_space
from seal.methods.registry import MethodSpec, get_method
from seal.training.hparams import ObjectiveSettings, PlateauSettings, SamplerSettings
from seal.training.steps import AlternatingUpdates

__all__ = ["InjectedSEALModule", "OptimizerSettings", "SEALModule", "Schedule", "repeat_input", "unpack_batch"]

OPTIMIZERS = ("adamw", "adam")


@dataclass(frozen=True)
class Schedule:
    """The alternation of updates per batch (``seal-method.md`` A.6).

    Attributes:
        loss_net_steps: ``S >= 1``.
        task_net_steps: ``T >= 1``.
        batch_task_forward: compute the ``S`` no-grad task-net passes of one T-iteration in one call (same
            distribution as ``S`` sequential passes, since the task-net does not change in between).
        share_task_forward: SEAL-dynamic with ``S = 1`` only: run the task-net forward once per T-iteration, with
            gradients, and use it twice: detached, as the loss-net step's noise distribution (NCE / ranking
            samples, or the relaxed output the regression loss-net scores), then, after the loss-net update, in the
            task-net loss. Same parameters and the same forward as the default, one forward fewer per T-iteration;
            what changes is that in train mode the two uses share one dropout mask, where the default draws two
            independent ones (so the random stream, and with it every value, differs from the default's). Off by
            default (the paper's schedule, A.6).
    """

    loss_net_steps: int = 1
    task_net_steps: int = 1
    batch_task_forward: bool = True
    share_task_forward: bool = False

    def __post_init__(self) -> None:
        for name in ("loss_net_steps", "task_net_steps"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                label = {"loss_net_steps": "loss_net_steps (S)", "task_net_steps": "task_net_steps (T)"}[name]
                raise ValueError(f"{label} must be an integer >= 1, got {value!r}")
        if not isinstance(self.share_task_forward, bool):
            raise ValueError(f"schedule.share_task_forward must be true or false, got {self.share_task_forward!r}")
        if self.share_task_forward and self.loss_net_steps != 1:
            raise ValueError(
                "schedule.share_task_forward needs loss_net_steps (S) = 1: with S > 1 the loss-net steps of one "
                f"T-iteration draw from S task-net passes, got loss_net_steps={self.loss_net_steps}"
            )


@dataclass(frozen=True)
class OptimizerSettings:
    """One network's optimizer: ``kind`` (``"adamw"``, fused where possible, or ``"adam"`` with L2 weight decay),
    learning rate, weight decay and gradient-norm clipping (``None`` = off)."""

    kind: str = "adamw"
    lr: float = 1e-3
    weight_decay: float = 1e-5
    grad_clip: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {self.kind!r}")
        for name in ("lr", "weight_decay"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not (value >= 0 and math.isfinite(value)):
                raise ValueError(f"optimizer {name} must be a finite number >= 0, got {value!r}")
        g = self.grad_clip
        if g is not None and (isinstance(g, bool) or not isinstance(g, (int, float)) or not (g > 0 and math.isfinite(g))):
            raise ValueError(f"optimizer grad_clip must be a finite number > 0 or null (off), got {g!r}")

    def build(self, params) -> torch.optim.Optimizer:
        params = [p for p in params if p.requires_grad]
        if self.kind == "adam":
            return torch.optim.Adam(params, lr=self.lr, weight_decay=self.weight_decay)
        fused = all(p.dtype.is_floating_point for p in params)
        try:
            opt = torch.optim.AdamW(params, lr=self.lr, weight_decay=self.weight_decay, fused=fused)
        except (RuntimeError, TypeError):  # device without a fused kernel
            opt = torch.optim.AdamW(params, lr=self.lr, weight_decay=self.weight_decay)
        opt.register_load_state_dict_post_hook(_match_state_layout)
        return opt


def _match_state_layout(optimizer: torch.optim.Optimizer) -> None:
    """Give loaded optimizer state the memory layout of its parameter (the fused AdamW kernel assumes one layout;
    the loss-net's ``global_linear.weight`` is a transposed view, a checkpoint may hold contiguous moments)."""
    for group in optimizer.param_groups:
        for p in group["params"]:
            for key, value in optimizer.state.get(p, {}).items():
                if isinstance(value, torch.Tensor) and value.shape == p.shape and value.stride() != p.stride():
                    optimizer.state[p][key] = torch.empty_like(p, dtype=value.dtype).copy_(value)


def unpack_batch(batch: Any) -> tuple[Any, torch.Tensor, torch.Tensor | None]:
    """``(x, y, mask)`` of a batch given as ``(x, y)`` or as a mapping with keys ``x``, ``y`` and optionally ``mask``.

    Raises:
        ValueError: a mapping without ``x`` or ``y``, or a sequence that is not a pair.
    """
    if isinstance(batch, Mapping):
        missing = [k for k in ("x", "y") if k not in batch]
        if missing:
            raise ValueError(f"a batch mapping needs the keys 'x' and 'y' (missing {missing}); got keys {sorted(batch)}")
        return batch["x"], batch["y"], batch.get("mask")
    if isinstance(batch, (tuple, list)) and len(batch) == 2:
        return batch[0], batch[1], None
    raise ValueError(f"a batch must be (x, y) or a mapping with 'x' and 'y', got {type(batch).__name__}")


def repeat_input(x: Any, n: int) -> Any:
    """``x`` stacked ``n`` times along the batch dimension (tensors, or mappings / tuples of tensors)."""
    if n == 1:
        return x
    if isinstance(x, torch.Tensor):
        if x.layout != torch.strided:  # sparse CSR / COO feature rows stay sparse
            from seal.nn import repeat_rows

            return repeat_rows(x, n)
        return x.repeat(n, *([1] * (x.dim() - 1)))
    if isinstance(x, Mapping):
        return {k: repeat_input(v, n) for k, v in x.items()}
    if isinstance(x, (tuple, list)):
        return type(x)(repeat_input(v, n) for v in x)
    raise TypeError(f"cannot repeat a batch input of type {type(x).__name__}")


def _batch_size(x: Any) -> int:
    if isinstance(x, torch.Tensor):
        return x.shape[0]
    if isinstance(x, Mapping):
        return _batch_size(next(iter(x.values())))
    if isinstance(x, (tuple, list)):
        return _batch_size(x[0])
    raise TypeError(f"cannot find the batch size of a batch input of type {type(x).__name__}")


class SEALModule(AlternatingUpdates, L.LightningModule):
    """Shared training logic of every SEAL task (see the module docstring).

    A subclass calls ``super().__init__()``, :meth:`save_grouped_hparams` (its typed hyper-parameter groups,
    :mod:`seal.training.hparams`) or ``self.save_hyperparameters()``, builds its networks and then
    :meth:`setup_seal`. Subclasses may override :meth:`eval_probs` (e.g. the 36-crop average or GBI prediction),
    :meth:`loss_net_step` / :meth:`task_net_step` for objectives that need extra networks (the margin form's
    cost-augmented net, the SPEN baseline's cost-augmented GBI) and :meth:`task_parameters`.
    """

    selection_metric = "example_f1"
    #: the task whose flat (pre-grouping) ``model:`` keys :func:`seal.training.hparams.nest_flat` maps for this module
    hparams_task: str = ""

    # ------------------------------------------------------------------ typed hyper-parameter groups
    def save_grouped_hparams(self, top: Mapping[str, Any], groups: Mapping[str, Any]) -> dict[str, Any]:
        """Build each group (its dataclass, or a mapping of some fields over this class's signature default,
        :func:`seal.training.hparams.coerce`), save the hyper-parameters with the groups as plain dictionaries (what
        ``weights_only`` checkpoint loading reads back) and return the typed groups.

        Raises:
            ValueError: an unknown key in a group, or a value its dataclass refuses.
        """
        from seal.training.hparams import coerce, group_dict

        defaults = self._group_defaults()
        typed = {name: coerce(type(defaults[name]), value, defaults[name], name=name) for name, value in groups.items()}
        self.save_hyperparameters({**top, **{name: group_dict(g) for name, g in typed.items()}})
        return typed

    @classmethod
    def _group_defaults(cls) -> dict[str, Any]:
        """This class's default group values: its constructor's defaults (a subclass's signature gives its own)."""
        import inspect
        from dataclasses import is_dataclass

        sig = inspect.signature(cls.__init__)
        return {name: p.default for name, p in sig.parameters.items() if is_dataclass(p.default)}

    @property
    def flat_hparams(self) -> dict[str, Any]:
        """The hyper-parameters under their flat (pre-grouping) names (``hidden``, ``score_lr``, ``num_samples``,
        ...): what the method registry's objective builders and the checkpoint comparisons read
        (:func:`seal.training.hparams.flatten`)."""
        from seal.training.hparams import flatten

        return flatten(dict(self.hparams), self.hparams_task)

    @classmethod
    def from_hparams(cls, hparams: Mapping[str, Any], **overrides: Any):
        """The module built from a checkpoint's (or a config's) hyper-parameters, grouped or flat (written before the
        grouping: mapped by :func:`seal.training.hparams.nest_flat`), with ``overrides`` (grouped or flat names, e.g.
        ``num_samples=5``) replacing single fields. Keys this class does not take are refused, except
        ``_instantiator``, which LightningCLI adds to the checkpoints it writes.

        Raises:
            ValueError: an unknown key (named), or a value the module refuses.
        """
        import inspect

        from seal.training.hparams import merge_nested, nest_flat

        # LightningCLI's own bookkeeping in checkpoints it wrote (the class that instantiated the module), not a
        # hyper-parameter
        hparams = {k: v for k, v in dict(hparams).items() if k != "_instantiator"}
        nested = merge_nested(nest_flat(hparams, cls.hparams_task), nest_flat(overrides, cls.hparams_task))
        accepted = set(inspect.signature(cls.__init__).parameters) - {"self"}
        unknown = sorted(set(nested) - accepted)
        if unknown:
            raise ValueError(f"{cls.__name__}: unknown hyper-parameter(s) {unknown}")
        return cls(**nested)

    @classmethod
    def load_from_checkpoint(  # type: ignore[override]
        cls, checkpoint_path, map_location: Any = "cpu", hparams_file: Any = None, strict: bool | None = None,
        weights_only: bool | None = None, **overrides: Any,
    ):
        """Lightning's ``Module.load_from_checkpoint`` for seal checkpoints: the module rebuilt by
        :meth:`from_hparams` from the checkpoint's hyper-parameters (grouped, or flat from before the grouping),
        then its weights (strict by default) and seal's state (:meth:`on_load_checkpoint`).

        Lightning's own loader passes the saved hyper-parameters to ``__init__`` and silently drops the keys the
        signature does not take, which for a flat (pre-grouping) checkpoint were most of them (the trainable encoder
        layers, the threshold, ...); here they are mapped, and a key this class does not know is an error. The file
        is read with :func:`seal.training.checkpoint.load_checkpoint` (``weights_only`` unpickling and the checksum
        check, always: ``weights_only=False`` is refused).

        Args:
            checkpoint_path: the ``.ckpt`` file.
            map_location: as :func:`torch.load` (default ``"cpu"``).
            strict: weights must match the rebuilt module exactly (default ``True``).
            overrides: hyper-parameters replacing the checkpoint's (grouped or flat names).

        Raises:
            ValueError: ``hparams_file`` or ``weights_only=False`` given; an unknown hyper-parameter.
            FileNotFoundError, seal.training.checkpoint.CheckpointError, UnsafeCheckpointError: as
                :func:`~seal.training.checkpoint.load_checkpoint`.
            RuntimeError: the weights do not fit the hyper-parameters (with ``strict``).
        """
        from seal.training.checkpoint import load_checkpoint

        if hparams_file is not None:
            raise ValueError(f"{cls.__name__}.load_from_checkpoint: hparams_file is not supported; pass overrides")
        if weights_only is False:
            raise ValueError(f"{cls.__name__}.load_from_checkpoint: seal checkpoints load with weights_only=True only")
        ckpt = load_checkpoint(checkpoint_path, map_location)
        module = cls.from_hparams(ckpt.get("hyper_parameters") or {}, **overrides)
        module.load_state_dict(ckpt["state_dict"], strict=True if strict is None else bool(strict))
        module.on_load_checkpoint(ckpt)
        return module

    # ------------------------------------------------------------------ assembly
    def setup_seal(
        self,
        *,
        spec: MethodSpec,
        space: OutputSpace,
        task_net: nn.Module | None,
        score_net: nn.Module | None,
        loss_net_loss: nn.Module | None,
        task_loss: nn.Module | None,
        schedule: Schedule,
        task_optimizer: OptimizerSettings,
        score_optimizer: OptimizerSettings,
        plateau_patience: int,
        plateau_factor: float,
        plateau_on_all: bool = False,
        dvn_sampler: Any = None,
    ) -> None:
        """Install the networks, objectives and settings (call once, from the subclass's ``__init__``).

        The task-net of a method that does not train it and the loss-net of SEAL-static get ``requires_grad=False``
        (they are fixed; dropout still follows the module's mode).
        """
        self.automatic_optimization = False  # alternating updates: several backward passes per batch
        self.spec = spec
        self.space = space
        self.task_net = task_net
        self.score_net = score_net
        self.loss_net_loss = loss_net_loss
        self.task_loss = task_loss
        self.schedule = schedule
        self.task_optimizer = task_optimizer
        self.score_optimizer = score_optimizer
        self.plateau = (int(plateau_patience), float(plateau_factor), bool(plateau_on_all))
        self.dvn_sampler = dvn_sampler
        if schedule.share_task_forward and not (
            spec.trains_task_net and spec.loss_net_objective is not None and not spec.frozen_score_net
            and spec.inner_mode == "score_nn" and dvn_sampler is None
        ):
            raise ValueError(
                f"schedule.share_task_forward applies to SEAL-dynamic methods whose loss-net samples from the "
                f"task-net (loss-net steps first, then the task-net step); method {spec.name!r} has no such step"
            )
        if task_net is not None and not spec.trains_task_net:
            task_net.requires_grad_(False)
        if score_net is not None and spec.frozen_score_net:
            score_net.requires_grad_(False)
        self._init_bookkeeping()

    # ------------------------------------------------------------------ checks
    def check_networks(self, batch: Any) -> None:
        """Run each network once on ``batch`` (no gradients) and check the protocol and the shapes.

        Raises:
            ValueError, TypeError: the task-net's logits do not fit the output space, or the loss-net does not
                score ``(B, K, *out)`` candidates as ``(B, K)`` (expected and actual shapes named).
        """
        from seal.core.score_net import check_score_net, check_task_net

        x, y, mask = unpack_batch(batch)
        was_training = self.training
        self.eval()
        try:
            like = torch.empty(0, device=y.device)
            if self.task_net is not None:
                like = check_task_net(self.task_net, x, self.space)
            if self.score_net is not None:
                gold = self.space.gold_output(y, like, mask)
                check_score_net(self.score_net, x, torch.stack([gold, gold], dim=1))
        finally:
            self.train(was_training)

    def setup(self, stage: str) -> None:
        """Refuse to validate or test without metrics (one clear error instead of an AttributeError mid-run)."""
        if stage in ("fit", "validate", "test") and not hasattr(self, "val_metrics"):
            raise ValueError(
                f"{type(self).__name__} has no validation metrics: pass metrics=... (an object with update / compute / "
                "reset, e.g. a torchmetrics MetricCollection) or set val_metrics and test_metrics"
            )

    def on_train_batch_start(self, batch: Any, batch_idx: int) -> None:
        """Check the networks on the first training batch of a fit (before any update; eval mode, no gradients,
        no random draws, so the run's random stream is unchanged)."""
        if not getattr(self, "_networks_checked", False):
            self.check_networks(batch)
            self._networks_checked = True

    def on_validation_batch_start(self, batch: Any, batch_idx: int, dataloader_idx: int = 0) -> None:
        """The same check on the first validation batch when validation comes first (Lightning's sanity check)."""
        if not getattr(self, "_networks_checked", False) and self._trainer is not None and self.trainer.sanity_checking:
            self.check_networks(batch)
            self._networks_checked = True

    # ------------------------------------------------------------------ optimizers
    def task_parameters(self) -> list[nn.Parameter]:
        """The parameters the task-net optimizer updates (the task-net's; subclasses may add more)."""
        return list(self.task_net.parameters())

    def optimizer_roles(self) -> list[str]:
        """Which network each optimizer of :meth:`configure_optimizers` trains, in order:
        ``["task", "score"]`` (SEAL-dynamic), ``["task"]`` (cross-entropy, SEAL-static) or ``["score"]``
        (energy-network baselines)."""
        roles = ["task"] if (self.spec.trains_task_net and self.task_net is not None) else []
        if self.score_net is not None and self.spec.trains_score_net:
            roles.append("score")
        return roles

    def configure_optimizers(self):
        """One optimizer per trained network; ReduceLROnPlateau (mode max, on the validation
        ``selection_metric``) on the first optimizer, or on every optimizer with ``plateau_on_all``."""
        opts = []
        for role in self.optimizer_roles():
            if role == "task":
                opts.append(self.task_optimizer.build(self.task_parameters()))
            else:
                opts.append(self.score_optimizer.build(self.score_net.parameters()))
        patience, factor, on_all = self.plateau
        scheds = [
            torch.optim.lr_scheduler.ReduceLROnPlateau(o, mode="max", factor=factor, patience=patience)
            for o in (opts if on_all else opts[:1])
        ]
        return opts, scheds

    def named_optimizers(self) -> dict[str, Any]:
        """``{"task": ..., "score": ...}`` for the optimizers Lightning holds (only the trained networks')."""
        opts = self.optimizers()
        return dict(zip(self.optimizer_roles(), opts if isinstance(opts, list) else [opts]))

    # ------------------------------------------------------------------ steps
    @torch.no_grad()
    def task_outputs(self, x: Any, n: int) -> torch.Tensor:
        """``n`` no-grad task-net forward passes on the same batch, in one call: logits ``(n, B, *out)``.

        Dropout (train mode) draws an independent mask for every copy, so this equals ``n`` sequential no-grad
        passes in distribution as long as the task-net does not change in between -- which holds for the ``S``
        loss-net steps of one T-iteration (A.6). A task-net with a ``forward_repeated(x, n)`` method (the feature-MLC
        task-net: its first layer computed once) is given the batch once instead of stacked.
        """
        B = _batch_size(x)
        repeated = getattr(self.task_net, "forward_repeated", None)
        z = repeated(x, n) if repeated is not None and n > 1 else self.task_net(repeat_input(x, n))
        return z.view(n, B, *z.shape[1:])

    def loss_net_step(self, opt_s, x: Any, y: torch.Tensor, z: torch.Tensor | None = None, mask: torch.Tensor | None = None) -> torch.Tensor:
        """One loss-net update on ``(x, y)``: candidates from the DVN GBI sampler, or from the task-net outputs
        ``z`` (computed here without gradients when not given), then the loss-net objective. Returns the
        detached loss."""
        if self.dvn_sampler is not None:
            samples = self.dvn_samples(x, y, mask)
            loss = self.loss_net_loss(self.score_net, x, y, None, samples=samples, **self._mask_kw(mask))
        else:
            if z is None:
                with torch.no_grad():
                    z = self.task_net(x)
            loss = self.loss_net_loss(self.score_net, x, y, z.detach(), **self._mask_kw(mask))
        self._step(opt_s, loss, list(self.score_net.parameters()), self.score_optimizer.grad_clip, "loss-net")
        return loss.detach()

    def dvn_samples(self, x: Any, y: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """The DVN baseline's training candidates ``(B, K, *out)`` (:class:`seal.samplers.DVNSampler`)."""
        task_relaxed = None
        if self.task_net is not None:
            def task_relaxed():
                return self.space.relax(self.task_net(x), mask)
        return self.dvn_sampler(self.score_net, x, y, task_relaxed=task_relaxed, mask=mask)

    def task_net_step(
        self, opt_t, x: Any, y: torch.Tensor, mask: torch.Tensor | None = None, z: torch.Tensor | None = None
    ) -> torch.Tensor:
        """One task-net update (the loss-net's parameters frozen for its duration) on the task-net's logits ``z``
        (a forward with gradients; computed here when not given). Returns the detached loss."""
        with self._frozen(self.score_net):
            if z is None:
                z = self.task_net(x)
            loss = self.task_loss(self.score_net, x, y, z, **self._mask_kw(mask))
        self._step(opt_t, loss, self.task_parameters(), self.task_optimizer.grad_clip, "task-net")
        return loss.detach()

    @staticmethod
    def _mask_kw(mask: torch.Tensor | None) -> dict:
        return {} if mask is None else {"mask": mask}

    def training_step(self, batch, batch_idx: int):
        x, y, mask = unpack_batch(batch)
        opts = self.named_optimizers()
        opt_t, opt_s = opts.get("task"), opts.get("score")
        S, T = self.schedule.loss_net_steps, self.schedule.task_net_steps
        batched = self.schedule.batch_task_forward
        loss_s = loss_t = None
        if opt_t is None:  # energy-network baselines: S loss-net steps, the task-net (if any) stays fixed
            z_all = None
            if self.spec.loss_net_objective == "nce" and batched and self.task_net is not None:
                z_all = self.task_outputs(x, S)
            for s in range(S):
                loss_s = self.loss_net_step(opt_s, x, y, None if z_all is None else z_all[s], mask)
        elif opt_s is None:  # cross-entropy or SEAL-static: task-net steps only
            for _ in range(T):
                loss_t = self.task_net_step(opt_t, x, y, mask)
        elif self.spec.inner_mode == "score_nn" and self.schedule.share_task_forward:  # S = 1 (Schedule checks)
            for _ in range(T):
                with self._frozen(self.score_net):  # as in task_net_step: no gradient into the loss-net
                    z = self.task_net(x)  # with gradients: the noise distribution (detached), then the task-net loss
                loss_s = self.loss_net_step(opt_s, x, y, z.detach(), mask)
                loss_t = self.task_net_step(opt_t, x, y, mask, z=z)
        elif self.spec.inner_mode == "score_nn":
            for _ in range(T):
                z_all = self.task_outputs(x, S) if batched else None
                for s in range(S):
                    loss_s = self.loss_net_step(opt_s, x, y, None if z_all is None else z_all[s], mask)
                loss_t = self.task_net_step(opt_t, x, y, mask)
        else:  # inner task-net loop (margin / InfNet)
            for _ in range(S):
                for _ in range(T):
                    loss_t = self.task_net_step(opt_t, x, y, mask)
                loss_s = self.loss_net_step(opt_s, x, y, None, mask)
        self.batches_seen += 1
        self._add_epoch_losses(loss_t, loss_s)

    def on_train_epoch_end(self) -> None:
        self.epoch_times.append(time.perf_counter() - self._epoch_t0)
        n = max(int(self._epoch_losses[2]), 1)
        if "task" in self.optimizer_roles():
            self.log("train/task_loss", float(self._epoch_losses[0]) / n, prog_bar=True, sync_dist=True)
        if self.spec.trains_score_net:
            self.log(
                "train/loss_net_loss", float(self._epoch_losses[1]) / n, prog_bar=not self.spec.trains_task_net,
                sync_dist=True,
            )
        self.log("train/epoch_s", self.epoch_times[-1])

    # ------------------------------------------------------------------ evaluation
    def eval_probs(self, x: Any, batch_idx: int, stage: str, mask: torch.Tensor | None = None) -> torch.Tensor:
        """The relaxed prediction of the task-net, ``space.relax(task_net(x), mask)``, without gradients (zero at
        padded positions of tagging outputs)."""
        with torch.no_grad():
            return self.space.relax(self.task_net(x), mask)


def check_weights(**values: float) -> None:
    """Raise ``ValueError`` naming the first value that is not a finite number >= 0."""
    for name, value in values.items():
        if not (value >= 0 and math.isfinite(value)):
            raise ValueError(f"{name} must be a finite number >= 0, got {value}")


class InjectedSEALModule(SEALModule):
    """A :class:`SEALModule` whose networks are given (e.g. as ``class_path`` / ``init_args`` in a config).

    Args:
        task_net: the task-net: input ``x`` of a batch -> logits that fit ``space``.
        loss_net: the loss-net (score-net protocol), or ``None`` for ``cross-entropy``.
        space: output space name (``"multilabel"``, ``"binary-mask"``, ``"tagging"``).
        method: a registered method name (:mod:`seal.methods.registry`) whose objective is defined for every
            space (cross-entropy, SEAL-dynamic NCE / ranking / regression / regression-s, SEAL-static).
        objective: ``w_s`` and the anchor's weight of the task-net objective
            (:class:`~seal.training.hparams.ObjectiveSettings`).
        sampler: ``K`` and the Gaussian-logit noise (:class:`~seal.training.hparams.SamplerSettings`).
        schedule: ``S``, ``T`` and ``batch_task_forward`` (:class:`Schedule`).
        optimizer, loss_net_optimizer: kind (``"adamw"`` / ``"adam"``), learning rate, weight decay and clipping per
            network (:class:`OptimizerSettings`).
        plateau: ReduceLROnPlateau on ``selection_metric`` (:class:`~seal.training.hparams.PlateauSettings`);
        plateau_on_all: on every optimizer (else the first).
        selection_metric: the validation metric key the schedulers (and a checkpoint / early-stopping callback)
            follow; it must be one of the keys ``metrics.compute()`` returns.
        metrics: the validation metrics: an object with ``update(probs, y)`` (``update(probs, y, mask)`` for
            batches with a ``mask``), ``compute() -> {name: value}`` and ``reset()`` (a torchmetrics collection
            fits); a deep copy serves the test split. Required to validate or test.
        space_options: keyword arguments of the output space (e.g. ``{"null_tag": 0}`` for the SRL F1 oracle).

    Notes:
        Train it with ``inference_mode=False`` (GBI and the loss-net steps need autograd in evaluation, as the
        ``seal fit`` CLI sets) and count steps in batches (``batches_seen``): under manual optimization
        ``trainer.global_step`` counts every optimizer step, (S + 1) · T per batch for SEAL-dynamic, so
        ``max_steps``, ``val_check_interval`` and ``every_n_train_steps`` of a hand-built Trainer count those.

    Raises:
        ValueError: unknown space or method, a method that needs networks this class cannot build (margin,
            SPEN, DVN baselines), a missing loss-net, or out-of-range settings.
    """

    hparams_task = "injected"

    def __init__(
        self,
        task_net: nn.Module,
        loss_net: nn.Module | None = None,
        space: str = "multilabel",
        method: str = "cross-entropy",
        objective: ObjectiveSettings = ObjectiveSettings(),
        sampler: SamplerSettings = SamplerSettings(),
        schedule: Schedule = Schedule(),
        optimizer: OptimizerSettings = OptimizerSettings(),
        loss_net_optimizer: OptimizerSettings = OptimizerSettings(),
        plateau: PlateauSettings = PlateauSettings(),
        plateau_on_all: bool = False,
        selection_metric: str = "example_f1",
        metrics: Any = None,
        space_options: dict | None = None,
    ) -> None:
        super().__init__()
        groups = self.save_grouped_hparams(
            {"space": space, "method": method, "plateau_on_all": plateau_on_all, "selection_metric": selection_metric,
             "space_options": space_options},
            {"objective": objective, "sampler": sampler, "schedule": schedule, "optimizer": optimizer,
             "loss_net_optimizer": loss_net_optimizer, "plateau": plateau},
        )
        spec = get_method(method)
        if spec.loss_net_objective in ("margin", "ssvm", "regression-gbi") or spec.needs_task_checkpoint:
            raise ValueError(
                f"method {method!r} needs networks InjectedSEALModule does not build (cost-augmented net, GBI "
                "baselines); use the task's own module"
            )
        if spec.uses_score_net and loss_net is None:
            raise ValueError(f"method {method!r} needs a loss_net")
        out_space = get_space(space, **(space_options or {}))
        self.selection_metric = selection_metric
        if metrics is not None:
            import copy

            self.val_metrics, self.test_metrics = metrics, copy.deepcopy(metrics)
        loss_net_loss, task_loss = spec.build_objectives(self.flat_hparams, out_space)
        self.setup_seal(
            spec=spec, space=out_space, task_net=task_net, score_net=loss_net if spec.uses_score_net else None,
            loss_net_loss=loss_net_loss, task_loss=task_loss, schedule=groups["schedule"],
            task_optimizer=groups["optimizer"], score_optimizer=groups["loss_net_optimizer"],
            plateau_patience=groups["plateau"].patience, plateau_factor=groups["plateau"].factor,
            plateau_on_all=plateau_on_all,
        )
