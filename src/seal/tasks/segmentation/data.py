"""Weizmann horses 32x32 (binary image segmentation): reader, loader, crops, safe ``.npy`` conversion.

The DataModule that serves these splits to Lightning is
:class:`seal.tasks.segmentation.datamodule.WeizmannDataModule`;
:func:`load_segmentation_dataset` locates, verifies and reads the catalogued files.

Source: ``seal-method.md`` B.4, D.4, H.15 and ``shared/data/weizmann_horse/PROVENANCE.md``. The split is the
DVN paper's (Gygli et al., 2017): 160 train / 40 validation / 128 test RGB images of 32x32 pixels with a
{0, 1} foreground (horse) mask each.

Files (``<data root>/weizmann_horse/weizmann_horse_{train,val,test}.npz``, catalogued in
:mod:`seal.data.catalogue` with their sha256): ``images`` uint8 ``(N, 32, 32, 3)`` and ``masks`` uint8
``(N, 32, 32)`` in {0, 1}. They are read with ``np.load(..., allow_pickle=False)``; images are scaled to
[0, 1] (as torchvision's ``ToTensor``) and laid out ``(N, 3, 32, 32)``; masks become float ``(N, 32, 32)``.

Crops (B.4):

* **training**: one random 24x24 crop per image, drawn afresh every epoch. The offsets of epoch ``e`` come
  from ``numpy.random.default_rng((seed, e))`` alone (uniform in ``0 .. 32 - 24`` inclusive, as
  ``torchvision.transforms.RandomCrop``), so a run resumed at epoch ``e`` sees the same crops as an
  uninterrupted run, and two runs with one seed see the same crops.
* **evaluation**: the 36 crops at offsets ``(h, w) in {0, 2, 3, 4, 6, 8}^2``; the 2-class softmax of every
  crop is added into the 32x32 canvas and divided by the per-pixel crop count; a pixel is foreground iff
  the averaged foreground probability is ``> 0.5`` (= argmax of the two averaged channels, ties to
  background). See :func:`average_crops` and :func:`predict_36_crops`.

Your own files (``seal fit --data.train/--data.val/--data.test``, ``seal data info FILE.npz``): the same ``.npz``
layout of any size ``H x W`` (``seal fit`` needs ``crop + 8`` pixels a side, 32, the canvas the 36 evaluation crops
cover), read and checked by the same :func:`read_npz`; :func:`load_segmentation_files` carves a validation split
from the training file when none is given (:func:`carve_validation_images`: a fifth, :data:`VAL_FRACTION`, by
``numpy.random.default_rng(split_seed).permutation``) and :func:`describe_segmentation_file` is the task's
``seal data info`` hook for such a file.

Upstream distribution: the SEAL authors' repository holds the split as pickled ``.npy`` object arrays. The
registry's download path (:func:`fetch_converted`) fetches them, decodes them with
:class:`RestrictedUnpickler` -- which admits only numpy's array-reconstruction globals and refuses any other
global with :class:`UnsafePickleError` before anything is called -- and writes ``.npz`` files that are
byte-identical to the registered ones (``np.savez_compressed``, fixed zip timestamps), so the registered
sha256 verifies the conversion end to end. Nothing in seal lets ``np.load`` unpickle (``allow_pickle`` is never enabled).
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import tempfile
import urllib.error
import urllib.request
import zipfile
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from seal.data.catalogue import get_spec
from seal.data.download import ChecksumMismatchError, DownloadError, download_file
from seal.data.errors import DataError, DatasetError, OtherTaskDatasetError, other_task_message
from seal.data.locate import locate_spec
from seal.io import atomic_open

__all__ = [
    "CROP_SIZE",
    "EVAL_OFFSETS",
    "NPY_SOURCES",
    "SegmentationDataset",
    "SegmentationSplit",
    "UnsafePickleError",
    "WeizmannDataError",
    "RestrictedUnpickler",
    "average_crops",
    "convert_npy_to_npz",
    "carve_validation_images",
    "crop_offsets_36",
    "extract_crops",
    "fetch_converted",
    "load_npy_split",
    "describe_segmentation_file",
    "load_segmentation_dataset",
    "load_segmentation_files",
    "predict_36_crops",
    "random_crop_offsets",
    "read_npz",
]

CROP_SIZE = 24
EVAL_OFFSETS: tuple[int, ...] = (0, 2, 3, 4, 6, 8)
SPLITS = ("train", "val", "test")


class WeizmannDataError(DataError):
    """A segmentation file or array that cannot be used; the message names the file and the array."""


class UnsafePickleError(pickle.UnpicklingError):
    """A pickle stream asked for a global that the restricted unpickler does not admit (nothing was run)."""


# --------------------------------------------------------------------------------------------- reading


@dataclass
class SegmentationSplit:
    """One split as stored: ``images`` uint8 ``(N, H, W, 3)``, ``masks`` uint8 ``(N, H, W)`` in {0, 1}."""

    images: np.ndarray
    masks: np.ndarray
    source: str = "arrays"

    def __len__(self) -> int:
        return int(self.images.shape[0])

    def tensors(self) -> tuple[torch.Tensor, torch.Tensor]:
        """``x`` float32 ``(N, 3, H, W)`` in [0, 1] and ``y`` float32 ``(N, H, W)`` in {0, 1}."""
        x = torch.from_numpy(np.ascontiguousarray(self.images.transpose(0, 3, 1, 2))).float().div_(255.0)
        y = torch.from_numpy(np.ascontiguousarray(self.masks)).float()
        return x, y

    def summary(self) -> dict:
        return {
            "instances": len(self),
            "image_shape": list(self.images.shape[1:]),
            "foreground_fraction": float(self.masks.mean()) if len(self) else None,
        }


@dataclass
class SegmentationDataset:
    """A loaded segmentation dataset: ``splits`` maps ``train``/``val``/``test`` to :class:`SegmentationSplit`."""

    name: str
    splits: dict[str, SegmentationSplit]
    files: list[str] = field(default_factory=list)
    split_protocol: str = "official"
    notes: list[str] = field(default_factory=list)  # your own files: where each split came from (printed by seal fit)

    def summary(self) -> dict:
        return {"name": self.name, "splits": {k: v.summary() for k, v in self.splits.items()}}


def validate_arrays(images: np.ndarray, masks: np.ndarray, where: str) -> tuple[np.ndarray, np.ndarray]:
    """Check one split's arrays; return ``(images uint8 (N,H,W,3), masks uint8 (N,H,W))``.

    Raises:
        WeizmannDataError: naming ``where`` (the file) and the offending array: images that are not
            ``(N, H, W, 3)`` or not in 0..255, masks that are not ``(N, H, W)`` or not binary, arrays of
            different lengths or spatial sizes.
    """
    images = np.asarray(images)
    masks = np.asarray(masks)
    if images.ndim != 4 or images.shape[-1] != 3:
        raise WeizmannDataError(
            f"{where}: array 'images' must be (N, H, W, 3) RGB, got shape {images.shape}"
            + (f" ({images.shape[-1]} channels)" if images.ndim == 4 else "")
        )
    if images.dtype == np.uint8:
        pass
    elif np.issubdtype(images.dtype, np.integer):
        if images.size and (images.min() < 0 or images.max() > 255):
            raise WeizmannDataError(f"{where}: array 'images' has values outside 0..255")
        images = images.astype(np.uint8)
    else:
        raise WeizmannDataError(f"{where}: array 'images' must be uint8 in 0..255, got dtype {images.dtype}")
    if masks.ndim == 4 and masks.shape[-1] == 1:
        masks = masks[..., 0]
    if masks.ndim != 3:
        raise WeizmannDataError(f"{where}: array 'masks' must be (N, H, W), got shape {masks.shape}")
    if masks.dtype != np.bool_ and not (np.issubdtype(masks.dtype, np.integer) or np.issubdtype(masks.dtype, np.floating)):
        raise WeizmannDataError(f"{where}: array 'masks' must be numeric or boolean, got dtype {masks.dtype}")
    binary = (masks == 0) | (masks == 1)
    if not bool(binary.all()):
        bad = np.argwhere(~binary)[0]
        values = np.unique(masks[~binary])[:5].tolist()
        raise WeizmannDataError(
            f"{where}: array 'masks' is not binary: values {values} (first at image {int(bad[0])}, "
            f"pixel ({int(bad[1])}, {int(bad[2])})); masks must hold only 0 and 1"
        )
    if images.shape[0] != masks.shape[0]:
        raise WeizmannDataError(
            f"{where}: arrays 'images' and 'masks' differ in length: {images.shape[0]} images, {masks.shape[0]} masks"
        )
    if images.shape[1:3] != masks.shape[1:3]:
        raise WeizmannDataError(
            f"{where}: arrays 'images' and 'masks' differ in size: images {images.shape[1:3]}, masks {masks.shape[1:3]}"
        )
    return images, masks.astype(np.uint8)


#: what a segmentation file is, for error messages
NPZ_LAYOUT = "a .npz with arrays 'images' (N, H, W, 3) uint8 and 'masks' (N, H, W) of 0/1 (numpy.savez)"

#: the first bytes of image files often given where a .npz is expected, and what they are (``seal fit`` and
#: ``seal predict`` both name them)
IMAGE_SIGNATURES = ((b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"), (b"GIF8", "a GIF image"))
#: the first bytes of files that are often given by mistake, and what they are
_MAGIC = (*IMAGE_SIGNATURES, (b"\x93NUMPY", "a single .npy array"))


def read_npz(path: str | os.PathLike) -> SegmentationSplit:
    """Read one ``.npz`` split (keys ``images``, ``masks``), without pickle, and validate it.

    Returns:
        :class:`SegmentationSplit`: ``images`` uint8 ``(N, H, W, 3)``, ``masks`` uint8 ``(N, H, W)`` in {0, 1},
        ``source`` the path.

    Raises:
        WeizmannDataError: a folder, an empty file, a file that is not a zip archive (a PNG/JPEG image, a single
            ``.npy`` array, ... named), a damaged archive, missing keys, a pickled (object) array, or bad arrays
            (see :func:`validate_arrays`); the message starts with the path.
        FileNotFoundError: no such file (``"<path>: no such file"``).
    """
    path = Path(path)
    if path.is_dir():
        raise WeizmannDataError(f"{path}: is a folder, not a file; segmentation data is {NPZ_LAYOUT}")
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: no such file") from None
    except OSError as e:
        raise WeizmannDataError(f"{path}: cannot read: {e.strerror or e}") from None
    if not head:
        raise WeizmannDataError(f"{path}: not a readable .npz file: it is empty (0 bytes); segmentation data is {NPZ_LAYOUT}")
    if not head.startswith(b"PK"):
        what = next((name for magic, name in _MAGIC if head.startswith(magic)), "not a zip archive")
        raise WeizmannDataError(f"{path}: not a .npz file ({what}); segmentation data is {NPZ_LAYOUT}")
    try:
        with np.load(path, allow_pickle=False) as z:
            missing = [k for k in ("images", "masks") if k not in z.files]
            if missing:
                raise WeizmannDataError(f"{path}: missing array(s) {missing}; found {sorted(z.files)}")
            arrays = {}
            for key in ("images", "masks"):
                try:
                    arrays[key] = z[key]
                except ValueError as e:
                    if "allow_pickle" in str(e) or "pickled" in str(e):
                        raise WeizmannDataError(
                            f"{path}: array {key!r} cannot be read without unpickling (object arrays are refused)"
                        ) from None
                    raise WeizmannDataError(f"{path}: array {key!r} cannot be read: {e}") from None
    except WeizmannDataError:
        raise
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, zlib.error) as e:
        raise WeizmannDataError(f"{path}: not a readable .npz file (damaged archive: {type(e).__name__}: {e})") from None
    images, masks = validate_arrays(arrays["images"], arrays["masks"], str(path))
    return SegmentationSplit(images, masks, str(path))


# ---------------------------------------------------------------------------- restricted unpickling


def _numpy_globals() -> dict[tuple[str, str], object]:
    """The only globals a genuine numpy array pickle needs: ``_reconstruct``, ``ndarray``, ``dtype``.

    Both module spellings are admitted (``numpy.core`` from numpy < 2, ``numpy._core`` from numpy >= 2) and
    resolved to the real objects, without importing the deprecated ``numpy.core`` shim.
    """
    try:
        from numpy._core import multiarray as ma  # numpy >= 2
    except ImportError:  # pragma: no cover - numpy < 2
        from numpy.core import multiarray as ma  # type: ignore[no-redef]
    allowed = {}
    for mod in ("numpy.core.multiarray", "numpy._core.multiarray"):
        allowed[(mod, "_reconstruct")] = ma._reconstruct
    allowed[("numpy", "ndarray")] = np.ndarray
    allowed[("numpy", "dtype")] = np.dtype
    return allowed


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that only admits numpy's array-reconstruction globals.

    ``find_class`` returns ``numpy.core.multiarray._reconstruct`` (or ``numpy._core.multiarray._reconstruct``),
    ``numpy.ndarray`` and ``numpy.dtype``; any other global (``os.system``, ``builtins.eval``,
    ``copyreg._reconstructor``, ...) raises :class:`UnsafePickleError` *when it is looked up*, i.e. before
    the stream can call it. Persistent ids are refused too. Plain containers (dict, list, tuple, str, bytes,
    numbers) need no globals and load as usual.
    """

    _ALLOWED = _numpy_globals()

    def find_class(self, module: str, name: str):
        obj = self._ALLOWED.get((module, name))
        if obj is None:
            raise UnsafePickleError(
                f"refusing to unpickle global {module}.{name}: only numpy array reconstruction "
                f"({', '.join(sorted({f'{m}.{n}' for m, n in self._ALLOWED}))}) is admitted"
            )
        return obj

    def persistent_load(self, pid):  # noqa: D401 - pickle API
        raise UnsafePickleError(f"refusing a persistent id in the pickle stream: {pid!r}")


