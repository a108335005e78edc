"""``seal predict`` for segmentation checkpoints (the segmentation task's ``predict`` hook).

Predictions are the 36-crop average of :func:`seal.tasks.segmentation.data.predict_36_crops` (the module's
``predict_canvas``)::

    seal predict --ckpt_path CKPT (--dataset weizmann_horse [--split test] | --input FILE.npz
                 | --input IMAGE|FOLDER [--masks FOLDER]) [--output OUT.jsonl|OUT.csv] [--png GRID.png [--images 0 5 9]] [--compare CKPT2 ...]
                 [--threshold T]

``--input`` is one ``.npz`` (:func:`read_predict_npz`) with ``images`` ``(N, H, W, 3)`` uint8 RGB and, optionally,
``masks`` ``(N, H, W)`` of 0/1; without ``masks`` the images are predicted and nothing is scored. ``H x W``
must be the size the model's 36 evaluation crops cover exactly (``max(EVAL_OFFSETS) + crop_size``: 32x32 for
the paper's 24x24 crops, :func:`check_image_size`); other sizes are refused, never predicted in part. A pixel is
foreground when its averaged probability is ``> threshold`` (``--threshold``, default the model's 0.5).

``--input`` may also be one image file (``.png``, ``.jpg``, ``.jpeg``, ``.bmp``) or a folder holding only such
files (sorted by name), read with Pillow and converted to RGB (:func:`read_predict_images`); ``--masks FOLDER``
then gives one gold mask per image, found by the image's file stem (0/1 or 0/255, mode ``L``/``1``/``P``).
Each image must be the model's size (no resizing); the rows get a ``file`` field.

``--output`` writes one line/row per image (``index``, ``iou`` and ``pixel_accuracy`` when there are gold
masks, ``foreground_fraction`` and the predicted ``mask`` as rows of 0/1 characters); ``--png`` draws a grid
with one row per chosen image and the columns image, gold mask (when there are masks), predicted mask (one
column per checkpoint: ``--ckpt_path`` then each ``--compare``, titled with the method and, with masks, the
image's IoU) and writes the command beside it (:func:`seal.cli.predict.png_command_path`). Every output is
checked before anything is computed and all are written together at the end
(:func:`seal.cli.predict.write_files_atomic`). The parser, checkpoint loading, the finiteness check and atomic
writing are :mod:`seal.cli.predict`'s. (Moved here from ``seal.cli.predict``, which still re-exports these
names.)
"""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from seal.cli.predict import (
    PredictError,
    check_finite,
    load_predict_checkpoint,
    one_line,
    output_format,
    png_command_path,
    same_dataset,
)
from seal.tasks.segmentation.data import IMAGE_SIGNATURES

__all__ = [
    "build_segmentation_module",
    "check_image_size",
    "model_image_size",
    "read_predict_images",
    "read_predict_npz",
    "render_segmentation_grid",
    "run_segmentation",
    "save_segmentation_grid",
    "segmentation_conventions",
]


def build_segmentation_module(ckpt: dict, path: str = "checkpoint"):
    """Rebuild a :class:`~seal.tasks.segmentation.module.SegmentationModule` from a loaded checkpoint (eval mode).

    The SEAL-static loss-net is not re-read from its DVN checkpoint: the weights come from this checkpoint.

    Raises:
        PredictError: ``"checkpoint <path>: cannot rebuild the segmentation model: ..."`` (hyper-parameters that do
            not build, or a state dict that does not fit them).
    """
    from seal.tasks.segmentation.module import SegmentationModule

    hp = dict(ckpt["hyper_parameters"])
    try:
        module = SegmentationModule.from_hparams(hp)  # grouped, or flat from before the grouping
        module.load_state_dict(ckpt["state_dict"])
    except (ValueError, KeyError, TypeError, RuntimeError) as e:
        raise PredictError(f"checkpoint {path}: cannot rebuild the segmentation model: {one_line(e, details=True)}") from None
    return module.eval()


