"""The ``seal`` command end to end on real data: fit + test, configs, bad input, DDP."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from seal.cli.main import main

REPO = Path(__file__).resolve().parents[1]
GENBASE_CE = str(REPO / "configs" / "genbase" / "cross-entropy.yaml")


def _run_cli(args, env_extra=None, timeout=600):
    env = dict(os.environ, **(env_extra or {}))
    return subprocess.run(
        [sys.executable, "-m", "seal.cli.main", *args], capture_output=True, text=True, env=env, timeout=timeout
    )


def test_help_lists_commands(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for cmd in ("data", "fit", "test", "predict", "experiment", "report"):
        assert f"  {cmd}" in out
    assert main(["bogus"]) == 2


def test_print_config_resolves_yaml(data_dir, capsys, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["seal"])
    with pytest.raises(SystemExit) as exc:
        main(["fit", "--config", GENBASE_CE, "--print_config"])
    assert exc.value.code == 0
    cfg = yaml.safe_load(capsys.readouterr().out)
    assert cfg["model"]["method"] == "cross-entropy"
    assert cfg["model"]["task_net"] == {"hidden": 400, "num_layers": 1, "dropout": [0.0]}
    assert cfg["data"]["dataset"] == "genbase"


def test_fit_then_test_on_genbase_writes_metrics_and_config(data_dir, tmp_path):
    metrics = tmp_path / "m.json"
    r = _run_cli(
        [
            "fit", "--config", GENBASE_CE, "--trainer.max_epochs", "3", "--trainer.enable_progress_bar", "false",
            "--trainer.default_root_dir", str(tmp_path), "--metrics_file", str(metrics),
        ],
        {"SEAL_DATA_DIR": str(data_dir)},
    )
    assert r.returncode == 0, r.stderr[-2000:]
    assert "test metrics (cross-entropy)" in r.stdout and "example_f1" in r.stdout
    res = json.loads(metrics.read_text())
    assert res["epochs"] == 3 and res["batches_seen"] == 3 * 13  # 398 training rows / 32 per batch
    assert 0.0 < res["metrics"]["test"]["example_f1"] <= 1.0
    (cfg,) = list(tmp_path.glob("lightning_logs/version_*/config.yaml"))
    saved = yaml.safe_load(cfg.read_text())
    assert saved["model"]["method"] == "cross-entropy" and saved["model"]["optimizer"]["lr"] == 0.002
    assert saved["data"]["dataset"] == "genbase"


@pytest.mark.parametrize(
    "args, needle",
    [
        (["--model.not_a_key", "1"], "not_a_key"),
        (["--data.dataset", "no_such_dataset"], "no_such_dataset"),
        (["--data.expect_num_labels", "99"], "expect_num_labels=99 but dataset 'genbase' has 27 labels"),
        (["--model.sampler.num_samples", "0", "--model.method", "seal-dynamic-nce",
          "--model.objective.score_loss_weight", "1"], "num_samples"),
        # flat keys from before the grouping: refused with their new names
        (["--model.num_samples", "4"], "--model.num_samples -> --model.sampler.num_samples"),
    ],
)
def test_bad_config_gives_one_clear_error_before_training(data_dir, tmp_path, args, needle):
    r = _run_cli(
        ["fit", "--config", GENBASE_CE, "--trainer.default_root_dir", str(tmp_path), *args],
        {"SEAL_DATA_DIR": str(data_dir)},
    )
    assert r.returncode != 0
    assert needle in r.stderr
    assert "Traceback" not in r.stderr
    assert not list(tmp_path.glob("**/*.ckpt"))


def test_ddp_two_cpu_processes_agree_with_single_process(data_dir, tmp_path):
    """Data-parallel over 2 gloo processes at the same global batch (2 x 16) as one process (32).

    The two runs see the same examples per update but group them differently, so they are not
    bit-identical; after 25 epochs on genbase their test example-F1 must agree within 0.02.
    """
    common = ["--config", GENBASE_CE, "--trainer.max_epochs", "25", "--trainer.enable_progress_bar", "false"]
    env = {"SEAL_DATA_DIR": str(data_dir)}
    single = _run_cli(["fit", *common, "--trainer.default_root_dir", str(tmp_path / "s"), "--metrics_file", str(tmp_path / "s.json")], env)
    assert single.returncode == 0, single.stderr[-2000:]
    ddp = _run_cli(
        [
            "fit", *common, "--trainer.strategy", "ddp", "--trainer.devices", "2", "--trainer.accelerator", "cpu",
            "--data.batch_size", "16", "--trainer.default_root_dir", str(tmp_path / "d"), "--metrics_file", str(tmp_path / "d.json"),
        ],
        env,
    )
    assert ddp.returncode == 0, ddp.stderr[-2000:]
    s = json.loads((tmp_path / "s.json").read_text())["metrics"]["test"]
    d = json.loads((tmp_path / "d.json").read_text())["metrics"]["test"]
    assert abs(s["example_f1"] - d["example_f1"]) < 0.02
    assert abs(s["map"] - d["map"]) < 0.02
    assert s["example_f1"] > 0.9


@pytest.mark.parametrize(
    "option, value, expected",
    [
        ("--trainer.default_root_dir", "afile", "--trainer.default_root_dir {tmp}/afile: is an existing file, not a directory"),
        ("--trainer.default_root_dir", "afile/sub", "--trainer.default_root_dir {tmp}/afile/sub: {tmp}/afile is a file, not a directory"),
        ("--metrics_file", "adir", "--metrics_file {tmp}/adir: is an existing directory, not a file"),
        ("--metrics_file", "afile/m.json", "--metrics_file {tmp}/afile/m.json: {tmp}/afile is a file, not a directory"),
    ],
)
def test_an_output_path_blocked_by_a_file_or_directory_is_one_error_before_training(data_dir, tmp_path, option, value, expected):
    (tmp_path / "afile").write_text("not a directory")
    (tmp_path / "adir").mkdir()
    root = ["--trainer.default_root_dir", str(tmp_path / "root")] if option != "--trainer.default_root_dir" else []
    r = _run_cli(
        ["fit", "--config", GENBASE_CE, "--trainer.max_epochs", "1", *root, option, str(tmp_path / value)],
        {"SEAL_DATA_DIR": str(data_dir)},
    )
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert [ln for ln in r.stderr.splitlines() if ln.startswith("seal")] == ["seal: error: " + expected.format(tmp=tmp_path)]
    assert (tmp_path / "afile").read_text() == "not a directory" and list((tmp_path / "adir").iterdir()) == []
    assert not list(tmp_path.glob("**/*.ckpt")) and not (tmp_path / "root").exists()


def test_fit_replaces_an_existing_metrics_file_saying_so_and_prints_its_tasks_conventions(data_dir, tmp_path):
    from seal.metrics import MULTILABEL_CONVENTIONS

    metrics = tmp_path / "m.json"
    args = ["fit", "--config", GENBASE_CE, "--trainer.max_epochs", "1", "--trainer.enable_progress_bar", "false",
            "--trainer.default_root_dir", str(tmp_path), "--metrics_file", str(metrics)]  # fmt: skip
    first = _run_cli(args, {"SEAL_DATA_DIR": str(data_dir)})
    assert first.returncode == 0, first.stderr[-2000:]
    assert "replaced existing" not in first.stderr
    assert first.stdout.rstrip("\n").splitlines()[-1] == MULTILABEL_CONVENTIONS  # not segmentation's too
    metrics.write_text('{"from": "an older run"}')
    second = _run_cli(args, {"SEAL_DATA_DIR": str(data_dir)})
    assert second.returncode == 0, second.stderr[-2000:]
    assert [ln for ln in second.stderr.splitlines() if ln.startswith("seal")] == [
        f"seal: replaced existing metrics file {metrics}"
    ]
    assert json.loads(metrics.read_text())["epochs"] == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lightning_logs", "m.json"]  # no temporary file left


def test_metrics_file_write_is_atomic(tmp_path, monkeypatch, capsys):
    from seal.cli import lightning

    metrics = tmp_path / "m.json"
    metrics.write_text("old")
    with pytest.raises(TypeError):  # not JSON: nothing is written
        lightning.write_metrics_file(metrics, {"x": object()})

    def fail(*args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        lightning.write_metrics_file(metrics, {"epochs": 1})
    assert metrics.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["m.json"]
    assert capsys.readouterr().err == ""
    monkeypatch.undo()
    lightning.write_metrics_file(metrics, {"epochs": 1})
    assert json.loads(metrics.read_text()) == {"epochs": 1}
    assert capsys.readouterr().err == f"seal: replaced existing metrics file {metrics}\n"
