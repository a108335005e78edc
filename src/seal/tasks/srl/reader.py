"""Reader of PropBank dependency-SRL files: one instance per predicate, both layouts of UP English-EWT.

Two layouts (``/work/shared/data/up_english_ewt/PROVENANCE.md``; the paper's CoNLL-2005/2012 are LDC-licensed
and not available, ``seal-method.md`` B.3, D.3):

* **CoNLL-U + PropBank** (``en_ewt-up-{dev,test}.conllu``): ``#`` comments, a blank line after each sentence,
  10 CoNLL-U columns, column 11 the predicate roleset (``_`` where none), then **one argument column per
  predicate** in sentence order. A sentence without predicates may carry one empty 12th column.
* **duplicated** (the derived train copy ``en_ewt-up-train.duplicated.conll[.zip]``): no comments, no blank lines
  between blocks (a block starts where the token ID goes back to ``1`` or to a multiword range ``1-N``), CRLF,
  every sentence written once **per predicate** with 12 columns (the 11th the rolesets of all its predicates, the
  12th that one predicate's argument column, the predicate marked ``V``); sentences without predicates have <= 11
  columns.

The layout of a file is decided once: a ``#`` comment or a blank line between sentences means CoNLL-U; otherwise
duplicated. A file that mixes them (a token ID going back to 1 without a blank line in a CoNLL-U file) is an error.

Multiword-token lines (``1-2``) and empty nodes (``8.1``) are dropped (they carry no roles here). What is skipped
(malformed sentences and predicates) is counted per reason in :attr:`ReadResult.skipped`, with the first place
of each reason in :attr:`ReadResult.first_skip`, never silently; the callers print these counts
(:meth:`ReadResult.skip_lines`: ``seal fit`` / ``seal predict`` on stderr, ``seal data info``).

Skipped, counted per reason (the issue's "malformed sentences and predicates"; the rest of the file is read):

* :data:`SKIP_WRONG_COLUMNS` (CoNLL-U): a sentence with ``P`` rolesets in column 11 whose rows do not all have
  ``11 + P`` columns (a row one column short or with an extra column): all ``P`` predicates of the sentence;
* :data:`SKIP_NO_V` (CoNLL-U): a predicate whose own argument column does not mark it ``V``;
* :data:`SKIP_TWO_V`, :data:`SKIP_V_NO_ROLESET` (duplicated): a block with two ``V``, or a ``V`` on a token without
  a roleset;
* :data:`SKIP_EMPTY`: a block holding only multiword-token / empty-node lines.

Errors (:class:`SRLFormatError`, one line naming file and line; nothing is read): a line with fewer than 10
columns or a token ID that is not an integer / range / decimal, a duplicated-layout line with more than 12 columns,
a duplicated-layout block mixing rows with and without the argument column, argument columns in a CoNLL-U sentence
without a predicate, a role that does not match :data:`ROLE_RE`, mixed layouts.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "ROLE_RE", "SKIP_EMPTY", "SKIP_NO_V", "SKIP_TWO_V", "SKIP_V_NO_ROLESET", "SKIP_WRONG_COLUMNS", "ReadResult",
    "SRLFormatError", "SRLInstance", "read_srl_file", "read_srl_text",
]

#: a role label: optional continuation / reference prefix, then V, a numbered argument (optionally with a
#: function tag, e.g. ``ARG1-DSP``), ``ARGA`` or an adjunct ``ARGM-XXX``
ROLE_RE = re.compile(r"^(?:[CR]-)?(?:V|ARG[0-5A](?:-[A-Z]+)?|ARGM-[A-Z]+)$")
_ID_RE = re.compile(r"^(\d+)(?:-(\d+)|\.(\d+))?$")

SKIP_WRONG_COLUMNS = "sentence with the wrong number of predicate columns"
SKIP_NO_V = "predicate without V in its own column"
SKIP_TWO_V = "predicate column with more than one V"
SKIP_V_NO_ROLESET = "V on a token without a roleset"
SKIP_EMPTY = "sentence without tokens"


class SRLFormatError(ValueError):
    """A block of an SRL file that does not fit its layout; the message names the file and the line."""


@dataclass(frozen=True)
class SRLInstance:
    """One predicate of one sentence.

    Attributes:
        words: the sentence's word forms (multiword-token lines and empty nodes dropped).
        predicate: 0-based index of the predicate in ``words``.
        roleset: the PropBank roleset (e.g. ``"nominate.01"``).
        roles: one label per word: ``"O"`` (no role), ``"V"`` at the predicate, or a role (``ARG0``, ``ARGM-TMP``,
            ``C-ARG1``, ``R-ARG0``, ...), marked on the argument's head word.
        source: ``"file:line"`` of the sentence's first token line.
    """

    words: tuple[str, ...]
    predicate: int
    roleset: str
    roles: tuple[str, ...]
    source: str = ""


@dataclass
class ReadResult:
    """What :func:`read_srl_file` read: the instances, the layout, counts and the skips per reason."""

    path: str
    layout: str
    instances: list[SRLInstance] = field(default_factory=list)
    sentences: int = 0  # sentences (CoNLL-U) or blocks (duplicated) read
    sentences_without_predicates: int = 0
    dropped_lines: Counter = field(default_factory=Counter)  # "multiword token" / "empty node" -> lines
    skipped: Counter = field(default_factory=Counter)  # reason -> predicates skipped
    first_skip: dict = field(default_factory=dict)  # reason -> "file:line" (+ detail) of its first occurrence
    columns: Counter = field(default_factory=Counter)  # columns per token line -> lines (all token lines)

    def summary(self) -> str:
        """One line per count, for ``seal data info``: the layout, sentences / blocks, predicate instances, then
        :meth:`skip_lines` indented."""
        name = Path(self.path).name
        out = [
            f"{name}: {self.layout} layout, {self.sentences} {'blocks' if self.layout == 'duplicated' else 'sentences'}, "
            f"{len(self.instances)} predicate instances, {self.sentences_without_predicates} without a predicate"
        ]
        out += ["  " + line for line in self.skip_lines()]
        return "\n".join(out)

    def skip_lines(self) -> list[str]:
        """What was dropped or skipped, one line per reason with its count and first place, e.g.
        ``"skipped 2 predicate(s): sentence with the wrong number of predicate columns (first at f.conllu:57: 13
        columns, the sentence's 2 roleset(s) need 13)"``; empty when nothing was."""
        out = [f"dropped {n} {reason} line(s)" for reason, n in sorted(self.dropped_lines.items())]
        for reason, n in sorted(self.skipped.items()):
            where = self.first_skip.get(reason)
            out.append(f"skipped {n} predicate(s): {reason}" + (f" (first at {where})" if where else ""))
        return out

    def why_no_instances(self) -> str:
        """Why :attr:`instances` is empty, in words (for the errors of ``seal fit`` / ``seal predict``); ``""``
        when there are instances."""
        if self.instances:
            return ""
        if self.sentences == 0:
            return "the file holds no token lines (it is empty, or has only comments and blank lines)"
        if self.skipped:
            n = sum(self.skipped.values())
            return f"all {n} predicate(s) were skipped (" + "; ".join(self.skip_lines()) + ")"
        if set(self.columns) == {10}:
            return (f"its {self.sentences} sentence(s) have only the 10 CoNLL-U columns: no predicate columns (no "
                    "roleset column 11, no argument columns), a plain UD file rather than an SRL one")
        return (f"none of its {self.sentences} {'blocks' if self.layout == 'duplicated' else 'sentences'} has a "
                "predicate (no roleset in column 11" + (" / no V in column 12" if self.layout == "duplicated" else "")
                + ")")

    def _skip(self, reason: str, n: int, where: str) -> None:
        self.skipped[reason] += n
        self.first_skip.setdefault(reason, where)