def restricted_loads(data: bytes):
    """``pickle.loads`` through :class:`RestrictedUnpickler`."""
    return RestrictedUnpickler(io.BytesIO(data)).load()


def load_npy_restricted(path_or_bytes: str | os.PathLike | bytes) -> np.ndarray:
    """Read a ``.npy`` file; plain arrays without pickle, object arrays through :class:`RestrictedUnpickler`.

    Raises:
        UnsafePickleError: the pickle stream names a global outside numpy's array reconstruction.
        WeizmannDataError: not a ``.npy`` file, or the stream is not a numpy array.
    """
    where = "<bytes>" if isinstance(path_or_bytes, (bytes, bytearray)) else str(path_or_bytes)
    data = bytes(path_or_bytes) if isinstance(path_or_bytes, (bytes, bytearray)) else Path(path_or_bytes).read_bytes()
    fh = io.BytesIO(data)
    fmt = np.lib.format
    try:
        version = fmt.read_magic(fh)
        if version == (1, 0):
            shape, fortran, dtype = fmt.read_array_header_1_0(fh)
        elif version == (2, 0):
            shape, fortran, dtype = fmt.read_array_header_2_0(fh)
        else:
            raise ValueError(f"unsupported .npy format version {version}")
    except ValueError as e:
        raise WeizmannDataError(f"{where}: not a .npy file: {e}") from None
    if not dtype.hasobject:
        fh.seek(0)
        return np.load(fh, allow_pickle=False)
    try:
        arr = RestrictedUnpickler(fh).load()
    except UnsafePickleError as e:
        raise UnsafePickleError(f"{where}: {e}") from None
    except (pickle.UnpicklingError, EOFError, TypeError, ValueError, AttributeError) as e:
        raise WeizmannDataError(f"{where}: the pickled array cannot be decoded: {type(e).__name__}: {e}") from None
    if not isinstance(arr, np.ndarray):
        raise WeizmannDataError(f"{where}: the pickle stream holds a {type(arr).__name__}, not a numpy array")
    if tuple(arr.shape) != tuple(shape):
        raise WeizmannDataError(f"{where}: header shape {shape} but the pickled array has shape {arr.shape}")
    return arr


