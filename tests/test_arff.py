"""Tests for seal.data.arff: the shared cases (exact values), every malformed-input path, the
format variants (quotes, BOM, comments, CRLF, locale), Clus hierarchical labels, and the real
MULAN / FunCat files against their PROVENANCE.md counts, with liac-arff as an oracle."""

from __future__ import annotations

import os
import pickle
import re
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from seal.data.arff import ArffData, ArffError, ArffWarning, FeatureColumn, read_arff

nan = float("nan")


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------


def write(tmp_path: Path, text: str, name: str = "t.arff", encoding: str = "utf-8") -> Path:
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


def dense(d: ArffData) -> np.ndarray:
    return d.X.toarray()


def assert_err(path, line, attribute=None, match=None, **kw) -> ArffError:
    """read_arff(path, **kw) must raise ArffError naming the file, the line and the attribute."""
    with pytest.raises(ArffError) as ei:
        read_arff(path, **kw)
    e = ei.value
    msg = str(e)
    assert isinstance(e, ValueError)
    assert str(path) in msg and str(path) in e.path, msg
    if line is None:
        assert e.line is None, msg
    else:
        assert e.line == line and f"line {line}" in msg, msg
    if attribute is not None:
        assert e.attribute == attribute and repr(attribute) in msg, msg
    if match is not None:
        assert re.search(match, msg), msg
    return e


HDR = """@relation 'toy: -C -2'
@attribute f0 numeric
@attribute f1 numeric
@attribute c {red,'dark blue',green}
@attribute y0 {0,1}
@attribute y1 {0,1}
@data
"""  # data starts on line 8


# ---------------------------------------------------------------------------------------------
# the shared cases, exact values
# ---------------------------------------------------------------------------------------------


def test_b01_missing_as_nan(cases_dir):
    d = read_arff(cases_dir / "B01_sparse_omitted_zero.arff", missing="nan")
    np.testing.assert_array_equal(dense(d), [[1.5, 0, 0], [0, -2, 0.25], [0, 0, 0], [nan, 0, 0]])
    np.testing.assert_array_equal(d.Y, [[1, 0], [0, 1], [0, 0], [1, 1]])
    assert d.X.dtype == np.float32 and d.Y.dtype == np.uint8 and sp.isspmatrix_csr(d.X)
    assert d.n_missing == 1
    assert d.feature_names == ["f0", "f1", "f2"] and d.label_names == ["lab_a", "lab_b"]
    assert d.feature_columns == [FeatureColumn("f0", None), FeatureColumn("f1", None),
                                 FeatureColumn("f2", None)]
    assert d.relation == "b01_toy: -C -2"
    assert d.path == str(cases_dir / "B01_sparse_omitted_zero.arff")
    assert d.X.nnz == 4  # omitted entries are not stored; NaN is


def test_b01_missing_is_an_error_by_default(cases_dir):
    p = cases_dir / "B01_sparse_omitted_zero.arff"
    e = assert_err(p, 13, "f0", match="missing")
    assert "line 13" in str(e) and "f0" in str(e)


def test_b01_row_without_labels_is_kept(cases_dir):
    d = read_arff(cases_dir / "B01_sparse_omitted_zero.arff", missing="nan")
    assert d.Y.shape == (4, 2) and d.Y[2].sum() == 0


def test_b01b_label_domain_reversed_warns_and_decodes_by_string(cases_dir):
    p = cases_dir / "B01b_sparse_label_domain_reversed.arff"
    with pytest.warns(ArffWarning, match=r"y0.*\{1,0\}"):
        d = read_arff(p)
    np.testing.assert_array_equal(d.Y, [[1, 1], [0, 0], [1, 0]])
    np.testing.assert_allclose(dense(d), np.array([[0.5, 1], [0.1, 2], [3, 0]], np.float32))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        d2 = read_arff(p, warn_label_domain=False)
    np.testing.assert_array_equal(d2.Y, d.Y)


def test_b02_sparse_quoted_nominal(cases_dir):
    d = read_arff(cases_dir / "B02_sparse_quoted_nominal.arff")
    assert d.feature_names == ["word count", "colour=red", "colour=dark blue", "colour=green"]
    assert d.feature_columns == [FeatureColumn("word count", None), FeatureColumn("colour", "red"),
                                 FeatureColumn("colour", "dark blue"),
                                 FeatureColumn("colour", "green")]
    assert d.label_names == ["topic one", "topic two"]
    X = dense(d)
    np.testing.assert_array_equal(X[:, 0], [3, 0, 7])
    # colour = ['dark blue', 'red', 'red'] (row 3 omits it: first declared value)
    np.testing.assert_array_equal(X[:, 1:], [[0, 1, 0], [1, 0, 0], [1, 0, 0]])
    np.testing.assert_array_equal(d.Y, [[1, 0], [0, 1], [1, 1]])


