"""Metrics: exact shared cases, scikit-learn as the reference on random batches (functional twins and
classes accumulated over batches of different sizes), conventions, states, DDP synchronisation."""

from __future__ import annotations

import json
import os
import socket
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    f1_score,
    jaccard_score,
)
from sklearn.metrics import hamming_loss as sk_hamming_loss

from seal.metrics import (
    CONVENTIONS,
    ExampleF1,
    HammingLoss,
    MacroF1,
    MeanAveragePrecision,
    MeanIoU,
    MicroF1,
    MultilabelMetrics,
    PixelAccuracy,
    SegmentationMetrics,
    functional as F,
    multilabel_metrics,
)

SEEDS = [0, 1, 2, 3, 4]
SPLITS = [1, 7, 13, 4]  # batch sizes; the remainder forms the last batch


def _load(cases_dir, name):
    return json.loads((cases_dir / name).read_text())


def random_multilabel(seed: int, n_rows: int = 41, n_labels: int = 7):
    """Probabilities on a 0.1 grid (ties, exact 0.5), empty gold rows, empty/empty rows, an all-zero label
    column never predicted (0/0 label F1), an all-zero gold column that is predicted, a row whose labels all
    tie, and a row with many positives."""
    rng = np.random.default_rng(seed)
    target = (rng.random((n_rows, n_labels)) < 0.35).astype(np.int64)
    probs = (np.round(rng.random((n_rows, n_labels)) * 10) / 10).astype(np.float32)
    probs[rng.random(n_rows) < 0.1] = 0.5  # a row of exact ties at the threshold
    target[rng.random(n_rows) < 0.2] = 0  # empty gold rows
    empty_both = rng.random(n_rows) < 0.15
    target[empty_both] = 0
    probs[empty_both] = np.minimum(probs[empty_both], 0.4)  # ... with empty predictions
    target[0] = 1  # a row with many positives (every label but the two columns below)
    c_dead, c_fp = rng.choice(n_labels, size=2, replace=False)
    target[:, c_dead] = 0
    probs[:, c_dead] = np.minimum(probs[:, c_dead], 0.3)  # never predicted, never gold
    target[:, c_fp] = 0  # never gold, sometimes predicted
    return torch.from_numpy(probs), torch.from_numpy(target), probs, target


def _batches(*tensors, splits=SPLITS):
    n = tensors[0].shape[0]
    start = 0
    sizes = [*splits, n - sum(splits)]
    for size in sizes:
        yield tuple(t[start : start + size] for t in tensors)
        start += size
    assert start == n


def _sk_ap_rows(scores: np.ndarray, target: np.ndarray) -> np.ndarray:
    out = np.full(scores.shape[0], np.nan)
    for i in range(scores.shape[0]):
        if target[i].sum() > 0:
            out[i] = average_precision_score(target[i], scores[i])
    return out


# ------------------------------------------------------------------------------------ shared cases


def test_b09_example_f1(cases_dir):
    case = _load(cases_dir, "B09_example_f1_empty_rows.json")
    pred, gold = torch.tensor(case["pred"]), torch.tensor(case["gold"])
    expected = case["expected_example_f1_empty_empty_is_1"]
    assert F.example_f1(pred.float(), gold).item() == pytest.approx(expected, abs=1e-10)
    assert F.example_f1_per_row(pred.float(), gold).tolist() == pytest.approx([1.0, 2 / 3], abs=1e-12)
    metric = ExampleF1()
    metric.update(pred.float()[:1], gold[:1])
    metric.update(pred.float()[1:], gold[1:])
    assert metric.compute().item() == pytest.approx(0.8333333333, abs=1e-10)
    # our convention is sklearn's zero_division=1; sklearn's default gives the stored 0.3333
    g_np, p_np = np.array(case["gold"]), np.array(case["pred"])
    assert f1_score(g_np, p_np, average="samples", zero_division=1) == pytest.approx(expected, abs=1e-10)
    sk_default = case["sklearn_samples_default_zero_division_0"]
    assert f1_score(g_np, p_np, average="samples", zero_division=0) == pytest.approx(sk_default, abs=1e-10)


