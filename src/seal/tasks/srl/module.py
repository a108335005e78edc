"""The SRL LightningModule and its ``seal fit`` CLI: cross-entropy, CRF, SEAL-dynamic / static NCE, NCE + GBI.

=====================  ==============================================  ===============================================
method                 training                                        prediction
=====================  ==============================================  ===============================================
``cross-entropy``      task-net, Σ_t CE over real words                argmax of softmax per word
``crf``                task-net logits as CRF emissions, CRF NLL       Viterbi (pytorch-crf)
``seal-dynamic-nce``   S loss-net NCE steps (categorical samples of    argmax of the task-net's softmax
                       the detached task-net, K per example), then
                       the task-net on ``w_s·(−S(x, softmax z)) + CE``
``nce-gbi``            loss-net only, NCE with a **fixed**             GBI on the simplex (``−S``, entropic mirror
                       cross-entropy task-net (``task_checkpoint``)    descent by default), argmax
                       as noise
``seal-static-nce``    task-net on ``w_s·(−S) + CE`` with the frozen   argmax of the task-net's softmax
                       loss-net of an nce-gbi run (``score_checkpoint``)
=====================  ==============================================  ===============================================

(``seal-method.md`` A.2-A.7, B.3, C.1, C.2.) The networks are :class:`~seal.tasks.srl.nets.SRLTaskNet` and
:class:`~seal.tasks.srl.nets.SRLLossNet` over the cached word states of :class:`~seal.tasks.srl.data.SRLDataModule`;
metrics :class:`~seal.tasks.srl.metrics.SRLMetrics`, models selected on validation labeled F1. There is no
BIO-constrained Viterbi (the paper's span SRL decoding, H.16): roles sit on head words, there is no BIO here.
"""

from __future__ import annotations

from pathlib import Path

import torch

from seal.core.spaces import TaggingSpace
from seal.methods.registry import get_method
from seal.training.hparams import (
    GBIOptions,
    ObjectiveSettings,
    PlateauSettings,
    SamplerSettings,
    SRLLossNetHParams,
    SRLTaskNetHParams,
)
from seal.training.seal_module import OptimizerSettings, Schedule, SEALModule, check_weights

__all__ = ["SRL_METHODS", "SRLModule"]

SRL_METHODS = ("cross-entropy", "crf", "seal-dynamic-nce", "seal-static-nce", "nce-gbi", "seal-dynamic-ranking")


_LAST_LAYER: dict[str, torch.nn.Module] = {}


def _encoder_last_layer(encoder: str | None) -> torch.nn.Module:
    """The encoder's last transformer layer (loaded once per process; :class:`SRLTaskNet` deep-copies it)."""
    from seal.text.encoder import load_encoder, resolve_encoder

    path = resolve_encoder(encoder)
    if path not in _LAST_LAYER:
        _LAST_LAYER[path] = load_encoder(path).encoder.layer[-1]
    return _LAST_LAYER[path]


