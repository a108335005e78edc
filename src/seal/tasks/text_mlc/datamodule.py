"""The DataModule of text multi-label classification.

Batches are ``{"x": {key: tensor}, "y": (B, L) float}``; ``x`` holds exactly the inputs the module's networks read
(:meth:`seal.tasks.text_mlc.module.TextMLCModule.input_keys`): ``input_ids`` / ``attention_mask`` ``(B, T)``
(padded per batch to its longest document), ``hidden_j`` ``(B, T, H)`` cached frozen states, ``pooled_mean`` /
``pooled_first`` ``(B, H)`` cached pooled features. Tokens and features are computed once per source file and
cached (:mod:`seal.tasks.text_mlc.features`); the log says how many documents were truncated and how many
word-pieces were lost.
"""

from __future__ import annotations

import re
import sys

import lightning as L
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from seal.data.batches import EpochSeededSampler, SplitLoadersMixin, run_seed

__all__ = ["TextMLCDataModule", "TextSplit", "source_inputs"]

_HIDDEN_RE = re.compile(r"hidden_(\d+)")
_POOLED_RE = re.compile(r"pooled_(mean|first)")


class TextSplit(Dataset):
    """One split: rows of a tokenized source with their labels and cached features. Items are row indices;
    :meth:`collate` builds the batch."""

    def __init__(self, rows: np.ndarray, tokens: dict, Y: np.ndarray, features: dict[str, torch.Tensor],
                 keys: list[str], pad_id: int) -> None:
        self.rows = torch.as_tensor(rows, dtype=torch.long)
        self.ids = tokens["ids"]
        self.offsets = tokens["offsets"].long()
        self.Y = torch.as_tensor(Y, dtype=torch.float32)  # aligned with rows
        self.features = features
        self.keys = keys
        self.pad_id = int(pad_id)

    def __len__(self) -> int:
        return int(self.rows.numel())

    def __getitem__(self, i: int) -> int:
        return int(i)

    def collate(self, items: list[int]) -> dict:
        idx = torch.as_tensor(items, dtype=torch.long)
        rows = self.rows[idx]
        starts, ends = self.offsets[rows], self.offsets[rows + 1]
        lengths = ends - starts
        T = int(lengths.max())
        B = len(items)
        x: dict[str, torch.Tensor] = {}
        need_tokens = any(k in ("input_ids", "attention_mask") or _HIDDEN_RE.fullmatch(k) for k in self.keys)
        if need_tokens:
            mask = (torch.arange(T).unsqueeze(0) < lengths.unsqueeze(1)).long()
            if "input_ids" in self.keys:
                ids = torch.full((B, T), self.pad_id, dtype=torch.long)
                for j in range(B):
                    ids[j, : lengths[j]] = self.ids[starts[j]:ends[j]].long()
                x["input_ids"] = ids
            x["attention_mask"] = mask
        for k in self.keys:
            if _HIDDEN_RE.fullmatch(k):
                states = self.features[k]
                out = torch.zeros(B, T, states.shape[1], dtype=torch.float32)
                for j in range(B):
                    out[j, : lengths[j]] = states[starts[j]:ends[j]].float()
                x[k] = out
            elif _POOLED_RE.fullmatch(k):
                x[k] = self.features[k][rows]
        return {"x": x, "y": self.Y[idx]}


def source_inputs(src, keys: list[str], encoder: str | None, *, dataset: str, max_length: int,
                  cache_dir: str | None = None, feature_batch_size: int = 32, log=None) -> tuple[dict, dict[str, torch.Tensor]]:
    """Tokens and the frozen encoder features ``keys`` need, of one :class:`~seal.tasks.text_mlc.data.TextSource`:
    computed once, then read from the cache (keyed by ``dataset``, the source's name and ``sha256`` (for JSON-lines
    files: of the file and the texts read), the encoder and ``max_length``).

    Args:
        src: the documents.
        keys: batch keys (``input_ids``, ``attention_mask``, ``hidden_j``, ``pooled_mean`` / ``pooled_first``).
        encoder: the encoder folder / name (``None``: all-MiniLM-L6-v2).
        dataset: names the cache entries (with ``src.name``).
        max_length: word-pieces kept per document, special tokens included.
        cache_dir, feature_batch_size, log: cache folder, documents per frozen-encoder pass, progress printer.

    Returns:
        ``(tokens, features)``: :func:`~seal.tasks.text_mlc.features.token_cache`'s packed tokens and
        ``{key: tensor}`` for the ``hidden_j`` / ``pooled_*`` keys.
    """
    from seal.tasks.text_mlc.features import frozen_features, token_cache

    tokens, tkey = token_cache(dataset=dataset, source=src.name, file_sha256=src.sha256, texts=src.texts,
                               encoder=encoder, max_length=max_length, cache_dir=cache_dir, log=log)
    feats: dict[str, torch.Tensor] = {}
    for k in keys:
        m = _HIDDEN_RE.fullmatch(k)
        if m:
            feats[k] = frozen_features("hidden", tokens=tokens, token_key=tkey, encoder=encoder, layer=int(m.group(1)),
                                       batch_size=feature_batch_size, cache_dir=cache_dir, log=log)["states"]
        m = _POOLED_RE.fullmatch(k)
        if m:
            feats[k] = frozen_features("pooled", tokens=tokens, token_key=tkey, encoder=encoder, pooling=m.group(1),
                                       batch_size=feature_batch_size, cache_dir=cache_dir, log=log)["pooled"]
    return tokens, feats