def _open_text(path: Path) -> str:
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as zf:
            members = [n for n in zf.namelist() if not n.startswith("__MACOSX/") and not n.endswith("/")]
            if len(members) != 1:
                raise SRLFormatError(f"{path}: expected one data file in the zip (besides __MACOSX/), found {members}")
            return io.TextIOWrapper(zf.open(members[0]), encoding="utf-8", newline="").read()
    return path.read_text(encoding="utf-8")


def read_srl_file(path: str | Path) -> ReadResult:
    """Read one SRL file (``.conllu``, ``.conll`` or a ``.zip`` holding one) into predicate instances.

    Raises:
        FileNotFoundError: no such file.
        SRLFormatError: see the module docstring (file and line named).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"SRL file not found: {path}")
    return read_srl_text(_open_text(path), str(path))


def _split_lines(text: str) -> list[str]:
    # CRLF and LF alike; a final line without newline is kept
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _detect_layout(lines: list[str]) -> str:
    seen_data = False
    pending_blank = False
    for line in lines:
        if line.startswith("#"):
            return "conllu"
        if not line.strip():
            pending_blank = seen_data
            continue
        if pending_blank:
            return "conllu"  # a blank line between data lines
        seen_data = True
    return "duplicated"


def _token_id(cols: list[str], where: str) -> tuple[int, str]:
    """``(first id, kind)`` with kind ``"word"``, ``"multiword"`` or ``"empty"``."""
    if cols[0].isascii() and cols[0].isdigit():
        return int(cols[0]), "word"
    m = _ID_RE.match(cols[0])
    if not m:
        raise SRLFormatError(f"{where}: token ID {cols[0]!r} is not an integer, a range 'a-b' or an empty node 'a.b'")
    kind = "multiword" if m.group(2) else "empty" if m.group(3) else "word"
    return int(m.group(1)), kind


def _check_role(label: str, where: str) -> None:
    if label != "_" and not ROLE_RE.match(label):
        raise SRLFormatError(f"{where}: role {label!r} has an unknown syntax (expected _, V, ARG0-5/ARGA[-TAG], "
                             "ARGM-XXX, optionally with a C- or R- prefix)")


def read_srl_text(text: str, name: str = "<text>") -> ReadResult:
    """:func:`read_srl_file` on a file's text (``name`` is used in messages and ``source``)."""
    lines = _split_lines(text)
    layout = _detect_layout(lines)
    res = ReadResult(path=name, layout=layout)
    blocks: list[list[tuple[int, list[str], str]]] = []  # [(line number, columns, id kind)]
    cur: list[tuple[int, list[str], str]] = []
    cur_has_word = False
    for lineno, line in enumerate(lines, 1):
        if line.startswith("#"):
            if layout == "conllu" and cur:
                raise SRLFormatError(f"{name}:{lineno}: comment line inside a sentence (no blank line before it)")
            continue
        if not line.strip():
            if cur:
                blocks.append(cur)
                cur, cur_has_word = [], False
            continue
        cols = line.split("\t")
        where = f"{name}:{lineno}"
        res.columns[len(cols)] += 1
        if len(cols) < 10:
            tabs = " (columns are separated by tabs, not spaces)" if len(cols) == 1 and len(line.split()) >= 10 else ""
            raise SRLFormatError(f"{where}: {len(cols)} columns; a token line needs at least the 10 CoNLL-U columns{tabs}")
        first, kind = _token_id(cols, where)
        if layout == "duplicated" and len(cols) > 12:
            raise SRLFormatError(f"{where}: {len(cols)} columns; the duplicated layout has at most 12 (one argument column)")
        starts = first == 1 and kind in ("word", "multiword")
        if starts and cur_has_word:
            if layout == "conllu":
                raise SRLFormatError(
                    f"{where}: token ID goes back to 1 without a blank line in a CoNLL-U file (mixed layouts: "
                    "blank-line-separated sentences and back-to-back blocks)"
                )
            blocks.append(cur)
            cur, cur_has_word = [], False
        cur.append((lineno, cols, kind))
        cur_has_word = cur_has_word or kind == "word"
    if cur:
        blocks.append(cur)
    for block in blocks:
        res.sentences += 1
        if layout == "conllu":
            _conllu_sentence(block, name, res)
        else:
            _duplicated_block(block, name, res)
    return res


