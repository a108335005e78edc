"""Weizmann horses: reader and bad inputs, crops and 36-crop averaging, restricted unpickler, .npy -> .npz."""

from __future__ import annotations

import hashlib
import io
import json
import os
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from seal.data.catalogue import get_spec
from seal.data.download import ChecksumMismatchError
from seal.data.errors import DatasetNotFoundError
from seal.data.load import load_dataset
from seal.data.locate import fetch_dataset
from seal.tasks.segmentation import data as wz
from seal.tasks.segmentation.data import load_segmentation_dataset
from seal.tasks.segmentation.datamodule import SegmentationArrays, WeizmannDataModule

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module", autouse=True)
def _one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def _split(n=4, seed=0, size=32):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, size, size, 3), dtype=np.uint8)
    masks = (rng.random((n, size, size)) < 0.3).astype(np.uint8)
    return images, masks


def _upstream_npy(images, masks, split="train") -> bytes:
    """A genuine upstream-format .npy: a pickled (1,) object array holding {split, images list, masks list}."""
    arr = np.empty(1, dtype=object)
    arr[0] = {"split": split, "images": list(images), "masks": list(masks)}
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=True)  # writing only: seal never loads with allow_pickle=True
    return buf.getvalue()


def _object_npy(payload) -> bytes:
    """A .npy header announcing a (1,) object array, followed by an arbitrary pickle of ``payload``."""
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": "|O", "fortran_order": False, "shape": (1,)})
    pickle.dump(payload, buf, protocol=3)
    return buf.getvalue()


# ----------------------------------------------------------------------------------------- reader


def test_read_npz_scales_and_lays_out(tmp_path):
    images, masks = _split()
    p = tmp_path / "s.npz"
    np.savez(p, images=images, masks=masks)
    split = wz.read_npz(p)
    x, y = split.tensors()
    assert x.shape == (4, 3, 32, 32) and y.shape == (4, 32, 32)
    assert x.dtype == torch.float32 and float(x.max()) <= 1.0 and float(x.min()) >= 0.0
    assert torch.equal(x[1, 2], torch.from_numpy(images[1, :, :, 2]).float() / 255)
    assert torch.equal(y, torch.from_numpy(masks).float())


@pytest.mark.parametrize(
    "images_shape, mask_fn, needles",
    [
        ((4, 32, 32, 4), lambda m: m, ["'images'", "(N, H, W, 3)", "4 channels"]),
        ((4, 32, 32), lambda m: m, ["'images'", "(N, H, W, 3)"]),
        ((4, 32, 32, 3), lambda m: m * 255, ["'masks'", "not binary", "255"]),
        ((4, 32, 32, 3), lambda m: m[:3], ["'images'", "'masks'", "4 images, 3 masks"]),
    ],
)
def test_bad_inputs_name_file_and_array(tmp_path, images_shape, mask_fn, needles):
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, size=images_shape, dtype=np.uint8)
    masks = mask_fn((rng.random((4, 32, 32)) < 0.5).astype(np.uint8))
    p = tmp_path / "bad_split.npz"
    np.savez(p, images=images, masks=masks)
    with pytest.raises(wz.WeizmannDataError) as ei:
        wz.read_npz(p)
    msg = str(ei.value)
    assert str(p) in msg
    for needle in needles:
        assert needle in msg


def test_object_arrays_in_npz_are_refused(tmp_path):
    p = tmp_path / "obj.npz"
    np.savez(p, images=np.array([{"a": 1}], dtype=object), masks=np.zeros((1, 32, 32), np.uint8))
    with pytest.raises(wz.WeizmannDataError, match="unpickling"):
        wz.read_npz(p)


# ------------------------------------------------------------------------------------------ crops


def test_random_crops_are_seeded_per_epoch():
    a = wz.random_crop_offsets(160, seed=3, epoch=5)
    assert a.shape == (160, 2) and a.min() >= 0 and a.max() <= 8
    assert np.array_equal(a, wz.random_crop_offsets(160, seed=3, epoch=5))
    assert not np.array_equal(a, wz.random_crop_offsets(160, seed=3, epoch=6))
    assert not np.array_equal(a, wz.random_crop_offsets(160, seed=4, epoch=5))
    assert set(np.unique(wz.random_crop_offsets(2000, 0, 0))) == set(range(9))  # 0..8 inclusive


