"""Your own files end to end (seal fit / data info / predict on ARFF, LibSVM, CSV) and the stale-MEKA-header
class: explicit label options win over a '-C n' header with one warning naming both; with no option, an XML
beside the file that disagrees gets a warning saying how to choose, and non-binary header-selected label
attributes an error saying how to choose."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

from seal.cli.main import main
from seal.data.arff import ArffError, ArffWarning, read_arff
from seal.data.errors import DataError
from seal.data.splits import carve_validation
from seal.data.userdata import load_user_files
from seal.tasks.mlc_features.datamodule import MultiLabelDataModule

# ------------------------------------------------------------------------------ stale MEKA headers

# two bag-of-words {0,1} features first, one numeric feature, then the real labels lab_a, lab_b (last 2)
STALE_START = """@relation 'old: -C 2'
@attribute w0 {0,1}
@attribute w1 {0,1}
@attribute x numeric
@attribute lab_a {0,1}
@attribute lab_b {0,1}
@data
1,0,0.5,0,1
0,1,1.5,1,1
{0 1, 2 2}
"""
# the real labels are the FIRST 2, the header (an old filter's) says the last 2
STALE_END = """@relation 'old: -C -2'
@attribute lab_a {0,1}
@attribute lab_b {0,1}
@attribute x numeric
@attribute w0 {0,1}
@attribute w1 {0,1}
@data
0,1,0.5,1,0
1,1,1.5,0,1
"""
XML = '<?xml version="1.0"?>\n<labels xmlns="http://mulan.sourceforge.net/labels">\n{}</labels>\n'


def xml_of(*names):
    return XML.format("".join(f'<label name="{n}"/>\n' for n in names))


def write(tmp_path, text, name):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


@pytest.fixture
def no_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


STALE_START_WARN = (
    r"line 1: {} selects the last 2 attributes \(lab_a, lab_b\) as labels, the MEKA header '-C 2' in the "
    r"relation name selects the first 2 attributes \(w0, w1\); using {} \(an explicit option wins over the header\)"
)


@pytest.mark.parametrize(
    "opts, desc",
    [
        (lambda x: {"xml": x}, "MULAN XML {xml}"),
        (lambda x: {"label_count": -2}, "label_count=-2"),
        (lambda x: {"label_names": ["lab_b", "lab_a"]}, "label_names"),
    ],
)
def test_explicit_option_wins_over_stale_header_at_start(tmp_path, opts, desc):
    p = write(tmp_path, STALE_START, "data.arff")
    x = write(tmp_path, xml_of("lab_a", "lab_b"), "labels.xml")  # not beside: other stem
    d = desc.format(xml=x)
    with pytest.warns(ArffWarning, match=STALE_START_WARN.format(_re(d), _re(d))) as rec:
        data = read_arff(p, **opts(x))
    assert len([w for w in rec if issubclass(w.category, ArffWarning)]) == 1
    assert data.label_names == ["lab_a", "lab_b"] and data.feature_names == ["w0", "w1", "x"]
    np.testing.assert_array_equal(data.Y, [[0, 1], [1, 1], [0, 0]])
    np.testing.assert_array_equal(data.X.toarray(), [[1, 0, 0.5], [0, 1, 1.5], [1, 0, 2]])


def _re(s: str) -> str:
    import re

    return re.escape(s)


def test_explicit_option_wins_over_stale_header_at_end(tmp_path):
    p = write(tmp_path, STALE_END, "end.arff")
    with pytest.warns(ArffWarning, match=r"label_count=2 selects the first 2 attributes \(lab_a, lab_b\) as labels, "
                      r"the MEKA header '-C -2' in the relation name selects the last 2 attributes \(w0, w1\)"):
        data = read_arff(p, label_count=2)
    assert data.label_names == ["lab_a", "lab_b"]
    np.testing.assert_array_equal(data.Y, [[0, 1], [1, 1]])


def test_header_only_with_disagreeing_xml_beside_warns_how_to_choose(tmp_path):
    p = write(tmp_path, STALE_START, "scene.arff")
    x = write(tmp_path, xml_of("lab_a", "lab_b"), "scene.xml")
    with pytest.warns(ArffWarning) as rec:
        data = read_arff(p)
    msgs = [str(w.message) for w in rec if issubclass(w.category, ArffWarning)]
    assert msgs == [
        f"{p}, line 1: the MEKA header '-C 2' in the relation name selects the first 2 attributes (w0, w1) as "
        f"labels, but the MULAN XML beside the file ({x}) names 2 labels = the last 2 attributes (lab_a, lab_b); "
        "the header is used. If it is stale, choose the labels explicitly: label_count=N (first N attributes) or "
        "-N (last N), xml=<MULAN .xml> or label_names=[...] (on the command line --data.label_count, --data.xml, "
        "--data.labels; seal data info / seal predict: --label-count, --xml, --labels)"
    ]
    assert data.label_names == ["w0", "w1"]  # the header is what was asked for; nothing is guessed


def test_xml_disagreeing_in_count(tmp_path):
    p = write(tmp_path, STALE_END.replace("'old: -C -2'", "'old: -C -1'"), "cnt.arff")
    x = write(tmp_path, xml_of("lab_a", "lab_b"), "cnt.xml")
    with pytest.warns(ArffWarning, match=r"'-C -1' in the relation name selects the last 1 attributes \(w1\) as "
                      r"labels, but the MULAN XML beside the file \(.*cnt.xml\) names 2 labels = the first 2"):
        assert read_arff(p).label_names == ["w1"]
    with pytest.warns(ArffWarning, match=r"MULAN XML .*cnt.xml selects the first 2 attributes \(lab_a, lab_b\) as "
                      r"labels, the MEKA header '-C -1'"):
        assert read_arff(p, xml=x).label_names == ["lab_a", "lab_b"]


def test_xml_in_another_order_is_no_disagreement(tmp_path, no_warnings):
    p = write(tmp_path, STALE_START.replace("'old: -C 2'", "'ok: -C -2'"), "ok.arff")
    x = write(tmp_path, xml_of("lab_b", "lab_a"), "ok.xml")  # beside, same labels, other order
    for data in (read_arff(p), read_arff(p, xml=x), read_arff(p, label_count=-2)):
        assert data.label_names == ["lab_a", "lab_b"]  # Y follows the file's order
        np.testing.assert_array_equal(data.Y, [[0, 1], [1, 1], [0, 0]])


def test_header_selecting_non_binary_attributes_says_how_to_choose(tmp_path):
    text = STALE_START.replace("@attribute w0 {0,1}", "@attribute w0 {a,b}").replace("1,0,0.5", "b,0,0.5")
    text = text.replace("0,1,1.5", "a,1,1.5").replace("{0 1, 2 2}", "{0 b, 2 2}")
    p = write(tmp_path, text, "nb.arff")
    with pytest.raises(ArffError) as ei:
        read_arff(p)
    assert ei.value.line == 1 and ei.value.attribute == "w0"
    assert ei.value.reason.startswith(
        "the MEKA header '-C 2' in the relation name selects the first 2 attributes (w0, w1) as labels, but 'w0' "
        "(line 2) is declared {a,b}, not binary; if the header is stale, choose the labels explicitly: label_count=N")
    num = write(tmp_path, STALE_END.replace("'old: -C -2'", "'old: -C 3'"), "num.arff")  # selects numeric x = 0.5
    with pytest.raises(ArffError, match=r"line 8, attribute 'x': label value '0.5' is not 0 or 1 \(the MEKA header "
                       r"'-C 3' in the relation name selects the labels; if it is stale, choose the labels explicitly"):
        read_arff(num)


def test_explicit_options_still_must_agree_with_each_other(tmp_path):
    p = write(tmp_path, STALE_START, "data.arff")
    with pytest.raises(ArffError, match="label_names contradicts label_count=-2"):
        read_arff(p, label_count=-2, label_names=["w0", "w1"])


def test_option_agreeing_with_header_is_silent(tmp_path, no_warnings):
    p = write(tmp_path, STALE_END, "end.arff")
    assert read_arff(p, label_count=-2).label_names == ["w0", "w1"]


# ------------------------------------------------------------------------------ your own files

LABELS = ["sport", "music", "art"]


def toy(n: int, seed: int):
    r = np.random.RandomState(seed)
    X = r.rand(n, 4).round(3)
    Y = ((X - 0.5) @ r.randn(4, 3) > 0).astype(int)
    return X, Y


def write_csv(path, X, Y, id_column=False):
    """Columns x0..x{d-1} then LABELS; with ``id_column`` a first column ``id`` holding the row number."""
    ids = ["id"] if id_column else []
    with open(path, "w") as f:
        f.write(",".join(ids + [f"x{j}" for j in range(X.shape[1])] + LABELS) + "\n")
        for i, (x, y) in enumerate(zip(X, Y)):
            f.write(",".join(([str(i)] if id_column else []) + [f"{v:g}" for v in x] + [str(v) for v in y]) + "\n")
    return path


def write_svm(path, X, Y, header=True):
    with open(path, "w") as f:
        if header:
            f.write(f"{len(X)} {X.shape[1]} {Y.shape[1]}\n")
        for x, y in zip(X, Y):
            labs = ",".join(str(k) for k in np.flatnonzero(y))
            f.write(labs + " " + " ".join(f"{j}:{v:g}" for j, v in enumerate(x) if v) + "\n")
    return path


def write_arff(path, X, Y, relation="toy: -C -3"):
    with open(path, "w") as f:
        f.write(f"@relation '{relation}'\n")
        f.writelines(f"@attribute x{j} numeric\n" for j in range(X.shape[1]))
        f.writelines(f"@attribute {nm} {{0,1}}\n" for nm in LABELS)
        f.write("@data\n")
        for x, y in zip(X, Y):
            f.write(",".join([f"{v:g}" for v in x] + [str(v) for v in y]) + "\n")
    return path


def test_validation_is_carved_by_iterative_stratification(tmp_path, capsys):
    X, Y = toy(40, 0)
    p = write_csv(tmp_path / "tr.csv", X, Y)
    dm = MultiLabelDataModule(train=str(p), labels=LABELS, split_seed=3)
    tr, va = carve_validation(Y, val_fraction=0.25, seed=3)
    assert (len(tr), len(va)) == (30, 10)
    np.testing.assert_array_equal(dm._datasets["val"].Y.numpy(), Y[va])
    np.testing.assert_array_equal(dm._datasets["train"].Y.numpy(), Y[tr])
    assert not dm.has_test and dm.dataset == "tr" and dm.label_names == LABELS
    assert capsys.readouterr().err == (
        f"seal: csv data, 4 features, 3 labels (labels from label names): train 30, val 10; validation carved "
        f"from {p} by iterative stratification (0.25 of its 40 rows, seed 3); no test file (--data.test), so no "
        "test split\n"
    )


def test_given_files_and_dataset_as_path(tmp_path):
    X, Y = toy(30, 1)
    tr, va, te = (write_svm(tmp_path / f"{k}.svm", X[i:i + 10], Y[i:i + 10]) for k, i in (("a", 0), ("b", 10), ("c", 20)))
    u = load_user_files(tr, va, te)
    assert {k: v[0].shape for k, v in u.splits.items()} == {"train": (10, 4), "val": (10, 4), "test": (10, 4)}
    np.testing.assert_array_equal(u.splits["test"][1], Y[20:])
    np.testing.assert_allclose(u.splits["val"][0].toarray(), X[10:20], rtol=1e-6)
    dm = MultiLabelDataModule(dataset=str(write_arff(tmp_path / "all.arff", X, Y)))  # a path where a name goes
    assert dm.files["train"] == str(tmp_path / "all.arff") and dm.num_labels == 3 and dm.num_features == 4
    assert dm.hparams["train"] == str(tmp_path / "all.arff")  # stored in checkpoints for seal predict


def test_label_options_with_a_registered_dataset_are_refused():
    with pytest.raises(DataError, match="--data.label_count applies to your own files"):
        MultiLabelDataModule(dataset="bibtex", label_count=3)


def test_fit_predict_and_info_on_own_files(tmp_path, capsys):
    X, Y = toy(60, 2)
    Xt, Yt = toy(20, 3)
    tr, te = write_svm(tmp_path / "tr.svm", X, Y), write_svm(tmp_path / "te.svm", Xt, Yt)
    assert main(["data", "info", str(tr)]) == 0
    out = capsys.readouterr().out
    assert "  format             libsvm (feature indices are 0-based)\n  labels from        the label indices " in out
    assert "  instances          60\n  features           4\n  labels             3: 0, 1, 2\n" in out
    ntr, nva = (len(i) for i in carve_validation(Y, val_fraction=0.25, seed=0))
    assert (ntr, nva) == (46, 14)  # iterative stratification: about 1/4
    assert f"  as --data.train    train {ntr} / val {nva} (validation carved by iterative stratification, 0.25, seed 0)" in out
    metrics = tmp_path / "m.json"
    assert main(["fit", "--data.train", str(tr), "--data.test", str(te), "--trainer.max_epochs", "1",
                 "--trainer.enable_progress_bar", "false", "--trainer.default_root_dir", str(tmp_path / "run"),
                 "--metrics_file", str(metrics)]) == 0
    rec = json.loads(metrics.read_text())
    assert rec["epochs"] == 1 and rec["batches_seen"] == 2  # 46 rows, batch 32
    assert set(rec["metrics"]["test"]) >= {"example_f1", "micro_f1"}
    ckpt = rec["best_checkpoint"]
    capsys.readouterr()
    out = tmp_path / "p.jsonl"
    assert main(["predict", "--ckpt_path", ckpt, "--input", str(te), "--output", str(out)]) == 0
    assert capsys.readouterr().out.startswith(f"seal predict: 20 instances from {te}, mean ")
    rows = [json.loads(ln) for ln in out.read_text().splitlines()]
    assert len(rows) == 20 and sorted(rows[0]["probabilities"]) == ["0", "1", "2"]
    # the same model on a CSV without label columns: by name, features only
    csv = tmp_path / "te.csv"
    csv.write_text("x0,x1,x2,x3\n" + "".join(",".join(f"{v:g}" for v in x) + "\n" for x in Xt))
    assert main(["predict", "--ckpt_path", ckpt, "--input", str(csv), "--output", str(tmp_path / "p2.jsonl"),
                 "--labels", "0,1,2"]) == 0
    p2 = [json.loads(ln) for ln in (tmp_path / "p2.jsonl").read_text().splitlines()]
    assert [r["probabilities"] for r in p2] == [r["probabilities"] for r in rows]


def test_fit_on_csv_without_test_file(tmp_path, capsys):
    X, Y = toy(40, 4)
    tr = write_csv(tmp_path / "tr.csv", X, Y)
    metrics = tmp_path / "m.json"
    assert main(["fit", "--data.train", str(tr), "--data.labels", "[sport,music,art]", "--trainer.max_epochs", "1",
                 "--trainer.enable_progress_bar", "false", "--trainer.default_root_dir", str(tmp_path / "run"),
                 "--metrics_file", str(metrics)]) == 0
    err = capsys.readouterr().err
    assert "seal: csv data, 4 features, 3 labels (labels from label names): train 30, val 10; " in err
    assert "seal: no test split (your own files without --data.test): test evaluation skipped" in err
    rec = json.loads(metrics.read_text())
    assert rec["metrics"]["test"] == {} and rec["val_history"][0]["epoch"] == 0


@pytest.mark.parametrize(
    "name, text, extra, message",
    [
        ("bad.svm", "2 4 3\n0 1:1\n1 4:1\n", [], "bad.svm, line 3, feature 4: feature index 4 is out of range 0..3 "
         "(the header's feature count)"),
        ("bad.svm", "2 4 3\n0 1:1\n3 1:1\n", [], "bad.svm, line 3, labels: label index 3 is out of range 0..2"),
        ("bad.svm", "0 1:1\n1 2:x1\n", [], "bad.svm, line 2, feature 2: value 'x1' is not a number"),
        ("bad.csv", "a,y\n1,0\n2,3\n", ["--data.labels", "[y]"], "bad.csv, line 3, label column 'y': label value '3' "
         "is not 0 or 1"),
        ("bad.arff", STALE_START.replace("1,0,0.5,0,1", "1,0,0.5,0,2"), ["--data.label_count", "-2"],
         "bad.arff, line 8, attribute 'lab_b': unknown nominal value '2'"),
    ],
)
def test_bad_input_is_one_line_naming_file_line_and_field(tmp_path, capsys, name, text, extra, message):
    p = write(tmp_path, text, name)
    with pytest.raises(SystemExit) as ei:
        main(["fit", "--data.train", str(p), *extra, "--trainer.default_root_dir", str(tmp_path / "run")])
    assert ei.value.code == 2
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.startswith("seal")]
    assert len(err) == 1 and err[0].startswith(f"seal: error: {tmp_path}/{message}"), err


def test_predict_matches_csv_feature_columns_by_name(tmp_path, capsys):
    """A model trained on a CSV stores its feature names; predicting a CSV whose columns are the same names in
    another order reorders them (same probabilities as the original order), other names are refused."""
    X, Y = toy(60, 2)
    Xt, Yt = toy(20, 3)
    tr, te = write_csv(tmp_path / "tr.csv", X, Y), write_csv(tmp_path / "te.csv", Xt, Yt)
    metrics = tmp_path / "m.json"
    assert main(["fit", "--data.train", str(tr), "--data.labels", "[" + ", ".join(LABELS) + "]",
                 "--trainer.max_epochs", "1", "--trainer.enable_progress_bar", "false",
                 "--trainer.default_root_dir", str(tmp_path / "run"), "--metrics_file", str(metrics)]) == 0
    ckpt = json.loads(metrics.read_text())["best_checkpoint"]
    import torch

    stored = torch.load(ckpt, map_location="cpu", weights_only=True)["MultiLabelDataModule"]
    assert stored == {"feature_names": ["x0", "x1", "x2", "x3"]}
    capsys.readouterr()
    ref = tmp_path / "ref.jsonl"
    assert main(["predict", "--ckpt_path", ckpt, "--input", str(te), "--output", str(ref)]) == 0
    header, *rows = te.read_text().splitlines()
    cols = header.split(",")
    order = [3, 1, 0, 2] + list(range(4, len(cols)))  # features shuffled, label columns kept
    shuffled = tmp_path / "shuffled.csv"
    shuffled.write_text("\n".join(",".join(r.split(",")[j] for j in order) for r in [header, *rows]) + "\n")
    capsys.readouterr()
    got = tmp_path / "got.jsonl"
    assert main(["predict", "--ckpt_path", ckpt, "--input", str(shuffled), "--output", str(got)]) == 0
    assert (f"seal: {shuffled}: its feature columns are the training data's in another order: reordered by name"
            in capsys.readouterr().err)
    assert got.read_text() == ref.read_text()
    renamed = tmp_path / "renamed.csv"
    renamed.write_text(te.read_text().replace("x0,x1", "a0,x1", 1))
    assert main(["predict", "--ckpt_path", ckpt, "--input", str(renamed), "--output", str(got)]) == 2
    assert (f"{renamed}: its feature columns are not the model's training columns: column 1: 'a0' here, 'x0' in "
            "training") in capsys.readouterr().err
    assert got.read_text() == ref.read_text()  # the refused run left the earlier output as it was


def test_predict_an_arff_file_without_label_attributes(tmp_path, capsys):
    """An ARFF input of features only (the --input help: label columns may be absent): found without options when
    the file has exactly the model's features and none of its label names, or with --label-count 0."""
    X, Y = toy(60, 2)
    Xt, _ = toy(20, 3)
    tr = write_arff(tmp_path / "tr.arff", X, Y)
    metrics = tmp_path / "m.json"
    assert main(["fit", "--data.train", str(tr), "--trainer.max_epochs", "1", "--trainer.enable_progress_bar",
                 "false", "--trainer.default_root_dir", str(tmp_path / "run"), "--metrics_file", str(metrics)]) == 0
    ckpt = json.loads(metrics.read_text())["best_checkpoint"]
    nolab = tmp_path / "nolab.arff"
    nolab.write_text("@relation feats\n" + "".join(f"@attribute x{j} numeric\n" for j in range(4)) + "@data\n"
                     + "".join(",".join(f"{v:g}" for v in x) + "\n" for x in Xt))
    with_labels = tmp_path / "with_labels.arff"
    write_arff(with_labels, Xt, np.zeros((20, 3), dtype=np.uint8))
    capsys.readouterr()
    ref, got, got0 = tmp_path / "ref.jsonl", tmp_path / "got.jsonl", tmp_path / "got0.jsonl"
    assert main(["predict", "--ckpt_path", ckpt, "--input", str(with_labels), "--output", str(ref)]) == 0
    assert main(["predict", "--ckpt_path", ckpt, "--input", str(nolab), "--output", str(got)]) == 0
    out = capsys.readouterr().out
    assert f"seal predict: 20 instances from {nolab}, mean " in out and "example-F1" not in out.split(f"{nolab}")[1]
    assert main(["predict", "--ckpt_path", ckpt, "--input", str(nolab), "--output", str(got0), "--label-count", "0"]) == 0
    probs = [[json.loads(ln)["probabilities"] for ln in p.read_text().splitlines()] for p in (ref, got, got0)]
    assert probs[1] == probs[0] and probs[2] == probs[0]


