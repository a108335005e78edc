"""A small, strict and fast reader for multi-label ARFF files (Weka / MEKA / MULAN / Clus HMC).

Why our own reader: ``liac-arff`` is unmaintained and mishandles several inputs we must read
(UTF-8 byte-order marks, Clus ``hierarchical`` attributes, duplicate sparse indices are silently
accepted) and ``scipy.io.arff`` cannot read sparse rows.  ``liac-arff`` stays in the test suite
as an oracle.

Formats and references
----------------------
* **ARFF** (Weka): ``@relation``, ``@attribute <name> <type>``, ``@data``; keywords are
  case-insensitive; ``%`` starts a comment; names and values may be quoted with ``'`` or ``"``
  (backslash escapes ``\\' \\" \\\\ \\t \\n \\r \\%``).  Dense rows are comma-separated
  values; a row that starts with ``{`` is *sparse*: ``{index value, ...}`` with 0-based attribute
  indices, in any order.  Weka rule for entries omitted from a sparse row: numeric attributes
  take 0, nominal ones take their **first declared value**.  ``?`` is the only missing-value
  marker.
  Spec: https://waikato.github.io/weka-wiki/formats_and_processing/arff_stable/ and
  https://waikato.github.io/weka-wiki/formats_and_processing/arff_developer/ (sparse ARFF).
* **MEKA** (https://waikato.github.io/meka/datasets/): the relation name carries the label
  position, e.g. ``@relation 'scene: -C 6'``: ``-C n`` with n > 0 means the labels are the FIRST n
  attributes, ``-C -n`` the LAST n.
* **MULAN** (http://mulan.sourceforge.net/format.html): labels are named in a separate XML file
  ``<labels xmlns="http://mulan.sourceforge.net/labels"><label name="..."/>...</labels>``
  (labels may be nested; every ``label`` element counts).
* **Clus HMC** (Clus manual, DTAI KU Leuven, https://dtai.cs.kuleuven.be/clus/): the class attribute
  is declared ``@ATTRIBUTE class hierarchical n1,n2,...`` with tree nodes written as paths
  (``01/01/03``); a data value lists the annotated paths separated by ``@``
  (``01/01/03@42/01``).  Only tree hierarchies with ``/`` paths (FunCat) are supported.

Conventions fixed by this reader
--------------------------------
* Label columns (``Y``) follow the order in which the attributes are declared in the file,
  whatever the order of ``label_names`` or of the MULAN XML file.  For a hierarchical attribute the
  labels are the declared nodes in declaration order (after the artificial root when
  ``hierarchy_root=True``).
* Labels are decoded by value **string** (``'1'``, ``"1"`` and ``1`` are the same value), never by
  the position of the value in the declared domain.  A nominal label must have the domain {0,1}
  (in any order); a numeric label must only hold 0 or 1.
* Feature encoding (recorded in :attr:`ArffData.feature_columns`):

  - numeric / real / integer attribute -> one column (``FeatureColumn(name, None)``);
  - nominal attribute whose declared domain is exactly the strings {"0","1"} (bag-of-words data such
    as bibtex, delicious, enron) -> one numeric column holding ``float(value)``;
  - nominal attribute whose declared domain is exactly {"YES","NO"} (genbase PROSITE motifs) -> one
    numeric column, YES -> 1, NO -> 0 (decoded by string; genbase declares YES first);
  - any other nominal attribute -> one-hot, one column per declared value, named
    ``f"{attr}={value}"`` (``FeatureColumn(attr, value)``).

  An omitted sparse entry takes the first declared value, so ``{1,0}``/``{YES,NO}`` attributes
  default to 1 and one-hot attributes to their first value's column.
* Duplicate attribute names are accepted (the Clus expr_FUN files declare
  ``gasch1_Heat_Shock_000_minutes__hs_2`` twice), so ``feature_names`` may repeat a name; naming
  such an attribute in ``label_names``, ``xml`` or ``drop_attributes`` is an error (ambiguous).
* ``string`` and ``date`` attributes cannot be features or labels: list them in ``drop_attributes``.
* Numbers are parsed with :func:`float` (locale-independent) and must be finite decimal numbers
  within float32 range (``nan``/``inf``/``1_0`` are rejected: ``?`` is the missing marker).
* ``missing="nan"``: a ``?`` feature value becomes NaN in ``X`` (every column of a one-hot attribute
  becomes NaN); :attr:`ArffData.n_missing` counts them.  Imputation (e.g. train-mean) is the
  caller's job.  A ``?`` in a label is always an error.  A *quoted* ``'?'`` is a literal value.
* Rows with no positive label are kept.
* The file is decoded as UTF-8 (a byte-order mark is skipped); ``\\r\\n`` and ``\\r`` line ends are
  accepted; line numbers in errors are 1-based physical lines of the (unzipped) file.
"""

from __future__ import annotations

import os
import re
import warnings
import zipfile
from dataclasses import dataclass
from typing import Literal, Sequence
from xml.etree import ElementTree

import numpy as np
import scipy.sparse as sp

from seal.data.errors import located

__all__ = ["ArffError", "ArffWarning", "FeatureColumn", "ArffData", "read_arff"]


# ----------------------------------------------------------------------------------------------
# public types
# ----------------------------------------------------------------------------------------------


def _rebuild_arff_error(reason, path, line, attribute):
    return ArffError(reason, path=path, line=line, attribute=attribute)


class ArffError(ValueError):
    """Malformed or unusable ARFF input.

    Attributes
    ----------
    path : str
        The file (for a zip: ``"archive.zip!member.arff"``; for the MULAN XML file: its path).
    line : int | None
        1-based line in that file, when the problem sits on one line.
    attribute : str | None
        Name of the attribute concerned, when there is one.
    reason : str
        The bare description, without the location prefix.

    ``str(err)`` reads ``"<path>, line <line>, attribute '<attribute>': <reason>"`` (parts that do
    not apply are left out).
    """

    def __init__(self, reason: str, *, path: str, line: int | None = None,
                 attribute: str | None = None) -> None:
        self.reason = reason
        self.path = str(path)
        self.line = line
        self.attribute = attribute
        super().__init__(located(reason, self.path, line, None if attribute is None else f"attribute {attribute!r}"))

    def __reduce__(self):
        return (_rebuild_arff_error, (self.reason, self.path, self.line, self.attribute))


class ArffWarning(UserWarning):
    """Suspicious but readable input (e.g. a label whose first declared value is not "0")."""


@dataclass(frozen=True)
class FeatureColumn:
    """Where one column of ``X`` comes from.

    ``attribute`` is the source attribute name; ``value`` is the nominal value for a one-hot column,
    ``None`` for a column holding a number (numeric attributes, {0,1} and {YES,NO} nominals).
    """

    attribute: str
    value: str | None = None


