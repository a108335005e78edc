"""``seal data list | info | verify | fetch`` through ``seal.cli.data.main([...])``.

Errors must be one line on stderr with no traceback: exit 2 for unknown names / missing files / usage,
1 for checksum mismatches and failed downloads.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from seal.cli.data import main
from seal.data.catalogue import (
    DataFile,
    DatasetSpec,
    ReaderOptions,
    dataset_names,
    register_dataset,
    unregister_dataset,
)


def run(capsys, *argv):
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def assert_one_line_error(err: str):
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("seal data: error:"), err
    assert "Traceback" not in err


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SEAL_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("SEAL_DATA_DIR", raising=False)


# ----------------------------------------------------------------------------------------- list


@pytest.mark.realdata
def test_list(capsys, data_dir):
    rc, out, err = run(capsys, "list", "--data-dir", str(data_dir))
    assert rc == 0 and err == ""
    header = out.splitlines()[0].split()
    assert header == ["name", "task", "labels", "features", "instances", "protocol", "local", "paper"]
    rows = {ln.split()[0]: ln.split() for ln in out.splitlines()[2:] if ln.strip() and not ln.startswith(("searched", "protocol:"))}
    for name in dataset_names():
        assert name in rows
    assert rows["bibtex"][1:8] == ["mlc", "159", "1836", "7395", "paper,official", "yes", "yes"]
    assert rows["eurlex_ev"][6] == "no"
    assert rows["expr_fun"][5] == "official"


def test_list_json_without_data(capsys, tmp_path):
    rc, out, _ = run(capsys, "list", "--json", "--data-dir", str(tmp_path / "none"))
    assert rc == 0
    records = {r["name"]: r for r in json.loads(out)}
    assert records["bibtex"]["local"] is False and records["bibtex"]["protocol"] == "paper"
    assert records["spo_fun"]["features"] == 86 and records["spo_fun"]["labels"] == 500


# ----------------------------------------------------------------------------------------- info


@pytest.mark.realdata
def test_info_bibtex(capsys, data_dir):
    rc, out, err = run(capsys, "info", "bibtex", "--data-dir", str(data_dir))
    assert rc == 0, err
    assert "instances 7395, features 1836, labels 159" in out
    assert "label cardinality 2.402, label density 0.0151" in out
    assert "rows with an empty label set: 0" in out
    assert "protocol 'paper' (default)" in out and "protocol 'official'" in out
    lines = out.splitlines()
    paper = lines.index(next(ln for ln in lines if ln.startswith("protocol 'paper'")))
    table = " ".join(lines[paper : paper + 12])
    for size in ("4411", "1487", "1497"):
        assert size in table
    assert "a282a6d1fb3cdaf3" in out and " ok " in out


@pytest.mark.realdata
def test_info_delicious_empty_rows_json(capsys, data_dir):
    rc, out, _ = run(capsys, "info", "delicious", "--data-dir", str(data_dir), "--protocol", "paper", "--json")
    assert rc == 0
    info = json.loads(out)
    stats = info["protocol_stats"]["paper"]
    assert list(info["protocol_stats"]) == ["paper"]
    assert stats["empty_rows"] == 14 and stats["dropped_rows"] == 0
    assert {k: v["instances"] for k, v in stats["splits"].items()} == {"train": 9683, "val": 3215, "test": 3207}
    rc, out, _ = run(capsys, "info", "delicious", "--data-dir", str(data_dir), "--drop-empty", "--json")
    stats = json.loads(out)["protocol_stats"]["paper"]
    assert stats["instances"] == 16091 and stats["dropped_rows"] == 14


@pytest.mark.realdata
def test_info_funcat_preprocessing(capsys, data_dir):
    rc, out, _ = run(capsys, "info", "spo_fun", "--data-dir", str(data_dir))
    assert rc == 0
    assert "instances 3703, features 86, labels 500" in out
    assert "impute=mean, scale=standard (statistics from the train split)" in out


@pytest.mark.realdata
def test_info_weizmann_prints_files(capsys, data_dir):
    rc, out, err = run(capsys, "info", "weizmann_horse", "--data-dir", str(data_dir))
    assert rc == 0, err
    assert "weizmann_horse/weizmann_horse_train.npz" in out and "c25db2667b89b6a7" in out
    assert "train 160 / val 40 / test 128" in out


def test_info_errors(capsys, tmp_path):
    rc, _, err = run(capsys, "info", "nosuchdata")
    assert rc == 2
    assert_one_line_error(err)
    assert "unknown dataset 'nosuchdata'" in err
    rc, out, err = run(capsys, "info", "eurlex_ev", "--data-dir", str(tmp_path / "d"))
    assert rc == 2
    assert_one_line_error(err)
    assert "Eurlex-ev-fold{1..10}-normalised.arff" in err and str(tmp_path / "d") in err
    assert "missing" in out  # the file table is still printed
    rc, out, err = run(capsys, "info", "cal500", "--protocol", "official")
    assert rc == 2 and out == ""
    assert_one_line_error(err)
    rc, _, err = run(capsys, "info", "bibtex", "--data-dir", str(tmp_path / "d"))
    assert rc == 2
    assert_one_line_error(err)
    assert "seal data fetch bibtex" in err


# --------------------------------------------------------------------------------------- verify


@pytest.mark.realdata
def test_verify_real(capsys, data_dir):
    rc, out, err = run(capsys, "verify", "genbase", "spo_fun", "--data-dir", str(data_dir))
    assert rc == 0, err
    assert out.count("\nok ") + out.startswith("ok ") == 7
    rc, out, err = run(capsys, "verify", "--data-dir", str(data_dir))  # all: eurlex_ev missing is not an error
    assert rc == 0 and "MISMATCH" not in out and "missing   eurlex_ev" in out
    rc, _, err = run(capsys, "verify", "eurlex_ev", "--data-dir", str(data_dir))
    assert rc == 2
    assert_one_line_error(err)


# --------------------------------------------------------------------------- with a toy dataset


@pytest.fixture
def toy(tmp_path):
    """A registered two-file dataset `toy_cli` served from a file:// mirror (nothing local at first)."""
    mirror = tmp_path / "mirror"
    files = []
    for role, n in (("train", 30), ("test", 10)):
        lines = ["@relation toy", "@attribute a numeric", "@attribute b numeric", "@attribute y0 {0,1}", "@attribute y1 {0,1}", "@data"]
        lines += [f"{i}.5,{i % 3},{i % 2},{(i + 1) % 2}" for i in range(n)]
        p = mirror / "toy_cli" / f"{role}.arff"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("\n".join(lines) + "\n")
        digest = hashlib.sha256(p.read_bytes()).hexdigest()
        files.append(DataFile(f"toy_cli/{role}.arff", role, digest, p.stat().st_size, url=p.as_uri(), n_instances=n))
    spec = DatasetSpec(
        name="toy_cli", task="mlc", title="toy", files=tuple(files), n_instances=40, n_features=2, n_labels=2,
        protocols=("official",), reader=ReaderOptions(label_count=-2),
    )
    register_dataset(spec, overwrite=True)
    try:
        yield {"spec": spec, "mirror": mirror, "cache": Path(tmp_path / "cache")}
    finally:
        unregister_dataset("toy_cli")