def test_data_labels_and_drop_columns_as_typed_on_the_command_line(tmp_path, capsys):
    """`--data.labels a,b,c` (one comma-separated string, as typed) is read as the list it names; an empty or a
    repeated name is one error naming the option."""
    X, Y = toy(40, 0)
    p = write_csv(tmp_path / "tr.csv", X, Y, id_column=True)
    dm = MultiLabelDataModule(train=str(p), labels=",".join(LABELS), drop_columns="id")
    assert dm.label_names == LABELS and dm.num_features == 4
    listed = MultiLabelDataModule(train=str(p), labels=list(LABELS), drop_columns=["id"])
    np.testing.assert_array_equal(listed._datasets["train"].Y.numpy(), dm._datasets["train"].Y.numpy())
    with pytest.raises(ValueError, match="--data.labels: name\\(s\\) given twice: " + LABELS[0]):
        MultiLabelDataModule(train=str(p), labels=f"{LABELS[0]},{LABELS[0]}")
    with pytest.raises(ValueError, match="--data.drop_columns: an empty name"):
        MultiLabelDataModule(train=str(p), labels=list(LABELS), drop_columns="id,")
    metrics = tmp_path / "m.json"
    assert main(["fit", "--data.train", str(p), "--data.labels", ",".join(LABELS), "--data.drop_columns", "id",
                 "--trainer.max_epochs", "1", "--trainer.enable_progress_bar", "false",
                 "--trainer.default_root_dir", str(tmp_path / "run"), "--metrics_file", str(metrics)]) == 0
    assert json.loads(metrics.read_text())["epochs"] == 1


def test_data_info_drop_columns(tmp_path, capsys):
    X, Y = toy(40, 0)
    p = write_csv(tmp_path / "tr.csv", X, Y, id_column=True)
    assert main(["data", "info", str(p), "--labels", ",".join(LABELS), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["features"] == 5  # the id column counted as a feature
    assert main(["data", "info", str(p), "--labels", ",".join(LABELS), "--drop-columns", "id", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["features"] == 4
    assert main(["data", "info", "genbase", "--drop-columns", "id"]) == 2
    assert "--drop-columns apply to a file path" in capsys.readouterr().err
