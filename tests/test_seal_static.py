"""SEAL-static: loading a frozen loss-net from a baseline checkpoint (checked), training the task-net only,
the frozen net provably unchanged; the CE -> nce-gbi -> seal-static-nce chain end to end; grid chaining."""

from __future__ import annotations

import json
import sys
import textwrap

import lightning as L
import pytest
import torch
import yaml

from seal.cli.experiment import main as experiment_main
from seal.experiments.runner import COMMAND_ENV, GridError, load_grid, plan_runs
from seal.methods.pretrained import CheckpointMismatchError
from seal.tasks.mlc_features.datamodule import MultiLabelDataModule
from seal.tasks.mlc_features.module import MultilabelModule
from test_baselines import D, NL, _arrays, _module, _save, _trainer

STATIC = {"seal-static-margin": "spen-gbi", "seal-static-regression": "dvn-gbi", "seal-static-nce": "nce-gbi"}


def _baseline_ckpt(tmp_path, method="nce-gbi", name="base.ckpt", dataset="toy", **kw) -> str:
    torch.manual_seed(1)
    return _save(_module(method, **kw), tmp_path / name, dataset=dataset)


# ------------------------------------------------------------------------------------ checks on loading
def test_label_count_mismatch_names_the_differing_shapes(tmp_path):
    ckpt = _baseline_ckpt(tmp_path)
    m = _module("seal-static-nce", num_labels=NL + 1, label_names=[f"l{i}" for i in range(NL + 1)], score_checkpoint=ckpt)
    with pytest.raises(CheckpointMismatchError) as err:
        m.load_pretrained(dataset="toy")
    msg = str(err.value)
    assert msg.startswith(f"score checkpoint {ckpt} does not match this model (")
    assert f"num_labels: checkpoint {NL} vs model {NL + 1}" in msg
    assert f"score_net.label_embeddings: checkpoint shape ({NL}, 16) vs model shape ({NL + 1}, 16)" in msg
    assert f"score_net.global_linear.weight: checkpoint shape (200, {NL}) vs model shape (200, {NL + 1})" in msg
    assert isinstance(err.value, ValueError)


def test_architecture_mismatch_names_the_differing_shapes(tmp_path):
    ckpt = _baseline_ckpt(tmp_path, global_hidden=50)
    m = _module("seal-static-nce", hidden=12, score_checkpoint=ckpt)
    with pytest.raises(CheckpointMismatchError) as err:
        m.load_pretrained()
    msg = str(err.value)
    assert "score_hidden: checkpoint 16 vs model 12" in msg and "global_hidden: checkpoint 50 vs model 200" in msg
    assert "score_net.global_vector: checkpoint shape (50,) vs model shape (200,)" in msg
    assert "score_net.feature_net" in msg and "vs model shape (12, 30)" in msg
    # a deeper loss-net: tensors missing on one side are named too
    deep = _baseline_ckpt(tmp_path, name="deep.ckpt", num_layers=3, dropout=0.0)
    with pytest.raises(CheckpointMismatchError, match=r"score_num_layers: checkpoint 3 vs model 2.*not in model"):
        _module("seal-static-nce", score_checkpoint=deep).load_pretrained()


def test_other_dataset_and_other_label_names_are_rejected(tmp_path):
    ckpt = _baseline_ckpt(tmp_path, dataset="genbase")
    with pytest.raises(CheckpointMismatchError, match=r"dataset: checkpoint 'genbase' vs model 'toy'"):
        _module("seal-static-nce", score_checkpoint=ckpt).load_pretrained(dataset="toy")
    other = _baseline_ckpt(tmp_path, name="other.ckpt", label_names=[f"m{i}" for i in range(NL)])
    with pytest.raises(CheckpointMismatchError, match=r"label_names differ: checkpoint 6 labels \['m0'"):
        _module("seal-static-nce", score_checkpoint=other).load_pretrained()