def _datamodule(seed=7, **kw):
    tr, va = _split(10, 0), _split(3, 1)
    arrays = SegmentationArrays(
        {"train": wz.SegmentationSplit(*tr, "train.npz"), "val": wz.SegmentationSplit(*va, "val.npz")}, name="toy"
    )
    return WeizmannDataModule.from_arrays(arrays, batch_size=4, crop_seed=seed, **kw), tr


def _epoch_batches(dm, epoch):
    loader = dm.train_dataloader()
    loader.sampler.set_epoch(epoch)  # what Lightning does at the start of each epoch
    return list(loader)


def test_training_crops_reproducible_from_seed_and_epoch():
    dm, (images, masks) = _datamodule()
    first = _epoch_batches(dm, 3)
    for e in range(3):  # other epochs in between change nothing about epoch 3
        _epoch_batches(dm, e)
    again = _epoch_batches(_datamodule()[0], 3)
    assert all(torch.equal(a[0], b[0]) and torch.equal(a[1], b[1]) for a, b in zip(first, again))
    assert all(torch.equal(a[0], b[0]) for a, b in zip(first, _epoch_batches(dm, 3)))
    x, y = first[0]
    assert x.shape == (4, 3, 24, 24) and y.shape == (4, 24, 24)
    # every training crop is a 24x24 window of its image at that epoch's offsets
    loader = dm.train_dataloader()
    loader.sampler.set_epoch(3)
    order = list(loader.sampler)
    offsets = wz.random_crop_offsets(10, 7, 3)
    i, (h, w) = order[0], offsets[order[0]]
    assert torch.equal(x[0], torch.from_numpy(images[i, h : h + 24, w : w + 24].transpose(2, 0, 1)).float() / 255)
    assert torch.equal(y[0], torch.from_numpy(masks[i, h : h + 24, w : w + 24]).float())
    other = _epoch_batches(dm, 4)
    assert not torch.equal(torch.cat([b[0] for b in first]), torch.cat([b[0] for b in other]))


def test_36_crop_positions_cover_the_canvas():
    pos = wz.crop_offsets_36()
    assert len(pos) == 36 and pos[0] == (0, 0) and pos[-1] == (8, 8) and (3, 6) in pos
    ones = torch.ones(1, 36, 24, 24)
    assert torch.equal(wz.average_crops(ones, pos, (32, 32)), torch.ones(1, 32, 32))


class _PositionModel:
    """Returns, for the crop at position (h, w), the constant foreground probability ``value(h, w)``."""

    def __init__(self, value):
        self.value, self.calls, self.seen = value, 0, 0

    def __call__(self, crops):
        pos = wz.crop_offsets_36()
        n = crops.shape[0]
        out = torch.empty(n, 2, 24, 24)
        for j in range(n):
            h, w = pos[(self.seen + j) % 36]
            out[j, 1] = self.value(h, w)
            out[j, 0] = 1 - out[j, 1]
        self.seen += n
        self.calls += 1
        return out


def test_36_crop_average_on_a_hand_made_canvas():
    x = torch.zeros(2, 3, 32, 32)
    # only the crop at (0, 0) says foreground
    canvas = wz.predict_36_crops(_PositionModel(lambda h, w: float((h, w) == (0, 0))), x)
    assert canvas.shape == (2, 32, 32)
    c = canvas[0]
    assert c[0, 0] == 1.0 and c[1, 1] == 1.0  # covered by crop (0, 0) only
    assert c[0, 10] == pytest.approx(1 / 6)  # row 0: h = 0 only; column 10: all six w
    assert c[2, 2] == pytest.approx(1 / 4)  # h in {0, 2}, w in {0, 2}
    assert c[10, 10] == pytest.approx(1 / 36)  # every crop covers it
    assert c[24, 24] == 0.0 and c[31, 31] == 0.0
    assert torch.equal(canvas[0], canvas[1])
    # a value that depends on the row offset only: rows 0-1 see h = 0, row 5 sees h in {0,2,3,4}, row 31 sees h = 8
    model = _PositionModel(lambda h, w: h / 8)
    rows = wz.predict_36_crops(model, x, chunk=7)  # chunking changes nothing
    assert model.calls == -(-72 // 7)
    assert torch.allclose(rows[0, 0], torch.zeros(32))
    assert torch.allclose(rows[0, 5], torch.full((32,), 9 / 32))
    assert torch.allclose(rows[0, 31], torch.ones(32))
    # an averaged probability of exactly 0.5 is background (argmax ties go to channel 0)
    half = wz.predict_36_crops(_PositionModel(lambda h, w: 0.5), x)
    assert not bool((half > 0.5).any())


# --------------------------------------------------------------------------- restricted unpickling


def test_restricted_unpickler_accepts_genuine_numpy_pickles():
    images, masks = _split(3)
    data = _upstream_npy(images, masks)
    split = wz.load_npy_split(data)
    assert np.array_equal(split.images, images) and np.array_equal(split.masks, masks)
    # the numpy < 2 spelling of the reconstruct global (as in the SEAL authors' files) is admitted too
    arr = np.empty(1, dtype=object)
    arr[0] = {"split": "train", "images": list(images), "masks": list(masks)}
    stream = pickle.dumps(arr, protocol=3)  # as numpy < 2 wrote it: text GLOBAL opcodes, no framing
    assert b"numpy._core.multiarray\n_reconstruct" in stream
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "|O", "fortran_order": False, "shape": (1,)})
    old = header.getvalue() + stream.replace(b"numpy._core.multiarray", b"numpy.core.multiarray")
    assert np.array_equal(wz.load_npy_split(old).images, images)
    # plain arrays need no pickle at all
    buf = io.BytesIO()
    np.save(buf, images, allow_pickle=False)
    assert np.array_equal(wz.load_npy_restricted(buf.getvalue()), images)