def test_b10_map(cases_dir):
    case = _load(cases_dir, "B10_map_no_positive.json")
    ex = case["per_instance_ap"]
    scores, gold = torch.tensor(ex["scores"]), torch.tensor(ex["gold"])
    ap = F.average_precision_per_row(scores, gold)
    assert ap[:2].tolist() == pytest.approx(ex["per_row_ap"][:2], abs=1e-10)
    assert torch.isnan(ap[2]) and ex["per_row_ap"][2] == "undefined"
    mean, left_out = F.map_per_example(scores, gold)
    assert mean.item() == pytest.approx(ex["expected_mean_excluding_undefined_rows"], abs=1e-10)
    assert left_out == 1
    metric = MeanAveragePrecision("example")
    for s, g in _batches(scores, gold, splits=[1, 1]):
        metric.update(s, g)
    assert metric.compute().item() == pytest.approx(0.7916666667, abs=1e-10)
    m, n = metric.compute_with_count()
    assert (m.item(), n) == (pytest.approx(0.7916666667, abs=1e-10), 1)

    lab = case["per_label_macro_ap"]
    scores, gold = torch.tensor(lab["scores"]), torch.tensor(lab["gold"])
    mean, left_out = F.map_per_label(scores, gold)
    assert mean.item() == pytest.approx(lab["expected_macro_excluding_label_without_positives"], abs=1e-10)
    assert left_out == 1
    metric = MeanAveragePrecision("label", return_left_out=True)
    for s, g in _batches(scores, gold, splits=[2]):
        metric.update(s, g)
    assert metric.compute() == {"map_label": pytest.approx(1.0, abs=1e-10), "map_labels_left_out": 1.0}


def test_b12_iou(cases_dir):
    case = _load(cases_dir, "B12_iou_empty_masks.json")
    probs, gold = torch.tensor(case["pred_probs"]), torch.tensor(case["gold"])
    assert F.iou_per_image(probs, gold).tolist() == pytest.approx(case["per_image_iou"], abs=1e-12)
    assert F.mean_iou(probs, gold).item() == pytest.approx(case["expected_mean_iou"], abs=1e-12)
    metric = MeanIoU()
    metric.update(probs[:1], gold[:1])
    metric.update(probs[1:], gold[1:])
    assert metric.compute().item() == pytest.approx(0.5, abs=1e-12)
    # (B, 1, H, W) works too
    assert F.mean_iou(probs[:, None], gold[:, None]).item() == pytest.approx(0.5, abs=1e-12)


# ------------------------------------------------------------------------ random batches vs sklearn