#: the first bytes of files that are not a .npz, for the input error (what the file is instead)
_MAGIC = (*IMAGE_SIGNATURES, (b"BM", "a BMP image"), (b"II*\x00", "a TIFF image"), (b"MM\x00*", "a TIFF image"),
          (b"\x93NUMPY", "a .npy array (one array; a .npz holds named arrays)"))


def read_predict_npz(path: str | Path):
    """Read a segmentation ``--input``: a ``.npz`` with ``images`` ``(N, H, W, 3)`` uint8 and, optionally,
    ``masks`` ``(N, H, W)`` of 0/1, without unpickling (``np.load(..., allow_pickle=False)``).

    Returns:
        ``(images uint8 (N, H, W, 3), masks uint8 (N, H, W) or None)``; ``None`` when the file has no ``masks``.

    Raises:
        PredictError: one line naming the file: no such file; a GIF/TIFF image or anything else that is
            not a ``.npz`` nor an image file (the message says what the input must be, :data:`seal.cli.predict.SEGMENTATION_INPUT`);
            an empty or damaged file; no ``images`` array; an object (pickled) array; arrays of the wrong shape,
            dtype or values (:func:`seal.tasks.segmentation.data.validate_arrays`); no images at all.
    """
    import zipfile
    import zlib

    import numpy as np

    from seal.cli.predict import SEGMENTATION_INPUT
    from seal.tasks.segmentation.data import WeizmannDataError, validate_arrays

    p = Path(path)
    need = (f"segmentation input is {SEGMENTATION_INPUT}, or an image file ({_SUFFIXES_TEXT}) or a folder of them; "
            "see seal predict --help")
    if not p.is_file():
        raise PredictError(f"input file not found: {path}")
    try:
        with open(p, "rb") as fh:
            head = fh.read(8)
    except OSError as e:
        raise PredictError(f"cannot read --input {path}: {e.strerror or one_line(e)}") from None
    if not head:
        raise PredictError(f"{path} is empty (0 bytes), not a .npz file; {need}")
    if head[:4] not in (b"PK\x03\x04", b"PK\x05\x06"):  # what np.load takes for a .npz
        kind = next((what for magic, what in _MAGIC if head.startswith(magic)), None)
        raise PredictError(f"{path} is {kind + ', not a .npz file' if kind else 'not a .npz file'}; {need}")

    def damaged(e: BaseException) -> PredictError:
        return PredictError(f"{path} is a damaged .npz file (its zip archive cannot be read: {one_line(e)})")

    try:
        z = np.load(p, allow_pickle=False)
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError) as e:
        raise damaged(e) from None
    arrays = {}
    with z:
        files = sorted(z.files)
        if "images" not in files:
            raise PredictError(f"{path}: no array 'images' (found {files}); {need}")
        for key in ("images", "masks"):
            if key not in files:
                continue
            try:
                arrays[key] = z[key]
            except ValueError as e:
                if "allow_pickle" in str(e):
                    raise PredictError(f"{path}: array {key!r} is an object array (pickled Python objects), which "
                                       "seal never unpickles; store plain numeric arrays") from None
                raise PredictError(f"{path}: array {key!r} cannot be read: {one_line(e)}") from None
            except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as e:
                raise damaged(e) from None
    images, masks = arrays["images"], arrays.get("masks")
    try:
        if masks is None:  # the image checks of validate_arrays, against a mask array of the images' own size
            shape = images.shape[:3] if images.ndim == 4 else (0, 0, 0)
            images, _ = validate_arrays(images, np.zeros(shape, np.uint8), str(path))
        else:
            images, masks = validate_arrays(images, masks, str(path))
    except WeizmannDataError as e:
        raise PredictError(one_line(e)) from None
    if images.shape[0] == 0:
        raise PredictError(f"{path}: no images (array 'images' has shape {tuple(images.shape)}); nothing to predict")
    return images, masks


#: the image files ``--input`` and ``--masks`` read (lower-case suffixes)
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp")
_SUFFIXES_TEXT = ", ".join(IMAGE_SUFFIXES)
#: what the summary calls the image modes converted to RGB
_MODE_NAMES = {"L": "grayscale", "LA": "grayscale+alpha", "1": "1-bit", "P": "palette", "PA": "palette+alpha"}


