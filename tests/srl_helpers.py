"""Shared helpers of the SRL tests: fixture paths and a tiny random BERT + WordPiece vocabulary (not MiniLM)."""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).parent / "data" / "srl"
FILES = {"train": DATA / "train_dup.conll", "val": DATA / "dev.conllu", "test": DATA / "test.conllu"}

WORDS = ["the", "cat", "ate", "fish", "john", "said", "mary", "left", "do", "n", "'", "t", "go", "dogs", "bark",
         "loud", "##ly", "hello", "world"]


def tiny_bert(path: Path, max_positions: int = 16) -> str:
    """Write a random 2-layer BERT (hidden 32) with a WordPiece vocabulary to ``path``; returns the folder."""
    import torch
    from transformers import BertConfig, BertModel, BertTokenizerFast

    path.mkdir(parents=True, exist_ok=True)
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS]
    (path / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    tok = BertTokenizerFast(vocab_file=str(path / "vocab.txt"), do_lower_case=True)
    tok.save_pretrained(str(path))
    torch.manual_seed(0)
    cfg = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                     intermediate_size=64, max_position_embeddings=max_positions)
    BertModel(cfg).save_pretrained(str(path))
    return str(path)


def fit_tiny_cross_entropy(dm, root: Path, **module_kw):
    """A cross-entropy SRLModule (a 1-layer transformer top, d_model 8) on ``dm``, trained one epoch on the CPU
    without logging or checkpoint callbacks (seed 0); ``module_kw``: further SRLModule settings; returns
    ``(model, trainer)``."""
    import lightning as L
    import torch

    from seal.tasks.srl.module import SRLModule

    torch.manual_seed(0)
    model = SRLModule(method="cross-entropy", num_tags=dm.num_tags, hidden_size=dm.hidden_size,
                      label_names=dm.label_names, task_net={"d_model": 8, "n_heads": 2, "ff_dim": 16}, **module_kw)
    trainer = L.Trainer(max_epochs=1, inference_mode=False, logger=False, enable_checkpointing=False,
                        enable_progress_bar=False, enable_model_summary=False, num_sanity_val_steps=0,
                        accelerator="cpu", default_root_dir=str(root))
    trainer.fit(model, dm)
    return model, trainer
