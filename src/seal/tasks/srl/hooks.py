"""The SRL task's hooks for the shared CLI (``seal.tasks.Task.describe`` / ``predict``): ``seal data info
up_english_ewt`` and ``seal predict`` on an SRL checkpoint."""

from __future__ import annotations

import inspect
from pathlib import Path

__all__ = ["describe_dataset", "run_predict"]


def describe_dataset(name: str, *, data_dir=None, download: bool = False) -> dict:
    """``seal data info`` for the SRL dataset: per file its layout, counts and skips per reason, the role vocabulary,
    roles seen only in dev / test and the split overlap (:func:`seal.tasks.srl.data.describe`). ``download`` is
    ignored (the UP files are not downloadable; they come with the shared data)."""
    from seal.tasks.srl.data import describe

    text = describe(name, data_dir)
    return {"text": text, "stats": {"description": text.splitlines()}}


def _build(ckpt: dict, path: str):
    from seal.cli.predict import PredictError
    from seal.tasks.srl.module import SRLModule

    hp = dict(ckpt["hyper_parameters"])
    try:
        module = SRLModule.from_hparams(hp)  # grouped, or flat from before the grouping
        module.load_state_dict(ckpt["state_dict"], strict=False)
    except (ValueError, KeyError, TypeError, RuntimeError) as e:
        raise PredictError(f"checkpoint {path}: cannot rebuild the SRL model: {e}") from None
    return module.eval()


def run_predict(args, ckpt: dict) -> str:
    """``seal predict`` for an SRL checkpoint: the predicted frames of ``--split`` of the checkpoint's dataset,
    written to ``--output`` as JSON lines (atomically), and/or instance ``--frame N`` printed readably.

    Raises:
        seal.cli.predict.PredictError: options that do not apply, or neither ``--output`` nor ``--frame``.
    """
    from seal.cli.predict import PredictError
    from seal.tasks.srl.data import SRLDataModule
    from seal.tasks.srl.predict import format_frame, frame_at, write_frames

    if args.input is not None:
        raise PredictError("SRL checkpoints predict a catalogue split (--split); --input is not supported for SRL yet")
    if args.output is None and getattr(args, "frame", None) is None:
        raise PredictError(f"{args.ckpt_path} is an SRL checkpoint: give --output FRAMES.jsonl and/or --frame N")
    dm_hp = dict(ckpt.get("datamodule_hyper_parameters") or {})
    accepted = set(inspect.signature(SRLDataModule.__init__).parameters) - {"self"}
    dm_kw = {k: v for k, v in dm_hp.items() if k in accepted}
    trained_on = dm_kw.get("dataset") or "up_english_ewt"
    if args.dataset != trained_on:
        raise PredictError(f"{args.ckpt_path} was trained on {trained_on!r}; predict with --dataset {trained_on}")
    if args.data_dir is not None:
        dm_kw["data_dir"] = args.data_dir
    elif dm_kw.get("data_dir") and not Path(str(dm_kw["data_dir"])).expanduser().is_dir():
        dm_kw.pop("data_dir")
    dm = SRLDataModule(**dm_kw)
    model = _build(ckpt, args.ckpt_path)
    lines = []
    if getattr(args, "frame", None) is not None:
        try:
            lines.append(format_frame(frame_at(model, dm, int(args.frame), args.split)))
        except IndexError as e:
            raise PredictError(str(e)) from None
    if args.output is not None:
        n = write_frames(model, dm, args.output, args.split)
        lines.append(f"seal predict: {n} predicate frames of split {args.split!r} written to {args.output}")
    return "\n".join(lines)