def is_image_input(path: str | Path) -> bool:
    """Whether ``--input`` names an image file (by its suffix) or a folder (read as a folder of images)."""
    p = Path(path)
    return p.is_dir() or p.suffix.lower() in IMAGE_SUFFIXES


def _pillow():
    try:
        from PIL import Image
    except ImportError:
        raise PredictError("reading image files needs Pillow: pip install pillow") from None
    return Image


def _open_image(Image, path: Path, what: str):
    """The loaded Pillow image of ``path`` (``what``: "image", "mask"), refusing 16/32-bit and float modes."""
    try:
        with Image.open(path) as im:
            im.load()
    except FileNotFoundError:
        raise PredictError(f"{what} file not found: {path}") from None
    except (OSError, ValueError, Image.DecompressionBombError) as e:  # UnidentifiedImageError is an OSError
        raise PredictError(f"{path}: cannot read the {what} ({one_line(e)})") from None
    if im.mode in ("I", "F") or im.mode.startswith("I;"):
        raise PredictError(f"{path}: the {what} has mode {im.mode} (16/32-bit or float pixels); "
                           "seal predict reads 8-bit images")
    return im


def _read_mask(Image, path: Path, image_path: Path, size: tuple[int, int]):
    """A gold mask image as uint8 0/1: mode L/1/P, values 0 and 1 or 0 and 255 (> 0 is foreground)."""
    import numpy as np

    im = _open_image(Image, path, "mask")
    if im.mode not in ("L", "1", "P"):
        raise PredictError(f"{path}: the mask of {image_path} has mode {im.mode}; a mask is a single-channel "
                           "image (mode L, 1 or P) of 0/1 or 0/255")
    a = np.asarray(im).astype(np.uint8)  # mode 1: bool -> 0/1; P: the palette indices
    if a.shape != size:
        raise PredictError(f"{path}: the mask is {a.shape[0]}x{a.shape[1]}, but its image {image_path} is "
                           f"{size[0]}x{size[1]}")
    allowed = (0, 1) if int(a.max(initial=0)) <= 1 else (0, 255)
    bad = np.argwhere(~np.isin(a, allowed))
    if bad.size:
        r, c = (int(v) for v in bad[0])
        raise PredictError(f"{path}: mask pixel (row {r}, column {c}) is {int(a[r, c])}; mask values must be "
                           "0 and 1 or 0 and 255")
    return (a > 0).astype(np.uint8)


