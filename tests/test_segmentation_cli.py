"""``seal fit`` / ``seal test`` on segmentation: the task read from ``--ckpt_path``, one crop size (``model.crop_size``,
``data.crop_size`` follows it), partial test splits said as such, and no warning about the deliberate
``transfer_batch_to_device`` override."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import torch
import yaml

REPO = Path(__file__).resolve().parents[1]
CE_CPU = str(REPO / "configs" / "weizmann_horse" / "cross-entropy.cpu.yaml")
TINY = ["--trainer.max_epochs=1", "--trainer.limit_train_batches=3", "--trainer.limit_val_batches=2",
        "--trainer.limit_test_batches=2", "--trainer.enable_progress_bar=false"]  # fmt: skip
TRANSFER = "You have overridden `transfer_batch_to_device` in `LightningModule`"


def _seal(args, data_dir, timeout=600):
    env = dict(os.environ, SEAL_DATA_DIR=str(data_dir), OMP_NUM_THREADS="1")
    return subprocess.run([sys.executable, "-m", "seal.cli.main", *args], capture_output=True, text=True, env=env,
                          timeout=timeout)  # fmt: skip


def _fake_checkpoint(path, task=None):
    """A weights-only checkpoint naming ``task`` (``None``: none, as feature-MLC checkpoints)."""
    torch.save({"state_dict": {"w": torch.zeros(2)}, "seal": {} if task is None else {"task": task}}, path)
    return str(path)


@pytest.fixture(scope="module")
def ce_run(tmp_path_factory, data_dir):
    """One tiny cross-entropy fit (in-process): its run directory, stdout and metrics.json."""
    from seal.cli.main import main

    root = tmp_path_factory.mktemp("ce")
    old = os.environ.get("SEAL_DATA_DIR")
    os.environ["SEAL_DATA_DIR"] = str(data_dir)
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out), warnings.catch_warnings(record=True):
            rc = main(["fit", "--config", CE_CPU, *TINY, "--trainer.default_root_dir", str(root)])
    finally:
        if old is None:
            os.environ.pop("SEAL_DATA_DIR", None)
        else:
            os.environ["SEAL_DATA_DIR"] = old
    assert rc == 0
    run = root / "lightning_logs" / "version_0"
    return {"run": run, "out": out.getvalue(), "metrics": json.loads((run / "metrics.json").read_text()),
            "best": str(run / "checkpoints" / "best.ckpt"), "last": str(run / "checkpoints" / "last.ckpt")}


# ----------------------------------------------------------------------------- the task of --ckpt_path


def test_detect_task_reads_the_checkpoint_when_neither_task_nor_config_says(tmp_path):
    from seal.cli.lightning import detect_task

    seg = _fake_checkpoint(tmp_path / "seg.ckpt", "segmentation")
    mlc = _fake_checkpoint(tmp_path / "mlc.ckpt")
    assert detect_task(["test", "--ckpt_path", seg]) == "segmentation"
    assert detect_task(["fit", f"--ckpt_path={seg}"]) == "segmentation"
    assert detect_task(["test", "--ckpt_path", mlc]) == "multilabel"
    # --task and a config's task: still win over the checkpoint
    assert detect_task(["test", "--ckpt_path", seg, "--task", "multilabel"]) == "multilabel"
    genbase = str(REPO / "configs" / "genbase" / "cross-entropy.yaml")
    cfg = tmp_path / "c.yaml"
    cfg.write_text("task: multilabel\n")
    assert detect_task(["test", "--config", str(cfg), "--ckpt_path", seg]) == "multilabel"
    assert detect_task(["test", "--config", genbase, "--ckpt_path", seg]) == "segmentation"  # genbase names no task
    # a config file's ckpt_path: too
    cfg.write_text(f"ckpt_path: {seg}\n")
    assert detect_task(["test", "--config", str(cfg)]) == "segmentation"
    # a missing file is left for --ckpt_path's own check ("checkpoint not found")
    assert detect_task(["test", "--ckpt_path", str(tmp_path / "none.ckpt")]) == "multilabel"


def test_a_damaged_checkpoint_is_still_its_one_line_error(tmp_path, capsys, monkeypatch):
    from seal.cli.main import main

    bad = tmp_path / "bad.ckpt"
    bad.write_bytes(b"not a zip archive")
    monkeypatch.setattr(sys, "argv", ["seal"])
    with pytest.raises(SystemExit) as exc:
        main(["test", "--ckpt_path", str(bad), "--trainer.default_root_dir", str(tmp_path / "root")])
    assert exc.value.code == 2
    assert capsys.readouterr().err == (
        f"seal: error: checkpoint {bad} is truncated or is not a checkpoint: it is not the zip archive torch.save "
        "writes\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.ckpt"]


def test_a_checkpoint_of_another_task_than_the_one_given_is_one_line(tmp_path, capsys, monkeypatch):
    from seal.cli.main import main

    seg = _fake_checkpoint(tmp_path / "seg.ckpt", "segmentation")
    monkeypatch.setattr(sys, "argv", ["seal"])
    with pytest.raises(SystemExit) as exc:
        main(["test", "--task", "multilabel", "--ckpt_path", seg, "--trainer.default_root_dir", str(tmp_path / "r")])
    assert exc.value.code == 2
    assert capsys.readouterr().err == (
        f"seal: error: --ckpt_path {seg} is a segmentation checkpoint, but this command is for task multilabel "
        "(from --task or a --config file's 'task:'); use --task segmentation\n"
    )


def test_seal_test_ckpt_path_alone_evaluates_a_segmentation_checkpoint(ce_run, data_dir, tmp_path):
    """``seal test --ckpt_path CKPT`` (no --config, no --task), in a fresh process: the task comes from the
    checkpoint, the partial split is said, and Lightning's transfer-hook warning is not printed."""
    r = _seal(["test", "--ckpt_path", ce_run["best"], "--trainer.limit_test_batches", "2",
               "--trainer.enable_progress_bar", "false", "--trainer.default_root_dir", str(tmp_path)], data_dir)  # fmt: skip
    assert r.returncode == 0, r.stderr[-3000:]
    assert "does not accept option" not in r.stderr and TRANSFER not in r.stderr and "Traceback" not in r.stderr
    assert [ln for ln in r.stderr.splitlines() if ln.startswith("seal")] == [
        f"seal test: no --config: using the data settings stored in {ce_run['best']} "
        "(dataset weizmann_horse)"]  # fmt: skip
    assert r.stdout.rstrip("\n").splitlines()[-1] == (
        "seal test: partial test split: 64 of 128 test images (limit_test_batches=2, from "
        "--trainer.limit_test_batches); --trainer.limit_test_batches 1.0 scores all 128"
    )
    iou = next(float(ln.split()[1]) for ln in r.stdout.splitlines() if ln.strip().startswith("test/mean_iou"))
    assert iou == pytest.approx(ce_run["metrics"]["metrics"]["test"]["mean_iou"], abs=1e-6)  # the same 64 images


