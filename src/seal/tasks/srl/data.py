"""UP English-EWT SRL data: splits, the role vocabulary, cached frozen-encoder word states and the DataModule.

Pipeline (``seal-method.md`` B.3, adapted to dependency-head SRL and CPU budgets; calibration §8):

1. :func:`load_srl_splits` reads train / dev / test with :mod:`seal.tasks.srl.reader` (one instance per
   predicate; skips counted per file and reason), builds the role vocabulary (``O`` = 0, ``V`` = 1, then the train
   roles sorted, then the roles seen **only** in dev / test, counted and reported: they stay in the gold for
   scoring, so a model simply never learns them) and the overlap of the splits by token sequence.
2. :func:`encode_sentences` runs the frozen encoder **once per distinct sentence** (not per predicate), keeps one
   layer's state of each word's **first word-piece**, and caches the result (:func:`seal.text.cache.cached_tensors`,
   keyed by encoder, layer and the sentences' digest). A sentence whose word-pieces (plus ``[CLS]``/``[SEP]``)
   exceed the encoder's position table is **refused with a count** (its predicates are dropped and reported),
   never truncated. A word that the tokenizer maps to no piece at all gets ``[UNK]`` (counted).
3. :class:`SRLDataModule` serves batches ``{"x": {"states", "predicate", "mask"}, "y", "mask"}``: ``states``
   ``(B, T, H)`` float32 cached word states, ``predicate`` ``(B,)`` int64 word index, ``mask`` ``(B, T)`` bool real
   words, ``y`` ``(B, T)`` int64 role ids (0 at padding). Training batches are bucketed by length.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from seal.data.batches import SplitLoadersMixin
from seal.tasks.srl.reader import ReadResult, SRLInstance, read_srl_file

__all__ = [
    "DATASET",
    "EncodedSentences",
    "SRLData",
    "SRLDataModule",
    "SRLPredictData",
    "check_instances",
    "collate_instances",
    "describe",
    "describe_file",
    "encode_sentences",
    "load_srl_splits",
    "read_report",
]

ROLES = ("train", "val", "test")

DATASET = "up_english_ewt"
NOTE = (
    "UP English-EWT dependency-head SRL (train: a derived copy of the official train file); not the paper's "
    "CoNLL-2005/2012, which are LDC-licensed and not available here"
)


@dataclass
class SRLData:
    """The three splits read, the role vocabulary and what was reported about them."""

    splits: dict[str, ReadResult]  # "train" / "val" / "test"
    labels: list[str]
    unseen: dict[str, Counter] = field(default_factory=dict)  # split -> label -> occurrences (not in train)
    overlap: dict[str, int] = field(default_factory=dict)  # "train&val" -> distinct shared token sequences

    @property
    def label_index(self) -> dict[str, int]:
        return {lab: i for i, lab in enumerate(self.labels)}

    def tags(self, inst: SRLInstance) -> list[int]:
        idx = self.label_index
        return [idx[r] for r in inst.roles]


def _files(data_dir: str | os.PathLike | None, files: dict | None) -> dict[str, Path]:
    if files is not None:
        if not isinstance(files, dict):
            raise ValueError(f"--data.files: expected {{train: PATH, val: PATH, test: PATH}}, got {files!r}")
        unknown = sorted(str(k) for k in files if k not in ROLES)
        if unknown:
            raise ValueError(f"--data.files: unknown role(s) {', '.join(unknown)}; the roles are train, val and test "
                             "(all three required)")
        missing = [k for k in ROLES if not files.get(k)]
        if missing:
            raise ValueError(f"--data.files: need paths for train, val and test (missing {', '.join(missing)})")
        paths = {k: Path(str(files[k])).expanduser() for k in ROLES}
        for k, path in paths.items():
            if not path.is_file():
                what = "is a directory, not a file" if path.is_dir() else "does not exist"
                raise FileNotFoundError(f"--data.files: the {k} file {path} {what}")
        return paths
    from seal.data.catalogue import get_spec
    from seal.data.locate import locate_files

    spec = get_spec(DATASET)
    found = locate_files(DATASET, data_dir=data_dir)
    by_role = {f.role: found[f.path] for f in spec.files if f.path in found}
    return {k: by_role[k] for k in ("train", "val", "test")}


_READ_MEMO: dict[tuple, SRLData] = {}


def load_srl_splits(data_dir: str | os.PathLike | None = None, files: dict | None = None) -> SRLData:
    """Read the three splits (catalogue dataset ``up_english_ewt``, or explicit ``files`` ``{train, val, test}``).

    Read once per process per (path, size, mtime) triple (the result is shared: do not modify it). A split
    without predicate instances is read as such (see :func:`check_instances` for the training check).

    Raises:
        ValueError: ``files`` without exactly the roles train, val and test (message starts ``--data.files:``).
        FileNotFoundError: a file of ``files`` that does not exist (its role and path named).
        seal.data errors: catalogue files missing or with another sha256.
        seal.tasks.srl.reader.SRLFormatError: a malformed block (file and line named).
    """
    paths = _files(data_dir, files)
    memo_key = tuple((k, str(p.resolve()), p.stat().st_size, p.stat().st_mtime_ns) for k, p in paths.items())
    if memo_key not in _READ_MEMO:
        _READ_MEMO[memo_key] = _load_srl_splits(paths)
    return _READ_MEMO[memo_key]


def _load_srl_splits(paths: dict[str, Path]) -> SRLData:
    splits = {k: read_srl_file(p) for k, p in paths.items()}
    train_labels = sorted({r for i in splits["train"].instances for r in i.roles} - {"O", "V"})
    labels = ["O", "V", *train_labels]
    known = set(labels)
    unseen: dict[str, Counter] = {}
    for k in ("val", "test"):
        c = Counter(r for i in splits[k].instances for r in i.roles if r not in known)
        unseen[k] = c
    labels += sorted(set().union(*unseen.values()))
    seqs = {k: {i.words for i in s.instances} for k, s in splits.items()}
    overlap = {
        "train&val": len(seqs["train"] & seqs["val"]),
        "train&test": len(seqs["train"] & seqs["test"]),
        "val&test": len(seqs["val"] & seqs["test"]),
        **{f"{k}_sentences": len(v) for k, v in seqs.items()},
    }
    return SRLData(splits, labels, unseen, overlap)


def check_instances(data: SRLData) -> None:
    """Refuse splits without a single predicate instance (``seal fit`` checks this before training starts).

    Raises:
        ValueError: ``"SRL data: the <role> file <path> has no predicate instances: <why>"`` for the first such
            split in train, val, test order (why: an empty file, a plain 10-column UD file without predicate
            columns, sentences without a roleset, or every predicate skipped, with the skip reasons).
    """
    for k in ROLES:
        r = data.splits[k]
        if not r.instances:
            raise ValueError(f"SRL data: the {k} file {r.path} has no predicate instances: {r.why_no_instances()}")


def read_report(data: SRLData) -> list[str]:
    """What ``seal fit`` prints (stderr) about the files it read, one line each: per split its file and predicate
    instances, then indented what was dropped or skipped (count, reason and first place, from
    :meth:`~seal.tasks.srl.reader.ReadResult.skip_lines`), and the roles seen in val / test but not in train."""
    out = []
    for k in ROLES:
        r = data.splits[k]
        unit = "blocks" if r.layout == "duplicated" else "sentences"
        out.append(f"SRL {k} file {r.path}: {len(r.instances)} predicate instances ({r.layout} layout, {r.sentences} "
                   f"{unit}, {r.sentences_without_predicates} without a predicate)")
        out += ["  " + line for line in r.skip_lines()]
    for k in ("val", "test"):
        c = data.unseen.get(k)
        if c:
            out.append(f"SRL roles in the {k} file but not in train (kept in the gold, never predicted): "
                       + ", ".join(f"{lab} x{n}" for lab, n in sorted(c.items())))
    return out


def describe_file(path: str | os.PathLike) -> dict:
    """``seal data info FILE.conllu`` (or ``.conll`` / ``.conll.zip``, either layout): what :func:`read_srl_file`
    makes of one SRL file.

    Returns:
        ``{"text": str, "stats": dict}``; stats: ``path``, ``layout``, ``sentences`` (blocks in the duplicated
        layout), ``instances`` (predicate instances read), ``predicates`` (instances + skipped), ``rolesets``
        (distinct), ``sentences_without_predicates``, ``skipped`` / ``first_skip`` / ``dropped_lines`` (per
        reason), ``roles`` (label -> occurrences, ``O`` and ``V`` left out), ``columns`` (columns per token line ->
        lines), ``words_max`` / ``words_mean`` (words per instance), ``usable`` (whether ``seal fit`` accepts the file
        as a split) and ``why_unusable``.

    Raises:
        FileNotFoundError: no such file. seal.tasks.srl.reader.SRLFormatError: a malformed block (file, line).
    """
    r = read_srl_file(path)
    roles = Counter(x for i in r.instances for x in i.roles if x not in ("O", "V"))
    lengths = [len(i.words) for i in r.instances]
    stats = {
        "path": str(path), "layout": r.layout, "sentences": r.sentences, "instances": len(r.instances),
        "predicates": len(r.instances) + sum(r.skipped.values()),
        "rolesets": len({i.roleset for i in r.instances}),
        "sentences_without_predicates": r.sentences_without_predicates,
        "skipped": dict(sorted(r.skipped.items())), "first_skip": dict(sorted(r.first_skip.items())),
        "dropped_lines": dict(sorted(r.dropped_lines.items())),
        "roles": dict(sorted(roles.items(), key=lambda kv: (-kv[1], kv[0]))),
        "columns": {str(k): v for k, v in sorted(r.columns.items())},
        "words_max": max(lengths) if lengths else 0,
        "words_mean": round(sum(lengths) / len(lengths), 1) if lengths else 0.0,
        "usable": bool(r.instances), "why_unusable": r.why_no_instances(),
    }
    out = [r.summary().replace(f"{Path(r.path).name}: ", f"{path}: SRL file, ", 1)]
    out.append(f"predicates: {stats['predicates']} found, {stats['instances']} read as instances, "
               f"{stats['predicates'] - stats['instances']} skipped; {stats['rolesets']} distinct rolesets")
    out.append("columns per token line: " + (", ".join(f"{k} ({v})" for k, v in sorted(r.columns.items())) or "none"))
    if lengths:
        out.append(f"words per instance: max {stats['words_max']}, mean {stats['words_mean']:.1f}")
    out.append(f"roles: {len(roles)} besides O and V" + (": " + ", ".join(f"{lab} x{n}" for lab, n in stats["roles"].items())
                                                        if roles else ""))
    if r.instances:
        out.append("usable as --data.files train, val or test of seal fit (all three files are required)")
    else:
        out.append(f"not usable by seal fit (--data.files): no predicate instances: {r.why_no_instances()}")
    return {"text": "\n".join(out), "stats": stats}


def describe(name: str = DATASET, data_dir: str | os.PathLike | None = None, files: dict | None = None) -> str:
    """The text ``seal data info up_english_ewt`` prints: per file its layout, counts and skips per reason; the
    role vocabulary; roles seen only in dev / test; the overlap of the splits by token sequence.

    Raises:
        ValueError: ``name`` is not an SRL dataset of the catalogue.
    """
    if files is None and name != DATASET:
        raise ValueError(f"describe: {name!r} is not an SRL dataset (known: {DATASET})")
    data = load_srl_splits(data_dir, files)
    out = [f"{name}: {NOTE}"]
    for k in ("train", "val", "test"):
        r = data.splits[k]
        lengths = [len(i.words) for i in r.instances]
        longest = max(lengths) if lengths else 0
        out.append(f"[{k}] " + r.summary() + f"\n  words per instance: max {longest}, mean "
                   f"{(sum(lengths) / len(lengths) if lengths else 0):.1f}")
    out.append(f"roles: {len(data.labels)} ({', '.join(data.labels)})")
    for k in ("val", "test"):
        c = data.unseen[k]
        if c:
            out.append(f"roles seen in {k} but not in train (kept in the gold, never predicted): "
                       + ", ".join(f"{lab} x{n}" for lab, n in sorted(c.items())))
        else:
            out.append(f"roles seen in {k} but not in train: none")
    ov = data.overlap
    out.append(
        f"overlap by token sequence (distinct sentences with a predicate): train {ov['train_sentences']}, "
        f"dev {ov['val_sentences']}, test {ov['test_sentences']}; train&dev {ov['train&val']}, "
        f"train&test {ov['train&test']}, dev&test {ov['val&test']}"
    )
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------- encoder cache
@dataclass
class EncodedSentences:
    """Frozen word states of distinct sentences, packed.

    Attributes:
        states: ``(N_words, H)`` float16, the chosen layer's state of each word's first word-piece.
        offsets: ``(N_sentences + 1,)`` int64; sentence ``i``'s words are ``states[offsets[i]:offsets[i+1]]``.
        index: token sequence -> sentence number (only sentences that fit the position table).
        refused: token sequences longer than the encoder's position table (never truncated).
        unk_words: words the tokenizer maps to no piece (replaced by ``[UNK]``).
    """

    states: torch.Tensor
    offsets: torch.Tensor
    index: dict[tuple[str, ...], int]
    refused: set[tuple[str, ...]]
    unk_words: int


def _digest(sentences: list[tuple[str, ...]]) -> str:
    h = hashlib.sha256()
    for s in sentences:
        h.update(json.dumps(s, ensure_ascii=False).encode("utf-8"))
        h.update(b"\n")
    return h.hexdigest()


def encode_sentences(
    sentences: list[tuple[str, ...]],
    encoder: str | None = None,
    *,
    layer: int = -2,
    cache_dir: str | os.PathLike | None = None,
    batch_size: int = 32,
    log=print,
) -> EncodedSentences:
    """Run the frozen encoder once over distinct ``sentences`` and keep each word's first-piece state.

    Args:
        sentences: distinct token sequences.
        encoder: name or folder (:func:`seal.text.encoder.resolve_encoder`; ``None`` = all-MiniLM-L6-v2).
        layer: index into ``output_hidden_states`` (0 embeddings, -1 last layer; default -2: the layer below the
            top, so a trainable top can take the encoder's last layer's place).

    Raises:
        seal.text.encoder.EncoderNotFoundError: the encoder is not installed.
    """
    from seal.text.cache import cached_tensors
    from seal.text.encoder import frozen_hidden_states, load_encoder, load_tokenizer, resolve_encoder

    path = resolve_encoder(encoder)
    tok = load_tokenizer(path)
    enc = load_encoder(path)
    limit = int(getattr(enc.config, "max_position_embeddings", 10**9))
    vocab_words = sorted({w for s in sentences for w in s})
    pieces = tok(vocab_words, add_special_tokens=False)["input_ids"] if vocab_words else []
    unk = tok.unk_token_id
    word_ids: dict[str, list[int]] = {}
    unk_words = 0
    for w, p in zip(vocab_words, pieces):
        if not p:
            p = [unk]
            unk_words += 1
        word_ids[w] = list(p)
    keep, refused, ids, firsts = [], set(), [], []
    for s in sentences:
        seq = [tok.cls_token_id]
        first = []
        for w in s:
            first.append(len(seq))
            seq.extend(word_ids[w])
        seq.append(tok.sep_token_id)
        if len(seq) > limit:
            refused.add(s)
            continue
        keep.append(s)
        ids.append(seq)
        firsts.append(first)
    cfg = enc.config
    key = {
        "encoder": str(path),
        "model_type": getattr(cfg, "model_type", ""),
        "hidden_size": int(cfg.hidden_size),
        "num_hidden_layers": int(cfg.num_hidden_layers),
        "vocab_size": int(cfg.vocab_size),
        "layer": int(layer),
        "sentences": _digest(keep),
        "n": len(keep),
        "format": "srl-first-piece-v1",
    }

    def build():
        packed, offs = frozen_hidden_states(enc, ids, layer=layer, batch_size=batch_size, progress=False)
        rows = torch.cat([offs[i] + torch.tensor(f, dtype=torch.long) for i, f in enumerate(firsts)]) if firsts else torch.zeros(0, dtype=torch.long)
        word_offsets = torch.zeros(len(firsts) + 1, dtype=torch.long)
        word_offsets[1:] = torch.cumsum(torch.tensor([len(f) for f in firsts], dtype=torch.long), 0)
        return {"states": packed[rows].contiguous(), "offsets": word_offsets}

    t = cached_tensors("srl-word-states", key, build, cache_dir=cache_dir, log=log)
    return EncodedSentences(t["states"], t["offsets"], {s: i for i, s in enumerate(keep)}, refused, unk_words)


# ---------------------------------------------------------------------------------------------- batches
class _Split(torch.utils.data.Dataset):
    def __init__(self, sent: list[int], pred: list[int], tags: list[list[int]]):
        self.sent, self.pred, self.tags = sent, pred, tags

    def __len__(self) -> int:
        return len(self.sent)

    def __getitem__(self, i: int) -> int:
        return i


def collate_instances(enc: EncodedSentences, split: _Split, idx: list[int]) -> dict[str, Any]:
    """A batch of instances ``idx``: ``{"x": {"states" (B,T,H) f32, "predicate" (B,) i64, "mask" (B,T) bool},
    "y" (B,T) i64 (0 at padding), "mask" (B,T) bool}``."""
    lens = [len(split.tags[i]) for i in idx]
    B, T, H = len(idx), max(lens), enc.states.shape[1]
    states = torch.zeros(B, T, H)
    y = torch.zeros(B, T, dtype=torch.long)
    mask = torch.zeros(B, T, dtype=torch.bool)
    for b, i in enumerate(idx):
        s = split.sent[i]
        a, e = int(enc.offsets[s]), int(enc.offsets[s + 1])
        states[b, : e - a] = enc.states[a:e].float()
        y[b, : lens[b]] = torch.tensor(split.tags[i])
        mask[b, : lens[b]] = True
    pred = torch.tensor([split.pred[i] for i in idx], dtype=torch.long)
    return {"x": {"states": states, "predicate": pred, "mask": mask}, "y": y, "mask": mask}


class BucketBatchSampler(torch.utils.data.Sampler):
    """Shuffled batches of similar lengths: shuffle, cut into pools of ``pool`` batches, sort each pool by length,
    batch it, shuffle the batches. Deterministic per (seed, epoch)."""

    def __init__(self, lengths: list[int], batch_size: int, seed: int = 0, pool: int = 50):
        self.lengths, self.batch_size, self.seed, self.pool, self.epoch = lengths, batch_size, seed, pool, 0

    def __len__(self) -> int:
        return (len(self.lengths) + self.batch_size - 1) // self.batch_size

    def __iter__(self):
        g = torch.Generator().manual_seed(self.seed * 100003 + self.epoch)
        self.epoch += 1
        order = torch.randperm(len(self.lengths), generator=g).tolist()
        size = self.batch_size * self.pool
        batches = []
        for a in range(0, len(order), size):
            chunk = sorted(order[a:a + size], key=lambda i: self.lengths[i])
            batches += [chunk[j:j + self.batch_size] for j in range(0, len(chunk), self.batch_size)]
        for k in torch.randperm(len(batches), generator=g).tolist():
            yield batches[k]


try:
    import lightning as L

    _Base = L.LightningDataModule
except ImportError:  # pragma: no cover
    _Base = object


class SRLDataModule(SplitLoadersMixin, _Base):
    """UP English-EWT SRL batches from cached frozen-encoder word states (see the module docstring).

    Args:
        dataset: catalogue name (``up_english_ewt``).
        data_dir: data root (default ``$SEAL_DATA_DIR`` search order).
        files: your own SRL files instead of the catalogue: ``{train: PATH, val: PATH, test: PATH}``, all three
            required, each in either layout (CoNLL-U + PropBank columns, or the duplicated one-block-per-predicate
            layout); relative paths are read from the working directory. What is skipped while reading is
            printed on stderr per file and reason; a split without predicate instances is an error.
        encoder: encoder name or folder (default all-MiniLM-L6-v2 from its package).
        layer: hidden-state layer to cache (default -2).
        batch_size, eval_batch_size: instances per batch.
        max_train_instances: keep only the first N training instances after a seeded shuffle (``None``: all;
            for smoke runs; the number used is printed).
        cache_dir: feature cache folder (default ``$SEAL_CACHE_DIR`` or ``~/.cache/seal``).
        seed: bucketing / subsampling seed.

    Attributes (after :meth:`setup`): ``num_tags``, ``label_names``, ``hidden_size``, ``data`` (:class:`SRLData`),
    ``encoded`` (:class:`EncodedSentences`), ``refused`` (split -> predicates refused for length).

    Raises (at construction, before any training):
        ValueError: an unknown dataset; ``files`` without exactly train, val and test; a split without predicate
            instances (:func:`check_instances`: file and reason named).
        FileNotFoundError: a file of ``files`` that does not exist (role and path named).
        seal.tasks.srl.reader.SRLFormatError: a malformed block (file and line named).
    """

    has_test = True

    def __init__(
        self,
        dataset: str = DATASET,
        data_dir: str | None = None,
        files: dict | None = None,
        encoder: str | None = None,
        layer: int = -2,
        batch_size: int = 16,
        eval_batch_size: int = 64,
        max_train_instances: int | None = None,
        cache_dir: str | None = None,
        seed: int = 0,
    ) -> None:
        super().__init__()
        if dataset != DATASET and files is None:
            raise ValueError(f"SRLDataModule: unknown SRL dataset {dataset!r} (known: {DATASET}; or pass files=)")
        self.dataset, self.data_dir, self.files = dataset, data_dir, files
        self.encoder, self.layer = encoder, layer
        self.batch_size, self.eval_batch_size = int(batch_size), int(eval_batch_size)
        self.max_train_instances, self.cache_dir, self.seed = max_train_instances, cache_dir, int(seed)
        self.save_hyperparameters()
        self._ready = False
        # cheap part now (the CLI links num_tags / label_names / hidden_size into the model at instantiation):
        # read the files (once per process) and the encoder's config; the encoder runs in setup()
        self.data = load_srl_splits(self.data_dir, self.files)
        check_instances(self.data)
        for line in read_report(self.data):  # what was read, dropped and skipped: never silently
            print(f"seal: {line}", file=sys.stderr, flush=True)
        self.num_tags = len(self.data.labels)
        self.label_names = list(self.data.labels)
        from transformers import AutoConfig

        from seal.text.encoder import resolve_encoder

        cfg = AutoConfig.from_pretrained(resolve_encoder(encoder), local_files_only=True)
        self.hidden_size = int(cfg.hidden_size)

    def prepare(self) -> None:
        """Encode the sentences (cached) and index the instances (once; from ``setup`` or on first use)."""
        if self._ready:
            return
        sentences = sorted({i.words for s in self.data.splits.values() for i in s.instances})
        self.encoded = encode_sentences(sentences, self.encoder, layer=self.layer, cache_dir=self.cache_dir)
        if int(self.encoded.states.shape[1]) != self.hidden_size:
            raise ValueError(f"encoder states have {self.encoded.states.shape[1]} features, its config says {self.hidden_size}")
        self.refused: dict[str, int] = {}
        self._splits: dict[str, _Split] = {}
        self.instances: dict[str, list[SRLInstance]] = {}
        for k, r in self.data.splits.items():
            insts = [i for i in r.instances if i.words in self.encoded.index]
            self.refused[k] = len(r.instances) - len(insts)
            if k == "train" and self.max_train_instances is not None and self.max_train_instances < len(insts):
                g = torch.Generator().manual_seed(self.seed)
                pick = sorted(torch.randperm(len(insts), generator=g)[: self.max_train_instances].tolist())
                insts = [insts[j] for j in pick]
                print(f"SRLDataModule: training on {len(insts)} of {len(r.instances)} train instances (max_train_instances)")
            self.instances[k] = insts
            self._splits[k] = _Split(
                [self.encoded.index[i.words] for i in insts], [i.predicate for i in insts], [self.data.tags(i) for i in insts]
            )
        for k, n in self.refused.items():
            if n:
                print(f"SRLDataModule: {n} {k} predicate(s) refused: sentence longer than the encoder's position table")
        self._ready = True

    def setup(self, stage: str | None = None) -> None:
        self.prepare()

    def _loader(self, k: str, train: bool):
        self.prepare()
        split = self._splits[k]
        if train:
            sampler = BucketBatchSampler([len(t) for t in split.tags], self.batch_size, seed=self.seed)
            return torch.utils.data.DataLoader(
                split, batch_sampler=sampler, collate_fn=lambda idx: collate_instances(self.encoded, split, idx)
            )
        return torch.utils.data.DataLoader(
            split, batch_size=self.eval_batch_size, shuffle=False,
            collate_fn=lambda idx: collate_instances(self.encoded, split, idx),
        )


# ---------------------------------------------------------------------------------------------- seal predict
class SRLPredictData:
    """One SRL file's predicate instances, encoded for ``seal predict`` with a checkpoint's role vocabulary.

    Serves what :func:`seal.tasks.srl.predict.iter_frames` reads of a DataModule (``instances``, ``_splits``,
    ``encoded``, ``label_names``, ``num_tags``, ``eval_batch_size``, :meth:`prepare`) for one split only, the whole
    file (no ``max_train_instances`` subset): only this file's sentences are encoded.

    Args:
        read: the file, read by :func:`~seal.tasks.srl.reader.read_srl_file`.
        split: the name its instances are served under (``"val"``, or the input file's name).
        labels: the checkpoint's role names in tag-id order. Roles of the file not among them are appended after
            them (so the gold stays whole; the model never predicts them) and counted in :attr:`unseen`.
        encoder, layer, cache_dir: those of the checkpoint's training DataModule.
        eval_batch_size: predicate instances per forward pass.
        log: receives one line per note (cache builds, instances refused for length).

    Attributes: ``unseen`` (role -> occurrences not among ``labels``), ``refused`` (instances whose sentence is
    longer than the encoder's position table, after :meth:`prepare`; never truncated).

    Raises:
        ValueError: the file holds no predicate instance (``"<path> has no predicate instances: <why>"``), or
            ``labels`` is empty.
    """

    def __init__(self, read: ReadResult, split: str, labels: list[str], *, encoder: str | None = None,
                 layer: int = -2, cache_dir: str | None = None, eval_batch_size: int = 64, log=print) -> None:
        if not read.instances:
            raise ValueError(f"{read.path} has no predicate instances: {read.why_no_instances()}")
        if not labels:
            raise ValueError("SRLPredictData: the checkpoint's role names are empty")
        self.read, self.split, self.encoder, self.layer, self.cache_dir = read, split, encoder, int(layer), cache_dir
        self.eval_batch_size, self.log = int(eval_batch_size), log
        known = set(labels)
        self.unseen = Counter(r for i in read.instances for r in i.roles if r not in known)
        self.label_names = [*labels, *sorted(self.unseen)]
        self.num_tags = len(self.label_names)
        self.refused = 0
        self._ready = False

    def prepare(self) -> None:
        """Encode the file's distinct sentences (cached) and index its instances (once)."""
        if self._ready:
            return
        sentences = sorted({i.words for i in self.read.instances})
        self.encoded = encode_sentences(sentences, self.encoder, layer=self.layer, cache_dir=self.cache_dir, log=self.log)
        insts = [i for i in self.read.instances if i.words in self.encoded.index]
        self.refused = len(self.read.instances) - len(insts)
        if self.refused:
            self.log(f"{self.refused} predicate instance(s) of {self.read.path} refused: sentence longer than the "
                     "encoder's position table (not predicted, never truncated)")
        idx = {lab: i for i, lab in enumerate(self.label_names)}
        self.instances = {self.split: insts}
        self._splits = {self.split: _Split([self.encoded.index[i.words] for i in insts], [i.predicate for i in insts],
                                           [[idx[r] for r in i.roles] for i in insts])}
        self._ready = True
