"""``seal predict``: write a trained model's predictions for a dataset split or an ARFF file.

::

    seal predict --ckpt_path CKPT (--dataset NAME [--split test] [--data-dir D] | --input FILE.arff
                 [--label-count N | --xml FILE]) --output OUT.jsonl|OUT.csv [--format jsonl|csv]
                 [--threshold T] [--batch-size 1024]

The checkpoint is loaded with ``torch.load(..., weights_only=True)`` (nothing is unpickled); the model is
rebuilt from its ``hyper_parameters`` and ``state_dict`` and run in eval mode (task-net only: one forward
pass per batch).

* ``--dataset``: the split is rebuilt with the protocol, split seed, ``drop_empty`` and data directory the
  model was trained with (from the checkpoint's ``datamodule_hyper_parameters``, when it names that
  dataset); ``--protocol``, ``--split-seed``, ``--drop-empty``/``--no-drop-empty`` and ``--data-dir``
  override them.
* ``--input`` in LibSVM/SVMlight or CSV/TSV (:mod:`seal.data.formats`; ``--input-format`` overrides the
  extension): features must match the model's (LibSVM indices are read as the training files were, a
  smaller index range is padded); label columns/indices are optional and, when present, scored. CSV label
  columns are ``--labels``, else the training run's ``--data.labels``/``--data.label_count``, else the model's
  label names.
* ``--input``: an ARFF file. Labels are located by ``--label-count`` (MEKA ``-C`` semantics), ``--xml``
  (MULAN label file), ``--labels``, the options the model's own training files were read with, the file's own
  MEKA header, or else the checkpoint's label names. When the model was
  trained on a registry dataset, that dataset's reader options (e.g. genbase's dropped ``protein``
  attribute) apply too, and its feature preprocessing (standardisation fitted on the training split) must
  be reproduced; see :func:`_registry_preprocessor`.

Output, one line/row per instance, in input order:

* JSONL: ``{"index": i, "labels": [names with p >= threshold], "probabilities": {name: p, ...}}``,
  probabilities rounded to 6 decimals;
* CSV: header ``index,labels,<label names...>``, predicted labels joined by ``;``, probabilities with 6
  decimals.

The file is written atomically (temporary file in the same directory, then ``os.replace``) only after
every row has been computed and checked; on any error nothing is written and an existing output is left
byte-identical. A non-finite probability stops the command with an error naming the checkpoint, the first
affected row and the first non-finite tensor of the model. The checkpoint's tensor checksum is verified
(a damaged file is reported as corrupted). A one-line summary (instances, mean predicted
labels per instance, example-F1 against the gold labels when there are any, followed by the metric
conventions) goes to stdout. Errors are one line on stderr and exit code 2 (``SEAL_DEBUG=1`` shows the
traceback).

Checkpoints of another task (``checkpoint["seal"]["task"]`` names a registered task with a ``predict`` hook,
:mod:`seal.tasks`) are handed to that hook, which reuses this module's parser, checkpoint loading and writers:
segmentation (:mod:`seal.tasks.segmentation.predict`: ``--dataset weizmann_horse`` or ``--input SPLIT.npz``,
``--output`` per-image rows, ``--png GRID.png [--images ...] [--compare CKPT2 ...]``), SRL (``--frame N``).
"""

from __future__ import annotations

import argparse
import csv
import inspect
import io
import json
import os
import pickle
import shlex
import sys
from pathlib import Path
from typing import Any

import numpy as np

from seal.io import atomic_write_text

FORMATS = ("jsonl", "csv")


