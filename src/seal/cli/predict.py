"""``seal predict``: write a trained model's predictions for a dataset split or a data file.

::

    seal predict --ckpt_path CKPT (--dataset NAME [--split test] [--data-dir D] | --input FILE.arff
                 [--label-count N | --xml FILE]) --output OUT.jsonl|OUT.csv [--format jsonl|csv]
                 [--threshold T] [--batch-size N]

The checkpoint is loaded with ``torch.load(..., weights_only=True)`` (nothing is unpickled); the model is
rebuilt from its ``hyper_parameters`` and ``state_dict`` and run in eval mode (task-net only: one forward
pass per batch).

* ``--dataset``: the split is rebuilt with the protocol, split seed, ``drop_empty`` and data directory the
  model was trained with (from the checkpoint's ``datamodule_hyper_parameters``, when it names that
  dataset); ``--protocol``, ``--split-seed``, ``--drop-empty``/``--no-drop-empty`` and ``--data-dir``
  override them.
* ``--input`` in LibSVM/SVMlight or CSV/TSV (:mod:`seal.data.formats`; ``--input-format`` overrides the
  extension): features must match the model's (LibSVM feature indices are 0-based when the file has the
  Extreme Classification header line, whose counts must be the model's, or uses index 0, else read as the
  training files were; ``--zero-based`` overrides; a smaller index range is padded); label columns/indices
  are optional and, when present, scored. CSV label columns are ``--labels``, else the training run's
  ``--data.labels``/``--data.label_count``, else the model's label names.
* ``--input``: an ARFF file. Labels are located by ``--label-count`` (MEKA ``-C`` semantics), ``--xml``
  (MULAN label file), ``--labels``, the options the model's own training files were read with, the file's own
  MEKA header, or else the checkpoint's label names. When the model was
  trained on a registry dataset, that dataset's reader options (e.g. genbase's dropped ``protein``
  attribute) apply too, and its feature preprocessing (standardisation fitted on the training split) must
  be reproduced; see :func:`seal.tasks.mlc_features.predict._registry_preprocessor`.
* text checkpoints (``task: text-mlc``): ``--input`` is a JSON-lines file (``.jsonl`` / ``.jsonl.gz``, the label
  field optional), see :mod:`seal.tasks.text_mlc.predict`.

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

Every checkpoint goes to the ``predict`` hook of its task (:func:`seal.tasks.task_of_checkpoint`:
``checkpoint["seal"]["task"]``; feature-MLC checkpoints store none), which reuses this module's parser, checkpoint
loading and writers: multi-label (:mod:`seal.tasks.mlc_features.predict`, all of the above), segmentation (:mod:`seal.tasks.segmentation.predict`: ``--dataset weizmann_horse`` or ``--input SPLIT.npz``,
``--output`` per-image rows, ``--png GRID.png [--images ...] [--compare CKPT2 ...]``), SRL (``--frame N``).
"""

from __future__ import annotations

import argparse
import os
import pickle
import shlex
import sys
from pathlib import Path
from typing import Any

from seal.io import atomic_write_text

FORMATS = ("jsonl", "csv")