def load_npy_split(path_or_bytes: str | os.PathLike | bytes, where: str | None = None) -> SegmentationSplit:
    """Decode one upstream split ``.npy`` (SEAL authors' format) into a validated :class:`SegmentationSplit`.

    The upstream file is a pickled object array of shape ``(1,)`` holding
    ``{"split": str, "images": [(32, 32, 3) uint8, ...], "masks": [(32, 32) uint8, ...]}`` (PROVENANCE.md).

    Raises:
        UnsafePickleError: a global other than numpy's array reconstruction in the stream.
        WeizmannDataError: any other deviation from that layout, naming the file and the array.
    """
    where = where or ("<bytes>" if isinstance(path_or_bytes, (bytes, bytearray)) else str(path_or_bytes))
    arr = load_npy_restricted(path_or_bytes)
    if arr.dtype != object or arr.shape != (1,) or not isinstance(arr[0], dict):
        raise WeizmannDataError(
            f"{where}: expected a pickled (1,) object array holding a dict, got {arr.dtype} array of shape {arr.shape}"
        )
    d = arr[0]
    out = {}
    for key in ("images", "masks"):
        if key not in d:
            raise WeizmannDataError(f"{where}: the dict has no {key!r} entry (keys: {sorted(map(str, d))})")
        items = d[key]
        if isinstance(items, np.ndarray) and items.dtype != object:
            out[key] = items
            continue
        if not isinstance(items, (list, tuple, np.ndarray)) or not all(isinstance(a, np.ndarray) for a in items):
            raise WeizmannDataError(f"{where}: array {key!r} must be a list of numpy arrays")
        shapes = {a.shape for a in items}
        if len(shapes) > 1:
            raise WeizmannDataError(f"{where}: array {key!r} mixes shapes {sorted(shapes)[:3]}")
        out[key] = np.stack(list(items)) if len(items) else np.zeros((0, 32, 32, 3) if key == "images" else (0, 32, 32), np.uint8)
    images, masks = validate_arrays(out["images"], out["masks"], where)
    return SegmentationSplit(images, masks, where)


