"""Readers of the text multi-label datasets (Reuters-21578 ModApte-90, GoEmotions) and their splits.

The SEAL paper's text datasets (BGC, NYT, RCV1; ``seal-method.md`` B.2, D.2) are not available here; these two
openly available sets stand in for them (see each ``PROVENANCE.md`` in the shared data).

* **Reuters-21578, ModApte, 90 categories** (``reuters21578``): read from the derived
  ``reuters21578/modapte_90cats.jsonl.gz`` (one JSON object a line: ``id``, ``split``, ``title``, ``text``,
  ``labels``), not from the SGML distribution. That file holds only the ModApte documents with at least one of
  the 90 categories (7,770 train / 3,019 test); the other ModApte documents (no topic among the 90) are not in
  it, so none are kept. Input text = ``title + "\\n" + text``. 61 documents (47 train, 14 test) have an empty
  title and text in that file: they are ``TYPE="UNPROC"`` articles (tables, e.g. Federal Reserve reports) whose
  body the derivation did not carry; their text is read from the original SGML distribution
  (``reuters21578_distribution1.0.tar.xz``, same NEWID, entities unescaped, control characters removed) and
  the count is reported (``recovered_unproc``). A row without labels would be dropped and counted
  (``dropped_no_label``; 0 in the shipped file). Validation = 10 % of train carved by iterative stratification
  (:func:`seal.data.splits.carve_validation`, 10 folds, seed 0 by default): 772 documents, 6,998 remain train.
* **GoEmotions** (``goemotions``): the official ``train.tsv`` / ``dev.tsv`` / ``test.tsv`` (43,410 / 5,426 /
  5,427; TSV ``text<TAB>label ids<TAB>comment id``, 28 labels from ``labels.txt``).

* **Your own files** (:func:`load_text_files`, ``seal fit --task text-mlc --data.train FILE.jsonl``): JSON lines,
  one object per document with a text field (default ``"text"``) and a label-list field (default ``"labels"``)
  holding label names (strings) or 0-based label ids (integers, only with an explicit label list). Without
  ``labels`` the vocabulary is the sorted set of names seen in the train file. Without a validation file, one
  is carved from train by iterative stratification; without a test file there is no test split.

Bad input is an error naming the file and the line: an empty text, a label outside the vocabulary, a malformed
line. Nothing here imports ``transformers``.
"""

from __future__ import annotations

import gzip
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = [
    "TEXT_DATASETS",
    "TextDataError",
    "TextMLCData",
    "describe",
    "describe_dataset",
    "describe_text_file",
    "format_text_file_description",
    "label_names_of",
    "load_text_dataset",
    "load_text_files",
    "read_text_jsonl",
    "text_file_label_names",
    "read_goemotions_file",
    "read_goemotions_labels",
    "read_reuters",
]

#: the catalogue datasets this module reads
TEXT_DATASETS = ("reuters21578", "goemotions")



class TextDataError(ValueError):
    """A text dataset file holds something the reader refuses; the message names the file and the line."""


@dataclass
class TextSource:
    """One file's documents, in file order.

    Attributes:
        name: the source's name (``"all"`` for Reuters, ``"train"`` / ``"val"`` / ``"test"`` for GoEmotions).
        path: the file it was read from.
        sha256: the file's SHA-256 (keys the token and feature caches); for JSON-lines files read by
            :func:`read_text_jsonl`, the SHA-256 of the file and the texts read.
        texts: the model inputs, one string per document.
        ids: the documents' record ids (Reuters NEWID, GoEmotions comment id).
        Y: ``(N, L)`` uint8 gold label matrix.
        labelled: ``(N,)`` bool, which documents carry a label field (prediction input may omit it; their rows of
            ``Y`` are 0); ``None``: all of them.
        label_ids: how many label entries were integer ids (into the label list) rather than names.
    """

    name: str
    path: str
    sha256: str
    texts: list[str]
    ids: list[str]
    Y: np.ndarray
    labelled: np.ndarray | None = None
    label_ids: int = 0


@dataclass
class TextMLCData:
    """A text multi-label dataset: sources (files) and the splits as row indices into them.

    Attributes:
        name: catalogue name.
        label_names: the ``L`` label names, in label-index order.
        sources: source name -> :class:`TextSource`.
        splits: ``"train"`` / ``"val"`` / ``"test"`` -> ``(source name, sorted int64 row indices)``.
        dropped_no_label: documents dropped because they have no label (counted, never silent).
        notes: how the splits were made (printed by :func:`describe`).
    """

    name: str
    label_names: list[str]
    sources: dict[str, TextSource]
    splits: dict[str, tuple[str, np.ndarray]]
    dropped_no_label: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def num_labels(self) -> int:
        return len(self.label_names)

    def split_Y(self, split: str) -> np.ndarray:
        """``(N_split, L)`` uint8 labels of ``split``."""
        src, idx = self.splits[split]
        return self.sources[src].Y[idx]

    def split_texts(self, split: str) -> list[str]:
        src, idx = self.splits[split]
        texts = self.sources[src].texts
        return [texts[i] for i in idx]


