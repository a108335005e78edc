"""SRL with your own files: what the reader skips and where it says so (seal fit, seal predict, seal data info),
splits without predicate instances refused before training, `seal predict --dataset` / `--input` on a checkpoint
trained with --data.files, the predict options that do not apply, and the help of the linked model arguments.

Every file here is hand-made in tmp_path; the tests that name the catalogue dataset read the real UP English-EWT
files (skipped without SEAL_DATA_DIR)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
import torch

pytest.importorskip("transformers")

from seal.cli import data as data_cli  # noqa: E402
from seal.cli import predict as predict_cli  # noqa: E402
from seal.tasks.srl.data import SRLDataModule, SRLPredictData, check_instances, load_srl_splits  # noqa: E402
from seal.tasks.srl.reader import SKIP_WRONG_COLUMNS, read_srl_file, read_srl_text  # noqa: E402
from srl_helpers import DATA, fit_tiny_cross_entropy, tiny_bert  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def _row(i, word, roleset="_", *args):
    return "\t".join([str(i), word, word.lower(), "X", "X", "_", "0", "dep", "_", "_", roleset, *args])


# lines 1-5: a sentence with one predicate; 7-11: two predicates; 13-16: one predicate, line 15 one column short;
# 18-21: two predicates, line 20 with an extra column
TRAIN = "\n".join([
    "# sent_id = a",                                          # 1
    _row(1, "The", "_", "_"),                                 # 2
    _row(2, "cat", "_", "ARG0"),                              # 3
    _row(3, "ate", "eat.01", "V"),                            # 4
    _row(4, "fish", "_", "ARG1"),                             # 5
    "",                                                       # 6
    "# sent_id = b",                                          # 7
    _row(1, "John", "_", "ARG0", "_"),                        # 8
    _row(2, "said", "say.01", "V", "_"),                      # 9
    _row(3, "Mary", "_", "_", "ARG0"),                        # 10
    _row(4, "left", "leave.01", "ARG1", "V"),                 # 11
    "",                                                       # 12
    "# sent_id = c",                                          # 13
    _row(1, "Dogs", "_", "ARG0"),                             # 14
    _row(2, "bark", "bark.01"),                               # 15 (11 columns: the argument column is missing)
    _row(3, "loudly", "_", "_"),                              # 16
    "",                                                       # 17
    _row(1, "John", "_", "ARG0", "_"),                        # 18
    _row(2, "said", "say.01", "V", "_"),                      # 19
    _row(3, "Mary", "_", "_", "ARG0", "_"),                   # 20 (14 columns: one too many)
    _row(4, "left", "leave.01", "ARG1", "V"),                 # 21
    "",
])
VAL = "\n".join([
    _row(1, "The", "_", "_"),
    _row(2, "cat", "_", "ARG0"),
    _row(3, "ate", "eat.01", "V"),
    _row(4, "fish", "_", "ARGM-GOL"),
    "",
])
TEST = "\n".join([_row(1, "Dogs", "_", "ARG0"), _row(2, "bark", "bark.01", "V"), ""])
PLAIN_UD = "\n".join(["# text = Dogs bark", "\t".join(["1", "Dogs", "dog", "NOUN", "NNS", "_", "2", "nsubj", "_", "_"]),
                      "\t".join(["2", "bark", "bark", "VERB", "VBP", "_", "0", "root", "_", "_"]), ""])


def _write(folder: Path, **texts) -> dict[str, str]:
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for name, text in texts.items():
        (folder / name).write_text(text, encoding="utf-8")
        out[name] = str(folder / name)
    return out


@pytest.fixture(scope="module")
def enc_dir(tmp_path_factory):
    return tiny_bert(tmp_path_factory.mktemp("tinybert512"), max_positions=512)


# ------------------------------------------------------------------------------------------ reader: skips


def test_rows_with_the_wrong_column_count_are_skipped_counted_and_located(tmp_path):
    f = _write(tmp_path, **{"train.conllu": TRAIN})["train.conllu"]
    r = read_srl_file(f)
    assert [(i.words, i.predicate) for i in r.instances] == [
        (("The", "cat", "ate", "fish"), 2), (("John", "said", "Mary", "left"), 1), (("John", "said", "Mary", "left"), 3),
    ]
    assert dict(r.skipped) == {SKIP_WRONG_COLUMNS: 3}  # 1 predicate of sentence c, 2 of the last sentence
    assert r.first_skip == {SKIP_WRONG_COLUMNS: f"{f}:15: 11 columns, the sentence's 1 roleset(s) need 12"}
    assert r.skip_lines() == [
        f"skipped 3 predicate(s): sentence with the wrong number of predicate columns (first at {f}:15: 11 columns, "
        "the sentence's 1 roleset(s) need 12)"
    ]
    assert dict(r.columns) == {12: 6, 11: 1, 13: 7, 14: 1}
    assert r.why_no_instances() == ""


def test_why_a_file_has_no_instances():
    assert read_srl_text("", "e.conllu").why_no_instances() == (
        "the file holds no token lines (it is empty, or has only comments and blank lines)")
    assert read_srl_text(PLAIN_UD, "ud.conllu").why_no_instances() == (
        "its 1 sentence(s) have only the 10 CoNLL-U columns: no predicate columns (no roleset column 11, no "
        "argument columns), a plain UD file rather than an SRL one")
    no_pred = "\n".join([_row(1, "Hello", "_"), _row(2, "world", "_"), ""])
    assert read_srl_text("# c\n" + no_pred, "np.conllu").why_no_instances() == (
        "none of its 1 sentences has a predicate (no roleset in column 11)")
    all_bad = "\n".join([_row(1, "Dogs", "_", "ARG0"), _row(2, "bark", "bark.01"), ""])
    assert read_srl_text("# c\n" + all_bad, "bad.conllu").why_no_instances() == (
        "all 1 predicate(s) were skipped (skipped 1 predicate(s): sentence with the wrong number of predicate "
        "columns (first at bad.conllu:3: 11 columns, the sentence's 1 roleset(s) need 12))")


def test_a_space_separated_file_names_the_line_and_the_tabs():
    from seal.tasks.srl.reader import SRLFormatError

    with pytest.raises(SRLFormatError) as exc:
        read_srl_text("# c\n1 The the X X _ 0 dep _ _ _ _\n", "sp.conllu")
    assert str(exc.value) == ("sp.conllu:2: 1 columns; a token line needs at least the 10 CoNLL-U columns (columns "
                              "are separated by tabs, not spaces)")


# ------------------------------------------------------------------------------------------ seal fit's data


@pytest.mark.parametrize("train, why", [
    ("", "the file holds no token lines (it is empty, or has only comments and blank lines)"),
    (PLAIN_UD, "its 1 sentence(s) have only the 10 CoNLL-U columns: no predicate columns (no roleset column 11, no "
               "argument columns), a plain UD file rather than an SRL one"),
])
def test_a_split_without_predicate_instances_is_refused_naming_the_file(tmp_path, enc_dir, train, why):
    f = _write(tmp_path, **{"train.conllu": train, "val.conllu": VAL, "test.conllu": TEST})
    files = {"train": f["train.conllu"], "val": f["val.conllu"], "test": f["test.conllu"]}
    with pytest.raises(ValueError) as exc:
        SRLDataModule(files=files, encoder=enc_dir)
    assert str(exc.value) == f"SRL data: the train file {f['train.conllu']} has no predicate instances: {why}"
    files = {"train": f["val.conllu"], "val": f["val.conllu"], "test": f["train.conllu"]}
    with pytest.raises(ValueError, match=r"^SRL data: the test file .*train\.conllu has no predicate instances"):
        check_instances(load_srl_splits(files=files))


def test_data_files_roles_and_missing_files_are_named(tmp_path):
    f = _write(tmp_path, **{"val.conllu": VAL})["val.conllu"]
    cases = [
        ({"train": f, "val": f}, ValueError, "--data.files: need paths for train, val and test (missing test)"),
        ({"train": f, "dev": f, "val": f, "test": f}, ValueError,
         "--data.files: unknown role(s) dev; the roles are train, val and test (all three required)"),
        ({"train": f, "val": str(tmp_path / "nope.conllu"), "test": f}, FileNotFoundError,
         f"--data.files: the val file {tmp_path / 'nope.conllu'} does not exist"),
    ]
    for files, err, message in cases:
        with pytest.raises(err) as exc:
            load_srl_splits(files=files)
        assert str(exc.value) == message


def _fit_argv(tmp_path, files, enc_dir, *extra):
    return [
        "--config", str(REPO / "configs/up_english_ewt/cross-entropy.cpu.yaml"),
        "--data.files", json.dumps(files), "--data.encoder", enc_dir, "--data.cache_dir", str(tmp_path / "cache"),
        "--data.batch_size", "2", "--model.task_net.d_model", "8", "--model.task_net.n_heads", "2",
        "--model.task_net.ff_dim", "16", "--trainer.max_epochs", "1", "--trainer.enable_progress_bar", "false",
        "--trainer.default_root_dir", str(tmp_path / "runs"), *extra,
    ]


def test_seal_fit_refuses_an_empty_train_file_before_training(tmp_path, enc_dir, capsys):
    from seal.cli.lightning import fit_main

    f = _write(tmp_path, **{"empty.conllu": "", "val.conllu": VAL, "test.conllu": TEST})
    files = {"train": f["empty.conllu"], "val": f["val.conllu"], "test": f["test.conllu"]}
    with pytest.raises(SystemExit) as exc:
        fit_main(_fit_argv(tmp_path, files, enc_dir))
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.strip().splitlines()[-1] == (
        f"seal: error: SRL data: the train file {f['empty.conllu']} has no predicate instances: the file holds no "
        "token lines (it is empty, or has only comments and blank lines)")
    assert not (tmp_path / "runs").exists()  # nothing trained, no run folder


def test_seal_fit_prints_what_it_skipped_per_file(tmp_path, enc_dir, capsys):
    from seal.cli.lightning import fit_main

    f = _write(tmp_path, **{"train.conllu": TRAIN, "val.conllu": VAL, "test.conllu": TEST})
    files = {"train": f["train.conllu"], "val": f["val.conllu"], "test": f["test.conllu"]}
    assert fit_main(_fit_argv(tmp_path, files, enc_dir, "--no_test", "true")) == 0
    err = capsys.readouterr().err.splitlines()
    t = f["train.conllu"]
    assert [line for line in err if line.startswith(("seal: SRL ", "seal:   "))] == [
        f"seal: SRL train file {t}: 3 predicate instances (conllu layout, 4 sentences, 0 without a predicate)",
        f"seal:   skipped 3 predicate(s): sentence with the wrong number of predicate columns (first at {t}:15: 11 "
        "columns, the sentence's 1 roleset(s) need 12)",
        # one sentence without a comment or blank line between sentences: read as the duplicated layout (either is fine)
        f"seal: SRL val file {f['val.conllu']}: 1 predicate instances (duplicated layout, 1 blocks, 0 without a predicate)",
        f"seal: SRL test file {f['test.conllu']}: 1 predicate instances (duplicated layout, 1 blocks, 0 without a predicate)",
        "seal: SRL roles in the val file but not in train (kept in the gold, never predicted): ARGM-GOL x1",
    ]
    assert len(list((tmp_path / "runs").rglob("best*.ckpt"))) == 1


def test_fit_help_documents_the_linked_model_arguments(capsys):
    from seal.cli.lightning import make_cli

    with pytest.raises(SystemExit) as exc:
        make_cli(["fit", "--task", "srl", "--help"])
    assert exc.value.code == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "lacks type and help" not in out
    assert ("data.num_tags --> model.num_tags [applied on instantiate] number of role tags C (int; the output "
            "layer's width): ``O``, ``V`` and every role of the data. Set from the data by ``seal fit`` (linked "
            "from ``data.num_tags``; do not give it). (type: int)") in out
    assert ("data.hidden_size --> model.hidden_size [applied on instantiate] width H of the cached encoder word "
            "states (int; the encoder's hidden size, e.g. 384 for MiniLM).") in out


# ------------------------------------------------------------------------------------------ seal data info


def test_seal_data_info_describes_an_srl_file(tmp_path, capsys):
    f = _write(tmp_path, **{"train.conllu": TRAIN})["train.conllu"]
    assert data_cli.main(["info", f]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"{f}: SRL file, conllu layout, 4 sentences, 3 predicate instances, 0 without a predicate",
        f"  skipped 3 predicate(s): sentence with the wrong number of predicate columns (first at {f}:15: 11 columns, "
        "the sentence's 1 roleset(s) need 12)",
        "predicates: 6 found, 3 read as instances, 3 skipped; 3 distinct rolesets",
        "columns per token line: 11 (1), 12 (6), 13 (7), 14 (1)",
        "words per instance: max 4, mean 4.0",
        "roles: 2 besides O and V: ARG0 x3, ARG1 x2",
        "usable as --data.files train, val or test of seal fit (all three files are required)",
    ]
    assert data_cli.main(["info", f, "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert (stats["instances"], stats["predicates"], stats["skipped"], stats["usable"]) == (
        3, 6, {SKIP_WRONG_COLUMNS: 3}, True)


def test_seal_data_info_on_the_duplicated_layout_and_unusable_files(tmp_path, capsys):
    dup = str(DATA / "train_dup.conll")
    assert data_cli.main(["info", dup]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[:4] == [
        f"{dup}: SRL file, duplicated layout, 7 blocks, 4 predicate instances, 1 without a predicate",
        "  dropped 1 multiword token line(s)",
        f"  skipped 1 predicate(s): V on a token without a roleset (first at {dup}:21)",
        f"  skipped 1 predicate(s): predicate column with more than one V (first at {dup}:20)",
    ]
    assert out[-2:] == ["roles: 3 besides O and V: ARG0 x3, ARG1 x2, ARGM-NEG x1",
                        "usable as --data.files train, val or test of seal fit (all three files are required)"]
    f = _write(tmp_path, **{"ud.conllu": PLAIN_UD, "empty.conllu": ""})
    assert data_cli.main(["info", f["ud.conllu"]]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == (
        "not usable by seal fit (--data.files): no predicate instances: its 1 sentence(s) have only the 10 CoNLL-U "
        "columns: no predicate columns (no roleset column 11, no argument columns), a plain UD file rather than an "
        "SRL one")
    assert data_cli.main(["info", f["empty.conllu"]]) == 0
    assert "columns per token line: none" in capsys.readouterr().out
    assert data_cli.main(["info", f["ud.conllu"], "--labels", "a"]) == 1
    assert capsys.readouterr().err == "seal data: error: --labels does not apply to an SRL file\n"
    assert data_cli.main(["info", f["ud.conllu"], "--seed", "3", "--text-field", "t"]) == 1
    assert capsys.readouterr().err == "seal data: error: --seed/--text-field do not apply to an SRL file\n"
    assert data_cli.main(["info", str(tmp_path / "missing.conllu")]) == 2
    assert capsys.readouterr().err == f"seal data: error: SRL file not found: {tmp_path / 'missing.conllu'}\n"


# ------------------------------------------------------------------------------------------ seal predict


@pytest.fixture(scope="module")
def own_ckpt(tmp_path_factory, enc_dir):
    """A cross-entropy checkpoint trained on own files given by **relative** paths (from its own folder), with
    max_train_instances 2 of its 3 train instances."""
    import os



    root = tmp_path_factory.mktemp("own")
    _write(root / "trained_here", **{"train.conllu": TRAIN, "dev.conllu": VAL, "test.conllu": TEST})
    cwd = os.getcwd()
    os.chdir(root / "trained_here")
    try:
        dm = SRLDataModule(files={"train": "train.conllu", "val": "dev.conllu", "test": "test.conllu"}, encoder=enc_dir,
                           batch_size=2, eval_batch_size=2, max_train_instances=2, cache_dir=str(root / "cache"))
        model, trainer = fit_tiny_cross_entropy(dm, root)
        ckpt = root / "own.ckpt"
        trainer.save_checkpoint(str(ckpt))
    finally:
        os.chdir(cwd)
    assert dm.label_names == ["O", "V", "ARG0", "ARG1", "ARGM-GOL"]
    return ckpt, root


def _predict(*argv) -> int:
    return predict_cli.main([str(a) for a in argv])


def test_predict_input_file_from_another_directory(own_ckpt, tmp_path, monkeypatch, capsys):
    ckpt, _ = own_ckpt
    monkeypatch.chdir(tmp_path)  # the checkpoint's relative train.conllu is not here: not needed
    f = _write(tmp_path, **{"mine.conllu": TRAIN})["mine.conllu"]
    assert _predict("--ckpt_path", ckpt, "--input", "mine.conllu", "--output", "frames.jsonl") == 0
    cap = capsys.readouterr()
    assert cap.out == "seal predict: 3 predicate frames of mine.conllu written to frames.jsonl\n"
    assert ("seal predict: mine.conllu: skipped 3 predicate(s): sentence with the wrong number of predicate columns "
            "(first at mine.conllu:15: 11 columns, the sentence's 1 roleset(s) need 12)") in cap.err.splitlines()
    rows = [json.loads(x) for x in (tmp_path / "frames.jsonl").read_text().splitlines()]
    assert [(r["source"], r["predicate"]["index"], r["roles"][r["predicate"]["index"]]) for r in rows] == [
        ("mine.conllu:2", 2, "V"), ("mine.conllu:8", 1, "V"), ("mine.conllu:8", 3, "V")]
    assert Path(f).read_text() == TRAIN


def test_predict_input_whole_file_despite_max_train_instances(own_ckpt, monkeypatch, capsys):
    ckpt, root = own_ckpt
    monkeypatch.chdir(root / "trained_here")
    assert _predict("--ckpt_path", ckpt, "--input", "train.conllu", "--output", root / "t.jsonl") == 0
    out = capsys.readouterr()
    assert out.out == f"seal predict: 3 predicate frames of train.conllu written to {root / 't.jsonl'}\n"
    assert "training on" not in out.out + out.err  # no training-subset message at predict time


def test_predict_reports_roles_the_checkpoint_does_not_know(own_ckpt, tmp_path, capsys):
    ckpt, _ = own_ckpt
    text = "\n".join([_row(1, "Dogs", "_", "ARGM-LOC"), _row(2, "bark", "bark.01", "V"), _row(3, "loudly", "_", "C-V"),
                      ""])
    f = _write(tmp_path, **{"new.conllu": text})["new.conllu"]
    assert _predict("--ckpt_path", ckpt, "--input", f, "--output", tmp_path / "n.jsonl") == 0
    assert (f"seal predict: 2 role occurrence(s) in {f} are not among the checkpoint's 5 roles (kept in the gold, "
            "never predicted): ARGM-LOC x1, C-V x1") in capsys.readouterr().err.splitlines()
    roles = json.loads((tmp_path / "n.jsonl").read_text())["roles"]
    assert roles[1] == "V" and set(roles) <= {"O", "V", "ARG0", "ARG1", "ARGM-GOL"}


def test_predict_batch_size_is_honoured(own_ckpt, tmp_path, monkeypatch):
    import seal.tasks.srl.data as srl_data

    ckpt, root = own_ckpt
    sizes = []
    real = srl_data.collate_instances

    def spy(enc, split, idx):
        sizes.append(len(idx))
        return real(enc, split, idx)

    monkeypatch.setattr(srl_data, "collate_instances", spy)
    f = str(root / "trained_here" / "train.conllu")
    assert _predict("--ckpt_path", ckpt, "--input", f, "--output", tmp_path / "a.jsonl", "--batch-size", "1") == 0
    assert sizes == [1, 1, 1]
    sizes.clear()
    assert _predict("--ckpt_path", ckpt, "--input", f, "--output", tmp_path / "b.jsonl") == 0
    assert sizes == [2, 1]  # the training run's eval_batch_size
    assert (tmp_path / "a.jsonl").read_text() == (tmp_path / "b.jsonl").read_text()


def test_predict_refuses_options_that_do_not_apply(own_ckpt, tmp_path, capsys):
    ckpt, root = own_ckpt
    f = str(root / "trained_here" / "dev.conllu")
    keep = tmp_path / "keep.jsonl"
    keep.write_text("old\n")
    out = str(tmp_path / "p.jsonl")
    cases = [
        (["--input", f, "--output", out, "--format", "csv"],
         "--format csv does not apply to SRL checkpoints: predicted frames are written as JSON lines "
         "(--output FRAMES.jsonl)"),
        (["--input", f, "--output", str(tmp_path / "p.csv")],
         f"--output {tmp_path / 'p.csv'}: SRL checkpoints write predicted frames as JSON lines; name the file .jsonl "
         "(or give --format jsonl)"),
        (["--input", f, "--output", str(tmp_path / "p.out")],
         f"--output {tmp_path / 'p.out'}: SRL checkpoints write predicted frames as JSON lines; name the file .jsonl "
         "(or give --format jsonl)"),
        (["--input", f, "--output", str(keep), "--threshold", "0.3"],
         "--threshold does not apply to SRL checkpoints (a word's role is the argmax over the roles, or the CRF's "
         "Viterbi path; there is no probability threshold)"),
        (["--input", f, "--frame", "0", "--format", "jsonl"], "--format applies to --output"),
        (["--input", f, "--output", out, "--split", "val"],
         f"--split val applies to --dataset; --input {f} is predicted whole"),
        (["--input", f, "--output", out, "--labels", "a,b"],
         "--labels does not apply to SRL checkpoints (--dataset up_english_ewt --split S, or --input FILE.conllu)"),
        (["--dataset", "up_english_ewt", "--output", out, "--split-seed", "3"],
         "--split-seed does not apply to SRL checkpoints (--dataset up_english_ewt --split S, or --input FILE.conllu)"),
        (["--dataset", "bibtex", "--output", out],
         "'bibtex' is not an SRL dataset: predict with --dataset up_english_ewt [--split S] or --input FILE.conllu"),
        (["--input", str(tmp_path / "x.jsonl"), "--output", out],
         f"--input {tmp_path / 'x.jsonl'}: SRL checkpoints read SRL files (.conllu, .conll, .conllu.zip, .conll.zip; "
         "CoNLL-U + PropBank columns, or the one-block-per-predicate layout)"),
        (["--input", str(tmp_path / "nope.conllu"), "--output", out], f"--input {tmp_path / 'nope.conllu'}: no such file"),
        (["--input", f, "--frame", "1"], "instance 1 is outside the 1 predicate instances of 'dev.conllu'"),
    ]
    for extra, message in cases:
        assert _predict("--ckpt_path", ckpt, *extra) == 2, extra
        assert capsys.readouterr().err.splitlines()[-1] == f"seal predict: error: {message}"
    empty = _write(tmp_path, **{"empty.conllu": ""})["empty.conllu"]
    assert _predict("--ckpt_path", ckpt, "--input", empty, "--output", out) == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"seal predict: error: --input {empty} has no predicate instances: the file holds no token lines (it is "
        "empty, or has only comments and blank lines)")
    assert keep.read_text() == "old\n" and sorted(p.name for p in tmp_path.iterdir()) == ["empty.conllu", "keep.jsonl"]


def test_predict_without_stored_role_names_needs_the_own_files(own_ckpt, tmp_path, monkeypatch, capsys):
    ckpt, root = own_ckpt
    c = torch.load(ckpt, map_location="cpu", weights_only=False)
    c["hyper_parameters"]["label_names"] = None  # as a checkpoint of a module built outside seal fit
    bare = tmp_path / "bare.ckpt"
    torch.save(c, bare)
    f = str(root / "trained_here" / "dev.conllu")
    monkeypatch.chdir(tmp_path)
    assert _predict("--ckpt_path", bare, "--input", f, "--output", "x.jsonl") == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"seal predict: error: checkpoint {bare} stores no role names, so they are rebuilt from its training files, "
        f"and its train file train.conllu (--data.files train) is not found from {tmp_path}: run seal predict from "
        "the directory it was trained in")
    monkeypatch.chdir(root / "trained_here")
    assert _predict("--ckpt_path", bare, "--input", f, "--output", tmp_path / "x.jsonl") == 0
    assert capsys.readouterr().out == f"seal predict: 1 predicate frames of {f} written to {tmp_path / 'x.jsonl'}\n"


def test_predict_data_keeps_the_checkpoint_vocabulary_first(tmp_path, enc_dir):
    text = "\n".join([_row(1, "Dogs", "_", "ARGM-LOC"), _row(2, "bark", "bark.01", "V"), ""])
    r = read_srl_text(text, "x.conllu")
    d = SRLPredictData(r, "x", ["O", "V", "ARG0"], encoder=enc_dir, cache_dir=str(tmp_path))
    assert d.label_names == ["O", "V", "ARG0", "ARGM-LOC"] and d.unseen == Counter({"ARGM-LOC": 1})
    d.prepare()
    assert d._splits["x"].tags == [[3, 1]] and d.refused == 0
    with pytest.raises(ValueError) as exc:
        SRLPredictData(read_srl_text("", "e.conllu"), "e", ["O", "V"])
    assert str(exc.value) == ("e.conllu has no predicate instances: the file holds no token lines (it is empty, or "
                              "has only comments and blank lines)")


# ------------------------------------------------------------------------------------------ the catalogue


@pytest.mark.realdata
def test_predict_dataset_predicts_the_catalogue_split_not_the_own_files(own_ckpt, data_dir, tmp_path, monkeypatch,
                                                                         capsys):
    from seal.tasks.srl.reader import read_srl_file as read

    ckpt, _ = own_ckpt
    monkeypatch.chdir(tmp_path)  # the checkpoint's own (relative) files are not here: not needed
    dev = data_dir / "up_english_ewt" / "en_ewt-up-dev.conllu"
    assert _predict("--ckpt_path", ckpt, "--dataset", "up_english_ewt", "--split", "val", "--data-dir", data_dir,
                    "--output", "v.jsonl") == 0
    cap = capsys.readouterr()
    assert cap.out == "seal predict: 4973 predicate frames of up_english_ewt split 'val' written to v.jsonl\n"
    rows = (tmp_path / "v.jsonl").read_text().splitlines()
    assert len(rows) == 4973 and json.loads(rows[0])["source"] == f"{dev}:4"
    known = {"O", "V", "ARG0", "ARG1", "ARGM-GOL"}
    unknown = Counter(x for i in read(dev).instances for x in i.roles if x not in known)
    assert (f"seal predict: {sum(unknown.values())} role occurrence(s) in up_english_ewt split 'val' are not among "
            "the checkpoint's 5 roles (kept in the gold, never predicted): "
            + ", ".join(f"{lab} x{n}" for lab, n in sorted(unknown.items()))) in cap.err.splitlines()
    assert (f"seal predict: {dev}: skipped 4 predicate(s): predicate without V in its own column (first at {dev}:9602)"
            in cap.err.splitlines())


@pytest.mark.realdata
@pytest.mark.slow  # ~45 s: reads the 65 MB train file and encodes its 10k sentences
def test_predict_train_split_is_whole_and_says_so(own_ckpt, data_dir, tmp_path, capsys):
    ckpt, _ = own_ckpt
    c = torch.load(ckpt, map_location="cpu", weights_only=False)
    c["datamodule_hyper_parameters"].update(files=None, max_train_instances=160)  # as trained on the catalogue
    cat = tmp_path / "cat.ckpt"
    torch.save(c, cat)
    assert _predict("--ckpt_path", cat, "--dataset", "up_english_ewt", "--split", "train", "--data-dir", data_dir,
                    "--output", tmp_path / "t.jsonl") == 0
    assert capsys.readouterr().out == (
        "seal predict: 40335 predicate frames of up_english_ewt split 'train' (the whole split: 40335 predicate "
        "instances; the model was trained on a seeded subset of 160 of them, --data.max_train_instances) written to "
        f"{tmp_path / 't.jsonl'}\n")