def test_seal_test_ckpt_path_alone_evaluates_a_feature_mlc_checkpoint_on_its_own_data(data_dir, tmp_path, capsys,
                                                                                      monkeypatch):
    """A feature-MLC checkpoint names no task: multi-label; its stored data settings (genbase) are used, not the
    DataModule's default dataset (whose label count differs)."""
    from seal.cli.main import main

    monkeypatch.setenv("SEAL_DATA_DIR", str(data_dir))
    monkeypatch.setattr(sys, "argv", ["seal"])
    metrics = tmp_path / "m.json"
    assert main(["fit", "--config", str(REPO / "configs" / "genbase" / "cross-entropy.yaml"), "--trainer.max_epochs=1",
                 "--trainer.limit_train_batches=2", "--trainer.enable_progress_bar=false",
                 "--trainer.default_root_dir", str(tmp_path / "fit"), "--metrics_file", str(metrics)]) == 0  # fmt: skip
    best = json.loads(metrics.read_text())["best_checkpoint"]
    capsys.readouterr()
    assert main(["test", "--ckpt_path", best, "--trainer.enable_progress_bar=false",
                 "--trainer.default_root_dir", str(tmp_path / "test")]) == 0  # fmt: skip
    captured = capsys.readouterr()
    assert [ln for ln in captured.err.splitlines() if ln.startswith("seal")] == [
        f"seal test: no --config: using the data settings stored in {best} (dataset genbase)"]
    f1 = next(float(ln.split()[1]) for ln in captured.out.splitlines() if ln.strip().startswith("test/example_f1"))
    assert f1 == pytest.approx(json.loads(metrics.read_text())["metrics"]["test"]["example_f1"], abs=1e-6)
    # a --data.KEY option overrides that one setting; the others (the dataset) still come from the checkpoint
    assert main(["test", "--ckpt_path", best, "--data.eval_batch_size", "7", "--trainer.enable_progress_bar=false",
                 "--trainer.default_root_dir", str(tmp_path / "test2")]) == 0  # fmt: skip
    captured = capsys.readouterr()
    assert [ln for ln in captured.err.splitlines() if ln.startswith("seal")] == [
        f"seal test: no --config: using the data settings stored in {best} (dataset genbase), except "
        "--data.eval_batch_size as given"]
    f1 = next(float(ln.split()[1]) for ln in captured.out.splitlines() if ln.strip().startswith("test/example_f1"))
    assert f1 == pytest.approx(json.loads(metrics.read_text())["metrics"]["test"]["example_f1"], abs=1e-6)
    # a feature-MLC checkpoint (it stores no task name) given with another task is one line, exit 2
    with pytest.raises(SystemExit) as exc:
        main(["test", "--task", "segmentation", "--ckpt_path", best, "--trainer.default_root_dir", str(tmp_path / "t3")])
    assert exc.value.code == 2
    assert capsys.readouterr().err.strip().splitlines()[-1] == (
        f"seal: error: --ckpt_path {best} is a multilabel checkpoint, but this command is for task segmentation "
        "(from --task or a --config file's 'task:'); use --task multilabel")


