"""SRL end to end on the fixtures with a tiny random BERT (hidden 32, 2 layers) in tmp_path: the DataModule
(cached word states, refusal of over-long sentences), a few training steps of every method, predictions."""

from __future__ import annotations

import json

import lightning as L
import pytest
import torch

from seal.tasks.srl.data import SRLDataModule
from seal.tasks.srl.module import SRLModule
from srl_helpers import FILES, tiny_bert


@pytest.fixture(scope="module")
def enc_dir(tmp_path_factory):
    return tiny_bert(tmp_path_factory.mktemp("tinybert"))


@pytest.fixture(scope="module")
def dm(enc_dir, tmp_path_factory):
    dm = SRLDataModule(files={k: str(v) for k, v in FILES.items()}, encoder=enc_dir, batch_size=2, eval_batch_size=2,
                       cache_dir=str(tmp_path_factory.mktemp("cache")))
    assert not dm._ready and dm.num_tags == 6 and dm.hidden_size == 32  # known before the encoder runs
    dm.prepare()
    return dm


def test_datamodule_batches_and_cache(dm, enc_dir, tmp_path):
    assert dm.num_tags == 6 and dm.hidden_size == 32 and dm.refused == {"train": 0, "val": 0, "test": 0}
    assert [len(dm.instances[k]) for k in ("train", "val", "test")] == [4, 2, 1]
    b = next(iter(dm.val_dataloader()))
    assert b["x"]["states"].shape == (2, 4, 32) and b["y"].tolist() == [[0, 2, 1, 5], [2, 1, 0, 3]]
    assert b["x"]["predicate"].tolist() == [2, 1] and b["mask"].all()
    # word states = the first word-piece's state of layer -2 ("loudly" -> loud ##ly: the state of "loud")
    from seal.text.encoder import load_encoder, load_tokenizer

    enc, tok = load_encoder(enc_dir), load_tokenizer(enc_dir)
    ids = tok(["the", "cat", "ate", "fish"], is_split_into_words=True, return_tensors="pt")
    with torch.no_grad():
        ref = enc(**ids, output_hidden_states=True).hidden_states[-2][0, 1:5]
    assert torch.allclose(b["x"]["states"][0], ref.half().float())
    # a position table shorter than a sentence: refused with a count, never truncated
    short = tiny_bert(tmp_path / "short", max_positions=5)
    dm2 = SRLDataModule(files={k: str(v) for k, v in FILES.items()}, encoder=short, cache_dir=str(tmp_path / "c"))
    dm2.prepare()
    assert dm2.refused == {"train": 4, "val": 2, "test": 1}  # >= 4 pieces + [CLS] + [SEP] > 5 ("n't": 3 pieces)


def _fit(dm, method, tmp_path, **kw):
    torch.manual_seed(0)
    # flat names, as configs before the grouping (SRLModule.from_hparams groups them)
    model = SRLModule.from_hparams(dict(
        method=method, num_tags=dm.num_tags, hidden_size=dm.hidden_size, label_names=dm.label_names, d_model=8,
        n_heads=2, ff_dim=16, loss_hidden=8, attention_dim=8, num_samples=5, lr=1e-2, score_lr=1e-2, **kw,
    ))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    trainer = L.Trainer(max_epochs=2, inference_mode=False, logger=False, enable_checkpointing=False,
                        enable_progress_bar=False, enable_model_summary=False, num_sanity_val_steps=0,
                        accelerator="cpu", default_root_dir=str(tmp_path))
    trainer.fit(model, dm)
    trainer.test(model, dm, verbose=False)
    changed = [k for k, v in model.state_dict().items() if k in before and not torch.equal(v, before[k])]
    ckpt = tmp_path / f"{method}.ckpt"
    trainer.save_checkpoint(str(ckpt))
    return model, changed, ckpt


