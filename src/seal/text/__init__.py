"""Text utilities shared by the text tasks (text MLC, SRL): loading a Hugging Face encoder offline and caching
tokenizations and frozen encoder outputs on disk.

``import seal`` does not import this package, and this package imports ``transformers`` only inside the
functions that need it (``pip install 'seal[text]'``).
"""

from seal.text.cache import cache_root, cached_tensors, sha256_of
from seal.text.encoder import (
    DEFAULT_ENCODER,
    EncoderNotFoundError,
    check_token_inputs,
    frozen_hidden_states,
    load_encoder,
    load_tokenizer,
    resolve_encoder,
)

__all__ = [
    "DEFAULT_ENCODER",
    "EncoderNotFoundError",
    "cache_root",
    "cached_tensors",
    "check_token_inputs",
    "frozen_hidden_states",
    "load_encoder",
    "load_tokenizer",
    "resolve_encoder",
    "sha256_of",
]
