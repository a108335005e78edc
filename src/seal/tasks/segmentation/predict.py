"""``seal predict`` for segmentation checkpoints (the segmentation task's ``predict`` hook).

Predictions are the 36-crop average of :func:`seal.tasks.segmentation.data.predict_36_crops` (the module's
``predict_canvas``)::

    seal predict --ckpt_path CKPT (--dataset weizmann_horse [--split test] | --input SPLIT.npz)
                 [--output OUT.jsonl|OUT.csv] [--png GRID.png [--images 0 5 9] [--compare CKPT2 ...]]

``--output`` writes one line/row per image (``index``, ``iou``, ``pixel_accuracy``, ``foreground_fraction``
and the predicted ``mask`` as rows of 0/1 characters); ``--png`` draws a grid with one row per chosen image
and the columns image, gold mask, predicted mask (one column per checkpoint: ``--ckpt_path`` then each
``--compare``, titled with the method and the image's IoU). The parser, checkpoint loading, the finiteness
check and atomic writing are :mod:`seal.cli.predict`'s. (Moved here from ``seal.cli.predict``, which still
re-exports these names.)
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
    write_text_atomic,
)
from seal.io import atomic_open

__all__ = ["build_segmentation_module", "run_segmentation", "save_segmentation_grid"]


def build_segmentation_module(ckpt: dict, path: str = "checkpoint"):
    """Rebuild a :class:`~seal.tasks.segmentation.module.SegmentationModule` from a loaded checkpoint (eval mode).

    The SEAL-static loss-net is not re-read from its DVN checkpoint: the weights come from this checkpoint.
    """
    from seal.tasks.segmentation.module import SegmentationModule

    hp = dict(ckpt["hyper_parameters"])
    try:
        module = SegmentationModule.from_hparams(hp)  # grouped, or flat from before the grouping
        module.load_state_dict(ckpt["state_dict"])
    except (ValueError, KeyError, TypeError, RuntimeError) as e:
        raise PredictError(f"checkpoint {path}: cannot rebuild the segmentation model: {one_line(e, details=True)}") from None
    return module.eval()


def _segmentation_inputs(args, dm_hp: dict):
    """``(split, where)`` for ``--dataset``/``--split`` or an ``--input`` ``.npz`` file."""
    if args.label_count is not None or args.xml is not None or args.protocol is not None or args.split_seed is not None \
            or args.drop_empty is not None:
        raise PredictError("--label-count/--xml/--protocol/--split-seed/--drop-empty do not apply to segmentation checkpoints")
    if args.input is not None:
        from seal.tasks.segmentation.data import read_npz

        if not Path(args.input).is_file():
            raise PredictError(f"input file not found: {args.input}")
        return read_npz(args.input), str(args.input)
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
    return ds.splits[args.split], f"dataset {ds.name!r} split {args.split!r}"


def _segmentation_probs(module, x, batch_size: int):
    import torch

    outs = []
    with torch.no_grad():
        for start in range(0, x.shape[0], batch_size):
            outs.append(module.predict_canvas(x[start : start + batch_size]).float())
    return torch.cat(outs) if outs else x.new_zeros((0, *x.shape[-2:]))


def run_segmentation(args, ckpt: dict) -> str:
    """``seal predict`` for a segmentation checkpoint (the segmentation task's ``predict`` hook)."""
    from seal.metrics import SEGMENTATION_CONVENTIONS
    from seal.metrics.functional import iou_per_image
    from seal.tasks import task_of_checkpoint

    fmt = output_format(args.output, args.format) if args.output is not None else None

    task = task_of_checkpoint(ckpt)
    modules = [(args.ckpt_path, build_segmentation_module(ckpt, args.ckpt_path))]
    for other in args.compare:
        c = load_predict_checkpoint(other)
        if task_of_checkpoint(c) is not task:  # the registry's answer for both checkpoints
            raise PredictError(f"--compare {other} is a {task_of_checkpoint(c).name} checkpoint, not a {task.name} one")
        modules.append((other, build_segmentation_module(c, other)))
    threshold = float(modules[0][1].hparams.get("threshold", 0.5)) if args.threshold is None else float(args.threshold)
    if not 0.0 < threshold < 1.0:
        raise PredictError(f"--threshold must lie in (0, 1), got {threshold}")
    split, where = _segmentation_inputs(args, dict(ckpt.get("datamodule_hyper_parameters") or {}))
    x, y = split.tensors()
    n = x.shape[0]
    chosen = list(range(min(6, n))) if args.images is None else list(args.images)
    bad = [i for i in chosen if not 0 <= i < n]
    if bad:
        raise PredictError(f"--images {bad} out of range: {where} has {n} images (0..{n - 1})")

    all_probs = [_segmentation_probs(m, x, args.batch_size or 1024) for _, m in modules]
    for (path, m), p in zip(modules, all_probs):
        check_finite(p, m, path, where, "mask probabilities")
    probs = all_probs[0]
    pred = probs > threshold
    iou = iou_per_image(probs, y, threshold)
    acc = (pred == (y > 0.5)).flatten(1).float().mean(1)
    if fmt is not None:
        write_text_atomic(args.output, _format_segmentation(fmt, pred, iou, acc))
    if args.png is not None:
        cols = []
        for (path, m), p in zip(modules, all_probs):
            cols.append((str(m.hparams.get("method", Path(path).stem)), p > threshold, iou_per_image(p, y, threshold)))
        save_segmentation_grid(args.png, split.images, split.masks, chosen, cols)
        command = getattr(args, "command_line", None)
        if command:  # the command beside the figure (`seal report` quotes it under the embedded grid)
            write_text_atomic(png_command_path(args.png), command + "\n")
    mean_iou = float(iou.mean()) if n else float("nan")
    summary = (
        f"seal predict: {n} images from {where} ({modules[0][1].hparams.get('method')}, 36-crop average), "
        f"mean IoU {mean_iou:.4f}, pixel accuracy {float(acc.mean()) if n else float('nan'):.4f}"
    )
    for (path, m), p in list(zip(modules, all_probs))[1:]:
        summary += f"; {m.hparams.get('method')} ({path}): mean IoU {float(iou_per_image(p, y, threshold).mean()):.4f}"
    wrote = [w for w in (args.output, args.png) if w is not None]
    return summary + f"; wrote {', '.join(wrote)}\n{SEGMENTATION_CONVENTIONS}"


def _format_segmentation(fmt: str, pred, iou, acc) -> str:
    buf = io.StringIO()
    rows = []
    for i in range(pred.shape[0]):
        mask = ["".join("1" if v else "0" for v in row) for row in pred[i].tolist()]
        rows.append((i, round(float(iou[i]), 6), round(float(acc[i]), 6), round(float(pred[i].float().mean()), 6), mask))
    if fmt == "jsonl":
        for i, a, b, c, mask in rows:
            buf.write(json.dumps({"index": i, "iou": a, "pixel_accuracy": b, "foreground_fraction": c, "mask": mask}) + "\n")
    else:
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["index", "iou", "pixel_accuracy", "foreground_fraction", "mask"])
        for i, a, b, c, mask in rows:
            w.writerow([i, f"{a:.6f}", f"{b:.6f}", f"{c:.6f}", "/".join(mask)])
    return buf.getvalue()