def _words(block, name, res):
    """Word rows of a block: [(lineno, cols)] with multiword / empty-node lines counted and dropped."""
    rows = []
    for lineno, cols, kind in block:
        if kind == "multiword":
            res.dropped_lines["multiword token"] += 1
        elif kind == "empty":
            res.dropped_lines["empty node"] += 1
        else:
            rows.append((lineno, cols))
    return rows


def _conllu_sentence(block, name, res: ReadResult) -> None:
    rows = _words(block, name, res)
    if not rows:
        res._skip(SKIP_EMPTY, 1, f"{name}:{block[0][0]}")
        return
    src = f"{name}:{rows[0][0]}"
    preds = [i for i, (_, c) in enumerate(rows) if len(c) > 10 and c[10] not in ("_", "")]
    if not preds:
        res.sentences_without_predicates += 1
        for lineno, cols in rows:
            if len(cols) > 12 or (len(cols) == 12 and cols[11] not in ("", "_")):
                raise SRLFormatError(f"{name}:{lineno}: argument column(s) in a sentence without a predicate")
        return
    want = 11 + len(preds)
    bad = next(((n, c) for n, c in rows if len(c) != want), None)
    if bad is not None:
        res._skip(SKIP_WRONG_COLUMNS, len(preds),
                  f"{name}:{bad[0]}: {len(bad[1])} columns, the sentence's {len(preds)} roleset(s) need {want}")
        return
    words = tuple(c[1] for _, c in rows)
    for j, p in enumerate(preds):
        labels = []
        for lineno, cols in rows:
            lab = cols[11 + j]
            _check_role(lab, f"{name}:{lineno}")
            labels.append(lab)
        if labels[p] != "V":
            res._skip(SKIP_NO_V, 1, f"{name}:{rows[p][0]}")
            continue
        roles = tuple("O" if lab == "_" else lab for lab in labels)
        res.instances.append(SRLInstance(words, p, rows[p][1][10], roles, src))