def test_b03_dense_quoted_spaces_and_comment(cases_dir):
    d = read_arff(cases_dir / "B03_dense_quoted_nominal_spaces.arff")
    np.testing.assert_array_equal(dense(d), np.array([[0.5, 0.001], [-1, 2], [3, 4]], np.float32))
    np.testing.assert_array_equal(d.Y, [[1, 0], [0, 1], [1, 1]])
    assert d.feature_names == ["x1", "x2"] and d.label_names == ["sport", "politics"]


def test_b05_sparse_dense_mixed_labels_first(cases_dir):
    d = read_arff(cases_dir / "B05_sparse_and_dense_mixed.arff")
    np.testing.assert_array_equal(d.Y, [[1, 0, 0], [0, 1, 1], [0, 0, 1], [0, 0, 0]])
    np.testing.assert_array_equal(dense(d), [[0.5, 0, 2], [0, -0.75, 0], [0, 0, 9], [0, 0, 0]])
    assert d.label_names == ["l0", "l1", "l2"] and d.feature_names == ["g0", "g1", "g2"]


def _b05_with_row(cases_dir, tmp_path, row: str) -> Path:
    text = (cases_dir / "B05_sparse_and_dense_mixed.arff").read_text(encoding="utf-8")
    return write(tmp_path, text.rstrip("\n") + "\n" + row + "\n")  # the new row is line 14


def test_b05_out_of_range_sparse_index(cases_dir, tmp_path):
    p = _b05_with_row(cases_dir, tmp_path, "{7 1}")
    assert_err(p, 14, match=r"index 7 out of range")


def test_b05_duplicate_sparse_index(cases_dir, tmp_path):
    p = _b05_with_row(cases_dir, tmp_path, "{0 1, 0 5}")
    assert_err(p, 14, "l0", match=r"index 0 appears twice")


def test_b05_unsorted_indices_accepted(cases_dir, tmp_path):
    p = _b05_with_row(cases_dir, tmp_path, "{5 2, 3 0.5, 0 1}")
    d = read_arff(p)
    np.testing.assert_array_equal(dense(d)[4], [0.5, 0, 2])
    np.testing.assert_array_equal(d.Y[4], [1, 0, 0])


# ---------------------------------------------------------------------------------------------
# label position
# ---------------------------------------------------------------------------------------------

PLAIN = """@relation plain
@attribute a numeric
@attribute b numeric
@attribute l1 {0,1}
@attribute l2 {0,1}
@data
1,2,1,0
{0 3, 3 1}
"""


def test_label_count_positive_and_negative(tmp_path):
    p = write(tmp_path, PLAIN)
    last = read_arff(p, label_count=-2)
    assert last.label_names == ["l1", "l2"] and last.feature_names == ["a", "b"]
    np.testing.assert_array_equal(last.Y, [[1, 0], [0, 1]])
    # MEKA -C 1: the first attribute (numeric, holding 0/1) is the label
    p2 = write(tmp_path, PLAIN.replace("{0 3, 3 1}", "{0 1, 3 1}"), "t2.arff")
    first = read_arff(p2, label_count=1)
    assert first.label_names == ["a"] and first.feature_names == ["b", "l1", "l2"]
    np.testing.assert_array_equal(first.Y, [[1], [1]])
    # in PLAIN, 'a' holds 3 on line 8, which is not a label value
    assert_err(p, 8, "a", match="not 0 or 1", label_count=1)


def test_label_names_and_mulan_xml(tmp_path):
    p = write(tmp_path, PLAIN)
    x = write(tmp_path, '<?xml version="1.0" encoding="utf-8"?>\n'
              '<labels xmlns="http://mulan.sourceforge.net/labels">\n'
              '<label name="l2"></label>\n<label name="l1"/>\n</labels>\n', "t.xml")
    a = read_arff(p, xml=x)
    b = read_arff(p, label_names=["l2", "l1"])
    c = read_arff(p, label_count=-2, label_names=["l1", "l2"], xml=x)
    for d in (a, b, c):  # Y columns follow the file's declaration order
        assert d.label_names == ["l1", "l2"]
        np.testing.assert_array_equal(d.Y, [[1, 0], [0, 1]])


def test_label_sources_must_agree(tmp_path, cases_dir):
    b01 = cases_dir / "B01_sparse_omitted_zero.arff"
    read_arff(b01, label_count=-2, missing="nan")  # agrees with '-C -2'
    # explicit options win over the MEKA header (tests/test_userdata.py covers the stale-header class)
    with pytest.warns(ArffWarning, match="label_count=2 selects the first 2 attributes"):
        assert_err(b01, 10, "f0", match="label value '1.5' is not 0 or 1", label_count=2)
    p = write(tmp_path, PLAIN)
    assert_err(p, 1, match="contradicts", label_count=-1, label_names=["l1", "l2"])


def test_no_label_information_is_an_error(tmp_path):
    p = write(tmp_path, PLAIN)
    assert_err(p, 1, match="label_count=.*label_names=.*xml=")


