"""``seal fit`` / ``seal test`` command-line surface: where a resumed fit writes its checkpoints (never into
another run's directory), Lightning's ``--optimizer`` / ``--lr_scheduler`` removed (old ``null`` keys still
read), and the help texts."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from seal.cli.lightning import checkpoint_dirpath
from seal.cli.main import main

REPO = Path(__file__).resolve().parents[1]
GENBASE_CE = str(REPO / "configs" / "genbase" / "cross-entropy.yaml")
GENBASE_DYN = str(REPO / "configs" / "genbase" / "seal-dynamic-nce.cpu.yaml")
SHORT = ["--trainer.limit_train_batches=5", "--trainer.enable_progress_bar=false", "--early_stopping_patience=0"]


def _run_cli(args, data_dir, timeout=600):
    env = dict(os.environ, SEAL_DATA_DIR=str(data_dir), OMP_NUM_THREADS="1")
    return subprocess.run(
        [sys.executable, "-m", "seal.cli.main", *args], capture_output=True, text=True, env=env, timeout=timeout, check=False
    )


def _digests(directory: Path) -> dict[str, str]:
    return {
        str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.rglob("*")) if p.is_file()
    }


# ------------------------------------------------------------------------- where a resumed fit writes
def _ckpt_naming(dirpath: str) -> dict:
    return {"callbacks": {"ModelCheckpoint{'monitor': None}": {"dirpath": dirpath}}}


def test_checkpoint_dirpath_keeps_a_runs_own_directory_under_its_root(tmp_path, monkeypatch):
    run = tmp_path / "run"
    ckdir = run / "lightning_logs" / "version_0" / "checkpoints"
    ckdir.mkdir(parents=True)
    last = ckdir / "last.ckpt"
    # a plain resume (what `seal experiment` does on a rerun): same root, the file in its own directory
    assert checkpoint_dirpath(_ckpt_naming(str(ckdir)), last, run) == str(ckdir)
    # relative spellings (stored relative to the working directory, as with a relative default_root_dir)
    monkeypatch.chdir(tmp_path)
    rel = os.path.relpath(ckdir, tmp_path)
    assert checkpoint_dirpath(_ckpt_naming(rel), rel + "/last.ckpt", "run") == rel
    assert checkpoint_dirpath(_ckpt_naming(rel), rel + "/last.ckpt", None) == rel  # root: the working dir
    # no stored directory: the checkpoint's folder, if it is under the root
    assert checkpoint_dirpath({}, last, run) == str(ckdir)


def test_checkpoint_dirpath_is_none_for_a_copy_or_another_root(tmp_path):
    ckdir = tmp_path / "run" / "lightning_logs" / "version_0" / "checkpoints"
    ckdir.mkdir(parents=True)
    copy = tmp_path / "copy"
    copy.mkdir()
    # a copy of another run's last.ckpt: it is not in the stored directory
    assert checkpoint_dirpath(_ckpt_naming(str(ckdir)), copy / "last.ckpt", tmp_path / "run") is None
    # the run's own last.ckpt, but another --trainer.default_root_dir
    assert checkpoint_dirpath(_ckpt_naming(str(ckdir)), ckdir / "last.ckpt", tmp_path / "mine") is None
    assert checkpoint_dirpath({}, copy / "last.ckpt", tmp_path / "mine") is None


@pytest.fixture(scope="module")
def original_run(tmp_path_factory, data_dir):
    """A 1-epoch, 5-batch genbase cross-entropy fit: its root directory and last.ckpt."""
    root = tmp_path_factory.mktemp("fitpaths") / "run"
    r = _run_cli(["fit", "--config", GENBASE_CE, "--trainer.max_epochs=1", *SHORT,
                  "--trainer.default_root_dir", str(root), "--no_test=true"], data_dir)
    assert r.returncode == 0, r.stderr[-3000:]
    (last,) = root.glob("lightning_logs/version_0/checkpoints/last.ckpt")
    return root, last


def test_resuming_a_copied_checkpoint_leaves_the_original_run_untouched(original_run, data_dir, tmp_path):
    root, last = original_run
    before = _digests(root)
    copy = tmp_path / "copy"
    copy.mkdir()
    (copy / "last.ckpt").write_bytes(last.read_bytes())
    mine = tmp_path / "mine"
    r = _run_cli(["fit", "--config", GENBASE_CE, "--trainer.max_epochs=2", *SHORT, "--no_test=true",
                  "--trainer.default_root_dir", str(mine), "--ckpt_path", str(copy / "last.ckpt")], data_dir)
    assert r.returncode == 0, r.stderr[-3000:]
    assert _digests(root) == before  # the original run's files are byte-identical
    written = sorted(p.name for p in mine.glob("lightning_logs/version_*/checkpoints/*.ckpt"))
    assert written == ["best.ckpt", "last.ckpt"]  # the new checkpoints are under the given root
    lines = [ln for ln in r.stderr.splitlines() if "writing the new checkpoints under that root" in ln]
    assert len(lines) == 1 and str(copy / "last.ckpt") in lines[0] and str(mine) in lines[0]
    assert "exists and is not empty" not in r.stderr


def test_plain_resume_continues_in_the_runs_own_checkpoint_directory(data_dir, tmp_path):
    root = tmp_path / "run"
    r = _run_cli(["fit", "--config", GENBASE_CE, "--trainer.max_epochs=1", *SHORT, "--no_test=true",
                  "--trainer.default_root_dir", str(root)], data_dir)
    assert r.returncode == 0, r.stderr[-3000:]
    last = root / "lightning_logs" / "version_0" / "checkpoints" / "last.ckpt"
    before = last.read_bytes()
    r = _run_cli(["fit", "--config", GENBASE_CE, "--trainer.max_epochs=2", *SHORT, "--no_test=true",
                  "--trainer.default_root_dir", str(root), "--ckpt_path", str(last)], data_dir)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "writing the new checkpoints under that root" not in r.stderr
    assert last.read_bytes() != before  # continued in place, as `seal experiment` reruns do
    assert sorted(p.name for p in root.glob("lightning_logs/*/checkpoints/*.ckpt")) == ["best.ckpt", "last.ckpt"]


# ------------------------------------------------------------------ --optimizer / --lr_scheduler removed
@pytest.mark.parametrize("command", ["fit", "test"])
def test_lightning_optimizer_options_are_gone_from_help(command, capsys, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["seal"])
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "--optimizer " not in out and "--optimizer." not in out and "--lr_scheduler" not in out
    assert "torch.optim" not in out
    assert "--model.optimizer.lr" in out


@pytest.mark.parametrize(
    "args",
    [["--optimizer", "SGD"], ["--optimizer=torch.optim.SGD"], ["--lr_scheduler", "StepLR"],
     ["--optimizer.lr", "0.1"]],
)
def test_optimizer_options_are_an_argparse_error(args, data_dir, capsys, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["seal"])
    with pytest.raises(SystemExit) as exc:
        main(["fit", "--config", GENBASE_DYN, *args, "--print_config"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "is not supported: SEAL's modules configure their own optimizers" in err


def test_saved_configs_with_null_optimizer_keys_still_load(data_dir, tmp_path, capsys, monkeypatch):
    """Configs saved (config.yaml) and recorded (results/runs.jsonl) before the options were removed carry
    ``optimizer: null`` and ``lr_scheduler: null``: they load; any other value is refused."""
    cfg = yaml.safe_load(Path(GENBASE_DYN).read_text())
    cfg.update({"optimizer": None, "lr_scheduler": None})
    old = tmp_path / "config.yaml"
    old.write_text(yaml.safe_dump(cfg))
    monkeypatch.setattr(sys, "argv", ["seal"])
    with pytest.raises(SystemExit) as exc:
        main(["fit", "--config", str(old), "--print_config"])
    assert exc.value.code == 0
    printed = yaml.safe_load(capsys.readouterr().out)
    assert printed["model"]["method"] == cfg["model"]["method"]
    assert printed.get("optimizer") is None and printed.get("lr_scheduler") is None
    cfg["optimizer"] = {"class_path": "torch.optim.SGD", "init_args": {"lr": 0.1}}
    old.write_text(yaml.safe_dump(cfg))
    with pytest.raises(SystemExit) as exc:
        main(["fit", "--config", str(old), "--print_config"])
    assert exc.value.code == 2


# --------------------------------------------------------------------------------------------- help texts
def test_help_texts_are_whole_sentences(capsys, monkeypatch):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    fit_line = next(ln for ln in out.splitlines() if ln.startswith("  fit "))
    assert "from a YAML config" not in fit_line
    monkeypatch.setattr(sys, "argv", ["seal"])
    with pytest.raises(SystemExit):
        main(["test", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "never run on your test set until you want to." in text
    assert "run on your:" not in text and not text.endswith("run on your")