def read_predict_images(path: str | Path, masks_dir: str | Path | None = None, check_size=None):
    """Read a segmentation ``--input`` that is one image file (``.png``, ``.jpg``, ``.jpeg``, ``.bmp``) or a folder
    of them (sorted by file name), with Pillow, converted to RGB; ``--masks`` ``masks_dir`` holds one mask per
    image with the image's file stem (any of those suffixes; mode ``L``/``1``/``P``, values 0/1 or 0/255).

    Args:
        check_size: called as ``check_size((h, w), file)`` for each image before the images are stacked (the
            caller's :func:`check_image_size`); by default all images must have the first one's size.

    Returns:
        ``(images uint8 (N, H, W, 3), masks uint8 (N, H, W) or None, files [Path], converted {mode: count})``.

    Raises:
        PredictError: one line naming the file: no such file; a folder with no images or with other files in it
            (all named); Pillow missing; an image or mask that cannot be read; an image of another size
            (``check_size``); a missing, ambiguous, non-single-channel, wrongly sized or non-0/1 mask.
    """
    import numpy as np

    p = Path(path)
    if p.is_dir():
        entries = sorted(p.iterdir(), key=lambda f: f.name)
        others = [f.name + ("/" if f.is_dir() else "") for f in entries
                  if not (f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES)]
        if others:
            shown = ", ".join(others[:5]) + (f", ... ({len(others)} in all)" if len(others) > 5 else "")
            raise PredictError(f"--input {path}: a folder of images holds only image files ({_SUFFIXES_TEXT}), "
                               f"but it also holds {shown}")
        files = entries
        if not files:
            raise PredictError(f"--input {path} is an empty folder: no images ({_SUFFIXES_TEXT}) to predict")
    elif p.is_file():
        files = [p]
    else:
        raise PredictError(f"input file not found: {path}")
    mdir = None if masks_dir is None else Path(masks_dir)
    if mdir is not None and not mdir.is_dir():
        raise PredictError(f"--masks {masks_dir} is not a folder" if mdir.exists() else
                           f"--masks folder not found: {masks_dir}")
    Image = _pillow()
    images, masks, converted = [], [], {}
    first = None
    for f in files:
        im = _open_image(Image, f, "image")
        size = (im.height, im.width)
        if check_size is not None:
            check_size(size, str(f))
        elif first is not None and size != first[0]:
            raise PredictError(f"{f}: the image is {size[0]}x{size[1]}, but {first[1]} is {first[0][0]}x{first[0][1]}")
        first = first or (size, f)
        if im.mode != "RGB":
            converted[im.mode] = converted.get(im.mode, 0) + 1
            im = im.convert("RGB")
        images.append(np.asarray(im, dtype=np.uint8))
        if mdir is not None:
            found = sorted(m for m in mdir.iterdir() if m.stem == f.stem and m.suffix.lower() in IMAGE_SUFFIXES)
            if not found:
                raise PredictError(f"--masks {masks_dir}: no mask for {f} (looked for {f.stem} with "
                                   f"{_SUFFIXES_TEXT})")
            if len(found) > 1:
                raise PredictError(f"--masks {masks_dir}: {len(found)} masks for {f} "
                                   f"({', '.join(m.name for m in found)}); keep one")
            masks.append(_read_mask(Image, found[0], f, size))
    return np.stack(images), (np.stack(masks) if mdir is not None else None), files, converted


def converted_note(converted: dict, n: int) -> str:
    """The summary's note on images converted to RGB: ``"converted to RGB: 2 of 3 images (1 grayscale (L),
    1 RGBA)"``; ``""`` when all were RGB."""
    if not converted:
        return ""
    parts = ", ".join(f"{k} {_MODE_NAMES[mode]} ({mode})" if mode in _MODE_NAMES else f"{k} {mode}"
                      for mode, k in sorted(converted.items()))
    return f"converted to RGB: {sum(converted.values())} of {n} images ({parts})"


def model_image_size(module) -> int:
    """The image side a segmentation model predicts: its 36 evaluation crops (``crop_size`` at the offsets
    :data:`seal.tasks.segmentation.data.EVAL_OFFSETS`) cover exactly ``max(offsets) + crop_size`` pixels (32 for
    the paper's 24x24 crops)."""
    from seal.tasks.segmentation.data import eval_canvas

    return eval_canvas(int(module.hparams.crop_size))


def check_image_size(modules, size: tuple[int, int], where: str, one: bool = False) -> None:
    """Refuse images that the 36-crop evaluation of a model would not cover exactly (larger images would be
    predicted only in part, smaller ones cannot be cropped).

    Raises:
        PredictError: ``"<where>: the images are HxW, but <ckpt> predicts SxS images (36 crops of CxC at offsets
            0..8 cover exactly SxS); resize or crop the images to SxS"`` (with ``one``: "the image is ...
            resize or crop the image to SxS", for one image file).
    """
    from seal.tasks.segmentation.data import EVAL_OFFSETS

    h, w = size
    for path, m in modules:
        side, crop = model_image_size(m), int(m.hparams.crop_size)
        if (h, w) != (side, side):
            what = ("the image is", "the image") if one else ("the images are", "the images")
            raise PredictError(
                f"{where}: {what[0]} {h}x{w}, but {path} predicts {side}x{side} images (36 crops of "
                f"{crop}x{crop} at offsets {min(EVAL_OFFSETS)}..{max(EVAL_OFFSETS)} cover exactly {side}x{side}); "
                f"resize or crop {what[1]} to {side}x{side}"
            )


