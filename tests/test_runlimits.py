"""`seal fit` run limits and argument errors: --trainer.max_steps counts training batches (never "early stopping
conditioned on metric ... not available"), max_epochs 0 warns, the run record's epochs / best_epoch /
batches_seen describe the same run, and a mistyped key gives the error and one hint line."""

from __future__ import annotations

import json

import numpy as np
import pytest

from seal.cli.main import main
from seal.data.splits import carve_validation

LABELS = ["a", "b", "c"]


@pytest.fixture(scope="module")
def train_csv(tmp_path_factory):
    r = np.random.RandomState(5)
    X = r.rand(60, 4).round(3)
    Y = ((X - 0.5) @ r.randn(4, 3) > 0).astype(int)
    p = tmp_path_factory.mktemp("rl") / "tr.csv"
    p.write_text(",".join(["x0", "x1", "x2", "x3", *LABELS]) + "\n"
                 + "".join(",".join([f"{v:g}" for v in x] + [str(v) for v in y]) + "\n" for x, y in zip(X, Y)))
    n_train = len(carve_validation(Y, val_fraction=0.25, seed=0)[0])
    return p, n_train


def fit(tmp_path, train_csv, *args):
    path, _ = train_csv
    metrics = tmp_path / "m.json"
    rc = main(["fit", "--data.train", str(path), "--data.labels", "[a,b,c]", "--data.batch_size", "16",
               "--trainer.enable_progress_bar", "false", "--trainer.default_root_dir", str(tmp_path / "run"),
               "--metrics_file", str(metrics), *args])
    assert rc == 0
    return json.loads(metrics.read_text()) if metrics.exists() else None


def consistent(rec):
    """epochs, best_epoch and batches_seen describe the same run as val_history."""
    hist = rec["val_history"]
    assert rec["epochs"] == hist[-1]["epoch"] + 1
    assert rec["batches_seen"] == hist[-1]["batches_seen"]
    best = max(hist, key=lambda h: h["example_f1"])
    assert rec["best_epoch"] == best["epoch"] and 0 <= rec["best_epoch"] < rec["epochs"]
    assert rec["metrics"]["val"]["example_f1"] == pytest.approx(best["example_f1"], abs=1e-6)