# ---------------------------------------------------------------------------------------------------- readers
def read_reuters_labels(path: str | os.PathLike) -> list[str]:
    """The 90 category names from ``modapte_90cats_labels.json`` (a JSON list of distinct strings).

    Raises:
        TextDataError: not a list of distinct non-empty strings (names the file).
    """
    try:
        names = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise TextDataError(f"{path}: cannot read the label list ({exc})") from None
    if not isinstance(names, list) or not names or not all(isinstance(n, str) and n for n in names):
        raise TextDataError(f"{path}: expected a JSON list of non-empty label names")
    if len(set(names)) != len(names):
        raise TextDataError(f"{path}: a label name is listed twice")
    return names


def read_unproc_bodies(sgml_tar: str | os.PathLike, newids: set[str]) -> dict[str, str]:
    """The ``<TEXT TYPE="UNPROC">`` bodies of the documents ``newids`` in the original Reuters-21578 SGML files
    (inside ``reuters21578_distribution1.0.tar.xz``): latin-1, entities unescaped, control characters removed,
    stripped. Documents not found (or not UNPROC) are absent from the result."""
    import html
    import re
    import tarfile

    doc_re = re.compile(r'<REUTERS [^>]*NEWID="(\d+)">(.*?)</REUTERS>', re.S)
    text_re = re.compile(r'<TEXT TYPE="UNPROC">(.*?)</TEXT>', re.S)
    out: dict[str, str] = {}
    with tarfile.open(sgml_tar, "r:xz") as tar:
        for member in tar.getmembers():
            if not member.name.endswith(".sgm"):
                continue
            raw = tar.extractfile(member).read().decode("latin-1")
            for m in doc_re.finditer(raw):
                if m.group(1) in newids:
                    t = text_re.search(m.group(2))
                    if t is not None:
                        body = html.unescape(t.group(1))
                        body = "".join(c for c in body if c in "\n\t" or ord(c) >= 32).strip()
                        if body:
                            out[m.group(1)] = body
    return out


def _json_object_lines(path: str | os.PathLike, expect: str):
    """Yield ``(lineno, where, obj)`` for each non-blank line of a JSON-lines file (``.jsonl`` or ``.jsonl.gz``),
    ``where`` = ``"PATH, line N"``. Lines are decoded one by one (UTF-8; a byte-order mark is allowed), so an error
    names its own line.

    Raises:
        TextDataError: the file cannot be opened or read (not UTF-8, not gzip, a truncated ``.gz``), a line is not
            valid JSON or not a JSON object (``expect`` says which object, e.g. ``"with 'text' and 'labels'"``).
    """
    opener = gzip.open if str(path).endswith(".gz") else open
    try:
        fh = opener(path, "rb")
    except OSError as exc:
        raise TextDataError(f"{path}: cannot open ({exc.strerror or exc})") from None
    lineno = 0
    with fh:
        lines = iter(fh)
        while True:
            try:
                raw = next(lines)
            except StopIteration:
                return
            except (OSError, EOFError) as exc:  # not gzip, a truncated .gz
                raise TextDataError(f"{path}, line {lineno + 1}: cannot read ({exc}); JSON-lines files are UTF-8 "
                                    "text (.jsonl) or its gzip (.jsonl.gz)") from None
            lineno += 1
            if lineno == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise TextDataError(f"{path}, line {lineno}: cannot read ({exc}); JSON-lines files must be UTF-8 "
                                    "text (.jsonl) or its gzip (.jsonl.gz)") from None
            if not line.strip():
                continue
            where = f"{path}, line {lineno}"
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise TextDataError(f"{where}: not valid JSON ({exc.msg} at column {exc.colno})") from None
            if not isinstance(obj, dict):
                raise TextDataError(f"{where}: expected a JSON object {expect}, got {type(obj).__name__}")
            yield lineno, where, obj