def test_label_option_errors(tmp_path):
    p = write(tmp_path, PLAIN)
    assert_err(p, None, "zz", match="not an attribute", label_names=["zz"])
    assert_err(p, None, match="non-zero", label_count=0)
    assert_err(p, None, match="at most", label_count=-5)
    assert_err(p, 4, "l1", match="both a label and in drop_attributes", label_count=-2,
               drop_attributes=["l1"])
    assert_err(p, None, "nope", match="drop_attributes", label_count=-2, drop_attributes=["nope"])
    bad_xml = write(tmp_path, "<labels><label name='l1'></labels>", "bad.xml")
    e = assert_err_xml(p, bad_xml)
    assert e.line == 1
    unk_xml = write(tmp_path, "<labels><label name='l9'/></labels>", "unk.xml")
    with pytest.raises(ArffError, match="l9"):
        read_arff(p, xml=unk_xml)
    assert_err(p, None, match="hierarchy_root", label_count=-2, hierarchy_root=True)


def assert_err_xml(p, xml_path) -> ArffError:
    with pytest.raises(ArffError) as ei:
        read_arff(p, xml=xml_path)
    assert str(xml_path) in str(ei.value) and "line 1" in str(ei.value)
    return ei.value


def test_label_domain_not_binary_is_an_error(tmp_path):
    p = write(tmp_path, PLAIN.replace("@attribute l2 {0,1}", "@attribute l2 {0,1,2}"))
    assert_err(p, 5, "l2", match=r"domain \{0,1\}", label_count=-2)
    p = write(tmp_path, PLAIN.replace("@attribute l2 {0,1}", "@attribute l2 {no,yes}"), "b.arff")
    assert_err(p, 5, "l2", label_count=-2)


def test_labels_decoded_by_string_quoted_or_not(tmp_path):
    p = write(tmp_path, """@relation 'q: -C -2'
@attribute a numeric
@attribute y0 {'0',"1"}
@attribute y1 {1,0}
@data
1,'1',"0"
2,"1",1
3,1,'1'
{0 4, 1 '1'}
""")
    with pytest.warns(ArffWarning):
        d = read_arff(p)
    np.testing.assert_array_equal(d.Y, [[1, 0], [1, 1], [1, 1], [1, 1]])


def test_numeric_label_attributes(tmp_path):
    p = write(tmp_path, "@relation 'n: -C 2'\n@attribute y0 numeric\n@attribute y1 real\n"
              "@attribute x numeric\n@data\n1,0.0,5\n{1 1.0, 2 -1}\n{}\n")
    d = read_arff(p)
    np.testing.assert_array_equal(d.Y, [[1, 0], [0, 1], [0, 0]])
    np.testing.assert_array_equal(dense(d), [[5], [-1], [0]])


def test_missing_value_in_label_is_always_an_error(tmp_path):
    p = write(tmp_path, HDR + "1,2,red,?,0\n")
    assert_err(p, 8, "y0", match="label")
    assert_err(p, 8, "y0", match="label", missing="nan")


# ---------------------------------------------------------------------------------------------
# features: encodings, Weka sparse defaults, missing values
# ---------------------------------------------------------------------------------------------


def test_binary_and_yes_no_nominals_are_single_columns(tmp_path):
    p = write(tmp_path, """@relation 'enc: -C -1'
@attribute w {0,1}
@attribute r {1,0}
@attribute m {YES,NO}
@attribute n {NO,YES}
@attribute k {a,b}
@attribute y {0,1}
@data
1,0,NO,YES,b,1
{}
{0 1, 1 1, 2 YES, 3 NO, 4 a}
""")
    d = read_arff(p)
    assert d.feature_names == ["w", "r", "m", "n", "k=a", "k=b"]
    assert d.feature_columns[:4] == [FeatureColumn(x, None) for x in "wrmn"]
    # row 2 omits everything: first declared values 0, 1, YES, NO, a
    np.testing.assert_array_equal(dense(d), [[1, 0, 0, 1, 0, 1], [0, 1, 1, 0, 1, 0],
                                            [1, 1, 1, 0, 1, 0]])
    np.testing.assert_array_equal(d.Y, [[1], [0], [0]])


def test_missing_values_in_every_feature_kind(tmp_path):
    p = write(tmp_path, """@relation 'm: -C -1'
@attribute x numeric
@attribute b {0,1}
@attribute m {YES,NO}
@attribute c {a,b,c}
@attribute y {0,1}
@data
?,?,?,?,1
{0 2, 3 ?}
""")
    e = assert_err(p, 8, "x", match="missing='nan'")
    assert e.attribute == "x"
    d = read_arff(p, missing="nan")
    assert d.n_missing == 5
    np.testing.assert_array_equal(dense(d), [[nan] * 6, [2, 0, 1, nan, nan, nan]])
    np.testing.assert_array_equal(d.Y, [[1], [0]])