def segmentation_conventions(threshold: float, size: tuple[int, int]) -> str:
    """The metric-conventions line for predictions at ``threshold`` on ``size`` images (for 0.5 and 32x32 it is
    :data:`seal.metrics.SEGMENTATION_CONVENTIONS`)."""
    t = f"{threshold:g}"
    return (
        "Metric conventions: segmentation predictions are the foreground probabilities of the 36 crops averaged "
        f"over the full {size[0]}x{size[1]} image; foreground is prob > {t} ({t} is background), IoU is per image "
        "averaged over images, and an empty gold mask with an empty prediction scores 1.0."
    )


def _segmentation_inputs(args, dm_hp: dict, modules=()):
    """``(images, masks or None, where, files or None, converted)`` for ``--dataset``/``--split``, an ``--input``
    ``.npz`` file, or ``--input`` image file(s) with optional ``--masks`` (``files``: their paths; ``converted``:
    the modes converted to RGB, :func:`read_predict_images`, each image checked against ``modules``).

    Raises:
        PredictError: options of other tasks, ``--masks`` without image files, a bad ``--input``
            (:func:`read_predict_npz`, :func:`read_predict_images`), a dataset that is not a segmentation dataset.
    """
    if args.label_count is not None or args.xml is not None or args.labels is not None \
            or args.input_format is not None or args.zero_based is not None or args.protocol is not None \
            or args.split_seed is not None or args.drop_empty is not None:
        raise PredictError("--label-count/--xml/--labels/--input-format/--zero-based/--protocol/--split-seed/"
                           "--drop-empty do not apply to segmentation checkpoints")
    masks_dir = getattr(args, "masks", None)
    if args.input is not None and is_image_input(args.input):
        images, masks, files, converted = read_predict_images(
            args.input, masks_dir, lambda size, f: check_image_size(modules, size, f, one=True))
        return images, masks, str(args.input), [str(f) for f in files], converted
    if masks_dir is not None:
        given = "--dataset" if args.input is None else f"--input {args.input} (a .npz: its masks are its 'masks' array)"
        raise PredictError(f"--masks applies to --input image files or folders, not to {given}")
    if args.input is not None:
        images, masks = read_predict_npz(args.input)
        return images, masks, str(args.input), None, {}
    from seal.data.catalogue import get_spec
    from seal.tasks.segmentation.data import load_segmentation_dataset

    kw: dict[str, Any] = {}
    stored = dm_hp.get("data_dir")
    if same_dataset(dm_hp.get("dataset"), args.dataset) and stored and Path(stored).expanduser().is_dir():
        kw["data_dir"] = stored
    if args.data_dir is not None:
        kw["data_dir"] = args.data_dir
    if get_spec(args.dataset).loader != "segmentation":
        raise PredictError(f"dataset {args.dataset!r} is not a segmentation dataset, but the checkpoint is a segmentation model")
    ds = load_segmentation_dataset(args.dataset, **kw)
    split = ds.splits[args.split]
    return split.images, split.masks, f"dataset {ds.name!r} split {args.split!r}", None, {}


def _segmentation_probs(module, x, batch_size: int):
    import torch

    outs = []
    with torch.no_grad():
        for start in range(0, x.shape[0], batch_size):
            outs.append(module.predict_canvas(x[start : start + batch_size]).float())
    return torch.cat(outs) if outs else x.new_zeros((0, *x.shape[-2:]))


