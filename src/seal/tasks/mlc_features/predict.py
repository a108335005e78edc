"""``seal predict`` for feature-based multi-label checkpoints (the multi-label task's ``predict`` hook).

What it reads and writes is described in :mod:`seal.cli.predict` (the command's documentation): a dataset split
rebuilt as in training or an ARFF / LibSVM / CSV / TSV file, written as JSONL or CSV probabilities and predicted
labels. The parser, checkpoint loading, the finiteness check and atomic writing are :mod:`seal.cli.predict`'s.
(Moved here from ``seal.cli.predict``, which still answers ``build_module``.)
"""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

from seal.cli.predict import (
    PredictError,
    check_finite,
    one_line,
    output_format,
    same_dataset,
    write_text_atomic,
)

__all__ = ["build_module", "run_predict"]


def run_predict(args, ckpt: dict) -> str:
    """``seal predict`` for a multi-label checkpoint (``ckpt`` loaded, ``args`` parsed and checked by
    :func:`seal.cli.predict.run`); returns the summary text.

    Raises:
        PredictError, OSError, ValueError (incl. ``ArffError``, ``DatasetError``): bad inputs; nothing
        has been written then.
    """
    if args.output is None:
        raise PredictError(f"{args.ckpt_path} is a multi-label checkpoint: --output is required (--png is for segmentation)")
    fmt = output_format(args.output, args.format)
    module = build_module(ckpt, args.ckpt_path)
    hp = module.hparams
    threshold = float(hp.get("threshold", 0.5)) if args.threshold is None else float(args.threshold)
    if not 0.0 <= threshold <= 1.0:
        raise PredictError(f"--threshold must lie in [0, 1], got {threshold}")
    dm_hp = dict(ckpt.get("datamodule_hyper_parameters") or {})

    if args.dataset is not None:
        X, Y, source_names, where = _dataset_inputs(args, dm_hp)
    else:
        trained = list((ckpt.get("MultiLabelDataModule") or {}).get("feature_names") or [])
        X, Y, source_names, where = _file_inputs(args, dm_hp, hp, trained)

    if X.shape[0] == 0:
        raise PredictError(f"{where} holds no instances: nothing to predict (an output file is not written)")
    n_features = int(hp["in_features"])
    if X.shape[1] != n_features:
        raise PredictError(f"{where} has {X.shape[1]} feature columns, but the model expects {n_features}")
    n_labels = int(hp["num_labels"])
    if Y is not None and Y.shape[1] != n_labels:
        raise PredictError(f"{where} has {Y.shape[1]} label columns, but the model predicts {n_labels}")
    names = list(hp.get("label_names") or source_names or [f"label_{j}" for j in range(n_labels)])
    if len(names) != n_labels:
        raise PredictError(f"checkpoint {args.ckpt_path} has {len(names)} label names for {n_labels} labels")

    probs = _predict_proba(module, X, args.batch_size or 1024)
    check_finite(probs, module, args.ckpt_path, where)
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

        from seal.metrics import MULTILABEL_CONVENTIONS, example_f1

        f1 = float(example_f1(torch.from_numpy(probs), torch.from_numpy(Y), threshold=threshold))
        summary += f", example-F1 {f1:.4f}; wrote {args.output}\n{MULTILABEL_CONVENTIONS}"
        if threshold != 0.5:
            summary += f" (here the threshold is {threshold:g}, not 0.5)"
    else:
        summary += f"; wrote {args.output}"
    return summary