def test_quoted_question_mark_is_a_value(tmp_path):
    p = write(tmp_path, "@relation 'q: -C -1'\n@attribute c {'?',x}\n@attribute y {0,1}\n"
              "@data\n'?',1\nx,0\n?,0\n")
    d = read_arff(p, missing="nan")
    np.testing.assert_array_equal(dense(d), [[1, 0], [0, 1], [nan, nan]])
    assert d.n_missing == 1


def test_string_and_date_attributes_must_be_dropped(tmp_path):
    text = ("@relation 's: -C -1'\n@attribute id string\n@attribute when date 'yyyy-MM-dd'\n"
            "@attribute x numeric\n@attribute y {0,1}\n@data\n'doc 1','2020-01-01',3,1\n"
            "\"doc, 2\",?,4,0\n")
    p = write(tmp_path, text)
    assert_err(p, 2, "id", match="drop_attributes")
    d = read_arff(p, drop_attributes=["id", "when"])
    assert d.feature_names == ["x"]
    np.testing.assert_array_equal(dense(d), [[3], [4]])
    assert d.n_missing == 0  # '?' in a dropped attribute is not a feature value


def test_dropped_attributes_are_still_checked(tmp_path):
    p = write(tmp_path, "@relation 'd: -C -1'\n@attribute id {p1,p2}\n@attribute x numeric\n"
              "@attribute y {0,1}\n@data\np1,1,0\np3,2,1\n")
    assert_err(p, 7, "id", match="unknown nominal value 'p3'", drop_attributes=["id"])


# ---------------------------------------------------------------------------------------------
# syntax variants
# ---------------------------------------------------------------------------------------------


def test_comments_blank_lines_case_crlf_and_stray_spaces(tmp_path):
    text = ("% leading comment\r\n\r\n@RELATION 'v: -C -1'\r\n% c\r\n@Attribute a NUMERIC\r\n"
            "@ATTRIBUTE\tb\tinteger\r\n@attribute c Real % trailing comment\r\n"
            "@attribute 'y' { 0 , 1 }\r\n\r\n@Data\r\n% comment\r\n"
            "  1 , 2 ,3 , 1  \r\n\r\n{ 0 4 ,  2   5 , 3 1 }  % trailing\r\n"
            "6,7,8,0 % trailing comment\r\n\t{ }\r\n")
    d = read_arff(write(tmp_path, text))
    np.testing.assert_array_equal(dense(d), [[1, 2, 3], [4, 0, 5], [6, 7, 8], [0, 0, 0]])
    np.testing.assert_array_equal(d.Y, [[1], [1], [0], [0]])
    assert d.label_names == ["y"]


def test_escapes_in_quoted_names_and_values(tmp_path):
    p = write(tmp_path, "@relation 'e: -C -1'\n@attribute 'it\\'s' {'a,b','c\\\\d',\"q\\\"\"}\n"
              "@attribute y {0,1}\n@data\n'a,b',1\n'c\\\\d',0\n\"q\\\"\",1\n")
    d = read_arff(p)
    assert d.feature_names == ["it's=a,b", "it's=c\\d", 'it\'s=q"']
    np.testing.assert_array_equal(dense(d), np.eye(3))


BOM_TEXT = ("\ufeff% BOM, non-ASCII names\n@relation 'ünïcode: -C -1'\n"
            "@attribute 'größe m²' numeric\n@attribute 'farbe' {'grün','blau'}\n"
            "@attribute 'étiquette 1' {0,1}\n@data\n1.5,'grün',1\n{0 -2.5, 1 'blau'}\n"
            "{1 grün, 2 1}\n")


def test_bom_and_non_ascii_quoted_names(tmp_path):
    d = read_arff(write(tmp_path, BOM_TEXT))
    assert d.relation == "ünïcode: -C -1"
    assert d.feature_names == ["größe m²", "farbe=grün", "farbe=blau"]
    assert d.label_names == ["étiquette 1"]
    np.testing.assert_array_equal(dense(d), [[1.5, 1, 0], [-2.5, 0, 1], [0, 1, 0]])
    np.testing.assert_array_equal(d.Y, [[1], [0], [1]])


def test_result_does_not_depend_on_locale(tmp_path):
    """Decoding is explicit UTF-8 and numbers use float(): an ASCII/POSIX locale changes nothing."""
    p = write(tmp_path, BOM_TEXT)
    code = ("import sys, locale; from seal.data.arff import read_arff; "
            "d = read_arff(sys.argv[1]); print(locale.getpreferredencoding(False), "
            "d.feature_names, d.X.toarray().tolist(), d.Y.tolist())")
    env = dict(os.environ, LC_ALL="POSIX", LANG="POSIX", PYTHONUTF8="0",
               PYTHONCOERCECLOCALE="0", PYTHONIOENCODING="utf-8")
    out = subprocess.run([sys.executable, "-c", code, str(p)], env=env, capture_output=True,
                         text=True, encoding="utf-8", check=True).stdout
    d = read_arff(p)
    assert out.split(" ", 1)[1].strip() == f"{d.feature_names} {dense(d).tolist()} {d.Y.tolist()}"