@pytest.mark.parametrize("seed", SEEDS)
def test_example_f1_vs_sklearn(seed):
    probs, target, p_np, t_np = random_multilabel(seed)
    pred_np = (p_np >= 0.5).astype(np.int64)
    assert ((pred_np.sum(1) == 0) & (t_np.sum(1) == 0)).any()  # the case exercises empty/empty rows
    ref = f1_score(t_np, pred_np, average="samples", zero_division=1)
    # the row-by-row reference: sklearn binary F1 plus the explicit empty/empty rule
    rows = [
        1.0 if (t_np[i].sum() == 0 and pred_np[i].sum() == 0) else f1_score(t_np[i], pred_np[i], zero_division=0)
        for i in range(len(t_np))
    ]
    assert ref == pytest.approx(np.mean(rows), abs=1e-12)
    np.testing.assert_allclose(F.example_f1_per_row(probs, target).numpy(), rows, rtol=0, atol=1e-12)
    assert F.example_f1(probs, target).item() == pytest.approx(ref, abs=1e-12)
    metric = ExampleF1()
    for p, t in _batches(probs, target):
        metric.update(p, t)
    assert metric.compute().item() == pytest.approx(ref, abs=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("zero_division", [0.0, 1.0])
def test_micro_macro_f1_vs_sklearn(seed, zero_division):
    probs, target, p_np, t_np = random_multilabel(seed)
    pred_np = (p_np >= 0.5).astype(np.int64)
    n_labels = t_np.shape[1]
    for average, fn, cls in (("micro", F.micro_f1, MicroF1), ("macro", F.macro_f1, MacroF1)):
        ref = f1_score(t_np, pred_np, average=average, zero_division=zero_division)
        assert fn(probs, target, zero_division=zero_division).item() == pytest.approx(ref, abs=1e-12)
        metric = cls(n_labels, zero_division=zero_division)
        for p, t in _batches(probs, target):
            metric.update(p, t)
        assert metric.compute().item() == pytest.approx(ref, abs=1e-6)


def test_macro_zero_division_matters():
    # label 1 has no gold and no predicted positive: it scores zero_division
    probs = torch.tensor([[0.9, 0.1], [0.2, 0.0]])
    target = torch.tensor([[1, 0], [0, 0]])
    assert F.macro_f1(probs, target).item() == 1.0
    assert F.macro_f1(probs, target, zero_division=0).item() == 0.5
    assert F.micro_f1(torch.zeros(2, 2), torch.zeros(2, 2, dtype=torch.long)).item() == 1.0


@pytest.mark.parametrize("seed", SEEDS)
def test_hamming_vs_sklearn(seed):
    probs, target, p_np, t_np = random_multilabel(seed)
    ref = sk_hamming_loss(t_np, (p_np >= 0.5).astype(np.int64))
    assert F.hamming_loss(probs, target).item() == pytest.approx(ref, abs=1e-12)
    metric = HammingLoss(t_np.shape[1])
    for p, t in _batches(probs, target):
        metric.update(p, t)
    assert metric.compute().item() == pytest.approx(ref, abs=1e-6)


@pytest.mark.parametrize("seed", SEEDS)
def test_average_precision_vs_sklearn(seed):
    probs, target, p_np, t_np = random_multilabel(seed)
    # per row
    ref_rows = _sk_ap_rows(p_np, t_np)
    ours = F.average_precision_per_row(probs, target).numpy()
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(ref_rows))
    np.testing.assert_allclose(ours, ref_rows, rtol=0, atol=1e-12, equal_nan=True)
    mean, left = F.map_per_example(probs, target)
    assert left == int(np.isnan(ref_rows).sum()) > 0
    assert mean.item() == pytest.approx(np.nanmean(ref_rows), abs=1e-12)
    metric = MeanAveragePrecision("example")
    for p, t in _batches(probs, target):
        metric.update(p, t)
    m, n = metric.compute_with_count()
    assert (m.item(), n) == (pytest.approx(np.nanmean(ref_rows), abs=1e-12), left)
    # per label
    ref_cols = _sk_ap_rows(p_np.T, t_np.T)
    mean, left = F.map_per_label(probs, target)
    assert left == int(np.isnan(ref_cols).sum()) >= 2
    assert mean.item() == pytest.approx(np.nanmean(ref_cols), abs=1e-12)
    metric = MeanAveragePrecision("label")
    for p, t in _batches(probs, target):
        metric.update(p, t)
    assert metric.compute().item() == pytest.approx(np.nanmean(ref_cols), abs=1e-12)
    assert metric.compute_with_count()[1] == left


@settings(max_examples=80, deadline=None)
@given(
    st.integers(min_value=1, max_value=8).flatmap(
        lambda n: st.tuples(
            st.lists(st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0, -3.0]), min_size=n, max_size=n),
            st.lists(st.integers(0, 1), min_size=n, max_size=n),
        )
    )
)
def test_average_precision_ties_property(row):
    scores = np.array(row[0], dtype=np.float64)
    target = np.array(row[1])
    ours = F.average_precision_per_row(torch.tensor(scores)[None], torch.tensor(target)[None])[0].item()
    if target.sum() == 0:
        assert np.isnan(ours)
    else:
        assert ours == pytest.approx(average_precision_score(target, scores), abs=1e-12)


def test_multilabel_collection_keys_and_values():
    probs, target, p_np, t_np = random_multilabel(7)
    coll = MultilabelMetrics(t_np.shape[1])
    for p, t in _batches(probs, target):
        coll.update(p, t)
    out = coll.compute()
    assert set(out) == {
        "example_f1", "micro_f1", "macro_f1", "hamming_loss",
        "map", "map_label", "map_rows_left_out", "map_labels_left_out",
    }
    pred_np = (p_np >= 0.5).astype(np.int64)
    ref_f1 = f1_score(t_np, pred_np, average="samples", zero_division=1)
    assert out["example_f1"].item() == pytest.approx(ref_f1, abs=1e-12)
    assert out["micro_f1"].item() == pytest.approx(F.micro_f1(probs, target).item(), abs=1e-6)
    assert out["macro_f1"].item() == pytest.approx(F.macro_f1(probs, target).item(), abs=1e-6)
    assert out["hamming_loss"].item() == pytest.approx(sk_hamming_loss(t_np, pred_np), abs=1e-6)
    mean, left = F.map_per_example(probs, target)
    assert (out["map"].item(), out["map_rows_left_out"].item()) == (pytest.approx(mean.item(), abs=1e-12), left)
    mean, left = F.map_per_label(probs, target)
    assert (out["map_label"].item(), out["map_labels_left_out"].item()) == (pytest.approx(mean.item(), abs=1e-12), left)
    prefixed = multilabel_metrics(t_np.shape[1], prefix="val/")
    prefixed.update(probs, target)
    assert set(prefixed.compute()) == {f"val/{k}" for k in out}
    assert "left out" in CONVENTIONS