@pytest.mark.parametrize("steps", [1, 5])
def test_max_steps_counts_training_batches(tmp_path, train_csv, steps):
    per_epoch = -(-train_csv[1] // 16)
    assert per_epoch == 3  # 44 training rows: steps=1 stops inside epoch 0, steps=5 inside epoch 1
    rec = fit(tmp_path, train_csv, "--trainer.max_steps", str(steps))
    assert rec["batches_seen"] == steps
    assert rec["epochs"] == (steps - 1) // per_epoch + 1
    assert [h["batches_seen"] for h in rec["val_history"]] == ([1] if steps == 1 else [3, 5])
    consistent(rec)
    assert rec["metrics"]["test"] == {}  # no test file


def test_max_steps_with_a_seal_method_counts_batches_not_optimizer_steps(tmp_path, train_csv):
    rec = fit(tmp_path, train_csv, "--trainer.max_steps", "4", "--model.method", "seal-dynamic-nce",
              "--model.objective.score_loss_weight", "0.1", "--model.sampler.num_samples", "4")
    assert rec["batches_seen"] == 4 and rec["epochs"] == 2
    consistent(rec)


def test_full_epochs_record(tmp_path, train_csv):
    rec = fit(tmp_path, train_csv, "--trainer.max_epochs", "2")
    assert rec["epochs"] == 2 and rec["batches_seen"] == 6  # not the restored best checkpoint's count
    consistent(rec)


def test_max_epochs_zero_warns(tmp_path, train_csv, capsys):
    rec = fit(tmp_path, train_csv, "--trainer.max_epochs", "0")
    err = capsys.readouterr().err
    assert ("seal: warning: --trainer.max_epochs 0 trains nothing: no epoch runs, no checkpoint is written, and "
            "the test below (if any) evaluates the initial, untrained weights\n") in err
    assert (rec["epochs"], rec["best_epoch"], rec["batches_seen"], rec["val_history"]) == (0, None, 0, [])


@pytest.mark.parametrize(
    "config, hint",
    [
        ("data:\n  labelz: [a]\n", "hint: did you mean 'data.labels'? (run `seal fit --help` for the accepted options)"),
        ("trainer:\n  max_stepz: 3\n", "hint: did you mean 'trainer.max_steps'? (run `seal fit --help` for the accepted options)"),
        ("zzz: 1\n", "hint: run `seal fit --help` for the accepted options"),
    ],
)
def test_mistyped_config_key_is_one_error_and_one_hint(tmp_path, capsys, config, hint):
    cfg = tmp_path / "c.yaml"
    cfg.write_text(config)
    with pytest.raises(SystemExit) as ei:
        main(["fit", "--config", str(cfg)])
    assert ei.value.code == 2
    key = {"d": "data.labelz", "t": "trainer.max_stepz", "z": "zzz"}[config[0]]
    assert capsys.readouterr().err == f"seal fit: error: Subcommand 'fit' does not accept option '{key}'\n{hint}\n"


@pytest.mark.parametrize(
    "argv, hint",
    [
        (["--data.labelz", "x"], "hint: did you mean 'data.labels'? (run `seal fit --help` for the accepted options)"),
        (["--trainer.max_stepz=3"], "hint: did you mean 'trainer.max_steps'? (run `seal fit --help` for the accepted options)"),
        (["--zzz", "1"], "hint: run `seal fit --help` for the accepted options"),
        # an abbreviation is not taken for the option it starts (argparse's allow_abbrev is off): the runner
        # compares overrides as written, and `--trainer.max_epoch=3` silently set max_epochs before
        (["--trainer.max_epoch=3"], "hint: did you mean 'trainer.max_epochs'? (run `seal fit --help` for the accepted options)"),
        (["--model.sampler.num_sample", "5"],
         "hint: did you mean 'model.sampler.num_samples'? (run `seal fit --help` for the accepted options)"),
    ],
)
def test_mistyped_command_line_option_gets_the_same_hint(capsys, argv, hint):
    with pytest.raises(SystemExit) as ei:
        main(["fit", *argv])
    assert ei.value.code == 2
    assert capsys.readouterr().err == f"seal fit: error: unrecognized arguments: {' '.join(argv)}\n{hint}\n"


def test_batch_limits_written_as_integers_stay_numbers_of_batches(tmp_path):
    """jsonargparse makes every value of Lightning's ``int | float`` limit a float, so ``--trainer.limit_test_batches
    1`` meant the whole split (1.0); the CLI hands the Trainer the ints as written (last one wins, config files and
    the command line in order), and leaves fractions alone."""
    from seal.cli.lightning import integer_batch_limits

    cfg = tmp_path / "c.yaml"
    cfg.write_text("trainer:\n  limit_val_batches: 3\n  limit_train_batches: 0.5\n  limit_test_batches: 2\n")
    argv = ["--config", str(cfg), "--trainer.limit_test_batches", "1", "--trainer.limit_predict_batches=0.25",
            "--trainer.max_epochs", "1"]
    assert integer_batch_limits(argv) == {"limit_val_batches": 3, "limit_test_batches": 1}
    # a later fraction replaces an earlier int; an int on the command line after a config's fraction is kept
    assert integer_batch_limits([*argv, "--trainer.limit_val_batches=0.5", "--trainer.limit_train_batches=4"]) == {
        "limit_test_batches": 1, "limit_train_batches": 4}
    assert integer_batch_limits(["--trainer.limit_test_batches", "1.0"]) == {}


def test_limit_test_batches_1_scores_one_batch(tmp_path, data_dir, monkeypatch, capsys):
    import sys
    from pathlib import Path

    genbase_ce = str(Path(__file__).resolve().parents[1] / "configs" / "genbase" / "cross-entropy.yaml")
    monkeypatch.setenv("SEAL_DATA_DIR", str(data_dir))
    monkeypatch.setattr(sys, "argv", ["seal"])
    metrics = tmp_path / "m.json"
    assert main(["fit", "--config", genbase_ce, "--trainer.limit_test_batches", "1", "--data.eval_batch_size", "16",
                 "--trainer.max_epochs", "1", "--trainer.limit_train_batches", "2", "--trainer.enable_progress_bar",
                 "false", "--trainer.default_root_dir", str(tmp_path), "--metrics_file", str(metrics)]) == 0
    assert json.loads(metrics.read_text())["test_coverage"] == {
        "evaluated": 16, "total": 132, "unit": "examples", "limit_test_batches": 1, "partial": True}
    assert "partial test split: 16 of 132 test examples (limit_test_batches=1, from --trainer.limit_test_batches)" in (
        capsys.readouterr().out)