def test_resuming_fit_from_a_checkpoint_alone_is_a_segmentation_fit(ce_run, data_dir, tmp_path, monkeypatch):
    from seal.cli.lightning import SEALCLI, detect_task, make_cli
    from seal.tasks.segmentation.cli import SegmentationCLI
    from seal.tasks.segmentation.module import SegmentationModule

    assert detect_task(["fit", "--ckpt_path", ce_run["last"]]) == "segmentation"
    monkeypatch.setenv("SEAL_DATA_DIR", str(data_dir))
    monkeypatch.setattr(sys, "argv", ["seal"])
    monkeypatch.setattr(SEALCLI, "_run_subcommand", lambda self, subcommand: None)  # parse and build only
    cli = make_cli(["fit", "--ckpt_path", ce_run["last"], "--trainer.default_root_dir", str(tmp_path)])
    assert type(cli) is SegmentationCLI and isinstance(cli.model, SegmentationModule)
    assert cli.model.hparams.method == "cross-entropy" and cli.datamodule.hparams.dataset == "weizmann_horse"


# ----------------------------------------------------------------------------- one crop size


def _err_line(capsys):
    return [ln for ln in capsys.readouterr().err.splitlines() if ln.startswith("seal")]


def test_data_crop_size_on_the_command_line_is_refused_before_anything_is_built(data_dir, tmp_path, capsys, monkeypatch):
    from seal.cli.lightning import check_fit_arguments
    from seal.cli.main import main

    monkeypatch.setenv("SEAL_DATA_DIR", str(data_dir))
    monkeypatch.setattr(sys, "argv", ["seal"])
    expected = ("--data.crop_size is set by --model.crop_size (one crop size for the network and its data): "
                "use --model.crop_size 16")  # fmt: skip
    for option in (["--data.crop_size", "16"], ["--data.crop_size=16"]):
        with pytest.raises(SystemExit) as exc:
            main(["fit", "--config", CE_CPU, *option, "--trainer.default_root_dir", str(tmp_path / "fx")])
        assert exc.value.code == 2
        assert _err_line(capsys) == [f"seal: error: {expected}"]
        assert not (tmp_path / "fx").exists()  # no config.yaml left behind
    with pytest.raises(ValueError) as info:  # seal experiment's check of a grid's runs
        check_fit_arguments(["--config", CE_CPU, "--data.crop_size", "16"])
    assert str(info.value) == expected
    # the whole --data value with a crop_size in it is no way around the refusal
    for option in (['--data={"crop_size": 20, "batch_size": 4}'], ["--data", '{"crop_size": 20}']):
        with pytest.raises(ValueError) as info:
            check_fit_arguments(["--config", CE_CPU, *option])
        assert str(info.value) == ("--data sets crop_size, which is set by --model.crop_size (one crop size for the "
                                   "network and its data): give it as --model.crop_size")


