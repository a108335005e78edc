"""``seal predict`` for segmentation checkpoints (the segmentation task's ``predict`` hook).

Predictions are the 36-crop average of :func:`seal.tasks.segmentation.data.predict_36_crops` (the module's
``predict_canvas``)::

    seal predict --ckpt_path CKPT (--dataset weizmann_horse [--split test] | --input FILE.npz)
                 [--output OUT.jsonl|OUT.csv] [--png GRID.png [--images 0 5 9]] [--compare CKPT2 ...]
                 [--threshold T]

``--input`` is one ``.npz`` (:func:`read_predict_npz`) with ``images`` ``(N, H, W, 3)`` uint8 RGB and, optionally,
``masks`` ``(N, H, W)`` of 0/1; without ``masks`` the images are predicted and nothing is scored. ``H x W``
must be the size the model's 36 evaluation crops cover exactly (``max(EVAL_OFFSETS) + crop_size``: 32x32 for
the paper's 24x24 crops, :func:`check_image_size`); other sizes are refused, never predicted in part. A pixel is
foreground when its averaged probability is ``> threshold`` (``--threshold``, default the model's 0.5).

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

__all__ = [
    "build_segmentation_module",
    "check_image_size",
    "model_image_size",
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
_MAGIC = ((b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"), (b"GIF8", "a GIF image"),
          (b"BM", "a BMP image"), (b"II*\x00", "a TIFF image"), (b"MM\x00*", "a TIFF image"),
          (b"\x93NUMPY", "a .npy array (one array; a .npz holds named arrays)"))


def read_predict_npz(path: str | Path):
    """Read a segmentation ``--input``: a ``.npz`` with ``images`` ``(N, H, W, 3)`` uint8 and, optionally,
    ``masks`` ``(N, H, W)`` of 0/1, without unpickling (``np.load(..., allow_pickle=False)``).

    Returns:
        ``(images uint8 (N, H, W, 3), masks uint8 (N, H, W) or None)``; ``None`` when the file has no ``masks``.

    Raises:
        PredictError: one line naming the file: no such file; a folder, an image file or anything else that is
            not a ``.npz`` (the message says what the input must be, :data:`seal.cli.predict.SEGMENTATION_INPUT`);
            an empty or damaged file; no ``images`` array; an object (pickled) array; arrays of the wrong shape,
            dtype or values (:func:`seal.tasks.segmentation.data.validate_arrays`); no images at all.
    """
    import zipfile
    import zlib

    import numpy as np

    from seal.cli.predict import SEGMENTATION_INPUT
    from seal.tasks.segmentation.data import WeizmannDataError, validate_arrays

    p = Path(path)
    need = f"segmentation input is {SEGMENTATION_INPUT}; see seal predict --help"
    if p.is_dir():
        raise PredictError(f"--input {path} is a folder; {need}")
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


def model_image_size(module) -> int:
    """The image side a segmentation model predicts: its 36 evaluation crops (``crop_size`` at the offsets
    :data:`seal.tasks.segmentation.data.EVAL_OFFSETS`) cover exactly ``max(offsets) + crop_size`` pixels (32 for
    the paper's 24x24 crops)."""
    from seal.tasks.segmentation.data import EVAL_OFFSETS

    return max(EVAL_OFFSETS) + int(module.hparams.crop_size)


def check_image_size(modules, size: tuple[int, int], where: str) -> None:
    """Refuse images that the 36-crop evaluation of a model would not cover exactly (larger images would be
    predicted only in part, smaller ones cannot be cropped).

    Raises:
        PredictError: ``"<where>: the images are HxW, but <ckpt> predicts SxS images (36 crops of CxC at offsets
            0..8 cover exactly SxS); resize or crop the images to SxS"``.
    """
    from seal.tasks.segmentation.data import EVAL_OFFSETS

    h, w = size
    for path, m in modules:
        side, crop = model_image_size(m), int(m.hparams.crop_size)
        if (h, w) != (side, side):
            raise PredictError(
                f"{where}: the images are {h}x{w}, but {path} predicts {side}x{side} images (36 crops of "
                f"{crop}x{crop} at offsets {min(EVAL_OFFSETS)}..{max(EVAL_OFFSETS)} cover exactly {side}x{side}); "
                f"resize or crop the images to {side}x{side}"
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


def _segmentation_inputs(args, dm_hp: dict):
    """``(images, masks or None, where)`` for ``--dataset``/``--split`` or an ``--input`` ``.npz`` file.

    Raises:
        PredictError: options of other tasks, a bad ``--input`` (:func:`read_predict_npz`), a dataset that is not
            a segmentation dataset.
    """
    if args.label_count is not None or args.xml is not None or args.labels is not None \
            or args.input_format is not None or args.zero_based is not None or args.protocol is not None \
            or args.split_seed is not None or args.drop_empty is not None:
        raise PredictError("--label-count/--xml/--labels/--input-format/--zero-based/--protocol/--split-seed/"
                           "--drop-empty do not apply to segmentation checkpoints")
    if args.input is not None:
        images, masks = read_predict_npz(args.input)
        return images, masks, str(args.input)
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
    return split.images, split.masks, f"dataset {ds.name!r} split {args.split!r}"


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
    images, masks, where = _segmentation_inputs(args, dict(ckpt.get("datamodule_hyper_parameters") or {}))
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
        files.append(("--output", args.output, _format_segmentation(fmt, pred, iou, acc).encode("utf-8")))
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
    else:
        summary += f"no metrics computed: {where} has no 'masks' array (gold masks)"
        for title, path, *_ in scores[1:]:
            summary += f"; also predicted by {title} ({path})"
    wrote = [w for w in (args.output, args.png) if w is not None]
    if command:
        wrote[-1] += f" (and its command in {png_command_path(args.png)})"
    return summary + f"; wrote {', '.join(wrote)}\n{segmentation_conventions(threshold, size)}"


def _format_segmentation(fmt: str, pred, iou, acc) -> str:
    """The ``--output`` rows: ``index``, ``iou`` and ``pixel_accuracy`` (only with gold masks: ``iou`` not
    ``None``), ``foreground_fraction`` and ``mask``."""
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
            if labelled:
                row.update(iou=metrics[0], pixel_accuracy=metrics[1])
            row.update(foreground_fraction=c, mask=mask)
            buf.write(json.dumps(row) + "\n")
    else:
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["index"] + (["iou", "pixel_accuracy"] if labelled else []) + ["foreground_fraction", "mask"])
        for i, metrics, c, mask in rows:
            w.writerow([i] + [f"{v:.6f}" for v in metrics] + [f"{c:.6f}", "/".join(mask)])
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
