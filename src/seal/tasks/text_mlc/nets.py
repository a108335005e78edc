"""Text task-net and loss-net: an encoder body (full, frozen-bottom or fully frozen) on top of the feature-MLC
heads (``seal-method.md`` B.2).

* Task-net (:class:`TextTaskNet`): encoder -> pooling (``mean`` or ``first`` token) -> feed-forward -> dot
  product with label embeddings -> logits ``(B, L)`` (the paper's text task-net: BERT -> pooler -> FF ->
  label embeddings; here the feed-forward is :class:`seal.nn.FeedForward`, softplus, as in feature MLC).
* Loss-net (:class:`TextScoreNet`): its **own** encoder body (a frozen copy by default) + the local energy with
  its own label embeddings + the global energy ``c2^T softplus(C1 y + b1)`` (:class:`seal.energies.mlc.MLCScoreNet`).

:class:`EncoderBody` runs the encoder part. ``trainable_layers`` chooses what trains and what arrives cached:

* ``None``: the whole encoder (embeddings included) is fine-tuned; input ``input_ids`` + ``attention_mask``.
* ``k`` in ``1..n``: the top ``k`` of the ``n`` transformer layers train, on the cached states after layer
  ``n - k`` (``hidden_{n-k}``, float16 in the cache, computed in float32 here) + ``attention_mask``.
* ``0``: nothing trains; input the cached pooled last-layer features (``pooled_{pooling}``, ``(B, H)``).

Batch inputs are mappings (the DataModule builds only the keys the networks ask for, :meth:`EncoderBody.input_keys`).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence

import torch
from torch import nn

from seal.energies.mlc import MLCScoreNet
from seal.task_nets.mlc import MLCTaskNet
from seal.tasks.text_mlc.features import check_pooling, pool_padded

__all__ = ["EncoderBody", "TextScoreNet", "TextTaskNet", "encoder_shape"]


def encoder_shape(encoder: str | None) -> tuple[int, int]:
    """``(hidden_size, num_hidden_layers)`` from the encoder's config (no weights are read).

    Raises:
        seal.text.EncoderNotFoundError: the encoder folder / package is missing.
    """
    from transformers import AutoConfig

    from seal.text.encoder import resolve_encoder

    cfg = AutoConfig.from_pretrained(resolve_encoder(encoder), local_files_only=True)
    return int(cfg.hidden_size), int(cfg.num_hidden_layers)


class EncoderBody(nn.Module):
    """The encoder part of a text network: ``x`` (a mapping of batch tensors) -> pooled features ``(B, H)``.

    Args:
        encoder: encoder name or folder (:func:`seal.text.encoder.resolve_encoder`).
        trainable_layers: ``None`` (fine-tune all), ``k >= 1`` (top ``k`` layers over cached states), ``0`` (frozen,
            cached pooled features). See the module docstring.
        pooling: ``"mean"`` (over real tokens, special tokens included) or ``"first"``.
        load_weights: copy the pre-trained weights (``False`` builds the architecture only, e.g. when a
            checkpoint's state dict follows).

    Shapes:
        ``x["input_ids"]``, ``x["attention_mask"]``: ``(B, T)`` int64; ``x["hidden_j"]``: ``(B, T, H)``;
        ``x["pooled_mean"]`` / ``x["pooled_first"]``: ``(B, H)``. Output ``(B, H)`` float32.

    Raises:
        ValueError: ``trainable_layers`` outside ``None, 0..n``; an encoder without ``encoder.layer`` (BERT-style)
            when ``k >= 1``; an unknown pooling; a missing input key (named) at forward time.
        seal.text.EncoderNotFoundError: the encoder is missing.
    """

    def __init__(self, encoder: str | None, trainable_layers: int | None, pooling: str = "mean", *,
                 load_weights: bool = True) -> None:
        super().__init__()
        self.pooling = check_pooling(pooling)
        self.hidden_size, self.num_encoder_layers = encoder_shape(encoder)
        n = self.num_encoder_layers
        if trainable_layers is not None and not (isinstance(trainable_layers, int) and 0 <= trainable_layers <= n):
            raise ValueError(f"trainable_layers must be null (fine-tune all) or an integer in [0, {n}], got {trainable_layers!r}")
        self.trainable_layers = trainable_layers
        self.encoder = None
        self.layers = None
        if trainable_layers == 0:
            return
        from transformers import AutoConfig, AutoModel

        from seal.text.encoder import load_encoder, resolve_encoder

        if load_weights:
            model = load_encoder(encoder)
        else:
            model = AutoModel.from_config(AutoConfig.from_pretrained(resolve_encoder(encoder), local_files_only=True))
        if trainable_layers is None:
            self.encoder = model
            self.encoder.train()
            return
        stack = getattr(getattr(model, "encoder", None), "layer", None)
        if not isinstance(stack, nn.ModuleList) or len(stack) != n:
            raise ValueError(f"trainable_layers={trainable_layers} needs a BERT-style encoder (model.encoder.layer with "
                             f"{n} layers); {type(model).__name__} has none: use 0 or null")
        self.layers = copy.deepcopy(stack[n - trainable_layers:]).train()  # load_encoder returns eval mode
        self.config = model.config
        del model

    @property
    def input_key(self) -> str:
        """The batch key of this body's main input (``input_ids``, ``hidden_j`` or ``pooled_{pooling}``)."""
        if self.trainable_layers is None:
            return "input_ids"
        if self.trainable_layers == 0:
            return f"pooled_{self.pooling}"
        return f"hidden_{self.num_encoder_layers - self.trainable_layers}"

    def input_keys(self) -> list[str]:
        """Every batch key this body reads."""
        key = self.input_key
        return [key] if key.startswith("pooled_") else [key, "attention_mask"]

    def _get(self, x: Mapping, key: str) -> torch.Tensor:
        if not isinstance(x, Mapping) or key not in x:
            have = sorted(x) if isinstance(x, Mapping) else type(x).__name__
            raise ValueError(f"the text network needs the batch input {key!r} (trainable_layers="
                             f"{self.trainable_layers}, pooling={self.pooling!r}); the batch has {have}")
        return x[key]

    def forward(self, x: Mapping[str, torch.Tensor]) -> torch.Tensor:
        key = self.input_key
        if self.trainable_layers == 0:
            return self._get(x, key).float()
        mask = self._get(x, "attention_mask")
        if self.encoder is not None:
            from seal.text.encoder import check_token_inputs

            ids = self._get(x, key)
            check_token_inputs(self.encoder, ids, mask, where="text batch")
            states = self.encoder(input_ids=ids, attention_mask=mask).last_hidden_state
        else:
            states = self._get(x, key).float()
            ext = (1.0 - mask[:, None, None, :].to(states.dtype)) * torch.finfo(states.dtype).min
            for layer in self.layers:
                out = layer(states, attention_mask=ext)
                states = out[0] if isinstance(out, (tuple, list)) else out
        return pool_padded(states, mask, self.pooling)


class TextTaskNet(MLCTaskNet):
    """Text task-net: :class:`EncoderBody` -> :class:`~seal.task_nets.mlc.MLCTaskNet` (feed-forward, label
    embeddings). ``x`` (mapping) -> logits ``(B, L)``.

    Args:
        body: the encoder body (its ``hidden_size`` is the feed-forward's input width).
        num_labels, hidden, num_layers, dropout: as :class:`~seal.task_nets.mlc.MLCTaskNet`.
    """

    def __init__(self, body: EncoderBody, num_labels: int, hidden: int, num_layers: int = 1,
                 dropout: float | Sequence[float] = 0.0) -> None:
        super().__init__(body.hidden_size, num_labels, hidden, num_layers, dropout)
        self.body = body

    #: not :meth:`MLCTaskNet.forward_repeated`: the encoder body's dropout differs per copy, so ``task_outputs`` stacks
    #: the batch instead
    forward_repeated = None

    def forward(self, x: Mapping[str, torch.Tensor]) -> torch.Tensor:
        return super().forward(self.body(x))


class TextScoreNet(MLCScoreNet):
    """Text loss-net: its own :class:`EncoderBody` + :class:`~seal.energies.mlc.MLCScoreNet` (local energy with its
    own label embeddings, global energy ``L -> G -> 1`` softplus). Score-net protocol: ``encode(x)`` -> local
    logits ``(B, L)``; ``score(ctx, y)``: ``(B, K, L) -> (B, K)``, ``(B, L) -> (B,)``; higher is better.
    """

    def __init__(self, body: EncoderBody, num_labels: int, hidden: int, num_layers: int = 1,
                 dropout: float | Sequence[float] = 0.0, global_hidden: int = 200) -> None:
        super().__init__(body.hidden_size, num_labels, hidden, num_layers, dropout, global_hidden)
        self.body = body

    def local_logits(self, x: Mapping[str, torch.Tensor]) -> torch.Tensor:
        """``(B, L)`` local scores ``h_θ(body(x)) Uᵀ``."""
        return super().local_logits(self.body(x))

    def score_sparse_input(self, x, cands):
        """Sparse candidates scored from the encoded input (no shortcut past the body)."""
        return self.score_sparse(self.local_logits(x), cands)

    def forward(self, x, y):
        return self.score_from_local(self.local_logits(x), y)