def test_checkpoint_without_a_loss_net_and_missing_checkpoint(tmp_path):
    ce = _baseline_ckpt(tmp_path, method="cross-entropy", name="ce.ckpt")
    with pytest.raises(CheckpointMismatchError, match=r"holds no 'score_net\.\*' weights \(it was trained with method 'cross-entropy'\)"):
        _module("seal-static-nce", score_checkpoint=ce).load_pretrained()
    with pytest.raises(ValueError, match=r"'seal-static-regression' needs model.score_checkpoint.*dvn-gbi run"):
        _module("seal-static-regression").load_pretrained()
    with pytest.raises(ValueError, match=r"score_checkpoint is set but method 'nce-gbi'"):
        _module("nce-gbi", score_checkpoint=ce, task_checkpoint=ce).load_pretrained()
    (tmp_path / "junk.ckpt").write_bytes(b"not a checkpoint")
    junk = tmp_path / "junk.ckpt"
    with pytest.raises(ValueError) as exc:
        _module("seal-static-nce", score_checkpoint=str(junk)).load_pretrained()
    assert str(exc.value) == f"score checkpoint {junk} is truncated or is not a checkpoint: it is not the zip archive torch.save writes"


def test_unpaired_source_method_warns(tmp_path):
    ckpt = _baseline_ckpt(tmp_path, method="dvn-gbi")
    with pytest.warns(UserWarning, match="trained with 'dvn-gbi', not 'nce-gbi'"):
        _module("seal-static-nce", score_checkpoint=ckpt).load_pretrained()


# ------------------------------------------------------------------------------------ frozen training
@pytest.mark.parametrize("method", sorted(STATIC))
def test_frozen_loss_net_is_bit_identical_after_training(tmp_path, method):
    ckpt = _baseline_ckpt(tmp_path, method=STATIC[method], dropout=[0.3, 0.0])
    L.seed_everything(0, verbose=False)
    dm = MultiLabelDataModule.from_arrays(_arrays(), batch_size=32)
    m = _module(method, score_checkpoint=ckpt, dropout=[0.3, 0.0], task_net_steps=2, loss_net_steps=3)
    task_before = {k: v.clone() for k, v in m.task_net.state_dict().items()}
    trainer = _trainer(tmp_path, epochs=2)
    trainer.fit(m, datamodule=dm)

    # the loss-net never had an optimizer and never required gradients
    assert m.optimizer_roles() == ["task"]
    score_ids = {id(p) for p in m.score_net.parameters()}
    for opt in trainer.optimizers:
        assert not score_ids & {id(p) for g in opt.param_groups for p in g["params"]}
    assert all(not p.requires_grad and p.grad is None for p in m.score_net.parameters())
    # ... and is exactly the baseline's, also in the saved best checkpoint
    base = {k[len("score_net."):]: v for k, v in torch.load(ckpt, weights_only=True)["state_dict"].items() if k.startswith("score_net.")}
    now = m.score_net.state_dict()
    assert now.keys() == base.keys() and all(torch.equal(now[k], base[k]) for k in base)
    best = torch.load(trainer.checkpoint_callback.best_model_path, weights_only=True)["state_dict"]
    assert all(torch.equal(best["score_net." + k], base[k]) for k in base)
    # the task-net did train: T=2 steps per batch (loss_net_steps ignored), 5 batches, 2 epochs
    assert any(not torch.equal(task_before[k], v) for k, v in m.task_net.state_dict().items())
    assert m.batches_seen == 10 and trainer.global_step == 2 * 10


def test_rebuilt_model_does_not_need_the_baseline_file(tmp_path):
    """``seal test`` / ``seal predict`` rebuild from hyper-parameters: the frozen weights come from the
    run's own state_dict, the (possibly moved) baseline checkpoint is not read again."""
    ckpt = _baseline_ckpt(tmp_path)
    m = _module("seal-static-nce", score_checkpoint=ckpt)
    m.load_pretrained()
    saved = torch.load(_save(m, tmp_path / "static.ckpt"), weights_only=True)
    (tmp_path / "base.ckpt").unlink()
    fresh = MultilabelModule(**saved["hyper_parameters"])
    fresh.load_state_dict(saved["state_dict"])
    fresh.eval()
    m.eval()
    x = torch.rand(4, D)
    assert torch.equal(fresh.predict_proba(x), m.predict_proba(x))