class PredictError(Exception):
    """A user-facing problem with ``seal predict``'s inputs (one-line message, exit code 2)."""


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="seal predict",
        description="Write a trained model's predictions for a dataset split or a data file (feature checkpoints: "
        "ARFF, LibSVM, CSV/TSV; text checkpoints: JSON lines; see each task's docs for the others).",
    )
    p.add_argument("--ckpt_path", "--ckpt-path", dest="ckpt_path", required=True, help="checkpoint (.ckpt) to load")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--dataset", help="a registered dataset name (seal data list)")
    src.add_argument("--input", help="a data file: ARFF (.arff, or a .zip holding one), LibSVM/SVMlight (.svm, "
                     ".libsvm, .svmlight, .txt) or CSV/TSV (.csv, .tsv); label columns may be absent. Text "
                     "checkpoints: JSON lines (.jsonl, .jsonl.gz), the label field optional")
    p.add_argument("--input-format", "--input_format", dest="input_format", default=None,
                   choices=("arff", "libsvm", "csv", "tsv", "jsonl"),
                   help="with --input: its format (default: from the extension; jsonl: JSON lines, text checkpoints)")
    p.add_argument("--labels", default=None,
                   help="with --input (ARFF, CSV/TSV): comma-separated names of the label attributes/columns")
    p.add_argument("--zero-based", dest="zero_based", choices=("auto", "true", "false"), default=None,
                   help="with --input (LibSVM): feature indices (default: 0-based when the file has the header line "
                   "'n_rows n_features n_labels' or an index 0, else as the model's training files were read)")
    p.add_argument("--split", default="test", choices=("train", "val", "test"), help="with --dataset (default: test)")
    p.add_argument("--data-dir", "--data_dir", dest="data_dir", default=None, help="with --dataset: data directory")
    p.add_argument("--protocol", default=None, choices=("paper", "official"), help="with --dataset: split protocol")
    p.add_argument("--split-seed", "--split_seed", dest="split_seed", type=int, default=None, help="with --dataset")
    p.add_argument(
        "--drop-empty", dest="drop_empty", action=argparse.BooleanOptionalAction, default=None, help="with --dataset"
    )
    lab = p.add_mutually_exclusive_group()
    lab.add_argument("--label-count", "--label_count", dest="label_count", type=int, default=None,
                     help="with --input: n > 0 labels are the first n attributes, n < 0 the last |n| (MEKA -C); "
                     "0: the file has no label attributes (features only, nothing scored)")
    lab.add_argument("--xml", default=None, help="with --input: MULAN XML label file")
    p.add_argument("--output", default=None, help="output file (.jsonl or .csv); required for multi-label checkpoints")
    p.add_argument("--format", choices=FORMATS, default=None, help="default: from the output's extension")
    p.add_argument("--threshold", type=float, default=None,
                   help="a label is predicted when p >= threshold (default: the model's, normally 0.5)")
    p.add_argument("--batch-size", "--batch_size", dest="batch_size", type=int, default=None,
                   help="rows per forward pass (default: 1024 for feature and image checkpoints; a text checkpoint's "
                   "own evaluation batch size)")
    from seal.tasks import TASKS

    owners: dict[str, tuple[str, argparse.Action]] = {}
    for task in TASKS.values():  # each task adds its own options (segmentation --png, SRL --frame, text --text-field)
        add = task.predict_options_function()
        if add is not None:
            before = len(p._actions)
            add(p)
            owners.update({a.dest: (task.name, a) for a in p._actions[before:]})
    p.set_defaults(_task_options=owners)
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
        print(f"seal predict: error: {one_line(exc)}", file=sys.stderr)
        return 2
    print(summary)
    return 0


def png_command_path(png: str | os.PathLike) -> Path:
    """Where the command that drew ``png`` is written: ``<name>.command.txt`` beside it."""
    png = Path(png)
    return png.with_name(png.stem + ".command.txt")


def _is_user_error(exc: BaseException) -> bool:
    return isinstance(exc, (PredictError, OSError, ValueError, KeyError, pickle.UnpicklingError, NotImplementedError))


def one_line(exc: BaseException, details: bool = False, limit: int = 400) -> str:
    """An exception's message as one line: its first line, or with ``details`` all its lines joined (e.g. the
    missing / unexpected keys under torch's "Error(s) in loading state_dict" line), cut at ``limit`` characters."""
    msg = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
    lines = [ln.strip() for ln in msg.strip().splitlines() if ln.strip()]
    if not lines:
        return type(exc).__name__
    text = " ".join(lines) if details else lines[0]
    return text if len(text) <= limit else text[: limit - 3] + "..."


# ------------------------------------------------------------------------------------------- run


