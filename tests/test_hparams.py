"""Typed hyper-parameter groups (seal.training.hparams): checks, the flat <-> grouped mapping, old configs and
checkpoints, and that the module, the configs and SEALClassifier share the groups."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch
import yaml

from seal.tasks.mlc_features.module import MultilabelModule
from seal.training.hparams import (
    FLAT_KEYS,
    GBIOptions,
    MLCLossNetHParams,
    MLCTaskNetHParams,
    ObjectiveSettings,
    PlateauSettings,
    SamplerSettings,
    TextTaskNetHParams,
    coerce,
    flat_keys_in,
    flatten,
    migrate_argv,
    migrate_config_text,
    nest_flat,
)
from seal.training.seal_module import OptimizerSettings, Schedule

REPO = Path(__file__).resolve().parents[1]

FLAT = {
    "method": "seal-dynamic-nce", "in_features": 6, "num_labels": 4, "hidden": 8, "num_layers": 1,
    "dropout": [0.5], "global_hidden": 5, "lr": 0.0012, "score_lr": 4.5e-05, "grad_clip": 10.0,
    "score_grad_clip": None, "score_loss_weight": 5.51, "loss_net_steps": 3, "task_net_steps": 2,
    "num_samples": 7, "gbi_steps": 4, "plateau_patience": 2,
}


def test_nest_flat_groups_every_flat_key_and_flatten_inverts_it():
    nested = nest_flat(FLAT)
    assert nested == {
        "method": "seal-dynamic-nce", "in_features": 6, "num_labels": 4,
        "task_net": {"hidden": 8, "num_layers": 1, "dropout": [0.5]},
        "loss_net": {"global_hidden": 5},
        "optimizer": {"lr": 0.0012, "grad_clip": 10.0},
        "loss_net_optimizer": {"lr": 4.5e-05, "grad_clip": None},
        "objective": {"score_loss_weight": 5.51},
        "schedule": {"loss_net_steps": 3, "task_net_steps": 2},
        "sampler": {"num_samples": 7},
        "gbi": {"steps": 4},
        "plateau": {"patience": 2},
    }
    assert flatten(nested) == FLAT
    assert nest_flat(nested) == nested  # idempotent
    # a flat key and its grouped field that disagree are refused, naming both
    with pytest.raises(ValueError, match=r"model.num_samples \(7\) and model.sampler.num_samples \(3\) disagree"):
        nest_flat({"sampler": {"num_samples": 3}, "num_samples": 7})


def test_text_tasks_map_their_encoder_keys_and_other_tasks_map_none():
    assert nest_flat({"trainable_layers": 1, "score_pooling": "first"}, "text-mlc") == {
        "task_net": {"trainable_layers": 1}, "loss_net": {"pooling": "first"}
    }
    # the same names are not grouped for feature MLC (no encoder); each task has its own table
    assert nest_flat({"trainable_layers": 1}) == {"trainable_layers": 1}
    assert nest_flat({"hidden": 3}, "segmentation") == {"hidden": 3}
    assert nest_flat({"score_dropout": 0.2, "train_gbi_steps": 5, "loss_net_reduction": "sum"}, "segmentation") == {
        "loss_net": {"dropout": 0.2}, "gbi": {"train_steps": 5}, "objective": {"loss_net_reduction": "sum"}
    }
    assert nest_flat({"loss_hidden": 64, "top": "encoder-layer", "gbi_method": "mirror"}, "srl") == {
        "loss_net": {"hidden": 64}, "task_net": {"top": "encoder-layer"}, "gbi": {"method": "mirror"}
    }
    assert set(FLAT_KEYS) == {"multilabel", "text-mlc", "segmentation", "srl", "injected"}
    # within a task, no two flat keys share a group field (so flatten inverts nest_flat)
    for table in FLAT_KEYS.values():
        assert len(set(table.values())) == len(table)


def test_every_repository_config_is_grouped():
    """No config in configs/ still uses a flat key of its task (they were rewritten by seal migrate-config)."""
    files = sorted((REPO / "configs").glob("*/*.yaml"))
    assert len(files) > 150
    for f in files:
        data = yaml.safe_load(f.read_text())
        if isinstance(data.get("model"), dict):
            assert flat_keys_in(data["model"], data.get("task") or "multilabel") == [], f


def test_groups_check_their_values_and_name_the_field():
    with pytest.raises(ValueError, match=r"num_samples \(K\) must be an integer >= 1, got 0"):
        SamplerSettings(num_samples=0)
    with pytest.raises(ValueError, match="sparse must be one of"):
        SamplerSettings(sparse="csr")
    with pytest.raises(ValueError, match="dvn_samples must be a non-empty list"):
        SamplerSettings(dvn_samples=["gold", "gold"])
    with pytest.raises(ValueError, match=r"task_net.dropout must be a probability in \[0, 1\)"):
        MLCTaskNetHParams(dropout=[0.2, 1.0])
    with pytest.raises(ValueError, match="loss_net.global_hidden must be an integer >= 1"):
        MLCLossNetHParams(global_hidden=0)
    with pytest.raises(ValueError, match=r"score_loss_weight must be a finite number >= 0, got -1"):
        ObjectiveSettings(score_loss_weight=-1)
    with pytest.raises(ValueError, match="optimizer lr must be a finite number >= 0"):
        OptimizerSettings(lr=float("nan"))
    with pytest.raises(ValueError, match="grad_clip must be a finite number > 0 or null"):
        OptimizerSettings(grad_clip=0.0)
    with pytest.raises(ValueError, match=r"plateau.factor must lie in \(0, 1\)"):
        PlateauSettings(factor=1.0)
    with pytest.raises(ValueError, match="task_net.pooling must be one of"):
        TextTaskNetHParams(pooling="max")
    with pytest.raises(ValueError, match=r"loss_net_steps \(S\) must be an integer >= 1"):
        Schedule(loss_net_steps=0)


def test_coerce_merges_a_partial_mapping_over_the_default_and_refuses_unknown_fields():
    default = OptimizerSettings(lr=1e-3, weight_decay=1e-5, grad_clip=10.0)
    assert coerce(OptimizerSettings, {"lr": 0.5}, default) == OptimizerSettings(lr=0.5, weight_decay=1e-5, grad_clip=10.0)
    assert coerce(OptimizerSettings, None, default) is default
    with pytest.raises(ValueError, match=r"model.optimizer: unknown key\(s\) \['learning_rate'\]; valid keys: "):
        coerce(OptimizerSettings, {"learning_rate": 0.5}, default, name="optimizer")


def test_gbi_options_resolve_over_the_method_defaults():
    from seal.methods.registry import get_method

    d = get_method("nce-gbi").gbi
    g = GBIOptions(steps=3).resolve(d)
    assert (g.init, g.lr, g.steps, g.num_inits, g.train_steps, g.method) == (d.init, d.lr, 3, d.num_inits, d.train_steps, "adam")
    # another init than the method's: one initial point unless asked for more
    assert GBIOptions(init="uniform").resolve(get_method("spen-gbi").gbi).num_inits == 1


def test_module_from_groups_equals_module_from_flat_names():
    torch.manual_seed(0)
    grouped = MultilabelModule(
        in_features=6, num_labels=4, method="seal-dynamic-nce",
        task_net=MLCTaskNetHParams(hidden=8, num_layers=1, dropout=[0.5]), loss_net={"global_hidden": 5},
        optimizer={"lr": 0.0012}, loss_net_optimizer={"lr": 4.5e-05}, objective={"score_loss_weight": 5.51},
        schedule=Schedule(3, 2), sampler={"num_samples": 7}, gbi={"steps": 4}, plateau={"patience": 2},
    )
    torch.manual_seed(0)
    flat = MultilabelModule.from_hparams(FLAT)
    assert dict(grouped.hparams) == dict(flat.hparams)
    for (n1, p1), (n2, p2) in zip(grouped.state_dict().items(), flat.state_dict().items()):
        assert n1 == n2 and torch.equal(p1, p2)
    # the groups reach what they configure
    assert (flat.schedule.loss_net_steps, flat.schedule.task_net_steps) == (3, 2)
    assert flat.task_optimizer == OptimizerSettings(lr=0.0012, weight_decay=1e-5, grad_clip=10.0)
    assert flat.score_optimizer == OptimizerSettings(lr=4.5e-05, weight_decay=1e-5, grad_clip=None)
    assert flat.loss_net_loss.num_samples == 7 and flat.task_loss.score_weight == 5.51
    # checkpoints store plain dictionaries (readable with weights_only=True)
    assert grouped.hparams["sampler"] == {"num_samples": 7, "sample_std": 1.0, "dvn_samples": None, "sparse": "auto"}
    # overrides by flat name replace one field of a group
    assert MultilabelModule.from_hparams(FLAT, num_samples=3).sampler_settings.num_samples == 3
    with pytest.raises(ValueError, match=r"unknown hyper-parameter\(s\) \['no_such_key'\]"):
        MultilabelModule.from_hparams({**FLAT, "no_such_key": 1})


def test_an_old_flat_checkpoint_still_rebuilds_for_predict(tmp_path):
    """A checkpoint written before the grouping (flat hyper-parameters) is rebuilt by seal predict's loader."""
    from seal.tasks.mlc_features.predict import build_module

    torch.manual_seed(0)
    m = MultilabelModule.from_hparams(FLAT).eval()
    old = {"hyper_parameters": {**flatten(dict(m.hparams)), "label_names": None}, "state_dict": m.state_dict()}
    for key in ("optimizer.kind", "loss_net_optimizer.kind"):  # not in the flat layout
        old["hyper_parameters"].pop(key)
    rebuilt = build_module(old, "old.ckpt")
    x = torch.rand(3, 6)
    torch.testing.assert_close(rebuilt(x), m(x), rtol=0, atol=0)
    assert rebuilt.sampler_settings.num_samples == 7



