"""The LightningModule for binary image segmentation (Weizmann horses): CE, DVN with GBI, SEAL-static, SEAL-dynamic.

Methods (the subset :data:`SEGMENTATION_METHODS` of the one method registry, :mod:`seal.methods.registry`; names
follow ``seal-method.md`` C.1; the objectives and the DVN sampler are the shared ones of :mod:`seal.objectives` and
:mod:`seal.samplers` on :class:`~seal.core.spaces.BinaryMaskSpace`):

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

Schedule (A.6, manual optimization, :class:`~seal.training.seal_module.SEALModule`): per training batch (24x24 random crops) SEAL-dynamic runs
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
(:func:`seal.tasks.segmentation.data.predict_36_crops`) on the full 32x32 images; metrics mean IoU (empty/empty = 1,
case B12) and pixel accuracy with foreground iff the averaged probability is ``> 0.5``. The DVN baseline
predicts each crop by GBI from all-zeros (``gbi_steps`` Adam steps on ``-sigmoid(S)``, best iterate) and
averages those relaxed masks the same way.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch

from seal.core.spaces import BinaryMaskSpace
from seal.energies.segmentation import SegmentationScoreNet
from seal.methods.registry import MethodSpec, get_method
from seal.task_nets.segmentation import FCNSegmenter, foreground_probs
from seal.tasks.segmentation.data import CROP_SIZE, predict_36_crops
from seal.training.hparams import ObjectiveSettings, PlateauSettings, SamplerSettings, SegGBIHParams, SegLossNetHParams
from seal.training.seal_module import OptimizerSettings, Schedule, SEALModule

__all__ = ["SEGMENTATION_METHODS", "SEG_METHODS", "SegmentationModule", "get_seg_method", "resolve_pretrained"]


#: the methods of the one registry (:mod:`seal.methods.registry`) that segmentation supports (C.1)
SEGMENTATION_METHODS = (
    "cross-entropy",
    "dvn-gbi",
    "seal-static-regression",
    "seal-dynamic-regression",
    "seal-dynamic-regression-s",
    "seal-dynamic-nce",
)
SEG_METHODS: dict[str, MethodSpec] = {name: get_method(name) for name in SEGMENTATION_METHODS}


def get_seg_method(name: str) -> MethodSpec:
    """The registered :class:`~seal.methods.registry.MethodSpec` called ``name``, if segmentation supports it.

    Raises:
        ValueError: unknown or unsupported name (listing the supported ones).
    """
    if name not in SEG_METHODS:
        raise ValueError(f"unknown segmentation method {name!r}; known: {', '.join(SEG_METHODS)}")
    return SEG_METHODS[name]


def resolve_pretrained(path: str, seed: int | None = None) -> Path:
    """The checkpoint file named by ``score_checkpoint``.

    ``{seed}`` in ``path`` is replaced by ``seed`` (default: the run's seed, ``PL_GLOBAL_SEED``); a
    directory stands for the newest ``best.ckpt`` below it (e.g. a ``seal experiment`` run directory).

    Raises:
        FileNotFoundError: nothing there.
    """
    from seal.methods.pretrained import resolve_run_checkpoint

    return resolve_run_checkpoint(path, "score_checkpoint", seed=seed, producer="the dvn-gbi run")


class SegmentationModule(SEALModule):
    """FCN task-net (+ CNN score network) training for binary segmentation.

    A :class:`~seal.training.seal_module.SEALModule` on the binary-mask output space that builds the FCN and the
    CNN score network from typed hyper-parameter groups (:mod:`seal.training.hparams`), uses Adam with a plateau
    scheduler on every optimizer, and evaluates by the 36-crop average.

    Args:
        method: a name of :data:`SEGMENTATION_METHODS` (the one method registry's names).
        crop_size: training/evaluation crop size (24); the score network is built for it. ``seal fit`` /
            ``seal test``: the data's crop size (``data.crop_size``) follows it.
        loss_net: the score network's dropout (0.25) (:class:`~seal.training.hparams.SegLossNetHParams`).
        optimizer, loss_net_optimizer: Adam and clipping per network (``grad_clip: null`` = no clipping)
            (:class:`~seal.training.seal_module.OptimizerSettings`).
        schedule: ``S`` and ``T`` per batch, ``batch_task_forward`` (:class:`~seal.training.seal_module.Schedule`).
        objective: ``w_s`` (A.3), the pixel-mean CE's weight and the loss-net objective's reduction (``"mean"``:
            over the batch for NCE, over the batch and the candidates for the regression objectives; see
            :mod:`seal.objectives.loss_net`) (:class:`~seal.training.hparams.ObjectiveSettings`).
        sampler: ``K`` (regression-s: candidates incl. ``p``; NCE: Bernoulli masks besides the gold) and the
            log-odds noise of regression-s (:class:`~seal.training.hparams.SamplerSettings`).
        gbi: test-time GBI of the DVN baseline (per crop, from zeros) and its training samplers
            (:class:`~seal.training.hparams.SegGBIHParams`).
        plateau: ``ReduceLROnPlateau`` on the validation mean IoU (every optimizer).
        score_checkpoint: SEAL-static: the DVN checkpoint (or run directory; ``{seed}`` allowed) whose
            ``score_net.*`` weights are loaded (``weights_only``) and frozen.
        threshold: foreground iff the averaged probability ``> threshold`` (0.5 = argmax of the 2 channels).
        eval_chunk: crops per forward pass at evaluation.

    Raises:
        ValueError: unknown method or out-of-range hyper-parameters, before any training.
    """

    selection_metric = "mean_iou"
    hparams_task = "segmentation"

    def __init__(
        self,
        method: str = "cross-entropy",
        crop_size: int = CROP_SIZE,
        loss_net: SegLossNetHParams = SegLossNetHParams(dropout=0.25),
        optimizer: OptimizerSettings = OptimizerSettings("adam", lr=2.010e-3, weight_decay=5.864e-5, grad_clip=8.0),
        loss_net_optimizer: OptimizerSettings = OptimizerSettings(
            "adam", lr=2.790e-3, weight_decay=1.554e-5, grad_clip=6.0
        ),
        schedule: Schedule = Schedule(),
        objective: ObjectiveSettings = ObjectiveSettings(loss_net_reduction="mean"),
        sampler: SamplerSettings = SamplerSettings(num_samples=48, sample_std=0.8553),
        gbi: SegGBIHParams = SegGBIHParams(),
        plateau: PlateauSettings = PlateauSettings(patience=10, factor=0.5),
        score_checkpoint: str | None = None,
        threshold: float = 0.5,
        eval_chunk: int = 1152,
    ) -> None:
        super().__init__()
        groups = self.save_grouped_hparams(
            {"method": method, "crop_size": crop_size, "score_checkpoint": score_checkpoint, "threshold": threshold,
             "eval_chunk": eval_chunk},
            {"loss_net": loss_net, "optimizer": optimizer, "loss_net_optimizer": loss_net_optimizer,
             "schedule": schedule, "objective": objective, "sampler": sampler, "gbi": gbi, "plateau": plateau},
        )
        self.automatic_optimization = False
        spec = get_seg_method(method)
        if isinstance(eval_chunk, bool) or not isinstance(eval_chunk, int) or eval_chunk < 1:
            raise ValueError(f"eval_chunk must be an integer >= 1, got {eval_chunk!r}")
        g = self.gbi_hparams = groups["gbi"]
        objective = groups["objective"]
        if spec.trains_task_net and spec.uses_score_net and objective.score_loss_weight == 0:
            raise ValueError(f"method {spec.name!r} needs score_loss_weight > 0 (w_s); 0 is plain cross-entropy")
        if spec.frozen_score_net and not score_checkpoint:
            raise ValueError(f"method {spec.name!r} needs score_checkpoint (a dvn-gbi checkpoint or run directory)")
        if not 0.0 < threshold < 1.0:
            raise ValueError(f"threshold must lie in (0, 1), got {threshold}")
        if crop_size % 4:
            raise ValueError(f"crop_size must be a multiple of 4, got {crop_size}")

        from seal.metrics import SegmentationMetrics
        from seal.samplers.gbi import DVNSampler

        space = BinaryMaskSpace()
        task_net = FCNSegmenter() if spec.trains_task_net else None
        score_net = (
            SegmentationScoreNet(image_size=crop_size, dropout=groups["loss_net"].dropout) if spec.uses_score_net else None
        )
        # the regression objectives reduce over batch AND candidates here (the segmentation config, H.5)
        loss_net_loss, task_loss = spec.build_objectives({**self.flat_hparams, "per_candidate_reduction": True}, space)
        dvn_sampler = None
        if spec.loss_net_objective == "regression-gbi":
            kinds = [k for k, n in (("inference", g.train_steps), ("adversarial", g.adv_steps)) if n > 0] + ["gold"]
            dvn_sampler = DVNSampler(
                space, kinds, init="gold-or-zeros", gold_init_prob=g.gt_init_prob, steps=g.train_steps,
                lr=g.train_lr, adv_steps=g.adv_steps, adv_lr=g.adv_lr, differentiable_oracle=True,
            )
        self.setup_seal(
            spec=spec, space=space, task_net=task_net, score_net=score_net, loss_net_loss=loss_net_loss,
            task_loss=task_loss, schedule=groups["schedule"],
            task_optimizer=groups["optimizer"], score_optimizer=groups["loss_net_optimizer"],
            plateau_patience=groups["plateau"].patience, plateau_factor=groups["plateau"].factor, plateau_on_all=True,
            dvn_sampler=dvn_sampler,
        )
        self.val_metrics = SegmentationMetrics(threshold)
        self.test_metrics = SegmentationMetrics(threshold)
        self.pretrained_from: str | None = None

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
        if stage == "fit" and self.spec.frozen_score_net and self.pretrained_from is None:
            self.load_pretrained_score_net(self.hparams.score_checkpoint)
        if self.spec.frozen_score_net and self.score_net is not None:
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
        if self.spec.predict_with_gbi:
            from seal.inference.gbi import gradient_based_inference

            net = self.score_net
            with torch.no_grad():
                feats = net.image_features(crops)
            init = crops.new_zeros((crops.shape[0], crops.shape[-2], crops.shape[-1]))
            res = gradient_based_inference(
                lambda v: -torch.sigmoid(net(crops, v, feats)), init, method="adam",
                lr=self.gbi_hparams.lr, steps=self.gbi_hparams.steps,
            )
            return res.y
        with torch.no_grad():
            return foreground_probs(self.task_net(crops))

    def predict_canvas(self, x: torch.Tensor) -> torch.Tensor:
        """36-crop averaged foreground probability ``(B, H, W)`` of full images ``x`` ``(B, 3, H, W)``."""
        return predict_36_crops(self._predict_crops, x, crop=self.hparams.crop_size, chunk=self.hparams.eval_chunk)

    # ------------------------------------------------------------------ evaluation
    def eval_probs(self, x: torch.Tensor, batch_idx: int, stage: str) -> torch.Tensor:
        return self.predict_canvas(x)

    # ------------------------------------------------------------------ checkpoints
    def checkpoint_extra(self) -> dict:
        return {"task": "segmentation", "pretrained_from": self.pretrained_from}

    def load_checkpoint_extra(self, state: dict) -> None:
        self.pretrained_from = state.get("pretrained_from") or self.pretrained_from