def test_zip_source_and_nothing_written(tmp_path):
    z = tmp_path / "one.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("inner/one.arff", HDR + "1,2,red,1,0\n")
        zf.writestr("README.txt", "not arff")
    before = sorted(os.listdir(tmp_path))
    d = read_arff(z)
    assert sorted(os.listdir(tmp_path)) == before
    np.testing.assert_array_equal(dense(d), [[1, 2, 1, 0, 0]])
    assert d.path == str(z)
    with zipfile.ZipFile(tmp_path / "two.zip", "w") as zf:
        zf.writestr("a.arff", HDR)
        zf.writestr("b.arff", HDR)
    assert_err(tmp_path / "two.zip", None, match="exactly one")
    (tmp_path / "bad.zip").write_bytes(b"PK\x03\x04 not a zip")
    assert_err(tmp_path / "bad.zip", None, match="zip")
    with zipfile.ZipFile(tmp_path / "err.zip", "w") as zf:
        zf.writestr("e.arff", HDR + "1,2,blue,1,0\n")
    e = assert_err(tmp_path / "err.zip", 8, "c", match="unknown nominal value 'blue'")
    assert e.path.endswith("err.zip!e.arff")


def test_arff_error_pickles():
    e = ArffError("bad", path="f.arff", line=3, attribute="a")
    e2 = pickle.loads(pickle.dumps(e))
    assert (e2.path, e2.line, e2.attribute, str(e2)) == ("f.arff", 3, "a", str(e))
    assert str(e) == "f.arff, line 3, attribute 'a': bad"


# ---------------------------------------------------------------------------------------------
# malformed input: every path raises ArffError naming file and line
# ---------------------------------------------------------------------------------------------

DATA_ERRORS = [
    # (data rows after the header (first row is line 8), line, attribute, message regex)
    ("1,2,red,1\n", 8, None, "expected 5 comma-separated values, found 4"),
    ("1,2,red,1,0,7\n", 8, None, "found 6"),
    ("1,2,red,1,0\n1.2.3,2,red,1,0\n", 9, "f0", "bad number '1.2.3'"),
    ("abc,2,red,1,0\n", 8, "f0", "bad number 'abc'"),
    ("1,nan,red,1,0\n", 8, "f1", r"bad number 'nan' \(use '\?'"),
    ("1,inf,red,1,0\n", 8, "f1", "bad number 'inf'"),
    ("1,1_0,red,1,0\n", 8, "f1", "bad number '1_0'"),
    ("1,,red,1,0\n", 8, "f1", "empty value"),
    ("1,1e39,red,1,0\n", 8, "f1", "float32 range"),
    ("1,2,blue,1,0\n", 8, "c", "unknown nominal value 'blue'"),
    ("1,2,red,2,0\n", 8, "y0", "unknown nominal value '2'"),
    ("1,2,red,1,0\n{0 1, 5 1}\n", 9, None, "index 5 out of range"),
    ("{0 1, 3 1, 0 2}\n", 8, "f0", "index 0 appears twice"),
    ("{0 1, 1 2\n", 8, None, "missing '}'"),
    ("1,2,red,1,0\n{0 1, 1 2, 3", 9, "y0", "missing '}'"),  # truncated file
    ("1,2,'dark blue,1,0\n", 8, "c", "unterminated quoted string"),
    ("{0 1, 2 'dark blue}\n", 8, "c", "unterminated quoted string"),
    ("{a 1}\n", 8, None, "expected an attribute index"),
    ("{0}\n", 8, "f0", "expected '<index> <value>'"),
    ("{0 1,}\n", 8, None, "expected an attribute index"),
    ("{0 1 2, 3 1}\n", 8, "f0", "unexpected"),
    ("{0 1} 7\n", 8, None, "unexpected text after '}'"),
    ("1,2,'red' x,1,0\n", 8, "c", "after a quoted value"),
    ("1,2,red,1,0\n1,2", 9, None, "found 2"),  # truncated dense row
    ("-1,2,red,1,0\n{-1 2}\n", 9, None, "expected an attribute index"),
    ("{0 1\u00a02}\n", 8, "f0", "bad number"),  # no-break space is not a separator
    ("{0 \u0661}\n", 8, "f0", "bad number"),  # non-ASCII digit
]


@pytest.mark.parametrize("rows,line,attribute,match", DATA_ERRORS,
                         ids=[f"data{k}" for k in range(len(DATA_ERRORS))])
def test_malformed_data_rows(tmp_path, rows, line, attribute, match):
    p = write(tmp_path, HDR + rows)
    assert_err(p, line, attribute, match)