@dataclass
class ArffData:
    """Result of :func:`read_arff`.

    X : scipy.sparse.csr_matrix, shape (n, d), float32 -- features; explicit zeros removed; NaN only
        where a value was ``?`` and ``missing="nan"``.
    Y : numpy.ndarray, shape (n, L), uint8 in {0, 1} -- labels, columns in ``label_names`` order.
    feature_names : list[str], length d -- one-hot columns are named ``f"{attr}={value}"``.
    label_names : list[str], length L.
    feature_columns : list[FeatureColumn], length d.
    relation : str -- the ``@relation`` name (unquoted).
    path : str -- the source as given.
    n_missing : int -- number of ``?`` feature entries seen.
    """

    X: sp.csr_matrix
    Y: np.ndarray
    feature_names: list[str]
    label_names: list[str]
    feature_columns: list[FeatureColumn]
    relation: str
    path: str
    n_missing: int


# ----------------------------------------------------------------------------------------------
# internals
# ----------------------------------------------------------------------------------------------

_NUMERIC, _NOMINAL, _STRING, _DATE, _HIER = range(5)
_KIND_NAMES = {_NUMERIC: "numeric", _NOMINAL: "nominal", _STRING: "string", _DATE: "date",
               _HIER: "hierarchical"}

# per-attribute encodings
(_E_NUM, _E_BIN, _E_YESNO, _E_ONEHOT, _E_LAB_NOM, _E_LAB_NUM, _E_HIER,
 _E_DROP_NUM, _E_DROP_NOM, _E_DROP_ANY) = range(10)
# conversion groups (entries of several encodings are converted together)
_G_NUM, _G_BIN, _G_YESNO, _G_NOM, _G_HIER, _G_SKIP = range(6)
_GROUP_OF = {_E_NUM: _G_NUM, _E_LAB_NUM: _G_NUM, _E_DROP_NUM: _G_NUM,
             _E_BIN: _G_BIN, _E_LAB_NOM: _G_BIN, _E_YESNO: _G_YESNO,
             _E_ONEHOT: _G_NOM, _E_DROP_NOM: _G_NOM, _E_HIER: _G_HIER, _E_DROP_ANY: _G_SKIP}
_ROLE_FEATURE, _ROLE_LABEL, _ROLE_DROP = range(3)

_ESCAPES = {"'": "'", '"': '"', "\\": "\\", "n": "\n", "t": "\t", "r": "\r", "%": "%"}
_WS = " \t\f\v"
# A sparse row with no quotes/comments: "{i v, i v}" with any stray blanks.
# A sparse row with no quotes/comments: "{i v, i v}" with stray blanks/tabs.  Values are printable
# ASCII without blanks or , { } ' " % so that the fast path's str.split() (which also splits on
# Unicode white space) sees exactly two tokens per entry; anything else takes the careful path.
_V = r"[\x21\x23\x24\x26\x28-\x2b\x2d-\x7a\x7c\x7e]"
try:  # possessive quantifiers (Python >= 3.11) avoid backtracking: ~40% faster
    _SPARSE_RE = re.compile(rf"\{{[ \t]*+(?:[0-9]++[ \t]++{_V}++[ \t]*+"
                            rf"(?:,[ \t]*+[0-9]++[ \t]++{_V}++[ \t]*+)*+)?+\}}")
except re.error:  # pragma: no cover - Python 3.10
    _SPARSE_RE = re.compile(rf"\{{[ \t]*(?:[0-9]+[ \t]+{_V}+[ \t]*"
                            rf"(?:,[ \t]*[0-9]+[ \t]+{_V}+[ \t]*)*)?\}}")
_SIMPLE_ATTR = re.compile(r"@attribute[ \t]+([^\s'\"{}%]+)[ \t]+(?:(numeric|real|integer)|"
                          r"\{([^'\"{}%]*)\})[ \t]*", re.IGNORECASE | re.ASCII)
_BAD_NUM_CHAR = re.compile(r"[^0-9eE+\-.,]")
_NUM_TOKEN = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)
_MEKA_C = re.compile(r"(?:^|[\s:])-C\s+(-?[0-9]+)(?![0-9])", re.ASCII)
_KEYWORD = re.compile(r"@([A-Za-z]+)", re.ASCII)
_TYPE_WORD = re.compile(r"[A-Za-z]+", re.ASCII)
_F32_MAX = float(np.finfo(np.float32).max)


@dataclass
class _Attr:
    name: str
    kind: int
    line: int
    values: list[str] | None = None  # nominal domain, or hierarchy nodes


class _Ctx:
    """Error factory bound to one file."""

    def __init__(self, path: str):
        self.path = path

    def error(self, reason: str, line: int | None = None, attribute: str | None = None):
        return ArffError(reason, path=self.path, line=line, attribute=attribute)


class _ScanError(Exception):
    def __init__(self, reason: str):
        self.reason = reason


def _skip_ws(s: str, i: int) -> int:
    n = len(s)
    while i < n and s[i] in _WS:
        i += 1
    return i


def _read_quoted(s: str, i: int) -> tuple[str, int]:
    """``s[i]`` is a quote; return (unescaped content, index after the closing quote)."""
    q = s[i]
    i += 1
    n = len(s)
    buf = []
    while True:
        if i >= n:
            raise _ScanError(f"unterminated quoted string (missing closing {q})")
        c = s[i]
        if c == "\\" and i + 1 < n:
            nxt = s[i + 1]
            buf.append(_ESCAPES.get(nxt, "\\" + nxt))
            i += 2
            continue
        if c == q:
            return "".join(buf), i + 1
        buf.append(c)
        i += 1


def _read_value(s: str, i: int, stops: str) -> tuple[str, bool, int]:
    """Read one (possibly quoted) value from ``s[i]``; returns (value, quoted, next index)."""
    i = _skip_ws(s, i)
    if i < len(s) and s[i] in "'\"":
        v, i = _read_quoted(s, i)
        return v, True, _skip_ws(s, i)
    j = i
    n = len(s)
    while j < n and s[j] not in stops:
        j += 1
    return s[i:j].strip(), False, j


# ----------------------------------------------------------------------------------------------
# header
# ----------------------------------------------------------------------------------------------


def _rest_is_empty(rest: str) -> bool:
    rest = rest.strip()
    return not rest or rest[0] == "%"


def _parse_nominal(s: str, i: int) -> tuple[list[str], int]:
    """``s[i] == '{'``; parse the comma-separated domain up to ``}``."""
    values: list[str] = []
    i += 1
    n = len(s)
    j = _skip_ws(s, i)
    if j < n and s[j] == "}":
        raise _ScanError("empty nominal specification {}")
    while True:
        v, quoted, i = _read_value(s, i, ",}")
        i = _skip_ws(s, i)
        if not v and not quoted:
            if i >= n:
                raise _ScanError("nominal specification is missing '}'")
            raise _ScanError("empty value in nominal specification")
        values.append(v)
        if i >= n:
            raise _ScanError("nominal specification is missing '}'")
        if s[i] == ",":
            i += 1
            continue
        if s[i] == "}":
            return values, i + 1
        raise _ScanError(f"unexpected character {s[i]!r} in nominal specification")