def npz_bytes(split: SegmentationSplit) -> bytes:
    """The ``.npz`` bytes of ``split`` (``np.savez_compressed``; deterministic: fixed zip timestamps)."""
    buf = io.BytesIO()
    np.savez_compressed(buf, images=np.ascontiguousarray(split.images), masks=np.ascontiguousarray(split.masks))
    return buf.getvalue()


def convert_npy_to_npz(src: str | os.PathLike | bytes, dest: str | os.PathLike, *, sha256: str | None = None) -> Path:
    """Decode an upstream ``.npy`` split safely and write it as ``.npz`` atomically.

    Args:
        src: the ``.npy`` file (or its bytes).
        dest: the ``.npz`` to write (parents are created).
        sha256: when given, the expected digest of the written ``.npz``; nothing is written if it differs.

    Raises:
        UnsafePickleError, WeizmannDataError: see :func:`load_npy_split`.
        seal.data.download.ChecksumMismatchError: the converted bytes differ from ``sha256``.
    """
    split = load_npy_split(src)
    data = npz_bytes(split)
    actual = hashlib.sha256(data).hexdigest()
    dest = Path(dest)
    if sha256 is not None and actual != sha256.lower():
        raise ChecksumMismatchError(
            dest, sha256.lower(), actual, what="converted .npz",
            hint="the decoded arrays differ from the registered split (or this numpy/zlib writes other bytes)",
        )
    with atomic_open(dest, "wb", suffix=".part", mode_bits=0o644) as fh:
        fh.write(data)
    return dest