class PredictError(Exception):
    """A user-facing problem with ``seal predict``'s inputs (one-line message, exit code 2)."""


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="seal predict",
        description="Write a trained model's label predictions for a dataset split or an ARFF file.",
    )
    p.add_argument("--ckpt_path", "--ckpt-path", dest="ckpt_path", required=True, help="checkpoint (.ckpt) to load")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--dataset", help="a registered dataset name (seal data list)")
    src.add_argument("--input", help="a data file: ARFF (.arff, or a .zip holding one), LibSVM/SVMlight (.svm, "
                     ".libsvm, .svmlight, .txt) or CSV/TSV (.csv, .tsv); label columns may be absent")
    p.add_argument("--input-format", "--input_format", dest="input_format", default=None,
                   choices=("arff", "libsvm", "csv", "tsv"), help="with --input: its format (default: from the extension)")
    p.add_argument("--labels", default=None,
                   help="with --input (ARFF, CSV/TSV): comma-separated names of the label attributes/columns")
    p.add_argument("--zero-based", dest="zero_based", choices=("auto", "true", "false"), default=None,
                   help="with --input (LibSVM): feature indices (default: as the model's training files were read)")
    p.add_argument("--split", default="test", choices=("train", "val", "test"), help="with --dataset (default: test)")
    p.add_argument("--data-dir", "--data_dir", dest="data_dir", default=None, help="with --dataset: data directory")
    p.add_argument("--protocol", default=None, choices=("paper", "official"), help="with --dataset: split protocol")
    p.add_argument("--split-seed", "--split_seed", dest="split_seed", type=int, default=None, help="with --dataset")
    p.add_argument(
        "--drop-empty", dest="drop_empty", action=argparse.BooleanOptionalAction, default=None, help="with --dataset"
    )
    lab = p.add_mutually_exclusive_group()
    lab.add_argument("--label-count", "--label_count", dest="label_count", type=int, default=None,
                     help="with --input: n > 0 labels are the first n attributes, n < 0 the last |n| (MEKA -C)")
    lab.add_argument("--xml", default=None, help="with --input: MULAN XML label file")
    p.add_argument("--output", default=None, help="output file (.jsonl or .csv); required for multi-label checkpoints")
    p.add_argument("--format", choices=FORMATS, default=None, help="default: from the output's extension")
    p.add_argument("--threshold", type=float, default=None,
                   help="a label is predicted when p >= threshold (default: the model's, normally 0.5)")
    p.add_argument("--batch-size", "--batch_size", dest="batch_size", type=int, default=1024, help="rows per forward pass")
    srl = p.add_argument_group("SRL checkpoints")
    srl.add_argument("--frame", type=int, default=None, metavar="N",
                     help="print the predicted frame of predicate instance N (0-based, file order) of --split readably")
    seg = p.add_argument_group("segmentation checkpoints")
    seg.add_argument("--png", default=None, help="write a PNG grid: image | gold mask | predicted mask(s)")
    seg.add_argument("--images", type=int, nargs="+", default=None, help="indices of the images in the grid (default: 0-5)")
    seg.add_argument("--compare", nargs="+", default=[], metavar="CKPT",
                     help="more segmentation checkpoints whose predictions get their own columns in the grid")
    return p