class SRLModule(SEALModule):
    """SEAL on SRL (see the module docstring), from typed hyper-parameter groups (:mod:`seal.training.hparams`), as
    the configs' ``model:`` groups.

    Args:
        method: one of :data:`SRL_METHODS`.
        num_tags: number of role tags C (int; the output layer's width): ``O``, ``V`` and every role of the
            data. Set from the data by ``seal fit`` (linked from ``data.num_tags``; do not give it).
        hidden_size: width H of the cached encoder word states (int; the encoder's hidden size, e.g. 384 for
            MiniLM). Set from the data by ``seal fit`` (linked from ``data.hidden_size``; do not give it).
        label_names: the C role names in tag-id order (list of str). Set from the data by ``seal fit`` (linked
            from ``data.label_names``); stored in the checkpoint for ``seal predict``.
        encoder: the encoder, only for ``task_net.top="encoder-layer"`` (its last layer, trained, is the top;
            the word states themselves come cached from the DataModule).
        task_net: the top over the word states (:class:`~seal.training.hparams.SRLTaskNetHParams`).
        loss_net: the local energy's width, the global energy and its attention
            (:class:`~seal.training.hparams.SRLLossNetHParams`).
        optimizer, loss_net_optimizer: AdamW and clipping per network (:class:`~seal.training.seal_module.OptimizerSettings`).
        schedule: ``S`` and ``T`` (:class:`~seal.training.seal_module.Schedule`).
        objective: ``w_s`` and the masked CE's weight (:class:`~seal.training.hparams.ObjectiveSettings`).
        sampler: ``K`` categorical samples per position sequence (:class:`~seal.training.hparams.SamplerSettings`).
        plateau: ReduceLROnPlateau on validation labeled F1 (task-net optimizer, or the loss-net's where the
            task-net is not trained).
        gbi: test-time GBI of ``nce-gbi``: ``init`` (``"uniform"`` or ``"task-net"``), ``method``, ``lr``, ``steps``
            (:class:`~seal.training.hparams.GBIOptions`; the other fields are not used here).
        task_checkpoint: nce-gbi's fixed cross-entropy task-net (a checkpoint or run directory; ``{seed}``).
        score_checkpoint: seal-static-nce's frozen nce-gbi loss-net.

    Raises:
        ValueError: unknown method or bad weights; at ``setup("fit")``: a missing checkpoint argument (nce-gbi,
            seal-static-nce), or a checkpoint whose weights do not fit.
    """

    selection_metric = "labeled_f1"
    hparams_task = "srl"

    def __init__(
        self,
        method: str = "cross-entropy",
        num_tags: int = 2,
        hidden_size: int = 384,
        label_names: list[str] | None = None,
        encoder: str | None = None,
        task_net: SRLTaskNetHParams = SRLTaskNetHParams(),
        loss_net: SRLLossNetHParams = SRLLossNetHParams(),
        optimizer: OptimizerSettings = OptimizerSettings(lr=1e-5, weight_decay=1e-5, grad_clip=1.0),
        loss_net_optimizer: OptimizerSettings = OptimizerSettings(lr=1e-5, weight_decay=1e-5, grad_clip=None),
        schedule: Schedule = Schedule(),
        objective: ObjectiveSettings = ObjectiveSettings(score_loss_weight=0.5),
        sampler: SamplerSettings = SamplerSettings(num_samples=400),
        plateau: PlateauSettings = PlateauSettings(patience=2, factor=0.5),
        gbi: GBIOptions = GBIOptions(init="uniform", method="mirror", lr=1.0, steps=20),
        task_checkpoint: str | None = None,
        score_checkpoint: str | None = None,
    ) -> None:
        super().__init__()
        groups = self.save_grouped_hparams(
            {"method": method, "num_tags": num_tags, "hidden_size": hidden_size, "label_names": label_names,
             "encoder": encoder, "task_checkpoint": task_checkpoint, "score_checkpoint": score_checkpoint},
            {"task_net": task_net, "loss_net": loss_net, "optimizer": optimizer, "loss_net_optimizer": loss_net_optimizer,
             "schedule": schedule, "objective": objective, "sampler": sampler, "plateau": plateau, "gbi": gbi},
        )
        if method not in SRL_METHODS:
            raise ValueError(f"unknown SRL method {method!r}; known: {', '.join(SRL_METHODS)}")
        spec = get_method(method)
        t, ln, g = groups["task_net"], groups["loss_net"], groups["gbi"]
        self.gbi_options = g
        if spec.trains_task_net and spec.uses_score_net and groups["objective"].score_loss_weight == 0:
            raise ValueError(f"method {method!r} needs score_loss_weight > 0 (w_s); 0 is plain cross-entropy")
        if g.init not in ("uniform", "task-net"):
            raise ValueError(f"gbi_init must be 'uniform' or 'task-net', got {g.init!r}")
        if g.method not in ("adam", "sgd", "mirror") or g.lr is None or g.steps is None:
            raise ValueError(f"gbi needs method (adam, sgd, mirror), lr and steps; got {g}")
        check_weights(gbi_lr=g.lr)
        from seal.tasks.srl.metrics import SRLMetrics
        from seal.tasks.srl.nets import SRLLossNet, SRLTaskNet

        enc_layer = None
        if t.top == "encoder-layer" and spec.uses_task_net_for_training:
            enc_layer = _encoder_last_layer(encoder)
        space = TaggingSpace(null_tag=0)
        task_net = None
        if spec.uses_task_net_for_training:
            task_net = SRLTaskNet(
                hidden_size, num_tags, t.top, t.d_model, t.n_heads, t.ff_dim, t.top_layers, t.dropout, enc_layer
            )
        score_net = None
        if spec.uses_score_net:
            score_net = SRLLossNet(
                hidden_size, num_tags, ln.hidden, ln.global_energy, ln.attention_dim, ln.attention_dropout,
                t.dropout if ln.dropout is None else ln.dropout,
            )
        loss_net_loss, task_loss = spec.build_objectives(self.flat_hparams, space)
        self.setup_seal(
            spec=spec, space=space, task_net=task_net, score_net=score_net, loss_net_loss=loss_net_loss,
            task_loss=task_loss, schedule=groups["schedule"],
            task_optimizer=groups["optimizer"], score_optimizer=groups["loss_net_optimizer"],
            plateau_patience=groups["plateau"].patience, plateau_factor=groups["plateau"].factor, plateau_on_all=False,
        )
        labels = list(label_names) if label_names else [str(i) for i in range(num_tags)]
        if len(labels) != num_tags:
            raise ValueError(f"label_names has {len(labels)} names for num_tags {num_tags}")
        self.val_metrics = SRLMetrics(labels)
        self.test_metrics = SRLMetrics(labels)
        self.pretrained_from: dict[str, str] = {}

    # ------------------------------------------------------------------ fixed / frozen networks
    def _load_sub(self, path: str, prefix: str, net: torch.nn.Module, what: str) -> Path:
        from seal.methods.pretrained import resolve_run_checkpoint
        from seal.training.checkpoint import load_checkpoint

        ckpt_path = resolve_run_checkpoint(path, what)
        ckpt = load_checkpoint(ckpt_path, map_location="cpu")
        state = ckpt.get("state_dict", ckpt) if isinstance(ckpt, dict) else {}
        sub = {k[len(prefix):]: v for k, v in state.items() if isinstance(k, str) and k.startswith(prefix)}
        if not sub:
            raise ValueError(f"{what} {ckpt_path}: the checkpoint holds no {prefix}* weights")
        own = net.state_dict()
        bad = sorted(set(own) ^ set(sub)) + [k for k in own if k in sub and tuple(sub[k].shape) != tuple(own[k].shape)]
        if bad:
            raise ValueError(f"{what} {ckpt_path}: {prefix}* weights do not fit this network (keys/shapes differ: {bad[:4]})")
        net.load_state_dict(sub)
        net.requires_grad_(False)
        self.pretrained_from[what] = str(ckpt_path)
        return ckpt_path

    def setup(self, stage: str) -> None:
        if self._trainer is not None and self.trainer.world_size > 1:
            raise ValueError("SRL training runs on one device")
        if stage == "fit":
            if self.spec.frozen_score_net and not self.hparams.score_checkpoint:
                raise ValueError(f"method {self.spec.name!r} needs score_checkpoint (an nce-gbi checkpoint or run directory)")
            if self.spec.needs_task_checkpoint and not self.hparams.task_checkpoint:
                raise ValueError(f"method {self.spec.name!r} needs task_checkpoint (a cross-entropy checkpoint or run directory)")
            if self.spec.needs_task_checkpoint and "task_checkpoint" not in self.pretrained_from:
                self._load_sub(self.hparams.task_checkpoint, "task_net.", self.task_net, "task_checkpoint")
            if self.spec.frozen_score_net and "score_checkpoint" not in self.pretrained_from:
                self._load_sub(self.hparams.score_checkpoint, "score_net.", self.score_net, "score_checkpoint")
        if self.spec.frozen_score_net and self.score_net is not None:
            self.score_net.requires_grad_(False)
        if self.task_net is not None and not self.spec.trains_task_net:
            self.task_net.requires_grad_(False)

    def task_parameters(self) -> list[torch.nn.Parameter]:
        """The task-net's parameters plus the CRF's (``crf``)."""
        extra = list(self.task_loss.parameters()) if self.task_loss is not None else []
        return list(self.task_net.parameters()) + extra

    # ------------------------------------------------------------------ prediction
    def predict_tags_onehot(self, x: dict, mask: torch.Tensor | None = None) -> torch.Tensor:
        """The prediction ``(B, T, C)``: softmax (task-net methods), one-hot Viterbi (``crf``) or the GBI iterate
        (``nce-gbi``); zero at padded positions."""
        m = x["mask"] if mask is None else mask
        if self.spec.predict_with_gbi:
            return self.gbi_predict(x, m)
        with torch.no_grad():
            z = self.task_net(x)
            if self.spec.name == "crf":
                from seal.objectives.crf import viterbi_one_hot

                return viterbi_one_hot(self.task_loss, z, m)
            return self.space.relax(z, m)

    def gbi_predict(self, x: dict, mask: torch.Tensor) -> torch.Tensor:
        """GBI on the simplex per word: minimise ``−S(x, y)`` from uniform ``1/C`` (or the fixed task-net's
        softmax) by ``gbi_method`` for ``gbi_steps`` steps, best iterate (``seal.inference.gbi``)."""
        from seal.inference.gbi import gradient_based_inference

        g, num_tags = self.gbi_options, self.hparams.num_tags
        net = self.score_net
        m = mask.bool()
        with torch.no_grad():
            ctx = net.encode(x)
            if g.init == "task-net" and self.task_net is not None:
                init = torch.softmax(self.task_net(x), -1)
            else:
                init = torch.full((*m.shape, num_tags), 1.0 / num_tags, device=m.device)
        res = gradient_based_inference(
            lambda v: -net.score(ctx, v), init, space="simplex", method=g.method, lr=g.lr, steps=g.steps,
        )
        return res.y.detach() * m.unsqueeze(-1).to(res.y.dtype)

    def eval_probs(self, x, batch_idx: int, stage: str, mask: torch.Tensor | None = None) -> torch.Tensor:
        return self.predict_tags_onehot(x, mask)

    def forward(self, x: dict) -> torch.Tensor:
        """Predicted tag ids ``(B, T)`` (0 at padding)."""
        p = self.predict_tags_onehot(x)
        return torch.where(x["mask"].bool(), p.argmax(-1), torch.zeros_like(x["mask"], dtype=torch.long))

    # ------------------------------------------------------------------ checkpoints
    def checkpoint_extra(self) -> dict:
        return {"task": "srl", "pretrained_from": dict(self.pretrained_from)}

    def load_checkpoint_extra(self, state: dict) -> None:
        self.pretrained_from = dict(state.get("pretrained_from") or self.pretrained_from)
