"""The one SEAL LightningModule with injected networks: mapping batches, every output space, protocol checks."""

from __future__ import annotations

import lightning as L
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

from seal.training.seal_module import InjectedSEALModule, Schedule, repeat_input, unpack_batch

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

T, C, V = 5, 3, 7  # positions, tags, vocabulary


class TagTaskNet(nn.Module):
    """Token embedding -> tag logits ``(B, T, C)``; takes ``x = {"ids": (B, T)}``."""

    def __init__(self) -> None:
        super().__init__()
        self.emb = nn.Embedding(V, 8)
        self.out = nn.Linear(8, C)

    def forward(self, x):
        return self.out(torch.relu(self.emb(x["ids"])))


class TagScoreNet(nn.Module):
    """Local energy ``Σ_t y_t · U(x)_t`` plus a pairwise term over neighbouring tag distributions."""

    def __init__(self) -> None:
        super().__init__()
        self.emb = nn.Embedding(V, C)
        self.pair = nn.Parameter(torch.zeros(C, C))

    def encode(self, x):
        return self.emb(x["ids"])  # (B, T, C)

    def score(self, ctx, y):  # y (B, K, T, C) -> (B, K), or one candidate (B, T, C) -> (B,)
        if y.dim() == 3:
            return self.score(ctx, y.unsqueeze(1))[:, 0]
        local = (y * ctx.unsqueeze(1)).sum(dim=(-2, -1))
        pair = torch.einsum("bktc,cd,bktd->bk", y[:, :, :-1], self.pair, y[:, :, 1:])
        return local + pair


class TagData(Dataset):
    """Tag = token id mod 3, except the last position of odd-length sequences is padding (mask False)."""

    def __init__(self, n: int, seed: int) -> None:
        g = torch.Generator().manual_seed(seed)
        self.ids = torch.randint(0, V, (n, T), generator=g)
        self.mask = torch.ones(n, T, dtype=torch.bool)
        self.mask[1::2, -1] = False
        self.y = torch.where(self.mask, self.ids % C, torch.zeros_like(self.ids))  # any tag at padding

    def __len__(self):
        return len(self.ids)

    def __getitem__(self, i):
        return {"x": {"ids": self.ids[i]}, "y": self.y[i], "mask": self.mask[i]}


class TokenAccuracy:
    """Minimal metric collection: accuracy of the argmax tag over real positions (the batch mask)."""

    def __init__(self) -> None:
        self.right = self.total = 0
        self.padded_mass = 0.0  # probability the module put on padded positions (must stay 0)

    def update(self, probs, y, mask=None):
        real = y >= 0 if mask is None else mask
        self.right += int(((probs.argmax(-1) == y) & real).sum())
        self.total += int(real.sum())
        self.padded_mass += float(probs[~real].sum())

    def compute(self):
        return {"token_accuracy": torch.tensor(self.right / max(self.total, 1))}

    def reset(self):
        self.right = self.total = 0


def _fit(method: str, **kw) -> tuple[InjectedSEALModule, float]:
    L.seed_everything(0)
    module = InjectedSEALModule(
        TagTaskNet(), TagScoreNet() if method != "cross-entropy" else None, space="tagging", method=method,
        optimizer={"lr": 0.05}, loss_net_optimizer={"lr": 0.01}, selection_metric="token_accuracy",
        metrics=TokenAccuracy(), **kw,
    )
    train = DataLoader(TagData(64, 0), batch_size=16, shuffle=True)
    val = DataLoader(TagData(32, 1), batch_size=32)
    trainer = L.Trainer(
        max_epochs=6, logger=False, enable_checkpointing=False, enable_progress_bar=False,
        enable_model_summary=False, num_sanity_val_steps=0, inference_mode=False,
    )
    trainer.fit(module, train, val)
    trainer.test(module, val, verbose=False)
    return module, module.test_results["token_accuracy"]


def test_tagging_cross_entropy_and_seal_dynamic_nce_learn_with_mapping_batches():
    ce, ce_acc = _fit("cross-entropy")
    seal, seal_acc = _fit("seal-dynamic-nce", objective={"score_loss_weight": 0.5}, sampler={"num_samples": 8},
                          schedule={"loss_net_steps": 2})
    # the toy task is learnable: both reach >= 0.9 token accuracy after 6 epochs of 4 batches
    assert ce_acc >= 0.9 and seal_acc >= 0.9
    assert seal.batches_seen == ce.batches_seen == 24
    assert seal.optimizer_roles() == ["task", "score"] and ce.optimizer_roles() == ["task"]
    assert float(seal.score_net.pair.abs().sum()) > 0  # the loss-net was trained
    assert seal.val_metrics.padded_mass == seal.test_metrics.padded_mass == 0.0  # the mask reached evaluation


