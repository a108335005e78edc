"""The LightningModule for binary image segmentation (Weizmann horses): CE, DVN with GBI, SEAL-static, SEAL-dynamic.

Methods (a small registry of its own, :data:`SEG_METHODS`; names follow ``seal-method.md`` C.1):

==========================  ==============================  ============================  ==================
method                      loss-net objective              task-net objective            prediction
==========================  ==============================  ============================  ==================
cross-entropy               (none)                          pixel-mean CE                 task-net
dvn-gbi                     regression on {GBI, adv, gold}  (no task-net)                 GBI on each crop
seal-static-regression      (frozen DVN checkpoint)         ``w_s (-sigmoid S)`` + CE     task-net
seal-dynamic-regression     regression on ``p``             ``w_s (-sigmoid S)`` + CE     task-net
seal-dynamic-regression-s   regression on K Gaussian        ``w_s (-sigmoid S)`` + CE     task-net
seal-dynamic-nce            NCE, K Bernoulli masks          ``w_s (-S)`` + CE             task-net
==========================  ==============================  ============================  ==================

Schedule (A.6, manual optimization): per training batch (24x24 random crops) SEAL-dynamic runs
``T x (S loss-net steps, then 1 task-net step)`` on the same batch with samples redrawn at every loss-net
step; cross-entropy and SEAL-static ``T`` task-net steps (cross-entropy's default ``T`` is 1); DVN ``S``
loss-net steps (its samplers run GBI on the score network). Optimizers: Adam (``torch.optim.Adam``, L2 ``weight_decay``) per
network, gradient-norm clipping per network (task 2, score 6 in the paper's SEAL config),
``ReduceLROnPlateau(max, 0.5, patience 10)`` on every optimizer, stepped with the validation mean IoU.

Gradient isolation: loss-net steps see task-net outputs computed under ``torch.no_grad``; task-net steps run
with the score network's parameters set to ``requires_grad=False`` and then restored to their original
flags (SEAL-static's frozen network stays frozen). Dropout is active in both networks during training
(H.9, H.11).

Evaluation (validation every epoch, test): the 36-crop average of B.4
(:func:`seal.data.weizmann.predict_36_crops`) on the full 32x32 images; metrics mean IoU (empty/empty = 1,
case B12) and pixel accuracy with foreground iff the averaged probability is ``> 0.5``. The DVN baseline
predicts each crop by GBI from all-zeros (``gbi_steps`` Adam steps on ``-sigmoid(S)``, best iterate) and
averages those relaxed masks the same way.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass
from pathlib import Path

import lightning as L
import torch

from seal.data.weizmann import CROP_SIZE, predict_36_crops
from seal.energies.segmentation import SegmentationScoreNet
from seal.task_nets.segmentation import FCNSegmenter, foreground_probs
from seal.training.steps import AlternatingUpdates

__all__ = ["SEG_METHODS", "SegMethod", "SegmentationModule", "get_seg_method", "resolve_pretrained"]


@dataclass(frozen=True)
class SegMethod:
    """What a segmentation method trains and how it predicts.

    Attributes:
        name: registry name.
        loss_net_objective: ``None``, ``"regression"``, ``"regression-s"``, ``"nce"`` or ``"dvn-gbi"``.
        score_mode: how the task loss uses the score: ``"sigmoid"`` (``-sigmoid(S)``), ``"raw"`` (``-S``) or
            ``None`` (the score is not used by the task loss).
        trains_task_net, trains_score_net: which networks have an optimizer.
        pretrained_score_net: the score network is loaded from a checkpoint and frozen (SEAL-static).
        inference: ``"task"`` (task-net forward pass) or ``"gbi"`` (gradient-based inference on the score).
        description: one line.
    """

    name: str
    loss_net_objective: str | None
    score_mode: str | None
    trains_task_net: bool
    trains_score_net: bool
    pretrained_score_net: bool
    inference: str
    description: str

    @property
    def uses_score_net(self) -> bool:
        return self.loss_net_objective is not None or self.pretrained_score_net


SEG_METHODS: dict[str, SegMethod] = {
    m.name: m
    for m in (
        SegMethod("cross-entropy", None, None, True, False, False, "task", "FCN trained with pixel-mean 2-class CE"),
        SegMethod("dvn-gbi", "dvn-gbi", None, False, True, False, "gbi",
                  "DVN energy network (regression on GBI/adversarial/gold samples), GBI at test"),
        SegMethod("seal-static-regression", None, "sigmoid", True, False, True, "task",
                  "SEAL-static: frozen DVN score network as loss, w_s*(-sigmoid S) + CE"),
        SegMethod("seal-dynamic-regression", "regression", "sigmoid", True, True, False, "task",
                  "SEAL-dynamic, DVN regression on p"),
        SegMethod("seal-dynamic-regression-s", "regression-s", "sigmoid", True, True, False, "task",
                  "SEAL-dynamic, DVN regression on K Gaussian log-odds samples"),
        SegMethod("seal-dynamic-nce", "nce", "raw", True, True, False, "task",
                  "SEAL-dynamic, NCE ranking with K Bernoulli masks"),
    )
}


def get_seg_method(name: str) -> SegMethod:
    """The :class:`SegMethod` called ``name``.

    Raises:
        ValueError: unknown name (listing the known ones).
    """
    try:
        return SEG_METHODS[name]
    except KeyError:
        raise ValueError(f"unknown segmentation method {name!r}; known: {', '.join(SEG_METHODS)}") from None


def resolve_pretrained(path: str, seed: int | None = None) -> Path:
    """The checkpoint file named by ``score_checkpoint``.

    ``{seed}`` in ``path`` is replaced by ``seed`` (default: the run's seed, ``PL_GLOBAL_SEED``); a
    directory stands for the newest ``best.ckpt`` below it (e.g. a ``seal experiment`` run directory).

    Raises:
        FileNotFoundError: nothing there.
    """
    if seed is None:
        seed = int(os.environ.get("PL_GLOBAL_SEED", 0))
    p = Path(str(path).replace("{seed}", str(seed))).expanduser()
    if p.is_dir():
        found = sorted(p.rglob("best.ckpt"), key=lambda q: q.stat().st_mtime)
        if not found:
            raise FileNotFoundError(
                f"score_checkpoint: no best.ckpt under {p}; train the dvn-gbi run (same seed) first"
            )
        return found[-1]
    if not p.is_file():
        raise FileNotFoundError(f"score_checkpoint: checkpoint not found: {p}")
    return p


class SegmentationModule(AlternatingUpdates, L.LightningModule):
    """FCN task-net (+ CNN score network) training for binary segmentation.

    Args:
        method: a name of :data:`SEG_METHODS`.
        crop_size: training/evaluation crop size (24); the score network is built for it.
        score_dropout: dropout of the score network (0.25).
        lr, weight_decay, grad_clip: task-net Adam and clipping (``None`` = no clipping).
        score_lr, score_weight_decay, score_grad_clip: score-network Adam and clipping.
        score_loss_weight: ``w_s`` (A.3).
        ce_weight: weight of the pixel-mean CE.
        loss_net_steps, task_net_steps: ``S`` and ``T`` per batch.
        num_samples: ``K`` (regression-s: candidates incl. ``p``; NCE: Bernoulli masks besides the gold).
        sample_std: log-odds noise of regression-s.
        loss_net_reduction: reduction of the loss-net objective (``"mean"``: over the batch for NCE, over
            the batch and the candidates for the regression objectives; see :mod:`seal.objectives.loss_net`).
        gbi_steps, gbi_lr: test-time GBI of the DVN baseline (per crop, from zeros).
        train_gbi_steps, train_gbi_lr, adv_gbi_steps, adv_gbi_lr, gt_init_prob: the DVN baseline's training
            samplers.
        score_checkpoint: SEAL-static: the DVN checkpoint (or run directory; ``{seed}`` allowed) whose
            ``score_net.*`` weights are loaded (``weights_only``) and frozen.
        plateau_patience, plateau_factor: ``ReduceLROnPlateau`` on the validation mean IoU (every optimizer).
        threshold: foreground iff the averaged probability ``> threshold`` (0.5 = argmax of the 2 channels).
        eval_chunk: crops per forward pass at evaluation.
        batch_task_forward: compute the ``S`` no-grad task-net passes of one T-iteration in one call.

    Raises:
        ValueError: unknown method or out-of-range hyper-parameters, before any training.
    """

    selection_metric = "mean_iou"

    def __init__(
        self,
        method: str = "cross-entropy",
        crop_size: int = CROP_SIZE,
        score_dropout: float = 0.25,
        lr: float = 2.010e-3,
        weight_decay: float = 5.864e-5,
        grad_clip: float | None = 8.0,
        score_lr: float = 2.790e-3,
        score_weight_decay: float = 1.554e-5,
        score_grad_clip: float | None = 6.0,
        score_loss_weight: float = 0.0,
        ce_weight: float = 1.0,
        loss_net_steps: int = 1,
        task_net_steps: int = 1,
        num_samples: int = 48,
        sample_std: float = 0.8553,
        loss_net_reduction: str = "mean",
        gbi_steps: int = 30,
        gbi_lr: float = 0.1,
        train_gbi_steps: int = 30,
        train_gbi_lr: float = 0.1,
        adv_gbi_steps: int = 30,
        adv_gbi_lr: float = 0.1,
        gt_init_prob: float = 0.5,
        score_checkpoint: str | None = None,
        plateau_patience: int = 10,
        plateau_factor: float = 0.5,
        threshold: float = 0.5,
        eval_chunk: int = 1152,
        batch_task_forward: bool = True,
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.automatic_optimization = False
        spec = get_seg_method(method)
        self.spec = spec
        for name, value in (("loss_net_steps (S)", loss_net_steps), ("task_net_steps (T)", task_net_steps),
                            ("num_samples (K)", num_samples), ("eval_chunk", eval_chunk)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
        for name, value in (("lr", lr), ("score_lr", score_lr), ("weight_decay", weight_decay),
                            ("score_weight_decay", score_weight_decay), ("score_loss_weight", score_loss_weight),
                            ("ce_weight", ce_weight), ("gbi_lr", gbi_lr), ("train_gbi_lr", train_gbi_lr),
                            ("adv_gbi_lr", adv_gbi_lr)):
            if not (math.isfinite(value) and value >= 0):
                raise ValueError(f"{name} must be a finite number >= 0, got {value}")
        if spec.score_mode is not None and score_loss_weight == 0:
            raise ValueError(f"method {spec.name!r} needs score_loss_weight > 0 (w_s); 0 is plain cross-entropy")
        if spec.pretrained_score_net and not score_checkpoint:
            raise ValueError(f"method {spec.name!r} needs score_checkpoint (a dvn-gbi checkpoint or run directory)")
        if not 0.0 < threshold < 1.0:
            raise ValueError(f"threshold must lie in (0, 1), got {threshold}")
        if crop_size % 4:
            raise ValueError(f"crop_size must be a multiple of 4, got {crop_size}")

        from seal.core.spaces import BinaryMaskSpace
        from seal.metrics import SegmentationMetrics
        from seal.objectives.loss_net import NCERankingLoss, RegressionLoss, RegressionSamplesLoss
        from seal.objectives.task_net import TaskNetLoss
        from seal.samplers.gbi import DVNSampler

        self.space = space = BinaryMaskSpace()
        self.task_net = FCNSegmenter() if spec.trains_task_net else None
        self.score_net = SegmentationScoreNet(image_size=crop_size, dropout=score_dropout) if spec.uses_score_net else None
        self.task_loss = (
            TaskNetLoss(score_loss_weight, ce_weight, spec.score_mode or "sigmoid", space=space) if spec.trains_task_net else None
        )
        self.dvn_sampler: DVNSampler | None = None
        kind = spec.loss_net_objective
        # the regression objectives reduce over batch AND candidates here (the segmentation config, H.5)
        if kind == "regression":
            self.loss_net_loss = RegressionLoss(loss_net_reduction, space=space, per_candidate=True)
        elif kind == "regression-s":
            self.loss_net_loss = RegressionSamplesLoss(
                num_samples, sample_std, loss_net_reduction, space=space, per_candidate=True
            )
        elif kind == "nce":
            self.loss_net_loss = NCERankingLoss(num_samples, loss_net_reduction, space=space)
        elif kind == "dvn-gbi":
            self.loss_net_loss = RegressionLoss(loss_net_reduction, space=space, per_candidate=True)
            kinds = [k for k, n in (("inference", train_gbi_steps), ("adversarial", adv_gbi_steps)) if n > 0] + ["gold"]
            self.dvn_sampler = DVNSampler(
                space, kinds, init="gold-or-zeros", gold_init_prob=gt_init_prob, steps=train_gbi_steps,
                lr=train_gbi_lr, adv_steps=adv_gbi_steps, adv_lr=adv_gbi_lr, differentiable_oracle=True,
            )
        else:
            self.loss_net_loss = None
        self.val_metrics = SegmentationMetrics(threshold)
        self.test_metrics = SegmentationMetrics(threshold)
        self.pretrained_from: str | None = None
        self._init_bookkeeping()

    # ------------------------------------------------------------------ SEAL-static: pretrained loss-net
    def load_pretrained_score_net(self, path: str | os.PathLike) -> Path:
        """Load ``score_net.*`` from a (weights-only) checkpoint into the score network and freeze it.

        Raises:
            FileNotFoundError: no checkpoint there.
            ValueError: the checkpoint has no score network, or its shapes differ (names key and shapes).
        """
        from seal.training.checkpoint import load_checkpoint

        if self.score_net is None:
            raise ValueError(f"method {self.spec.name!r} has no score network to load")
        ckpt_path = resolve_pretrained(str(path))
        ckpt = load_checkpoint(ckpt_path, map_location="cpu")
        state = ckpt.get("state_dict", ckpt) if isinstance(ckpt, dict) else {}
        sub = {k[len("score_net."):]: v for k, v in state.items() if isinstance(k, str) and k.startswith("score_net.")}
        if not sub:
            raise ValueError(f"score_checkpoint {ckpt_path}: the checkpoint holds no score_net.* weights (not a dvn-gbi run?)")
        own = self.score_net.state_dict()
        missing = sorted(set(own) - set(sub))
        unexpected = sorted(set(sub) - set(own))
        if missing or unexpected:
            raise ValueError(
                f"score_checkpoint {ckpt_path}: score network keys differ (missing {missing[:4]}, unexpected {unexpected[:4]})"
            )
        for k, v in own.items():
            if tuple(sub[k].shape) != tuple(v.shape):
                raise ValueError(
                    f"score_checkpoint {ckpt_path}: shape of score_net.{k} is {tuple(sub[k].shape)} in the checkpoint "
                    f"but {tuple(v.shape)} here; the frozen loss-net must have the DVN run's architecture "
                    f"(crop_size {self.hparams.crop_size})"
                )
        self.score_net.load_state_dict(sub)
        for p in self.score_net.parameters():
            p.requires_grad_(False)
        self.pretrained_from = str(ckpt_path)
        return ckpt_path

    def setup(self, stage: str) -> None:
        if self._trainer is not None and self.trainer.world_size > 1:
            raise ValueError("segmentation training runs on one device (no gradient all-reduce is implemented)")
        if stage == "fit" and self.spec.pretrained_score_net and self.pretrained_from is None:
            self.load_pretrained_score_net(self.hparams.score_checkpoint)
        if self.spec.pretrained_score_net and self.score_net is not None:
            for p in self.score_net.parameters():  # frozen even when the weights come from this run's checkpoint
                p.requires_grad_(False)

    # ------------------------------------------------------------------ prediction
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Task-net logits ``(B, 2, H, W)``."""
        if self.task_net is None:
            raise ValueError(f"method {self.spec.name!r} has no task-net; use predict_canvas (GBI)")
        return self.task_net(x)

    def _predict_crops(self, crops: torch.Tensor) -> torch.Tensor:
        """Foreground probability ``(N, crop, crop)`` of crops ``(N, 3, crop, crop)``."""
        if self.spec.inference == "gbi":
            from seal.inference.gbi import gradient_based_inference

            net = self.score_net
            with torch.no_grad():
                feats = net.image_features(crops)
            init = crops.new_zeros((crops.shape[0], crops.shape[-2], crops.shape[-1]))
            res = gradient_based_inference(
                lambda v: -torch.sigmoid(net(crops, v, feats)), init, method="adam",
                lr=self.hparams.gbi_lr, steps=self.hparams.gbi_steps,
            )
            return res.y
        with torch.no_grad():
            return foreground_probs(self.task_net(crops))

    def predict_canvas(self, x: torch.Tensor) -> torch.Tensor:
        """36-crop averaged foreground probability ``(B, H, W)`` of full images ``x`` ``(B, 3, H, W)``."""
        return predict_36_crops(self._predict_crops, x, crop=self.hparams.crop_size, chunk=self.hparams.eval_chunk)

    # ------------------------------------------------------------------ optimizers
    def configure_optimizers(self):
        hp = self.hparams
        opts, names = [], []
        if self.task_net is not None:
            opts.append(torch.optim.Adam(self.task_net.parameters(), lr=hp.lr, weight_decay=hp.weight_decay))
            names.append("task")
        if self.score_net is not None and self.spec.trains_score_net:
            opts.append(torch.optim.Adam(self.score_net.parameters(), lr=hp.score_lr, weight_decay=hp.score_weight_decay))
            names.append("score")
        self._opt_names = names
        scheds = [
            torch.optim.lr_scheduler.ReduceLROnPlateau(o, mode="max", factor=hp.plateau_factor, patience=hp.plateau_patience)
            for o in opts
        ]
        return opts, scheds

    def _named_optimizers(self) -> dict:
        opts = self.optimizers()
        opts = opts if isinstance(opts, list) else [opts]
        names = getattr(self, "_opt_names", None) or [n for n, m in (("task", self.task_net), ("score", self.score_net)) if m is not None]
        return dict(zip(names, opts))

    # ------------------------------------------------------------------ training
    def on_train_epoch_end(self) -> None:
        self.epoch_times.append(time.perf_counter() - self._epoch_t0)
        n = max(int(self._epoch_losses[2]), 1)
        if self.task_net is not None:
            self.log("train/task_loss", float(self._epoch_losses[0]) / n, prog_bar=True)
        if self.spec.trains_score_net:
            self.log("train/loss_net_loss", float(self._epoch_losses[1]) / n)
        self.log("train/epoch_s", self.epoch_times[-1])

    @torch.no_grad()
    def _task_outputs(self, x: torch.Tensor, n: int) -> torch.Tensor:
        """``n`` no-grad task-net passes (independent dropout, if any) in one call: ``(n, B, 2, H, W)``."""
        z = self.task_net(x.repeat(n, 1, 1, 1) if n > 1 else x)
        return z.view(n, *x.shape[:1], *z.shape[1:])

    def loss_net_step(self, opt_s, x: torch.Tensor, y: torch.Tensor, z: torch.Tensor | None = None) -> torch.Tensor:
        """One loss-net update on ``(x, y)`` (task-net outputs ``z`` detached / recomputed without grad)."""
        if self.dvn_sampler is not None:
            samples = self.dvn_sampler(self.score_net, x, y)
            loss = self.loss_net_loss(self.score_net, x, y, None, samples=samples)
        else:
            if z is None:
                with torch.no_grad():
                    z = self.task_net(x)
            loss = self.loss_net_loss(self.score_net, x, y, z.detach())
        self._step(opt_s, loss, list(self.score_net.parameters()), self.hparams.score_grad_clip, "loss-net")
        return loss.detach()

    def task_net_step(self, opt_t, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """One task-net update (the score network frozen for its duration)."""
        with self._frozen(self.score_net):
            loss = self.task_loss(self.score_net, x, y, self.task_net(x))
        self._step(opt_t, loss, list(self.task_net.parameters()), self.hparams.grad_clip, "task-net")
        return loss.detach()

    def training_step(self, batch, batch_idx: int):
        x, y = batch
        opts = self._named_optimizers()
        opt_t, opt_s = opts.get("task"), opts.get("score")
        S, T = self.hparams.loss_net_steps, self.hparams.task_net_steps
        loss_t = loss_s = None
        if opt_t is None:  # energy network only (DVN with GBI)
            for _ in range(S):
                loss_s = self.loss_net_step(opt_s, x, y)
        elif opt_s is None:  # cross-entropy or SEAL-static: T task-net steps
            for _ in range(T):
                loss_t = self.task_net_step(opt_t, x, y)
        else:  # SEAL-dynamic: T x (S loss-net steps, 1 task-net step)
            for _ in range(T):
                z_all = self._task_outputs(x, S) if self.hparams.batch_task_forward else None
                for s in range(S):
                    loss_s = self.loss_net_step(opt_s, x, y, None if z_all is None else z_all[s])
                loss_t = self.task_net_step(opt_t, x, y)
        self.batches_seen += 1
        self._add_epoch_losses(loss_t, loss_s)

    # ------------------------------------------------------------------ evaluation
    def eval_probs(self, x: torch.Tensor, batch_idx: int, stage: str) -> torch.Tensor:
        return self.predict_canvas(x)

    # ------------------------------------------------------------------ checkpoints
    def checkpoint_extra(self) -> dict:
        return {"task": "segmentation", "pretrained_from": self.pretrained_from}

    def load_checkpoint_extra(self, state: dict) -> None:
        self.pretrained_from = state.get("pretrained_from") or self.pretrained_from
