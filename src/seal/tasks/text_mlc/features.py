"""Tokenization and frozen-encoder features of a text dataset, computed once and cached on disk.

Three cached kinds (:func:`seal.text.cache.cached_tensors`, safetensors under ``$SEAL_CACHE_DIR``):

* ``text-tokens``: one source file's word-piece ids, truncated to ``max_length`` (special tokens included),
  packed: ``ids`` ``(N_tokens,)`` int32, ``offsets`` ``(N + 1,)`` int64, and ``lengths`` ``(N,)`` int64, each
  document's length *before* truncation (so truncation is counted: documents truncated, tokens lost). Key: the
  dataset, the source, the file's sha256, the tokenizer (folder and the sha256 of its vocabulary files) and
  ``max_length``.
* ``text-hidden``: the frozen encoder's token states after layer ``j`` (``j`` indexes ``output_hidden_states``: 0 =
  embeddings), packed like the ids, float16 (:func:`seal.text.encoder.frozen_hidden_states`). Feeds a task-net
  or loss-net whose top ``n - j`` layers train (a frozen, cached bottom).
* ``text-pooled``: the frozen encoder's last layer pooled per document (``mean`` over the real tokens, special
  tokens included, as sentence-transformers do; or the ``first`` token's state), ``(N, H)`` float32. Feeds a
  fully frozen encoder (the default loss-net, and the CPU variant A task-net).

The feature keys add the encoder (folder and the sha256 of its weight files), the layer or pooling and the
storage dtype to the token key. A key that does not match a stored file, or a corrupt file, is rebuilt (one
logged line), never reused; writes are atomic.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import torch

__all__ = [
    "POOLINGS",
    "encoder_fingerprint",
    "frozen_features",
    "pool_packed",
    "pool_padded",
    "token_cache",
    "tokenize_texts",
]

POOLINGS = ("mean", "first")
TOKENS_VERSION = 1
FEATURES_VERSION = 1


def check_pooling(pooling: str) -> str:
    if pooling not in POOLINGS:
        raise ValueError(f"pooling must be one of {POOLINGS}, got {pooling!r}")
    return pooling


def _files_sha(folder: str, names: tuple[str, ...]) -> dict[str, str]:
    from seal.text.cache import sha256_of

    out = {}
    p = Path(folder)
    if p.is_dir():
        for n in names:
            if (p / n).is_file():
                out[n] = sha256_of(p / n)
    return out


def encoder_fingerprint(resolved: str, *, tokenizer: bool = False) -> dict[str, Any]:
    """``{"path": resolved, "files": {name: sha256}}`` of an encoder folder's weight files (or, with
    ``tokenizer=True``, its vocabulary / tokenizer files): part of every cache key, so that new weights or a
    new vocabulary never reuse old entries."""
    names = (("tokenizer.json", "vocab.txt", "tokenizer_config.json", "special_tokens_map.json") if tokenizer
             else ("model.safetensors", "pytorch_model.bin", "config.json"))
    return {"path": str(resolved), "files": _files_sha(resolved, names)}


def tokenize_texts(tokenizer: Any, texts: list[str], max_length: int | None, *, chunk: int = 2048) -> dict[str, torch.Tensor]:
    """Word-piece ids of ``texts`` with the tokenizer's special tokens, truncated to ``max_length``.

    Truncation keeps the first ``max_length - n_special`` word-pieces of the text and then adds the special tokens
    (``[CLS] ... [SEP]`` for BERT-style tokenizers), so a truncated document is exactly ``max_length`` long.

    Args:
        tokenizer: a ``transformers`` tokenizer (``num_special_tokens_to_add``,
            ``build_inputs_with_special_tokens``).
        texts: N non-empty strings.
        max_length: the longest sequence kept (special tokens included); ``None``: no truncation.
        chunk: texts per tokenizer call.

    Returns:
        ``{"ids": (N_tokens,) int32, "offsets": (N + 1,) int64, "lengths": (N,) int64}``, ``lengths`` counted
        before truncation (special tokens included).

    Raises:
        ValueError: ``max_length`` too small for the special tokens plus one word-piece; a text with no
            word-pieces (names its index).
    """
    n_special = int(tokenizer.num_special_tokens_to_add(pair=False))
    if max_length is not None and max_length < n_special + 1:
        raise ValueError(f"max_length={max_length} leaves no room for text ({n_special} special tokens)")
    pieces: list[np.ndarray] = []
    lengths = np.zeros(len(texts), dtype=np.int64)
    for start in range(0, len(texts), chunk):
        enc = tokenizer(texts[start:start + chunk], add_special_tokens=False, truncation=False)["input_ids"]
        for j, ids in enumerate(enc):
            i = start + j
            if not ids:
                raise ValueError(f"text {i} has no word-pieces after tokenization: {texts[i][:60]!r}")
            lengths[i] = len(ids) + n_special
            if max_length is not None:
                ids = ids[: max_length - n_special]
            pieces.append(np.asarray(tokenizer.build_inputs_with_special_tokens(ids), dtype=np.int32))
    kept = np.array([len(p) for p in pieces], dtype=np.int64)
    offsets = np.zeros(len(texts) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum(kept)
    ids = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.int32)
    return {"ids": torch.from_numpy(ids), "offsets": torch.from_numpy(offsets), "lengths": torch.from_numpy(lengths)}


def token_cache(
    *, dataset: str, source: str, file_sha256: str, texts: list[str], encoder: str | None, max_length: int,
    cache_dir: str | os.PathLike | None = None, log=print,
) -> tuple[dict[str, torch.Tensor], dict]:
    """Tokenize one source file's ``texts`` (cached). Returns ``(tensors, key)`` (see :func:`tokenize_texts`);
    ``key`` is the cache key, reused inside the feature keys."""
    from seal.text.cache import cached_tensors
    from seal.text.encoder import load_tokenizer, resolve_encoder

    resolved = resolve_encoder(encoder)
    key = {
        "version": TOKENS_VERSION, "dataset": dataset, "source": source, "file_sha256": file_sha256,
        "n_documents": len(texts), "tokenizer": encoder_fingerprint(resolved, tokenizer=True),
        "max_length": int(max_length),
    }
    tensors = cached_tensors(
        "text-tokens", key, lambda: tokenize_texts(load_tokenizer(resolved), texts, max_length),
        cache_dir=cache_dir, log=log,
    )
    return tensors, key


def pool_packed(packed: torch.Tensor, offsets: torch.Tensor, pooling: str, *, chunk: int = 1024) -> torch.Tensor:
    """Pool packed token states per sequence: ``(N_tokens, H)`` + offsets ``(N + 1,)`` -> ``(N, H)`` float32.

    ``mean``: the average of each sequence's states (all its tokens, special ones included); ``first``: its first
    token's state (``[CLS]`` for BERT-style encoders).
    """
    check_pooling(pooling)
    offsets = offsets.long()
    n = offsets.numel() - 1
    if pooling == "first":
        return packed[offsets[:-1]].float()
    lengths = offsets[1:] - offsets[:-1]
    out = torch.zeros(n, packed.shape[1], dtype=torch.float32)
    for a in range(0, n, chunk):  # in float32, a chunk of sequences at a time (the packed states may be float16)
        b = min(a + chunk, n)
        seg = torch.repeat_interleave(torch.arange(a, b), lengths[a:b])
        out.index_add_(0, seg, packed[offsets[a]:offsets[b]].float())
    return out / lengths.clamp_min(1).unsqueeze(1).float()


def pool_padded(states: torch.Tensor, mask: torch.Tensor, pooling: str) -> torch.Tensor:
    """Pool padded token states ``(B, T, H)`` with the attention mask ``(B, T)`` (1 = real token) -> ``(B, H)``;
    the same values as :func:`pool_packed` on the unpadded sequences."""
    check_pooling(pooling)
    if pooling == "first":
        return states[:, 0]
    m = mask.to(states.dtype).unsqueeze(-1)
    return (states * m).sum(1) / m.sum(1).clamp_min(1.0)


def frozen_features(
    kind: str, *, tokens: dict[str, torch.Tensor], token_key: dict, encoder: str | None, layer: int | None = None,
    pooling: str | None = None, batch_size: int = 32, cache_dir: str | os.PathLike | None = None, log=print,
    progress: bool = True,
) -> dict[str, torch.Tensor]:
    """Frozen-encoder features of one tokenized source, computed once and cached.

    Args:
        kind: ``"hidden"`` (packed float16 states after ``layer``, ``{"states": (N_tokens, H)}``, rows aligned
            with ``tokens["ids"]``) or ``"pooled"`` (``{"pooled": (N, H)}`` float32, the last layer pooled with
            ``pooling``; token states pass through float16 before pooling).
        tokens, token_key: from :func:`token_cache`.
        encoder: the encoder (name or folder, :func:`seal.text.encoder.resolve_encoder`).
        layer: for ``"hidden"``: index into ``output_hidden_states`` (0 = embeddings), ``0 <= layer <=
            num_hidden_layers``.
        pooling: for ``"pooled"``: ``"mean"`` or ``"first"``.
        batch_size: sequences per frozen forward pass.

    Raises:
        ValueError: an unknown kind, a layer out of range, an unknown pooling; token ids the encoder cannot embed.
    """
    from seal.text.cache import cached_tensors
    from seal.text.encoder import frozen_hidden_states, load_encoder, resolve_encoder

    resolved = resolve_encoder(encoder)
    key = {"version": FEATURES_VERSION, "tokens": token_key, "encoder": encoder_fingerprint(resolved)}
    ids = tokens["ids"].long()
    offsets = tokens["offsets"].long()

    def seqs() -> list[list[int]]:
        return [ids[offsets[i]:offsets[i + 1]].tolist() for i in range(offsets.numel() - 1)]

    if kind == "hidden":
        if layer is None or int(layer) < 0:
            raise ValueError(f"kind 'hidden' needs a layer >= 0 (index into output_hidden_states), got {layer!r}")
        key.update(layer=int(layer), dtype="float16")

        def build():
            enc = load_encoder(resolved)
            n_layers = int(enc.config.num_hidden_layers)
            if int(layer) > n_layers:
                raise ValueError(f"layer {layer} is beyond the encoder's {n_layers} layers")
            states, off = frozen_hidden_states(enc, seqs(), layer=int(layer), batch_size=batch_size,
                                               progress=progress, dtype=torch.float16)
            if not torch.equal(off, offsets):
                raise RuntimeError("frozen_hidden_states returned offsets that differ from the tokens'")
            return {"states": states}

        return cached_tensors("text-hidden", key, build, cache_dir=cache_dir, log=log)
    if kind == "pooled":
        check_pooling(pooling or "")
        key.update(layer="last", pooling=pooling, dtype="float32")

        def build():
            enc = load_encoder(resolved)
            # stored as float16 while the pass runs (memory), pooled in float32
            states, off = frozen_hidden_states(enc, seqs(), layer=-1, batch_size=batch_size, progress=progress,
                                               dtype=torch.float16)
            return {"pooled": pool_packed(states, off, pooling)}

        return cached_tensors("text-pooled", key, build, cache_dir=cache_dir, log=log)
    raise ValueError(f"unknown feature kind {kind!r}; expected 'hidden' or 'pooled'")