def run_segmentation(args, ckpt: dict) -> str:
    """``seal predict`` for a segmentation checkpoint (the segmentation task's ``predict`` hook).

    Everything is read, checked and computed first (the ``--output`` rows and the ``--png`` grid in memory);
    then all outputs are written together (:func:`seal.cli.predict.write_files_atomic`), so an error leaves
    existing files untouched. Without gold masks (an ``--input`` without ``masks``) the rows and the summary
    carry no metrics, and the summary says so.

    Raises:
        PredictError: a bad output format or ``--threshold`` (not in (0, 1)); ``--format`` without ``--output``;
            ``--images`` without ``--png`` or out of range; a ``--compare`` file that is not a segmentation checkpoint; a bad input
            (:func:`read_predict_npz`); images of another size than a model predicts (:func:`check_image_size`);
            non-finite probabilities; an output that cannot be written.
    """
    from seal.cli.predict import write_files_atomic
    from seal.metrics.functional import iou_per_image
    from seal.tasks import task_of_checkpoint
    from seal.tasks.segmentation.data import SegmentationSplit

    fmt = output_format(args.output, args.format) if args.output is not None else None
    if args.format is not None and args.output is None:
        raise PredictError("--format applies to --output")
    if args.images is not None and args.png is None:
        raise PredictError("--images chooses the rows of the --png grid; give --png too")

    task = task_of_checkpoint(ckpt)
    modules = [(args.ckpt_path, build_segmentation_module(ckpt, args.ckpt_path))]
    for other in args.compare:
        c = load_predict_checkpoint(other, "--compare")
        if task_of_checkpoint(c) is not task:  # the registry's answer for both checkpoints
            raise PredictError(f"--compare {other} is a {task_of_checkpoint(c).name} checkpoint, not a {task.name} one")
        modules.append((other, build_segmentation_module(c, other)))
    threshold = float(modules[0][1].hparams.get("threshold", 0.5)) if args.threshold is None else float(args.threshold)
    if not 0.0 < threshold < 1.0:
        raise PredictError(f"--threshold must lie in (0, 1), got {threshold:g}")
    images, masks, where, image_files, converted = _segmentation_inputs(
        args, dict(ckpt.get("datamodule_hyper_parameters") or {}), modules)
    n, size = int(images.shape[0]), (int(images.shape[1]), int(images.shape[2]))
    check_image_size(modules, size, where)
    labelled = masks is not None
    x, y = SegmentationSplit(images, masks if labelled else images[..., 0] * 0).tensors()
    chosen = list(range(min(6, n))) if args.images is None else list(args.images)
    bad = [i for i in chosen if not 0 <= i < n]
    if bad:
        raise PredictError(f"--images {bad} out of range: {where} has {n} images (0..{n - 1})")

    all_probs = [_segmentation_probs(m, x, args.batch_size or 1024) for _, m in modules]
    for (path, m), p in zip(modules, all_probs):
        check_finite(p, m, path, where, "mask probabilities")
    scores = []  # (method, path, pred, iou or None, pixel accuracy or None) per checkpoint
    for (path, m), p in zip(modules, all_probs):
        pred = p > threshold
        iou = iou_per_image(p, y, threshold) if labelled else None
        acc = (pred == (y > 0.5)).flatten(1).float().mean(1) if labelled else None
        scores.append((str(m.hparams.get("method", Path(path).stem)), path, pred, iou, acc))
    method, _, pred, iou, acc = scores[0]

    files: list[tuple[str, str, bytes]] = []
    if fmt is not None:
        files.append(("--output", args.output, _format_segmentation(fmt, pred, iou, acc, image_files).encode("utf-8")))
    command = getattr(args, "command_line", None) if args.png is not None else None
    if args.png is not None:
        cols = [(title, p, i) for title, _, p, i, _ in scores]
        files.append(("--png", args.png, render_segmentation_grid(images, masks, chosen, cols)))
        if command:  # the command beside the figure (`seal report` quotes it under the embedded grid)
            files.append(("--png's command file", str(png_command_path(args.png)),
                          (command + "\n").encode("utf-8")))
    write_files_atomic(files)

    summary = f"seal predict: {n} images from {where} ({method}, 36-crop average), "
    if labelled:
        summary += f"mean IoU {float(iou.mean()):.4f}, pixel accuracy {float(acc.mean()):.4f}"
        for title, path, _, i, a in scores[1:]:
            summary += f"; {title} ({path}): mean IoU {float(i.mean()):.4f}, pixel accuracy {float(a.mean()):.4f}"
    elif image_files is not None:
        summary += "no metrics computed: no --masks folder (gold masks)"
    else:
        summary += f"no metrics computed: {where} has no 'masks' array (gold masks)"
        for title, path, *_ in scores[1:]:
            summary += f"; also predicted by {title} ({path})"
    note = converted_note(converted, n)
    if note:
        summary += f"; {note}"
    wrote = [w for w in (args.output, args.png) if w is not None]
    if command:
        wrote[-1] += f" (and its command in {png_command_path(args.png)})"
    return summary + f"; wrote {', '.join(wrote)}\n{segmentation_conventions(threshold, size)}"