def test_chain_cross_entropy_then_nce_gbi_then_seal_static_nce(tmp_path):
    dm = MultiLabelDataModule.from_arrays(_arrays(), batch_size=32)

    def fit(method, sub, **kw):
        L.seed_everything(0, verbose=False)
        m = _module(method, **kw)
        trainer = _trainer(tmp_path, epochs=2, sub=sub)
        trainer.fit(m, datamodule=dm)
        trainer.test(m, datamodule=dm, ckpt_path="best", verbose=False, weights_only=True)
        return m, trainer.checkpoint_callback.best_model_path

    ce, ce_best = fit("cross-entropy", "ce")
    nce, nce_best = fit("nce-gbi", "nce", task_checkpoint=ce_best)
    static, static_best = fit("seal-static-nce", "static", score_checkpoint=nce_best, task_net_steps=2)
    for m in (ce, nce, static):
        assert 0.0 <= m.test_results["example_f1"] <= 1.0
    ce_state = torch.load(ce_best, weights_only=True)["state_dict"]
    nce_state = torch.load(nce_best, weights_only=True)["state_dict"]
    static_state = torch.load(static_best, weights_only=True)["state_dict"]
    # nce-gbi: the noise task-net is the CE one; SEAL-static: the loss-net is nce-gbi's, untouched
    assert all(torch.equal(nce_state[k], v) for k, v in ce_state.items() if k.startswith("task_net."))
    assert all(torch.equal(static_state[k], v) for k, v in nce_state.items() if k.startswith("score_net."))
    assert any(not torch.equal(static_state[k], v) for k, v in nce_state.items() if k.startswith("task_net."))


# ------------------------------------------------------------------------------------ grid chaining
FAKE_FIT = textwrap.dedent(
    """
    import json, pathlib, sys, yaml
    cfg, seed, run_dir, metrics_file = sys.argv[1:5]
    config = yaml.safe_load(open(cfg))
    if config.get("fail"):
        sys.exit(3)
    d = pathlib.Path(run_dir) / "lightning_logs" / "version_0"
    (d / "checkpoints").mkdir(parents=True, exist_ok=True)
    (d / "config.yaml").write_text(yaml.safe_dump(dict(config, extra_args=sys.argv[5:])))
    best = d / "checkpoints" / "best.ckpt"
    best.write_text("fake")
    json.dump({"metrics": {"test": {"example_f1": 0.5}, "val": {"example_f1": 0.5}}, "epochs": 1, "best_epoch": 0,
               "best_checkpoint": str(best), "val_history": [], "timings": {}}, open(metrics_file, "w"))
    """
)


@pytest.fixture
def chain_dir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(COMMAND_ENV, raising=False)
    (tmp_path / "fake_fit.py").write_text(FAKE_FIT)
    for dataset in ("genbase", "cal500"):
        for method in ("cross-entropy", "nce-gbi", "seal-static-nce"):
            cfg = {"model": {"method": method}, "data": {"dataset": dataset, "protocol": "paper"}}
            if dataset == "cal500" and method == "cross-entropy":
                cfg["fail"] = True
            path = tmp_path / "configs" / dataset / f"{method}.yaml"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(yaml.safe_dump(cfg))
    return tmp_path


def _grid(path, **extra):
    grid = {
        "datasets": ["genbase", "cal500"],
        # children listed before their parents on purpose: the runner orders by dependency
        "methods": ["seal-static-nce", "nce-gbi", "cross-entropy"],
        "seeds": [0],
        "config_dir": "configs",
        "after": {"seal-static-nce": "nce-gbi", "nce-gbi": "cross-entropy"},
        "command": [sys.executable, "fake_fit.py", "{config}", "{seed}", "{run_dir}", "{metrics_file}"],
    }
    grid.update(extra)
    path.write_text(yaml.safe_dump(grid))
    return path


def test_grid_chains_runs_through_best_checkpoints(chain_dir, capsys):
    grid = _grid(chain_dir / "grid.yaml", datasets=["genbase"])
    assert experiment_main([str(grid), "--jobs", "2"]) == 0
    records = {r["method"]: r for r in map(json.loads, (chain_dir / "results" / "runs.jsonl").read_text().splitlines())}
    assert set(records) == {"cross-entropy", "nce-gbi", "seal-static-nce"}
    ce_best = (chain_dir / "runs/genbase/cross-entropy/seed0/lightning_logs/version_0/checkpoints/best.ckpt").resolve()
    nce_best = (chain_dir / "runs/genbase/nce-gbi/seed0/lightning_logs/version_0/checkpoints/best.ckpt").resolve()
    assert records["nce-gbi"]["config"]["extra_args"] == [f"--model.task_checkpoint={ce_best}"]
    assert records["seal-static-nce"]["config"]["extra_args"] == [f"--model.score_checkpoint={nce_best}"]
    assert records["seal-static-nce"]["overrides"] == [f"--model.score_checkpoint={nce_best}"]

    # rerun with a new seed list: recorded parents are reused, their checkpoints found from the records
    (chain_dir / "results" / "runs.jsonl").write_text(
        "\n".join(json.dumps(r) for m, r in records.items() if m != "seal-static-nce") + "\n"
    )
    assert experiment_main([str(grid)]) == 0
    out = capsys.readouterr().out
    assert "2 already in" in out and "1 to run" in out