def test_threshold_is_inclusive_for_multilabel_and_exclusive_for_segmentation():
    probs = torch.tensor([[0.5, 0.4999]])
    target = torch.tensor([[1, 0]])
    assert F.example_f1(probs, target).item() == 1.0
    assert MicroF1(2).forward(probs, target).item() == 1.0  # torchmetrics alone would use '>'
    mask = torch.full((1, 2, 2), 0.5)
    assert F.pixel_accuracy(mask, torch.zeros(1, 2, 2)).item() == 1.0
    assert F.mean_iou(mask, torch.zeros(1, 2, 2)).item() == 1.0


def test_tune_threshold():
    probs = torch.tensor([[0.3, 0.1], [0.35, 0.2], [0.1, 0.32]])
    target = torch.tensor([[1, 0], [1, 0], [0, 1]])
    best = F.tune_threshold(probs, target)
    assert 0.2 < best <= 0.3
    assert F.example_f1(probs, target, best).item() == 1.0
    assert F.example_f1(probs, target).item() < 1.0  # the fixed-0.5 value stays what it is
    # ties broken towards 0.5
    assert F.tune_threshold(torch.tensor([[0.9, 0.1]]), torch.tensor([[1, 0]]), grid=[0.2, 0.5, 0.8]) == 0.5


# -------------------------------------------------------------------------------------- segmentation


@pytest.mark.parametrize("seed", SEEDS)
def test_segmentation_vs_sklearn(seed):
    rng = np.random.default_rng(100 + seed)
    n, h, w = 23, 6, 5
    gold = (rng.random((n, h, w)) < 0.3).astype(np.int64)
    probs = (np.round(rng.random((n, h, w)) * 10) / 10).astype(np.float32)
    gold[:4] = 0
    probs[:2] = np.minimum(probs[:2], 0.5)  # empty gold and empty prediction (0.5 is background)
    probs[5] = 0.0  # empty prediction, non-empty gold (unless that image happens to be empty)
    pred = (probs > 0.5).astype(np.int64)
    ref_iou = [jaccard_score(gold[i].ravel(), pred[i].ravel(), zero_division=1) for i in range(n)]
    ref_acc = accuracy_score(gold.ravel(), pred.ravel())
    tp, tg = torch.from_numpy(probs), torch.from_numpy(gold)
    np.testing.assert_allclose(F.iou_per_image(tp, tg).numpy(), ref_iou, rtol=0, atol=1e-12)
    assert F.mean_iou(tp, tg).item() == pytest.approx(np.mean(ref_iou), abs=1e-12)
    assert F.pixel_accuracy(tp, tg).item() == pytest.approx(ref_acc, abs=1e-12)
    coll = SegmentationMetrics(prefix="test/")
    for p, t in _batches(tp, tg, splits=[1, 5, 9]):
        coll.update(p, t)
    out = coll.compute()
    assert out["test/mean_iou"].item() == pytest.approx(np.mean(ref_iou), abs=1e-12)
    assert out["test/pixel_accuracy"].item() == pytest.approx(ref_acc, abs=1e-6)
    acc = PixelAccuracy()
    for p, t in _batches(tp, tg, splits=[2, 11]):
        acc.update(p, t)
    assert acc.compute().item() == pytest.approx(ref_acc, abs=1e-6)


# ------------------------------------------------------------------------------ states, reset, errors