def main(argv: list[str] | None = None) -> int:
    """Run ``seal predict``; returns the exit code (0 ok, 2 usage or input error)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as e:  # --help (0) or a usage error (2, message already printed)
        return int(e.code or 0)
    try:
        args.command_line = "seal predict " + shlex.join(argv)
        summary = run(args)
    except Exception as exc:  # noqa: BLE001 - one clear line instead of a traceback
        if os.environ.get("SEAL_DEBUG") or not _is_user_error(exc):
            raise
        print(f"seal predict: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    print(summary)
    return 0


def png_command_path(png: str | os.PathLike) -> Path:
    """Where the command that drew ``png`` is written: ``<name>.command.txt`` beside it."""
    png = Path(png)
    return png.with_name(png.stem + ".command.txt")


def _is_user_error(exc: BaseException) -> bool:
    return isinstance(exc, (PredictError, OSError, ValueError, KeyError, pickle.UnpicklingError, NotImplementedError))


def _one_line(exc: BaseException) -> str:
    msg = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
    lines = [ln.strip() for ln in msg.strip().splitlines() if ln.strip()]
    return lines[0] if lines else type(exc).__name__


# ------------------------------------------------------------------------------------------- run


def run(args: argparse.Namespace) -> str:
    """Do the work of ``seal predict`` for parsed ``args``; returns the summary text.

    Raises:
        PredictError, OSError, ValueError (incl. ``ArffError``, ``DatasetError``): bad inputs; nothing
        has been written then.
    """
    if args.output is None and args.png is None and args.frame is None:
        raise PredictError("--output is required (or --png for a segmentation checkpoint, --frame for an SRL one)")
    if args.batch_size < 1:
        raise PredictError(f"--batch-size must be >= 1, got {args.batch_size}")
    if args.dataset is not None and (args.label_count is not None or args.xml is not None or args.labels is not None
                                     or args.input_format is not None or args.zero_based is not None):
        raise PredictError("--label-count/--xml/--labels/--input-format/--zero-based only apply to --input")
    if args.input is not None and (
        args.protocol is not None or args.split_seed is not None or args.drop_empty is not None
    ):
        raise PredictError("--protocol/--split-seed/--drop-empty only apply to --dataset")

    ckpt = _load(args.ckpt_path)
    from seal.tasks import task_of_checkpoint

    task = task_of_checkpoint(ckpt)
    if task.predict_function() is not None:
        return task.predict_function()(args, ckpt)
    if args.png is not None or args.compare or args.images is not None:
        raise PredictError(f"--png/--images/--compare apply to segmentation checkpoints; {args.ckpt_path} is multi-label")
    if args.frame is not None:
        raise PredictError(f"--frame applies to SRL checkpoints; {args.ckpt_path} is multi-label")
    if args.output is None:
        raise PredictError(f"{args.ckpt_path} is a multi-label checkpoint: --output is required (--png is for segmentation)")
    fmt = _output_format(args.output, args.format)
    module = build_module(ckpt, args.ckpt_path)
    hp = module.hparams
    threshold = float(hp.get("threshold", 0.5)) if args.threshold is None else float(args.threshold)
    if not 0.0 <= threshold <= 1.0:
        raise PredictError(f"--threshold must lie in [0, 1], got {threshold}")
    dm_hp = dict(ckpt.get("datamodule_hyper_parameters") or {})

    if args.dataset is not None:
        X, Y, source_names, where = _dataset_inputs(args, dm_hp)
    else:
        X, Y, source_names, where = _file_inputs(args, dm_hp, hp)

    n_features = int(hp["in_features"])
    if X.shape[1] != n_features:
        raise PredictError(f"{where} has {X.shape[1]} feature columns, but the model expects {n_features}")
    n_labels = int(hp["num_labels"])
    if Y is not None and Y.shape[1] != n_labels:
        raise PredictError(f"{where} has {Y.shape[1]} label columns, but the model predicts {n_labels}")
    names = list(hp.get("label_names") or source_names or [f"label_{j}" for j in range(n_labels)])
    if len(names) != n_labels:
        raise PredictError(f"checkpoint {args.ckpt_path} has {len(names)} label names for {n_labels} labels")

    probs = _predict_proba(module, X, args.batch_size)
    _check_finite(probs, module, args.ckpt_path, where)
    pred = probs >= threshold
    _write_atomic(args.output, fmt, probs, pred, names)

    n = probs.shape[0]
    mean_labels = float(pred.sum(axis=1).mean()) if n else 0.0
    summary = (
        f"seal predict: {n} instances from {where}, mean {mean_labels:.3f} predicted labels per instance "
        f"(threshold {threshold:g})"
    )
    if Y is not None and n:
        import torch

        from seal.metrics import CONVENTIONS, example_f1

        f1 = float(example_f1(torch.from_numpy(probs), torch.from_numpy(Y), threshold=threshold))
        summary += f", example-F1 {f1:.4f}; wrote {args.output}\n{CONVENTIONS}"
        if threshold != 0.5:
            summary += f" (here the threshold is {threshold:g}, not 0.5)"
    else:
        summary += f"; wrote {args.output}"
    return summary


# ------------------------------------------------------- helpers (shared with the tasks' predict hooks)


def _output_format(output: str, fmt: str | None) -> str:
    if fmt is not None:
        return fmt
    ext = Path(output).suffix.lower().lstrip(".")
    if ext in FORMATS:
        return ext
    raise PredictError(f"cannot tell the format of --output {output!r} from its extension; use .jsonl/.csv or --format")


def _load(path: str) -> dict:
    """Load ``path`` weights-only and check its tensor checksum (:func:`seal.training.checkpoint.load_checkpoint`).

    Raises:
        PredictError: missing, empty, truncated, corrupted, unsafe (would unpickle code) or not a seal model
            checkpoint; the message names the file and the reason.
    """
    from seal.training.checkpoint import CheckpointError, load_checkpoint

    p = Path(path)
    if not p.is_file():
        raise PredictError(f"checkpoint not found: {path}")
    try:
        ckpt = load_checkpoint(p, map_location="cpu")
    except CheckpointError as e:
        raise PredictError(_one_line(e)) from None
    except OSError as e:
        raise PredictError(f"cannot read checkpoint {path}: {_one_line(e)}") from None
    if not isinstance(ckpt, dict) or "state_dict" not in ckpt or "hyper_parameters" not in ckpt:
        raise PredictError(f"{path} is not a seal model checkpoint (no 'state_dict'/'hyper_parameters')")
    return ckpt


def _check_finite(values, module, ckpt_path: str, where: str, what: str = "probabilities") -> None:
    """Stop with a :class:`PredictError` if ``values`` (numpy array or tensor, one row per instance) holds NaN/inf.

    The message names the checkpoint, the first affected row and the first parameter tensor of the model
    that is not finite (or says that all of them are, i.e. the input row made the output overflow).
    """
    import torch

    t = torch.as_tensor(values)
    bad = ~torch.isfinite(t)
    if not bool(bad.any()):
        return
    row = int(bad.reshape(t.shape[0], -1).any(dim=1).nonzero()[0, 0]) if t.ndim else 0
    tensor = next((name for name, v in module.state_dict().items()
                   if torch.is_floating_point(v) and not bool(torch.isfinite(v).all())), None)
    culprit = (f"first non-finite tensor: {tensor}" if tensor is not None
               else "all its tensors are finite: that input row makes the output overflow")
    raise PredictError(
        f"checkpoint {ckpt_path} gives non-finite {what} for {where}, first at row {row} ({culprit}); "
        "nothing was written"
    )


def build_module(ckpt: dict, path: str = "checkpoint"):
    """Rebuild a :class:`~seal.tasks.mlc_features.module.MultilabelModule` from a loaded checkpoint, in eval mode.

    Raises:
        PredictError: missing or inconsistent hyper-parameters / state dict.
    """
    from seal.tasks.mlc_features.module import MultilabelModule

    hp = dict(ckpt["hyper_parameters"])
    accepted = set(inspect.signature(MultilabelModule.__init__).parameters) - {"self"}
    kwargs = {k: v for k, v in hp.items() if k in accepted}
    for key in ("in_features", "num_labels"):
        if not kwargs.get(key):
            raise PredictError(f"checkpoint {path} has no {key!r} hyper-parameter")
    try:
        module = MultilabelModule(**kwargs)
    except (ValueError, KeyError, TypeError) as e:
        raise PredictError(f"checkpoint {path}: cannot rebuild the model: {_one_line(e)}") from None
    try:
        module.load_state_dict(ckpt["state_dict"])
    except RuntimeError as e:
        raise PredictError(
            f"checkpoint {path}: the state_dict does not match its hyper-parameters: {_one_line(e)}"
        ) from None
    return module.eval()


def _predict_proba(module, X, batch_size: int) -> np.ndarray:
    """Task-net probabilities ``(n, L)`` float32 for ``X`` ``(n, d)`` (dense or sparse, densified per batch).

    (``seal.estimator.predict_proba_batched`` does the same; not imported here so that ``seal predict`` does
    not pay for importing scikit-learn.)
    """
    import scipy.sparse as sp
    import torch

    n = X.shape[0]
    out = np.empty((n, int(module.hparams.num_labels)), dtype=np.float32)
    with torch.no_grad():
        for start in range(0, n, batch_size):
            block = X[start : start + batch_size]
            block = block.toarray() if sp.issparse(block) else np.asarray(block)
            x = torch.from_numpy(np.ascontiguousarray(block, dtype=np.float32))
            out[start : start + len(x)] = module.predict_proba(x).float().numpy()
    return out


# ------------------------------------------------------------------------------------------ inputs


def _same_dataset(a: Any, b: Any) -> bool:
    from seal.data.registry import get_spec

    if not a or not b:
        return False
    try:
        return get_spec(str(a)).name == get_spec(str(b)).name
    except Exception:  # noqa: BLE001 - an unregistered name matches nothing
        return False


def _dataset_kwargs(dm_hp: dict, name: str, data_dir=None, protocol=None, split_seed=None, drop_empty=None) -> dict:
    """``load_dataset`` options: the checkpoint's DataModule settings for the same dataset, overridden by flags."""
    kw: dict[str, Any] = {}
    if _same_dataset(dm_hp.get("dataset"), name):
        stored_dir = dm_hp.get("data_dir")
        if stored_dir and Path(stored_dir).expanduser().is_dir():  # a path from another machine is skipped
            kw["data_dir"] = stored_dir
        for key in ("protocol", "split_seed", "drop_empty", "download"):
            if dm_hp.get(key) is not None:
                kw[key] = dm_hp[key]
    for key, value in (("data_dir", data_dir), ("protocol", protocol), ("split_seed", split_seed),
                       ("drop_empty", drop_empty)):
        if value is not None:
            kw[key] = value
    return kw


