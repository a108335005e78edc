"""SRL networks over cached frozen-encoder word states: the task-net (tagger) and the loss-net (energy).

Input ``x`` of every network is the batch mapping of :class:`seal.tasks.srl.data.SRLDataModule`:
``states`` ``(B, T, H)`` frozen word states (first word-piece), ``predicate`` ``(B,)`` the predicate's word index,
``mask`` ``(B, T)`` real words.

* :class:`SRLTaskNet` (``seal-method.md`` B.3 task-net, CPU form): a predicate-indicator embedding added to the
  word states, a small trainable top (``"transformer"``: a projection to ``d_model`` and ``top_layers`` fresh
  transformer-encoder layers; ``"encoder-layer"``: a trainable copy of the encoder's own last layer run on the
  cached states of the layer below it; ``"bilstm"``), then per word ``Linear([h_t ; h_pred]) -> C`` logits
  ``(B, T, C)``. Padded words never reach a real word (key padding mask) and their logits are ignored downstream.
* :class:`SRLLossNet` (B.3 loss-net): ``S(x, y) = Σ_{t real} y_t · U(x)_t + S_global(y)``; ``U(x)`` from its **own**
  head over the frozen states (nothing trainable is shared with the task-net), the global energy either
  :class:`TagSelfAttentionEnergy` (the paper's ``self-attention-full-sequence``) or :class:`LinearChainEnergy`.
  Implements the score-net protocol and ``score_indices`` (index candidates: no ``(B, K, T, C)`` one-hot).

Padding never enters a score: candidates are zero at padded positions, the attention ignores padded keys, and
every per-position term is multiplied by the mask before summing.
"""

from __future__ import annotations

import copy
import math

import torch
from torch import Tensor, nn

__all__ = ["LinearChainEnergy", "SRLLossNet", "SRLTaskNet", "TagSelfAttentionEnergy", "sinusoidal_positions"]