HEADER_ERRORS = [
    ("@relation r\n@attribute a numeric\n@attribute y {0,1}\n1,0\n", 4, None,
     "expected @relation, @attribute or @data"),
    ("@relation 'r: -C -1'\n@attribute a numeric\n@attribute y {0,1}\n", 3, None, "no @data"),
    ("@relation 'r: -C -1'\n@attribute a numeric\n@attribute y {0,1}\n% only\n\n", 5, None,
     "no @data"),
    ("@relation r\n@data\n", 2, None, "@data before any @attribute"),
    ("@relation r\n@attribute a\n@data\n", 2, "a", "without a type"),
    ("@relation r\n@attribute\n@data\n", 2, None, "without a name"),
    ("@relation r\n@attribute a bogus\n@data\n", 2, "a", "unknown attribute type 'bogus'"),
    ("@relation r\n@attribute a {x,y\n@data\n", 2, "a", "missing '}'"),
    ("@relation r\n@attribute a {}\n@data\n", 2, "a", "empty nominal"),
    ("@relation r\n@attribute a {x,,y}\n@data\n", 2, "a", "empty value"),
    ("@relation r\n@attribute a {x,y,x}\n@data\n", 2, "a", "duplicate nominal value 'x'"),
    ("@relation r\n@attribute a {x,y} junk\n@data\n", 2, "a", "unexpected text"),
    ("@relation r\n@attribute a numeric junk\n@data\n", 2, "a", "unexpected text"),
    ("@relation r\n@attribute a relational\n@data\n", 2, "a", "relational"),
    ("@relation r\n@attribute 'a numeric\n@data\n", 2, None, "unterminated"),
    ("@relation 'r\n@attribute a numeric\n@data\n", 1, None, "unterminated"),
    ("@relation r\n@attribute a numeric\n@foo x\n@data\n", 3, None, "unknown keyword @foo"),
    ("@relation r\n@attribute a numeric\n@data junk\n", 3, None, "unexpected text after @data"),
    ("@relation r\n@attribute a hierarchical 01,,02\n@data\n", 2, "a", "empty node"),
    ("@relation r\n@attribute a hierarchical 01,01/02,01\n@data\n", 2, "a", "duplicate"),
    ("@relation r\n@attribute a hierarchical 01,01/02/03\n@data\n", 2, "a",
     "'01/02' .*not declared"),
    ("@relation r\n@attribute x numeric\n@attribute a hierarchical 01\n"
     "@attribute b hierarchical 02\n@data\n", 4, "b", "more than one hierarchical"),
]


@pytest.mark.parametrize("text,line,attribute,match", HEADER_ERRORS,
                         ids=[f"header{k}" for k in range(len(HEADER_ERRORS))])
def test_malformed_header(tmp_path, text, line, attribute, match):
    assert_err(write(tmp_path, text), line, attribute, match)


def test_invalid_utf8(tmp_path):
    p = tmp_path / "bad.arff"
    p.write_bytes((HDR + "1,2,red,1,0\n").encode() + b"\xff\xfe,2,red,1,0\n")
    assert_err(p, 9, match="UTF-8")


def test_first_error_in_file_order_is_reported(tmp_path):
    # a numeric label holding 2 (line 7) comes before a bad number (line 8)
    p = write(tmp_path, "@relation 'o: -C 1'\n@attribute y numeric\n@attribute x numeric\n"
              "@data\n1,1\n0,2\n2,3\n1,x\n", "o.arff")
    assert_err(p, 7, "y", "label value '2' is not 0 or 1")
    # a bad value on line 8 comes before a structural error on line 10 and a '?' on line 9
    p = write(tmp_path, HDR + "1,x,red,1,0\n?,2,red,1,0\n{9 1}\n")
    assert_err(p, 8, "f1", "bad number 'x'")
    p = write(tmp_path, HDR + "1,2,red,1,0\n?,2,red,1,0\n1,2,blue,1,0\n", "b.arff")
    assert_err(p, 9, "f0", "missing")


# ---------------------------------------------------------------------------------------------
# Clus HMC hierarchical labels
# ---------------------------------------------------------------------------------------------

HIER = """@RELATION 'toy.names'

@ATTRIBUTE x1      numeric
@ATTRIBUTE colour  {A,B,A-D}
@ATTRIBUTE class   hierarchical 01,01/01,01/02,02,02/05,02/05/07

@DATA
0.5,A,01/01@02/05/07
?,B,02
1.0,?,01/02@01/01
"""