def _format_segmentation(fmt: str, pred, iou, acc, files=None) -> str:
    """The ``--output`` rows: ``index``, ``file`` (only for image-file input: ``files`` not ``None``), ``iou`` and
    ``pixel_accuracy`` (only with gold masks: ``iou`` not ``None``), ``foreground_fraction`` and ``mask``."""
    buf = io.StringIO()
    labelled = iou is not None
    rows = []
    for i in range(pred.shape[0]):
        mask = ["".join("1" if v else "0" for v in row) for row in pred[i].tolist()]
        metrics = (round(float(iou[i]), 6), round(float(acc[i]), 6)) if labelled else ()
        rows.append((i, metrics, round(float(pred[i].float().mean()), 6), mask))
    if fmt == "jsonl":
        for i, metrics, c, mask in rows:
            row: dict[str, Any] = {"index": i}
            if files is not None:
                row["file"] = files[i]
            if labelled:
                row.update(iou=metrics[0], pixel_accuracy=metrics[1])
            row.update(foreground_fraction=c, mask=mask)
            buf.write(json.dumps(row) + "\n")
    else:
        w = csv.writer(buf, lineterminator="\n")
        named = files is not None
        w.writerow(["index"] + (["file"] if named else []) + (["iou", "pixel_accuracy"] if labelled else [])
                   + ["foreground_fraction", "mask"])
        for i, metrics, c, mask in rows:
            w.writerow([i] + ([files[i]] if named else []) + [f"{v:.6f}" for v in metrics]
                       + [f"{c:.6f}", "/".join(mask)])
    return buf.getvalue()


def render_segmentation_grid(images, masks, chosen, columns) -> bytes:
    """The PNG bytes of a grid: one row per image index in ``chosen``; columns image | gold (left out when
    ``masks`` is ``None``) | one predicted mask per entry of ``columns`` (``(title, pred (N, H, W) bool tensor,
    iou (N,) or None)``, titled with the IoU when there is one).

    Raises:
        PredictError: matplotlib is not installed.
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise PredictError("--png needs matplotlib (pip install 'seal[plot]')") from None
    fixed = 1 if masks is None else 2
    ncols = fixed + len(columns)
    fig, axes = plt.subplots(len(chosen), ncols, figsize=(1.6 * ncols, 1.6 * len(chosen) + 0.3), squeeze=False)
    for r, i in enumerate(chosen):
        tiles = [(images[i], "image")] + ([] if masks is None else [(masks[i], "gold")])
        tiles += [(pred[i].cpu().numpy(), title if iou is None else f"{title}\nIoU {float(iou[i]):.2f}")
                  for title, pred, iou in columns]
        for c, (tile, title) in enumerate(tiles):
            ax = axes[r][c]
            ax.imshow(tile, cmap=None if c == 0 else "gray", vmin=0, vmax=255 if c == 0 else 1, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(title if c >= fixed else (title if r == 0 else ""), fontsize=7)
            if c == 0:
                ax.set_ylabel(f"#{i}", fontsize=7)
    fig.tight_layout()
    buf = io.BytesIO()
    try:
        fig.savefig(buf, format="png", dpi=120)
    finally:
        plt.close(fig)
    return buf.getvalue()


def save_segmentation_grid(path, images, masks, chosen, columns) -> Path:
    """Write :func:`render_segmentation_grid` to ``path`` (a PNG; atomic write).

    Raises:
        PredictError: matplotlib is not installed; ``path`` cannot be written (``"cannot write --png ..."``).
    """
    from seal.cli.predict import write_files_atomic

    write_files_atomic([("--png", path, render_segmentation_grid(images, masks, chosen, columns))])
    return Path(path)