# ------------------------------------------------------------------------------ upstream download

_SEAL_COMMIT = "989dc07509ce6b5705293f0784461ff9d5185c00"
_SEAL_RAW = f"https://raw.githubusercontent.com/iesl/seal-neurips-2022/{_SEAL_COMMIT}/data/weizmann_horse_seg"
#: The upstream ``.npy`` of each split: URL pinned to a commit, and its sha256 when recorded. The digests
#: of the raw ``.npy`` files are not recorded yet (they were not available offline); until they are, the
#: download is checked through the registered sha256 of the converted ``.npz`` (byte-identical conversion).
NPY_SOURCES: dict[str, dict] = {
    split: {"url": f"{_SEAL_RAW}/weizmann_horse_{split}.npy", "sha256": None, "max_bytes": 8 << 20}
    for split in SPLITS
}


def _fetch_bytes(url: str, max_bytes: int, timeout: float = 60.0) -> bytes:
    """Read ``url`` into memory (at most ``max_bytes``), for sources whose raw digest is not recorded."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers={"User-Agent": "seal-data/0.1"}), timeout=timeout) as r:
            data = r.read(max_bytes + 1)
    except urllib.error.HTTPError as e:
        raise DownloadError(f"HTTP {e.code} {e.reason} for {url}", url=url) from None
    except (urllib.error.URLError, OSError) as e:
        raise DownloadError(f"cannot download {url}: {getattr(e, 'reason', e)}", url=url) from None
    if len(data) > max_bytes:
        raise DownloadError(f"download of {url} exceeds {max_bytes} bytes; aborted", url=url)
    return data


def fetch_converted(
    file,
    dest: str | os.PathLike,
    progress: Callable[[int, int | None], None] | None = None,
    sources: dict[str, dict] | None = None,
) -> Path:
    """Registry hook: obtain one registered ``.npz`` (``file``: a :class:`seal.data.catalogue.DataFile`) by
    downloading the upstream ``.npy`` of its split and converting it (see the module docstring).

    The ``.npy`` is downloaded with :func:`seal.data.download.download_file` (sha256-verified) when its digest
    is recorded in ``sources``; otherwise into memory with a size cap. Either way it is decoded only by
    :class:`RestrictedUnpickler`, and the written ``.npz`` must match ``file.sha256``.

    Raises:
        DownloadError, ChecksumMismatchError, UnsafePickleError, WeizmannDataError.
    """
    sources = NPY_SOURCES if sources is None else sources
    src = sources.get(file.role)
    if src is None:
        raise WeizmannDataError(f"no upstream source for {file.path} (role {file.role!r})")
    if src.get("sha256"):
        with tempfile.TemporaryDirectory() as tmp:
            npy = download_file(src["url"], Path(tmp) / "split.npy", sha256=src["sha256"], progress=progress)
            data = npy.read_bytes()
    else:
        data = _fetch_bytes(src["url"], int(src.get("max_bytes", 8 << 20)))
        if progress is not None:
            progress(len(data), len(data))
    return convert_npy_to_npz(data, dest, sha256=file.sha256)


# ------------------------------------------------------------------------------------------- crops


def random_crop_offsets(
    n: int, seed: int, epoch: int, size: int | tuple[int, int] = 32, crop: int = CROP_SIZE
) -> np.ndarray:
    """``(n, 2)`` int64 ``(top, left)`` offsets, uniform in ``0 .. size - crop`` (inclusive, per axis), drawn
    from ``numpy.random.default_rng((seed, epoch))`` alone: the crops of an epoch depend on nothing else."""
    H, W = (size, size) if isinstance(size, int) else size
    if crop > min(H, W):
        raise ValueError(f"crop {crop} is larger than the image ({H}x{W})")
    rng = np.random.default_rng((int(seed) & 0xFFFFFFFF, int(epoch)))
    return rng.integers(0, np.array([H - crop + 1, W - crop + 1]), size=(n, 2), dtype=np.int64)


def crop_offsets_36(offsets: Sequence[int] = EVAL_OFFSETS) -> list[tuple[int, int]]:
    """The evaluation crop positions ``[(h, w) for h in offsets for w in offsets]`` (36 for B.4)."""
    return [(h, w) for h in offsets for w in offsets]


def extract_crops(x: torch.Tensor, positions: Sequence[tuple[int, int]], crop: int = CROP_SIZE) -> torch.Tensor:
    """Crops of every image at every position: ``x`` ``(B, C, H, W)`` -> ``(B, K, C, crop, crop)``."""
    return torch.stack([x[..., h : h + crop, w : w + crop] for h, w in positions], dim=1)


def average_crops(
    crop_values: torch.Tensor, positions: Sequence[tuple[int, int]], size: tuple[int, int]
) -> torch.Tensor:
    """Average per-crop predictions on the canvas.

    Args:
        crop_values: ``(B, K, C, crop, crop)`` (e.g. 2-class softmax) or ``(B, K, crop, crop)``.
        positions: the ``K`` ``(top, left)`` offsets the crops were taken at.
        size: canvas ``(H, W)``.

    Returns:
        ``(B, C, H, W)`` (or ``(B, H, W)``): the sum of the crop values covering each pixel divided by the
        number of crops covering it (0 where no crop covers a pixel).
    """
    squeeze = crop_values.dim() == 4
    v = crop_values.unsqueeze(2) if squeeze else crop_values
    B, K, C, ch, cw = v.shape
    if K != len(positions):
        raise ValueError(f"{K} crops but {len(positions)} positions")
    H, W = size
    total = v.new_zeros((B, C, H, W))
    count = v.new_zeros((H, W))
    for k, (h, w) in enumerate(positions):
        total[..., h : h + ch, w : w + cw] += v[:, k]
        count[h : h + ch, w : w + cw] += 1
    out = total / count.clamp_min(1)
    return out[:, 0] if squeeze else out


def predict_36_crops(
    predict_crop: Callable[[torch.Tensor], torch.Tensor],
    x: torch.Tensor,
    *,
    crop: int = CROP_SIZE,
    offsets: Sequence[int] = EVAL_OFFSETS,
    chunk: int = 1152,
) -> torch.Tensor:
    """Foreground probability on the full canvas by 36-crop averaging (B.4).

    Args:
        predict_crop: maps crops ``(N, 3, crop, crop)`` to per-pixel class probabilities ``(N, 2, crop, crop)``
            (channel 1 = foreground) or foreground probabilities ``(N, crop, crop)``.
        x: images ``(B, 3, H, W)``.
        chunk: crops per call of ``predict_crop``.

    Returns:
        ``(B, H, W)`` averaged foreground probability; the mask is ``> 0.5`` (argmax of the averaged
        2-class probabilities, ties to background).
    """
    positions = crop_offsets_36(offsets)
    B, C, H, W = x.shape
    crops = extract_crops(x, positions, crop).reshape(B * len(positions), C, crop, crop)
    outs = [predict_crop(crops[i : i + chunk]) for i in range(0, crops.shape[0], chunk)]
    probs = torch.cat(outs, 0)
    if probs.dim() == 4:
        probs = probs[:, 1]
    probs = probs.reshape(B, len(positions), crop, crop)
    return average_crops(probs, positions, (H, W))


# ------------------------------------------------------------------------------------------ loading


def load_segmentation_dataset(
    name: str,
    *,
    data_dir: str | os.PathLike | None = None,
    download: bool = True,
    verify: bool = True,
) -> SegmentationDataset:
    """Load a registered segmentation dataset (``weizmann_horse``) with its given train/val/test split.

    Files are located like :func:`seal.data.load.load_dataset`'s (``data_dir`` or ``$SEAL_DATA_DIR``, then
    the user cache, :func:`seal.data.locate.locate_spec`), verified against the registry's sha256 and read without pickle (:func:`read_npz`).
    Missing files are produced by the dataset's fetcher (download of the upstream ``.npy`` + safe conversion)
    when ``download`` is true.

    Returns:
        :class:`SegmentationDataset` whose ``splits`` map ``train``/``val``/``test`` to
        ``images`` uint8 ``(N, 32, 32, 3)`` and ``masks`` uint8 ``(N, 32, 32)``.

    Raises:
        UnknownDatasetError, DatasetNotFoundError, ChecksumMismatchError;
        seal.data.locate.DownloadFailedError (a DownloadError and a DatasetError): files missing and their
        download failed (the message names the files, the directories searched and the download error);
        DatasetError: ``name`` is not a segmentation dataset (the message names the task and the ``seal fit``
        options that train on it), or a split's size differs from the registry;
        seal.tasks.segmentation.data.WeizmannDataError: bad arrays (names the file and the array).
    """
    spec = get_spec(name)
    if spec.loader != "segmentation":
        raise OtherTaskDatasetError(other_task_message(spec, "segmentation"))
    paths = locate_spec(spec, list(spec.files), data_dir=data_dir, download=download, verify=verify)
    splits = {}
    for f in spec.files:
        split = read_npz(paths[f.path])
        if f.n_instances is not None and len(split) != f.n_instances:
            raise DatasetError(
                f"dataset {spec.name!r}: {paths[f.path]} holds {len(split)} images, the registry expects {f.n_instances}"
            )
        splits[f.role] = split
    return SegmentationDataset(spec.name, splits, [str(paths[f.path]) for f in spec.files], spec.default_protocol or "official")


def describe_dataset(name: str, *, data_dir=None, download: bool = False) -> dict:
    """``seal data info`` for a segmentation dataset (the segmentation task's ``describe`` hook).

    Returns:
        ``{"text": a table of split sizes, image shape and foreground fraction, "stats": the dataset summary}``.

    Raises:
        DatasetNotFoundError: the files are not found locally (and ``download`` is off or fails).
    """
    loaded = load_segmentation_dataset(name, data_dir=data_dir, download=download)
    summary = loaded.summary()
    rows = [(k, str(v["instances"]), "x".join(map(str, v["image_shape"])), f"{v['foreground_fraction']:.4f}")
            for k, v in summary["splits"].items()]
    header = ("split", "images", "image", "foreground")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]
    lines = ["  ".join(c.rjust(w) if i in (1, 3) else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))).rstrip()
             for r in [header, tuple("-" * w for w in widths), *rows]]
    return {"text": "\n".join(lines), "stats": summary}


# ------------------------------------------------------------------------------------------ your own files

#: the share of your own training file carved as validation when no validation file is given: a fifth, the
#: catalogue split's 40 validation images of 200
VAL_FRACTION = 0.2


def carve_validation_images(
    n: int, *, val_fraction: float = VAL_FRACTION, seed: int = 0, where: str = "train"
) -> tuple[np.ndarray, np.ndarray]:
    """Split ``n`` training images into ``(train indices, validation indices)``, both sorted int64.

    The validation share is ``max(1, round(n * val_fraction))`` images, the first of
    ``numpy.random.default_rng(seed).permutation(n)`` (a mask has no classes to stratify); the rest train.

    Raises:
        WeizmannDataError: ``val_fraction`` outside (0, 1), or fewer than 2 images (``where``, the file, named).
    """
    if not 0.0 < float(val_fraction) < 1.0:
        raise WeizmannDataError(f"--data.val_fraction must lie in (0, 1), got {val_fraction}")
    n_val = max(1, int(round(n * float(val_fraction))))
    if n - n_val < 1:
        raise WeizmannDataError(
            f"{where}: {n} image(s), too few to carve a validation split ({val_fraction:g} of them) and keep images "
            "to train on; give a validation file (--data.val)"
        )
    order = np.random.default_rng(int(seed)).permutation(n)
    return np.sort(order[n_val:]).astype(np.int64), np.sort(order[:n_val]).astype(np.int64)


def _carve_note(train, n: int, n_val: int, val_fraction: float, seed: int) -> str:
    return (f"validation carved from {Path(str(train)).name}: {n_val} of its {n} images ({val_fraction:g}, "
            f"random permutation, seed {seed})")


def _read_own(path, role: str) -> SegmentationSplit:
    """:func:`read_npz` of ``--data.<role>``; refuses a missing file and an empty split, naming the file."""
    try:
        split = read_npz(path)
    except FileNotFoundError:
        raise WeizmannDataError(f"{path}: no such file (--data.{role})") from None
    if len(split) == 0:
        raise WeizmannDataError(f"{path}: no images (--data.{role}); an empty split is refused")
    return split


def load_segmentation_files(
    train: str | os.PathLike,
    val: str | os.PathLike | None = None,
    test: str | os.PathLike | None = None,
    *,
    val_fraction: float = VAL_FRACTION,
    split_seed: int = 0,
) -> SegmentationDataset:
    """Your own segmentation files as a :class:`SegmentationDataset` named after the train file's stem.

    Each file is read and checked by :func:`read_npz`, as the catalogue's files are: ``images`` uint8
    ``(N, H, W, 3)`` and ``masks`` ``(N, H, W)`` of 0/1. Without ``val``, a validation split is carved from
    ``train`` (:func:`carve_validation_images`: ``val_fraction`` of its images, seed ``split_seed``); without
    ``test`` there is no ``"test"`` split. ``notes`` says where each split came from.

    Raises:
        WeizmannDataError: a missing file, an empty split, a file that is not such a ``.npz`` or holds bad arrays,
            too few training images to carve a validation split; the message starts with the file.
    """
    own = {"train": _read_own(train, "train")}
    if val is not None:
        own["val"] = _read_own(val, "val")
        splits = {"train": own["train"], "val": own["val"]}
        val_note = f"validation: {val}"
    else:
        n = len(own["train"])
        tr, va = carve_validation_images(n, val_fraction=val_fraction, seed=split_seed, where=str(train))
        t = own["train"]
        splits = {"train": SegmentationSplit(t.images[tr], t.masks[tr], t.source),
                  "val": SegmentationSplit(t.images[va], t.masks[va], t.source)}
        val_note = _carve_note(train, n, len(va), val_fraction, split_seed)
    if test is not None:
        splits["test"] = _read_own(test, "test")
    notes = [
        f"own files: train {train}" + (f", val {val}" if val is not None else "")
        + (f", test {test}" if test is not None else ", no test file"),
        val_note,
    ]
    if test is None:
        notes.append("no test file (--data.test): the test after training is skipped")
    files = [str(p) for p in (train, val, test) if p is not None]
    return SegmentationDataset(Path(str(train)).name.split(".")[0], splits, files, "own files", notes)


def describe_segmentation_file(path: str | os.PathLike, *, val_fraction: float | None = None, seed: int = 0) -> dict:
    """``seal data info FILE.npz`` (the segmentation task's ``describe_file`` hook).

    Args:
        path: a ``.npz`` as :func:`read_npz` reads it.
        val_fraction: the validation share ``seal fit --data.train FILE`` would carve (default
            :data:`VAL_FRACTION`); seed: that carve's seed (``--data.split_seed``).

    Returns:
        ``{"text": the description, "stats": {"file", "format", "images", "image_size" [H, W],
        "foreground_fraction" (share of all mask pixels that are 1; ``None`` without images),
        "foreground_per_image" {"min", "mean", "max"}, "empty_masks", "full_masks", "carve" {"train", "val",
        "val_fraction", "seed"} or {"error"}, "evaluation" (whether seal fit's 36-crop evaluation at the
        default crop covers the images)}}``.

    Raises:
        WeizmannDataError, FileNotFoundError: as :func:`read_npz`.
    """
    split = read_npz(path)
    n = len(split)
    h, w = (int(v) for v in split.images.shape[1:3])
    vf = VAL_FRACTION if val_fraction is None else float(val_fraction)
    per_image = split.masks.reshape(n, -1).mean(1) if n else np.zeros(0)
    stats: dict = {
        "file": str(path),
        "format": "npz (segmentation)",
        "images": n,
        "image_size": [h, w],
        "foreground_fraction": float(split.masks.mean()) if n else None,
        "foreground_per_image": ({"min": float(per_image.min()), "mean": float(per_image.mean()),
                                  "max": float(per_image.max())} if n else None),
        "empty_masks": int((per_image == 0).sum()),
        "full_masks": int((per_image == 1).sum()),
    }
    if n == 0:
        stats["carve"] = {"error": "the file holds no images; seal fit refuses an empty split"}
    else:
        try:
            tr, va = carve_validation_images(n, val_fraction=vf, seed=seed, where=str(path))
            stats["carve"] = {"train": len(tr), "val": len(va), "val_fraction": vf, "seed": int(seed)}
        except WeizmannDataError as e:
            stats["carve"] = {"error": str(e)}
    problem = coverage_problem((h, w), CROP_SIZE)
    if n == 0:
        stats["evaluation"] = "refuses an empty file"
    elif problem:
        stats["evaluation"] = f"refuses this size: {problem}"
    else:
        stats["evaluation"] = f"fits: the 36-crop evaluation (crops of {CROP_SIZE}) covers these {h}x{w} images"
    fg = stats["foreground_per_image"]
    c = stats["carve"]
    lines = [
        str(path),
        "  format                   npz (segmentation): images (N, H, W, 3) uint8, masks (N, H, W) of 0/1",
        f"  images                   {n}",
        f"  image size               {h}x{w} RGB",
        "  foreground               " + ("-" if not n else f"{stats['foreground_fraction']:.4f} of the mask pixels (per "
                                          f"image: min {fg['min']:.4f}, mean {fg['mean']:.4f}, max {fg['max']:.4f})"),
        f"  empty / full masks       {stats['empty_masks']} all background, {stats['full_masks']} all foreground",
        ("  as --data.train          " + (f"no validation carve: {c['error']}" if "error" in c else
                                          f"train {c['train']} / val {c['val']} (validation carved: {c['val_fraction']:g}"
                                          f" of the images, random permutation, seed {c['seed']}; or give --data.val)")),
        f"  seal fit                 {stats['evaluation']}",
    ]
    return {"text": "\n".join(lines), "stats": stats}


def eval_canvas(crop: int = CROP_SIZE) -> int:
    """The image side the 36 evaluation crops of ``crop`` pixels cover exactly: ``crop + max(EVAL_OFFSETS)`` (32
    for the paper's 24)."""
    return int(crop) + max(EVAL_OFFSETS)


def coverage_problem(size: tuple[int, int], crop: int = CROP_SIZE) -> str:
    """Why images of ``size`` ``(H, W)`` cannot be evaluated with crops of ``crop`` (the 36 crops at offsets
    :data:`EVAL_OFFSETS` cover exactly ``crop + 8`` pixels a side), with what to change; ``""`` if they can."""
    covered = eval_canvas(crop)
    h, w = size
    if (h, w) == (covered, covered):
        return ""
    hint = f"give {covered}x{covered} images"
    alt = h - max(EVAL_OFFSETS)
    if h == w and alt > 0 and alt % 4 == 0:
        hint += f", or crops of {alt} (--model.crop_size {alt}; the data's crop size follows it)"
    return (f"images are {h}x{w}, but the 36-crop evaluation (crops of {crop} at offsets "
            f"{', '.join(map(str, EVAL_OFFSETS))}) covers exactly {covered}x{covered} pixels; {hint}")
