"""``seal experiment`` (grid runner) and ``seal report`` with a fake training command (no real training).

The fake command is a tiny Python script that writes what ``seal fit`` writes: ``metrics.json`` at
``--metrics_file`` and a resolved ``config.yaml`` under ``RUN_DIR/lightning_logs/version_0``; it fails
(exit 3) when its config says ``fail: true``.
"""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from seal.cli.experiment import main as experiment_main
from seal.cli.report import main as report_main
from seal.experiments.report import PAPER_EXAMPLE_F1, nce_goal_number, paper_number
from seal.experiments.runner import (
    COMMAND_ENV,
    append_result,
    load_grid,
    plan_runs,
    read_results,
    record_key,
    resolve_split_protocol,
)

FAKE_FIT = textwrap.dedent(
    """
    import json, pathlib, sys, yaml
    cfg, seed, run_dir, metrics_file = sys.argv[1:5]
    config = yaml.safe_load(open(cfg))
    if config.get("fail"):
        print("fake fit: boom", file=sys.stderr)
        sys.exit(3)
    seed = int(seed)
    resolved = dict(config, seed_everything=seed, extra_args=sys.argv[5:])
    d = pathlib.Path(run_dir) / "lightning_logs" / "version_0"
    d.mkdir(parents=True, exist_ok=True)
    (d / "config.yaml").write_text(yaml.safe_dump(resolved))
    f1 = 0.40 + 0.02 * seed
    hist = [{"epoch": e, "example_f1": f1 - 0.01 * (2 - e), "batches_seen": 10 * (e + 1)} for e in range(3)]
    json.dump({
        "metrics": {"test": {"example_f1": f1, "micro_f1": 0.5, "macro_f1": 0.3, "hamming_loss": 0.01, "map": 0.6},
                    "val": {"example_f1": f1 + 0.01}},
        "epochs": 3, "best_epoch": 2, "batches_seen": 30,
        "timings": {"train_s": 1.5, "epoch_s_mean": 0.5, "infer_examples_per_s": 1000.0},
        "val_history": hist, "best_checkpoint": "", "log_dir": str(d),
    }, open(metrics_file, "w"))
    print("fake fit done")
    """
)


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """A working directory with configs for bibtex/genbase x cross-entropy/seal-dynamic-nce and the fake command."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(COMMAND_ENV, raising=False)
    (tmp_path / "fake_fit.py").write_text(FAKE_FIT)
    for dataset in ("bibtex", "genbase"):
        for method in ("cross-entropy", "seal-dynamic-nce"):
            path = tmp_path / "configs" / dataset / f"{method}.yaml"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(yaml.safe_dump({"model": {"method": method}, "data": {"dataset": dataset, "protocol": "paper"}}))
    # a variant config for one cell only: the others fall back to the base config
    (tmp_path / "configs" / "bibtex" / "cross-entropy.cpu.yaml").write_text(
        yaml.safe_dump({"model": {"method": "cross-entropy", "hidden": 8}, "data": {"dataset": "bibtex", "protocol": "paper"}})
    )
    (tmp_path / "configs" / "bibtex" / "seal-dynamic-nce.cpu.yaml").write_text(
        yaml.safe_dump({"model": {"method": "seal-dynamic-nce"}, "data": {"dataset": "bibtex", "protocol": "paper"}})
    )
    return tmp_path


def _write_grid(path: Path, **extra) -> Path:
    grid = {
        "datasets": ["bibtex", "genbase"],
        "methods": ["cross-entropy", "seal-dynamic-nce"],
        "seeds": [0, 1],
        "variant": "cpu",
        "variant_optional": True,  # genbase has no .cpu.yaml configs: it runs the base ones
        "config_dir": "configs",
        "overrides": ["--trainer.max_epochs=3"],
        "per_run_overrides": {"bibtex/seal-dynamic-nce": ["--model.schedule.loss_net_steps=3"]},
        "threads": 1,
        "command": [sys.executable, "fake_fit.py", "{config}", "{seed}", "{run_dir}", "{metrics_file}"],
    }
    grid.update(extra)
    path.write_text(yaml.safe_dump(grid))
    return path


def _lines(path: Path) -> list[str]:
    return [ln for ln in path.read_text().splitlines() if ln.strip()]


def test_grid_runs_records_and_resumes(workdir, capsys):
    grid = _write_grid(workdir / "grid.yaml")
    results = workdir / "results" / "runs.jsonl"

    assert experiment_main([str(grid), "--jobs", "2"]) == 0
    out = capsys.readouterr().out
    assert "8 to run" in out and "summary: 8 ok, 0 failed" in out
    assert "test example-F1 40.00" in out and "test example-F1 42.00" in out
    lines = _lines(results)
    assert len(lines) == 8
    records = [json.loads(ln) for ln in lines]
    keys = {record_key(r) for r in records}
    assert len(keys) == 8
    rec = next(r for r in records if (r["dataset"], r["method"], r["seed"]) == ("bibtex", "seal-dynamic-nce", 1))
    assert rec["variant"] == "cpu" and rec["split_protocol"] == "paper"
    assert rec["metrics"]["test"]["example_f1"] == pytest.approx(0.42)
    assert rec["metrics"]["val"]["example_f1"] == pytest.approx(0.43)
    assert rec["epochs"] == 3 and rec["best_epoch"] == 2
    assert set(rec["timings"]) >= {"train_s", "epoch_s_mean", "infer_examples_per_s"}
    assert len(rec["val_history"]) == 3
    assert set(rec["env"]) >= {"torch", "threads", "device", "git_commit", "hostname", "python"}
    assert rec["env"]["threads"] == 1 and rec["env"]["device"] == "cpu"
    assert rec["finished_at"] and rec["command"][-2:] == ["--trainer.max_epochs=3", "--model.schedule.loss_net_steps=3"]
    # the resolved config is the one the run wrote under RUN_DIR
    assert rec["config"]["seed_everything"] == 1
    assert rec["config"]["extra_args"] == ["--trainer.max_epochs=3", "--model.schedule.loss_net_steps=3"]
    assert Path(rec["run_dir"]) == Path("runs/bibtex/seal-dynamic-nce.cpu/seed1")
    assert (workdir / rec["run_dir"] / "log.txt").read_text().count("fake fit done") == 1
    # variant config used where present, base config elsewhere
    by = {(r["dataset"], r["method"], r["seed"]): r for r in records}
    assert by[("bibtex", "cross-entropy", 0)]["config_file"].endswith("cross-entropy.cpu.yaml")
    assert by[("genbase", "cross-entropy", 0)]["config_file"].endswith("genbase/cross-entropy.yaml")

    # rerun: everything is skipped, nothing appended
    before = results.read_bytes()
    assert experiment_main([str(grid)]) == 0
    out = capsys.readouterr().out
    assert "8 already in" in out and "0 to run" in out
    assert results.read_bytes() == before

    # delete one line: exactly that run reruns
    kept = [ln for ln in lines if not ('"genbase"' in ln and '"cross-entropy"' in ln and '"seed": 1' in ln)]
    assert len(kept) == 7
    results.write_text("\n".join(kept) + "\n")
    assert experiment_main([str(grid), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert out.count("  skip  ") == 7 and out.count("  run   ") == 1 and "genbase/cross-entropy seed 1" in out
    assert experiment_main([str(grid)]) == 0
    out = capsys.readouterr().out
    assert "1 to run" in out and "summary: 1 ok" in out
    new = _lines(results)
    assert len(new) == 8 and new[:7] == kept
    assert (json.loads(new[-1])["dataset"], json.loads(new[-1])["method"], json.loads(new[-1])["seed"]) == (
        "genbase", "cross-entropy", 1,
    )


def test_failed_run_not_recorded_and_exit_nonzero(workdir, capsys):
    cfg = workdir / "configs" / "genbase" / "seal-dynamic-nce.yaml"
    cfg.write_text(yaml.safe_dump({"model": {"method": "seal-dynamic-nce"}, "data": {"dataset": "genbase"}, "fail": True}))
    grid = _write_grid(workdir / "grid.yaml", seeds=[0])
    results = workdir / "results" / "runs.jsonl"

    assert experiment_main([str(grid)]) == 1
    out = capsys.readouterr().out
    assert "FAILED genbase/seal-dynamic-nce seed 0" in out and "exit code 3" in out
    assert "fake fit: boom" in out  # last lines of the log are shown
    records = read_results(results).records
    assert len(records) == 3
    assert ("genbase", "seal-dynamic-nce") not in {(r["dataset"], r["method"]) for r in records}

    # the failed run is retried on the next invocation, the others are skipped
    assert experiment_main([str(grid), "--dry-run"]) == 0
    assert capsys.readouterr().out.count("  run   ") == 1


def test_run_exiting_zero_without_metrics_is_a_failure(workdir, capsys, monkeypatch):
    monkeypatch.setenv(COMMAND_ENV, f"{sys.executable} -c 'print(\"no metrics\")'")
    grid = _write_grid(workdir / "grid.yaml", datasets=["bibtex"], methods=["cross-entropy"], seeds=[0])
    assert experiment_main([str(grid)]) == 1
    assert "wrote no" in capsys.readouterr().out
    assert not (workdir / "results" / "runs.jsonl").exists()


def test_truncated_trailing_line_is_skipped_and_does_not_block_appending(workdir, capsys):
    grid = _write_grid(workdir / "grid.yaml", datasets=["bibtex"], methods=["cross-entropy"], seeds=[0, 1])
    results = workdir / "results" / "runs.jsonl"
    assert experiment_main([str(grid)]) == 0
    capsys.readouterr()
    half = '{"dataset": "bibtex", "method": "cross-ent'
    with open(results, "a") as fh:  # a crash in the middle of a write
        fh.write(half)
    before = results.read_bytes()
    parsed = read_results(results)
    assert len(parsed.records) == 2 and len(parsed.problems) == 1 and "truncated trailing line" in parsed.problems[0]

    _write_grid(grid, datasets=["bibtex"], methods=["cross-entropy"], seeds=[0, 1, 2])
    assert experiment_main([str(grid)]) == 0
    out = capsys.readouterr().out
    assert "warning:" in out and "truncated trailing line" in out
    assert "1 to run" in out
    data = results.read_bytes()
    assert data.startswith(before)  # never rewritten or truncated
    parsed = read_results(results)
    assert [r["seed"] for r in parsed.records] == [0, 1, 2]
    assert len(parsed.problems) == 1  # the half line stays, on its own line, skipped


def test_append_result_is_one_line_per_record(tmp_path):
    path = tmp_path / "r" / "runs.jsonl"
    append_result(path, {"dataset": "a", "x": float("nan")})
    append_result(path, {"dataset": "b"})
    lines = path.read_text().splitlines()
    assert [json.loads(ln)["dataset"] for ln in lines] == ["a", "b"]
    assert json.loads(lines[0])["x"] is None  # strict JSON


def test_grid_validation_and_plan(workdir):
    bad = workdir / "bad.yaml"
    bad.write_text("datasets: [bibtex]\nmethods: [cross-entropy]\nseeds: [0]\nthreds: 2\n")
    with pytest.raises(ValueError, match="unknown key"):
        load_grid(bad)
    assert experiment_main([str(bad)]) == 2
    grid = load_grid(_write_grid(workdir / "grid.yaml", overrides=["--data.protocol", "official"]))
    specs = plan_runs(grid, "runs")
    assert len(specs) == 8
    assert {s.split_protocol for s in specs} == {"official"}  # an override beats the config
    assert specs[0].run_dir == Path("runs/bibtex/cross-entropy.cpu/seed0")
    assert resolve_split_protocol("bibtex", "official") == "official"
    assert resolve_split_protocol("no-such-dataset-xyz", None) == "default"


def test_grid_names_its_own_results_file_and_runs_dir(workdir, capsys):
    grid = _write_grid(workdir / "grid.yaml", datasets=["genbase"], methods=["cross-entropy"], seeds=[0],
                       results="results/tmp/smoke.jsonl", runs_dir="runs/smoke")
    assert experiment_main([str(grid)]) == 0
    assert len(_lines(workdir / "results" / "tmp" / "smoke.jsonl")) == 1
    assert not (workdir / "results" / "runs.jsonl").exists()
    assert (workdir / "runs" / "smoke" / "genbase" / "cross-entropy" / "seed0" / "log.txt").is_file()
    # the command line wins over the grid's defaults
    assert experiment_main([str(grid), "--results", "other.jsonl", "--runs-dir", "elsewhere"]) == 0
    assert len(_lines(workdir / "other.jsonl")) == 1 and (workdir / "elsewhere" / "genbase").is_dir()
    bad = _write_grid(workdir / "bad.yaml", results=["a.jsonl"])
    assert experiment_main([str(bad)]) == 2
    assert "'results' must be a non-empty path, got ['a.jsonl']" in capsys.readouterr().err


def test_missing_config_is_reported(workdir, capsys):
    grid = _write_grid(workdir / "grid.yaml", datasets=["bibtex"], methods=["no-such-method"], seeds=[0])
    assert experiment_main([str(grid)]) == 1
    assert "MISSING CONFIG bibtex/no-such-method" in capsys.readouterr().out


# ------------------------------------------------------------------------------------------- report


def _record(dataset, method, seed, f1, variant=None, protocol="paper", val=None, **test):
    return {
        "dataset": dataset,
        "split_protocol": protocol,
        "method": method,
        "variant": variant,
        "seed": seed,
        "metrics": {"test": {"example_f1": f1, "micro_f1": 0.5, "macro_f1": 0.25, "map": 0.6, "hamming_loss": 0.0125, **test},
                    "val": {"example_f1": f1 if val is None else val}},
        "epochs": 10,
        "best_epoch": 7,
        "timings": {"train_s": 12.0, "epoch_s_mean": 1.2, "infer_examples_per_s": 50000.0},
        "val_history": [{"epoch": e, "example_f1": f1 * (e + 1) / 10} for e in range(10)],
        "env": {"torch": "2.13.0", "threads": 1, "device": "cpu", "git_commit": "abc123", "hostname": "h", "python": "3.11"},
        "finished_at": "2026-01-01T00:00:00+00:00",
        "command": ["seal", "fit"],
    }


def _write_records(path: Path, records: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records))


def _report_text(tmp_path: Path, records: list[dict]) -> str:
    """Write ``records`` as a results file, run ``seal report`` on it (no plots) and return the page."""
    results, out = tmp_path / "runs.jsonl", tmp_path / "results.md"
    _write_records(results, records)
    assert report_main(["--results", str(results), "--out", str(out), "--no-plots"]) == 0
    return out.read_text()


def test_report_table_values(tmp_path, capsys):
    results = tmp_path / "runs.jsonl"
    recs = [_record("bibtex", "cross-entropy", s, f1) for s, f1 in zip((0, 1, 2), (0.40, 0.42, 0.44))]
    recs += [_record("bibtex", "seal-dynamic-nce", s, f1, variant="cpu") for s, f1 in zip((0, 1, 2), (0.43, 0.44, 0.45))]
    recs += [_record("genbase", "cross-entropy", 0, 0.97)]
    recs += [_record("yeast", "cross-entropy", 0, 0.60, protocol="official")]
    for r in recs[:3]:  # the three cross-entropy runs ran side by side for 10 s, with SEAL seed 0 (20 s) around them
        r["timings"]["wall_s"] = 10.0
    recs[3]["timings"]["wall_s"] = 20.0
    _write_records(results, recs)
    out = tmp_path / "docs" / "results.md"
    argv = ["--results", str(results), "--out", str(out), "--no-plots"]
    assert report_main(argv) == 0
    text = out.read_text()
    assert f"seal report --results {results} --out {out} --no-plots" in text
    assert "sample** standard deviation (ddof=1)" in text
    assert "SECONDARY source" in text and "iterative-stratified 10 folds" in text and "empty prediction scoring 1.0" in text
    assert "Variants here: `cpu`: CPU-sized: fewer loss-net steps S" in text and "`cpu-t`" not in text
    assert "**s / epoch**: wall-clock seconds of one training epoch including its validation pass" in text
    row = next(ln for ln in text.splitlines() if ln.startswith("| bibtex | paper | cross-entropy |"))
    assert "42.00 ± 2.00 (n=3)" in row and "| 42.40 |" in row and "−0.40" in row
    nce = next(ln for ln in text.splitlines() if ln.startswith("| bibtex | paper | seal-dynamic-nce (cpu) |"))
    assert "44.00 ± 1.00 (n=3)" in nce and "44.76" in nce
    gen = next(ln for ln in text.splitlines() if ln.startswith("| genbase | paper | cross-entropy |"))
    assert "97.00 (n=1)" in gen and "47.37 ⚠" in gen
    assert "## Extra MLC datasets" in text and "| yeast | official | cross-entropy |" in text
    # the other-metrics table: means x100 and timings
    other = [ln for ln in text.splitlines() if ln.startswith("| bibtex | paper | cross-entropy | 3 |")]
    # runs at once: each CE run overlaps the other two and SEAL seed 0 -> 4.0; SEAL seed 0: (20 + 3 x 10) / 20 = 2.5
    assert other and "| 50.00 | 25.00 | 60.00 | 1.250 | 10.0 | 7.0 | 1.20 | 4.0 | 12.0 | 50,000 |" in other[0]
    nce_other = next(ln for ln in text.splitlines() if ln.startswith("| bibtex | paper | seal-dynamic-nce (cpu) | 3 |"))
    assert "| 1.20 | 2.5 | 12.0 |" in nce_other  # seeds 1-2 have no wall time: the mean of the one known
    assert "**runs at once** is the time-averaged number of recorded runs on the same host" in text
    # no verdict line because CE and SEAL rows have different variants; ours have separate cells
    assert text.index("## Feature-based MLC") < text.index("## Extra MLC datasets")
    assert paper_number("cross-entropy", "bibtex") == (42.40, False)
    assert paper_number("seal-dynamic-nce", "eurlex_ev") == (41.62, True)
    assert paper_number("seal-dynamic-ranking", "bibtex") == (None, False)
    assert len(PAPER_EXAMPLE_F1) == 11


def test_report_verdict_line(tmp_path):
    recs = [_record("bibtex", "cross-entropy", s, 0.42, variant="cpu") for s in (0, 1)]
    recs += [_record("bibtex", "seal-dynamic-nce", s, 0.43, variant="cpu") for s in (0, 1)]
    text = _report_text(tmp_path, recs)
    line = next(ln for ln in text.splitlines() if ln.startswith("- **bibtex** (SEAL cpu variant"))
    assert "**beats**" in line and "Δ +1.00" in line and "paper (secondary): Δ +2.36" in line


def test_report_missing_or_empty_results(tmp_path, capsys):
    out = tmp_path / "results.md"
    assert report_main(["--results", str(tmp_path / "none.jsonl"), "--out", str(out)]) == 2
    assert "no results file" in capsys.readouterr().err
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    assert report_main(["--results", str(empty), "--out", str(out)]) == 2
    assert "no result records" in capsys.readouterr().err
    assert not out.exists()


def test_report_plots(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    results = tmp_path / "runs.jsonl"
    recs = [_record("bibtex", "cross-entropy", s, 0.42, variant="cpu") for s in (0, 1)]
    recs += [_record("bibtex", "seal-dynamic-nce", s, 0.43, variant="cpu") for s in (0, 1)]
    _write_records(results, recs)
    with open(results, "a") as fh:
        fh.write('{"dataset": "bib')  # truncated trailing line: skipped with a warning
    out = tmp_path / "docs" / "results.md"
    figs = tmp_path / "docs" / "figures"
    assert report_main(["--results", str(results), "--out", str(out), "--figures-dir", str(figs)]) == 0
    assert "truncated trailing line" in capsys.readouterr().err
    default = figs / "val_f1_bibtex_first_seed.png"
    assert default.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "](figures/val_f1_bibtex_first_seed.png)" in out.read_text()
    # one default figure per dataset family: genbase (same family as bibtex) gets none; yeast (extra MLC,
    # cross-entropy only) gets none; a second extra-MLC dataset with two methods gets one
    recs += [_record("genbase", m, 0, 0.9) for m in ("cross-entropy", "seal-dynamic-nce")]
    recs += [_record("yeast", "cross-entropy", 0, 0.6, protocol="official")]
    recs += [_record("scene", m, 0, 0.7, protocol="official") for m in ("cross-entropy", "seal-dynamic-nce")]
    _write_records(results, recs)
    assert report_main(["--results", str(results), "--out", str(out), "--figures-dir", str(figs)]) == 0
    assert sorted(p.name for p in figs.glob("*first_seed.png")) == ["val_f1_bibtex_first_seed.png", "val_f1_scene_first_seed.png"]
    argv = ["--results", str(results), "--out", str(out), "--figures-dir", str(figs), "--plot", "bibtex/seal-dynamic-nce/cpu/1"]
    assert report_main(argv) == 0
    assert (figs / "val_f1_bibtex_seal-dynamic-nce_cpu_1.png").is_file()
    assert "](figures/val_f1_bibtex_seal-dynamic-nce_cpu_1.png)" in out.read_text()
    assert report_main([*argv[:-1], "nope/none"]) == 2


def test_sigterm_stops_runs_in_progress(workdir):
    import os
    import signal
    import subprocess
    import time

    (workdir / "slow_fit.py").write_text(
        "import os, sys, time\nopen(sys.argv[1] + '.pid', 'w').write(str(os.getpid()))\ntime.sleep(60)\n"
    )
    grid = _write_grid(workdir / "grid.yaml", datasets=["bibtex"], methods=["cross-entropy"], seeds=[0],
                       command=[sys.executable, "slow_fit.py", "{metrics_file}"])
    proc = subprocess.Popen([sys.executable, "-m", "seal.cli.main", "experiment", str(grid)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    pidfile = workdir / "runs" / "bibtex" / "cross-entropy.cpu" / "seed0" / "metrics.json.pid"
    deadline = time.time() + 15
    while not (pidfile.is_file() and pidfile.read_text()) and time.time() < deadline:
        time.sleep(0.05)
    child = int(pidfile.read_text())
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=60)  # generous: a loaded CI machine is slow to start Python
    assert proc.returncode == 130, out
    assert "interrupted" in out
    time.sleep(0.2)
    with pytest.raises(ProcessLookupError):
        os.kill(child, 0)  # the run was terminated (and reaped) by the runner
    assert not (workdir / "results" / "runs.jsonl").exists()


def test_report_verdict_compares_cpu_variant_with_base_cross_entropy(tmp_path):
    recs = [_record("genbase", "cross-entropy", s, f1) for s, f1 in ((0, 0.97), (1, 0.98))]
    recs += [_record("genbase", "seal-dynamic-nce", s, f1, variant="cpu") for s, f1 in ((0, 0.95), (1, 0.96))]
    text = _report_text(tmp_path, recs)
    line = next(ln for ln in text.splitlines() if ln.startswith("- **genbase** (SEAL cpu variant"))
    assert "does **not** beat" in line and "Δ −2.00" in line  # typographic minus
    tally = next(ln for ln in text.splitlines() if ln.startswith("- Tally"))
    # 95.50 < CE 97.50; paper (F.2) genbase SEAL-dynamic NCE 97.32: 95.50 < 96.32, not within 1 point
    assert tally == (
        "- Tally, SEAL-dynamic NCE (cpu): beats cross-entropy on 0 of 1 datasets run (none); "
        "within 1 point of the paper's number or above on 0 of 1 (none)."
    )


def test_report_energy_static_dynamic_ordering_table(tmp_path):
    recs = [_record("genbase", "spen-gbi", s, f1, variant="cpu") for s, f1 in ((0, 0.90), (1, 0.92))]
    recs += [_record("genbase", "seal-static-margin", s, f1, variant="cpu") for s, f1 in ((0, 0.95), (1, 0.95))]
    recs += [_record("genbase", "seal-dynamic-margin", s, f1, variant="cpu") for s, f1 in ((0, 0.97), (1, 0.98))]
    # a second SEAL-dynamic variant must not replace the one with the energy network's variant
    recs += [_record("genbase", "seal-dynamic-margin", 0, 0.10, variant="cpu-t")]
    recs += [_record("cal500", "dvn-gbi", 0, 0.40, variant="cpu"), _record("cal500", "seal-static-regression", 0, 0.38, variant="cpu")]
    # a dataset with its official split (FunCat) gets its column too
    recs += [_record("spo_fun", m, 0, f1, variant="cpu", protocol="official")
             for m, f1 in (("spen-gbi", 0.27), ("seal-static-margin", 0.28), ("seal-dynamic-margin", 0.29))]
    text = _report_text(tmp_path, recs)
    lines = text.splitlines()
    start = lines.index("**margin** (spen-gbi / seal-static-margin / seal-dynamic-margin)")
    assert lines[start + 2] == "| | genbase | spo_fun |"
    assert lines[start + 4] == "| Energy network (GBI): spen-gbi | 91.00 ± 1.41 (n=2) [cpu] / 32.13 | 27.00 (n=1) [cpu] / 27.95 |"
    assert lines[start + 5] == "| SEAL-static: seal-static-margin | 95.00 ± 0.00 (n=2) [cpu] / 57.45 | 28.00 (n=1) [cpu] / 28.15 |"
    assert lines[start + 6] == "| SEAL-dynamic: seal-dynamic-margin | 97.50 ± 0.71 (n=2) [cpu] / 96.53 | 29.00 (n=1) [cpu] / 28.43 |"
    assert lines[start + 7] == "| ordering holds (ours) | **yes** | **yes** |"
    assert lines[start + 8] == "| ordering holds (paper) | **yes** | **yes** |"
    start = lines.index("**regression** (dvn-gbi / seal-static-regression / seal-dynamic-regression)")
    assert lines[start + 2] == "| | cal500 |"
    assert lines[start + 6] == "| SEAL-dynamic: seal-dynamic-regression | — / 37.97 |"
    assert lines[start + 7] == "| ordering holds (ours) | — |"  # no SEAL-dynamic run: no verdict
    assert lines[start + 8] == "| ordering holds (paper) | no (static ≤ energy) |"  # F.2: DVN 47.74 > static 37.63
    assert "**NCE ranking**" not in text  # no run of that loss type: no table
    assert "best validation variant" not in text  # cpu-t has the lower validation score


def test_report_ordering_table_adds_the_best_validation_seal_dynamic_variant(tmp_path):
    recs = [_record("bibtex", "nce-gbi", 0, 0.13, variant="cpu"), _record("bibtex", "seal-static-nce", 0, 0.43, variant="cpu")]
    recs += [_record("bibtex", "seal-dynamic-nce", s, f1, variant="cpu", val=0.40) for s, f1 in ((0, 0.41), (1, 0.40))]
    # the cpu-t variant has the higher validation mean, so it gets the extra rows
    recs += [_record("bibtex", "seal-dynamic-nce", s, f1, variant="cpu-t", val=0.44) for s, f1 in ((0, 0.44), (1, 0.43))]
    recs += [_record("genbase", m, 0, f1, variant="cpu") for m, f1 in (("nce-gbi", 0.2), ("seal-static-nce", 0.97), ("seal-dynamic-nce", 0.98))]
    text = _report_text(tmp_path, recs)
    lines = text.splitlines()
    start = lines.index("**NCE ranking** (nce-gbi / seal-static-nce / seal-dynamic-nce)")
    assert lines[start + 2] == "| | bibtex | genbase |"
    assert lines[start + 6] == "| SEAL-dynamic: seal-dynamic-nce | 40.50 ± 0.71 (n=2) [cpu] / 44.76 | 98.00 (n=1) [cpu] / 97.32 |"
    assert lines[start + 7] == "| ordering holds (ours) | no (dynamic ≤ static) | **yes** |"
    assert lines[start + 9] == "| SEAL-dynamic, best validation variant: seal-dynamic-nce | 43.50 ± 0.71 (n=2) [cpu-t] | same |"
    assert lines[start + 10] == "| ordering holds (ours, that variant) | **yes** | same |"


def test_report_does_not_judge_the_ordering_with_a_variant_trained_on_other_data_or_network(tmp_path):
    recs = [_record("reuters21578", m, 0, f1, variant="cpu") for m, f1 in
            (("nce-gbi", 0.84), ("seal-static-nce", 0.85), ("seal-dynamic-nce", 0.86))]
    recs += [_record("reuters21578", "seal-dynamic-nce", 0, 0.90, variant="cpu-top1-w1", val=0.95)]
    recs[2]["config"] = {"data": {"max_length": 512, "cache_dir": "a"}, "model": {"trainable_layers": 0, "lr": 1e-3}}
    recs[3]["config"] = {"data": {"max_length": 128, "cache_dir": "b"},
                         "model": {"task_net": {"trainable_layers": 1}, "optimizer": {"lr": 1e-4}}}
    lines = _report_text(tmp_path, recs).splitlines()
    start = lines.index("**NCE ranking** (nce-gbi / seal-static-nce / seal-dynamic-nce)")
    assert lines[start + 7] == "| ordering holds (ours) | **yes** |"
    assert lines[start + 9] == "| SEAL-dynamic, best validation variant: seal-dynamic-nce | 90.00 (n=1) [cpu-top1-w1] |"
    # where the files are (cache_dir) and the optimizer are not compared; what is trained on and the network are
    assert lines[start + 10] == (
        "| ordering holds (ours, that variant) | not judged: trained otherwise than the [cpu] run above "
        "(data.max_length 128 vs 512; model.task_net.trainable_layers 1 vs 0) |"
    )


def test_report_marks_a_paper_ordering_verdict_that_rests_on_flagged_cells(tmp_path):
    # F.2, cal500 NCE: nce-gbi 33.89 < seal-static-nce 37.82 (flagged) < seal-dynamic-nce 41.62 (flagged)
    recs = [_record("cal500", m, 0, f1, variant="cpu") for m, f1 in
            (("nce-gbi", 0.30), ("seal-static-nce", 0.31), ("seal-dynamic-nce", 0.32))]
    lines = _report_text(tmp_path, recs).splitlines()
    start = lines.index("**NCE ranking** (nce-gbi / seal-static-nce / seal-dynamic-nce)")
    assert lines[start + 8] == "| ordering holds (paper) | **yes** ⚠ (uses a flagged cell) |"


def test_report_notes_seal_scores_equal_to_the_control_seed_by_seed(tmp_path):
    recs = [_record("genbase", "cross-entropy", s, 0.9869, variant="cpu-t") for s in (0, 1)]
    recs += [_record("genbase", "seal-dynamic-nce", s, 0.9869, variant="cpu-t") for s in (0, 1)]
    line = next(ln for ln in _report_text(tmp_path, recs).splitlines() if ln.startswith("- **genbase**"))
    assert "ties with cross-entropy 98.69 ± 0.00 (n=2) (cpu-t) (Δ +0.00), every seed's test score equal to the " \
           "control's of the same seed," in line
    recs[3]["metrics"]["test"]["example_f1"] = 0.9870  # one seed differs: no such note
    line = next(ln for ln in _report_text(tmp_path, recs).splitlines() if ln.startswith("- **genbase**"))
    assert "equal to the control's" not in line


def test_report_srl_goals_take_the_matched_control_of_a_seal_only_variant(tmp_path):
    def srl(method, f1, ucr, variant):
        return _record("up_english_ewt", method, 0, 0.0, variant=variant, protocol="official", labeled_f1=f1,
                       ucr_violation_rate=ucr)

    recs = [srl("cross-entropy", 0.45, 0.066, "cpu"), srl("crf", 0.52, 0.077, "cpu"),
            srl("seal-dynamic-nce", 0.48, 0.094, "cpu-ws01")]
    text = _report_text(tmp_path, recs)
    goal = next(ln for ln in text.splitlines() if ln.startswith("- **up_english_ewt** (seal-dynamic-nce (cpu-ws01))"))
    assert goal.endswith(
        "vs cross-entropy (cpu): F1 48.00 vs 45.00 (**higher**), UCR 9.40 % vs 6.60 % (not lower); "
        "vs crf (cpu): F1 48.00 vs 52.00 (not higher), UCR 9.40 % vs 7.70 % (not lower)"
    )
    assert "for SRL: a fresh 1-layer transformer top" in text  # the cpu legend covers SRL


def test_report_tally_of_seal_dynamic_nce_against_cross_entropy_and_paper(tmp_path):
    recs = [_record("bibtex", "cross-entropy", 0, 0.43), _record("genbase", "cross-entropy", 0, 0.97)]
    recs += [_record("bibtex", "seal-dynamic-nce", 0, 0.405, variant="cpu"), _record("genbase", "seal-dynamic-nce", 0, 0.98, variant="cpu")]
    recs += [_record("bibtex", "seal-dynamic-nce", 0, 0.435, variant="cpu-t")]
    text = _report_text(tmp_path, recs)
    tallies = [ln for ln in text.splitlines() if ln.startswith("- Tally")]
    # paper (F.2) SEAL-dynamic NCE: bibtex 44.76 (43.50 is 1.26 below), genbase 97.32 (98.00 is above)
    assert tallies == [
        "- Tally, SEAL-dynamic NCE (cpu): beats cross-entropy on 1 of 2 datasets run (genbase); "
        "within 1 point of the paper's number or above on 1 of 2 (genbase).",
        "- Tally, SEAL-dynamic NCE (cpu-t): beats cross-entropy on 1 of 1 datasets run (bibtex); "
        "within 1 point of the paper's number or above on 0 of 1 (none).",
        # cpu-t has the better validation score on bibtex; no CE cpu-t row, so the paper-config CE is the reference
        "- Tally, SEAL-dynamic NCE with the best-validation variant per dataset (bibtex cpu-t, genbase cpu): beats "
        "its cross-entropy reference (matched control where there is one) on 2 of 2 (bibtex, genbase); beats "
        "cross-entropy with the paper's config on 2 of 2 (bibtex, genbase); within 1 point of the paper's number or "
        "above on 1 of 2 (genbase).",
    ]


def test_report_compares_with_the_matched_cross_entropy_control_and_the_paper_config(tmp_path):
    recs = [_record("bibtex", "cross-entropy", 0, 0.43), _record("bibtex", "cross-entropy", 0, 0.44, variant="cpu-t")]
    recs += [_record("bibtex", "seal-dynamic-nce", 0, 0.435, variant="cpu-t")]
    recs += [_record("genbase", "cross-entropy", 0, 0.97), _record("genbase", "seal-dynamic-nce", 0, 0.98, variant="cpu-t")]
    text = _report_text(tmp_path, recs)
    line = next(ln for ln in text.splitlines() if ln.startswith("- **bibtex** (SEAL cpu-t variant"))
    assert line.endswith(
        "SEAL-dynamic NCE 43.50 (n=1) does **not** beat cross-entropy 44.00 (n=1) (cpu-t) (Δ −0.50); "
        "vs cross-entropy with the paper's config 43.00 (n=1) Δ +0.50; paper (secondary): Δ +2.36."
    )
    tally = next(ln for ln in text.splitlines() if ln.startswith("- Tally"))
    assert tally == (
        "- Tally, SEAL-dynamic NCE (cpu-t): beats cross-entropy on 1 of 2 datasets run (genbase) -- on bibtex "
        "against the cross-entropy run of the same variant (cpu-t); against cross-entropy with the paper's config it wins "
        "on 2 of 2 (bibtex, genbase); within 1 point of the paper's number or above on 1 of 2 (genbase)."
    )


def test_grid_restricted_to_seeds_datasets_methods(workdir, capsys):
    grid = _write_grid(workdir / "grid.yaml")
    results = workdir / "results" / "runs.jsonl"
    assert experiment_main([str(grid), "--seeds", "1", "--datasets", "genbase", "bibtex"]) == 0
    assert "4 runs planned, 0 already in" in capsys.readouterr().out
    keys = [(r["dataset"], r["method"], r["seed"]) for r in map(json.loads, _lines(results))]
    assert sorted(keys) == [("bibtex", "cross-entropy", 1), ("bibtex", "seal-dynamic-nce", 1),
                            ("genbase", "cross-entropy", 1), ("genbase", "seal-dynamic-nce", 1)]
    assert experiment_main([str(grid), "--methods", "cross-entropy"]) == 0
    assert "4 runs planned, 2 already in" in capsys.readouterr().out
    # the full grid afterwards runs only what is left (8 - 6)
    assert experiment_main([str(grid)]) == 0
    assert "8 runs planned, 6 already in" in capsys.readouterr().out
    assert len(_lines(results)) == 8


def test_grid_restricted_to_a_chained_method_keeps_its_parent(workdir, capsys):
    grid = _write_grid(workdir / "grid.yaml", after={"seal-dynamic-nce": {"from": "cross-entropy", "arg": "model.x"}})
    assert experiment_main([str(grid), "--dry-run", "--seeds", "0", "--datasets", "genbase", "--methods", "seal-dynamic-nce"]) == 0
    captured = capsys.readouterr()
    assert "cross-entropy added: seal-dynamic-nce starts from its checkpoints" in captured.err
    planned = [ln.split()[1] for ln in captured.out.splitlines() if ln.startswith("  run ")]
    assert planned == ["genbase/cross-entropy", "genbase/seal-dynamic-nce"]


@pytest.mark.parametrize(
    ("flag", "value", "msg"),
    [("--seeds", "7", "--seeds 7: not in the grid's seeds (0, 1)"),
     ("--datasets", "yeast", "--datasets yeast: not in the grid's datasets (bibtex, genbase)"),
     ("--methods", "spen-gbi", "--methods spen-gbi: not in the grid's methods (cross-entropy, seal-dynamic-nce)")],
)
def test_grid_restriction_outside_the_grid_is_rejected(workdir, capsys, flag, value, msg):
    grid = _write_grid(workdir / "grid.yaml")
    assert experiment_main([str(grid), flag, value]) == 2
    assert msg in capsys.readouterr().err
    assert not (workdir / "results" / "runs.jsonl").exists()


def test_runs_at_once_by_hand():
    from seal.experiments.report import runs_at_once

    def rec(end_s, wall, host="a"):
        end = f"2026-01-01T00:00:{end_s:02d}+00:00"
        return {"finished_at": end, "timings": {"wall_s": wall}, "env": {"hostname": host}}

    recs = [rec(10, 10), rec(10, 5), rec(20, 10), rec(10, 10, host="b"), {"finished_at": "2026-01-01T00:00:00+00:00"},
            rec(10, 0)]
    # run 0 [0, 10]: itself 10 + run 1 [5, 10] 5 + run 2 [10, 20] 0 -> 1.5; run 1: 5 + 5 -> 2.0; run 2: 10 / 10 -> 1.0;
    # run 3 is on another host -> 1.0; no wall time or a zero one -> None
    assert runs_at_once(recs) == [1.5, 2.0, 1.0, 1.0, None, None]


def test_report_goal_for_a_flagged_paper_cell_uses_the_regression_number(tmp_path):
    # F.2's cal500 SEAL-dynamic NCE cell (41.62) is flagged; issue 4 holds cal500 to SEAL-dynamic regression 37.97
    recs = [_record("cal500", "cross-entropy", 0, 0.37), _record("cal500", "seal-dynamic-nce", 0, 0.3700, variant="cpu")]
    text = _report_text(tmp_path, recs)
    tally = next(ln for ln in text.splitlines() if ln.startswith("- Tally"))
    # 37.00 >= 37.97 - 1 = 36.97: within 1 point; 37.00 vs CE 37.00 is a tie, not a win
    assert tally == (
        "- Tally, SEAL-dynamic NCE (cpu): beats cross-entropy on 0 of 1 datasets run (none); "
        "within 1 point of the paper's number or above on 1 of 1 (cal500) (cal500 against the paper's "
        "SEAL-dynamic regression 37.97, because F.2 flags its NCE cell 41.62 ⚠)."
    )
    assert nce_goal_number("cal500") == (37.97, "against the paper's SEAL-dynamic regression 37.97, because F.2 flags its NCE cell 41.62 ⚠")
    assert nce_goal_number("bibtex") == (44.76, None)
    assert nce_goal_number("weizmann_horse") == (None, None)


def test_report_compares_a_loss_net_only_variant_with_the_shared_control(tmp_path):
    # cpu-s3 differs from cpu-t only in loss-net steps: its control is cross-entropy cpu-t (CONTROL_VARIANT)
    recs = [_record("bibtex", "cross-entropy", 0, 0.43), _record("bibtex", "cross-entropy", 0, 0.44, variant="cpu-t")]
    recs += [_record("bibtex", "seal-dynamic-nce", 0, 0.45, variant="cpu-s3")]
    text = _report_text(tmp_path, recs)
    line = next(ln for ln in text.splitlines() if ln.startswith("- **bibtex** (SEAL cpu-s3 variant"))
    assert line.endswith(
        "SEAL-dynamic NCE 45.00 (n=1) **beats** cross-entropy 44.00 (n=1) (cpu-t) (Δ +1.00); "
        "vs cross-entropy with the paper's config 43.00 (n=1) Δ +2.00; paper (secondary): Δ +2.36."
    )
    tally = next(ln for ln in text.splitlines() if ln.startswith("- Tally"))
    # 45.00 >= 44.76 - 1: within 1 point of the paper
    assert tally == (
        "- Tally, SEAL-dynamic NCE (cpu-s3): beats cross-entropy on 1 of 1 datasets run (bibtex) -- on bibtex "
        "against its matched cross-entropy control (cpu-t); against cross-entropy with the paper's config it wins "
        "on 1 of 1 (bibtex); within 1 point of the paper's number or above on 1 of 1 (bibtex)."
    )


def test_report_prefers_a_cross_entropy_run_of_the_same_variant_over_the_shared_control(tmp_path):
    # CONTROL_VARIANT maps cpu-full to cpu-t (feature MLC); a dataset with its own cross-entropy cpu-full run is
    # compared with that run, not with cpu-t or cpu
    recs = [_record("genbase", "cross-entropy", 0, 0.90, variant="cpu-t"),
            _record("genbase", "cross-entropy", 0, 0.93, variant="cpu-full"),
            _record("genbase", "seal-dynamic-nce", 0, 0.95, variant="cpu-full")]
    text = _report_text(tmp_path, recs)
    line = next(ln for ln in text.splitlines() if ln.startswith("- **genbase** (SEAL cpu-full variant"))
    assert "SEAL-dynamic NCE 95.00 (n=1) **beats** cross-entropy 93.00 (n=1) (cpu-full) (Δ +2.00)" in line
    # the tally names the control it used (it said "its matched cross-entropy control (cpu-t)" before)
    recs.append(_record("bibtex", "cross-entropy", 0, 0.44, variant="cpu-t"))
    recs.append(_record("bibtex", "seal-dynamic-nce", 0, 0.45, variant="cpu-full"))
    tally = next(ln for ln in _report_text(tmp_path, recs).splitlines() if ln.startswith("- Tally"))
    assert tally.startswith(
        "- Tally, SEAL-dynamic NCE (cpu-full): beats cross-entropy on 2 of 2 datasets run (bibtex, genbase) -- on "
        "bibtex against its matched cross-entropy control (cpu-t); on genbase against the cross-entropy run of the "
        "same variant (cpu-full);"
    ), tally


def test_grid_skips_a_run_that_another_process_is_running(workdir, capsys):
    """A run whose directory lock is held elsewhere is not started twice; its chained child is not started."""
    import fcntl
    import os

    grid = _write_grid(workdir / "grid.yaml", datasets=["genbase"], seeds=[0],
                       after={"seal-dynamic-nce": {"from": "cross-entropy", "arg": "model.x"}})
    busy = next(s for s in plan_runs(load_grid(grid)) if s.method == "cross-entropy")
    busy.run_dir.mkdir(parents=True)
    fd = os.open(busy.run_dir / ".seal-run.lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)  # "another grid" is running genbase/cross-entropy seed 0
    try:
        assert experiment_main([str(grid)]) == 1
    finally:
        os.close(fd)
    out = capsys.readouterr().out
    assert "skip  genbase/cross-entropy seed 0: another process is running it now" in out
    assert ("FAILED genbase/seal-dynamic-nce seed 0: not started: the run it starts from "
            "(genbase/cross-entropy seed 0) is running in another process") in out
    assert "summary: 0 ok, 1 failed, 0 skipped, 1 running in another process" in out
    assert not (workdir / "results" / "runs.jsonl").exists()
    # once released, the run goes ahead (the fake fit writes no checkpoint, so its child is left out here)
    assert experiment_main([str(grid), "--methods", "cross-entropy"]) == 0
    assert len(_lines(workdir / "results" / "runs.jsonl")) == 1
    # and the grid released the lock when the run ended
    fd = os.open(busy.run_dir / ".seal-run.lock", os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # would raise if the grid had kept it
    os.close(fd)


def test_report_tally_of_the_best_validation_nce_variant_per_dataset(tmp_path):
    recs = [_record("bibtex", "cross-entropy", 0, 0.43), _record("bibtex", "cross-entropy", 0, 0.44, variant="cpu-t")]
    # cpu-s3 has the better validation score on bibtex (selected), although cpu-t is not worse on test here
    recs += [_record("bibtex", "seal-dynamic-nce", 0, 0.45, variant="cpu-t", val=0.44)]
    recs += [_record("bibtex", "seal-dynamic-nce", 0, 0.435, variant="cpu-s3", val=0.45)]
    recs += [_record("genbase", "cross-entropy", 0, 0.97), _record("genbase", "seal-dynamic-nce", 0, 0.98, variant="cpu")]
    text = _report_text(tmp_path, recs)
    line = next(ln for ln in text.splitlines() if ln.startswith("- Tally, SEAL-dynamic NCE with the best-validation"))
    # bibtex: cpu-s3 43.50 vs its control CE cpu-t 44.00 (loses), vs paper-config CE 43.00 (wins),
    # vs the paper's 44.76 - 1 = 43.76 (not within); genbase: 98.00 vs CE 97.00, paper 97.32
    assert line == (
        "- Tally, SEAL-dynamic NCE with the best-validation variant per dataset (bibtex cpu-s3, genbase cpu): "
        "beats its cross-entropy reference (matched control where there is one) on 1 of 2 (genbase); beats "
        "cross-entropy with the paper's config on 2 of 2 (bibtex, genbase); within 1 point of the paper's number "
        "or above on 1 of 2 (genbase)."
    )


def test_report_rates_below_ten_keep_two_significant_digits():
    from seal.experiments.report import _fmt_mean

    assert _fmt_mean([0.4, 0.6], digits=0, thousands=True) == "0.5"  # not "0" (a 36-crop GBI is that slow)
    assert _fmt_mean([0.75], digits=0, thousands=True) == "0.75"
    assert _fmt_mean([16.4], digits=0, thousands=True) == "16"
    assert _fmt_mean([12345.0], digits=0, thousands=True) == "12,345"
    assert _fmt_mean([0.0], digits=0) == "0"


# ------------------------------------------------------------------------------- overrides in a run's identity


def test_override_identity_leaves_out_cosmetic_options_and_the_chain_argument():
    from seal.experiments.runner import COSMETIC_OPTIONS, override_identity

    assert COSMETIC_OPTIONS == {"trainer.enable_progress_bar", "trainer.enable_model_summary", "trainer.log_every_n_steps"}
    assert override_identity(["--trainer.enable_progress_bar=false"]) == ()
    assert override_identity([]) == ()
    assert override_identity(
        ["--trainer.enable_progress_bar", "false", "--data.max_train_instances", "64", "--trainer.init_args.max_epochs=1",
         "--trainer.log_every_n_steps=5", "--no_test"]
    ) == ("--data.max_train_instances=64", "--trainer.max_epochs=1", "--no_test")  # fmt: skip
    # the checkpoint argument the runner appends to a chained run is not part of it
    assert override_identity(["--trainer.enable_progress_bar=false", "--model.task_checkpoint=/r/best.ckpt"],
                             "model.task_checkpoint") == ()
    assert override_identity(["--model.task_checkpoint=/r/best.ckpt"]) == ("--model.task_checkpoint=/r/best.ckpt",)


def test_a_run_recorded_with_other_overrides_refuses_the_grid(workdir, capsys):
    grid = _write_grid(workdir / "grid.yaml", overrides=["--trainer.max_epochs=3", "--data.max_train_instances=64"])
    results = workdir / "results" / "runs.jsonl"
    assert experiment_main([str(grid)]) == 0
    capsys.readouterr()
    before = results.read_bytes()
    assert len(_lines(results)) == 8

    _write_grid(workdir / "grid.yaml", overrides=["--trainer.max_epochs=3", "--data.max_train_instances=128"])
    expected = (
        "seal experiment: error: results/runs.jsonl: bibtex/cross-entropy (cpu) seed 0 [split paper] is recorded "
        "with overrides [--trainer.max_epochs=3 --data.max_train_instances=64] but this grid runs it with "
        "[--trainer.max_epochs=3 --data.max_train_instances=128] (and 7 more runs of this grid likewise); not taking "
        "one for the other nor running over it: give this grid its own --results and --runs-dir (overrides compared "
        "without --trainer.enable_model_summary, --trainer.enable_progress_bar, --trainer.log_every_n_steps)"
    )
    for extra in (["--dry-run"], []):
        assert experiment_main([str(grid), *extra]) == 2
        captured = capsys.readouterr()
        assert captured.err.splitlines() == [expected]
        assert captured.out == ""
    assert results.read_bytes() == before

    # a smoke run does not pass for the real one either: the grid without the limit is refused as well
    _write_grid(workdir / "grid.yaml", overrides=["--trainer.max_epochs=3"], seeds=[1])
    assert experiment_main([str(grid), "--datasets", "genbase", "--methods", "cross-entropy"]) == 2
    assert capsys.readouterr().err.splitlines() == [(
        "seal experiment: error: results/runs.jsonl: genbase/cross-entropy seed 1 [split paper] is recorded with "
        "overrides [--trainer.max_epochs=3 --data.max_train_instances=64] but this grid runs it with "
        "[--trainer.max_epochs=3]; not taking one for the other nor running over it: give this grid its own "
        "--results and --runs-dir (overrides compared without --trainer.enable_model_summary, "
        "--trainer.enable_progress_bar, --trainer.log_every_n_steps)"
    )]

    # in its own results file and run root the other grid runs, and its records keep their overrides
    assert experiment_main([str(grid), "--results", "smoke/runs.jsonl", "--runs-dir", "smoke/runs"]) == 0
    smoke = [json.loads(ln) for ln in _lines(workdir / "smoke" / "runs.jsonl")]
    assert len(smoke) == 4 and {tuple(r["overrides"]) for r in smoke} == {
        ("--trainer.max_epochs=3",), ("--trainer.max_epochs=3", "--model.schedule.loss_net_steps=3")
    }
    assert results.read_bytes() == before


def test_cosmetic_overrides_and_their_spelling_keep_a_recorded_run_done(workdir, capsys):
    grid = _write_grid(workdir / "grid.yaml", overrides=["--trainer.max_epochs=3"])
    results = workdir / "results" / "runs.jsonl"
    assert experiment_main([str(grid)]) == 0
    before = results.read_bytes()
    capsys.readouterr()
    _write_grid(workdir / "grid.yaml", overrides=[
        "--trainer.enable_progress_bar=false", "--trainer.max_epochs", "3", "--trainer.log_every_n_steps=1",
        "--trainer.enable_model_summary", "true",
    ])  # fmt: skip
    assert experiment_main([str(grid)]) == 0
    out = capsys.readouterr().out
    assert "8 runs planned, 8 already in results/runs.jsonl, 0 to run" in out
    assert results.read_bytes() == before


def test_records_without_overrides_are_done_for_a_grid_with_only_cosmetic_ones(workdir, capsys):
    # records written before overrides were recorded (as the first cross-entropy records of results/runs.jsonl)
    results = workdir / "results" / "runs.jsonl"
    for seed in (0, 1):
        append_result(results, {"dataset": "genbase", "method": "cross-entropy", "variant": None, "seed": seed,
                                "split_protocol": "paper", "metrics": {"test": {"example_f1": 0.5}}})
    grid = _write_grid(workdir / "grid.yaml", overrides=["--trainer.enable_progress_bar=false"], datasets=["genbase"],
                       methods=["cross-entropy"])  # fmt: skip
    assert experiment_main([str(grid), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "2 runs planned, 2 already in results/runs.jsonl, 0 to run" in out
    assert out.count("(already recorded)") == 2


def test_recorded_run_tells_done_from_conflict(workdir):
    from seal.experiments.runner import recorded_run

    grid = load_grid(_write_grid(workdir / "grid.yaml", overrides=["--trainer.max_epochs=3"], datasets=["genbase"],
                                 methods=["cross-entropy"], seeds=[0]))  # fmt: skip
    (spec,) = plan_runs(grid)
    base = {"dataset": "genbase", "method": "cross-entropy", "variant": None, "seed": 0, "split_protocol": "paper"}
    other = dict(base, overrides=["--trainer.max_epochs=5"])
    same = dict(base, overrides=["--trainer.enable_progress_bar=false", "--trainer.max_epochs=3"])
    assert recorded_run([], spec) == (None, None)
    assert recorded_run([other], spec) == ("conflict", other)
    assert recorded_run([other, same], spec) == ("done", same)  # one record with the same overrides is enough
    assert recorded_run([dict(same, seed=1)], spec) == (None, None)


MEDDLING_FIT = textwrap.dedent(
    """
    import json, runpy, sys
    # another grid records this run and the next one with other overrides while this one trains
    with open("results/runs.jsonl", "a") as fh:
        for method in ("cross-entropy", "seal-dynamic-nce"):
            fh.write(json.dumps({"dataset": "genbase", "method": method, "variant": None, "seed": 0,
                                 "split_protocol": "paper", "overrides": ["--trainer.max_epochs=9"]}) + "\\n")
    sys.argv = ["fake_fit.py", *sys.argv[1:]]
    runpy.run_path("fake_fit.py", run_name="__main__")
    """
)


def test_a_run_recorded_meanwhile_with_other_overrides_is_not_recorded_again(workdir, capsys):
    (workdir / "meddling_fit.py").write_text(MEDDLING_FIT)
    grid = _write_grid(workdir / "grid.yaml", datasets=["genbase"], seeds=[0], per_run_overrides={},
                       command=[sys.executable, "meddling_fit.py", "{config}", "{seed}", "{run_dir}", "{metrics_file}"])
    results = workdir / "results" / "runs.jsonl"
    results.parent.mkdir()
    assert experiment_main([str(grid)]) == 1
    out = capsys.readouterr().out
    conflict = (
        "results/runs.jsonl: genbase/{method} seed 0 [split paper] is recorded with overrides [--trainer.max_epochs=9] "
        "but this grid runs it with [--trainer.max_epochs=3]; not taking one for the other nor running over it: give "
        "this grid its own --results and --runs-dir (overrides compared without --trainer.enable_model_summary, "
        "--trainer.enable_progress_bar, --trainer.log_every_n_steps)"
    )
    assert "FAILED genbase/cross-entropy seed 0 after" in out
    assert f": not recorded: {conflict.format(method='cross-entropy')}" in out
    assert f"[2/2] FAILED genbase/seal-dynamic-nce seed 0: not started: {conflict.format(method='seal-dynamic-nce')}" in out
    assert "summary: 0 ok, 2 failed" in out
    assert [json.loads(ln)["overrides"] for ln in _lines(results)] == [["--trainer.max_epochs=9"]] * 2
    assert not (workdir / "runs" / "genbase" / "seal-dynamic-nce").exists()


# ------------------------------------------------------------------- grid validation, fallback, report (review 2)


def _plain_grid(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text))
    return path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("datasets: [bibtex]\nmethods: [cross-entropy]\nseeds: [0, 0]\n", "'seeds' lists 0 more than once"),
        ("datasets: [bibtex, bibtex]\nmethods: [cross-entropy]\nseeds: [0]\n", "'datasets' lists bibtex more than once"),
        ("datasets: [bibtex]\nmethods: [cross-entropy, cross-entropy]\nseeds: [0]\n", "'methods' lists cross-entropy more"),
        ("datasets: [bibtex]\nmethods: [cross-entropy]\nseeds: '0'\n", "'seeds' must be a list of integers (or one integer)"),
        ("datasets: [bibtex]\nmethods: [cross-entropy]\n", "'seeds' is required: a non-empty list (or a single value)"),
        ("datasets: [bibtex]\nmethods: []\nseeds: [0]\n", "'methods' is required"),
        ("datasets: [bibtex\nmethods: x\n", "invalid YAML: expected ',' or ']', but got ':' at line 2, column 8"),
    ],
)
def test_grid_validation_is_one_line_exit_2(workdir, capsys, text, message):
    grid = _plain_grid(workdir / "g.yaml", text)
    assert experiment_main([str(grid), "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_grid_scalars_are_lists_of_one_for_all_three_keys(workdir):
    grid = load_grid(_plain_grid(workdir / "g.yaml", "datasets: bibtex\nmethods: cross-entropy\nseeds: 0\n"))
    assert (grid.datasets, grid.methods, grid.seeds) == (["bibtex"], ["cross-entropy"], [0])


def test_grid_unknown_dataset_names_the_closest(workdir, capsys):
    grid = _write_grid(workdir / "g.yaml", datasets=["bibtx"])
    assert experiment_main([str(grid), "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert "unknown dataset 'bibtx' (closest: bibtex)" in err and len(err.strip().splitlines()) == 1


def test_grid_missing_config_names_both_files(workdir, capsys):
    grid = _write_grid(workdir / "g.yaml", datasets=["genbase"], methods=["cross-entropyy"], seeds=[0])
    assert experiment_main([str(grid), "--dry-run"]) == 1
    out = capsys.readouterr().out
    assert ("neither configs/genbase/cross-entropyy.cpu.yaml nor configs/genbase/cross-entropyy.yaml exists "
            "(closest methods with a config there: cross-entropy)") in out


def test_variant_fallback_is_refused_unless_the_grid_allows_it(workdir, capsys):
    # no variant_optional key: a missing variant config refuses the grid (a mistyped variant must not run the
    # paper's configs in its place), naming every missing file once
    grid = _write_grid(workdir / "g.yaml", variant_optional=None)
    assert experiment_main([str(grid), "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert ("variant 'cpu' has no config configs/genbase/cross-entropy.cpu.yaml, configs/genbase/seal-dynamic-nce.cpu.yaml; "
            "not running the base config in its place") in err and len(err.strip().splitlines()) == 1
    grid = _write_grid(workdir / "g.yaml", variant="nosuch", variant_optional=None)
    assert experiment_main([str(grid), "--dry-run"]) == 2
    assert "variant 'nosuch' has no config configs/bibtex/cross-entropy.nosuch.yaml," in capsys.readouterr().err
    # explicit: a method not listed in variant_optional refuses the grid, naming the missing files
    grid = _write_grid(workdir / "g.yaml", variant_optional=["cross-entropy"])
    assert experiment_main([str(grid), "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert "variant 'cpu' has no config configs/genbase/seal-dynamic-nce.cpu.yaml;" in err
    assert "cross-entropy.cpu.yaml" not in err and len(err.strip().splitlines()) == 1
    grid = _write_grid(workdir / "g.yaml", variant_optional=True)
    assert experiment_main([str(grid), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "warning" not in out and out.count("  note: genbase/") == 4
    grid = _write_grid(workdir / "g.yaml", variant_optional=False)
    assert experiment_main([str(grid), "--dry-run"]) == 2
    grid = _write_grid(workdir / "g.yaml", variant_optional=["nope"])
    assert experiment_main([str(grid), "--dry-run"]) == 2
    assert "variant_optional: nope not in the grid's methods" in capsys.readouterr().err


def test_report_out_directory_is_one_line(tmp_path, capsys):
    results = tmp_path / "runs.jsonl"
    _write_records(results, [_record("bibtex", "cross-entropy", 0, 0.42)])
    assert report_main(["--results", str(results), "--out", str(tmp_path), "--no-plots"]) == 2
    err = capsys.readouterr().err
    assert f"--out {tmp_path} is a directory" in err and len(err.strip().splitlines()) == 1


def test_report_keeps_runs_with_overrides_apart_and_labelled(tmp_path):
    short = ["--trainer.max_epochs=1", "--trainer.enable_progress_bar=false"]
    recs = [_record("genbase", "cross-entropy", s, 0.97) for s in (0, 1)]
    recs += [dict(_record("genbase", "cross-entropy", s, 0.10), overrides=short) for s in (0, 1)]
    recs += [dict(_record("genbase", "seal-dynamic-nce", s, f1, variant="cpu"), overrides=short) for s, f1 in ((0, 0.2), (1, 0.2))]
    # cosmetic overrides and the chain argument of the method do not make another row
    recs += [dict(_record("genbase", "nce-gbi", 0, 0.5), overrides=["--trainer.enable_progress_bar=false",
                                                                   "--model.task_checkpoint=/x/best.ckpt"])]
    text = _report_text(tmp_path, recs)
    rows = [ln for ln in text.splitlines() if ln.startswith("| genbase | paper | ")]
    main = rows[: len(rows) // 2]
    assert any(r.startswith("| genbase | paper | cross-entropy | 97.00 ± 0.00 (n=2) |") for r in main)
    assert any(r.startswith("| genbase | paper | cross-entropy (paper config + --trainer.max_epochs=1) | 10.00 ± 0.00 (n=2)")
               for r in main)
    assert any(r.startswith("| genbase | paper | seal-dynamic-nce (cpu + --trainer.max_epochs=1) |") for r in main)
    assert any(r.startswith("| genbase | paper | nce-gbi | 50.00 (n=1) |") for r in main)
    assert "Here: `cpu + --trainer.max_epochs=1`; `paper config + --trainer.max_epochs=1`." in text
    # the overridden SEAL run is compared with the cross-entropy run with the same overrides, not the paper config's
    line = next(ln for ln in text.splitlines() if ln.startswith("- **genbase** (SEAL cpu + --trainer.max_epochs=1"))
    assert "cross-entropy 10.00 ± 0.00 (n=2) (paper config + --trainer.max_epochs=1)" in line
    assert "paper's config" not in line
    # without overrides the convention line is absent
    assert "ran that config with those command-line overrides" not in _report_text(
        tmp_path, [_record("genbase", "cross-entropy", 0, 0.97)]
    )


def test_report_a_difference_within_the_seed_spread_is_not_a_win(tmp_path):
    recs = [_record("genbase", "cross-entropy", s, f1, variant="cpu") for s, f1 in ((0, 0.0), (1, 0.0))]
    recs += [_record("genbase", "seal-dynamic-nce", s, f1, variant="cpu") for s, f1 in ((0, 0.0), (1, 0.005))]
    recs += [_record("bibtex", "cross-entropy", s, 0.42, variant="cpu") for s in (0, 1)]
    recs += [_record("bibtex", "seal-dynamic-nce", s, f1, variant="cpu") for s, f1 in ((0, 0.43), (1, 0.431))]
    text = _report_text(tmp_path, recs)
    line = next(ln for ln in text.splitlines() if ln.startswith("- **genbase** (SEAL cpu variant"))
    assert "0.25 ± 0.35 (n=2) is level with cross-entropy" in line and "**beats**" not in line
    assert "|Δ| is within the seed spread" in line
    line = next(ln for ln in text.splitlines() if ln.startswith("- **bibtex** (SEAL cpu variant"))
    assert "**beats**" in line and "|Δ| exceeds the seed spread" in line
    tally = next(ln for ln in text.splitlines() if ln.startswith("- Tally, SEAL-dynamic NCE (cpu)"))
    assert "beats cross-entropy on 1 of 2 datasets run (bibtex)" in tally
    assert "a higher mean within that spread is called level and is not counted as a win" in text


def test_seal_fit_arguments_are_checked_before_any_run_starts(tmp_path, monkeypatch, capsys):
    """With the default command every planned run's `seal fit` arguments are parsed first (option names, value
    types, config files): a typo refuses the whole grid, dry run included, naming the first run; nothing is
    written. Abbreviated options are typos too (`--trainer.max_epoch` would silently set max_epochs)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(COMMAND_ENV, raising=False)
    repo_configs = str(Path(__file__).resolve().parents[1] / "configs")
    grid = tmp_path / "grid.yaml"

    def write(**extra):
        spec = {"datasets": ["bibtex"], "methods": ["cross-entropy", "seal-dynamic-nce"], "seeds": [0, 1],
                "config_dir": repo_configs, "overrides": ["--trainer.max_epochs=3"]}
        spec.update(extra)
        grid.write_text(yaml.safe_dump(spec))

    write(overrides=["--trainer.max_epoch=3"])
    for extra in (["--dry-run"], []):
        assert experiment_main([str(grid), *extra]) == 2
        captured = capsys.readouterr()
        assert captured.err.splitlines() == [
            "seal experiment: error: seal fit would refuse bibtex/cross-entropy seed 0: unrecognized arguments: "
            "--trainer.max_epoch=3 (and 3 more run(s)); nothing was run"
        ]
        assert captured.out == ""
    assert not (tmp_path / "results").exists() and not (tmp_path / "runs").exists()

    write(per_run_overrides={"bibtex/seal-dynamic-nce": ["--model.sampler.num_samples=many"]})
    assert experiment_main([str(grid), "--dry-run"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "seal experiment: error: seal fit would refuse bibtex/seal-dynamic-nce seed 0: Parser key "
        '"model.sampler.num_samples": Expected a <class \'int\'>. Got value: many (and 1 more run(s)); nothing was run'
    ]

    write()  # valid: listed, nothing run
    assert experiment_main([str(grid), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "4 to run" in out and out.count("  run   bibtex/") == 4
    assert not (tmp_path / "results").exists()


def test_report_train_seconds_leave_out_resumed_runs_recorded_before_they_covered_the_whole_run():
    from seal.experiments.report import Group, _whole_run_train_seconds

    g = Group("bibtex", "cross-entropy", None, "paper", records=[
        {"seed": 0, "timings": {"train_s": 10.0}},  # never resumed
        {"seed": 1, "resumed": 1, "timings": {"train_s": 3.0}},  # resumed, recorded before 2026-12-08: last attempt only
        {"seed": 2, "resumed": 2, "timings": {"train_s": 20.0, "train_s_attempt": 5.0}},  # the whole run
        {"seed": 3, "resumed": 1, "timings": {"train_s": None, "train_s_attempt": 4.0}},  # resumed from an old checkpoint
        {"seed": 4, "resumed": 1, "timings": {"train_s": 7.0, "train_s_attempt": None}},  # runner, older seal fit
    ])
    assert _whole_run_train_seconds(g) == [10.0, 20.0]


def test_srl_goal_lines_call_a_difference_within_the_seed_spread_so():
    """The SRL goal line bolds "higher" / "lower" only beyond the seed spread (the larger sample std), as the
    report's verdicts do; a mean difference inside it is said to be within it."""
    from seal.experiments.report import Group
    from seal.tasks.srl.report import goal_lines

    def group(method, f1s, ucrs):
        return Group("up_english_ewt", method, "cpu", "official", records=[
            {"seed": i, "metrics": {"test": {"labeled_f1": f, "ucr_violation_rate": u}}} for i, (f, u) in enumerate(zip(f1s, ucrs))])

    seal = group("seal-dynamic-nce", [0.4188, 0.4657, 0.4691], [0.0363, 0.0963, 0.0736])  # 45.12 ± 2.81, UCR 6.87
    ce = group("cross-entropy", [0.43, 0.45, 0.47], [0.07, 0.07, 0.07])  # 45.00 ± 2.00, UCR 7.00 ± 0
    crf = group("crf", [0.517, 0.518, 0.516], [0.01, 0.012, 0.014])  # 51.70, UCR 1.20
    assert goal_lines([ce, crf, seal]) == [
        "", "### SRL goals: SEAL-dynamic NCE vs cross-entropy and the CRF tagger (means over seeds)", "",
        "- **up_english_ewt** (seal-dynamic-nce (cpu)): vs cross-entropy (cpu): F1 45.12 vs 45.00 (higher, within the "
        "seed spread), UCR 6.87 % vs 7.00 % (lower, within the seed spread); vs crf (cpu): F1 45.12 vs 51.70 (not "
        "higher), UCR 6.87 % vs 1.20 % (not lower)",
    ]
    far = group("seal-dynamic-nce", [0.60, 0.61, 0.62], [0.001, 0.002, 0.003])
    assert "F1 61.00 vs 45.00 (**higher**), UCR 0.20 % vs 7.00 % (**lower**)" in goal_lines([ce, crf, far])[3]