def test_load_from_checkpoint_maps_flat_hyper_parameters_instead_of_dropping_them(tmp_path):
    """Lightning's loader passes the saved hyper-parameters to __init__ and silently drops the keys it does not
    take: a flat (pre-grouping) checkpoint would come back with the default threshold, w_s, K ... The module's
    ``load_from_checkpoint`` rebuilds through ``from_hparams``; a grouped checkpoint round-trips too."""
    torch.manual_seed(0)
    m = MultilabelModule.from_hparams({**FLAT, "threshold": 0.3}).eval()
    m.val_history = [{"epoch": 0, "example_f1": 0.25}]
    flat_hp = {**flatten(dict(m.hparams)), "label_names": None}
    for key in ("optimizer.kind", "loss_net_optimizer.kind"):  # not in the flat layout
        flat_hp.pop(key)
    seal_state = {"batches_seen": 12, "val_history": m.val_history, "epoch_times": [1.5]}
    old = tmp_path / "old.ckpt"
    # LightningCLI wrote "_instantiator" into the hyper-parameters of the checkpoints of its runs
    torch.save({"hyper_parameters": {**flat_hp, "_instantiator": "lightning.pytorch.cli.instantiate_module"},
                "state_dict": m.state_dict(), "seal": seal_state}, old)
    new = tmp_path / "new.ckpt"
    torch.save({"hyper_parameters": dict(m.hparams), "state_dict": m.state_dict(), "seal": seal_state}, new)
    x = torch.rand(3, 6)
    for path in (old, new):
        loaded = MultilabelModule.load_from_checkpoint(path).eval()
        assert dict(loaded.hparams) == dict(m.hparams)
        assert loaded.hparams["threshold"] == 0.3 and loaded.task_loss.score_weight == 5.51
        assert loaded.loss_net_loss.num_samples == 7 and loaded.schedule.loss_net_steps == 3
        torch.testing.assert_close(loaded(x), m(x), rtol=0, atol=0)
        assert loaded.batches_seen == 12 and loaded.val_history == [{"epoch": 0, "example_f1": 0.25}]
    assert MultilabelModule.load_from_checkpoint(old, num_samples=3).loss_net_loss.num_samples == 3
    bad = tmp_path / "bad.ckpt"
    torch.save({"hyper_parameters": {**flat_hp, "no_such_key": 1}, "state_dict": m.state_dict()}, bad)
    with pytest.raises(ValueError, match=r"unknown hyper-parameter\(s\) \['no_such_key'\]"):
        MultilabelModule.load_from_checkpoint(bad)
    with pytest.raises(ValueError, match="weights_only=True only"):
        MultilabelModule.load_from_checkpoint(new, weights_only=False)
    wrong = tmp_path / "wrong.ckpt"
    torch.save({"hyper_parameters": {**flat_hp, "hidden": 9}, "state_dict": m.state_dict()}, wrong)
    with pytest.raises(RuntimeError, match="size mismatch"):
        MultilabelModule.load_from_checkpoint(wrong)