def read_reuters(
    path: str | os.PathLike, label_names: list[str], *, sgml_tar: str | os.PathLike | None = None,
    stats: dict | None = None,
) -> tuple[TextSource, list[str], int]:
    """Read the derived ModApte jsonl(.gz).

    Args:
        path: ``modapte_90cats.jsonl.gz`` (or an uncompressed ``.jsonl``).
        label_names: the label vocabulary (index order).
        sgml_tar: the original distribution; documents with an empty title and text get their UNPROC body
            from it (:func:`read_unproc_bodies`). ``None``: such documents are an error.
        stats: if given, receives ``{"recovered_unproc": count}``.

    Returns:
        ``(source, split_of_row, dropped)``: the documents (input ``title + "\\n" + text``), each kept row's
        ``"train"`` / ``"test"``, and how many rows were dropped for having no label.

    Raises:
        TextDataError: a line that is not a JSON object with ``id``, ``split``, ``title``, ``text``, ``labels``; an
            empty text (title and body both blank); a label outside ``label_names``; a split other than
            train/test. The message names the file and the 1-based line.
    """
    from seal.text.cache import sha256_of

    index = {n: i for i, n in enumerate(label_names)}
    texts, ids, rows, splits = [], [], [], []
    dropped = 0
    empty: dict[str, str] = {}  # NEWID -> "file, line N" of documents without title and text
    for _, where, rec in _json_object_lines(path, "with id, split, title, text, labels"):
        missing = [k for k in ("id", "split", "title", "text", "labels") if k not in rec]
        if missing:
            raise TextDataError(f"{where}: missing field(s) {missing}")
        title, body = rec["title"], rec["text"]
        if not isinstance(title, str) or not isinstance(body, str):
            raise TextDataError(f"{where}: 'title' and 'text' must be strings")
        if not (title.strip() or body.strip()):
            if sgml_tar is None:
                raise TextDataError(f"{where} (id {rec['id']}): empty text (title and text are both blank)")
            empty[str(rec["id"])] = where
        if rec["split"] not in ("train", "test"):
            raise TextDataError(f"{where}: field 'split' must be 'train' or 'test', got {rec['split']!r}")
        labels = rec["labels"]
        if not isinstance(labels, list):
            raise TextDataError(f"{where}: field 'labels' must be a list")
        row = np.zeros(len(label_names), dtype=np.uint8)
        for lab in labels:
            if lab not in index:
                raise TextDataError(f"{where} (id {rec['id']}): label {lab!r} is not in the label vocabulary")
            row[index[lab]] = 1
        if not row.any():
            dropped += 1
            continue
        texts.append(f"{title}\n{body}")
        ids.append(str(rec["id"]))
        rows.append(row)
        splits.append(rec["split"])
    if empty:
        bodies = read_unproc_bodies(sgml_tar, set(empty))
        for i, rid in enumerate(ids):
            if rid in empty:
                if rid not in bodies:
                    raise TextDataError(f"{empty[rid]} (id {rid}): empty text (title and text are both blank) and no "
                                        f"UNPROC body for NEWID {rid} in {sgml_tar}")
                texts[i] = bodies[rid]
    if stats is not None:
        stats["recovered_unproc"] = len(empty)
    Y = np.stack(rows) if rows else np.zeros((0, len(label_names)), dtype=np.uint8)
    return TextSource("all", str(path), sha256_of(path), texts, ids, Y), splits, dropped