def test_every_method_trains_and_predicts(dm, tmp_path):
    for method in ("cross-entropy", "crf", "seal-dynamic-nce"):
        model, changed, ckpt = _fit(dm, method, tmp_path)
        assert model.batches_seen == 4 and len(model.val_history) == 2
        assert 0.0 <= model.test_results["labeled_f1"] <= 1.0 and "ucr_violation_rate_gold" in model.test_results
        assert any(k.startswith("task_net.") for k in changed)
        if method == "crf":
            assert any(k.startswith("task_loss.crf.") for k in changed)  # the CRF is trained with the task-net
        if method == "seal-dynamic-nce":
            assert any(k.startswith("score_net.") for k in changed)
        if method == "cross-entropy":
            ce, ce_ckpt = model, ckpt
    gbi, changed, gbi_ckpt = _fit(dm, "nce-gbi", tmp_path, task_checkpoint=str(ce_ckpt), gbi_steps=3)
    assert any(k.startswith("score_net.") for k in changed)
    for k, v in gbi.task_net.state_dict().items():  # the CE task-net is loaded and stays fixed (the noise)
        assert torch.equal(v, ce.task_net.state_dict()[k])
    assert gbi.pretrained_from["task_checkpoint"] == str(ce_ckpt)
    static, changed, _ = _fit(dm, "seal-static-nce", tmp_path, score_checkpoint=str(gbi_ckpt))
    assert any(k.startswith("task_net.") for k in changed)
    for k, v in static.score_net.state_dict().items():  # the nce-gbi loss-net is loaded and stays frozen
        assert torch.equal(v, gbi.score_net.state_dict()[k])
    b = next(iter(dm.test_dataloader()))
    p = gbi.predict_tags_onehot(b["x"])
    assert p.shape == (1, 4, 6) and torch.allclose(p.sum(-1), torch.ones(1, 4), atol=1e-5)


def test_method_errors():
    with pytest.raises(ValueError, match="unknown SRL method 'spen-gbi'"):
        SRLModule(method="spen-gbi")
    with pytest.raises(ValueError, match="needs task_checkpoint"):
        SRLModule(method="nce-gbi").setup("fit")
    with pytest.raises(ValueError, match="needs score_checkpoint"):
        SRLModule(method="seal-static-nce").setup("fit")
    with pytest.raises(FileNotFoundError, match="task_checkpoint: checkpoint not found"):
        SRLModule(method="nce-gbi", task_checkpoint="/nonexistent/x.ckpt").setup("fit")


def test_predict_writes_frames_and_prints_one(dm, tmp_path):
    from seal.tasks.srl.predict import format_frame, frame_at, write_frames

    model = SRLModule(method="cross-entropy", num_tags=dm.num_tags, hidden_size=dm.hidden_size,
                      label_names=dm.label_names, task_net={"d_model": 8, "n_heads": 2, "ff_dim": 16})
    out = tmp_path / "frames.jsonl"
    n = write_frames(model, dm, out, split="val")
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert n == 2 and [r["words"] for r in rows] == [["The", "cat", "ate", "fish"], ["John", "said", "Mary", "left"]]
    assert rows[0]["predicate"] == {"index": 2, "word": "ate", "roleset": "eat.01"}
    assert len(rows[0]["roles"]) == 4 and rows[0]["roles"][2] == "V"  # the predicate is always V
    text = format_frame(rows[1])
    assert text.splitlines()[0] == "said (say.01): John said Mary left"
    assert frame_at(model, dm, 1, split="val") == rows[1]
    with pytest.raises(IndexError, match="instance 2 is outside the 2 predicate instances of 'val'"):
        frame_at(model, dm, 2, split="val")
    fixed = {"words": ["a", "b"], "predicate": {"index": 1, "word": "b", "roleset": "b.01"}, "roles": ["ARG0", "V"],
             "arguments": [{"index": 0, "word": "a", "role": "ARG0"}]}
    assert format_frame(fixed) == "b (b.01): a b\n  ARG0: a [#0]"