def save_segmentation_grid(path, images, masks, chosen, columns) -> Path:
    """Write a PNG grid: one row per image index in ``chosen``; columns image | gold | one predicted mask per
    entry of ``columns`` (``(title, pred (N, H, W) bool tensor, iou (N,))``). Atomic write.

    Raises:
        PredictError: matplotlib is not installed.
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise PredictError("--png needs matplotlib (pip install 'seal[plot]')") from None
    ncols = 2 + len(columns)
    fig, axes = plt.subplots(len(chosen), ncols, figsize=(1.6 * ncols, 1.6 * len(chosen) + 0.3), squeeze=False)
    for r, i in enumerate(chosen):
        tiles = [(images[i], "image"), (masks[i], "gold")]
        tiles += [(pred[i].cpu().numpy(), f"{title}\nIoU {float(iou[i]):.2f}") for title, pred, iou in columns]
        for c, (tile, title) in enumerate(tiles):
            ax = axes[r][c]
            ax.imshow(tile, cmap=None if c == 0 else "gray", vmin=0, vmax=255 if c == 0 else 1, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(title if c >= 2 else (title if r == 0 else ""), fontsize=7)
            if c == 0:
                ax.set_ylabel(f"#{i}", fontsize=7)
    fig.tight_layout()
    out = Path(path)
    try:
        with atomic_open(out, "wb") as fh:
            fig.savefig(fh, format="png", dpi=120)
    finally:
        plt.close(fig)
    return out