def test_migrate_config_text_groups_the_model_block_and_keeps_the_header():
    text = "# header line\n# Run: seal fit\nmodel:\n  method: cross-entropy\n  hidden: 8\n  lr: 0.01\ndata:\n  dataset: genbase\n"
    new, moved, dropped = migrate_config_text(text)
    assert moved == ["hidden", "lr"] and dropped == []
    assert new == (
        "# header line\n# Run: seal fit\nmodel:\n  method: cross-entropy\n  task_net:\n    hidden: 8\n"
        "  optimizer:\n    lr: 0.01\ndata:\n  dataset: genbase\n"
    )
    assert migrate_config_text(new) == (new, [], [])
    # a comment below the header cannot be kept by the rewrite: it is returned to be reported
    _, _, dropped = migrate_config_text("model:\n  hidden: 3  # why three\n  # a note\n")
    assert dropped == ["hidden: 3  # why three", "# a note"]
    assert migrate_argv(["fit", "--model.num_samples=4", "--model.lr", "0.1", "--model.method=x"], "multilabel") == [
        "fit", "--model.sampler.num_samples=4", "--model.optimizer.lr", "0.1", "--model.method=x"
    ]


def _seal(*args, cwd):
    return subprocess.run([sys.executable, "-m", "seal.cli.main", *args], capture_output=True, text=True, cwd=cwd)