def test_a_config_whose_data_crop_size_differs_is_refused(data_dir, tmp_path, capsys, monkeypatch):
    from seal.cli.lightning import check_fit_arguments
    from seal.cli.main import main

    monkeypatch.setenv("SEAL_DATA_DIR", str(data_dir))
    monkeypatch.setattr(sys, "argv", ["seal"])
    only_data = tmp_path / "d16.yaml"
    only_data.write_text("task: segmentation\ndata:\n  crop_size: 16\n")
    both = tmp_path / "m16d24.yaml"
    both.write_text("task: segmentation\nmodel:\n  crop_size: 16\ndata:\n  crop_size: 24\n")
    for cfg, data_crop, model_crop in ((only_data, 16, 24), (both, 24, 16)):
        expected = (f"config {cfg}: data.crop_size {data_crop} differs from model.crop_size {model_crop}; the crop size "
                    f"is one setting, model.crop_size (data.crop_size follows it): set model.crop_size: {data_crop}")
        with pytest.raises(SystemExit) as exc:
            main(["fit", "--config", str(cfg), "--trainer.default_root_dir", str(tmp_path / "fx")])
        assert exc.value.code == 2
        assert _err_line(capsys) == [f"seal: error: {expected}"]
        with pytest.raises(ValueError) as info:
            check_fit_arguments(["--config", str(cfg)])
        assert str(info.value) == expected
    assert not (tmp_path / "fx").exists()


def _parse_only(monkeypatch):
    """make_cli parses (checkpoint hyper-parameters included) but builds and runs nothing."""
    from seal.cli.lightning import SEALCLI

    monkeypatch.setattr(sys, "argv", ["seal"])
    monkeypatch.setattr(SEALCLI, "instantiate_classes", lambda self: None)
    monkeypatch.setattr(SEALCLI, "_run_subcommand", lambda self, subcommand: None)


def test_model_crop_size_sets_the_data_crop_size_and_old_saved_configs_still_load(tmp_path, monkeypatch):
    from seal.cli.lightning import make_cli

    _parse_only(monkeypatch)
    root = ["--trainer.default_root_dir", str(tmp_path / "r")]
    cli = make_cli(["fit", "--config", CE_CPU, "--model.crop_size", "16", *root])
    assert (cli.config.fit.model.crop_size, cli.config.fit.data.crop_size) == (16, 16)
    # a config.yaml saved before the link carries both (equal) values: read as before
    old = tmp_path / "old.yaml"
    old.write_text("task: segmentation\nmodel:\n  method: cross-entropy\n  crop_size: 20\ndata:\n  crop_size: 20\n")
    cli = make_cli(["test", "--config", str(old), *root])
    assert (cli.config.test.model.crop_size, cli.config.test.data.crop_size) == (20, 20)