def sinusoidal_positions(T: int, dim: int, device=None, dtype=None) -> Tensor:
    """Transformer sinusoidal position features ``(T, dim)``: ``sin(t / 10000^(2i/dim))`` in even columns,
    ``cos`` in odd ones (Vaswani et al. 2017)."""
    pos = torch.arange(T, device=device, dtype=torch.float32).unsqueeze(1)
    div = torch.exp(torch.arange(0, dim, 2, device=device, dtype=torch.float32) * (-math.log(10000.0) / dim))
    pe = torch.zeros(T, dim, device=device)
    pe[:, 0::2] = torch.sin(pos * div)
    pe[:, 1::2] = torch.cos(pos * div)[:, : dim // 2]
    return pe.to(dtype or torch.get_default_dtype())


def _indicator(x: dict) -> Tensor:
    states, pred = x["states"], x["predicate"]
    ind = torch.zeros(states.shape[:2], dtype=torch.long, device=states.device)
    ind[torch.arange(states.shape[0], device=states.device), pred] = 1
    return ind


def _pred_rows(h: Tensor, pred: Tensor) -> Tensor:
    """``h[b, pred[b]]`` broadcast over positions: ``(B, T, D)``."""
    return h[torch.arange(h.shape[0], device=h.device), pred].unsqueeze(1).expand_as(h)


class SRLTaskNet(nn.Module):
    """Per-word role logits from cached word states (see the module docstring).

    Args:
        hidden_size: ``H`` of the cached states.
        num_tags: ``C``.
        top: ``"transformer"``, ``"encoder-layer"`` or ``"bilstm"``.
        d_model, n_heads, ff_dim, top_layers, dropout: the ``"transformer"`` / ``"bilstm"`` top.
        encoder_layer: for ``top="encoder-layer"``, the encoder's last layer (an HF ``BertLayer``-like module taking
            ``(hidden, attention_mask)``); deep-copied and trained.

    Shapes: ``forward(x) -> (B, T, C)``; :meth:`features` ``-> (B, T, D)``.

    Raises:
        ValueError: an unknown ``top``, or ``"encoder-layer"`` without ``encoder_layer``.
    """

    def __init__(
        self, hidden_size: int, num_tags: int, top: str = "transformer", d_model: int = 256, n_heads: int = 4,
        ff_dim: int = 512, top_layers: int = 1, dropout: float = 0.1, encoder_layer: nn.Module | None = None,
    ) -> None:
        super().__init__()
        self.top = top
        if top == "encoder-layer":
            if encoder_layer is None:
                raise ValueError("SRLTaskNet: top='encoder-layer' needs the encoder's last layer")
            self.layer = copy.deepcopy(encoder_layer)
            self.layer.requires_grad_(True)
            d = hidden_size
            self.indicator = nn.Embedding(2, d)
            nn.init.normal_(self.indicator.weight, std=0.02)
        elif top in ("transformer", "bilstm"):
            d = d_model
            self.proj = nn.Linear(hidden_size, d)
            self.indicator = nn.Embedding(2, d)
            if top == "transformer":
                self.layers = nn.TransformerEncoder(
                    nn.TransformerEncoderLayer(d, n_heads, ff_dim, dropout, batch_first=True), top_layers,
                    enable_nested_tensor=False,
                )
            else:
                self.lstm = nn.LSTM(d, d // 2, num_layers=top_layers, batch_first=True, bidirectional=True)
        else:
            raise ValueError(f"SRLTaskNet: unknown top {top!r} (transformer, encoder-layer, bilstm)")
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Linear(2 * d, num_tags)

    def features(self, x: dict) -> Tensor:
        states, mask = x["states"], x["mask"].bool()
        ind = _indicator(x)
        if self.top == "encoder-layer":
            h = states + self.indicator(ind)
            ext = torch.zeros(mask.shape, dtype=h.dtype, device=h.device).masked_fill(~mask, torch.finfo(h.dtype).min)
            out = self.layer(h, attention_mask=ext[:, None, None, :])
            h = out[0] if isinstance(out, tuple) else out
        else:
            h = self.proj(states) + self.indicator(ind)
            if self.top == "transformer":
                h = self.layers(h, src_key_padding_mask=~mask)
            else:
                lengths = mask.sum(1).cpu()
                packed = nn.utils.rnn.pack_padded_sequence(h, lengths, batch_first=True, enforce_sorted=False)
                h, _ = self.lstm(packed)
                h, _ = nn.utils.rnn.pad_packed_sequence(h, batch_first=True, total_length=mask.shape[1])
        h = h * mask.unsqueeze(-1).to(h.dtype)
        return torch.cat([h, _pred_rows(h, x["predicate"])], -1)

    def forward(self, x: dict) -> Tensor:
        return self.out(self.dropout(self.features(x)))


class TagSelfAttentionEnergy(nn.Module):
    """The paper's global tag energy (``self-attention-full-sequence``, ``seal-method.md`` B.3).

    For tag distributions ``y`` ``(N, T, C)`` (zero at padding) and a mask ``(N, T)``::

        h = y W_in + PE            (W_in: C -> d, no bias; PE sinusoidal, d)
        a = softmax(h W_q (h W_k)^T / sqrt(d), over real keys) · h W_v     (one head; attention dropout)
        o = a W_out                (d -> C)
        S_global(y) = Σ_{t real} max_c o_tc

    Shapes: ``forward(y (N, T, C), mask (N, T)) -> (N,)``; ``forward_indices(tags (N, T), mask) -> (N,)`` equals
    ``forward`` of the one-hot tags (``y W_in`` is a row lookup).
    """

    def __init__(self, num_tags: int, dim: int = 128, dropout: float = 0.1) -> None:
        super().__init__()
        self.dim = dim
        self.w_in = nn.Linear(num_tags, dim, bias=False)
        self.q = nn.Linear(dim, dim)
        self.k = nn.Linear(dim, dim)
        self.v = nn.Linear(dim, dim)
        self.w_out = nn.Linear(dim, num_tags)
        self.dropout = nn.Dropout(dropout)

    def _from_embedded(self, e: Tensor, mask: Tensor) -> Tensor:
        N, T, _ = e.shape
        m = mask.bool()
        h = e + sinusoidal_positions(T, self.dim, e.device, e.dtype)
        att = self.q(h) @ self.k(h).transpose(1, 2) / math.sqrt(self.dim)
        att = att.masked_fill(~m[:, None, :], torch.finfo(att.dtype).min)
        att = self.dropout(torch.softmax(att, -1))
        o = self.w_out(att @ self.v(h))
        return (o.max(-1).values * m.to(o.dtype)).sum(-1)

    def forward(self, y: Tensor, mask: Tensor) -> Tensor:
        return self._from_embedded(self.w_in(y * mask.unsqueeze(-1).to(y.dtype)), mask)

    def forward_indices(self, tags: Tensor, mask: Tensor) -> Tensor:
        """Same value as ``forward`` of the one-hot tags, without a ``(N, T, d)`` matmul: every projection of a
        one-hot row is a row of a ``(C, d)`` table plus a per-position ``(T, d)`` term (linearity), so queries, keys
        and the value-then-output projection are gathers; only the two ``T × T`` attention products remain."""
        N, T = tags.shape
        m = mask.bool()
        wi = self.w_in.weight.t()  # (C, d): y W_in of a one-hot row
        C = wi.shape[0]
        idx = torch.where(m, tags, torch.full_like(tags, C))  # padded positions -> an all-zero extra row

        def table(t: Tensor) -> Tensor:
            return torch.cat([t, t.new_zeros(1, t.shape[1])])[idx]

        pe = sinusoidal_positions(T, self.dim, tags.device, wi.dtype)
        q = table(wi @ self.q.weight.t()) + self.q(pe)
        k = table(wi @ self.k.weight.t()) + self.k(pe)
        wo = self.w_out.weight.t()  # (d, C)
        vo = table(wi @ self.v.weight.t() @ wo) + self.v(pe) @ wo  # v(h) W_outᵀ, (N, T, C)
        att = q @ k.transpose(1, 2) / math.sqrt(self.dim)
        att = att.masked_fill(~m[:, None, :], torch.finfo(att.dtype).min)
        att = self.dropout(torch.softmax(att, -1))
        o = att @ vo + self.w_out.bias
        return (o.max(-1).values * m.to(o.dtype)).sum(-1)


class LinearChainEnergy(nn.Module):
    """Linear-chain (transition) global energy (``seal-method.md`` B.3 alternative): for ``y`` ``(N, T, C)`` and a
    left-aligned mask, ``S = Σ_{t>=1, t real} y_{t-1}ᵀ A y_t + start · y_0 + end · y_{last real}``. Relaxed ``y``
    allowed. ``forward_indices(tags (N, T), mask)`` equals ``forward`` of the one-hot tags."""

    def __init__(self, num_tags: int) -> None:
        super().__init__()
        self.trans = nn.Parameter(torch.zeros(num_tags, num_tags))
        self.start = nn.Parameter(torch.zeros(num_tags))
        self.end = nn.Parameter(torch.zeros(num_tags))
        nn.init.normal_(self.trans, std=0.01)

    def forward(self, y: Tensor, mask: Tensor) -> Tensor:
        m = mask.to(y.dtype)
        y = y * m.unsqueeze(-1)
        pair = ((y[:, :-1] @ self.trans) * y[:, 1:]).sum(-1) * m[:, 1:]
        last = (mask.long().sum(1) - 1).clamp_min(0)
        y_last = y[torch.arange(y.shape[0], device=y.device), last]
        return pair.sum(-1) + y[:, 0] @ self.start * m[:, 0] + y_last @ self.end

    def forward_indices(self, tags: Tensor, mask: Tensor) -> Tensor:
        m = mask.to(self.trans.dtype)
        pair = self.trans[tags[:, :-1], tags[:, 1:]] * m[:, 1:] * m[:, :-1]
        last = (mask.long().sum(1) - 1).clamp_min(0)
        t_last = tags[torch.arange(tags.shape[0], device=tags.device), last]
        any_real = m[:, 0]
        return pair.sum(-1) + self.start[tags[:, 0]] * any_real + self.end[t_last] * any_real


class SRLLossNet(nn.Module):
    """``S(x, y) = Σ_{t real} y_t · U(x)_t + S_global(y)`` (score-net protocol; scores, higher is better).

    ``U(x)`` ``(B, T, C)``: a two-layer MLP over ``[s_t ; s_pred ; indicator]`` of the frozen word states (its
    own parameters; the frozen encoder is shared as a cache only).

    Args:
        hidden_size, num_tags: ``H``, ``C``.
        hidden: MLP width.
        global_energy: ``"self-attention"``, ``"linear-chain"`` or ``"none"``.
        attention_dim, attention_dropout: of :class:`TagSelfAttentionEnergy`.

    Shapes: ``encode(x) -> ctx``; ``score(ctx, y (B, K, T, C)) -> (B, K)``, ``score(ctx, y (B, T, C)) -> (B,)``;
    ``score_indices(ctx, tags (B, K, T), mask) -> (B, K)``.
    """

    def __init__(
        self, hidden_size: int, num_tags: int, hidden: int = 256, global_energy: str = "self-attention",
        attention_dim: int = 128, attention_dropout: float = 0.1, dropout: float = 0.1,
    ) -> None:
        super().__init__()
        self.indicator = nn.Embedding(2, 16)
        self.local = nn.Sequential(
            nn.Linear(2 * hidden_size + 16, hidden), nn.GELU(), nn.Dropout(dropout), nn.Linear(hidden, num_tags)
        )
        if global_energy == "self-attention":
            self.global_energy = TagSelfAttentionEnergy(num_tags, attention_dim, attention_dropout)
        elif global_energy == "linear-chain":
            self.global_energy = LinearChainEnergy(num_tags)
        elif global_energy == "none":
            self.global_energy = None
        else:
            raise ValueError(f"SRLLossNet: unknown global_energy {global_energy!r} (self-attention, linear-chain, none)")

    def encode(self, x: dict) -> dict:
        s = x["states"]
        feats = torch.cat([s, _pred_rows(s, x["predicate"]), self.indicator(_indicator(x))], -1)
        mask = x["mask"].bool()
        return {"local": self.local(feats) * mask.unsqueeze(-1).to(s.dtype), "mask": mask}

    def score(self, ctx: dict, y: Tensor) -> Tensor:
        single = y.dim() == 3
        yk = y.unsqueeze(1) if single else y
        B, K, T, C = yk.shape
        m = ctx["mask"]
        yk = yk * m[:, None, :, None].to(yk.dtype)
        s = (yk * ctx["local"].unsqueeze(1)).sum((-2, -1))
        if self.global_energy is not None:
            mk = m.unsqueeze(1).expand(B, K, T).reshape(B * K, T)
            s = s + self.global_energy(yk.reshape(B * K, T, C), mk).view(B, K)
        return s[:, 0] if single else s

    def score_indices(self, ctx: dict, tags: Tensor, mask: Tensor | None = None) -> Tensor:
        from seal.core.spaces import TaggingSpace

        m = ctx["mask"] if mask is None else mask.bool()
        B, K, T = tags.shape
        s = TaggingSpace.local_score_indices(ctx["local"], tags, m)
        if self.global_energy is not None:
            mk = m.unsqueeze(1).expand(B, K, T).reshape(B * K, T)
            s = s + self.global_energy.forward_indices(tags.reshape(B * K, T), mk).view(B, K)
        return s