def _parse_attribute(s: str, body_start: int, lineno: int, ctx: _Ctx) -> _Attr:
    i = _skip_ws(s, body_start)
    n = len(s)
    if i >= n:
        raise ctx.error("@attribute without a name", lineno)
    try:
        if s[i] in "'\"":
            name, i = _read_quoted(s, i)
        else:
            j = i
            while j < n and s[j] not in _WS and s[j] != "{":
                j += 1
            name, i = s[i:j], j
    except _ScanError as e:
        raise ctx.error(f"attribute name: {e.reason}", lineno) from None
    if name == "":
        raise ctx.error("empty attribute name", lineno)
    rest = s[i:].strip()
    if not rest or rest[0] == "%":
        raise ctx.error("@attribute without a type", lineno, name)
    if rest[0] == "{":
        try:
            values, k = _parse_nominal(rest, 0)
        except _ScanError as e:
            raise ctx.error(e.reason, lineno, name) from None
        if not _rest_is_empty(rest[k:]):
            raise ctx.error(f"unexpected text after nominal specification: {rest[k:].strip()!r}",
                            lineno, name)
        seen = set()
        for v in values:
            if v in seen:
                raise ctx.error(f"duplicate nominal value {v!r}", lineno, name)
            seen.add(v)
        return _Attr(name, _NOMINAL, lineno, values)
    m = _TYPE_WORD.match(rest)
    if m is None:
        raise ctx.error(f"unknown attribute type {rest.split()[0]!r}", lineno, name)
    kw = m.group(0).lower()
    after = rest[m.end():]
    if kw in ("numeric", "real", "integer", "string"):
        if not _rest_is_empty(after):
            raise ctx.error(f"unexpected text after type {kw!r}: {after.strip()!r}", lineno, name)
        return _Attr(name, _STRING if kw == "string" else _NUMERIC, lineno)
    if kw == "date":
        return _Attr(name, _DATE, lineno)
    if kw == "hierarchical":
        nodes = [t.strip() for t in after.strip().split(",")]
        if not nodes or any(not t for t in nodes):
            raise ctx.error("hierarchical attribute with an empty node list or empty node name",
                            lineno, name)
        seen = set()
        for t in nodes:
            if t in seen:
                raise ctx.error(f"duplicate hierarchy node {t!r}", lineno, name)
            seen.add(t)
        return _Attr(name, _HIER, lineno, nodes)
    if kw == "relational":
        raise ctx.error("relational attributes are not supported", lineno, name)
    raise ctx.error(f"unknown attribute type {m.group(0)!r}", lineno, name)


def _parse_header(lines: list[str], ctx: _Ctx) -> tuple[str, list[_Attr], int]:
    """Return (relation, attributes, index of the first line after @data)."""
    relation = ""
    attrs: list[_Attr] = []
    simple = _SIMPLE_ATTR.fullmatch
    for li, raw in enumerate(lines):
        s = raw.strip()
        if not s or s[0] == "%":
            continue
        lineno = li + 1
        m = _KEYWORD.match(s)
        if m is None:
            raise ctx.error(f"expected @relation, @attribute or @data, found {s[:40]!r}", lineno)
        kw = m.group(1).lower()
        if kw == "relation":
            rest = s[m.end():].strip()
            if rest and rest[0] in "'\"":
                try:
                    relation, k = _read_quoted(rest, 0)
                except _ScanError as e:
                    raise ctx.error(f"@relation: {e.reason}", lineno) from None
            else:
                relation = rest.split("%", 1)[0].strip()
        elif kw == "attribute":
            fm = simple(s)
            if fm is not None:  # fast path: unquoted name, numeric or plain {v1,v2,...}
                if fm.group(2) is not None:
                    attrs.append(_Attr(fm.group(1), _NUMERIC, lineno))
                    continue
                values = [v.strip() for v in fm.group(3).split(",")]
                if all(values) and len(set(values)) == len(values):
                    attrs.append(_Attr(fm.group(1), _NOMINAL, lineno, values))
                    continue
            attrs.append(_parse_attribute(s, m.end(), lineno, ctx))
        elif kw == "data":
            if not _rest_is_empty(s[m.end():]):
                raise ctx.error("unexpected text after @data", lineno)
            if not attrs:
                raise ctx.error("@data before any @attribute", lineno)
            return relation, attrs, li + 1
        else:
            raise ctx.error(f"unknown keyword @{m.group(1)}", lineno)
    raise ctx.error("no @data section (file truncated?)",
                    len(lines) - (1 if lines and lines[-1] == "" else 0))


# ----------------------------------------------------------------------------------------------
# label resolution
# ----------------------------------------------------------------------------------------------


def _read_xml_labels(xml_path: str) -> list[str]:
    try:
        root = ElementTree.parse(xml_path).getroot()
    except ElementTree.ParseError as e:
        raise ArffError(f"malformed MULAN XML label file: {e}", path=xml_path,
                        line=e.position[0]) from None
    names = []
    for el in root.iter():
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag == "label" or tag.endswith("}label"):
            nm = el.get("name")
            if nm is None:
                raise ArffError("<label> element without a name attribute", path=xml_path)
            names.append(nm)
    if not names:
        raise ArffError("no <label name=...> element in MULAN XML label file", path=xml_path)
    return names


def _describe(attrs: list[_Attr], sel: Sequence[int]) -> str:
    """``"the first 3 attributes (a, b, c)"`` / ``"the last 2 attributes (..)"`` / ``"5 attributes (..)"``."""
    sel = sorted(sel)
    n = len(attrs)
    names = [attrs[k].name for k in sel]
    shown = ", ".join(names[:6]) + (", ..." if len(names) > 6 else "")
    if sel == list(range(len(sel))):
        where = f"the first {len(sel)} attributes"
    elif sel == list(range(n - len(sel), n)):
        where = f"the last {len(sel)} attributes"
    else:
        where = f"{len(sel)} attributes"
    return f"{where} ({shown})"


#: the options that choose the label attributes, as the Python API and the CLI spell them
_HOW_TO_CHOOSE = ("choose the labels explicitly: label_count=N (first N attributes) or -N (last N), "
                  "xml=<MULAN .xml> or label_names=[...] (on the command line --data.label_count, "
                  "--data.xml, --data.labels; seal data info / seal predict: --label-count, --xml, "
                  "--labels)")


def _beside_xml(path: str) -> str | None:
    """A MULAN XML label file next to ``path`` (same stem, ``.xml``), if there is one."""
    base = path.split("!", 1)[0]
    stem, _ = os.path.splitext(base)
    cand = stem + ".xml"
    return cand if os.path.isfile(cand) else None


