"""``seal predict`` for text multi-label checkpoints (the text-mlc task's ``predict`` hook).

Inputs: ``--input FILE.jsonl`` (one ``{"text": ..., "labels": [...]}`` object a line, the field names of the
checkpoint's training data; the label field may be absent) or ``--dataset NAME [--split S]`` (a catalogue text
dataset, split as in training). The documents are tokenized and the frozen encoder features the networks read are
computed once and cached (:func:`~seal.tasks.text_mlc.datamodule.source_inputs`); the
probabilities are those of evaluation (the task-net, or GBI for the energy-network baselines). Output: the
multi-label rows of ``seal predict`` (``.jsonl`` or ``.csv``: predicted label names and per-label probabilities),
written atomically after every row was checked finite.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

__all__ = ["build_text_module", "predict_text_probs", "run_predict"]


def build_text_module(ckpt: dict, path: str = "checkpoint"):
    """Rebuild a :class:`~seal.tasks.text_mlc.module.TextMLCModule` from a loaded checkpoint, in eval mode.

    Raises:
        seal.cli.predict.PredictError: hyper-parameters that do not build, or a state dict that does not fit them.
    """
    from seal.cli.predict import PredictError, one_line
    from seal.tasks.text_mlc.module import TextMLCModule

    hp = dict(ckpt["hyper_parameters"])
    # chained-checkpoint paths are for training only: their weights are already in this state dict
    try:
        module = TextMLCModule.from_hparams(hp, task_checkpoint=None, score_checkpoint=None)
    except (ValueError, KeyError, TypeError, OSError) as e:
        raise PredictError(f"checkpoint {path}: cannot rebuild the text model: {one_line(e)}") from None
    try:
        module.load_state_dict(ckpt["state_dict"])
    except RuntimeError as e:
        raise PredictError(f"checkpoint {path}: the state_dict does not match its hyper-parameters: "
                           f"{one_line(e, details=True)}") from None
    return module.eval()


def predict_text_probs(module, split, batch_size: int) -> np.ndarray:
    """Evaluation probabilities ``(N, L)`` float32 of a :class:`~seal.tasks.text_mlc.datamodule.TextSplit`, in row
    order (the task-net's sigmoid, or GBI's output for the energy-network baselines)."""
    import torch
    from torch.utils.data import DataLoader

    from seal.training.seal_module import unpack_batch

    out = []
    loader = DataLoader(split, batch_size=batch_size, shuffle=False, collate_fn=split.collate)
    with torch.no_grad():
        for i, batch in enumerate(loader):
            x, _, _ = unpack_batch(batch)
            out.append(module.eval_probs(x, i, "predict").float().cpu())
    return torch.cat(out).numpy() if out else np.zeros((0, int(module.hparams.num_labels)), dtype=np.float32)


def _log(msg: str) -> None:
    print(f"seal: {msg}", file=sys.stderr, flush=True)


def run_predict(args, ckpt: dict) -> str:
    """``seal predict`` for a text-mlc checkpoint; returns the summary line(s).

    Raises:
        seal.cli.predict.PredictError: options that do not apply, no ``--output``, a dataset other than a text
            one, label names that differ from the checkpoint's, non-finite probabilities (nothing written then);
            seal.tasks.text_mlc.data.TextDataError: a bad input line (file, line and field named).
    """
    from seal.cli.predict import PredictError, check_finite, output_format
    from seal.tasks.mlc_features.predict import _write_atomic
    from seal.tasks.text_mlc.data import (
        label_names_of,
        load_text_dataset,
        read_text_jsonl,
    )
    from seal.tasks.text_mlc.datamodule import TextSplit, source_inputs
    from seal.text.encoder import load_tokenizer

    if args.input_format not in (None, "jsonl"):
        raise PredictError(f"--input-format {args.input_format} does not apply to text checkpoints (they read JSON "
                           "lines: --input-format jsonl, or a .jsonl / .jsonl.gz file)")
    for opt, value in (("--labels", args.labels),
                       ("--label-count", args.label_count), ("--xml", args.xml), ("--zero-based", args.zero_based),
                       ("--protocol", args.protocol), ("--drop-empty", args.drop_empty)):
        if value is not None:
            raise PredictError(f"{opt} does not apply to text checkpoints (input: a .jsonl file or a text dataset)")
    if args.output is None:
        raise PredictError(f"{args.ckpt_path} is a text-mlc checkpoint: --output PREDICTIONS.jsonl (or .csv) is required")
    fmt = output_format(args.output, args.format)
    module = build_text_module(ckpt, args.ckpt_path)
    hp = module.hparams
    names = list(hp.get("label_names") or [])
    if len(names) != int(hp["num_labels"]):
        raise PredictError(f"checkpoint {args.ckpt_path} has {len(names)} label names for {hp['num_labels']} labels")
    threshold = float(hp.get("threshold", 0.5)) if args.threshold is None else float(args.threshold)
    if not 0.0 <= threshold <= 1.0:
        raise PredictError(f"--threshold must lie in [0, 1], got {threshold}")

    dm_hp = dict(ckpt.get("datamodule_hyper_parameters") or {})
    text_field = getattr(args, "text_field", None) or dm_hp.get("text_field", "text")
    labels_field = getattr(args, "labels_field", None) or dm_hp.get("labels_field", "labels")
    batch_size = args.batch_size or int(dm_hp.get("eval_batch_size") or dm_hp.get("batch_size") or 16)
    if args.input is not None:
        if args.input_format != "jsonl" and not str(args.input).endswith((".jsonl", ".jsonl.gz")):
            raise PredictError(f"--input {args.input}: text checkpoints read JSON lines (.jsonl or .jsonl.gz, or "
                               f"--input-format jsonl), one {{{text_field!r}: ..., {labels_field!r}: [...]}} object "
                               "per line")
        src = read_text_jsonl(args.input, names, name="input", text_field=text_field, labels_field=labels_field,
                              labels_optional=True)
        if src.label_ids:
            _log(f"{src.label_ids} label entries of {args.input} are integer ids, read as indices into "
                 f"the checkpoint's {len(names)} labels ({', '.join(names[:6])}{', ...' if len(names) > 6 else ''})")
        rows, where, dataset_name = np.arange(len(src.texts), dtype=np.int64), args.input, Path(args.input).name
        gold = src.Y if src.labelled is not None and bool(src.labelled.all()) else None
    else:
        if args.text_field is not None or args.labels_field is not None:
            raise PredictError("--text-field / --labels-field apply to --input files")
        if label_names_of(args.dataset, args.data_dir or dm_hp.get("data_dir")) != names:
            raise PredictError(f"dataset {args.dataset!r} has other labels than checkpoint {args.ckpt_path} "
                               f"(trained with {len(names)} labels)")
        data = load_text_dataset(args.dataset, args.data_dir or dm_hp.get("data_dir"),
                                 val_fraction=dm_hp.get("val_fraction", 0.1),
                                 split_seed=dm_hp.get("split_seed", 0) if args.split_seed is None else args.split_seed)
        if data.label_names != names:
            raise PredictError(f"dataset {args.dataset!r} has other labels than checkpoint {args.ckpt_path} "
                               f"({data.num_labels} vs {len(names)})")
        source, rows = data.splits[args.split]
        src = data.sources[source]
        where, dataset_name = f"{args.dataset} split {args.split!r}", args.dataset
        gold = src.Y[rows]
    keys = module.input_keys()
    tokens, feats = source_inputs(src, keys, hp.get("encoder"), dataset=dataset_name,
                                  max_length=int(dm_hp.get("max_length", 512)), cache_dir=dm_hp.get("cache_dir"),
                                  feature_batch_size=int(dm_hp.get("feature_batch_size", 32)), log=_log)
    pad_id = load_tokenizer(hp.get("encoder")).pad_token_id or 0
    split = TextSplit(rows, tokens, src.Y[rows], feats, keys, pad_id)
    probs = predict_text_probs(module, split, batch_size)
    check_finite(probs, module, args.ckpt_path, where)
    pred = probs >= threshold
    _write_atomic(args.output, fmt, probs, pred, names)
    n = probs.shape[0]
    summary = (f"seal predict: {n} documents from {where}, mean {float(pred.sum(1).mean()) if n else 0.0:.3f} "
               f"predicted labels per document (threshold {threshold:g})")
    if gold is not None and n:
        import torch

        from seal.metrics import example_f1

        f1 = float(example_f1(torch.from_numpy(probs), torch.from_numpy(gold.astype(np.float32)), threshold=threshold))
        summary += f", example-F1 {f1:.4f}"
    return summary + f"; wrote {args.output}"