def _dataset_inputs(args, dm_hp: dict):
    from seal.data.registry import load_dataset

    kw = _dataset_kwargs(dm_hp, args.dataset, args.data_dir, args.protocol, args.split_seed, args.drop_empty)
    ds = load_dataset(args.dataset, **kw)
    X, Y = ds.subset(args.split)
    where = f"dataset {ds.name!r} split {args.split!r} (protocol {ds.split_protocol}, split seed {ds.split_seed})"
    return X, np.asarray(Y, dtype=np.uint8), list(ds.label_names), where


def _file_inputs(args, dm_hp: dict, hp):
    from seal.data.arff import ArffError, read_arff
    from seal.data.formats import detect_format
    from seal.data.registry import get_spec

    path = args.input
    if not Path(path).is_file():
        raise PredictError(f"input file not found: {path}")
    fmt = detect_format(path, args.input_format)
    if fmt != "arff":
        return _other_file_inputs(args, fmt, dm_hp, hp)
    spec = None
    trained_on = None if dm_hp.get("train") else dm_hp.get("dataset")  # own files: no catalogue entry
    if trained_on:
        try:
            spec = get_spec(str(trained_on))
        except Exception:  # noqa: BLE001 - in-memory arrays ("SEALClassifier", ...): no registry entry
            spec = None
    opts: dict[str, Any] = {}
    if spec is not None:
        opts.update(
            missing=spec.reader.missing,
            drop_attributes=tuple(spec.reader.drop_attributes),
            hierarchy_root=bool(spec.reader.hierarchy_root),
        )
    pre = _registry_preprocessor(spec, dm_hp, args.data_dir) if spec is not None and spec.preprocess else None

    def read(**label_opts):
        while True:
            try:
                return read_arff(path, **label_opts, **opts)
            except ArffError as e:
                # the training dataset's dropped attributes (genbase's `protein`) may be absent from this file
                drop = opts.get("drop_attributes", ())
                if e.attribute in drop and e.reason.startswith("drop_attributes names an attribute the file does not"):
                    opts["drop_attributes"] = tuple(a for a in drop if a != e.attribute)
                    continue
                raise

    own = _own_label_layout(args, dm_hp)
    if args.label_count is not None:
        data = read(label_count=args.label_count)
    elif args.xml is not None:
        data = read(xml=args.xml)
    elif own:
        data = read(**own)
    else:
        try:  # the file's own MEKA -C header (or a hierarchical class attribute)
            data = read()
        except ArffError as first:
            names = hp.get("label_names")
            if not names:
                raise
            try:  # else the label attributes are the ones named like the model's labels
                data = read(label_names=list(names))
            except ArffError:
                raise first from None
    X = data.X
    where = str(path)
    if pre is not None:
        if X.shape[1] != pre.n_features_in_:
            raise PredictError(f"{where} has {X.shape[1]} feature columns, but the model expects {pre.n_features_in_}")
        X = pre.transform(X)
    return X, np.asarray(data.Y, dtype=np.uint8), list(data.label_names), where