def _check_header_plausible(attrs: list[_Attr], want: list[int], header: str,
                            relation_line: int | None, ctx: _Ctx, index: dict[str, int]) -> None:
    """With only a MEKA header to go by, warn when an XML beside the file disagrees with it, and raise
    (with the way to choose) when the header selects attributes that cannot be labels."""
    xp = _beside_xml(ctx.path)
    if xp is not None:
        try:
            xml_names = _read_xml_labels(xp)
        except ArffError:
            xml_names = None
        if xml_names is not None:
            sel = sorted({index[nm] for nm in xml_names if nm in index})
            if sel != want:
                missing = [nm for nm in xml_names if nm not in index]
                extra = f" ({len(missing)} of its names are not attributes)" if missing else ""
                warnings.warn(
                    f"{ctx.path}, line {relation_line}: {header} selects "
                    f"{_describe(attrs, want)} as labels, but the MULAN XML beside the file ({xp}) "
                    f"names {len(xml_names)} labels{extra}"
                    + (f" = {_describe(attrs, sel)}" if sel and not missing else "")
                    + f"; the header is used. If it is stale, {_HOW_TO_CHOOSE}",
                    ArffWarning, stacklevel=4)
    for k in want:
        a = attrs[k]
        if a.kind == _NOMINAL and set(a.values) != {"0", "1"}:
            raise ctx.error(
                f"{header} selects {_describe(attrs, want)} as labels, but {a.name!r} (line "
                f"{a.line}) is declared {{{','.join(a.values)}}}, not binary; if the header is "
                f"stale, {_HOW_TO_CHOOSE}", relation_line, a.name)
        if a.kind not in (_NOMINAL, _NUMERIC):
            raise ctx.error(
                f"{header} selects {_describe(attrs, want)} as labels, but {a.name!r} (line "
                f"{a.line}) is a {_KIND_NAMES[a.kind]} attribute; if the header is stale, "
                f"{_HOW_TO_CHOOSE}", relation_line, a.name)


def _resolve_labels(attrs: list[_Attr], relation: str, relation_line: int | None, ctx: _Ctx, *,
                    label_count, label_names, xml, drop) -> list[int]:
    n = len(attrs)
    index: dict[str, int] = {}
    dup: set[str] = set()
    for k, a in enumerate(attrs):
        if a.name in index:
            dup.add(a.name)
        index.setdefault(a.name, k)
    sources: list[tuple[str, list[int]]] = []

    def from_count(c: int, desc: str, line: int | None) -> list[int]:
        if c == 0 or abs(c) > n:
            raise ctx.error(f"{desc}: label count must be non-zero and at most the number of "
                            f"attributes ({n})", line)
        return list(range(c)) if c > 0 else list(range(n + c, n))

    header: tuple[str, list[int]] | None = None
    m = _MEKA_C.search(relation)
    if m is not None:
        c = int(m.group(1))
        header = (f"the MEKA header '-C {c}' in the relation name",
                  from_count(c, "MEKA header", relation_line))
    if label_count is not None:
        c = int(label_count)
        sources.append((f"label_count={c}", from_count(c, f"label_count={c}", None)))

    def from_names(nms: Sequence[str], desc: str, path: str) -> list[int]:
        if isinstance(nms, str):
            raise ctx.error(f"{desc} must be a sequence of names, not a string")
        out = []
        for nm in nms:
            if nm not in index:
                raise ArffError(f"{desc} names a label that is not an attribute of {ctx.path}",
                                path=path, attribute=nm)
            if nm in dup:
                raise ctx.error(f"{desc} names an attribute that is declared more than once",
                                attribute=nm)
            out.append(index[nm])
        if len(set(out)) != len(out):
            raise ctx.error(f"{desc} lists a label twice")
        return sorted(out)

    if label_names is not None:
        sources.append(("label_names", from_names(label_names, "label_names", ctx.path)))
    if xml is not None:
        xp = os.fspath(xml)
        sources.append((f"MULAN XML {xp}", from_names(_read_xml_labels(xp), "MULAN XML", xp)))
    hier = [k for k, a in enumerate(attrs) if a.kind == _HIER]
    if len(hier) > 1:
        raise ctx.error("more than one hierarchical attribute", attrs[hier[1]].line,
                        attrs[hier[1]].name)
    if hier:
        sources.append(("the hierarchical attribute", hier))
    if not sources and header is None:
        raise ctx.error(
            "cannot tell which attributes are labels: the relation name has no MEKA '-C n' "
            "option and there is no hierarchical attribute; pass label_count=n (first n "
            "attributes) or -n (last n), label_names=[...] or xml='<MULAN labels .xml>'",
            relation_line)
    if sources:
        # explicit options (and a hierarchical attribute) must agree with each other ...
        desc0, labels = sources[0]
        want = sorted(labels)
        for desc, other in sources[1:]:
            if sorted(other) != want:
                raise ctx.error(f"{desc} contradicts {desc0}: they select different label "
                                f"attributes", relation_line)
        # ... and win over a MEKA '-C n' header, which old filters often leave behind (stale)
        if header is not None and sorted(header[1]) != want:
            warnings.warn(
                f"{ctx.path}, line {relation_line}: {desc0} selects {_describe(attrs, want)} as "
                f"labels, {header[0]} selects {_describe(attrs, header[1])}; "
                f"using {desc0} (an explicit option wins over the header)",
                ArffWarning, stacklevel=3)
    else:
        assert header is not None
        want = sorted(header[1])
        _check_header_plausible(attrs, want, header[0], relation_line, ctx, index)
    only_header = header[0] if (header is not None and not sources) else None
    for k in want:
        if attrs[k].name in drop:
            raise ctx.error("attribute is both a label and in drop_attributes", attrs[k].line,
                            attrs[k].name)
    return want, only_header


# ----------------------------------------------------------------------------------------------
# data rows
# ----------------------------------------------------------------------------------------------


