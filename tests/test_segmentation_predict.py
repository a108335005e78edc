"""``seal predict`` for segmentation checkpoints: inputs (``.npz`` with or without masks, other files, sizes),
outputs (collisions, writability, all-or-nothing writes, the grid's command file), threshold and ``--compare``.

The checkpoints are built by hand (no training): a cross-entropy model whose FCN is set so that the foreground
probability of a pixel is ``sigmoid(10 * red - 5)`` (``red`` in [0, 1]; only the centre tap of ``conv1`` and the
foreground row of ``head1`` are non-zero, so every 24x24 crop gives the same value for a pixel and the 36-crop
average is that value), and a "background" model whose probability is ``sigmoid(-5)`` everywhere. Every metric
below is therefore known exactly.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from seal.cli import predict as cli
from seal.tasks.segmentation import predict as segp

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::DeprecationWarning")

LAYOUT = ("segmentation input is one .npz file with the arrays images (N, H, W, 3) uint8 RGB and, optionally, "
          "masks (N, H, W) of 0/1, or an image file (.png, .jpg, .jpeg, .bmp) or a folder of them; see seal predict "
          "--help")
SUFFIXES = ".png, .jpg, .jpeg, .bmp"
CONV = ("Metric conventions: segmentation predictions are the foreground probabilities of the 36 crops averaged "
        "over the full 32x32 image; foreground is prob > {t} ({t} is background), IoU is per image averaged over "
        "images, and an empty gold mask with an empty prediction scores 1.0.")


pytestmark = pytest.mark.usefixtures("one_thread")  # conftest: one torch thread for the tiny networks


def _rule_checkpoint(path: Path, scale: float, bias: float) -> Path:
    """A cross-entropy checkpoint whose foreground probability is ``sigmoid(scale * red + bias)``."""
    from seal.tasks.segmentation.module import SegmentationModule
    from seal.training.checkpoint import add_checksum, to_plain

    m = SegmentationModule(method="cross-entropy")
    with torch.no_grad():
        for p in m.task_net.parameters():
            p.zero_()
        m.task_net.conv1.weight[0, 0, 2, 2] = 1.0  # channel 0 of x1 = the red value
        m.task_net.head1.weight[1, 0, 0, 0] = scale
        m.task_net.head1.bias[1] = bias
    ckpt = {"state_dict": m.state_dict(), "hyper_parameters": to_plain(dict(m.hparams)),
            "seal": {"task": "segmentation"}}
    torch.save(add_checksum(ckpt), path)
    return path


@pytest.fixture(scope="module")
def ckpts(tmp_path_factory):
    d = tmp_path_factory.mktemp("segckpt")
    return _rule_checkpoint(d / "rule.ckpt", 10.0, -5.0), _rule_checkpoint(d / "background.ckpt", 0.0, -5.0)


def _arrays(size: int = 32):
    """Image 0: red 255 on rows/cols 0..7 (gold foreground, 64 px) and red 115 on rows/cols 20..21 (4 px,
    p = sigmoid(-0.49) = 0.380: foreground only for thresholds below that; gold background). Image 1: all black,
    gold foreground rows/cols 0..3 (16 px)."""
    images = np.zeros((2, size, size, 3), np.uint8)
    masks = np.zeros((2, size, size), np.uint8)
    images[0, :8, :8, 0] = 255
    masks[0, :8, :8] = 1
    images[0, 20:22, 20:22, 0] = 115
    masks[1, :4, :4] = 1
    return images, masks


@pytest.fixture
def npz(tmp_path):
    images, masks = _arrays()
    np.savez(tmp_path / "toy.npz", images=images, masks=masks)
    return tmp_path / "toy.npz"


def _run(capsys, *argv):
    rc = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


def _error(capsys, *argv) -> str:
    """The one error line (without the prefix) of a command that must fail with exit code 2."""
    rc, out, err = _run(capsys, *argv)
    assert rc == 2 and out == "" and err.startswith("seal predict: error: ") and err.count("\n") == 1, (rc, out, err)
    return err[len("seal predict: error: "):-1]


# ------------------------------------------------------------------------------ metrics, threshold, compare


def test_summary_rows_and_conventions_are_exact(ckpts, npz, tmp_path, capsys):
    rule, _ = ckpts
    out = tmp_path / "p.jsonl"
    rc, text, _ = _run(capsys, "--ckpt_path", rule, "--input", npz, "--output", out)
    assert rc == 0
    assert text == (f"seal predict: 2 images from {npz} (cross-entropy, 36-crop average), mean IoU 0.5000, "
                    f"pixel accuracy 0.9922; wrote {out}\n" + CONV.format(t="0.5") + "\n")
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["index"], r["iou"], r["pixel_accuracy"], r["foreground_fraction"]) for r in rows] == [
        (0, 1.0, 1.0, 0.0625), (1, 0.0, 0.984375, 0.0)]
    assert rows[0]["mask"][0] == "1" * 8 + "0" * 24 and rows[0]["mask"][20] == "0" * 32
    assert segp.segmentation_conventions(0.5, (32, 32)) == CONV.format(t="0.5")
    from seal.metrics import SEGMENTATION_CONVENTIONS

    assert segp.segmentation_conventions(0.5, (32, 32)) == SEGMENTATION_CONVENTIONS


def test_threshold_is_the_one_stated(ckpts, npz, tmp_path, capsys):
    rule, _ = ckpts
    out = tmp_path / "p.jsonl"
    rc, text, _ = _run(capsys, "--ckpt_path", rule, "--input", npz, "--output", out, "--threshold", "0.3")
    assert rc == 0
    # the four red-115 pixels (p = 0.380) are foreground at 0.3: IoU 64/68, pixel accuracy 1020/1024
    assert text == (f"seal predict: 2 images from {npz} (cross-entropy, 36-crop average), mean IoU 0.4706, "
                    f"pixel accuracy 0.9902; wrote {out}\n" + CONV.format(t="0.3") + "\n")
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert rows[0]["iou"] == round(64 / 68, 6) and rows[0]["pixel_accuracy"] == 0.996094
    help_text = " ".join(cli.build_parser().format_help().split())
    assert ("Multi-label and text checkpoints: a label is predicted when p >= threshold (in [0, 1]); segmentation "
            "checkpoints: a pixel is foreground when p > threshold (in (0, 1); p == threshold is background)"
            ) in help_text


def test_compare_prints_pixel_accuracy_for_every_checkpoint(ckpts, npz, tmp_path, capsys):
    rule, background = ckpts
    out = tmp_path / "p.csv"
    rc, text, _ = _run(capsys, "--ckpt_path", rule, "--compare", background, "--input", npz, "--output", out)
    assert rc == 0
    assert text.splitlines()[0] == (
        f"seal predict: 2 images from {npz} (cross-entropy, 36-crop average), mean IoU 0.5000, pixel accuracy "
        f"0.9922; cross-entropy ({background}): mean IoU 0.0000, pixel accuracy 0.9609; wrote {out}")
    assert out.read_text().splitlines()[0] == "index,iou,pixel_accuracy,foreground_fraction,mask"


# ------------------------------------------------------------------------------------------------ inputs


def test_npz_without_masks_is_predicted_without_metrics(ckpts, tmp_path, capsys):
    rule, _ = ckpts
    images, _ = _arrays()
    np.savez(tmp_path / "nomask.npz", images=images)
    src = tmp_path / "nomask.npz"
    out, csv_out, png = tmp_path / "p.jsonl", tmp_path / "p.csv", tmp_path / "g.png"
    rc, text, _ = _run(capsys, "--ckpt_path", rule, "--input", src, "--output", out, "--png", png)
    assert rc == 0
    assert text.splitlines()[0] == (
        f"seal predict: 2 images from {src} (cross-entropy, 36-crop average), no metrics computed: {src} has no "
        f"'masks' array (gold masks); wrote {out}, {png} (and its command in {tmp_path / 'g.command.txt'})")
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [list(r) for r in rows] == [["index", "foreground_fraction", "mask"]] * 2
    assert [r["foreground_fraction"] for r in rows] == [0.0625, 0.0]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert _run(capsys, "--ckpt_path", rule, "--input", src, "--output", csv_out)[0] == 0
    assert csv_out.read_text().splitlines()[0] == "index,foreground_fraction,mask"
    assert csv_out.read_text().splitlines()[1].startswith("0,0.062500,11111111000")


@pytest.mark.parametrize("size", [48, 16])
def test_images_of_another_size_are_refused(ckpts, tmp_path, capsys, size):
    rule, _ = ckpts
    images, masks = _arrays(size)
    src = tmp_path / f"s{size}.npz"
    np.savez(src, images=images, masks=masks)
    out = tmp_path / "p.jsonl"
    assert _error(capsys, "--ckpt_path", rule, "--input", src, "--output", out) == (
        f"{src}: the images are {size}x{size}, but {rule} predicts 32x32 images (36 crops of 24x24 at offsets "
        "0..8 cover exactly 32x32); resize or crop the images to 32x32")
    assert not out.exists()


def test_image_files_folders_and_bad_npz_get_one_line(ckpts, tmp_path, capsys):
    rule, _ = ckpts
    out = tmp_path / "p.jsonl"
    png = tmp_path / "img.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 32)
    jpg = tmp_path / "img.jpg"
    jpg.write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 32)
    folder = tmp_path / "images"
    folder.mkdir()
    corrupt = tmp_path / "corrupt.npz"
    corrupt.write_bytes(b"PK\x03\x04garbage")
    zero = tmp_path / "zero.npz"
    zero.write_bytes(b"")
    empty = tmp_path / "empty.npz"
    np.savez(empty, images=np.zeros((0, 32, 32, 3), np.uint8), masks=np.zeros((0, 32, 32), np.uint8))
    gif = tmp_path / "img.gif"
    gif.write_bytes(b"GIF89a" + b"\x00" * 32)
    cases = {
        png: f"{png}: cannot read the image (cannot identify image file '{png}')",
        jpg: f"{jpg}: cannot read the image (cannot identify image file '{jpg}')",
        gif: f"{gif} is a GIF image, not a .npz file; {LAYOUT}",
        folder: f"--input {folder} is an empty folder: no images ({SUFFIXES}) to predict",
        corrupt: f"{corrupt} is a damaged .npz file (its zip archive cannot be read: File is not a zip file)",
        zero: f"{zero} is empty (0 bytes), not a .npz file; {LAYOUT}",
        empty: f"{empty}: no images (array 'images' has shape (0, 32, 32, 3)); nothing to predict",
    }
    for src, message in cases.items():
        assert _error(capsys, "--ckpt_path", rule, "--input", src, "--output", out) == message
    assert not out.exists()
    help_text = " ".join(cli.build_parser().format_help().split())
    assert ("Segmentation checkpoints: one .npz file with the arrays images (N, H, W, 3) uint8 RGB and, optionally, "
            "masks (N, H, W) of 0/1 (gold masks: then IoU and pixel accuracy are computed)") in help_text


# ----------------------------------------------------------------------------------------------- outputs


def test_outputs_that_are_inputs_or_each_other_are_refused(ckpts, npz, tmp_path, capsys):
    rule, background = ckpts
    cmp_bytes = background.read_bytes()
    base = ["--ckpt_path", rule, "--input", npz]
    assert _error(capsys, *base, "--compare", background, "--png", background) == (
        f"--png {background} is the --compare file: predictions would overwrite it; choose another output")
    assert _error(capsys, *base, "--compare", background, "--output", background, "--format", "csv") == (
        f"--output {background} is the --compare file: predictions would overwrite it; choose another output")
    assert background.read_bytes() == cmp_bytes
    assert _error(capsys, *base, "--png", npz) == (
        f"--png {npz} is the --input file: predictions would overwrite it; choose another output")
    same = tmp_path / "same.png"
    assert _error(capsys, *base, "--output", same, "--format", "csv", "--png", same) == (
        f"--output {same} and --png {same} are the same file; choose different paths")
    side, grid = tmp_path / "g.command.txt", tmp_path / "g.png"
    assert _error(capsys, *base, "--output", side, "--format", "csv", "--png", grid) == (
        f"--output {side} and the command file of --png {grid} ({side}) are the same file; choose different paths")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["toy.npz"]


def test_nothing_is_written_when_an_output_cannot_be(ckpts, npz, tmp_path, capsys):
    rule, _ = ckpts
    keep = tmp_path / "keep.jsonl"
    keep.write_text("precious\n")
    blocker = tmp_path / "afile"
    blocker.write_text("x\n")
    assert _error(capsys, "--ckpt_path", rule, "--input", npz, "--output", keep, "--png", blocker / "g.png") == (
        f"cannot write --png {blocker / 'g.png'}: {blocker} is a file")
    assert _error(capsys, "--ckpt_path", rule, "--input", npz, "--output", blocker / "sub" / "p.jsonl") == (
        f"cannot write --output {blocker / 'sub' / 'p.jsonl'}: {blocker} is a file")
    assert keep.read_text() == "precious\n"
    # all-or-nothing writing: the second file fails after the first was staged; the first is left as it was
    with pytest.raises(cli.PredictError) as e:
        cli.write_files_atomic([("--output", keep, b"new\n"), ("--png", blocker / "g.png", b"png")])
    assert str(e.value) == f"cannot write --png {blocker / 'g.png'}: Not a directory"
    assert keep.read_text() == "precious\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile", "keep.jsonl", "toy.npz"]  # no temp files


def test_png_command_file_and_suffix(ckpts, npz, tmp_path, capsys):
    rule, _ = ckpts
    png, side = tmp_path / "mine.png", tmp_path / "mine.command.txt"
    side.write_text("my notes\n")
    assert _error(capsys, "--ckpt_path", rule, "--input", npz, "--png", png) == (
        f"--png {png} also writes the command that drew it to {side}, which exists and is not such a command file; "
        "move it or choose another --png")
    assert side.read_text() == "my notes\n" and not png.exists()
    side.write_text("seal predict --ckpt_path old.ckpt --png mine.png\n")  # an earlier run's: replaced
    assert _run(capsys, "--ckpt_path", rule, "--input", npz, "--png", png)[0] == 0
    assert side.read_text() == f"seal predict --ckpt_path {rule} --input {npz} --png {png}\n"
    jpg = tmp_path / "g.jpg"
    assert _error(capsys, "--ckpt_path", rule, "--input", npz, "--png", jpg) == (
        f"--png {jpg}: the grid is drawn as a PNG image; give a file name ending in .png")
    assert not jpg.exists()
    help_text = " ".join(cli.build_parser().format_help().split())
    assert "--png GRID.png (the name must end in .png) also writes GRID.command.txt beside it" in help_text


# ------------------------------------------------------------------------------------------------ options


def test_split_directories_and_non_checkpoints(ckpts, npz, tmp_path, capsys):
    rule, _ = ckpts
    out = tmp_path / "p.jsonl"
    assert _error(capsys, "--ckpt_path", rule, "--input", npz, "--output", out, "--split", "val") == (
        f"--split val applies to --dataset; --input {npz} is predicted whole")
    run = tmp_path / "run"
    (run / "version_0" / "checkpoints").mkdir(parents=True)
    best = run / "version_0" / "checkpoints" / "best.ckpt"
    best.write_bytes(rule.read_bytes())
    assert _error(capsys, "--ckpt_path", run, "--input", npz, "--output", out) == (
        f"--ckpt_path {run} is a directory; the checkpoint in it is {best}: pass that file")
    assert _error(capsys, "--ckpt_path", rule, "--compare", tmp_path, "--input", npz, "--output", out) == (
        f"--compare {tmp_path} is a directory; the checkpoint in it is {best}: pass that file")
    assert _error(capsys, "--ckpt_path", rule, "--compare", npz, "--input", npz, "--output", out) == (
        f"--compare {npz} is not a checkpoint: it is a numpy .npz data file (arrays images, masks); pass a .ckpt "
        "file written by seal fit")
    assert _error(capsys, "--ckpt_path", rule, "--input", npz, "--output", out, "--images", "0") == (
        "--images chooses the rows of the --png grid; give --png too")
    assert _error(capsys, "--ckpt_path", rule, "--input", npz, "--png", tmp_path / "g.png", "--format", "csv") == (
        "--format applies to --output")
    assert not out.exists()


# ------------------------------------------------------------------------------------- image files, --masks


def _png(path: Path, array, mode: str | None = None) -> Path:
    from PIL import Image

    Image.fromarray(np.asarray(array, np.uint8)).convert(mode or ("RGB" if np.ndim(array) == 3 else "L")).save(path)
    return path


def _three():
    """``_arrays`` plus image 2: gray 255 on rows/cols 10..15 (36 px, p = 0.993), gold rows 10..13 (24 px):
    IoU 24/36, pixel accuracy 1012/1024."""
    images, masks = _arrays()
    img2 = np.zeros((32, 32, 3), np.uint8)
    img2[10:16, 10:16] = 255
    m2 = np.zeros((32, 32), np.uint8)
    m2[10:14, 10:16] = 1
    return np.concatenate([images, img2[None]]), np.concatenate([masks, m2[None]])


def _folder(tmp_path: Path):
    """``imgs/`` (a.png, b.png RGB; c.png grayscale) and ``gold/`` (a.png L 0/1, b.png mode 1, c.png L 0/255)."""
    images, masks = _three()
    imgs, gold = tmp_path / "imgs", tmp_path / "gold"
    imgs.mkdir()
    gold.mkdir()
    _png(imgs / "a.png", images[0])
    _png(imgs / "b.png", images[1])
    _png(imgs / "c.png", images[2, :, :, 0])  # mode L
    _png(gold / "a.png", masks[0])
    _png(gold / "b.png", masks[1] * 255, "1")
    _png(gold / "c.png", masks[2] * 255)
    return imgs, gold


def test_folder_of_pngs_with_masks_scores_like_the_npz(ckpts, tmp_path, capsys):
    rule, _ = ckpts
    imgs, gold = _folder(tmp_path)
    images, masks = _three()
    np.savez(tmp_path / "same.npz", images=images, masks=masks)
    out, ref = tmp_path / "p.jsonl", tmp_path / "ref.jsonl"
    rc, text, _ = _run(capsys, "--ckpt_path", rule, "--input", imgs, "--masks", gold, "--output", out)
    assert rc == 0
    assert text == (f"seal predict: 3 images from {imgs} (cross-entropy, 36-crop average), mean IoU 0.5556, "
                    f"pixel accuracy 0.9909; converted to RGB: 1 of 3 images (1 grayscale (L)); wrote {out}\n"
                    + CONV.format(t="0.5") + "\n")
    rc, ref_text, _ = _run(capsys, "--ckpt_path", rule, "--input", tmp_path / "same.npz", "--output", ref)
    assert rc == 0 and ref_text.split(" (cross-entropy")[1] == text.split(" (cross-entropy")[1].replace(
        "; converted to RGB: 1 of 3 images (1 grayscale (L))", "").replace(str(out), str(ref))
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    ref_rows = [json.loads(line) for line in ref.read_text().splitlines()]
    assert [r["file"] for r in rows] == [str(imgs / n) for n in ("a.png", "b.png", "c.png")]
    assert [list(r) for r in rows] == [["index", "file", "iou", "pixel_accuracy", "foreground_fraction", "mask"]] * 3
    assert [{k: v for k, v in r.items() if k != "file"} for r in rows] == ref_rows
    assert [(r["iou"], r["pixel_accuracy"]) for r in rows] == [(1.0, 1.0), (0.0, 0.984375), (0.666667, 0.988281)]


def test_one_image_file_without_masks(ckpts, tmp_path, capsys):
    rule, _ = ckpts
    images, _ = _arrays()
    img = _png(tmp_path / "one.png", images[0], "RGBA")
    out = tmp_path / "p.csv"
    rc, text, _ = _run(capsys, "--ckpt_path", rule, "--input", img, "--output", out)
    assert rc == 0
    assert text.splitlines()[0] == (
        f"seal predict: 1 images from {img} (cross-entropy, 36-crop average), no metrics computed: no --masks folder "
        f"(gold masks); converted to RGB: 1 of 1 images (1 RGBA); wrote {out}")
    lines = out.read_text().splitlines()
    assert lines[0] == "index,file,foreground_fraction,mask"
    assert lines[1].startswith(f"0,{img},0.062500,11111111000")
    # palette images: converted too
    pal = _png(tmp_path / "pal.bmp", images[1], "P")
    rc, text, _ = _run(capsys, "--ckpt_path", rule, "--input", pal, "--output", out)
    assert rc == 0 and "; converted to RGB: 1 of 1 images (1 palette (P)); wrote" in text


def test_image_input_errors(ckpts, npz, tmp_path, capsys, monkeypatch):
    rule, _ = ckpts
    imgs, gold = _folder(tmp_path)
    out = tmp_path / "p.jsonl"
    base = ["--ckpt_path", rule, "--output", out]
    conv = "(36 crops of 24x24 at offsets 0..8 cover exactly 32x32); resize or crop the image to 32x32"
    (gold / "b.png").unlink()
    assert _error(capsys, *base, "--input", imgs, "--masks", gold) == (
        f"--masks {gold}: no mask for {imgs / 'b.png'} (looked for b with {SUFFIXES})")
    bad = np.zeros((32, 32), np.uint8)
    bad[2, 3] = 7
    _png(gold / "b.png", bad)
    assert _error(capsys, *base, "--input", imgs, "--masks", gold) == (
        f"{gold / 'b.png'}: mask pixel (row 2, column 3) is 7; mask values must be 0 and 1 or 0 and 255")
    bad[2, 3], bad[5, 6] = 255, 1
    _png(gold / "b.png", bad)
    assert _error(capsys, *base, "--input", imgs, "--masks", gold) == (
        f"{gold / 'b.png'}: mask pixel (row 5, column 6) is 1; mask values must be 0 and 1 or 0 and 255")
    _png(gold / "b.png", np.zeros((32, 32, 3)))
    assert _error(capsys, *base, "--input", imgs, "--masks", gold) == (
        f"{gold / 'b.png'}: the mask of {imgs / 'b.png'} has mode RGB; a mask is a single-channel image (mode L, 1 "
        "or P) of 0/1 or 0/255")
    _png(gold / "b.png", np.zeros((32, 30)))
    assert _error(capsys, *base, "--input", imgs, "--masks", gold) == (
        f"{gold / 'b.png'}: the mask is 32x30, but its image {imgs / 'b.png'} is 32x32")
    _png(imgs / "d.jpg", np.zeros((48, 40, 3)))
    assert _error(capsys, *base, "--input", imgs) == (
        f"{imgs / 'd.jpg'}: the image is 48x40, but {rule} predicts 32x32 images {conv}")
    (imgs / "notes.txt").write_text("x\n")
    (imgs / "sub").mkdir()
    assert _error(capsys, *base, "--input", imgs) == (
        f"--input {imgs}: a folder of images holds only image files ({SUFFIXES}), but it also holds notes.txt, sub/")
    assert _error(capsys, *base, "--input", npz, "--masks", gold) == (
        f"--masks applies to --input image files or folders, not to --input {npz} (a .npz: its masks are its "
        "'masks' array)")
    missing = tmp_path / "nope.png"
    assert _error(capsys, *base, "--input", missing) == f"input file not found: {missing}"
    assert _error(capsys, *base, "--input", imgs / "a.png", "--masks", tmp_path / "nogold") == (
        f"--masks folder not found: {tmp_path / 'nogold'}")
    monkeypatch.setitem(__import__("sys").modules, "PIL", None)  # Pillow not installed
    assert _error(capsys, *base, "--input", imgs / "a.png") == "reading image files needs Pillow: pip install pillow"
    assert not out.exists()
    # --masks is a segmentation option: refused for the other tasks like --png
    owners = cli.build_parser().get_default("_task_options")
    assert owners["masks"][0] == owners["png"][0] == "segmentation"


def test_write_files_atomic_undoes_earlier_replaces_when_a_later_one_fails(tmp_path, monkeypatch):
    """All or nothing across files: the second replace fails, so the first output, already replaced, is restored
    byte-identical, a file that did not exist is not left behind, and no temporary file stays."""
    import os as _os

    from seal.cli import predict as cli_predict

    first, second, new = tmp_path / "a.jsonl", tmp_path / "b.png", tmp_path / "c.txt"
    first.write_bytes(b"old a")
    second.write_bytes(b"old b")
    real_replace = _os.replace
    calls = []

    def flaky(src, dst):
        calls.append(str(dst))
        if str(dst) == str(second) and str(src).endswith(".tmp"):
            raise OSError(28, "No space left on device")
        return real_replace(src, dst)

    monkeypatch.setattr(cli_predict.os, "replace", flaky)
    with pytest.raises(cli_predict.PredictError) as exc:
        cli_predict.write_files_atomic([("--output", first, b"new a"), ("--output", new, b"new c"),
                                        ("--png", second, b"new b")])
    assert str(exc.value) == f"cannot write --png {second}: No space left on device"
    assert (first.read_bytes(), second.read_bytes(), new.exists()) == (b"old a", b"old b", False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.jsonl", "b.png"]