def test_check_networks_rejects_wrong_shapes_before_training():
    module = InjectedSEALModule(TagTaskNet(), TagScoreNet(), space="multilabel", method="seal-dynamic-nce", objective={"score_loss_weight": 1.0})
    batch = next(iter(DataLoader(TagData(4, 0), batch_size=4)))
    with pytest.raises(ValueError, match=r"multi-label task-net logits must be \(B, L\), got shape \(4, 5, 3\)"):
        module.check_networks(batch)
    ok = InjectedSEALModule(TagTaskNet(), TagScoreNet(), space="tagging", method="seal-dynamic-nce", objective={"score_loss_weight": 1.0})
    ok.check_networks(batch)


def test_fit_rejects_a_network_of_the_wrong_shape_before_any_step():
    class FlatTaskNet(TagTaskNet):
        def forward(self, x):
            return super().forward(x).sum(1)  # (B, C): not per position

    module = InjectedSEALModule(FlatTaskNet(), None, space="tagging", selection_metric="token_accuracy", metrics=TokenAccuracy())
    before = {k: v.clone() for k, v in module.state_dict().items()}
    trainer = L.Trainer(max_epochs=1, logger=False, enable_checkpointing=False, enable_progress_bar=False,
                        enable_model_summary=False, num_sanity_val_steps=0)
    with pytest.raises(ValueError, match=r"tagging task-net logits must be \(B, T, C\), got shape \(16, 3\)"):
        trainer.fit(module, DataLoader(TagData(32, 0), batch_size=16))
    assert module.batches_seen == 0 and all(torch.equal(v, module.state_dict()[k]) for k, v in before.items())


def test_the_check_also_runs_before_a_sanity_validation():
    class FlatTaskNet(TagTaskNet):
        def forward(self, x):
            return super().forward(x).sum(1)

    module = InjectedSEALModule(FlatTaskNet(), None, space="tagging", selection_metric="token_accuracy", metrics=TokenAccuracy())
    trainer = L.Trainer(max_epochs=1, logger=False, enable_checkpointing=False, enable_progress_bar=False,
                        enable_model_summary=False, num_sanity_val_steps=1)
    data = DataLoader(TagData(32, 0), batch_size=16)
    with pytest.raises(ValueError, match=r"tagging task-net logits must be \(B, T, C\), got shape \(16, 3\)"):
        trainer.fit(module, data, data)


def test_missing_metrics_and_unknown_selection_metric_are_named():
    trainer = L.Trainer(max_epochs=1, logger=False, enable_checkpointing=False, enable_progress_bar=False,
                        enable_model_summary=False, num_sanity_val_steps=0)
    data = DataLoader(TagData(16, 0), batch_size=16)
    with pytest.raises(ValueError, match="has no validation metrics: pass metrics="):
        trainer.fit(InjectedSEALModule(TagTaskNet(), None, space="tagging"), data, data)
    module = InjectedSEALModule(TagTaskNet(), None, space="tagging", metrics=TokenAccuracy())  # default example_f1
    with pytest.raises(ValueError, match=r"selection_metric 'example_f1' is not among the validation metrics \['token_accuracy'\]"):
        L.Trainer(max_epochs=1, logger=False, enable_checkpointing=False, enable_progress_bar=False,
                  enable_model_summary=False, num_sanity_val_steps=0).fit(module, data, data)


def test_space_options_reach_the_output_space():
    module = InjectedSEALModule(TagTaskNet(), None, space="tagging", space_options={"null_tag": 0})
    assert module.space.null_tag == 0


def test_injected_module_argument_errors():
    with pytest.raises(ValueError, match="method 'seal-dynamic-nce' needs a loss_net"):
        InjectedSEALModule(TagTaskNet(), None, space="tagging", method="seal-dynamic-nce", objective={"score_loss_weight": 1.0})
    with pytest.raises(ValueError, match="needs networks InjectedSEALModule does not build"):
        InjectedSEALModule(TagTaskNet(), TagScoreNet(), space="tagging", method="seal-dynamic-margin")
    with pytest.raises(ValueError, match="unknown output space 'sequence'"):
        InjectedSEALModule(TagTaskNet(), None, space="sequence")
    with pytest.raises(ValueError, match=r"loss_net_steps \(S\) must be an integer >= 1, got 0"):
        Schedule(loss_net_steps=0)


def test_unpack_and_repeat_batches():
    x = {"ids": torch.tensor([[1, 2], [3, 4]]), "attention_mask": torch.ones(2, 2)}
    rep = repeat_input(x, 3)
    assert rep["ids"].tolist() == [[1, 2], [3, 4]] * 3 and rep["attention_mask"].shape == (6, 2)
    assert unpack_batch((1, 2)) == (1, 2, None)
    assert unpack_batch({"x": 1, "y": 2, "mask": 3}) == (1, 2, 3)
    with pytest.raises(ValueError, match=r"needs the keys 'x' and 'y' \(missing \['y'\]\)"):
        unpack_batch({"x": 1})
