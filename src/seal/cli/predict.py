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
loading and writers: multi-label (:mod:`seal.tasks.mlc_features.predict`, all of the above), segmentation (:mod:`seal.tasks.segmentation.predict`: ``--dataset weizmann_horse`` or ``--input FILE.npz``
with ``images`` (N, H, W, 3) uint8 and optional ``masks`` (N, H, W) of 0/1, ``--output`` per-image rows, ``--png
GRID.png [--images ...] [--compare CKPT2 ...]``, the grid's command written to ``GRID.command.txt``), SRL
(``--frame N``).

Before anything is computed, :func:`run` refuses ``--split`` with ``--input``, an output that is an input
(``--input``, ``--ckpt_path``, a ``--compare`` checkpoint) or another output (:func:`check_output_collisions`),
and an output that cannot be written (:func:`check_outputs`: ``cannot write --output PATH: ...``).
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

#: what ``--input`` must be for a segmentation checkpoint (``--help`` and the segmentation input errors)
SEGMENTATION_INPUT = "one .npz file with the arrays images (N, H, W, 3) uint8 RGB and, optionally, masks (N, H, W) of 0/1"


class PredictError(Exception):
    """A user-facing problem with ``seal predict``'s inputs (one-line message, exit code 2)."""


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="seal predict",
        description="Write a trained model's predictions for a dataset split or a data file (feature checkpoints: "
        "ARFF, LibSVM, CSV/TSV; text checkpoints: JSON lines; segmentation checkpoints: a .npz of images; see each "
        "task's docs for the others).",
        epilog="Segmentation checkpoints: --png GRID.png (the name must end in .png) also writes GRID.command.txt "
        "beside it, the seal predict command that drew the grid (seal report quotes it); an existing "
        "GRID.command.txt is replaced only when it holds such a command (it starts with 'seal predict '), otherwise "
        "the command is refused. Every output is checked before anything is computed and all of them are written "
        "together at the end: a failing command leaves existing files as they were.",
    )
    p.add_argument("--ckpt_path", "--ckpt-path", dest="ckpt_path", required=True, help="checkpoint (.ckpt) to load")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--dataset", help="a registered dataset name (seal data list)")
    src.add_argument("--input", help="a data file: ARFF (.arff, or a .zip holding one), LibSVM/SVMlight (.svm, "
                     ".libsvm, .svmlight, .txt) or CSV/TSV (.csv, .tsv); label columns may be absent. Text "
                     "checkpoints: JSON lines (.jsonl, .jsonl.gz), the label field optional. Segmentation "
                     "checkpoints: " + SEGMENTATION_INPUT + " (gold masks: then IoU and pixel accuracy are "
                     "computed), or one image file (.png, .jpg, .jpeg, .bmp) or a folder holding only such files "
                     "(sorted by name; read with Pillow and converted to RGB; gold masks from --masks FOLDER), "
                     "H x W being the model's image size (32x32 for the default 24x24 crops; images of another size "
                     "are refused, not resized)")
    p.add_argument("--input-format", "--input_format", dest="input_format", default=None,
                   choices=("arff", "libsvm", "csv", "tsv", "jsonl"),
                   help="with --input: its format (default: from the extension; jsonl: JSON lines, text checkpoints)")
    p.add_argument("--labels", default=None,
                   help="with --input (ARFF, CSV/TSV): comma-separated names of the label attributes/columns")
    p.add_argument("--zero-based", dest="zero_based", choices=("auto", "true", "false"), default=None,
                   help="with --input (LibSVM): feature indices (default: 0-based when the file has the header line "
                   "'n_rows n_features n_labels' or an index 0, else as the model's training files were read)")
    p.add_argument("--split", default=None, choices=("train", "val", "test"),
                   help="with --dataset (default: test); refused with --input")
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
    p.add_argument("--output", default=None,
                   help="output file (.jsonl or .csv); required for multi-label checkpoints. It is written atomically "
                   "once everything has been computed (an existing file is then replaced; missing folders are "
                   "created); on any error nothing is written")
    p.add_argument("--format", choices=FORMATS, default=None, help="default: from the output's extension")
    p.add_argument("--threshold", type=float, default=None,
                   help="decision threshold (default: the model's, normally 0.5). Multi-label and text checkpoints: "
                   "a label is predicted when p >= threshold (in [0, 1]); segmentation checkpoints: a pixel is "
                   "foreground when p > threshold (in (0, 1); p == threshold is background); SRL checkpoints: "
                   "refused (no threshold)")
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
        has been written then. Among them (:class:`PredictError`): ``--split`` with ``--input``; an output that is
        an input (:func:`check_output_collisions`); an output that cannot be written or a bad ``--png`` name
        (:func:`check_outputs`); a checkpoint that cannot be loaded (:func:`load_predict_checkpoint`).
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
    if args.input is not None and getattr(args, "split", None) not in (None, "test"):  # "test": the old default
        raise PredictError(f"--split {args.split} applies to --dataset; --input {args.input} is predicted whole")
    if getattr(args, "split", None) is None:
        args.split = "test"
    check_output_collisions(args)

    ckpt = load_predict_checkpoint(args.ckpt_path)
    from seal.tasks import task_of_checkpoint

    task = task_of_checkpoint(ckpt)  # feature-MLC checkpoints store no task name: multi-label
    for dest, (owner, action) in getattr(args, "_task_options", {}).items():
        if owner != task.name and getattr(args, dest, action.default) != action.default:
            raise PredictError(f"{action.option_strings[0]} applies to {owner} checkpoints; {args.ckpt_path} is a "
                               f"{task.name} checkpoint")
    check_outputs(args)
    hook = task.predict_function()
    if hook is None:
        raise PredictError(f"{args.ckpt_path} is a {task.name} checkpoint, and that task has no seal predict")
    return hook(args, ckpt)