def test_seal_fit_refuses_a_flat_config_and_migrate_config_rewrites_it(tmp_path):
    cfg = tmp_path / "old.yaml"
    cfg.write_text("# mine\nmodel:\n  method: cross-entropy\n  hidden: 8\n  num_layers: 1\ndata:\n  dataset: genbase\n")
    r = _seal("fit", "--config", str(cfg), cwd=tmp_path)
    assert r.returncode == 2
    assert f"config {cfg}: flat model keys" in r.stderr and "model.hidden -> model.task_net.hidden" in r.stderr
    assert f"seal migrate-config {cfg}" in r.stderr
    r = _seal("migrate-config", "--check", str(cfg), cwd=tmp_path)
    assert r.returncode == 1 and "needs migration (2 flat keys: hidden, num_layers)" in r.stdout
    assert "hidden: 8\n  num_layers" in cfg.read_text()  # --check wrote nothing
    r = _seal("migrate-config", str(cfg), cwd=tmp_path)
    assert r.returncode == 0 and "2 keys grouped" in r.stdout
    assert yaml.safe_load(cfg.read_text())["model"] == {"method": "cross-entropy", "task_net": {"hidden": 8, "num_layers": 1}}
    assert cfg.read_text().startswith("# mine\n")
    r = _seal("migrate-config", str(cfg), str(tmp_path / "missing.yaml"), cwd=tmp_path)
    assert r.returncode == 2 and "nothing to move" in r.stdout and "missing.yaml: cannot migrate" in r.stderr


def test_seal_classifier_builds_the_module_groups():
    from seal import SEALClassifier

    clf = SEALClassifier(hidden=16, num_layers=1, dropout=0.1, lr=0.01, score_lr=0.02, weight_decay=0.0,
                         num_samples=5, loss_net_steps=2, score_loss_weight=2.0)
    g = clf._groups()
    assert g["task_net"] == MLCTaskNetHParams(hidden=16, num_layers=1, dropout=0.1)
    assert g["optimizer"] == OptimizerSettings(lr=0.01, weight_decay=0.0, grad_clip=10.0)
    assert g["loss_net_optimizer"] == OptimizerSettings(lr=0.02, weight_decay=0.0, grad_clip=None)
    assert g["sampler"].num_samples == 5 and g["schedule"] == Schedule(2, 1)
    assert g["objective"].score_loss_weight == 2.0
    import numpy as np

    assert SEALClassifier(hidden=np.int64(16))._groups()["task_net"].hidden == 16  # numpy scalars from searches
    with pytest.raises(ValueError, match="task_net.dropout must be a probability"):
        SEALClassifier(dropout=1.5)._check_params()