def run(args: argparse.Namespace) -> str:
    """Do the work of ``seal predict`` for parsed ``args``; returns the summary text.

    Raises:
        PredictError, OSError, ValueError (incl. ``ArffError``, ``DatasetError``): bad inputs; nothing
        has been written then.
    """
    if args.output is None and getattr(args, "png", None) is None and getattr(args, "frame", None) is None:
        raise PredictError("--output is required (or --png for a segmentation checkpoint, --frame for an SRL one)")
    if args.batch_size is not None and args.batch_size < 1:
        raise PredictError(f"--batch-size must be >= 1, got {args.batch_size}")
    if args.dataset is not None and (args.label_count is not None or args.xml is not None or args.labels is not None
                                     or args.input_format is not None or args.zero_based is not None):
        raise PredictError("--label-count/--xml/--labels/--input-format/--zero-based only apply to --input")
    if args.input is not None and (
        args.protocol is not None or args.split_seed is not None or args.drop_empty is not None
    ):
        raise PredictError("--protocol/--split-seed/--drop-empty only apply to --dataset")
    from pathlib import Path

    written = [p for p in (args.output, getattr(args, "png", None)) if p is not None]
    for out in written:  # predictions never replace what they are computed from
        for what, src in (("--input", args.input), ("--ckpt_path", args.ckpt_path)):
            if src is not None and Path(out).exists() and Path(src).exists() and Path(out).samefile(src):
                raise PredictError(f"{out} is the {what} file: predictions would overwrite it; choose another output")

    ckpt = load_predict_checkpoint(args.ckpt_path)
    from seal.tasks import task_of_checkpoint

    task = task_of_checkpoint(ckpt)  # feature-MLC checkpoints store no task name: multi-label
    for dest, (owner, action) in getattr(args, "_task_options", {}).items():
        if owner != task.name and getattr(args, dest, action.default) != action.default:
            raise PredictError(f"{action.option_strings[0]} applies to {owner} checkpoints; {args.ckpt_path} is a "
                               f"{task.name} checkpoint")
    hook = task.predict_function()
    if hook is None:
        raise PredictError(f"{args.ckpt_path} is a {task.name} checkpoint, and that task has no seal predict")
    return hook(args, ckpt)


# ------------------------------------------------------- helpers (shared with the tasks' predict hooks)


def output_format(output: str, fmt: str | None) -> str:
    if fmt is not None:
        return fmt
    ext = Path(output).suffix.lower().lstrip(".")
    if ext in FORMATS:
        return ext
    raise PredictError(f"cannot tell the format of --output {output!r} from its extension; use .jsonl/.csv or --format")


def load_predict_checkpoint(path: str) -> dict:
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
        raise PredictError(one_line(e)) from None
    except OSError as e:
        raise PredictError(f"cannot read checkpoint {path}: {one_line(e)}") from None
    if not isinstance(ckpt, dict) or "state_dict" not in ckpt or "hyper_parameters" not in ckpt:
        raise PredictError(f"{path} is not a seal model checkpoint (no 'state_dict'/'hyper_parameters')")
    return ckpt


def check_finite(values, module, ckpt_path: str, where: str, what: str = "probabilities") -> None:
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


def same_dataset(a: Any, b: Any) -> bool:
    """Whether two dataset names name one catalogue dataset (aliases, case); unregistered names match nothing."""
    from seal.data.catalogue import get_spec

    if not a or not b:
        return False
    try:
        return get_spec(str(a)).name == get_spec(str(b)).name
    except Exception:  # noqa: BLE001 - an unregistered name matches nothing
        return False


def write_text_atomic(output: str, text: str) -> None:
    """Write ``text`` to ``output`` atomically (temporary file in the same directory, fsync, ``os.replace``)."""
    out = Path(output)
    if out.is_dir():
        raise PredictError(f"--output {output} is a directory")
    atomic_write_text(out, text, newline="")


# the helpers' former private names, kept for existing imports
_one_line, _output_format, _load, _check_finite = one_line, output_format, load_predict_checkpoint, check_finite
_same_dataset, _write_text_atomic = same_dataset, write_text_atomic

_MOVED = {  # moved to the task folders; still answered here so that existing imports keep working
    "build_module": "seal.tasks.mlc_features.predict",
    "run_segmentation": "seal.tasks.segmentation.predict",
    "build_segmentation_module": "seal.tasks.segmentation.predict",
    "save_segmentation_grid": "seal.tasks.segmentation.predict",
}


def __getattr__(name: str):
    """The names that moved to :mod:`seal.tasks.mlc_features.predict` and :mod:`seal.tasks.segmentation.predict`
    (imported on use: those modules import this one)."""
    if name in _MOVED:
        import importlib

        return getattr(importlib.import_module(_MOVED[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