def test_hierarchical_labels_are_ancestor_closed(tmp_path):
    p = write(tmp_path, HIER)
    d = read_arff(p, missing="nan")
    assert d.label_names == ["01", "01/01", "01/02", "02", "02/05", "02/05/07"]
    np.testing.assert_array_equal(d.Y, [[1, 1, 0, 1, 1, 1], [0, 0, 0, 1, 0, 0],
                                        [1, 1, 1, 0, 0, 0]])
    assert d.feature_names == ["x1", "colour=A", "colour=B", "colour=A-D"]
    np.testing.assert_array_equal(dense(d), [[0.5, 1, 0, 0], [nan, 0, 1, 0], [1, nan, nan, nan]])
    assert d.n_missing == 2
    r = read_arff(p, missing="nan", hierarchy_root=True)
    assert r.label_names == ["root"] + d.label_names
    np.testing.assert_array_equal(r.Y[:, 0], 1)
    np.testing.assert_array_equal(r.Y[:, 1:], d.Y)
    read_arff(p, missing="nan", label_names=["class"])  # agrees with the hierarchical attribute
    assert_err(p, 1, match="contradicts", missing="nan", label_count=-2)


def test_hierarchical_errors(tmp_path):
    assert_err(write(tmp_path, HIER + "1,A,03/01\n"), 11, "class", "unknown hierarchy node '03/01'",
               missing="nan")
    assert_err(write(tmp_path, HIER + "1,A,?\n", "b.arff"), 11, "class", "label", missing="nan")
    assert_err(write(tmp_path, HIER + "{0 1}\n", "c.arff"), 11, "class", "omits the hierarchical",
               missing="nan")
    p = write(tmp_path, HIER.replace("@ATTRIBUTE class", "@ATTRIBUTE y {0,1}\n@ATTRIBUTE class")
              .replace("\n0.5,A,", "\n0.5,A,0,"), "d.arff")
    assert_err(p, 1, None, "hierarchical attribute contradicts label_names", label_names=["y"])


# ---------------------------------------------------------------------------------------------
# real data (skipped when SEAL_DATA_DIR is absent)
# ---------------------------------------------------------------------------------------------


def _provenance_rows(folder: Path) -> list[list[str]]:
    rows = []
    for line in (folder / "PROVENANCE.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells and re.fullmatch(r"`[^`]+\.arff(\.zip)?`", cells[0]):
            rows.append([cells[0].strip("`")] + cells[1:])
    return rows


MULAN = ["bibtex", "delicious", "genbase", "cal500", "yeast", "scene", "emotions", "enron"]


@pytest.mark.realdata
@pytest.mark.parametrize("name", MULAN)
def test_real_mulan_files_match_provenance(data_dir, name):
    folder = data_dir / name
    rows = _provenance_rows(folder)
    assert rows, f"no file table in {folder / 'PROVENANCE.md'}"
    xml = next((folder / "mulan").glob("*.xml"))
    for fname, _bytes, _sha, n, feats, labels, card, *_ in rows:
        drop = ["protein"] if name == "genbase" else []  # genbase: id attribute, not a feature
        d = read_arff(folder / "mulan" / fname, xml=xml, drop_attributes=drop)
        assert d.X.shape == (int(n), int(feats) - len(drop)), fname
        assert d.Y.shape == (int(n), int(labels)), fname
        assert abs(float(d.Y.sum(1).mean()) - float(card)) < 6e-4, fname
        assert d.X.dtype == np.float32 and d.Y.dtype == np.uint8
        assert np.isfinite(d.X.data).all() and d.n_missing == 0


@pytest.mark.realdata
def test_real_label_order_follows_the_file(data_dir):
    # yeast.xml lists Class1..Class14 in another order; Y columns follow the ARFF declaration
    d = read_arff(data_dir / "yeast/mulan/yeast-test.arff", xml=data_dir / "yeast/mulan/yeast.xml")
    assert d.label_names == [f"Class{k}" for k in range(1, 15)]
    assert read_arff(data_dir / "yeast/mulan/yeast-test.arff", label_count=-14).label_names == \
        d.label_names


@pytest.mark.realdata
def test_real_genbase_yes_no_decoded_by_string(data_dir):
    p = data_dir / "genbase/mulan/genbase-test.arff"
    d = read_arff(p, label_count=-27, drop_attributes=["protein"])
    data = p.read_text(encoding="utf-8").split("@data", 1)[1]
    assert d.X.sum() == len(re.findall(r"\bYES\b", data)) > 0
    assert len(d.feature_names) == 1185 and "protein" not in d.feature_names


FUNCAT = ["expr_fun", "spo_fun"]


@pytest.mark.realdata
@pytest.mark.parametrize("name", FUNCAT)
def test_real_funcat_zips_match_provenance(data_dir, name):
    folder = data_dir / name
    rows = _provenance_rows(folder)
    assert len(rows) == 3
    expected_d = {"expr_fun": 561, "spo_fun": 86}[name]
    for fname, _zb, _zs, _ab, _as, n, attrs, onehot, nodes, avg, used, mfrac in rows:
        d = read_arff(folder / fname, missing="nan", hierarchy_root=True)
        n_attr = int(attrs.split()[0])
        assert d.X.shape == (int(n), int(onehot)) == (int(n), expected_d), fname
        assert d.Y.shape == (int(n), int(nodes) + 1) == (int(n), 500), fname
        assert d.label_names[0] == "root" and (d.Y[:, 0] == 1).all()
        assert abs(float(d.Y[:, 1:].sum(1).mean()) - float(avg)) < 6e-4, fname
        assert int((d.Y[:, 1:].sum(0) > 0).sum()) == int(used), fname
        assert abs(d.n_missing / (int(n) * n_attr) - float(mfrac)) < 6e-5, fname
        assert int(np.isnan(d.X.data).sum()) >= d.n_missing