def _scan_row(s: str, n_attr: int, attrs: list[_Attr], lineno: int, ctx: _Ctx):
    """Careful tokenizer for one data row (quotes, comments, any malformation).

    Returns (sparse, attribute indices, values, positions of quoted values equal to '?').
    """
    n = len(s)
    idx: list[int] = []
    vals: list[str] = []
    qq: list[int] = []
    if s[0] == "{":
        i = _skip_ws(s, 1)
        if i < n and s[i] == "}":
            i += 1
        else:
            while True:
                i = _skip_ws(s, i)
                j = i
                while j < n and "0" <= s[j] <= "9":
                    j += 1
                if j == i:
                    if i >= n or s[i] == "%":
                        raise ctx.error("sparse row is missing '}' (truncated line?)", lineno)
                    raise ctx.error(f"sparse row: expected an attribute index, found "
                                    f"{s[i:i + 10]!r}", lineno)
                a = int(s[i:j])
                aname = attrs[a].name if a < n_attr else None
                if a >= n_attr:
                    raise ctx.error(f"sparse index {a} out of range (the file declares {n_attr} "
                                    f"attributes, indices 0..{n_attr - 1})", lineno)
                if j >= n or s[j] == "%":
                    raise ctx.error("sparse row is missing '}' (truncated line?)", lineno, aname)
                if s[j] not in _WS:
                    raise ctx.error(f"sparse row: expected '<index> <value>' after index {a}",
                                    lineno, aname)
                try:
                    v, quoted, i = _read_value(s, j, _WS + ",}%")
                except _ScanError as e:
                    raise ctx.error(e.reason, lineno, aname) from None
                if not v and not quoted:
                    raise ctx.error(f"sparse row: missing value for index {a}", lineno, aname)
                if quoted and v == "?":
                    qq.append(len(vals))
                idx.append(a)
                vals.append(v)
                i = _skip_ws(s, i)
                if i < n and s[i] == ",":
                    i += 1
                    continue
                if i < n and s[i] == "}":
                    i += 1
                    break
                if i >= n or s[i] == "%":
                    raise ctx.error("sparse row is missing '}' (truncated line?)", lineno, aname)
                raise ctx.error(f"sparse row: unexpected {s[i:i + 10]!r} after the value of "
                                f"index {a}", lineno, aname)
        i = _skip_ws(s, i)
        if i < n and s[i] != "%":
            raise ctx.error(f"unexpected text after '}}': {s[i:i + 20]!r}", lineno)
        if len(set(idx)) != len(idx):
            seen = set()
            for a in idx:
                if a in seen:
                    raise ctx.error(f"sparse index {a} appears twice in one row", lineno,
                                    attrs[a].name)
                seen.add(a)
        return True, idx, vals, qq
    i = 0
    while True:
        k = len(vals)
        aname = attrs[k].name if k < n_attr else None
        try:
            v, quoted, i = _read_value(s, i, ",%")
        except _ScanError as e:
            raise ctx.error(e.reason, lineno, aname) from None
        if quoted and v == "?":
            qq.append(k)
        vals.append(v)
        if i >= n or s[i] == "%":
            break
        if s[i] == ",":
            i += 1
            continue
        raise ctx.error(f"unexpected {s[i:i + 10]!r} after a quoted value", lineno, aname)
    if len(vals) != n_attr:
        raise ctx.error(f"expected {n_attr} comma-separated values, found {len(vals)}", lineno)
    return False, list(range(n_attr)), vals, qq


def _parse_rows(lines: list[str], start: int, attrs: list[_Attr], ctx: _Ctx):
    """Tokenize every data row into flat entry lists; stop at the first structural error.

    Sparse rows without quotes or comments take a fast path: one regex check per row, and runs of
    such rows are split into tokens in one go.  Anything else goes through :func:`_scan_row`.
    Attribute indices are kept as digit strings and converted all at once later.
    Returns (idx_s, T, qq, row_len, row_line, row_sparse, pending_error).
    """
    n_attr = len(attrs)
    idx_s: list[str] = []
    T: list[str] = []
    qq: list[int] = []
    row_len: list[int] = []
    row_line: list[int] = []
    row_sparse: list[bool] = []
    attr_range = [str(k) for k in range(n_attr)]
    sparse_match = _SPARSE_RE.fullmatch
    buf: list[str] = []  # bodies of fast-path sparse rows not yet split

    def flush() -> None:
        if buf:
            toks = " ".join(buf).replace(",", " ").split()
            idx_s.extend(toks[0::2])
            T.extend(toks[1::2])
            buf.clear()

    pending = None
    try:
        for li in range(start, len(lines)):
            s = lines[li].strip()
            if not s or s[0] == "%":
                continue
            if s[0] == "{" and "'" not in s and '"' not in s and "%" not in s \
                    and sparse_match(s) is not None:
                body = s[1:-1]
                buf.append(body)
                row_len.append(body.count(",") + 1 if body.strip() else 0)
                row_line.append(li + 1)
                row_sparse.append(True)
                continue
            flush()
            if "'" in s or '"' in s or "%" in s or s[0] == "{":
                sparse, idx, toks, q = _scan_row(s, n_attr, attrs, li + 1, ctx)
                if q:
                    base = len(T)
                    qq.extend(base + p for p in q)
                idx = attr_range if not sparse else [str(a) for a in idx]
            else:
                sparse = False
                toks = s.split(",")
                if len(toks) != n_attr:
                    _scan_row(s, n_attr, attrs, li + 1, ctx)  # raises the field-count error
                if " " in s or "\t" in s:
                    toks = list(map(str.strip, toks))
                idx = attr_range
            idx_s.extend(idx)
            T.extend(toks)
            row_len.append(len(toks))
            row_line.append(li + 1)
            row_sparse.append(sparse)
    except ArffError as e:
        pending = e
    flush()
    return idx_s, T, qq, row_len, row_line, row_sparse, pending


def _parse_indices(idx_s: list[str]) -> np.ndarray:
    """Digit strings -> int64 (C-level parser; saturates on overflow, caught by the range check)."""
    if not idx_s:
        return np.empty(0, dtype=np.int64)
    try:
        out = np.fromstring(",".join(idx_s), dtype=np.int64, sep=",")
        if len(out) == len(idx_s):
            return out
    except (ValueError, AttributeError):  # pragma: no cover - numpy without text fromstring
        pass
    return np.array([min(int(x), 2**62) for x in idx_s], dtype=np.int64)  # pragma: no cover


def _first_structural_row(A: np.ndarray, R: np.ndarray, n_attr: int) -> int | None:
    """First row holding an out-of-range or duplicated sparse index, or None."""
    bad: list[int] = []
    if len(A) == 0:
        return None
    oor = A >= n_attr
    if oor.any():
        bad.append(int(R[np.argmax(oor)]))
    if len(A) > 1:
        same_row = R[1:] == R[:-1]
        if (same_row & (A[1:] <= A[:-1])).any():  # some row is not strictly increasing
            order = np.lexsort((A, R))
            As, Rs = A[order], R[order]
            dup = (As[1:] == As[:-1]) & (Rs[1:] == Rs[:-1])
            if dup.any():
                bad.append(int(Rs[1:][dup].min()))
    return min(bad) if bad else None


# ----------------------------------------------------------------------------------------------
# conversion
# ----------------------------------------------------------------------------------------------


def _first_bad_number(toks: list[str]) -> tuple[int, str]:
    for k, t in enumerate(toks):
        if _NUM_TOKEN.fullmatch(t) is None:
            if t == "":
                return k, "empty value"
            low = t.lower()
            if low in ("nan", "+nan", "-nan"):
                return k, f"bad number {t!r} (use '?' for a missing value)"
            return k, f"bad number {t!r}"
        if abs(float(t)) > _F32_MAX:
            return k, f"number {t!r} is outside the float32 range"
    return -1, ""


