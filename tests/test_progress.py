"""Progress and the end-of-grid comparison: per-epoch lines of seal fit, the runner echoing them, and the
mean ± std comparison against cross-entropy printed at the end of a grid."""

from __future__ import annotations

from types import SimpleNamespace

from seal.cli.lightning import EpochLines
from seal.experiments.runner import _new_epoch_lines, format_comparison


def _rec(dataset, method, variant, seed, value, key="example_f1"):
    return {"dataset": dataset, "method": method, "variant": variant, "seed": seed, "metrics": {"test": {key: value}}}


def test_comparison_against_cross_entropy_with_seed_spread():
    recs = [
        _rec("cal500", "cross-entropy", "cpu-t", 0, 0.37), _rec("cal500", "cross-entropy", "cpu-t", 1, 0.38),
        _rec("cal500", "cross-entropy", "cpu-t", 2, 0.36),
        _rec("cal500", "seal-dynamic-nce", "cpu-t", 0, 0.39), _rec("cal500", "seal-dynamic-nce", "cpu-t", 1, 0.40),
        _rec("cal500", "seal-dynamic-nce", "cpu-t", 2, 0.38),
        _rec("genbase", "seal-dynamic-nce", None, 0, 0.98),  # no cross-entropy partner: listed, not compared
    ]
    assert format_comparison(recs).splitlines() == [
        "",
        "comparison (test, x100, mean ± std over seeds):",
        "  cal500  cross-entropy (cpu-t)     example-F1  37.00 ± 1.00  (3 seeds)",
        "  cal500  seal-dynamic-nce (cpu-t)  example-F1  39.00 ± 1.00  (3 seeds)  +2.00 vs cross-entropy (cpu-t): larger than the seed spread",
        "  genbase  seal-dynamic-nce         example-F1  98.00 ± 0.00  (1 seed)",
    ]


def test_comparison_within_spread_and_single_seeds():
    within = [_rec("d", "cross-entropy", None, s, v) for s, v in enumerate((0.30, 0.34))]
    within += [_rec("d", "seal-dynamic-nce", None, s, v) for s, v in enumerate((0.31, 0.35))]
    assert format_comparison(within).splitlines()[-1].endswith("+1.00 vs cross-entropy: within the seed spread")
    single = [_rec("w", "cross-entropy", "cpu", 0, 0.76, "mean_iou"), _rec("w", "seal-dynamic-regression-s", "cpu", 0, 0.77, "mean_iou")]
    single = [{**r, "task": "segmentation"} for r in single]
    last = format_comparison(single).splitlines()[-1]
    assert "mean IoU  77.00" in last and last.endswith("+1.00 vs cross-entropy (cpu): one seed each: no spread to compare with")
    assert format_comparison([]) == ""


def test_runner_echoes_only_complete_epoch_lines(tmp_path):
    log = tmp_path / "log.txt"
    log.write_text("Seed set to 0\nseal: epoch 1/3: val example_f1 0.5000 (best 0.5000, epoch 1); 1.0 s\nseal: ep")
    a = SimpleNamespace(spec=SimpleNamespace(log_file=log), echoed=0)
    assert _new_epoch_lines(a) == ["epoch 1/3: val example_f1 0.5000 (best 0.5000, epoch 1); 1.0 s"]
    assert _new_epoch_lines(a) == []  # the partial line waits for its newline
    with log.open("a") as fh:
        fh.write("och 2/3: val example_f1 0.2500 (best 0.5000, epoch 1); 0.9 s\nother output\n")
    assert _new_epoch_lines(a) == ["epoch 2/3: val example_f1 0.2500 (best 0.5000, epoch 1); 0.9 s"]


def test_epoch_lines_callback_prints_one_line_per_epoch(capsys):
    cb = EpochLines("example_f1", max_epochs=300)
    module = SimpleNamespace(val_history=[
        {"epoch": 0, "example_f1": 0.40, "batches_seen": 10}, {"epoch": 1, "example_f1": 0.35, "batches_seen": 20},
    ], _epoch_t0=None)
    trainer = SimpleNamespace(is_global_zero=True, current_epoch=1)
    cb.on_train_epoch_end(trainer, module)
    assert capsys.readouterr().out == "seal: epoch 2/300: val example_f1 0.3500 (best 0.4000, epoch 1)\n"
    trainer.current_epoch = 2  # no validation this epoch: nothing printed
    cb.on_train_epoch_end(trainer, module)
    assert capsys.readouterr().out == ""
