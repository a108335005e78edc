"""Never damage what exists: checkpoint checksums and load errors, Ctrl-C in ``seal fit`` with the exact resume
command, and ``seal experiment`` resuming interrupted runs, killing its trainers with it and refusing to run a
second trainer in one run directory."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import torch
import yaml

from seal.cli.main import main
from seal.experiments import runner
from seal.training.checkpoint import (
    CheckpointError,
    UnsafeCheckpointError,
    add_checksum,
    atomic_torch_save,
    load_checkpoint,
    read_checkpoint,
    state_checksum,
)

REPO = Path(__file__).resolve().parents[1]
GENBASE_CE = str(REPO / "configs" / "genbase" / "cross-entropy.yaml")

#: test callbacks the subprocesses import (their directory is put on PYTHONPATH)
CALLBACKS = textwrap.dedent(
    """
    import os, signal, time
    from lightning.pytorch.callbacks import Callback


    class SlowFrom(Callback):
        '''Sleeps after every training batch from epoch `epoch` on while `flag` does not exist; the first time,
        it creates `started` (if given), so that a test can interrupt it inside that epoch.'''

        def __init__(self, epoch: int = 1, seconds: float = 0.2, flag: str = "fast", started: str = ""):
            self.epoch, self.seconds, self.flag, self.started = epoch, seconds, flag, started

        def on_train_batch_end(self, trainer, *args, **kwargs):
            if trainer.current_epoch >= self.epoch and not os.path.exists(self.flag):
                if self.started and not os.path.exists(self.started):
                    open(self.started, "w").close()
                time.sleep(self.seconds)


    class InterruptParentAt(Callback):
        '''At (epoch, batch), unless `flag` exists: create it, send SIGINT to the parent process (the grid
        runner, as a user's Ctrl-C would) and wait to be interrupted in turn.'''

        def __init__(self, epoch: int = 1, batch: int = 4, flag: str = "interrupted"):
            self.epoch, self.batch, self.flag = epoch, batch, flag

        def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
            if trainer.current_epoch == self.epoch and batch_idx == self.batch and not os.path.exists(self.flag):
                open(self.flag, "w").close()
                os.kill(os.getppid(), signal.SIGINT)
                time.sleep(120)
    """
)


def _env(tmp_path: Path) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), str(REPO / "src"), env.get("PYTHONPATH", "")])
    if env.get("SEAL_DATA_DIR"):  # the subprocesses run in tmp_path: a relative data directory must not move with them
        env["SEAL_DATA_DIR"] = str(Path(env["SEAL_DATA_DIR"]).resolve())
    return env


def _wait_for(predicate, timeout: float = 120.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def _gone(pid: int) -> bool:
    return not runner.process_alive(pid)


# ------------------------------------------------------------------------------------- checkpoint files
@pytest.fixture
def good_ckpt(tmp_path) -> Path:
    ckpt = {"state_dict": {"task_net.w": torch.arange(6.0).reshape(2, 3), "task_net.b": torch.ones(3)},
            "hyper_parameters": {"method": "cross-entropy"}, "seal": {"batches_seen": 4}}
    path = tmp_path / "good.ckpt"
    atomic_torch_save(add_checksum(ckpt), path)
    return path


class _Code:
    """Loading an instance needs unpickling code."""


def _bad_checkpoints(tmp_path: Path, good: Path) -> dict[str, tuple[Path, str]]:
    """name -> (file, the exact reason load_checkpoint gives)."""
    empty = tmp_path / "empty.ckpt"
    empty.write_bytes(b"")
    truncated = tmp_path / "truncated.ckpt"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    noise = tmp_path / "random.ckpt"
    noise.write_bytes(bytes(range(256)) * 8)
    pickled = tmp_path / "pickled.ckpt"
    torch.save({"state_dict": {}, "extra": _Code()}, pickled)
    not_zip = "is truncated or is not a checkpoint: it is not the zip archive torch.save writes"
    ckpt = load_checkpoint(good)
    stored = ckpt["seal"]["state_sha256"]
    ckpt["state_dict"]["task_net.b"][0] = 7.0  # as if bytes flipped on disk: checksum kept
    corrupted = tmp_path / "corrupted.ckpt"
    torch.save(ckpt, corrupted)
    now = state_checksum(ckpt["state_dict"])
    return {
        "corrupted": (corrupted, f"is corrupted: its tensors do not match the SHA-256 stored when it was written "
                                 f"(now {now[:12]}..., stored {stored[:12]}...); use another checkpoint of the run or "
                                 "train again"),
        "empty": (empty, "is empty (0 bytes): its write never finished; use another checkpoint"),
        "truncated": (truncated, not_zip),
        "random": (noise, not_zip),
        "pickled": (pickled, f"is not a weights-only checkpoint: it holds the Python object {__name__}._Code, and "
                             "loading it would run code, which seal never does"),
    }


def test_load_checkpoint_verifies_the_checksum_and_names_file_and_reason(tmp_path, good_ckpt):
    ckpt = load_checkpoint(good_ckpt)
    assert torch.equal(ckpt["state_dict"]["task_net.w"], torch.arange(6.0).reshape(2, 3))
    assert len(ckpt["seal"]["state_sha256"]) == 64
    for name, (path, reason) in _bad_checkpoints(tmp_path, good_ckpt).items():
        with pytest.raises(CheckpointError) as exc:
            load_checkpoint(path)
        assert str(exc.value) == f"checkpoint {path} {reason}", name
        assert "weights_only=False" not in str(exc.value) and "\n" not in str(exc.value)
    with pytest.raises(UnsafeCheckpointError):  # still a pickle.UnpicklingError, as before
        load_checkpoint(tmp_path / "pickled.ckpt")
    # one tensor changed on disk, checksum kept: corrupted
    raw = bytearray(good_ckpt.read_bytes())
    at = bytes(raw).find(torch.ones(3).numpy().tobytes())
    raw[at : at + 4] = torch.tensor([7.0]).numpy().tobytes()
    flipped = tmp_path / "flipped.ckpt"
    flipped.write_bytes(bytes(raw))
    assert torch.load(flipped, weights_only=True)["state_dict"]["task_net.b"].tolist() == [7.0, 1.0, 1.0]
    with pytest.raises(CheckpointError, match=rf"^checkpoint {re.escape(str(flipped))} is corrupted: its tensors do not "
                                              "match the SHA-256 stored when it was written"):
        load_checkpoint(flipped)
    with pytest.raises(CheckpointError, match=rf"^task checkpoint {re.escape(str(flipped))} is corrupted"):
        read_checkpoint(flipped, "task checkpoint")
    assert load_checkpoint(flipped, verify=False)["state_dict"]["task_net.b"].tolist() == [7.0, 1.0, 1.0]
    with pytest.raises(FileNotFoundError, match="checkpoint not found: "):
        load_checkpoint(tmp_path / "missing.ckpt")


def test_the_optimizer_state_is_checksummed_too(tmp_path):
    """A value changed in ``optimizer_states`` (what resuming reads) is reported as corruption, not found later as
    a non-finite loss; a checkpoint without optimizer state (or from before that checksum) loads as before."""
    from seal.training.checkpoint import optimizer_checksum

    opt = [{"state": {0: {"step": torch.tensor(3.0), "exp_avg": torch.ones(2), "exp_avg_sq": torch.full((2,), 4.0)}},
            "param_groups": [{"lr": 0.001, "betas": (0.9, 0.999), "params": [0]}]}]
    ckpt = add_checksum({"state_dict": {"w": torch.zeros(2)}, "optimizer_states": opt, "seal": {}})
    good = tmp_path / "good.ckpt"
    atomic_torch_save(ckpt, good)
    loaded = load_checkpoint(good)
    assert loaded["seal"]["optimizer_sha256"] == optimizer_checksum(opt) and len(optimizer_checksum(opt)) == 64
    stored = loaded["seal"]["optimizer_sha256"]
    for change in ("tensor", "lr"):
        bad = load_checkpoint(good)
        if change == "tensor":
            bad["optimizer_states"][0]["state"][0]["exp_avg_sq"][1] = -4.0  # a sign bit flipped
        else:
            bad["optimizer_states"][0]["param_groups"][0]["lr"] = 0.01
        path = tmp_path / f"{change}.ckpt"
        torch.save(bad, path)
        now = optimizer_checksum(bad["optimizer_states"])
        with pytest.raises(CheckpointError) as exc:
            load_checkpoint(path)
        assert str(exc.value) == (
            f"checkpoint {path} is corrupted: its optimizer state (needed to resume training) does not match the "
            f"SHA-256 stored when it was written (now {now[:12]}..., stored {stored[:12]}...); use another checkpoint "
            "of the run or train again")
    gone = load_checkpoint(good)
    del gone["optimizer_states"]
    torch.save(gone, tmp_path / "gone.ckpt")
    with pytest.raises(CheckpointError, match="has an optimizer checksum but no optimizer_states"):
        load_checkpoint(tmp_path / "gone.ckpt")
    weights_only = add_checksum({"state_dict": {"w": torch.zeros(2)}, "seal": {}})
    assert "optimizer_sha256" not in weights_only["seal"]


def test_checkpoint_without_checksum_loads_unchecked(tmp_path):
    path = tmp_path / "old.ckpt"
    torch.save({"state_dict": {"w": torch.zeros(2)}, "seal": {"batches_seen": 1}}, path)
    assert load_checkpoint(path)["state_dict"]["w"].tolist() == [0.0, 0.0]


@pytest.mark.parametrize("command", ["test", "fit"])
def test_seal_test_and_fit_with_a_damaged_ckpt_path_exit_2_with_one_line(tmp_path, good_ckpt, command, capsys, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["seal"])
    for name, (path, reason) in _bad_checkpoints(tmp_path, good_ckpt).items():
        with pytest.raises(SystemExit) as exc:
            main([command, "--config", GENBASE_CE, "--trainer.default_root_dir", str(tmp_path / "out"),
                  "--ckpt_path", str(path)])
        assert exc.value.code == 2, name
        err = capsys.readouterr().err
        assert err.strip().splitlines()[-1] == f"seal: error: checkpoint {path} {reason}", name
        assert "Traceback" not in err and "weights_only" not in err, name
    assert not (tmp_path / "out").exists()


# ------------------------------------------------------------------------------------- Ctrl-C in seal fit
@pytest.fixture(scope="module")
def reference(tmp_path_factory, data_dir):
    """An uninterrupted 2-epoch genbase cross-entropy fit (seed 0): its metrics.json."""
    d = tmp_path_factory.mktemp("reference")
    r = subprocess.run(
        [sys.executable, "-m", "seal.cli.main", "fit", "--config", GENBASE_CE, "--seed_everything", "0",
         "--trainer.default_root_dir", str(d), "--metrics_file", str(d / "metrics.json"),
         "--trainer.max_epochs=2", "--trainer.enable_progress_bar=false"],
        capture_output=True, text=True, timeout=600, env=_env(d),
    )
    assert r.returncode == 0, r.stderr[-3000:]
    return json.loads((d / "metrics.json").read_text())


def _same_result(got: dict, ref: dict) -> None:
    assert got["metrics"]["test"] == ref["metrics"]["test"]
    assert got["metrics"]["val"] == ref["metrics"]["val"]
    assert got["val_history"] == ref["val_history"]
    assert got["batches_seen"] == ref["batches_seen"] == 2 * 13  # 398 training rows / 32 per batch
    assert (got["epochs"], got["best_epoch"]) == (ref["epochs"], ref["best_epoch"])


def test_ctrl_c_in_fit_keeps_last_ckpt_prints_the_resume_command_and_resumes_exactly(tmp_path, reference):
    (tmp_path / "seal_test_callbacks.py").write_text(CALLBACKS)
    slow = tmp_path / "slow.yaml"
    slow.write_text(yaml.safe_dump({"trainer": {"callbacks": [{
        "class_path": "seal_test_callbacks.SlowFrom",
        "init_args": {"epoch": 1, "seconds": 0.2, "flag": str(tmp_path / "fast"),
                      "started": str(tmp_path / "in_epoch_1")}}]}}))
    run_dir, metrics = tmp_path / "run", tmp_path / "metrics.json"
    args = ["--config", GENBASE_CE, "--config", str(slow), "--seed_everything", "0",
            "--trainer.default_root_dir", str(run_dir), "--metrics_file", str(metrics),
            "--trainer.max_epochs=2", "--trainer.enable_progress_bar=false"]
    proc = subprocess.Popen([sys.executable, "-m", "seal.cli.main", "fit", *args], cwd=tmp_path, env=_env(tmp_path),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    last = run_dir / "lightning_logs" / "version_0" / "checkpoints" / "last.ckpt"
    try:
        _wait_for(last.is_file, what="last.ckpt of epoch 0")
        # interrupt inside epoch 1 (a SIGINT right after last.ckpt appears can still land in epoch 0's end on a
        # loaded machine, which is a valid interruption but not the one this test checks)
        _wait_for((tmp_path / "in_epoch_1").is_file, what="the first slowed batch of epoch 1")
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 130, err[-3000:]
    assert "Traceback" not in err
    line = err.strip().splitlines()[-1]
    m = re.fullmatch(r"seal fit: interrupted in epoch 1 after (\d+) of its batches \((\d+) batches in all\); (.*)", line)
    assert m, line
    assert 13 + int(m.group(1)) == int(m.group(2))
    command = f"seal fit {shlex.join([*args, '--ckpt_path', str(last)])}"
    assert m.group(3) == f"{last} (saved at the end of epoch 0, 13 batches) resumes it exactly: {command}"
    assert not metrics.exists()
    saved = load_checkpoint(last)
    assert saved["epoch"] == 0
    before = saved["seal"]["train_seconds"]  # the first attempt's fit seconds up to that save
    assert before > 0 and len(saved["seal"]["epoch_times"]) == 1
    assert not [p for p in last.parent.iterdir() if p.name.endswith(".tmp")]

    (tmp_path / "fast").touch()
    argv = shlex.split(command)
    assert argv[:2] == ["seal", "fit"]
    r = subprocess.run([sys.executable, "-m", "seal.cli.main", *argv[1:]], cwd=tmp_path, env=_env(tmp_path),
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    got = json.loads(metrics.read_text())
    _same_result(got, reference)
    # the resumed run's timings cover the whole run: the first attempt's seconds are added to this attempt's
    # (the two clocks start a few milliseconds apart: the module's at on_fit_start, the CLI's before fit)
    timings = got["timings"]
    assert 0 < timings["train_s_attempt"] < timings["train_s"]
    assert timings["train_s"] - timings["train_s_attempt"] == pytest.approx(before, abs=0.5)


# ------------------------------------------------------------------------------------- seal experiment
def _grid(tmp_path: Path, command=None, **extra) -> Path:
    cfg = tmp_path / "configs" / "genbase" / "cross-entropy.yaml"
    cfg.parent.mkdir(parents=True, exist_ok=True)
    cfg.write_text(Path(GENBASE_CE).read_text())
    grid = {"datasets": ["genbase"], "methods": ["cross-entropy"], "seeds": [0], "config_dir": "configs",
            "overrides": ["--trainer.max_epochs=2", "--trainer.enable_progress_bar=false"], **extra}
    if command is not None:
        grid["command"] = command
    path = tmp_path / "grid.yaml"
    path.write_text(yaml.safe_dump(grid))
    return path


def _experiment(tmp_path: Path, grid: Path, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "seal.cli.main", "experiment", str(grid)], cwd=tmp_path,
                            env=_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)


def test_experiment_resumes_an_interrupted_run_exactly(tmp_path, reference):
    (tmp_path / "seal_test_callbacks.py").write_text(CALLBACKS)
    (tmp_path / "interrupt.yaml").write_text(yaml.safe_dump({"trainer": {"callbacks": [{
        "class_path": "seal_test_callbacks.InterruptParentAt",
        "init_args": {"epoch": 1, "batch": 4, "flag": str(tmp_path / "interrupted")}}]}}))
    grid = _grid(tmp_path)
    data = yaml.safe_load(grid.read_text())
    data["overrides"] += ["--config", "interrupt.yaml"]
    grid.write_text(yaml.safe_dump(data))
    first = _experiment(tmp_path, grid)
    out, _ = first.communicate(timeout=600)
    assert first.returncode == 130, out
    assert ("interrupted: 1 run(s) in progress were stopped and not recorded; rerun the same command to resume "
            "them from their last checkpoints") in out
    run_dir = tmp_path / "runs" / "genbase" / "cross-entropy" / "seed0"
    last = run_dir / "lightning_logs" / "version_0" / "checkpoints" / "last.ckpt"
    assert load_checkpoint(last)["epoch"] == 0
    assert runner.read_run_state(run_dir)["status"] == "interrupted"
    log = (run_dir / "log.txt").read_text()
    assert "seal fit: interrupted in epoch 1 after 4 of its batches (17 batches in all)" in log
    assert (run_dir / ".seal-run.lock").read_bytes() == b""  # released cleanly
    assert not (tmp_path / "results" / "runs.jsonl").exists()

    second = _experiment(tmp_path, grid)
    out, _ = second.communicate(timeout=600)
    assert second.returncode == 0, out
    rel = run_dir.relative_to(tmp_path)
    assert f"resume genbase/cross-entropy seed 0 (resumed 1x) from {rel / last.relative_to(run_dir)} -> {rel}" in out
    (record,) = [json.loads(x) for x in (tmp_path / "results" / "runs.jsonl").read_text().splitlines()]
    assert record["resumed"] == 1
    assert record["command"][-2:] == ["--ckpt_path", str(rel / last.relative_to(run_dir))]
    _same_result(record, reference)
    assert runner.read_run_state(run_dir)["status"] == "done"


SLOW_FIT = "import os, sys, time\nopen(sys.argv[1], 'w').write(str(os.getpid()))\ntime.sleep(120)\n"


def test_trainer_dies_with_a_killed_runner_and_the_stale_lock_is_reported(tmp_path):
    (tmp_path / "slow_fit.py").write_text(SLOW_FIT)
    pidfile = tmp_path / "trainer.pid"
    grid = _grid(tmp_path, command=[sys.executable, "slow_fit.py", str(pidfile)])
    exp = _experiment(tmp_path, grid)
    try:
        _wait_for(lambda: pidfile.is_file() and pidfile.read_text(), 60, "the trainer to start")
        trainer = int(pidfile.read_text())
        assert os.getpgid(trainer) == trainer  # its own process group
        run_dir = tmp_path / "runs" / "genbase" / "cross-entropy" / "seed0"
        holder = json.loads((run_dir / ".seal-run.lock").read_text())
        assert (holder["runner_pid"], holder["trainer_pid"]) == (exp.pid, trainer)
        exp.kill()  # SIGKILL: no chance to clean up
        exp.communicate(timeout=30)
        _wait_for(lambda: _gone(trainer), 30, "the trainer to die with its runner")
    finally:
        exp.kill()
    # the next grid finds the lock file still naming the dead runner: reported, taken over, run again
    pidfile.unlink()
    (tmp_path / "slow_fit.py").write_text("import sys; sys.exit(5)\n")
    r = subprocess.run([sys.executable, "-m", "seal.cli.main", "experiment", str(grid)], cwd=tmp_path,
                       env=_env(tmp_path), capture_output=True, text=True, timeout=120)
    assert r.returncode == 1
    assert (f"[1/1] note: stale lock {run_dir.relative_to(tmp_path) / '.seal-run.lock'}: it was left by seal experiment pid {exp.pid} "
            f"(trainer pid {trainer}, started {holder['started_at']}, host {holder['host']}), which is gone; "
            "taking the run over") in r.stdout
    assert "FAILED genbase/cross-entropy seed 0 after" in r.stdout and "exit code 5" in r.stdout
    assert runner.read_run_state(run_dir)["status"] == "failed"


def test_no_second_trainer_while_an_orphaned_one_lives(tmp_path, capsys, monkeypatch):
    (tmp_path / "never.py").write_text("open('started', 'w').close()\n")
    grid = _grid(tmp_path, command=[sys.executable, "never.py"])
    run_dir = tmp_path / "runs" / "genbase" / "cross-entropy" / "seed0"
    run_dir.mkdir(parents=True)
    orphan = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        holder = {"runner_pid": 999999999, "runner_start": 1, "trainer_pid": orphan.pid,
                  "trainer_start": runner._process_start(orphan.pid), "host": runner.socket.gethostname(),
                  "started_at": "2026-01-01T00:00:00+00:00"}
        (run_dir / ".seal-run.lock").write_text(json.dumps(holder) + "\n")
        monkeypatch.chdir(tmp_path)
        assert main(["experiment", str(grid)]) == 1
        out = capsys.readouterr().out
        assert (f"[1/1] note: {run_dir.relative_to(tmp_path) / '.seal-run.lock'} names seal experiment pid 999999999 "
                f"(trainer pid {orphan.pid}, started 2026-01-01T00:00:00+00:00, host {holder['host']}), whose trainer "
                "is still running; not starting a second trainer in that directory") in out
        assert "summary: 0 ok, 0 failed, 0 skipped, 1 running in another process" in out
        assert not (tmp_path / "started").exists()
        assert json.loads((run_dir / ".seal-run.lock").read_text()) == holder  # left for its owner
    finally:
        orphan.kill()
        orphan.wait()
    # once it is gone (pid reuse is caught by the start time too), the lock is stale
    assert runner.stale_holder_status(holder)[0] == "stale"
    assert runner.stale_holder_status({**holder, "trainer_pid": os.getpid(), "trainer_start": 1})[0] == "stale"


def test_resume_point_resumes_only_interrupted_runs_with_the_same_command(tmp_path, good_ckpt):
    run_dir = tmp_path / "run"
    last = run_dir / "lightning_logs" / "version_1" / "checkpoints" / "last.ckpt"
    last.parent.mkdir(parents=True)
    argv = ["python", "-m", "seal.cli.main", "fit", "--config", "c.yaml"]
    assert runner.resume_point(run_dir, argv) == (None, 0, "")
    last.write_bytes(good_ckpt.read_bytes())
    runner._write_run_state(run_dir, status="running", argv=argv, resumed=2)
    assert runner.resume_point(run_dir, argv) == (last, 3, f"resuming from {last}")
    assert runner.resume_point(run_dir, [*argv, "--x=1"]) == (
        None, 0, "the command differs from the interrupted attempt's; starting from scratch")
    runner._write_run_state(run_dir, status="failed")
    assert runner.resume_point(run_dir, argv) == (None, 0, "the previous attempt failed; starting from scratch")
    runner._write_run_state(run_dir, status="interrupted")
    last.write_bytes(b"")
    assert runner.resume_point(run_dir, argv) == (
        None, 0, f"cannot resume: checkpoint {last} is empty (0 bytes): its write never finished; use another "
                 "checkpoint; starting from scratch")


def test_seal_fit_restores_ctrl_c_when_started_with_sigint_ignored_or_blocked():
    """A parent that ignores or blocks SIGINT (a script's `cmd &`, a job runner) passes that on across exec; `seal fit`
    and `seal experiment` restore Python's KeyboardInterrupt handler and unblock SIGINT at entry."""
    import signal as sig

    def ignore_and_block():  # runs in the child before exec
        sig.signal(sig.SIGINT, sig.SIG_IGN)
        sig.pthread_sigmask(sig.SIG_BLOCK, {sig.SIGINT})

    code = ("import signal, sys; from seal.cli import main as m; before = signal.getsignal(signal.SIGINT); "
            "sys.argv = ['seal', 'fit']; m._restore_ctrl_c(); "
            "print(before == signal.SIG_IGN, signal.getsignal(signal.SIGINT) is signal.default_int_handler, "
            "signal.SIGINT in signal.pthread_sigmask(signal.SIG_BLOCK, []))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         preexec_fn=ignore_and_block)
    assert out.stdout.split() == ["True", "True", "False"]


def test_resumed_checkpoint_state_is_respelled_to_this_runs_directory(tmp_path, monkeypatch):
    """A run started with a relative default_root_dir stores relative checkpoint paths; resumed with the directory
    spelled absolute, the best checkpoint's paths must be spelled the same way, or Lightning (which compares path
    strings) saves the next best as best-v1.ckpt and deletes best.ckpt (seen on GoEmotions seed 2, 2026-12-08)."""
    import torch

    from seal.cli.lightning import ResumableCheckpoint

    monkeypatch.chdir(tmp_path)
    absolute = tmp_path / "run" / "checkpoints"
    absolute.mkdir(parents=True)
    rel = os.path.join("run", "checkpoints")
    stored = {
        "monitor": "val/example_f1", "best_model_score": torch.tensor(0.4975), "dirpath": rel,
        "best_model_path": os.path.join(rel, "best.ckpt"), "kth_best_model_path": os.path.join(rel, "best.ckpt"),
        "kth_value": torch.tensor(0.4975), "last_model_path": "",
        "best_k_models": {os.path.join(rel, "best.ckpt"): torch.tensor(0.4975)},
    }
    cb = ResumableCheckpoint(dirpath=str(absolute), filename="best", monitor="val/example_f1", mode="max", save_top_k=1)
    cb.load_state_dict(dict(stored))
    best = str(absolute / "best.ckpt")
    assert (cb.dirpath, cb.best_model_path, cb.kth_best_model_path) == (str(absolute), best, best)
    assert list(cb.best_k_models) == [best] and float(cb.best_model_score) == pytest.approx(0.4975)
    assert cb.last_model_path == ""
    # a checkpoint of another directory is not taken over (resumed into a new run directory)
    other = ResumableCheckpoint(dirpath=str(tmp_path / "new"), filename="best", monitor="val/example_f1", mode="max")
    other.load_state_dict(dict(stored))
    assert other.best_model_path == "" and other.best_k_models == {}