class TextMLCDataModule(SplitLoadersMixin, L.LightningDataModule):
    """Serve a text multi-label dataset (``reuters21578``, ``goemotions`` or your own JSON-lines files) to Lightning.

    Args:
        dataset: catalogue name (ignored when ``train`` is given).
        batch_size: training batch size (the paper's text configs: 16).
        eval_batch_size: validation / test batch size (default: ``batch_size``).
        max_length: word-pieces kept per document, special tokens included (the paper: 512).
        val_fraction: share of the training documents carved as validation where a dataset has no validation
            split (Reuters, or your own ``train`` file without ``val``), by iterative stratification
            (:func:`seal.tasks.text_mlc.data.load_text_dataset`); default 0.1.
        split_seed: seed of that validation carve; default 0.
        data_dir: where the files are (default ``$SEAL_DATA_DIR``, then the cache).
        cache_dir: token / feature cache (default ``$SEAL_CACHE_DIR`` or ``~/.cache/seal``).
        feature_batch_size: documents per frozen-encoder pass when building the feature cache.
        num_workers: DataLoader workers.
        encoder: Hugging Face encoder path or name; normally taken from the attached module's ``model.encoder``
            in :meth:`setup`; give it to use the DataModule alone.
        input_keys: the batch keys to build (:meth:`TextMLCModule.input_keys`); normally taken from the attached
            module; give them to use the DataModule alone.
        train: your own training file of JSON lines (``{"text": ..., "labels": [...]}`` per line), read instead
            of a catalogue dataset (:func:`seal.tasks.text_mlc.data.load_text_files`); the sizes are printed.
        val: your own validation file (JSON lines); without it a validation split is carved from ``train``
            (``val_fraction``, ``split_seed``).
        test: your own test file (JSON lines); without it there is no test split.
        labels: with ``train``: the label names in label-index order, a list or one comma-separated string
            (default: the sorted names in ``train``); required when the files give labels as integer ids.
        text_field: with ``train``: the JSON field of the text (default ``text``).
        labels_field: with ``train``: the JSON field of the label list (default ``labels``).

    Raises:
        ValueError: an unknown dataset, an unknown input key, ``val`` / ``test`` / ``labels`` without ``train``;
            TextDataError (file and line) from the readers.
    """

    def __init__(
        self,
        dataset: str = "reuters21578",
        batch_size: int = 16,
        eval_batch_size: int | None = None,
        max_length: int = 512,
        val_fraction: float = 0.1,
        split_seed: int = 0,
        data_dir: str | None = None,
        cache_dir: str | None = None,
        feature_batch_size: int = 32,
        num_workers: int = 0,
        encoder: str | None = None,
        input_keys: list[str] | None = None,
        train: str | None = None,
        val: str | None = None,
        test: str | None = None,
        labels: list[str] | str | None = None,
        text_field: str = "text",
        labels_field: str = "labels",
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        from seal.tasks.text_mlc.data import label_names_of, load_text_files

        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        if max_length < 2:
            raise ValueError(f"max_length must be >= 2, got {max_length}")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.eval_batch_size = int(eval_batch_size or batch_size)
        self.max_length = int(max_length)
        self.val_fraction = val_fraction
        self.split_seed = split_seed
        self.data_dir = data_dir
        self.cache_dir = cache_dir
        self.feature_batch_size = feature_batch_size
        self.num_workers = num_workers
        self.encoder = encoder
        self.input_keys = list(input_keys) if input_keys is not None else None
        self._data = None
        if train is not None:
            from seal.data.formats import name_list

            self._data = load_text_files(train, val, test, labels=name_list(labels, "--data.labels"),
                                         text_field=text_field, labels_field=labels_field, val_fraction=val_fraction,
                                         split_seed=split_seed)
            self.dataset = self._data.name
            self.label_names = list(self._data.label_names)
            sizes = ", ".join(f"{s} {len(rows)}" for s, (_, rows) in self._data.splits.items())
            self._log(f"text data from your files: {len(self.label_names)} labels, {sizes} documents; "
                      + "; ".join(self._data.notes[2:]))
        elif (val is not None or test is not None or labels is not None or text_field != "text"
              or labels_field != "labels"):
            raise ValueError("--data.val / --data.test / --data.labels / --data.text_field / --data.labels_field need "
                             "--data.train (your own files)")
        else:
            self.label_names = label_names_of(dataset, data_dir)
        self.num_labels = len(self.label_names)
        self.has_test = self._data is None or "test" in self._data.splits
        self.splits: dict[str, TextSplit] = {}
        self.truncation: dict[str, dict[str, int]] = {}

    def _log(self, msg: str) -> None:
        print(f"seal: {msg}", file=sys.stderr, flush=True)

    def setup(self, stage: str | None = None) -> None:
        if self.splits:
            return
        module = getattr(self.trainer, "lightning_module", None) if self._trainer_attached() else None
        if module is not None and hasattr(module, "input_keys"):
            keys = module.input_keys()
            encoder = module.hparams.get("encoder")
        else:
            if self.input_keys is None:
                raise ValueError("TextMLCDataModule needs input_keys (or a TextMLCModule attached by the Trainer)")
            keys, encoder = self.input_keys, self.encoder
        self.build(keys, encoder)

    def _trainer_attached(self) -> bool:
        try:
            return self.trainer is not None
        except RuntimeError:
            return False

    def build(self, keys: list[str], encoder: str | None) -> None:
        """Read, tokenize (cached) and compute the cached features ``keys`` need, for every split."""
        from seal.tasks.text_mlc.data import load_text_dataset, truncation_stats
        from seal.text.encoder import load_tokenizer

        for k in keys:
            if not (k in ("input_ids", "attention_mask") or _HIDDEN_RE.fullmatch(k) or _POOLED_RE.fullmatch(k)):
                raise ValueError(f"unknown text input key {k!r}")
        data = self._data or load_text_dataset(self.dataset, self.data_dir, val_fraction=self.val_fraction,
                                               split_seed=self.split_seed)
        if data.label_names != self.label_names:
            raise ValueError(f"{self.dataset}: label names changed between reading the label file and the data")
        pad_id = load_tokenizer(encoder).pad_token_id or 0
        per_source = {name: source_inputs(src, keys, encoder, dataset=self.dataset, max_length=self.max_length,
                                          cache_dir=self.cache_dir, feature_batch_size=self.feature_batch_size,
                                          log=self._log)
                      for name, src in data.sources.items()}
        for split, (name, rows) in data.splits.items():
            tokens, feats = per_source[name]
            Y = data.sources[name].Y[rows]
            self.splits[split] = TextSplit(rows, tokens, Y, feats, keys, pad_id)
            st = truncation_stats(tokens["lengths"][torch.as_tensor(rows)].numpy(), self.max_length)
            self.truncation[split] = st
            self._log(f"{self.dataset} {split}: {st['documents']} documents, {st['truncated']} truncated at "
                      f"{self.max_length} word-pieces ({st['tokens_lost']} of {st['tokens']} word-pieces lost)")

    def _loader(self, split: str, shuffle: bool) -> DataLoader:
        if split not in self.splits:
            self.setup("fit")
        ds = self.splits[split]
        # the training order is a function of (seed, epoch) and creating an iterator draws nothing from the global
        # RNG (which drives dropout and the samplers), so a run resumed from last.ckpt sees the batches the
        # uninterrupted run saw
        sampler = EpochSeededSampler(len(ds), seed=run_seed()) if shuffle else None
        return DataLoader(ds, batch_size=self.batch_size if shuffle else self.eval_batch_size, sampler=sampler,
                          collate_fn=ds.collate, num_workers=self.num_workers, generator=torch.Generator())
