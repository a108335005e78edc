"""The SRL task's hooks for the shared CLI (``seal.tasks.Task.describe`` / ``predict``): ``seal data info
up_english_ewt`` (and ``seal data info FILE.conllu``) and ``seal predict`` on an SRL checkpoint."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from seal.tasks.srl import SRL_FILE_SUFFIXES  # the task's registered file_suffixes

__all__ = ["SRL_FILE_SUFFIXES", "describe_dataset", "describe_srl_file", "is_srl_file", "run_predict"]


def is_srl_file(name: str | os.PathLike) -> bool:
    """Whether ``name`` ends with one of :data:`SRL_FILE_SUFFIXES` (case-insensitive)."""
    return str(name).lower().endswith(SRL_FILE_SUFFIXES)


def describe_dataset(name: str, *, data_dir=None, download: bool = False) -> dict:
    """``seal data info`` for the SRL dataset: per file its layout, counts and skips per reason, the role vocabulary,
    roles seen only in dev / test and the split overlap (:func:`seal.tasks.srl.data.describe`). ``download`` is
    ignored (the UP files are not downloadable; they come with the shared data)."""
    from seal.tasks.srl.data import describe

    text = describe(name, data_dir)
    return {"text": text, "stats": {"description": text.splitlines()}}


def describe_srl_file(path: str | os.PathLike) -> dict:
    """``seal data info FILE.conllu`` (``.conll``, ``.conll.zip``): :func:`seal.tasks.srl.data.describe_file`
    (``{"text", "stats"}``).

    Raises:
        FileNotFoundError: no such file. seal.tasks.srl.reader.SRLFormatError (a ValueError): a malformed block,
            file and line named.
    """
    from seal.tasks.srl.data import describe_file

    return describe_file(path)


def _build(ckpt: dict, path: str):
    from seal.cli.predict import PredictError, one_line
    from seal.tasks.srl.module import SRLModule

    hp = dict(ckpt["hyper_parameters"])
    try:
        module = SRLModule.from_hparams(hp)  # grouped, or flat from before the grouping
        module.load_state_dict(ckpt["state_dict"])  # strict: a weight missing is an error, never left random
    except (ValueError, KeyError, TypeError, RuntimeError) as e:
        raise PredictError(f"checkpoint {path}: cannot rebuild the SRL model: {one_line(e, details=True)}") from None
    return module.eval()


def _note(msg: str) -> None:
    print(f"seal predict: {msg}", file=sys.stderr, flush=True)


def _refuse_options(args) -> None:
    """Options of ``seal predict`` that do not apply to SRL checkpoints: one line each (PredictError)."""
    from seal.cli.predict import PredictError

    if args.threshold is not None:
        raise PredictError("--threshold does not apply to SRL checkpoints (a word's role is the argmax over the "
                           "roles, or the CRF's Viterbi path; there is no probability threshold)")
    if args.format is not None and args.format != "jsonl":
        raise PredictError(f"--format {args.format} does not apply to SRL checkpoints: predicted frames are written "
                           "as JSON lines (--output FRAMES.jsonl)")
    if args.format is not None and args.output is None:
        raise PredictError("--format applies to --output")
    if args.output is not None and args.format is None and Path(args.output).suffix.lower() != ".jsonl":
        raise PredictError(f"--output {args.output}: SRL checkpoints write predicted frames as JSON lines; name the "
                           "file .jsonl (or give --format jsonl)")
    for opt, value in (("--protocol", args.protocol), ("--split-seed", args.split_seed),
                       ("--drop-empty", args.drop_empty), ("--labels", args.labels),
                       ("--label-count", args.label_count), ("--xml", args.xml),
                       ("--input-format", args.input_format), ("--zero-based", args.zero_based)):
        if value is not None:
            raise PredictError(f"{opt} does not apply to SRL checkpoints (--dataset up_english_ewt --split S, or "
                               "--input FILE.conllu)")
    if args.input is not None:
        if args.split != "test":
            raise PredictError(f"--split {args.split} applies to --dataset; --input {args.input} is predicted whole")
        if args.data_dir is not None:
            raise PredictError("--data-dir applies to --dataset, not to --input")


def _checkpoint_labels(ckpt: dict, args, dm_hp: dict) -> list[str]:
    """The checkpoint's role names (its tag ids in order). Checkpoints that store none (built outside ``seal fit``)
    get them rebuilt from their training data: the catalogue, or their own ``--data.files``, which must then be
    found (a missing one is one line naming its role and path)."""
    from seal.cli.predict import PredictError

    hp = ckpt["hyper_parameters"]
    n = int(hp.get("num_tags") or 0)
    names = list(hp.get("label_names") or [])
    if not names:
        from seal.tasks.srl.data import load_srl_splits

        files = dm_hp.get("files")
        if files:
            for role in ("train", "val", "test"):
                f = (files or {}).get(role)
                if f is not None and not Path(str(f)).expanduser().is_file():
                    raise PredictError(
                        f"checkpoint {args.ckpt_path} stores no role names, so they are rebuilt from its training "
                        f"files, and its {role} file {f} (--data.files {role}) is not found from {os.getcwd()}: run "
                        "seal predict from the directory it was trained in"
                    )
        names = load_srl_splits(None if files else _data_dir(args, dm_hp), files or None).labels
    if len(names) != n:
        raise PredictError(f"checkpoint {args.ckpt_path} has {len(names)} role names for {n} tags")
    return names


def _data_dir(args, dm_hp: dict):
    if args.data_dir is not None:
        return args.data_dir
    d = dm_hp.get("data_dir")
    return d if d and Path(str(d)).expanduser().is_dir() else None


def run_predict(args, ckpt: dict) -> str:
    """``seal predict`` for an SRL checkpoint: predicted frames written to ``--output`` as JSON lines (atomically),
    and/or instance ``--frame N`` printed readably.

    What is predicted, always whole (never the ``--data.max_train_instances`` subset):

    * ``--dataset up_english_ewt [--split S] [--data-dir D]``: split ``S`` of the catalogue dataset, whatever the
      checkpoint was trained on (its own ``--data.files`` are not read);
    * ``--input FILE.conllu`` (``.conll``, ``.conll.zip``; either layout): that file.

    The role vocabulary is the checkpoint's; roles of the data that it does not know are reported on stderr (they
    are never predicted), as is what the reader dropped or skipped (per reason, with the first place). The encoder,
    its layer and the feature cache are the checkpoint's. ``--batch-size`` sets the instances per forward pass
    (default: the training run's ``eval_batch_size``).

    Raises:
        seal.cli.predict.PredictError: options that do not apply (``--threshold``, ``--format csv``, an ``--output``
            not ending in ``.jsonl`` without ``--format jsonl``, the feature / ARFF options, ``--split`` or
            ``--data-dir`` with ``--input``), neither ``--output`` nor ``--frame``, a dataset other than
            ``up_english_ewt``, an ``--input`` that is not an SRL file or has no predicate instances, ``--frame``
            outside the split.
    """
    from seal.cli.predict import PredictError, same_dataset
    from seal.tasks.srl.data import DATASET, SRLPredictData, _files
    from seal.tasks.srl.predict import format_frame, frame_at, write_frames
    from seal.tasks.srl.reader import read_srl_file

    if args.output is None and getattr(args, "frame", None) is None:
        raise PredictError(f"{args.ckpt_path} is an SRL checkpoint: give --output FRAMES.jsonl and/or --frame N")
    _refuse_options(args)
    dm_hp = dict(ckpt.get("datamodule_hyper_parameters") or {})
    if args.input is not None:
        if not is_srl_file(args.input):
            raise PredictError(f"--input {args.input}: SRL checkpoints read SRL files ({', '.join(SRL_FILE_SUFFIXES)}; "
                               "CoNLL-U + PropBank columns, or the one-block-per-predicate layout)")
        if not Path(args.input).is_file():
            raise PredictError(f"--input {args.input}: no such file")
        path, split, where = Path(args.input), Path(args.input).name, args.input
    else:
        if args.dataset != DATASET and not same_dataset(args.dataset, DATASET):
            raise PredictError(f"{args.dataset!r} is not an SRL dataset: predict with --dataset {DATASET} [--split S] "
                               "or --input FILE.conllu")
        path = _files(_data_dir(args, dm_hp), None)[args.split]
        split, where = args.split, f"{DATASET} split {args.split!r}"
    labels = _checkpoint_labels(ckpt, args, dm_hp)
    read = read_srl_file(path)
    for line in read.skip_lines():
        _note(f"{path}: {line}")
    try:
        data = SRLPredictData(read, split, labels, encoder=dm_hp.get("encoder", ckpt["hyper_parameters"].get("encoder")),
                              layer=int(dm_hp.get("layer", -2)), cache_dir=dm_hp.get("cache_dir"),
                              eval_batch_size=args.batch_size or int(dm_hp.get("eval_batch_size") or 64), log=_note)
    except ValueError as e:
        raise PredictError(("--input " if args.input is not None else "") + str(e)) from None
    if data.unseen:
        _note(f"{sum(data.unseen.values())} role occurrence(s) in {where} are not among the checkpoint's {len(labels)} "
              "roles (kept in the gold, never predicted): "
              + ", ".join(f"{lab} x{n}" for lab, n in sorted(data.unseen.items())))
    model = _build(ckpt, args.ckpt_path)
    lines = []
    if getattr(args, "frame", None) is not None:
        try:
            lines.append(format_frame(frame_at(model, data, int(args.frame), split)))
        except IndexError as e:
            raise PredictError(str(e)) from None
    if args.output is not None:
        n = write_frames(model, data, args.output, split)
        whole = ""
        if args.input is None and args.split == "train":
            whole = f" (the whole split: {len(read.instances)} predicate instances"
            m = dm_hp.get("max_train_instances")
            if not dm_hp.get("files") and m is not None and int(m) < len(read.instances):
                whole += f"; the model was trained on a seeded subset of {int(m)} of them, --data.max_train_instances"
            whole += ")"
        lines.append(f"seal predict: {n} predicate frames of {where}{whole} written to {args.output}")
    return "\n".join(lines)
