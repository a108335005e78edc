"""SRL reader on hand-made fixtures of both layouts (tests/data/srl), the vocabulary, overlap and describe()."""

from __future__ import annotations

import pytest

from seal.tasks.srl.data import describe, load_srl_splits
from seal.tasks.srl.reader import (
    SKIP_NO_V, SKIP_TWO_V, SKIP_V_NO_ROLESET, SKIP_WRONG_COLUMNS, SRLFormatError, SRLInstance, read_srl_file,
)
from srl_helpers import DATA, FILES


def test_duplicated_layout_crlf_blocks_without_blank_lines():
    r = read_srl_file(DATA / "train_dup.conll")
    assert r.layout == "duplicated" and r.sentences == 7 and r.sentences_without_predicates == 1
    assert dict(r.skipped) == {SKIP_TWO_V: 1, SKIP_V_NO_ROLESET: 1}
    assert dict(r.dropped_lines) == {"multiword token": 1}
    name = str(DATA / "train_dup.conll")
    assert r.instances == [
        SRLInstance(("The", "cat", "ate", "fish"), 2, "eat.01", ("O", "ARG0", "V", "ARG1"), f"{name}:1"),
        SRLInstance(("John", "said", "Mary", "left"), 1, "say.01", ("ARG0", "V", "O", "ARG1"), f"{name}:5"),
        SRLInstance(("John", "said", "Mary", "left"), 3, "leave.01", ("O", "O", "ARG0", "V"), f"{name}:9"),
        SRLInstance(("do", "n't", "go"), 2, "go.01", ("O", "ARGM-NEG", "V"), f"{name}:16"),
    ]


def test_conllu_layout_skips_malformed_sentences_and_predicates_with_counts():
    r = read_srl_file(DATA / "dev.conllu")
    assert r.layout == "conllu" and r.sentences == 4 and r.sentences_without_predicates == 1
    assert dict(r.skipped) == {SKIP_NO_V: 1, SKIP_WRONG_COLUMNS: 1}
    assert dict(r.dropped_lines) == {"empty node": 1}
    assert [(i.words, i.predicate, i.roleset, i.roles) for i in r.instances] == [
        (("The", "cat", "ate", "fish"), 2, "eat.01", ("O", "ARG0", "V", "ARGM-GOL")),
        (("John", "said", "Mary", "left"), 1, "say.01", ("ARG0", "V", "O", "ARG1")),
    ]
    s = r.summary()
    assert "skipped 1 predicate(s): predicate without V in its own column" in s
    assert "skipped 1 predicate(s): sentence with the wrong number of predicate columns" in s


@pytest.mark.parametrize(
    "name, line, what",
    [
        ("bad_columns.conll", 2, "13 columns; the duplicated layout has at most 12"),
        ("bad_role.conllu", 3, "role 'ARGX' has an unknown syntax"),
        ("mixed.conllu", 4, "mixed layouts"),
    ],
)
def test_bad_blocks_name_file_and_line(name, line, what):
    with pytest.raises(SRLFormatError) as exc:
        read_srl_file(DATA / name)
    assert f"{DATA / name}:{line}: " in str(exc.value) and what in str(exc.value)


def test_missing_file():
    with pytest.raises(FileNotFoundError, match="SRL file not found"):
        read_srl_file(DATA / "nope.conllu")


def test_vocabulary_unseen_labels_and_overlap():
    d = load_srl_splits(files=FILES)
    assert d.labels == ["O", "V", "ARG0", "ARG1", "ARGM-NEG", "ARGM-GOL"]  # dev-only label appended last
    assert dict(d.unseen["val"]) == {"ARGM-GOL": 1} and dict(d.unseen["test"]) == {}
    assert d.overlap == {"train&val": 2, "train&test": 1, "val&test": 1, "train_sentences": 3, "val_sentences": 2,
                         "test_sentences": 1}
    text = describe("fixture", files=FILES)
    assert "roles seen in val but not in train (kept in the gold, never predicted): ARGM-GOL x1" in text
    assert "train&dev 2, train&test 1, dev&test 1" in text