def read_arff(
    source: str | os.PathLike,
    *,
    label_count: int | None = None,
    label_names: Sequence[str] | None = None,
    xml: str | os.PathLike | None = None,
    missing: Literal["error", "nan"] = "error",
    drop_attributes: Sequence[str] = (),
    hierarchy_root: bool = False,
    warn_label_domain: bool = True,
) -> ArffData:
    """Read a multi-label ARFF file into a sparse feature matrix and a dense label matrix.

    Parameters
    ----------
    source
        An ``.arff`` file, or a ``.zip`` holding exactly one ``.arff`` member (read straight from
        the archive, nothing is extracted).  Decoded as UTF-8 (a byte-order mark is skipped).
    label_count
        MEKA semantics: n > 0 -> the labels are the FIRST n attributes, n < 0 -> the LAST |n|.
    label_names
        Names of the label attributes (order does not matter; ``Y`` follows file order).
    xml
        A MULAN XML label file (``<label name="..."/>``, namespaced or not, nested or not).
    missing
        ``"error"`` (default): a ``?`` feature value raises :class:`ArffError` naming file, line
        and attribute.  ``"nan"``: it becomes NaN in ``X`` (all columns of a one-hot attribute) and
        is counted in ``n_missing``; impute later.  ``?`` in a label is always an error.
    drop_attributes
        Attributes that are neither features nor labels (e.g. genbase ``protein``).  Their values
        are still checked against their declared type (except ``string``/``date``).
    hierarchy_root
        For a Clus ``hierarchical`` class attribute, add an artificial root label (always 1) as
        label 0, named ``"root"``.
    warn_label_domain
        Warn (:class:`ArffWarning`) when a nominal label's first declared value is not ``"0"``:
        omitted sparse entries then mean 1 (Weka rule), which is rarely what the author meant.

    Where the labels are: ``label_count``, ``label_names``, ``xml`` and a ``hierarchical`` attribute
    (which, when present, is the only label attribute) must agree with each other; together they win
    over a MEKA ``-C n`` option in the relation name (often left behind, stale, by an old filter), with
    an :class:`ArffWarning` naming both when they differ.  With none of them the header decides; then an
    :class:`ArffWarning` says how to choose when a MULAN XML file beside the data file (same stem,
    ``.xml``) names other labels, and the error for header-selected attributes that are not binary
    says how to choose.

    Returns
    -------
    ArffData
        ``X``: ``scipy.sparse.csr_matrix`` (n, d) float32; ``Y``: ``np.ndarray`` (n, L) uint8 in
        {0,1}; names and column provenance; see the module docstring for the feature encoding
        (numeric -> 1 column; nominal {0,1} -> 1 column float(value); {YES,NO} -> 1 column YES=1;
        other nominals -> one-hot ``attr=value``) and for the Weka sparse-default rule.

    Raises
    ------
    ArffError
        Malformed input: bad declaration, missing ``@data``, wrong number of values in a dense row,
        bad number, unknown nominal value or hierarchy node, out-of-range or duplicate sparse index,
        unterminated quote or missing ``}``, invalid UTF-8, ``?`` (by default), a label whose domain
        is not {0,1} or whose value is not 0/1, contradicting label specifications, or no way to
        tell which attributes are labels.  The message names file, line and attribute.
    FileNotFoundError / OSError
        The file cannot be opened.
    """
    if missing not in ("error", "nan"):
        raise ValueError(f"missing must be 'error' or 'nan', not {missing!r}")
    src = os.fspath(source)
    text, shown = _load_text(src)
    ctx = _Ctx(shown)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")

    relation, attrs, data_start = _parse_header(lines, ctx)
    relation_line = next((k + 1 for k, ln in enumerate(lines[:data_start])
                          if ln.strip()[:9].lower() == "@relation"), None)
    n_attr = len(attrs)
    drop = set(drop_attributes) if not isinstance(drop_attributes, str) else {drop_attributes}
    names = [a.name for a in attrs]
    for d in drop:
        if d not in names:
            raise ctx.error("drop_attributes names an attribute the file does not declare",
                            attribute=d)
        if names.count(d) > 1:
            raise ctx.error("drop_attributes names an attribute that is declared more than once",
                            attribute=d)
    label_idx, only_header = _resolve_labels(attrs, relation, relation_line, ctx, label_count=label_count,
                                label_names=label_names, xml=xml, drop=drop)
    label_set = set(label_idx)
    if hierarchy_root and not any(attrs[k].kind == _HIER for k in label_idx):
        raise ctx.error("hierarchy_root=True but the file has no hierarchical attribute")

    # ---- per-attribute plan ------------------------------------------------------------------
    enc = np.empty(n_attr, dtype=np.int8)
    col = np.zeros(n_attr, dtype=np.int64)
    role = np.empty(n_attr, dtype=np.int8)
    domain_maps: dict[int, dict[str, int]] = {}
    defaults: dict[int, list[tuple[bool, int, float]]] = {}  # attr -> [(is_X, col, value)]
    feature_names: list[str] = []
    feature_columns: list[FeatureColumn] = []
    out_label_names: list[str] = ["root"] if hierarchy_root else []
    hier_anc: dict[str, list[int]] = {}
    for k, a in enumerate(attrs):
        if a.name in drop:
            role[k] = _ROLE_DROP
            if a.kind == _NUMERIC:
                enc[k] = _E_DROP_NUM
            elif a.kind == _NOMINAL:
                enc[k] = _E_DROP_NOM
                domain_maps[k] = {v: j for j, v in enumerate(a.values)}
            else:
                enc[k] = _E_DROP_ANY
        elif k in label_set:
            role[k] = _ROLE_LABEL
            col[k] = len(out_label_names)
            if a.kind == _NOMINAL:
                if set(a.values) != {"0", "1"}:
                    raise ctx.error(f"label attribute must have the domain {{0,1}}, declared "
                                    f"{{{','.join(a.values)}}}", a.line, a.name)
                enc[k] = _E_LAB_NOM
                if a.values[0] != "0":
                    defaults[k] = [(False, int(col[k]), 1.0)]
                    if warn_label_domain:
                        warnings.warn(
                            f"{shown}, line {a.line}, attribute {a.name!r}: label domain declared "
                            f"{{{','.join(a.values)}}} (first value {a.values[0]!r}); values are "
                            f"decoded by string, and an entry omitted from a sparse row means "
                            f"{a.values[0]!r} (Weka rule)", ArffWarning, stacklevel=2)
                out_label_names.append(a.name)
            elif a.kind == _NUMERIC:
                enc[k] = _E_LAB_NUM
                out_label_names.append(a.name)
            elif a.kind == _HIER:
                enc[k] = _E_HIER
                defaults[k] = []  # omission is an error, handled below
                base = len(out_label_names)
                pos = {nd: base + j for j, nd in enumerate(a.values)}
                for nd in a.values:
                    parts = nd.split("/")
                    cols = []
                    for j in range(1, len(parts) + 1):
                        pre = "/".join(parts[:j])
                        if pre not in pos:
                            raise ctx.error(f"hierarchy node {pre!r} (ancestor of {nd!r}) is not "
                                            f"declared", a.line, a.name)
                        cols.append(pos[pre])
                    hier_anc[nd] = cols
                out_label_names.extend(a.values)
            else:
                raise ctx.error(f"a {_KIND_NAMES[a.kind]} attribute cannot be a label", a.line,
                                a.name)
        else:
            role[k] = _ROLE_FEATURE
            c0 = len(feature_names)
            col[k] = c0
            if a.kind == _NUMERIC:
                enc[k] = _E_NUM
                feature_names.append(a.name)
                feature_columns.append(FeatureColumn(a.name, None))
            elif a.kind == _NOMINAL and set(a.values) == {"0", "1"}:
                enc[k] = _E_BIN
                feature_names.append(a.name)
                feature_columns.append(FeatureColumn(a.name, None))
                if a.values[0] == "1":
                    defaults[k] = [(True, c0, 1.0)]
            elif a.kind == _NOMINAL and set(a.values) == {"YES", "NO"}:
                enc[k] = _E_YESNO
                feature_names.append(a.name)
                feature_columns.append(FeatureColumn(a.name, None))
                if a.values[0] == "YES":
                    defaults[k] = [(True, c0, 1.0)]
            elif a.kind == _NOMINAL:
                enc[k] = _E_ONEHOT
                domain_maps[k] = {v: j for j, v in enumerate(a.values)}
                for v in a.values:
                    feature_names.append(f"{a.name}={v}")
                    feature_columns.append(FeatureColumn(a.name, v))
                defaults[k] = [(True, c0, 1.0)]
            elif a.kind == _HIER:  # pragma: no cover - _resolve_labels makes it the label
                raise ctx.error("a hierarchical attribute must be the label attribute", a.line,
                                a.name)
            else:
                raise ctx.error(f"a {_KIND_NAMES[a.kind]} attribute cannot be a feature; list it "
                                f"in drop_attributes", a.line, a.name)
    d = len(feature_names)
    L = len(out_label_names)
    width = np.zeros(n_attr, dtype=np.int64)
    for k in range(n_attr):
        if enc[k] == _E_ONEHOT:
            width[k] = len(attrs[k].values)

    # ---- tokenize ------------------------------------------------------------------------------
    idx_s, T, qq, row_len, row_line, row_sparse, pending = _parse_rows(lines, data_start, attrs,
                                                                       ctx)
    A = _parse_indices(idx_s)
    if len(A) != len(T):  # pragma: no cover - guarded by _SPARSE_RE
        raise ctx.error("internal error: index/value count mismatch")
    del idx_s
    R = np.repeat(np.arange(len(row_len), dtype=np.int64), np.array(row_len, dtype=np.int64))
    bad_row = _first_structural_row(A, R, n_attr)
    if bad_row is not None:
        # re-scan that line carefully for the exact message, and keep only the rows before it
        ln = row_line[bad_row]
        try:
            _scan_row(lines[ln - 1].strip(), n_attr, attrs, ln, ctx)
            pending = ctx.error("bad sparse index", ln)  # pragma: no cover - scan always raises
        except ArffError as e:
            pending = e
        keep = int(np.sum(row_len[:bad_row]))
        A, R, T = A[:keep], R[:keep], T[:keep]
        qq = [q for q in qq if q < keep]
        del row_len[bad_row:], row_line[bad_row:], row_sparse[bad_row:]
    del lines, text
    n = len(row_len)
    T_obj = np.empty(len(T), dtype=object)
    T_obj[:] = T
    errors: list[tuple[int, str, int]] = []  # (entry, reason, attribute index)

    group_of_attr = np.array([_GROUP_OF[int(e)] for e in enc], dtype=np.int8)
    G = group_of_attr[A] if len(A) else np.empty(0, dtype=np.int8)
    ent_role = role[A] if len(A) else np.empty(0, dtype=np.int8)

    # missing values
    miss = T_obj == "?"
    if not isinstance(miss, np.ndarray):  # zero entries
        miss = np.zeros(len(T), dtype=bool)
    if qq:
        miss[np.array(qq, dtype=np.int64)] = False
    miss_idx = np.flatnonzero(miss)
    n_missing = 0
    miss_feat = np.empty(0, dtype=np.int64)
    if len(miss_idx):
        mroles = ent_role[miss_idx]
        lab = miss_idx[mroles == _ROLE_LABEL]
        if len(lab):
            errors.append((int(lab[0]), "missing value '?' in a label", int(A[lab[0]])))
        miss_feat = miss_idx[mroles == _ROLE_FEATURE]
        n_missing = int(len(miss_feat))
        if n_missing and missing == "error":
            e = int(miss_feat[0])
            errors.append((e, "missing value '?' (seal does not impute: fill the values in the file; in Python, "
                              "read_arff(..., missing='nan') reads them as NaN for your own imputation)", int(A[e])))
    ok = ~miss

    xr: list[np.ndarray] = []
    xc: list[np.ndarray] = []
    xv: list[np.ndarray] = []
    yr: list[np.ndarray] = []
    yc: list[np.ndarray] = []
    yv: list[np.ndarray] = []

    def emit(sel: np.ndarray, vals: np.ndarray) -> None:
        """Route converted entries ``sel`` with values ``vals`` to X or Y by role."""
        r = ent_role[sel]
        fx = r == _ROLE_FEATURE
        if fx.any():
            s = sel[fx]
            xr.append(R[s])
            xc.append(col[A[s]])
            xv.append(vals[fx].astype(np.float32))
        fy = r == _ROLE_LABEL
        if fy.any():
            s = sel[fy]
            yr.append(R[s])
            yc.append(col[A[s]])
            yv.append(vals[fy])

    # numbers
    sel = np.flatnonzero((G == _G_NUM) & ok)
    if len(sel):
        toks = T_obj[sel].tolist()
        vals = None
        if _BAD_NUM_CHAR.search(",".join(toks)) is None:
            try:
                vals = np.fromiter(map(float, toks), dtype=np.float64, count=len(toks))
            except ValueError:
                pass
        if vals is not None and len(vals) and float(np.abs(vals).max()) > _F32_MAX:
            vals = None
        if vals is None:  # report the first bad token; the ones before it are valid numbers
            bad_k, why = _first_bad_number(toks)
            bad_k = max(bad_k, 0)
            errors.append((int(sel[bad_k]), why or "bad number", int(A[sel[bad_k]])))
            sel = sel[:bad_k]
            vals = np.array([float(t) for t in toks[:bad_k]], dtype=np.float64)
        lab = ent_role[sel] == _ROLE_LABEL
        if lab.any():
            lv = vals[lab]
            badl = np.flatnonzero((lv != 0.0) & (lv != 1.0))
            if len(badl):
                e = int(sel[np.flatnonzero(lab)[badl[0]]])
                hint = (f" ({only_header} selects the labels; if it is stale, {_HOW_TO_CHOOSE})"
                        if only_header else "")
                errors.append((e, f"label value {T[e]!r} is not 0 or 1{hint}", int(A[e])))
        emit(sel, vals)

    # {0,1} nominals (features and labels)
    sel = np.flatnonzero((G == _G_BIN) & ok)
    if len(sel):
        toks = T_obj[sel]
        is1 = toks == "1"
        bad = ~(is1 | (toks == "0"))
        if bad.any():
            e = int(sel[np.argmax(bad)])
            errors.append((e, f"unknown nominal value {T[e]!r} (declared {{0,1}})", int(A[e])))
        else:
            emit(sel, is1.astype(np.uint8))

    # {YES,NO} nominals
    sel = np.flatnonzero((G == _G_YESNO) & ok)
    if len(sel):
        toks = T_obj[sel]
        isy = toks == "YES"
        bad = ~(isy | (toks == "NO"))
        if bad.any():
            e = int(sel[np.argmax(bad)])
            errors.append((e, f"unknown nominal value {T[e]!r} (declared {{YES,NO}})", int(A[e])))
        else:
            emit(sel, isy.astype(np.uint8))

    # other nominals: one-hot (and dropped nominals: checked only)
    sel = np.flatnonzero((G == _G_NOM) & ok)
    if len(sel):
        order = np.argsort(A[sel], kind="stable")
        sel = sel[order]
        sa = A[sel]
        cuts = np.flatnonzero(np.diff(sa)) + 1
        for chunk in np.split(sel, cuts):
            k = int(A[chunk[0]])
            dmap = domain_maps[k]
            codes = list(map(dmap.get, T_obj[chunk].tolist()))
            if None in codes:
                e = int(chunk[codes.index(None)])
                errors.append((e, f"unknown nominal value {T[e]!r} (declared "
                                  f"{{{','.join(attrs[k].values)}}})", k))
                continue
            if enc[k] == _E_ONEHOT:
                xr.append(R[chunk])
                xc.append(col[k] + np.array(codes, dtype=np.int64))
                xv.append(np.ones(len(chunk), dtype=np.float32))

    # hierarchical labels
    sel = np.flatnonzero((G == _G_HIER) & ok)
    if len(sel):
        rows_h: list[int] = []
        cols_h: list[int] = []
        for e in sel.tolist():
            cols: set[int] = set()
            for p in T[e].split("@"):
                p = p.strip()
                c = hier_anc.get(p)
                if c is None:
                    errors.append((e, f"unknown hierarchy node {p!r}", int(A[e])))
                    break
                cols.update(c)
            rows_h.extend([int(R[e])] * len(cols))
            cols_h.extend(cols)
        yr.append(np.array(rows_h, dtype=np.int64))
        yc.append(np.array(cols_h, dtype=np.int64))
        yv.append(np.ones(len(rows_h), dtype=np.uint8))

    if errors:
        e, why, k = min(errors)
        raise ctx.error(why, row_line[int(R[e])], attrs[k].name)
    if pending is not None:
        raise pending

    # missing features -> NaN
    if len(miss_feat):
        mk = A[miss_feat]
        w = np.where(enc[mk] == _E_ONEHOT, width[mk], 1)
        starts = np.repeat(col[mk], w)
        offs = np.arange(int(w.sum()), dtype=np.int64) - np.repeat(np.cumsum(w) - w, w)
        xr.append(np.repeat(R[miss_feat], w))
        xc.append(starts + offs)
        xv.append(np.full(len(offs), np.nan, dtype=np.float32))

    # Weka rule for attributes omitted from sparse rows, where the default is not 0
    is_sparse = np.array(row_sparse, dtype=bool)
    if defaults and is_sparse.any():
        dattrs = sorted(defaults)
        se = is_sparse[R] if len(R) else np.zeros(0, dtype=bool)
        present = sp.csc_matrix((np.ones(int(se.sum()), dtype=np.int8), (R[se], A[se])),
                                shape=(n, n_attr))
        sparse_rows = np.flatnonzero(is_sparse)
        for j0 in range(0, len(dattrs), 256):
            block = dattrs[j0:j0 + 256]
            P = present[:, block].toarray()[sparse_rows] != 0
            for jj, k in enumerate(block):
                absent = sparse_rows[~P[:, jj]]
                if not len(absent):
                    continue
                if enc[k] == _E_HIER:
                    raise ctx.error("a sparse row omits the hierarchical label attribute",
                                    row_line[int(absent[0])], attrs[k].name)
                for is_x, c, v in defaults[k]:
                    if is_x:
                        xr.append(absent)
                        xc.append(np.full(len(absent), c, dtype=np.int64))
                        xv.append(np.full(len(absent), v, dtype=np.float32))
                    else:
                        yr.append(absent)
                        yc.append(np.full(len(absent), c, dtype=np.int64))
                        yv.append(np.full(len(absent), v, dtype=np.uint8))

    # ---- assemble ------------------------------------------------------------------------------
    if xr:
        rr = np.concatenate(xr)
        cc = np.concatenate(xc)
        vv = np.concatenate(xv).astype(np.float32, copy=False)
    else:
        rr = cc = np.empty(0, dtype=np.int64)
        vv = np.empty(0, dtype=np.float32)
    X = sp.csr_matrix((vv, (rr, cc)), shape=(n, d), dtype=np.float32)
    X.eliminate_zeros()
    X.sort_indices()
    Y = np.zeros((n, L), dtype=np.uint8)
    if hierarchy_root:
        Y[:, 0] = 1
    for r_, c_, v_ in zip(yr, yc, yv):
        Y[r_, c_] = v_
    return ArffData(X=X, Y=Y, feature_names=feature_names, label_names=out_label_names,
                    feature_columns=feature_columns, relation=relation, path=src,
                    n_missing=n_missing)


def _load_text(src: str) -> tuple[str, str]:
    """Return (decoded text, path shown in errors)."""
    shown = src
    if src.lower().endswith(".zip"):
        try:
            with zipfile.ZipFile(src) as z:
                members = [m for m in z.namelist()
                           if m.lower().endswith(".arff") and not m.startswith("__MACOSX/")]
                if len(members) != 1:
                    raise ArffError(f"the zip must hold exactly one .arff file, found "
                                    f"{len(members)}: {members[:5]}", path=src)
                shown = f"{src}!{members[0]}"
                raw = z.read(members[0])
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as e:
            raise ArffError(f"unreadable zip archive ({e})", path=shown) from None
    else:
        with open(src, "rb") as f:
            raw = f.read()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        start = e.start + (3 if raw.startswith(b"\xef\xbb\xbf") else 0)
        line = raw[:start].count(b"\n") + 1
        raise ArffError(f"not valid UTF-8 (byte 0x{raw[start]:02x})", path=shown,
                        line=line) from None
    return text, shown