def _split_names(value) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return [s for s in value.split(",") if s]
    return list(value)


def _own_label_layout(args, dm_hp: dict) -> dict:
    """Label options for an ARFF/CSV input: ``--labels``, else those the model's own training files were read
    with (``--data.labels`` / ``--data.label_count`` / ``--data.xml``), else none."""
    if args.labels is not None:
        return {"label_names": _split_names(args.labels)}
    if not dm_hp.get("train"):
        return {}
    if dm_hp.get("labels"):
        return {"label_names": _split_names(dm_hp["labels"])}
    if dm_hp.get("label_count") is not None:
        return {"label_count": int(dm_hp["label_count"])}
    if dm_hp.get("xml") and Path(dm_hp["xml"]).is_file():
        return {"xml": dm_hp["xml"]}
    return {}


def _other_file_inputs(args, fmt: str, dm_hp: dict, hp):
    """``--input`` in LibSVM or CSV/TSV: features must match the model's; labels, when present, are scored."""
    from seal.data.formats import read_files

    n_features, n_labels = int(hp["in_features"]), int(hp["num_labels"])
    if args.xml is not None:
        raise PredictError("--xml applies to ARFF input only")
    if fmt == "libsvm":
        if args.labels is not None or args.label_count is not None:
            raise PredictError("--labels/--label-count do not apply to LibSVM input (labels are the indices before "
                               "the features)")
        zb = {"true": True, "false": False, "auto": "auto"}.get(args.zero_based or "", None)
        if zb is None:
            zb = dm_hp.get("zero_based") if dm_hp.get("zero_based") is not None else "auto"
        data = read_files([args.input], format=fmt, zero_based=zb, n_features=n_features, n_labels=n_labels,
                          labels_optional=True)[0]
    else:
        kw: dict[str, Any] = {}
        if args.label_count is not None:
            kw["label_count"] = args.label_count
        else:
            own = _own_label_layout(args, dm_hp)
            if "label_names" in own:
                kw["labels"] = own["label_names"]
            elif "label_count" in own:
                kw["label_count"] = own["label_count"]
            elif hp.get("label_names"):
                kw["labels"] = list(hp["label_names"])
        drop = dm_hp.get("drop_columns") or ()
        data = read_files([args.input], format=fmt, drop_columns=tuple(drop), labels_optional=True, **kw)[0]
    Y = None if data.Y is None else np.asarray(data.Y, dtype=np.uint8)
    return data.X, Y, list(data.label_names), str(args.input)


