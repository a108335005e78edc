"""The shipped configs and grids: every config builds its model and data, is named after its method and dataset,
and every CPU-sized variant differs from the paper's config in exactly the settings its header lists.

A variant ``configs/<dataset>/<method>.<variant>.yaml`` says in its header
``Changed from the paper's setting: <key> <paper value> -> <new value>; ...`` (or ``Changed from that setting``
where the base config is ours, not the paper's; a key may carry a parenthesised alias, e.g.
``num_samples (K) 48 -> 8``). The test parses both files through ``seal fit``'s own parser (so
defaults are filled in) and checks that the set of settings that differ is exactly the listed one, with the
listed values on both sides.
"""

from __future__ import annotations

import functools
import math
import re
from pathlib import Path

import pytest
import yaml

from seal.cli.lightning import make_cli
from seal.experiments.runner import load_grid, plan_runs

REPO = Path(__file__).resolve().parents[1]
CONFIGS = REPO / "configs"
CONFIG_FILES = sorted(p for p in CONFIGS.glob("*/*.yaml") if p.parent.name != "grids")
VARIANT_FILES = [p for p in CONFIG_FILES if "." in p.stem]
GRID_FILES = sorted((CONFIGS / "grids").glob("*.yaml"))

_CLAIMS = re.compile(r"Changed from (?:the paper's|that) setting(?: \([^)]*\))?:(.*?)\.(?:\s|$)", re.S)
_CLAIM = re.compile(r"(\w+)(?: \([^)]*\))? (\S+) -> (\S+?)(?=;|$)")
#: resolved keys that name files or runs, not settings
_IGNORED = {"config", "task"}


def _id(path: Path) -> str:
    return str(path.relative_to(CONFIGS))


def _flatten(value, prefix: str = "") -> dict:
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            out.update(_flatten(v, f"{prefix}{k}."))
        return out
    return {prefix[:-1]: value}


def _resolved(path: Path) -> dict:
    cli = make_cli(["--config", str(path), "--trainer.logger=false"], run=False)
    config = cli.config.as_dict()
    return {k: v for k, v in _flatten(config).items() if k.split(".")[0] not in _IGNORED}


def _header(path: Path) -> str:
    lines = []
    for line in path.read_text().splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.lstrip("#").strip())
    return " ".join(lines)


def _same(a, b) -> bool:
    """Equal settings: numbers within 1e-12 relative, lists element-wise; a header's text (``b`` a str, e.g.
    ``"[0.5,0.0]"`` or ``"1e-5"``) is read as YAML first."""
    if isinstance(b, str):
        try:
            b = yaml.safe_load(b)
        except yaml.YAMLError:
            pass
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        return (
            isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)) and len(a) == len(b)
            and all(_same(x, y) for x, y in zip(a, b))
        )
    try:
        return math.isclose(float(a), float(b), rel_tol=1e-12)
    except (TypeError, ValueError):
        return str(a) == str(b)


@pytest.fixture(autouse=True)
def _data(monkeypatch, data_dir):
    monkeypatch.setenv("SEAL_DATA_DIR", str(data_dir))
    monkeypatch.setattr("sys.argv", ["seal"])  # make_cli parses its args, not pytest's command line


@pytest.mark.parametrize("path", CONFIG_FILES, ids=_id)
def test_config_builds_and_is_named_after_its_method_and_dataset(path):
    cli = make_cli(["--config", str(path), "--trainer.logger=false"], run=False)
    method = path.stem.split(".")[0]
    assert cli.model.hparams.method == method
    assert cli.datamodule.hparams.dataset == path.parent.name
    assert f"seal fit --config configs/{_id(path)}" in _header(path)


def _setting_name(key: str, task: str) -> str:
    """The name a header uses for a resolved setting: its flat model name for a grouped field of ``task``
    (``model.loss_net_optimizer.lr`` -> ``score_lr``, seal.training.hparams.FLAT_KEYS), else its last part."""
    from seal.training.hparams import FLAT_KEYS

    parts = key.split(".")
    if len(parts) == 3 and parts[0] == "model":
        back = {v: k for k, v in FLAT_KEYS[task].items()}
        if (parts[1], parts[2]) in back:
            return back[(parts[1], parts[2])]
    return parts[-1]


@pytest.mark.parametrize("path", VARIANT_FILES, ids=_id)
def test_variant_changes_exactly_what_its_header_says(path):
    claims = _CLAIMS.search(_header(path))
    assert claims, f"{_id(path)}: header has no \"Changed from the paper's setting: ...\" sentence"
    listed = {key: (old, new) for key, old, new in _CLAIM.findall(claims.group(1).strip())}
    assert listed, f"{_id(path)}: no '<key> <old> -> <new>' items in {claims.group(1)!r}"
    base = _resolved(path.with_name(path.stem.split(".")[0] + ".yaml"))
    variant = _resolved(path)
    differ = {k for k in base.keys() | variant.keys() if not _same(base.get(k), variant.get(k))}
    task = yaml.safe_load(path.read_text()).get("task") or "multilabel"
    by_leaf = {_setting_name(k, task): k for k in differ}
    assert len(by_leaf) == len(differ), f"{_id(path)}: two differing settings share a name: {sorted(differ)}"
    assert set(by_leaf) == set(listed), f"{_id(path)}: settings that differ {sorted(differ)}, listed {sorted(listed)}"
    for leaf, (old, new) in listed.items():
        key = by_leaf[leaf]
        assert _same(base[key], old), f"{_id(path)}: {key} is {base[key]!r} in the paper's config, header says {old}"
        assert _same(variant[key], new), f"{_id(path)}: {key} is {variant[key]!r} in the variant, header says {new}"


@pytest.mark.parametrize("path", GRID_FILES, ids=lambda p: p.name)
def test_grid_plans_a_config_for_every_run(path, tmp_path, monkeypatch):
    monkeypatch.chdir(REPO)  # a grid's config_dir is relative to the working directory
    grid = load_grid(path)
    runs = plan_runs(grid, tmp_path)
    assert len(runs) == len(grid.datasets) * len(grid.methods) * len(grid.seeds)
    missing = [run.label for run in runs if run.config_file is None or not Path(run.config_file).is_file()]
    assert not missing, f"{path.name}: no config for {missing}"
    for run in runs:  # every run's overrides parse on top of its config
        _build_with_overrides(str(run.config_file), run.overrides)


@functools.lru_cache(maxsize=None)
def _build_with_overrides(config: str, overrides: tuple[str, ...]) -> None:
    """Build model and data from ``config`` plus ``overrides`` once per distinct pair (grids share most)."""
    make_cli(["--config", config, "--trainer.logger=false", *overrides], run=False)