class _Evil:
    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


class _EvalEvil:
    def __reduce__(self):
        return (eval, ("__import__('os').system('true')",))


def test_restricted_unpickler_refuses_malicious_pickle_without_running_it(tmp_path):
    marker = tmp_path / "pwned"
    payload = _object_npy([_Evil(f"touch {marker}")])
    f = tmp_path / "weizmann_horse_train.npy"
    f.write_bytes(payload)
    with pytest.raises(wz.UnsafePickleError) as ei:
        wz.load_npy_split(f)
    msg = str(ei.value)
    assert str(f) in msg and "system" in msg and "refusing" in msg and "numpy" in msg
    assert not marker.exists()
    with pytest.raises(wz.UnsafePickleError, match="builtins.eval"):
        wz.load_npy_restricted(_object_npy(_EvalEvil()))
    with pytest.raises(pickle.UnpicklingError):  # UnsafePickleError is an UnpicklingError
        wz.restricted_loads(pickle.dumps(_Evil("true")))


def test_npy_layout_errors_name_the_array():
    arr = np.empty(1, dtype=object)
    arr[0] = {"split": "train", "images": [np.zeros((32, 32, 4), np.uint8)], "masks": [np.zeros((32, 32), np.uint8)]}
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=True)
    with pytest.raises(wz.WeizmannDataError, match="'images'"):
        wz.load_npy_split(buf.getvalue())
    with pytest.raises(wz.WeizmannDataError, match="not a .npy"):
        wz.load_npy_split(b"garbage")


def test_no_pickle_loading_in_the_code():
    src = Path(wz.__file__).resolve().parents[1]
    offenders = [p for p in src.rglob("*.py") if "allow_pickle=True" in p.read_text(encoding="utf-8")]
    assert offenders == []


# ------------------------------------------------------------------------------- npy -> npz, download


def test_convert_npy_to_npz(tmp_path):
    images, masks = _split(5)
    src = tmp_path / "in.npy"
    src.write_bytes(_upstream_npy(images, masks))
    out = wz.convert_npy_to_npz(src, tmp_path / "out" / "s.npz")
    split = wz.read_npz(out)
    assert np.array_equal(split.images, images) and np.array_equal(split.masks, masks)
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    assert wz.convert_npy_to_npz(src, tmp_path / "again.npz", sha256=digest).read_bytes() == out.read_bytes()
    with pytest.raises(ChecksumMismatchError):
        wz.convert_npy_to_npz(src, tmp_path / "never.npz", sha256="0" * 64)
    assert not (tmp_path / "never.npz").exists()