def build_module(ckpt: dict, path: str = "checkpoint"):
    """Rebuild a :class:`~seal.tasks.mlc_features.module.MultilabelModule` from a loaded checkpoint, in eval mode.

    Raises:
        PredictError: missing or inconsistent hyper-parameters / state dict.
    """
    from seal.tasks.mlc_features.module import MultilabelModule

    hp = dict(ckpt["hyper_parameters"])
    for key in ("in_features", "num_labels"):
        if not hp.get(key):
            raise PredictError(f"checkpoint {path} has no {key!r} hyper-parameter")
    try:
        module = MultilabelModule.from_hparams(hp)
    except (ValueError, KeyError, TypeError) as e:
        raise PredictError(f"checkpoint {path}: cannot rebuild the model: {one_line(e)}") from None
    try:
        module.load_state_dict(ckpt["state_dict"])
    except RuntimeError as e:
        raise PredictError(
            f"checkpoint {path}: the state_dict does not match its hyper-parameters: {one_line(e, details=True)}"
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


def _dataset_kwargs(dm_hp: dict, name: str, data_dir=None, protocol=None, split_seed=None, drop_empty=None) -> dict:
    """``load_dataset`` options: the checkpoint's DataModule settings for the same dataset, overridden by flags."""
    kw: dict[str, Any] = {}
    if same_dataset(dm_hp.get("dataset"), name):
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
    from seal.data.load import load_dataset

    kw = _dataset_kwargs(dm_hp, args.dataset, args.data_dir, args.protocol, args.split_seed, args.drop_empty)
    ds = load_dataset(args.dataset, **kw)
    X, Y = ds.subset(args.split)
    where = f"dataset {ds.name!r} split {args.split!r} (protocol {ds.split_protocol}, split seed {ds.split_seed})"
    return X, np.asarray(Y, dtype=np.uint8), list(ds.label_names), where


def _file_inputs(args, dm_hp: dict, hp, trained: list[str]):
    from seal.data.arff import ArffError, read_arff
    from seal.data.catalogue import get_spec
    from seal.data.formats import detect_format

    path = args.input
    if not Path(path).is_file():
        raise PredictError(f"input file not found: {path}")
    fmt = detect_format(path, args.input_format)
    if fmt == "jsonl":
        raise PredictError(f"--input {path}: JSON lines are text documents, and {args.ckpt_path} is a feature-based "
                           "checkpoint (it reads ARFF, LibSVM/SVMlight or CSV/TSV feature files)")
    if fmt != "arff":
        return _other_file_inputs(args, fmt, dm_hp, hp, trained)
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
    if args.label_count == 0:  # no label attributes: features only
        data = read(label_names=[])
    elif args.label_count is not None:
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
                try:  # else, with exactly the model's number of attributes, a file of features only
                    data = read(label_names=[])
                except ArffError:
                    raise first from None
                if data.X.shape[1] != int(hp["in_features"]):
                    raise first from None
    where = str(path)
    X = match_feature_columns(data.X, list(data.feature_names), trained, where)  # before any fitted transform
    if pre is not None:
        if X.shape[1] != pre.n_features_in_:
            raise PredictError(f"{where} has {X.shape[1]} feature columns, but the model expects {pre.n_features_in_}")
        X = pre.transform(X)
    Y = np.asarray(data.Y, dtype=np.uint8)
    return X, (Y if Y.shape[1] else None), list(data.label_names), where  # no label attributes: nothing to score


def match_feature_columns(X, names: list[str] | None, trained: list[str], where: str):
    """``X`` with its columns in the training data's order, matched by name.

    ``names``: the input file's feature column names (``None`` for LibSVM, whose columns are positions);
    ``trained``: the checkpoint's (``checkpoint["MultiLabelDataModule"]["feature_names"]``; empty in checkpoints
    written before it was stored: then nothing is checked). Positional names on either side (LibSVM, arrays) are
    not compared. The same names in another order are reordered, and said so on stderr; other names are refused.

    Raises:
        PredictError: the file's feature names differ from the training data's (the first differences named).
    """
    if names is None or not trained or len(names) != len(trained) or list(names) == list(trained):
        return X  # a different count is refused by the caller with both counts
    if _positional(trained) or _positional(names):
        return X  # trained on (or given) LibSVM / arrays: the columns have positions, not names
    if sorted(names) == sorted(trained) and len(set(names)) == len(names):
        pos = {n: j for j, n in enumerate(names)}
        print(f"seal: {where}: its feature columns are the training data's in another order: reordered by name",
              file=sys.stderr, flush=True)
        return X[:, [pos[n] for n in trained]]
    diff = [(j, a, b) for j, (a, b) in enumerate(zip(names, trained)) if a != b]
    shown = "; ".join(f"column {j + 1}: {a!r} here, {b!r} in training" for j, a, b in diff[:3])
    more = f" (and {len(diff) - 3} more)" if len(diff) > 3 else ""
    raise PredictError(f"{where}: its feature columns are not the model's training columns: {shown}{more}")


def _positional(names: list[str]) -> bool:
    """Whether ``names`` are column positions (``"0" … "d-1"`` or ``"1" … "d"``: LibSVM files, in-memory arrays)."""
    return any(list(names) == [str(j + k) for j in range(len(names))] for k in (0, 1))


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


def _other_file_inputs(args, fmt: str, dm_hp: dict, hp, trained: list[str]):
    """``--input`` in LibSVM or CSV/TSV: features must match the model's; labels, when present, are scored.

    LibSVM feature indices: ``--zero-based`` when given, else 0-based when the file has the XC header line or uses
    index 0, else as the model's training files were read; a header must agree with the model's feature and label
    counts.

    Raises:
        PredictError: an option that does not apply to the format.
        FormatError: a malformed file or one that does not fit the model (file, line, field named).
    """
    from seal.data.formats import read_files

    n_features, n_labels = int(hp["in_features"]), int(hp["num_labels"])
    if args.xml is not None:
        raise PredictError("--xml applies to ARFF input only")
    if fmt == "libsvm":
        if args.labels is not None or args.label_count is not None:
            raise PredictError("--labels/--label-count do not apply to LibSVM input (labels are the indices before "
                               "the features)")
        # --zero-based, else the file's own header / index 0; a file with neither is read as the training files were
        zb = {"true": True, "false": False, "auto": "auto"}.get(args.zero_based or "auto")
        trained_zb = args.zero_based is None and dm_hp.get("zero_based") is True
        data = read_files([args.input], format=fmt, zero_based=zb, n_features=n_features, n_labels=n_labels,
                          labels_optional=True, auto_zero_based=trained_zb)[0]
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
    names = None if fmt == "libsvm" else list(data.feature_names)  # LibSVM columns are positions, not names
    X = match_feature_columns(data.X, names, trained, str(args.input))
    return X, Y, list(data.label_names), str(args.input)


def _registry_preprocessor(spec, dm_hp: dict, data_dir: str | None = None):
    """The :class:`~seal.data.preprocess.FeaturePreprocessor` the registry fitted on ``spec``'s training split
    under the checkpoint's protocol/split seed, so an ARFF file's features get exactly the training transform.

    Uses the fitted instance the registry exposes on the loaded dataset (``MultiLabelDataset.preprocessor``).

    Raises:
        PredictError: the registry does not expose it (then ``--dataset`` is the way to predict).
    """
    from seal.data.load import MultiLabelDataset, load_dataset

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
    write_text_atomic(output, _format_rows(fmt, probs, pred, names))
