"""The SRL task through the shared CLI: `seal predict --input FILE` on an SRL checkpoint (task hook) writes the same
frames as the library call and prints one frame; options that do not apply are refused (more in
test_srl_own_files.py)."""

from __future__ import annotations

import json

import pytest
import torch

pytest.importorskip("transformers")

from seal.cli import predict as predict_cli  # noqa: E402
from seal.tasks import get_task  # noqa: E402
from seal.tasks.srl.data import SRLDataModule  # noqa: E402
from srl_helpers import FILES, fit_tiny_cross_entropy, tiny_bert  # noqa: E402


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("srl_hooks")
    enc = tiny_bert(root / "enc")
    dm = SRLDataModule(files={k: str(v) for k, v in FILES.items()}, encoder=enc, batch_size=2, eval_batch_size=2,
                       cache_dir=str(root / "cache"))
    model, trainer = fit_tiny_cross_entropy(dm, root, optimizer={"lr": 1e-2})
    ckpt = root / "ce.ckpt"
    trainer.save_checkpoint(str(ckpt))
    return model, dm, ckpt


def test_srl_task_registers_its_hooks():
    from seal.tasks.srl.hooks import describe_dataset, run_predict

    srl = get_task("srl")
    assert srl.predict_function() is run_predict and srl.describe_function() is describe_dataset


def test_seal_predict_on_an_srl_checkpoint(trained, tmp_path, capsys):
    from seal.tasks.srl.predict import format_frame, frame_at, write_frames

    model, dm, ckpt = trained
    out = tmp_path / "frames.jsonl"
    rc = predict_cli.main(["--ckpt_path", str(ckpt), "--input", str(FILES["val"]), "--output", str(out), "--frame", "1"])
    printed = capsys.readouterr().out
    assert rc == 0
    ref = tmp_path / "ref.jsonl"
    assert write_frames(model, dm, ref, split="val") == 2
    assert [json.loads(x) for x in out.read_text().splitlines()] == [json.loads(x) for x in ref.read_text().splitlines()]
    one = format_frame(frame_at(model, dm, 1, split="val"))
    assert printed.startswith(one + "\n")
    assert printed.endswith(f"seal predict: 2 predicate frames of {FILES['val']} written to {out}\n")


def test_seal_predict_srl_refusals(trained, tmp_path, capsys):
    _, _, ckpt = trained
    cases = [
        (["--dataset", "up_english_ewt"], "--output is required (or --png for a segmentation checkpoint, --frame for an SRL one)"),
        (["--dataset", "bibtex", "--frame", "0"],
         "'bibtex' is not an SRL dataset: predict with --dataset up_english_ewt [--split S] or --input FILE.conllu"),
        (["--input", str(FILES["test"]), "--frame", "5"],
         "instance 5 is outside the 1 predicate instances of 'test.conllu'"),
        (["--dataset", "up_english_ewt", "--frame", "0", "--png", str(tmp_path / "x.png")],
         f"--png applies to segmentation checkpoints; {ckpt} is a srl checkpoint"),
    ]
    for extra, message in cases:
        assert predict_cli.main(["--ckpt_path", str(ckpt), *extra]) == 2
        assert capsys.readouterr().err.splitlines()[-1] == f"seal predict: error: {message}"
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_a_checkpoint_whose_weights_do_not_fit_is_refused(trained, tmp_path, capsys):
    """The model is rebuilt strictly: a state dict with a weight missing is one error line, never a model with a
    randomly initialised layer."""
    _, _, ckpt = trained
    ck = torch.load(ckpt, map_location="cpu", weights_only=True)
    ck["state_dict"].pop("task_net.out.weight")
    ck.get("seal", {}).pop("state_sha256", None)  # written by hand: no checksum
    bad = tmp_path / "bad.ckpt"
    torch.save(ck, bad)
    out = tmp_path / "frames.jsonl"
    assert predict_cli.main(["--ckpt_path", str(bad), "--input", str(FILES["val"]), "--output", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"checkpoint {bad}: cannot rebuild the SRL model:" in err and "task_net.out.weight" in err
    assert not out.exists()