def test_states_dtype_and_reset():
    probs, target, _, _ = random_multilabel(3)
    metrics = [ExampleF1(), MeanAveragePrecision("example"), MeanIoU()]
    assert metrics[0].total.dtype == torch.float64 and metrics[0].count.dtype == torch.long
    assert metrics[1].ap_sum.dtype == torch.float64 and metrics[1].n_left_out.dtype == torch.long
    assert metrics[2].total.dtype == torch.float64
    for m in metrics:
        m.float()  # torchmetrics keeps state dtypes unless set_dtype is called
        m.to("cpu")
    assert metrics[0].total.dtype == torch.float64
    assert F.example_f1_per_row(probs, target).dtype == torch.float64

    f1, ap = metrics[0], metrics[1]
    f1.update(probs, target)
    ap.update(probs, target)
    f1.reset()
    ap.reset()
    assert f1.count.item() == 0 and ap.n_defined.item() == 0 and ap.n_left_out.item() == 0
    f1.update(probs[:10], target[:10])
    ap.update(probs[:10], target[:10])
    assert f1.compute().item() == pytest.approx(F.example_f1(probs[:10], target[:10]).item(), abs=1e-12)
    assert ap.compute().item() == pytest.approx(F.map_per_example(probs[:10], target[:10])[0].item(), abs=1e-12)

    coll = MultilabelMetrics(target.shape[1])
    coll.update(probs, target)
    coll.reset()
    coll.update(probs[:10], target[:10])
    assert coll.compute()["example_f1"].item() == pytest.approx(F.example_f1(probs[:10], target[:10]).item(), abs=1e-12)


def test_all_rows_left_out_gives_nan_with_warning():
    metric = MeanAveragePrecision("example")
    metric.update(torch.rand(3, 4), torch.zeros(3, 4, dtype=torch.long))
    with pytest.warns(UserWarning, match="undefined"):
        mean, left = metric.compute_with_count()
    assert torch.isnan(mean) and left == 3


def test_input_validation():
    with pytest.raises(ValueError, match="shapes differ"):
        F.example_f1(torch.rand(2, 3), torch.zeros(2, 4))
    with pytest.raises(ValueError, match="only 0 and 1"):
        F.example_f1(torch.rand(2, 3), torch.full((2, 3), 2))
    with pytest.raises(ValueError, match="non-finite"):
        F.map_per_example(torch.tensor([[float("nan"), 0.1]]), torch.tensor([[1, 0]]))
    with pytest.raises(ValueError, match="average"):
        MeanAveragePrecision("micro")
    with pytest.raises(ValueError, match="2-d"):
        ExampleF1().update(torch.rand(2, 3, 4), torch.zeros(2, 3, 4))


def test_metrics_run_on_the_tensors_device():
    device = "cuda" if torch.cuda.is_available() else "cpu"
    probs, target, _, _ = random_multilabel(5)
    coll = MultilabelMetrics(target.shape[1]).to(device)
    coll.update(probs.to(device), target.to(device))
    out = coll.compute()
    assert all(v.device.type == device for v in out.values())


# ------------------------------------------------------------------------------------------ DDP


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ddp_worker(rank: int, world: int, port: int, result_path: str) -> None:
    import torch.distributed as dist

    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = str(port)
    dist.init_process_group("gloo", rank=rank, world_size=world)
    try:
        probs, target, _, _ = random_multilabel(11)
        n_labels = target.shape[1]
        coll = MultilabelMetrics(n_labels)
        seg = MeanIoU()
        map_label = MeanAveragePrecision("label")
        # uneven shards: rank 0 takes rows [0, 15), rank 1 the rest
        lo, hi = (0, 15) if rank == 0 else (15, probs.shape[0])
        for p, t in _batches(probs[lo:hi], target[lo:hi], splits=[3]):
            coll.update(p, t)
            map_label.update(p, t)
            seg.update(p[:, None, :], t[:, None, :])
        out = {k: float(v) for k, v in coll.compute().items()}
        out["map_label_count"] = map_label.compute_with_count()[1]
        out["iou"] = float(seg.compute())
        if rank == 0:
            with open(result_path, "w") as fh:
                json.dump(out, fh)
    finally:
        dist.destroy_process_group()


def test_ddp_sync_equals_single_process(tmp_path):
    import torch.multiprocessing as mp

    result_path = str(tmp_path / "ddp.json")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # fork is fast (no re-import); DataLoader workers rely on it after CPU torch work too
        method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
        mp.start_processes(_ddp_worker, args=(2, _free_port(), result_path), nprocs=2, start_method=method)
    got = json.loads(open(result_path).read())
    probs, target, _, _ = random_multilabel(11)
    single = MultilabelMetrics(target.shape[1])
    single.update(probs, target)
    want = {k: float(v) for k, v in single.compute().items()}
    for k, v in want.items():
        assert got[k] == pytest.approx(v, abs=1e-6), k
    assert got["map_label_count"] == F.map_per_label(probs, target)[1]
    assert got["iou"] == pytest.approx(F.mean_iou(probs[:, None], target[:, None]).item(), abs=1e-12)