def _duplicated_block(block, name, res: ReadResult) -> None:
    rows = _words(block, name, res)
    if not rows:
        res._skip(SKIP_EMPTY, 1, f"{name}:{block[0][0]}")
        return
    src = f"{name}:{rows[0][0]}"
    width = {len(c) for _, c in rows}
    if width != {12}:
        if 12 in width:
            lineno = next(n for n, c in rows if len(c) != 12)
            raise SRLFormatError(f"{name}:{lineno}: a block mixes lines with and without the argument column")
        res.sentences_without_predicates += 1
        return
    labels = []
    for lineno, cols in rows:
        _check_role(cols[11], f"{name}:{lineno}")
        labels.append(cols[11])
    vs = [i for i, lab in enumerate(labels) if lab == "V"]
    if not vs:
        res.sentences_without_predicates += 1
        return
    if len(vs) > 1:
        res._skip(SKIP_TWO_V, 1, f"{name}:{rows[vs[1]][0]}")
        return
    p = vs[0]
    roleset = rows[p][1][10]
    if roleset in ("_", ""):
        res._skip(SKIP_V_NO_ROLESET, 1, f"{name}:{rows[p][0]}")
        return
    res.instances.append(SRLInstance(tuple(c[1] for _, c in rows), p, roleset, tuple("O" if l == "_" else l for l in labels), src))