def read_goemotions_labels(path: str | os.PathLike) -> list[str]:
    """Label names, one per line of ``labels.txt`` (blank lines are an error naming the line)."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    for i, n in enumerate(lines, 1):
        if not n.strip():
            raise TextDataError(f"{path}, line {i}: empty label name")
    if len(set(lines)) != len(lines):
        raise TextDataError(f"{path}: a label name is listed twice")
    return lines


def read_goemotions_file(path: str | os.PathLike, num_labels: int, name: str) -> TextSource:
    """One GoEmotions TSV: ``text<TAB>comma-separated label ids<TAB>comment id`` per line, no header.

    Raises:
        TextDataError: a line without exactly 3 tab-separated fields, an empty text, a label id that is not an
            integer in ``[0, num_labels)``, no label; the message names the file and the 1-based line.
    """
    from seal.text.cache import sha256_of

    texts, ids, rows = [], [], []
    with open(path, encoding="utf-8", newline="") as fh:
        for lineno, line in enumerate(fh, 1):
            where = f"{path}, line {lineno}"
            parts = line.rstrip("\n").rstrip("\r").split("\t")
            if len(parts) != 3:
                raise TextDataError(f"{where}: expected 3 tab-separated fields (text, labels, id), got {len(parts)}")
            text, labs, rid = parts
            if not text.strip():
                raise TextDataError(f"{where} (id {rid}): empty text")
            row = np.zeros(num_labels, dtype=np.uint8)
            for tok in labs.split(","):
                try:
                    k = int(tok)
                except ValueError:
                    raise TextDataError(f"{where} (id {rid}): label id {tok!r} is not an integer") from None
                if not 0 <= k < num_labels:
                    raise TextDataError(f"{where} (id {rid}): label id {k} is outside the label vocabulary [0, {num_labels})")
                row[k] = 1
            texts.append(text)
            ids.append(rid)
            rows.append(row)
    Y = np.stack(rows) if rows else np.zeros((0, num_labels), dtype=np.uint8)
    return TextSource(name, str(path), sha256_of(path), texts, ids, Y)


# ---------------------------------------------------------------------------------------------------- own files
_FIELD_HINT = "name the {what} field with --data.{what}_field (seal fit) or --{what}-field (seal predict, seal data info)"


def _texts_key(file_sha256: str, texts: list[str]) -> str:
    """The cache key of a JSON-lines source: the SHA-256 of the texts read (with the file's), so that reading another
    field of the same file never meets the first field's cached tokens and features."""
    import hashlib

    h = hashlib.sha256(file_sha256.encode())
    for t in texts:
        h.update(b"\0")
        h.update(t.encode("utf-8"))
    return h.hexdigest()


def _jsonl_records(path: str | os.PathLike, text_field: str, labels_field: str, labels_optional: bool):
    """Yield ``(lineno, text, labels or None)`` of a JSON-lines file (``.jsonl`` or ``.jsonl.gz``); blank lines are
    skipped.

    Raises:
        TextDataError: a line that is not a JSON object, a missing / empty / non-string text, a missing label field
            (unless ``labels_optional``) or one that is not a list; file and line named.
    """
    for lineno, where, obj in _json_object_lines(path, f"with {text_field!r} and {labels_field!r}"):
        text = obj.get(text_field)
        if not isinstance(text, str):
            raise TextDataError(f"{where}, field {text_field!r}: " + (
                "missing" if text_field not in obj else f"expected a string, got {type(text).__name__}") +
                f" (fields present: {', '.join(sorted(obj)) or 'none'}; {_FIELD_HINT.format(what='text')})")
        if not text.strip():
            raise TextDataError(f"{where}, field {text_field!r}: empty text")
        if labels_field not in obj:
            if labels_optional:
                yield lineno, text, None
                continue
            raise TextDataError(f"{where}, field {labels_field!r}: missing (fields present: "
                                f"{', '.join(sorted(obj))}; {_FIELD_HINT.format(what='labels')})")
        labs = obj[labels_field]
        if not isinstance(labs, list):
            raise TextDataError(f"{where}, field {labels_field!r}: expected a list of label names or ids, got "
                                f"{type(labs).__name__}")
        yield lineno, text, labs


def text_file_label_names(path: str | os.PathLike, *, text_field: str = "text", labels_field: str = "labels") -> list[str]:
    """The label vocabulary of a JSON-lines file: the sorted set of the label names it uses.

    Raises:
        TextDataError: as :func:`read_text_jsonl`; an integer label id (ids need an explicit label list); no label
            in the whole file.
    """
    names: set[str] = set()
    n = 0
    for lineno, _, labs in _jsonl_records(path, text_field, labels_field, False):
        n += 1
        for lab in labs:
            if not isinstance(lab, str) or not lab:
                raise TextDataError(f"{path}, line {lineno}, field {labels_field!r}: label {lab!r} is not a label name; "
                                    "integer label ids need the label list (seal fit: --data.labels '[name0, name1, ...]'; "
                                    "seal data info: --labels name0,name1,...)")
            names.add(lab)
    if not n:
        raise TextDataError(f"{path}: no documents (the file is empty)")
    if not names:
        raise TextDataError(f"{path}: no document has a label, so there is no label vocabulary to learn")
    return sorted(names)


def read_text_jsonl(
    path: str | os.PathLike,
    label_names: list[str],
    *,
    name: str = "train",
    text_field: str = "text",
    labels_field: str = "labels",
    labels_optional: bool = False,
) -> TextSource:
    """Read one JSON-lines text file: ``{"text": "...", "labels": ["name", ...]}`` per line (field names
    configurable; label entries are names in ``label_names`` or integer ids into it; an empty list is a document
    with no label and is kept).

    Args:
        path: ``.jsonl`` (or ``.jsonl.gz``) file.
        label_names: the ``L`` label names (label-index order).
        name: the source's name (``"train"``, ``"val"``, ``"test"``, ``"input"``).
        text_field, labels_field: the objects' field names.
        labels_optional: allow documents without the label field (prediction input); their rows of ``Y`` are 0
            and :attr:`TextSource.labelled` is ``False`` for them.

    Returns:
        :class:`TextSource` with ``ids`` = the 1-based line numbers as strings and ``sha256`` = the SHA-256 of the
        file and the texts read (the cache key: another ``text_field`` of the same file gets its own entries).

    Raises:
        TextDataError: malformed line, empty text, unknown label name, label id out of range, a label listed twice
            in one document, an empty file; the message names the file, the line and the field.
    """
    from seal.text.cache import sha256_of

    index = {n: i for i, n in enumerate(label_names)}
    L = len(label_names)
    texts, ids, rows, labelled = [], [], [], []
    n_ids = 0
    for lineno, text, labs in _jsonl_records(path, text_field, labels_field, labels_optional):
        row = np.zeros(L, dtype=np.uint8)
        for lab in labs or ():
            where = f"{path}, line {lineno}, field {labels_field!r}"
            if isinstance(lab, bool) or not isinstance(lab, (str, int)):
                raise TextDataError(f"{where}: label {lab!r} is neither a label name nor an integer id")
            if isinstance(lab, str):
                if lab not in index:
                    raise TextDataError(f"{where}: label {lab!r} is not in the label vocabulary ({L} labels: "
                                        f"{', '.join(label_names[:8])}{', ...' if L > 8 else ''})")
                k = index[lab]
            else:
                if not 0 <= lab < L:
                    raise TextDataError(f"{where}: label id {lab} is outside [0, {L})")
                k = lab
                n_ids += 1
            if row[k]:
                raise TextDataError(f"{where}: label {lab!r} is listed twice")
            row[k] = 1
        texts.append(text)
        ids.append(str(lineno))
        rows.append(row)
        labelled.append(labs is not None)
    if not texts:
        raise TextDataError(f"{path}: no documents (the file is empty)")
    key = _texts_key(sha256_of(path), texts)
    return TextSource(name, str(path), key, texts, ids, np.stack(rows), np.array(labelled, dtype=bool), n_ids)


def check_carve(path, n: int, val_fraction: float) -> None:
    """Refuse a validation carve that cannot be made: ``n`` documents in ``path`` and ``round(1 / val_fraction)``
    stratified folds (at least 2).

    Raises:
        TextDataError: fewer documents than folds (names the file and the options to use).
    """
    if not 0.0 < val_fraction < 1.0:
        raise TextDataError(f"--data.val_fraction must lie in (0, 1), got {val_fraction}")
    folds = max(2, int(round(1.0 / val_fraction)))
    if n < folds:
        raise TextDataError(f"{path}: {n} document(s), too few to carve a validation split with val_fraction "
                            f"{val_fraction:g} ({folds} folds); give a validation file (--data.val) or a larger "
                            "--data.val_fraction")


def load_text_files(
    train: str | os.PathLike,
    val: str | os.PathLike | None = None,
    test: str | os.PathLike | None = None,
    *,
    labels: list[str] | None = None,
    text_field: str = "text",
    labels_field: str = "labels",
    val_fraction: float = 0.1,
    split_seed: int = 0,
) -> TextMLCData:
    """Your own text multi-label files as a :class:`TextMLCData` (named after the train file's stem).

    Args:
        train, val, test: JSON-lines files (:func:`read_text_jsonl`); without ``val`` a validation split is carved
            from ``train`` by iterative stratification (``round(1 / val_fraction)`` folds, seed ``split_seed``);
            without ``test`` there is no ``"test"`` split.
        labels: the label names in label-index order (required when the files use integer ids); default: the
            sorted set of names in ``train``.
        text_field, labels_field: the objects' field names.

    Raises:
        TextDataError: as :func:`read_text_jsonl`; a label list with a repeated or empty name.
    """
    from seal.data.splits import carve_validation

    if labels is not None:
        labels = [str(n) for n in labels]
        if not labels or any(not n for n in labels) or len(set(labels)) != len(labels):
            raise TextDataError(f"the label list (--data.labels / --labels) must be distinct non-empty names, got {labels}")
        label_names, origin = labels, "given"
    else:
        label_names = text_file_label_names(train, text_field=text_field, labels_field=labels_field)
        origin = f"the sorted names seen in {Path(train).name}"
    kw = dict(text_field=text_field, labels_field=labels_field)

    def read(path, name):
        try:
            return read_text_jsonl(path, label_names, name=name, **kw)
        except TextDataError as exc:
            if labels is None and name != "train" and "not in the label vocabulary" in str(exc):
                raise TextDataError(f"{exc}; the vocabulary is the label names used in {train}: list every label "
                                    "with --data.labels (seal fit) or --labels (seal data info)") from None
            raise

    sources = {"train": read(train, "train")}
    n_train = len(sources["train"].texts)
    if val is not None:
        sources["val"] = read(val, "val")
        splits = {"train": ("train", np.arange(n_train, dtype=np.int64)),
                  "val": ("val", np.arange(len(sources["val"].texts), dtype=np.int64))}
        val_note = f"validation: {val}"
    else:
        check_carve(train, n_train, val_fraction)
        tr, va = carve_validation(sources["train"].Y, val_fraction=val_fraction, seed=split_seed)
        splits = {"train": ("train", tr), "val": ("train", va)}
        val_note = (f"validation carved from {Path(train).name} by iterative stratification: {len(va)} of its "
                    f"{n_train} documents ({int(round(1 / val_fraction))} folds, seed {split_seed})")
    if test is not None:
        sources["test"] = read(test, "test")
        splits["test"] = ("test", np.arange(len(sources["test"].texts), dtype=np.int64))
    no_label = {s: int((src.Y.sum(1) == 0).sum()) for s, src in sources.items()}
    notes = [
        f"own files: train {train}" + (f", val {val}" if val else "") + (f", test {test}" if test else ", no test file"),
        f"{len(label_names)} labels ({origin})",
        val_note,
        "documents without any label (kept): " + ", ".join(f"{s} {n}" for s, n in no_label.items()),
    ]
    return TextMLCData(Path(str(train)).name.split(".")[0], label_names, sources, splits, 0, notes)


def describe_text_file(
    path: str | os.PathLike,
    *,
    labels: list[str] | None = None,
    text_field: str = "text",
    labels_field: str = "labels",
    val_fraction: float = 0.1,
    split_seed: int = 0,
) -> dict:
    """``seal data info FILE.jsonl``: documents, labels and their statistics, text lengths in characters and
    whitespace words, and the validation carve ``seal fit --task text-mlc --data.train FILE`` would make
    (JSON-able; :func:`format_text_file_description` prints it).

    Raises:
        TextDataError: as :func:`read_text_jsonl`.
    """
    from seal.data.splits import carve_validation

    names = list(labels) if labels else text_file_label_names(path, text_field=text_field, labels_field=labels_field)
    src = read_text_jsonl(path, names, text_field=text_field, labels_field=labels_field)
    n, L = src.Y.shape
    per_row = src.Y.sum(1)
    chars = np.array([len(t) for t in src.texts])
    words = np.array([len(t.split()) for t in src.texts])
    out = {
        "file": os.fspath(path), "format": "jsonl (text multi-label)", "labels_from": "given" if labels else
        "the sorted label names in the file", "documents": int(n), "labels": int(L),
        "label_cardinality": float(per_row.mean()), "label_density": float(per_row.mean()) / L,
        "documents_without_label": int((per_row == 0).sum()), "labels_never_set": int((src.Y.sum(0) == 0).sum()),
        "characters": {"mean": float(chars.mean()), "max": int(chars.max())},
        "words": {"mean": float(words.mean()), "max": int(words.max())},
        "label_names": names,
    }
    try:
        check_carve(path, n, val_fraction)
    except TextDataError as exc:
        out["carve"] = {"error": str(exc), "seed": int(split_seed), "val_fraction": float(val_fraction)}
    else:
        tr, va = carve_validation(src.Y, val_fraction=val_fraction, seed=split_seed)
        out["carve"] = {"train": int(len(tr)), "val": int(len(va)), "seed": int(split_seed),
                        "val_fraction": float(val_fraction)}
    return out


def describe_text_file_hook(
    path: str | os.PathLike, *, labels: list[str] | None = None, text_field: str = "text",
    labels_field: str = "labels", val_fraction: float | None = None, seed: int = 0,
) -> dict:
    """``seal data info FILE.jsonl`` (the task registry's ``describe_file`` hook): :func:`describe_text_file`
    (validation share 0.1 when ``val_fraction`` is ``None``, carve seed ``seed``) as ``{"text": its
    :func:`format_text_file_description`, "stats": the description}``.

    Raises:
        TextDataError: as :func:`read_text_jsonl`.
    """
    info = describe_text_file(path, labels=labels, text_field=text_field, labels_field=labels_field,
                              val_fraction=0.1 if val_fraction is None else val_fraction, split_seed=seed)
    return {"text": format_text_file_description(info), "stats": info}


def format_text_file_description(info: dict) -> str:
    """Text form of :func:`describe_text_file`'s result."""
    names = info["label_names"]
    shown = ", ".join(names[:8]) + (f", ... ({len(names)} in all)" if len(names) > 8 else "")
    lines = [
        info["file"],
        f"  format                   {info['format']}",
        f"  labels from              {info['labels_from']}",
        f"  documents                {info['documents']}",
        f"  labels                   {info['labels']}: {shown}",
        f"  label cardinality        {info['label_cardinality']:.3f} (density {info['label_density']:.4f})",
        f"  documents without label  {info['documents_without_label']}",
        f"  labels never set         {info['labels_never_set']}",
        f"  length                   {info['characters']['mean']:.1f} characters on average (max "
        f"{info['characters']['max']}), {info['words']['mean']:.1f} words (max {info['words']['max']}); word-pieces "
        "and truncation are counted by seal fit, which knows the encoder",
    ]
    c = info["carve"]
    if "error" in c:
        lines.append(f"  as --data.train          no validation carve: {c['error']}")
    else:
        lines.append(f"  as --data.train          train {c['train']} / val {c['val']} (validation carved by iterative "
                     f"stratification, {c['val_fraction']:g}, seed {c['seed']})")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------------- datasets
def _text_spec(name: str):
    """The catalogue entry of a text dataset (loader ``"text"``).

    Raises:
        ValueError: the dataset exists but is not a text dataset; UnknownDatasetError: not in the catalogue.
    """
    from seal.data.catalogue import get_spec

    spec = get_spec(name)
    if spec.loader != "text":
        raise ValueError(f"dataset {name!r} is not a text dataset (loader {spec.loader!r}); text datasets have "
                         f"loader 'text' in the catalogue, e.g. {', '.join(TEXT_DATASETS)}")
    return spec


def _layout(spec) -> dict[str, object]:
    """Which files play which part: ``{"format": "jsonl" | "tsv", "data": path or {split: path}, "labels": path,
    "sgml": path or None}`` (by role and file name: a role-``all`` ``.jsonl(.gz)`` file is the Reuters format,
    role ``train`` / ``val`` / ``test`` ``.tsv`` files the GoEmotions format; the label file is the role-``other``
    ``.json`` (a list) or ``.txt`` (one name a line); an optional ``.tar.xz`` is the SGML distribution)."""
    others = [f.path for f in spec.files if f.role == "other"]
    labels = [p for p in others if p.endswith((".json", ".txt"))]
    sgml = [p for p in others if p.endswith(".tar.xz")]
    if len(labels) != 1:
        raise ValueError(f"text dataset {spec.name!r}: expected one role-'other' label file (.json or .txt), got {labels}")
    all_ = spec.file("all")
    if all_ is not None and all_.path.endswith((".jsonl", ".jsonl.gz")):
        return {"format": "jsonl", "data": all_.path, "labels": labels[0], "sgml": sgml[0] if sgml else None}
    parts = {r: spec.file(r) for r in ("train", "val", "test")}
    if all(parts.values()):
        return {"format": "tsv", "data": {r: f.path for r, f in parts.items()}, "labels": labels[0], "sgml": None}
    raise ValueError(f"text dataset {spec.name!r}: needs a role-'all' .jsonl(.gz) file or train/val/test .tsv files")


def _read_labels(path) -> list[str]:
    return read_reuters_labels(path) if str(path).endswith(".json") else read_goemotions_labels(path)


def label_names_of(name: str, data_dir: str | os.PathLike | None = None) -> list[str]:
    """The label names of a text dataset (reads only the small label file, sha256-verified).

    Raises:
        ValueError: not a text dataset; DatasetNotFoundError: the file is missing.
    """
    from seal.data.locate import locate_spec

    spec = _text_spec(name)
    want = _layout(spec)["labels"]
    files = [f for f in spec.files if f.path == want]
    return _read_labels(locate_spec(spec, files, data_dir=data_dir, download=False, verify=True)[want])


def load_text_dataset(
    name: str,
    data_dir: str | os.PathLike | None = None,
    *,
    val_fraction: float = 0.1,
    split_seed: int = 0,
) -> TextMLCData:
    """Read a catalogue text dataset and its train / val / test splits.

    Args:
        name: a catalogue dataset with loader ``"text"`` (``"reuters21578"``, ``"goemotions"``).
        data_dir: searched first for the files (default ``$SEAL_DATA_DIR``, then the cache).
        val_fraction: jsonl (Reuters) format only: share of train carved as validation (``round(1 / val_fraction)``
            stratified folds; the first is validation).
        split_seed: jsonl format only: seed of that carve.

    Raises:
        ValueError: not a text dataset; TextDataError: bad content (file and line named); DatasetNotFoundError,
            ChecksumMismatchError: files missing or with another sha256 than the catalogue's.
    """
    from seal.data.locate import locate_spec

    spec = _text_spec(name)
    lay = _layout(spec)
    paths = locate_spec(spec, list(spec.files), data_dir=data_dir, download=False, verify=True)
    labels = _read_labels(paths[lay["labels"]])
    if lay["format"] == "jsonl":
        from seal.data.splits import carve_validation

        stats: dict = {}
        sgml = paths[lay["sgml"]] if lay["sgml"] else None
        src, row_split, dropped = read_reuters(paths[lay["data"]], labels, sgml_tar=sgml, stats=stats)
        split_arr = np.array(row_split)
        train = np.flatnonzero(split_arr == "train").astype(np.int64)
        test = np.flatnonzero(split_arr == "test").astype(np.int64)
        tr, va = carve_validation(src.Y[train], val_fraction=val_fraction, seed=split_seed)
        splits = {"train": ("all", train[tr]), "val": ("all", train[va]), "test": ("all", test)}
        notes = [
            f"read from {lay['data']}: {len(train)} train / {len(test)} test documents (for Reuters only the documents "
            f"with >= 1 of the 90 categories are in that file); rows dropped for having no label: {dropped}",
            f"{stats.get('recovered_unproc', 0)} documents with an empty title and text in the jsonl (TYPE=UNPROC "
            f"articles) got their body from the SGML distribution {lay['sgml']}",
            f"validation: {len(va)} of the {len(train)} train documents, iterative stratification "
            f"({int(round(1 / val_fraction))} folds, seed {split_seed}); train keeps {len(tr)}",
            "input text: title + newline + body",
        ]
        return TextMLCData(name, labels, {"all": src}, splits, dropped, notes)
    sources = {s: read_goemotions_file(paths[f], len(labels), s) for s, f in lay["data"].items()}
    splits = {s: (s, np.arange(len(src.texts), dtype=np.int64)) for s, src in sources.items()}
    notes = ["official train / dev / test files (dev = validation)"]
    return TextMLCData(name, labels, sources, splits, 0, notes)


def truncation_stats(lengths: np.ndarray, max_length: int) -> dict[str, int]:
    """Truncation at ``max_length`` word-pieces of sequences with (special tokens included) ``lengths``.

    Returns:
        ``{"documents": N, "truncated": documents longer than max_length, "tokens": total tokens before,
        "tokens_lost": tokens cut off}``.
    """
    lengths = np.asarray(lengths, dtype=np.int64)
    over = np.maximum(lengths - int(max_length), 0)
    return {"documents": int(lengths.size), "truncated": int((over > 0).sum()), "tokens": int(lengths.sum()),
            "tokens_lost": int(over.sum())}


def describe(
    name: str,
    data_dir: str | os.PathLike | None = None,
    *,
    max_length: int | None = 512,
    encoder: str | None = None,
    val_fraction: float = 0.1,
    split_seed: int = 0,
    stats: dict | None = None,
) -> str:
    """A text summary of a text dataset for ``seal data info NAME``: split sizes, label count, label cardinality,
    the rarest / commonest labels, and (when ``max_length`` is given and the encoder's tokenizer is installed)
    word-piece lengths and truncation per split (documents truncated, tokens lost).

    Args:
        stats: if given, receives the numbers as JSON-serialisable data (``{"labels", "splits": {split: {...}}}``).

    Raises:
        as :func:`load_text_dataset`.
    """
    data = load_text_dataset(name, data_dir, val_fraction=val_fraction, split_seed=split_seed)
    out = [f"{name}: {data.num_labels} labels"]
    out += [f"  {n}" for n in data.notes]
    info: dict = {"labels": data.num_labels, "notes": list(data.notes), "splits": {}}
    tok = None
    if max_length is not None:
        try:
            from seal.tasks.text_mlc.features import tokenize_texts
            from seal.text.encoder import load_tokenizer

            tok = load_tokenizer(encoder)
        except (ImportError, FileNotFoundError) as exc:
            out.append(f"  (no truncation statistics: {exc})")
    for split in ("train", "val", "test"):
        Y = data.split_Y(split)
        card = float(Y.sum(1).mean()) if len(Y) else 0.0
        present = int((Y.sum(0) > 0).sum())
        rec = {"instances": int(len(Y)), "label_cardinality": card, "labels_present": present}
        line = f"  {split:<5} {len(Y):>6} documents, label cardinality {card:.3f}, {present}/{data.num_labels} labels present"
        if tok is not None:
            lengths = tokenize_texts(tok, data.split_texts(split), max_length=None)["lengths"].numpy()
            st = truncation_stats(lengths, max_length)
            rec.update(word_pieces_mean=float(lengths.mean()), word_pieces_max=int(lengths.max()), max_length=max_length,
                       truncated=st["truncated"], tokens=st["tokens"], tokens_lost=st["tokens_lost"])
            line += (f"; word-pieces mean {lengths.mean():.1f}, max {lengths.max()}; truncated at {max_length}: "
                     f"{st['truncated']} documents, {st['tokens_lost']} of {st['tokens']} tokens lost")
        info["splits"][split] = rec
        out.append(line)
    Ytr = data.split_Y("train")
    freq = Ytr.sum(0).astype(np.int64)  # (a uint8 sum would wrap when negated below)
    order = np.argsort(-freq, kind="stable")
    out.append("  commonest train labels: " + ", ".join(f"{data.label_names[i]} {int(freq[i])}" for i in order[:5]))
    out.append("  rarest train labels: " + ", ".join(f"{data.label_names[i]} {int(freq[i])}" for i in order[::-1][:5]))
    if stats is not None:
        stats.update(info)
    return "\n".join(out)


def describe_dataset(name: str, *, data_dir=None, download: bool = False, split_seed: int = 0) -> dict:
    """``seal data info`` for a text dataset (the text-mlc task's ``describe`` hook): :func:`describe` at 512
    word-pieces with the default encoder's tokenizer (statistics without truncation when it is not installed).
    ``split_seed`` seeds the validation carve of a dataset without an official validation split (Reuters).

    Returns:
        ``{"text": the summary, "stats": its numbers}``.

    Raises:
        DatasetNotFoundError: the files are not found locally (text datasets are not downloaded: ``download`` is
            ignored); TextDataError: bad content (file and line).
    """
    stats: dict = {}
    text = describe(name, data_dir, max_length=512, split_seed=split_seed, stats=stats)
    return {"text": text, "stats": stats}