def _liac_oracle(path: Path, n_labels: int, sparse: bool):
    arff = pytest.importorskip("arff")
    with open(path, encoding="utf-8") as f:
        d = arff.load(f, return_type=arff.COO if sparse else arff.DENSE, encode_nominal=True)
    n_attr = len(d["attributes"])
    if sparse:
        vals, rows, cols = d["data"]
        M = sp.csr_matrix((np.asarray(vals, np.float64), (rows, cols)),
                          shape=(max(rows) + 1, n_attr)).toarray()
    else:
        M = np.asarray(d["data"], dtype=np.float64)
    return M[:, : n_attr - n_labels].astype(np.float32), M[:, n_attr - n_labels:]


@pytest.mark.realdata
@pytest.mark.parametrize("rel,n_labels,sparse", [("enron/mulan/enron.arff", 53, True),
                                                 ("emotions/mulan/emotions.arff", 6, False)])
def test_real_files_agree_with_liac_arff(data_dir, rel, n_labels, sparse):
    d = read_arff(data_dir / rel, label_count=-n_labels)
    Xo, Yo = _liac_oracle(data_dir / rel, n_labels, sparse)
    n = d.X.shape[0]
    assert Xo.shape[0] <= n
    Xo = np.vstack([Xo, np.zeros((n - Xo.shape[0], Xo.shape[1]), np.float32)])
    Yo = np.vstack([Yo, np.zeros((n - Yo.shape[0], Yo.shape[1]))])
    np.testing.assert_array_equal(dense(d), Xo)
    np.testing.assert_array_equal(d.Y, Yo.astype(np.uint8))


# ---------------------------------------------------------------------------------------------
# randomized round trip: random values, random sparse/dense rows, quoting and spacing
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(6))
def test_random_round_trip(tmp_path, seed):
    rng = np.random.default_rng(seed)
    n, n_num, n_lab = int(rng.integers(1, 40)), int(rng.integers(0, 6)), int(rng.integers(1, 5))
    colours = ["red", "dark blue", "grün", "x,y"]
    num = np.round(rng.normal(size=(n, n_num)) * (rng.random((n, n_num)) < 0.5), 3)
    col = rng.integers(0, len(colours), size=n)
    bag = (rng.random(n) < 0.3).astype(int)
    Y = (rng.random((n, n_lab)) < 0.4).astype(np.uint8)
    names = [f"n{j}" for j in range(n_num)] + ["colour", "w"] + [f"y {j}" for j in range(n_lab)]
    q = lambda v: "'" + v.replace("\\", "\\\\").replace("'", "\\'") + "'"  # noqa: E731
    head = [f"@RELATION 'rt: -C -{n_lab}'"]
    types = ["numeric", "REAL", "Integer"]
    head += [f"@ATTRIBUTE {nm} {rng.choice(types)}" for nm in names[:n_num]]
    head += ["@attribute colour {" + ",".join(q(c) for c in colours) + "}",
             "@attribute w {0, 1}"] + [f"@attribute {q(nm)} {{0,1}}" for nm in names[-n_lab:]]
    rows = []
    for i in range(n):
        vals = [repr(float(v)) for v in num[i]] + [q(colours[col[i]]), str(bag[i])]
        vals += [rng.choice(["1", "'1'", '"1"']) if y else "0" for y in Y[i]]
        if rng.random() < 0.5:
            items = [(k, v) for k, v in enumerate(vals)
                     if not (v in ("0", "0.0", "-0.0") or (k == n_num and col[i] == 0))]
            rng.shuffle(items)
            sep = rng.choice([",", ", ", " ,  "])
            rows.append("{" + sep.join(f"{k} {v}" for k, v in items) + "}")
        else:
            rows.append(rng.choice([",", ", "]).join(vals))
        if rng.random() < 0.2:
            rows.append("% a comment")
    p = write(tmp_path, "\n".join(head + ["@DATA"] + rows) + "\n")
    d = read_arff(p)
    onehot = np.eye(len(colours))[col]
    expected = np.hstack([num, onehot, bag[:, None]]).astype(np.float32)
    np.testing.assert_array_equal(dense(d), expected)
    np.testing.assert_array_equal(d.Y, Y)
    assert d.label_names == names[-n_lab:]
    assert d.feature_names == names[:n_num] + [f"colour={c}" for c in colours] + ["w"]