def test_a_checkpoints_crop_size_reaches_the_data(ce_run, tmp_path, monkeypatch):
    """``seal test --ckpt_path`` of a model built for 16x16 crops evaluates 16x16 crops (not the data default 24)."""
    from seal.cli.lightning import make_cli
    from seal.training.checkpoint import load_checkpoint

    ckpt = load_checkpoint(ce_run["best"])
    ckpt["hyper_parameters"]["crop_size"] = 16  # cross-entropy's FCN has no size; the checksum covers the weights
    path = tmp_path / "c16.ckpt"
    torch.save(ckpt, path)
    _parse_only(monkeypatch)
    cli = make_cli(["test", "--ckpt_path", str(path), "--trainer.default_root_dir", str(tmp_path / "r")])
    assert (cli.config.test.model.crop_size, cli.config.test.data.crop_size) == (16, 16)


# ----------------------------------------------------------------------------- partial test splits


def test_fit_says_a_partial_test_split_under_its_metrics_and_in_metrics_json(ce_run):
    from seal.tasks import get_task

    lines = ce_run["out"].rstrip("\n").splitlines()
    start = lines.index("test metrics (cross-entropy)")
    assert lines[start + 4:] == [
        "partial test split: 64 of 128 test images (limit_test_batches=2, from --trainer.limit_test_batches)",
        get_task("segmentation").conventions_text(),
    ]
    assert ce_run["metrics"]["test_coverage"] == {
        "evaluated": 64, "total": 128, "unit": "images", "limit_test_batches": 2, "partial": True,
    }  # fmt: skip
    saved = yaml.safe_load((ce_run["run"] / "config.yaml").read_text())
    assert saved["trainer"]["limit_test_batches"] == 2.0 and saved["model"]["crop_size"] == 24


def test_seal_test_with_a_fits_saved_config_says_the_inherited_limit(ce_run, data_dir, tmp_path, capsys, monkeypatch):
    from seal.cli.main import main

    monkeypatch.setenv("SEAL_DATA_DIR", str(data_dir))
    monkeypatch.setattr(sys, "argv", ["seal"])
    cfg = ce_run["run"] / "config.yaml"
    assert main(["test", "--config", str(cfg), "--ckpt_path", ce_run["best"],
                 "--trainer.default_root_dir", str(tmp_path)]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert out.rstrip("\n").splitlines()[-1] == (
        f"seal test: partial test split: 64 of 128 test images (limit_test_batches=2, from --config {cfg}); "
        "--trainer.limit_test_batches 1.0 scores all 128"
    )


def test_coverage_text_and_the_metrics_note():
    from seal.cli.lightning import coverage_text, format_metrics

    cov = {"evaluated": 64, "total": 128, "unit": "images", "limit_test_batches": 0.5, "partial": True}
    assert coverage_text(cov) == "partial test split: 64 of 128 test images (limit_test_batches=0.5)"
    assert format_metrics({"mean_iou": 0.25}, "t", conventions="C.", note=coverage_text(cov)).splitlines() == [
        "t", "-", "mean_iou               0.2500", "partial test split: 64 of 128 test images (limit_test_batches=0.5)",
        "C.",
    ]  # fmt: skip


# ----------------------------------------------------------------------------- the transfer-hook warning


def test_only_the_transfer_hook_warning_is_silenced():
    from seal.cli.lightning import silence_transfer_hook_warning

    hook = "You have overridden `{}` in `LightningModule` but have passed in a `LightningDataModule`. It will use ..."
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        silence_transfer_hook_warning()
        warnings.warn(hook.format("transfer_batch_to_device"), UserWarning, stacklevel=1)
        warnings.warn(hook.format("on_before_batch_transfer"), UserWarning, stacklevel=1)
        warnings.warn("something else", UserWarning, stacklevel=1)
    assert [str(w.message).split(" in ")[0] for w in seen] == [
        "You have overridden `on_before_batch_transfer`", "something else"]  # fmt: skip