def _registry_preprocessor(spec, dm_hp: dict, data_dir: str | None = None):
    """The :class:`~seal.data.preprocess.FeaturePreprocessor` the registry fitted on ``spec``'s training split
    under the checkpoint's protocol/split seed, so an ARFF file's features get exactly the training transform.

    Uses the fitted instance the registry exposes on the loaded dataset (``MultiLabelDataset.preprocessor``).

    Raises:
        PredictError: the registry does not expose it (then ``--dataset`` is the way to predict).
    """
    from seal.data.registry import MultiLabelDataset, load_dataset

    fields = getattr(MultiLabelDataset, "__dataclass_fields__", {})
    if "preprocessor" not in fields and not hasattr(MultiLabelDataset, "preprocessor"):
        raise PredictError(
            f"the model was trained on {spec.name!r}, whose features are preprocessed ({dict(spec.preprocess)}, "
            "statistics of its training split); seal predict --input cannot reproduce that yet because the "
            f"registry does not expose the fitted preprocessor -- use --dataset {spec.name} --split ... instead"
        )
    ds = load_dataset(spec.name, **_dataset_kwargs(dm_hp, spec.name, data_dir=data_dir))
    pre = getattr(ds, "preprocessor", None)
    if pre is None or not hasattr(pre, "n_features_in_"):
        raise PredictError(f"the registry returned no fitted preprocessor for {spec.name!r}")
    return pre


# ------------------------------------------------------------------------------------------ output


def _format_rows(fmt: str, probs: np.ndarray, pred: np.ndarray, names: list[str]) -> str:
    buf = io.StringIO()
    if fmt == "jsonl":
        for i in range(probs.shape[0]):
            row = probs[i].tolist()
            rec = {
                "index": i,
                "labels": [names[j] for j in np.flatnonzero(pred[i])],
                "probabilities": {name: round(p, 6) for name, p in zip(names, row)},
            }
            buf.write(json.dumps(rec, ensure_ascii=False))
            buf.write("\n")
    else:
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["index", "labels", *names])
        for i in range(probs.shape[0]):
            labels = ";".join(names[j] for j in np.flatnonzero(pred[i]))
            w.writerow([i, labels, *(f"{p:.6f}" for p in probs[i].tolist())])
    return buf.getvalue()


def _write_atomic(output: str, fmt: str, probs: np.ndarray, pred: np.ndarray, names: list[str]) -> None:
    """Write the predictions to ``output`` via a temporary file in the same directory and ``os.replace``."""
    _write_text_atomic(output, _format_rows(fmt, probs, pred, names))


def _write_text_atomic(output: str, text: str) -> None:
    """Write ``text`` to ``output`` atomically (temporary file in the same directory, fsync, ``os.replace``)."""
    out = Path(output)
    if out.is_dir():
        raise PredictError(f"--output {output} is a directory")
    atomic_write_text(out, text, newline="")


_MOVED = {  # moved to the segmentation task folder; still answered here so that existing imports keep working
    "run_segmentation": "seal.tasks.segmentation.predict",
    "build_segmentation_module": "seal.tasks.segmentation.predict",
    "save_segmentation_grid": "seal.tasks.segmentation.predict",
}


def __getattr__(name: str):
    """The names that moved to :mod:`seal.tasks.segmentation.predict` (imported on use: that module imports
    this one)."""
    if name in _MOVED:
        import importlib

        return getattr(importlib.import_module(_MOVED[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
