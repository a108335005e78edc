"""seal.data.formats: LibSVM / SVMlight (scikit-learn's load_svmlight_file as the oracle) and CSV/TSV readers,
format detection, and one error naming file, line and field for every kind of bad input."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_svmlight_file

from seal.data.formats import FormatError, detect_format, read_csv, read_files, read_libsvm, read_libsvm_files

SVM_BODY = """0,2 1:0.5 3:1.25
2 2:2 4:-1
 1:3
1,2,3 4:0.75 # a comment
"""


def write(tmp_path, text, name):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_libsvm_matches_sklearn_one_based(tmp_path):
    p = write(tmp_path, SVM_BODY, "a.svm")
    d = read_libsvm(p)
    Xs, ys = load_svmlight_file(str(p), multilabel=True, zero_based=False)
    assert d.zero_based is False and d.X.shape == (4, 4) and d.Y.shape == (4, 4)
    np.testing.assert_array_equal(d.X.toarray(), Xs.toarray())
    gold = np.zeros((4, 4), dtype=np.uint8)
    for i, labs in enumerate(ys):
        gold[i, [int(v) for v in labs]] = 1
    np.testing.assert_array_equal(d.Y, gold)
    assert d.feature_names == ["1", "2", "3", "4"] and d.label_names == ["0", "1", "2", "3"]


def test_libsvm_extreme_classification_header_is_zero_based(tmp_path):
    text = "4 6 5\n" + SVM_BODY.replace("1:0.5", "0:0.5")
    p = write(tmp_path, text, "xc.txt")
    d = read_libsvm(p)
    Xs, _ = load_svmlight_file(str(write(tmp_path, text.split("\n", 1)[1], "body.svm")), multilabel=True,
                               zero_based=True, n_features=6)
    assert d.X.shape == (4, 6) and d.Y.shape == (4, 5)  # counts from the header, not the largest index
    np.testing.assert_array_equal(d.X.toarray(), Xs.toarray())
    assert d.label_source == "the label indices (count from the header line)"


def test_libsvm_zero_based_is_decided_jointly(tmp_path):
    a = write(tmp_path, "0 1:1 2:1\n1 2:1\n", "tr.svm")
    b = write(tmp_path, "1 0:1\n", "te.svm")  # index 0 here makes both files 0-based
    tr, te = read_libsvm_files([a, b])
    assert tr.X.shape == (2, 3) and te.X.shape == (1, 3) and tr.zero_based is True
    np.testing.assert_array_equal(tr.X.toarray(), [[0, 1, 1], [0, 0, 1]])
    np.testing.assert_array_equal(te.X.toarray(), [[1, 0, 0]])


@pytest.mark.parametrize(
    "text, line, field, reason",
    [
        ("0 1:abc\n", 1, "feature 1", "value 'abc' is not a number"),
        ("0 1:1\n1 2:nan\n", 2, "feature 2", "value 'nan' is not a finite float32 number"),
        ("2 3 2\n0 0:1\n1 3:1\n", 3, "feature 3", "feature index 3 is out of range 0..2 (the header's feature count)"),
        ("2 3 2\n0 0:1\n2 1:1\n", 3, "labels", "label index 2 is out of range 0..1 (the header's label count)"),
        ("0 1:1 1:2\n", 1, "feature 1", "feature index given twice in one line"),
        ("0.5 1:1\n", 1, "labels", "label '0.5' is not a non-negative integer"),
        ("0 x:1\n", 1, "feature 'x'", "feature index 'x' is not a non-negative integer"),
        ("0 1\n", 1, "token '1'", "'1' is not index:value"),
        ("3 2 2\n0 0:1\n", 1, "header", "the header says 3 rows, the file has 1"),
    ],
)
def test_libsvm_errors_name_file_line_and_field(tmp_path, text, line, field, reason):
    p = write(tmp_path, text, "bad.svm")
    with pytest.raises(FormatError) as ei:
        read_libsvm(p)
    e = ei.value
    assert (e.path, e.line, e.field) == (str(p), line, field)
    assert e.reason.startswith(reason), e.reason
    assert str(e).startswith(f"{p}, line {line}, {field}: ")


def test_libsvm_model_bounds(tmp_path):
    p = write(tmp_path, "3 1:1\n", "m.svm")
    with pytest.raises(FormatError, match=r"line 1, labels: label index 3 is out of range 0..2 \(the model's"):
        read_libsvm(p, n_labels=3, n_features=4)
    d = read_libsvm(write(tmp_path, " 1:1\n", "nolab.svm"), n_labels=3, n_features=4, labels_optional=True)
    assert d.Y is None and d.X.shape == (1, 4)


@pytest.mark.parametrize(
    "text, reason",
    [
        ("1 4 4\n0 0:1\n", "the header says 4 labels, the model predicts 3"),
        ("1 4 4\n 0:1\n", "the header says 4 labels, the model predicts 3"),  # no label in the file: still checked
        ("1 3 3\n0 0:1\n", "the header says 3 features, the model takes 4"),
        ("1 5 3\n0 0:1\n", "the header says 5 features, the model takes 4"),
    ],
)
def test_libsvm_header_must_agree_with_the_model(tmp_path, text, reason):
    p = write(tmp_path, text, "h.svm")
    for zb in ("auto", True, False):
        with pytest.raises(FormatError) as ei:
            read_libsvm(p, zero_based=zb, n_labels=3, n_features=4, labels_optional=True)
        assert str(ei.value) == f"{p}, line 1, header: {reason}"
    d = read_libsvm(write(tmp_path, "1 4 3\n 0:1 3:2\n", "ok.svm"), n_labels=3, n_features=4, labels_optional=True)
    assert d.zero_based is True and d.Y is None and d.X.toarray().tolist() == [[1.0, 0.0, 0.0, 2.0]]


def test_libsvm_auto_zero_based_decides_only_files_without_header_or_index_0(tmp_path):
    plain = write(tmp_path, "0 1:1 3:2\n", "plain.svm")
    assert read_libsvm(plain, n_features=4, n_labels=1).X.toarray().tolist() == [[1.0, 0.0, 2.0, 0.0]]
    d = read_libsvm(plain, n_features=4, n_labels=1, auto_zero_based=True)
    assert d.zero_based is True and d.X.toarray().tolist() == [[0.0, 1.0, 0.0, 2.0]]
    zero = write(tmp_path, "0 0:1 3:2\n", "zero.svm")  # an index 0 is 0-based whatever the fallback
    assert read_libsvm(zero, n_features=4, n_labels=1).X.toarray().tolist() == [[1.0, 0.0, 0.0, 2.0]]
    d = read_libsvm(plain, zero_based=False, n_features=4, n_labels=1, auto_zero_based=True)  # explicit wins
    assert d.zero_based is False and d.X.toarray().tolist() == [[1.0, 0.0, 2.0, 0.0]]


CSV = "id,x1,x2,sport,art\na,0.5,1,1,0\nb,2,0,0,1\n"


def test_csv_labels_by_name_and_by_count(tmp_path):
    p = write(tmp_path, CSV, "d.csv")
    d = read_csv(p, labels=["art", "sport"], drop_columns=["id"])
    assert d.feature_names == ["x1", "x2"] and d.label_names == ["sport", "art"]  # file order
    np.testing.assert_array_equal(d.X.toarray(), [[0.5, 1], [2, 0]])
    np.testing.assert_array_equal(d.Y, [[1, 0], [0, 1]])
    e = read_csv(p, label_count=-2, drop_columns=["id"])
    np.testing.assert_array_equal(e.Y, d.Y)
    t = read_files([write(tmp_path, CSV.replace(",", "\t"), "d.tsv")], labels=["sport", "art"], drop_columns=["id"])[0]
    assert t.format == "tsv"
    np.testing.assert_array_equal(t.X.toarray(), d.X.toarray())


@pytest.mark.parametrize(
    "text, line, field, reason",
    [
        ("x1,sport\n0.5,2\n", 2, "label column 'sport'", "label value '2' is not 0 or 1"),
        ("x1,sport\n0.5,yes\n", 2, "label column 'sport'", "label value 'yes' is not 0 or 1"),
        ("x1,sport\n0.5,1\nabc,0\n", 3, "column 'x1'", "value 'abc' is not a number"),
        ("x1,sport\n,1\n", 2, "column 'x1'", "empty cell"),
        ("x1,sport\n0.5,1,7\n", 2, None, "3 cells, the header has 2"),
    ],
)
def test_csv_errors_name_file_line_and_column(tmp_path, text, line, field, reason):
    p = write(tmp_path, text, "bad.csv")
    with pytest.raises(FormatError) as ei:
        read_csv(p, labels=["sport"])
    assert (ei.value.line, ei.value.field) == (line, field)
    assert ei.value.reason.startswith(reason)


def test_csv_needs_label_columns(tmp_path):
    p = write(tmp_path, CSV, "d.csv")
    with pytest.raises(FormatError, match=r"cannot tell which columns are labels: name them \(--data.labels"):
        read_csv(p)
    with pytest.raises(FormatError, match=r"label column\(s\) \['music'\] are not in the header"):
        read_csv(p, labels=["music"])


def test_detect_format_and_jsonl_hook(tmp_path):
    assert [detect_format(n) for n in ("a.arff", "a.zip", "a.svm", "a.txt", "a.CSV", "a.tsv")] == [
        "arff", "arff", "libsvm", "libsvm", "csv", "tsv"]
    assert detect_format("a.dat", "libsvm") == "libsvm"
    with pytest.raises(FormatError, match="cannot tell the format from the extension '.dat'"):
        detect_format("a.dat")
    p = write(tmp_path, '{"text": "hi", "labels": ["a"]}\n', "t.jsonl")
    with pytest.raises(FormatError, match="jsonl input .* is read by the text task: seal fit --task text-mlc --data.train"):
        read_files([p])


def test_files_must_share_columns(tmp_path):
    a = write(tmp_path, "x1,x2,y\n1,2,1\n", "a.csv")
    b = write(tmp_path, "x1,x3,y\n1,2,1\n", "b.csv")
    with pytest.raises(FormatError, match=r"b.csv: its feature columns differ .*column 1: 'x3' vs 'x2'"):
        read_files([a, b], labels=["y"])