# ------------------------------------------------------- helpers (shared with the tasks' predict hooks)


def _same_file(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    """Whether two paths name one file: the same inode when both exist, else the same resolved path."""
    pa, pb = Path(a), Path(b)
    try:
        if pa.exists() and pb.exists():
            return pa.samefile(pb)
    except OSError:
        pass
    return os.path.realpath(pa) == os.path.realpath(pb)


def planned_outputs(args: argparse.Namespace) -> list[tuple[str, str]]:
    """``(description, path)`` of every file ``args`` asks ``seal predict`` to write: ``--output``, ``--png`` and
    the ``--png`` grid's command file (:func:`png_command_path`)."""
    outs = []
    if args.output is not None:
        outs.append((f"--output {args.output}", str(args.output)))
    png = getattr(args, "png", None)
    if png is not None:
        outs.append((f"--png {png}", str(png)))
        outs.append((f"the command file of --png {png} ({png_command_path(png)})", str(png_command_path(png))))
    return outs


def check_output_collisions(args: argparse.Namespace) -> None:
    """Refuse outputs that are an input (``--input``, ``--ckpt_path``, each ``--compare``) or one another.

    Raises:
        PredictError: ``"<option> <path> is the <input option> file: predictions would overwrite it; choose
            another output"`` or ``"<option> <path> and <option> <path> are the same file; choose different
            paths"`` (files that do not exist yet are compared by their resolved paths).
    """
    sources = [("--input", args.input), ("--ckpt_path", args.ckpt_path)]
    sources += [("--compare", c) for c in (getattr(args, "compare", None) or [])]
    outs = planned_outputs(args)
    for desc, out in outs:  # predictions never replace what they are computed from
        for what, src in sources:
            if src is not None and _same_file(out, src):
                raise PredictError(f"{desc} is the {what} file: predictions would overwrite it; choose another output")
    for i, (desc_a, a) in enumerate(outs):
        for desc_b, b in outs[i + 1 :]:
            if _same_file(a, b):
                raise PredictError(f"{desc_a} and {desc_b} are the same file; choose different paths")


def check_writable(option: str, path: str | os.PathLike) -> None:
    """Check, before anything is computed, that ``path`` (given as ``option``) can be written: not a directory,
    no file among its parents, and a file can be created in its nearest existing folder (a probe file is made
    and removed there).

    Raises:
        PredictError: ``"<option> <path> is a directory"``, ``"cannot write <option> <path>: <parent> is a file"``
            or ``"cannot write <option> <path>: cannot create a file in <folder> (<reason>)"``.
    """
    import tempfile

    out = Path(path)
    if out.is_dir():
        raise PredictError(f"{option} {path} is a directory")
    folder = out.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise PredictError(f"cannot write {option} {path}: {folder} is a file")
    try:
        fd, probe = tempfile.mkstemp(prefix=".seal-write-check.", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise PredictError(f"cannot write {option} {path}: cannot create a file in {folder} "
                           f"({e.strerror or type(e).__name__})") from None


def check_outputs(args: argparse.Namespace) -> None:
    """Check every planned output before anything is computed: ``--png`` ends in ``.png``; the grid's command
    file, if it exists, is one that ``seal predict`` wrote; every output can be written (:func:`check_writable`).

    Raises:
        PredictError: one line naming the option and the path.
    """
    png = getattr(args, "png", None)
    if png is not None:
        if Path(png).suffix.lower() != ".png":
            raise PredictError(f"--png {png}: the grid is drawn as a PNG image; give a file name ending in .png")
        side = png_command_path(png)
        if side.is_file():
            try:
                with open(side, "rb") as fh:
                    head = fh.read(len(b"seal predict "))
            except OSError as e:
                raise PredictError(f"cannot read {side} (the command file of --png {png}): {e.strerror}") from None
            if head != b"seal predict ":
                raise PredictError(f"--png {png} also writes the command that drew it to {side}, which exists and "
                                   "is not such a command file; move it or choose another --png")
    if args.output is not None:
        check_writable("--output", args.output)
    if png is not None:
        check_writable("--png", png)
        if png_command_path(png).is_dir():
            raise PredictError(f"--png {png} also writes the command that drew it to {png_command_path(png)}, which "
                               "is a directory; choose another --png")


def write_files_atomic(files: list[tuple[str, str | os.PathLike, bytes]]) -> None:
    """Write several files all or nothing: each ``(option, path, data)`` first goes to a temporary file beside
    ``path`` (fsync-ed), and only when all of them are written are they moved into place with ``os.replace``,
    the files they replace kept (hard link, else copy) until the last replace has succeeded. On an error the
    temporary files (and folders this call created) are removed, replaces already made are undone, and existing
    files are left byte-identical.

    Raises:
        PredictError: ``"cannot write <option> <path>: <reason>"``, or ``"<option> <path> is a directory"``.
    """
    import shutil
    import tempfile

    umask = os.umask(0)
    os.umask(umask)
    staged: list[tuple[str, Path, str]] = []
    created: list[Path] = []
    done = False
    try:
        for option, path, data in files:
            out = Path(path)
            if out.is_dir():
                raise PredictError(f"{option} {path} is a directory")
            try:
                missing = []
                folder = out.parent
                while not folder.exists() and folder != folder.parent:
                    missing.append(folder)
                    folder = folder.parent
                for d in reversed(missing):
                    d.mkdir()
                    created.append(d)
                fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
                staged.append((option, out, tmp))
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.chmod(tmp, 0o666 & ~umask)
            except OSError as e:
                raise PredictError(f"cannot write {option} {path}: {e.strerror or one_line(e)}") from None
        # keep the files about to be replaced (a hard link, else a copy) until every replace has succeeded, so
        # that a failing later replace can put the earlier ones back
        backups: list[tuple[Path, str | None]] = []
        failing = staged[0][:2] if staged else ("", Path())
        try:
            for option, out, tmp in staged:
                failing, bak = (option, out), None
                if out.is_file():
                    bak = f"{tmp}.old"
                    try:
                        os.link(out, bak)
                    except OSError:
                        shutil.copy2(out, bak)
                backups.append((out, bak))
                os.replace(tmp, out)
        except OSError as e:
            for out, bak in reversed(backups):  # undo the replaces made (a new file is removed again)
                try:
                    os.replace(bak, out) if bak is not None else out.unlink(missing_ok=True)
                    if bak is not None and os.path.lexists(bak):  # rename between two links of one file: a no-op
                        os.unlink(bak)
                except OSError:
                    pass
            raise PredictError(f"cannot write {failing[0]} {failing[1]}: {e.strerror or one_line(e)}") from None
        for _, bak in backups:
            if bak is not None:
                try:
                    os.unlink(bak)
                except OSError:
                    pass
        done = True
    finally:
        for _, _, tmp in staged:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        if not done:
            for d in reversed(created):
                try:
                    d.rmdir()
                except OSError:
                    pass


def output_format(output: str, fmt: str | None) -> str:
    if fmt is not None:
        return fmt
    ext = Path(output).suffix.lower().lstrip(".")
    if ext in FORMATS:
        return ext
    raise PredictError(f"cannot tell the format of --output {output!r} from its extension; use .jsonl/.csv or --format")


def load_predict_checkpoint(path: str, option: str = "--ckpt_path") -> dict:
    """Load ``path`` (given as ``option``: ``--ckpt_path``, ``--compare``) weights-only and check its tensor
    checksum (:func:`seal.training.checkpoint.load_checkpoint`).

    Raises:
        PredictError: missing, empty, truncated, corrupted, unsafe (would unpickle code) or not a seal model
            checkpoint; the message names the file and the reason. A directory: ``"<option> DIR is a directory;
            the checkpoint in it is DIR/.../best.ckpt: pass that file"`` (or how many ``best.ckpt`` it holds, or
            none); a zip archive that ``torch.save`` did not write (e.g. a ``.npz``): ``"<option> FILE is not a
            checkpoint: ..."``.
    """
    import zipfile

    from seal.training.checkpoint import CheckpointError, load_checkpoint

    p = Path(path)
    if p.is_dir():
        # best.ckpt in the folder or in a checkpoints/ folder at most three levels below it (a run directory's
        # lightning_logs/version_N/checkpoints), not a walk of the whole tree under it
        found = sorted({f for pattern in ("best.ckpt", "checkpoints/best.ckpt", "*/checkpoints/best.ckpt",
                                          "*/*/checkpoints/best.ckpt", "*/*/*/checkpoints/best.ckpt")
                        for f in p.glob(pattern)})
        if len(found) == 1:
            raise PredictError(f"{option} {path} is a directory; the checkpoint in it is {found[0]}: pass that file")
        if found:
            shown = ", ".join(str(f) for f in found[:3]) + (", ..." if len(found) > 3 else "")
            raise PredictError(f"{option} {path} is a directory with {len(found)} best.ckpt files below it "
                               f"({shown}); pass one of them")
        raise PredictError(f"{option} {path} is a directory with no best.ckpt below it; pass a .ckpt file")
    if not p.is_file():
        raise PredictError(f"checkpoint not found: {path}")
    try:
        names = zipfile.ZipFile(p).namelist() if zipfile.is_zipfile(p) else None
    except (OSError, zipfile.BadZipFile):
        names = None  # load_checkpoint says what is wrong with it
    if names is not None and not any(n == "data.pkl" or n.endswith("/data.pkl") for n in names):
        if names and all(n.endswith(".npy") for n in names):
            arrays = ", ".join(n[: -len(".npy")] for n in names[:5]) + (", ..." if len(names) > 5 else "")
            kind = f"a numpy .npz data file (arrays {arrays})"
        else:
            kind = "a zip archive without the data.pkl that torch.save writes"
        raise PredictError(f"{option} {path} is not a checkpoint: it is {kind}; pass a .ckpt file written by seal fit")
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


def write_text_atomic(output: str, text: str, option: str = "--output") -> None:
    """Write ``text`` to ``output`` atomically (temporary file in the same directory, fsync, ``os.replace``).

    Raises:
        PredictError: ``"<option> <output> is a directory"`` or ``"cannot write <option> <output>: <reason>"``
            (an existing file is then unchanged).
    """
    out = Path(output)
    if out.is_dir():
        raise PredictError(f"{option} {output} is a directory")
    try:
        atomic_write_text(out, text, newline="")
    except OSError as e:
        raise PredictError(f"cannot write {option} {output}: {e.strerror or one_line(e)}") from None


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