def test_chained_records_with_their_checkpoint_argument_count_as_done(chain_dir, capsys):
    # the runner appends --model.task_checkpoint / --model.score_checkpoint to a chained run's overrides; a rerun
    # of the same grid takes those records as its runs (the argument is not part of the comparison), a grid with
    # another override does not
    grid = _grid(chain_dir / "grid.yaml", datasets=["genbase"], overrides=["--trainer.enable_progress_bar=false"])
    results = chain_dir / "results" / "runs.jsonl"
    assert experiment_main([str(grid)]) == 0
    before = results.read_bytes()
    capsys.readouterr()
    assert experiment_main([str(grid)]) == 0
    assert "3 runs planned, 3 already in results/runs.jsonl, 0 to run" in capsys.readouterr().out
    assert results.read_bytes() == before
    grid = _grid(chain_dir / "grid.yaml", datasets=["genbase"], overrides=["--trainer.max_epochs=2"])
    assert experiment_main([str(grid), "--methods", "seal-static-nce", "--dry-run"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[:2] == ["seal experiment: nce-gbi added: seal-static-nce starts from its checkpoints",
                       "seal experiment: cross-entropy added: seal-static-nce starts from its checkpoints"]
    assert err[2].startswith(
        "seal experiment: error: results/runs.jsonl: genbase/seal-static-nce seed 0 [split paper] is recorded with "
        "overrides [] (none) but this grid runs it with [--trainer.max_epochs=2] (and 2 more runs of this grid "
        "likewise); "
    ) and len(err) == 3


def test_failed_parent_fails_its_chain_without_starting_it(chain_dir, capsys):
    grid = _grid(chain_dir / "grid.yaml")
    assert experiment_main([str(grid)]) == 1
    out = capsys.readouterr().out
    assert "FAILED cal500/cross-entropy seed 0" in out
    assert "FAILED cal500/nce-gbi seed 0: not started: the run it starts from (cal500/cross-entropy seed 0) failed" in out
    assert "FAILED cal500/seal-static-nce seed 0: not started: the run it starts from (cal500/nce-gbi seed 0) failed" in out
    assert not (chain_dir / "runs" / "cal500" / "nce-gbi").exists()
    methods = [json.loads(ln)["method"] for ln in (chain_dir / "results" / "runs.jsonl").read_text().splitlines()]
    assert sorted(methods) == ["cross-entropy", "nce-gbi", "seal-static-nce"]  # genbase's chain ran


def test_dry_run_shows_the_chained_argument(chain_dir, capsys):
    grid = _grid(chain_dir / "grid.yaml", datasets=["genbase"])
    assert experiment_main([str(grid), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "'--model.score_checkpoint=<best checkpoint of genbase/nce-gbi seed 0>'" in out
    assert "(after genbase/cross-entropy seed 0)" in out


@pytest.mark.parametrize(
    "after, msg",
    [
        ({"seal-static-nce": "spen-gbi"}, "'spen-gbi' is not in the grid's methods"),
        ({"cross-entropy": "nce-gbi"}, "takes no checkpoint argument"),
        ({"nce-gbi": "seal-static-nce", "seal-static-nce": "nce-gbi"}, "cycle"),
        ({"seal-static-nce": {"to": "nce-gbi"}}, "from: METHOD"),
    ],
)
def test_bad_after_is_rejected(chain_dir, after, msg):
    with pytest.raises(GridError, match=msg):
        load_grid(_grid(chain_dir / "grid.yaml", after=after))


def test_explicit_chain_argument(chain_dir):
    grid = load_grid(_grid(chain_dir / "grid.yaml", after={"cross-entropy": {"from": "nce-gbi", "arg": "--model.x"}}))
    spec = next(s for s in plan_runs(grid) if s.method == "cross-entropy")
    assert spec.after == ("nce-gbi", "model.x")