def test_registry_fetch_downloads_and_converts_to_the_registered_bytes(data_dir, tmp_path, monkeypatch):
    """The download path end to end, offline: upstream-format .npy files (rebuilt from the shared .npz) served
    from file:// URLs are fetched, decoded by the restricted unpickler and written as .npz files whose sha256
    equals the registry's."""
    spec = get_spec("weizmann_horse")
    sources = {}
    for f in spec.files:
        real = wz.read_npz(data_dir / f.path)
        npy = tmp_path / "upstream" / f"weizmann_horse_{f.role}.npy"
        npy.parent.mkdir(exist_ok=True)
        npy.write_bytes(_upstream_npy(real.images, real.masks, f.role))
        sources[f.role] = {"url": npy.as_uri(), "sha256": None, "max_bytes": 8 << 20}
    sources["val"]["sha256"] = hashlib.sha256((tmp_path / "upstream" / "weizmann_horse_val.npy").read_bytes()).hexdigest()
    monkeypatch.setattr(wz, "NPY_SOURCES", sources)
    monkeypatch.setenv("SEAL_CACHE_DIR", str(tmp_path / "cache"))
    empty = tmp_path / "empty"
    with pytest.raises(DatasetNotFoundError, match="seal data fetch weizmann_horse"):
        load_segmentation_dataset("weizmann_horse", data_dir=empty, download=False)
    ds = load_segmentation_dataset("weizmann_horse", data_dir=empty)
    assert {k: len(v) for k, v in ds.splits.items()} == {"train": 160, "val": 40, "test": 128}
    for f in spec.files:
        cached = tmp_path / "cache" / f.path
        assert hashlib.sha256(cached.read_bytes()).hexdigest() == f.sha256
    # a tampered upstream file is caught by the registered digest (raw .npy sha256 for val, .npz for train)
    (tmp_path / "cache" / spec.files[1].path).unlink()
    (tmp_path / "upstream" / "weizmann_horse_val.npy").write_bytes(_upstream_npy(*_split(40), "val"))
    with pytest.raises(ChecksumMismatchError):
        fetch_dataset("weizmann_horse", data_dir=empty)
    sources["val"]["sha256"] = None
    with pytest.raises(ChecksumMismatchError, match="converted"):
        fetch_dataset("weizmann_horse", data_dir=empty)
    assert not (tmp_path / "cache" / spec.files[1].path).exists()


def test_registry_loads_the_real_split(data_dir):
    ds = load_segmentation_dataset("weizmann_horse", data_dir=data_dir)
    sizes = {k: v.images.shape for k, v in ds.splits.items()}
    assert sizes == {"train": (160, 32, 32, 3), "val": (40, 32, 32, 3), "test": (128, 32, 32, 3)}
    assert ds.splits["train"].masks.mean() == pytest.approx(0.2774, abs=1e-4)
    with pytest.raises(NotImplementedError, match="WeizmannDataModule"):  # the segmentation task's DataModule
        load_dataset("weizmann_horse")
    dm = WeizmannDataModule(data_dir=str(data_dir), crop_seed=0)
    assert dm.info == {"train": 160, "val": 40, "test": 128} and dm.image_size == (32, 32)
    x, y = next(iter(dm.val_dataloader()))
    assert x.shape == (32, 3, 32, 32) and set(torch.unique(y).tolist()) == {0.0, 1.0}


def test_b12_case_through_the_metric(cases_dir):
    from seal.metrics import SegmentationMetrics
    from seal.metrics.functional import iou_per_image

    case = json.loads((cases_dir / "B12_iou_empty_masks.json").read_text())
    probs, gold = torch.tensor(case["pred_probs"]), torch.tensor(case["gold"])
    assert iou_per_image(probs, gold).tolist() == case["per_image_iou"]
    m = SegmentationMetrics()
    m.update(probs, gold)
    out = m.compute()
    assert float(out["mean_iou"]) == case["expected_mean_iou"] and not torch.isnan(out["mean_iou"])


def test_lightning_draws_fresh_crops_every_epoch(tmp_path):
    """Inside a Trainer, epoch e's batches are exactly the (seed, e) crops: Lightning sets the sampler's epoch."""
    import lightning as L

    from seal.tasks.segmentation.module import SegmentationModule

    seen: dict[int, list[torch.Tensor]] = {}

    class Spy(L.Callback):
        def on_train_batch_start(self, trainer, module, batch, batch_idx):
            seen.setdefault(trainer.current_epoch, []).append(batch[0].clone())

    dm, _ = _datamodule(seed=11)
    trainer = L.Trainer(
        max_epochs=2, accelerator="cpu", logger=False, enable_checkpointing=False, enable_progress_bar=False,
        enable_model_summary=False, num_sanity_val_steps=0, limit_val_batches=0, inference_mode=False,
        callbacks=[Spy()], default_root_dir=tmp_path,
    )
    trainer.fit(SegmentationModule(method="cross-entropy"), datamodule=dm)
    for epoch in (0, 1):
        expected = [b[0] for b in _epoch_batches(_datamodule(seed=11)[0], epoch)]
        assert len(seen[epoch]) == len(expected) == 3
        assert all(torch.equal(a, b) for a, b in zip(seen[epoch], expected))
    assert not torch.equal(torch.cat(seen[0]), torch.cat(seen[1]))