def test_fetch_then_verify_then_info(capsys, toy):
    rc, out, err = run(capsys, "fetch", "toy_cli", "--quiet")
    assert rc == 0, err
    assert out.count("downloaded") == 2
    cached = toy["cache"] / "toy_cli" / "train.arff"
    assert cached.read_bytes() == (toy["mirror"] / "toy_cli/train.arff").read_bytes()
    rc, out, _ = run(capsys, "fetch", "toy_cli")
    assert rc == 0 and out.count("present") == 2
    rc, out, _ = run(capsys, "verify", "toy_cli")
    assert rc == 0 and out.count("ok ") == 2
    rc, out, err = run(capsys, "info", "toy_cli")
    assert rc == 0, err
    assert "instances 40, features 2, labels 2" in out
    # corrupt the cached copy: verify reports the mismatch and exits 1
    cached.write_bytes(cached.read_bytes() + b"%tampered\n")
    rc, out, err = run(capsys, "verify", "toy_cli")
    assert rc == 1 and "MISMATCH" in out
    assert_one_line_error(err)
    rc, _, err = run(capsys, "info", "toy_cli")
    assert rc == 1 and "sha256 mismatch" in err
    assert_one_line_error(err)


def test_fetch_failures(capsys, toy):
    (toy["mirror"] / "toy_cli" / "test.arff").unlink()  # the "server" lost a file
    rc, _, err = run(capsys, "fetch", "toy_cli", "--quiet")
    assert rc == 1
    assert_one_line_error(err)
    assert not (toy["cache"] / "toy_cli" / "test.arff").exists()
    assert not any(p.name.endswith(".part") for p in toy["cache"].rglob("*"))
    rc, _, err = run(capsys, "fetch", "eurlex_ev")
    assert rc == 2
    assert_one_line_error(err)
    assert "no public download URL" in err
    rc, _, err = run(capsys, "fetch", "nope")
    assert rc == 2
    assert_one_line_error(err)


# ---------------------------------------------------------------------------------------- usage


def test_help_and_usage_errors(capsys):
    rc, out, _ = run(capsys, "--help")
    assert rc == 0 and "list" in out and "fetch" in out and "SEAL_DATA_DIR" in out
    for sub in ("list", "info", "verify", "fetch"):
        rc, out, _ = run(capsys, sub, "--help")
        assert rc == 0 and out.startswith(f"usage: seal data {sub}")
    rc, _, err = run(capsys)
    assert rc == 2
    rc, _, err = run(capsys, "frobnicate")
    assert rc == 2 and "invalid choice" in err and "Traceback" not in err
    rc, _, err = run(capsys, "info")
    assert rc == 2 and "required" in err
    rc, _, err = run(capsys, "info", "bibtex", "--protocol", "kfold")
    assert rc == 2 and "invalid choice" in err


def test_dispatch_from_top_level(capsys, tmp_path):
    from seal.cli.main import main as seal_main

    rc = seal_main(["data", "list", "--data-dir", str(tmp_path)])
    out = capsys.readouterr().out
    assert rc == 0 and "bibtex" in out


def test_malformed_file_is_one_line_error(capsys, tmp_path):
    p = tmp_path / "data" / "toy_bad" / "all.arff"
    p.parent.mkdir(parents=True)
    p.write_text("@relation r\n@attribute a numeric\n@attribute y {0,1}\n@data\n1,0\nabc,1\n")
    spec = DatasetSpec(
        name="toy_bad", task="mlc", title="broken", files=(DataFile("toy_bad/all.arff", "all"),),
        n_instances=None, n_features=1, n_labels=1, protocols=("paper",), reader=ReaderOptions(label_count=-1),
    )
    register_dataset(spec, overwrite=True)
    try:
        rc, _, err = run(capsys, "info", "toy_bad", "--data-dir", str(tmp_path / "data"))
    finally:
        unregister_dataset("toy_bad")
    assert rc == 1
    assert_one_line_error(err)
    assert "all.arff, line 6, attribute 'a'" in err
