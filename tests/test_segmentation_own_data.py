"""Your own segmentation data: ``seal fit --data.train/--data.val/--data.test FILE.npz``, ``seal data info FILE.npz``,
and the data-side messages of the segmentation paths (a data dir without the files and a failed download, a dataset
of another task, a folder given as a file, a grid's relative ``config_dir``).

Every message is asserted whole: each names the file (or dataset) and what is wrong, in one line.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
import yaml

from seal.data.download import DownloadError
from seal.data.errors import DataError, DatasetError, OtherTaskDatasetError
from seal.tasks import TASKS, task_of_file
from seal.tasks.segmentation import data as seg
from seal.tasks.segmentation.datamodule import WeizmannDataModule

REPO = Path(__file__).resolve().parents[1]
LAYOUT = "a .npz with arrays 'images' (N, H, W, 3) uint8 and 'masks' (N, H, W) of 0/1 (numpy.savez)"


def _write(path: Path, n: int, size: int = 32, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` images whose pixel (0, 0, 0) is the image's index (so that a split's images can be identified)."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (n, size, size, 3), dtype=np.uint8)
    images[:, 0, 0, 0] = np.arange(n)
    masks = np.zeros((n, size, size), np.uint8)
    masks[:, : size // 4] = 1  # a quarter of every mask is foreground
    np.savez(path, images=images, masks=masks)
    return images, masks


@pytest.fixture
def own(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _write(tmp_path / "train.npz", 10)
    _write(tmp_path / "val.npz", 3, seed=1)
    _write(tmp_path / "test.npz", 4, seed=2)
    return tmp_path


# ------------------------------------------------------------------------------------------ reading the files


def test_validation_is_a_seeded_fifth_of_train(own):
    ds = seg.load_segmentation_files("train.npz")
    # default_rng(0).permutation(10) = [4 6 2 7 3 5 9 0 8 1]: the first 2 (a fifth) are the validation images
    assert ds.splits["val"].images[:, 0, 0, 0].tolist() == [4, 6]
    assert ds.splits["train"].images[:, 0, 0, 0].tolist() == [0, 1, 2, 3, 5, 7, 8, 9]
    assert set(ds.splits) == {"train", "val"} and ds.name == "train" and ds.files == ["train.npz"]
    assert ds.notes == [
        "own files: train train.npz, no test file",
        "validation carved from train.npz: 2 of its 10 images (0.2, random permutation, seed 0)",
        "no test file (--data.test): the test after training is skipped",
    ]
    other = seg.load_segmentation_files("train.npz", val_fraction=0.2, split_seed=3)
    assert other.splits["val"].images[:, 0, 0, 0].tolist() == [6, 9]  # permutation(10) with seed 3 starts 9, 6


def test_validation_and_test_files(own):
    ds = seg.load_segmentation_files("train.npz", "val.npz", "test.npz")
    assert {k: len(v) for k, v in ds.splits.items()} == {"train": 10, "val": 3, "test": 4}
    assert ds.notes == ["own files: train train.npz, val val.npz, test test.npz", "validation: val.npz"]
    assert ds.files == ["train.npz", "val.npz", "test.npz"]


def _empty(p):
    np.savez(p, images=np.zeros((0, 32, 32, 3), np.uint8), masks=np.zeros((0, 32, 32), np.uint8))


@pytest.mark.parametrize(
    ("make", "role", "message"),
    [
        (None, "val", "bad.npz: no such file (--data.val)"),
        (_empty, "val", "bad.npz: no images (--data.val); an empty split is refused"),
        (lambda p: p.mkdir(), "test", f"bad.npz: is a folder, not a file; segmentation data is {LAYOUT}"),
        (lambda p: p.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 20), "val",
         f"bad.npz: not a .npz file (a PNG image); segmentation data is {LAYOUT}"),
        (lambda p: p.write_bytes(b"\xff\xd8\xff\xe0" + b"\0" * 20), "val",
         f"bad.npz: not a .npz file (a JPEG image); segmentation data is {LAYOUT}"),
        (lambda p: np.save(open(p, "wb"), np.zeros(3)), "val",
         f"bad.npz: not a .npz file (a single .npy array); segmentation data is {LAYOUT}"),
        (lambda p: p.write_bytes(b"images,masks\n"), "val",
         f"bad.npz: not a .npz file (not a zip archive); segmentation data is {LAYOUT}"),
        (lambda p: p.write_bytes(b""), "val",
         f"bad.npz: not a readable .npz file: it is empty (0 bytes); segmentation data is {LAYOUT}"),
        (lambda p: p.write_bytes(b"PK\x03\x04garbage"), "val",
         "bad.npz: not a readable .npz file (damaged archive: BadZipFile: File is not a zip file)"),
        (lambda p: np.savez(p, images=np.zeros((2, 32, 32, 3), np.uint8)), "test",
         "bad.npz: missing array(s) ['masks']; found ['images']"),
        (lambda p: np.savez(p, images=np.zeros((2, 32, 32, 3), np.uint8), masks=np.full((2, 32, 32), 255, np.uint8)),
         "test", "bad.npz: array 'masks' is not binary: values [255] (first at image 0, pixel (0, 0)); masks must "
         "hold only 0 and 1"),
    ],
)
def test_each_bad_file_is_one_line_naming_it(own, make, role, message):
    if make is not None:
        make(own / "bad.npz")
    files = {"val": None, "test": None, role: "bad.npz"}
    with pytest.raises(seg.WeizmannDataError) as ei:
        seg.load_segmentation_files("train.npz", files["val"], files["test"])
    assert str(ei.value) == message


def test_a_training_file_too_small_to_carve(own):
    _write(own / "one.npz", 1)
    with pytest.raises(seg.WeizmannDataError) as ei:
        seg.load_segmentation_files("one.npz")
    assert str(ei.value) == ("one.npz: 1 image(s), too few to carve a validation split (0.2 of them) and keep images to "
                             "train on; give a validation file (--data.val)")
    with pytest.raises(seg.WeizmannDataError) as ei:
        seg.load_segmentation_files("train.npz", val_fraction=1.0)
    assert str(ei.value) == "--data.val_fraction must lie in (0, 1), got 1.0"


def test_object_arrays_are_still_refused_without_unpickling(own):
    np.savez(own / "obj.npz", images=np.array([{"a": 1}], dtype=object), masks=np.zeros((1, 32, 32), np.uint8))
    with pytest.raises(seg.WeizmannDataError) as ei:
        seg.read_npz(own / "obj.npz")
    assert str(ei.value) == f"{own / 'obj.npz'}: array 'images' cannot be read without unpickling (object arrays are refused)"


# ------------------------------------------------------------------------------------------ the DataModule


def test_datamodule_reads_own_files_and_prints_the_sizes(own, capsys):
    dm = WeizmannDataModule(train="train.npz", test="test.npz")
    assert capsys.readouterr().err == (
        "seal: segmentation data from your files: 32x32 RGB images, train 8, val 2, test 4; validation carved from "
        "train.npz: 2 of its 10 images (0.2, random permutation, seed 0)\n"
    )
    assert dm.has_test and dm.dataset == "train" and dm.info == {"train": 8, "val": 2, "test": 4}
    x, y = dm.split_tensors("val")
    assert tuple(x.shape) == (2, 3, 32, 32) and tuple(y.shape) == (2, 32, 32)
    assert (x[:, 0, 0, 0] * 255).round().tolist() == [4.0, 6.0]
    assert dm.hparams["train"] == "train.npz" and dm.hparams["val_fraction"] == 0.2 and dm.hparams["split_seed"] == 0


def test_datamodule_without_a_test_file_has_no_test(own, capsys):
    dm = WeizmannDataModule(dataset="train.npz", val="val.npz")  # a .npz given as the dataset is the training file
    assert capsys.readouterr().err == (
        "seal: segmentation data from your files: 32x32 RGB images, train 10, val 3; no test file (--data.test): "
        "the test after training is skipped\n"
    )
    assert not dm.has_test and dm.info == {"train": 10, "val": 3}
    with pytest.raises(DataError) as ei:
        dm.test_dataloader()
    assert str(ei.value) == "no 'test' split in dataset 'train' (give your test file with --data.test PATH)"


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"test": "test.npz"}, ValueError, "--data.val / --data.test need --data.train (your own training file)"),
        ({"train": "train.npz", "val": "val.npz", "split_seed": 2}, ValueError,
         "--data.val_fraction / --data.split_seed apply only when a validation split is carved from --data.train "
         "(your own training file, without --data.val)"),
        ({"val_fraction": 0.5}, ValueError,
         "--data.val_fraction / --data.split_seed apply only when a validation split is carved from --data.train "
         "(your own training file, without --data.val)"),
        ({"train": "train.npz", "val": "big.npz"}, seg.WeizmannDataError,
         "big.npz: images are 48x48, those of train.npz are 32x32; every split must have one image size"),
        ({"train": "big.npz"}, seg.WeizmannDataError,
         "big.npz: images are 48x48, but the 36-crop evaluation (crops of 24 at offsets 0, 2, 3, 4, 6, 8) covers "
         "exactly 32x32 pixels; give 32x32 images, or crops of 40 (--model.crop_size 40; the data's crop size "
         "follows it)"),
        ({"train": "small.npz"}, seg.WeizmannDataError, "small.npz: images (16, 16) are smaller than the crop size 24"),
    ],
)
def test_datamodule_refusals(own, kwargs, error, message):
    _write(own / "big.npz", 4, size=48)
    _write(own / "small.npz", 4, size=16)
    with pytest.raises(error) as ei:
        WeizmannDataModule(**kwargs)
    assert str(ei.value) == message


def test_seal_fit_on_own_files_skips_the_test_without_a_test_file(own, capsys):
    from seal.cli.lightning import fit_main

    rc = fit_main(["--task", "segmentation", "--data.train", "train.npz", "--trainer.max_epochs=1",
                   "--trainer.limit_train_batches=1", "--trainer.limit_val_batches=1", "--trainer.enable_progress_bar=false",
                   "--trainer.default_root_dir", str(own / "run")])
    err = capsys.readouterr().err
    assert rc == 0
    assert ("seal: segmentation data from your files: 32x32 RGB images, train 8, val 2; validation carved from train.npz: "
            "2 of its 10 images (0.2, random permutation, seed 0); no test file (--data.test): the test after training is "
            "skipped\n") in err
    assert "seal: no test split (your own files without --data.test): test evaluation skipped\n" in err
    metrics = json.loads(next((own / "run").rglob("metrics.json")).read_text())
    assert metrics["task"] == "segmentation" and metrics["metrics"]["test"] == {}


# ------------------------------------------------------------------------------------------ seal data info FILE.npz


def test_npz_files_belong_to_the_segmentation_task():
    from seal.data.formats import EXTENSIONS

    assert ".npz" not in EXTENSIONS  # no feature format claims it
    assert task_of_file("a/b/Train.NPZ") is TASKS["segmentation"]
    assert TASKS["segmentation"].describe_file_function() is seg.describe_segmentation_file
    assert TASKS["segmentation"].file_options == ("val_fraction", "seed")


def test_data_info_describes_an_npz(own, capsys):
    from seal.cli.data import main

    images, masks = _write(own / "mixed.npz", 5)
    masks[0] = 0  # one empty mask, one full one
    masks[1] = 1
    np.savez(own / "mixed.npz", images=images, masks=masks)
    assert main(["info", "mixed.npz"]) == 0
    assert capsys.readouterr().out == (
        "mixed.npz\n"
        "  format                   npz (segmentation): images (N, H, W, 3) uint8, masks (N, H, W) of 0/1\n"
        "  images                   5\n"
        "  image size               32x32 RGB\n"
        "  foreground               0.3500 of the mask pixels (per image: min 0.0000, mean 0.3500, max 1.0000)\n"
        "  empty / full masks       1 all background, 1 all foreground\n"
        "  as --data.train          train 4 / val 1 (validation carved: 0.2 of the images, random permutation, seed 0; "
        "or give --data.val)\n"
        "  seal fit                 fits: the 36-crop evaluation (crops of 24) covers these 32x32 images\n"
    )
    assert main(["info", "mixed.npz", "--json", "--val-fraction", "0.4", "--seed", "1"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats == {
        "file": "mixed.npz", "format": "npz (segmentation)", "images": 5, "image_size": [32, 32],
        "foreground_fraction": 0.35, "foreground_per_image": {"min": 0.0, "mean": 0.35, "max": 1.0},
        "empty_masks": 1, "full_masks": 1, "carve": {"train": 3, "val": 2, "val_fraction": 0.4, "seed": 1},
        "evaluation": "fits: the 36-crop evaluation (crops of 24) covers these 32x32 images",
    }


def test_data_info_on_files_fit_would_refuse(own, capsys):
    from seal.cli.data import main

    _write(own / "big.npz", 2, size=48)
    assert main(["info", "big.npz"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == ("  seal fit                 refuses this size: images are 48x48, but the 36-crop evaluation (crops "
                       "of 24 at offsets 0, 2, 3, 4, 6, 8) covers exactly 32x32 pixels; give 32x32 images, or crops of "
                       "40 (--model.crop_size 40; the data's crop size follows it)")
    _empty(own / "empty.npz")
    assert main(["info", "empty.npz"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-2:] == ["  as --data.train          no validation carve: the file holds no images; seal fit refuses an "
                        "empty split", "  seal fit                 refuses an empty file"]
    assert main(["info", "big.npz", "--labels", "a"]) == 1
    assert capsys.readouterr().err == "seal data: error: --labels does not apply to a segmentation .npz file\n"
    (own / "png.npz").write_bytes(b"\x89PNG\r\n\x1a\n")
    assert main(["info", "png.npz"]) == 1
    assert capsys.readouterr().err == f"seal data: error: png.npz: not a .npz file (a PNG image); segmentation data is {LAYOUT}\n"


def test_data_info_on_a_folder_says_it_is_one(own, capsys):
    from seal.cli.data import main

    (own / "images").mkdir()
    assert main(["info", "./images"]) == 1
    assert capsys.readouterr().err == (
        "seal data: error: ./images: is a folder, not a data file; give one file: .arff, .zip, .svm, .libsvm, "
        ".svmlight, .txt, .csv, .tsv (feature data); .npz (segmentation); .jsonl, .jsonl.gz (text-mlc); .conllu, "
        ".conll, .conllu.zip, .conll.zip (srl)\n"
    )


# ------------------------------------------------------------------------------------------ catalogue paths


def _offline(monkeypatch, tmp_path):
    """An empty cache and a download that fails as it does without network."""
    monkeypatch.setenv("SEAL_CACHE_DIR", str(tmp_path / "cache"))

    def fail(url, max_bytes, timeout=60.0):
        raise DownloadError(f"cannot download {url}: [Errno -2] Name or service not known", url=url)

    monkeypatch.setattr(seg, "_fetch_bytes", fail)


def _files_line(root: Path, cache: Path) -> str:
    from seal.data.catalogue import get_spec

    spec = get_spec("weizmann_horse")
    files = "; ".join(f"{f.path} (sha256 {f.sha256})" for f in spec.files)
    url = seg.NPY_SOURCES["train"]["url"]
    return (
        f"dataset 'weizmann_horse': 3 file(s) not found: {files}. Searched: {root} (no such directory), {cache} (no "
        f"such directory). Downloading them failed: cannot download {url}: [Errno -2] Name or service not known. To "
        f"fix: {spec.obtain}; put the file(s) at those relative paths under {root}, or point --data.data_dir / "
        "data_dir / SEAL_DATA_DIR at a directory holding them."
    )


def test_a_data_dir_without_the_files_and_a_failed_download_is_one_line(tmp_path, monkeypatch):
    from seal.data.locate import DownloadFailedError

    _offline(monkeypatch, tmp_path)
    with pytest.raises(DownloadFailedError) as ei:
        seg.load_segmentation_dataset("weizmann_horse", data_dir=tmp_path / "typo")
    assert str(ei.value) == _files_line(tmp_path / "typo", tmp_path / "cache")
    assert isinstance(ei.value, DownloadError) and isinstance(ei.value, DatasetError)  # seal data exits 1, seal fit 2
    assert ei.value.missing == [f"weizmann_horse/weizmann_horse_{s}.npz" for s in ("train", "val", "test")]
    assert ei.value.url == seg.NPY_SOURCES["train"]["url"]


def test_seal_fit_with_a_wrong_data_dir_prints_one_line(tmp_path, monkeypatch, capsys):
    from seal.cli.lightning import fit_main

    _offline(monkeypatch, tmp_path)
    monkeypatch.chdir(tmp_path)
    config = REPO / "configs" / "weizmann_horse" / "cross-entropy.cpu.yaml"
    with pytest.raises(SystemExit) as ei:
        fit_main(["--config", str(config), "--data.data_dir", str(tmp_path / "typo"),
                  "--trainer.default_root_dir", str(tmp_path / "run")])
    assert ei.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert f"seal: error: {_files_line(tmp_path / 'typo', tmp_path / 'cache')}\n" in err


def test_a_dataset_of_another_task_names_the_task_to_use(monkeypatch):
    monkeypatch.chdir(REPO)
    with pytest.raises(OtherTaskDatasetError) as ei:
        WeizmannDataModule(dataset="bibtex")
    assert str(ei.value) == ("dataset 'bibtex' is a mlc dataset, not a segmentation dataset; train it with task "
                             "'multilabel': seal fit --task multilabel --data.dataset bibtex, or --config "
                             "configs/bibtex/cross-entropy.yaml")
    assert "load_dataset" not in str(ei.value)
    from seal.data.load import load_dataset

    with pytest.raises(OtherTaskDatasetError) as ei:  # the other way round: a ValueError, so seal fit prints one line
        load_dataset("weizmann_horse")
    assert isinstance(ei.value, NotImplementedError) and isinstance(ei.value, ValueError)
    assert str(ei.value) == (
        "dataset 'weizmann_horse' is a segmentation dataset, not a multi-label ARFF dataset; train it with task "
        "'segmentation': seal fit --task segmentation --data.dataset weizmann_horse, or --config "
        "configs/weizmann_horse/cross-entropy.yaml (in Python: load_dataset only loads multi-label ARFF datasets; "
        "load it with the segmentation task's DataModule (seal.tasks.segmentation.datamodule:WeizmannDataModule))"
    )


def test_a_grid_run_outside_the_repository_says_where_config_dir_was_looked_for(tmp_path, monkeypatch, capsys):
    from seal.cli.experiment import main as experiment_main

    monkeypatch.chdir(tmp_path)
    grid = tmp_path / "grid.yaml"
    grid.write_text(yaml.safe_dump({"datasets": ["weizmann_horse"], "methods": ["cross-entropy"], "seeds": [0],
                                    "config_dir": "configs"}))
    assert experiment_main([str(grid), "--dry-run"]) == 2
    assert capsys.readouterr().err == (
        f"seal experiment: error: {grid}: unknown dataset 'weizmann_horse': no such directory under configs/ (config_dir "
        f"'configs' is resolved against the current directory: {tmp_path / 'configs'}, which does not exist; run seal "
        "experiment from the repository root, or give the grid an absolute config_dir)\n"
    )
    (tmp_path / "configs" / "bibtex").mkdir(parents=True)
    assert experiment_main([str(grid), "--dry-run"]) == 2
    assert capsys.readouterr().err == (
        f"seal experiment: error: {grid}: unknown dataset 'weizmann_horse': no such directory under configs/ (datasets "
        f"there: bibtex) (config_dir 'configs' is resolved against the current directory: {tmp_path / 'configs'})\n"
    )
    grid.write_text(yaml.safe_dump({"datasets": ["weizmann_horse"], "methods": ["cross-entropy"], "seeds": [0],
                                    "config_dir": str(REPO / "configs")}))
    assert experiment_main([str(grid), "--dry-run"]) == 0
    capsys.readouterr()
    assert os.getcwd() == str(tmp_path)
