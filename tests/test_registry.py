"""Dataset registry: every shared dataset loads with its PROVENANCE.md counts; splits, empty rows,
train-only preprocessing, FunCat imputation, lookup order, checksums, downloads into the cache, and the
error messages for unavailable datasets.

Real datasets are loaded once per session (fixture ``loaded``); synthetic ARFF datasets registered for a
test cover the generic machinery without the real data.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from seal.data.catalogue import (
    PROTOCOLS,
    DataFile,
    DatasetSpec,
    ReaderOptions,
    dataset_names,
    get_spec,
    register_dataset,
    unregister_dataset,
)
from seal.data.download import ChecksumMismatchError
from seal.data.errors import DatasetError, DatasetNotFoundError, UnknownDatasetError
from seal.data.load import MultiLabelDataset, load_dataset
from seal.data.locate import verify_dataset
from seal.data.preprocess import FeaturePreprocessor, NonFiniteFeatureError

# (instances, features, labels) pooled under the default protocol, from each PROVENANCE.md;
# FunCat: train + valid + test, 561 / 86 features after one-hot, 499 nodes + root; genbase without `protein`.
EXPECTED = {
    "bibtex": (7395, 1836, 159, "paper"),
    "delicious": (16105, 500, 983, "paper"),
    "genbase": (662, 1185, 27, "paper"),
    "cal500": (502, 68, 174, "paper"),
    "expr_fun": (1639 + 849 + 1291, 561, 500, "official"),
    "spo_fun": (1600 + 837 + 1266, 86, 500, "official"),
    "yeast": (2417, 103, 14, "official"),
    "scene": (1211 + 1196, 294, 6, "official"),
    "emotions": (593, 72, 6, "official"),
    "enron": (1702, 1001, 53, "official"),
}
# label cardinality (PROVENANCE.md, union file / pooled; FunCat: + 1 for the root)
CARDINALITY = {"bibtex": 2.402, "delicious": 19.02, "genbase": 1.252, "cal500": 26.044, "yeast": 4.237, "enron": 3.378, "emotions": 1.868}


@pytest.fixture(scope="session")
def loaded(data_dir):
    """Each real dataset loaded once (default protocol, seed 0)."""
    cache: dict[str, MultiLabelDataset] = {}

    def get(name: str) -> MultiLabelDataset:
        if name not in cache:
            cache[name] = load_dataset(name, data_dir=data_dir, download=False)
        return cache[name]

    return get


# ----------------------------------------------------------------------------------- real datasets


@pytest.mark.realdata
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_real_dataset_counts_and_invariants(loaded, name):
    n, d, L, protocol = EXPECTED[name]
    ds = loaded(name)
    assert (ds.n_instances, ds.n_features, ds.n_labels) == (n, d, L)
    assert ds.split_protocol == protocol == get_spec(name).default_protocol
    assert isinstance(ds.X, sp.csr_matrix) and ds.X.dtype == np.float32
    assert ds.Y.dtype == np.uint8 and ds.Y.shape == (n, L) and ds.Y.max() <= 1
    assert np.isfinite(ds.X.data).all()
    assert len(ds.feature_names) == d and len(ds.label_names) == L
    # splits: int64, sorted, disjoint, covering every row, none empty
    parts = [ds.splits[k] for k in ("train", "val", "test")]
    assert all(p.dtype == np.int64 and len(p) > 0 and (np.diff(p) > 0).all() for p in parts)
    assert np.array_equal(np.sort(np.concatenate(parts)), np.arange(n))
    Xtr, Ytr = ds.subset("train")
    assert Xtr.shape == (len(ds.splits["train"]), d) and Ytr.shape == (len(ds.splits["train"]), L)
    if name in CARDINALITY:
        assert ds.label_cardinality == pytest.approx(CARDINALITY[name], abs=6e-4)
    assert ds.n_dropped == 0


@pytest.mark.realdata
def test_official_split_sizes(loaded):
    sizes = {k: len(v) for k, v in loaded("expr_fun").splits.items()}
    assert sizes == {"train": 1639, "val": 849, "test": 1291}
    sizes = {k: len(v) for k, v in loaded("spo_fun").splits.items()}
    assert sizes == {"train": 1600, "val": 837, "test": 1266}
    # MULAN train/test with 1/4 of train carved as validation (stratified, seeded)
    ds = loaded("yeast")
    assert len(ds.splits["test"]) == 917
    assert len(ds.splits["train"]) + len(ds.splits["val"]) == 1500
    assert abs(len(ds.splits["val"]) - 375) <= 15
    np.testing.assert_array_equal(ds.splits["test"], np.arange(1500, 2417))


@pytest.mark.realdata
def test_official_protocol_for_paper_sets(data_dir):
    ds = load_dataset("bibtex", data_dir=data_dir, protocol="official", download=False)
    assert ds.split_protocol == "official" and ds.fold_ids is None
    np.testing.assert_array_equal(ds.splits["test"], np.arange(4880, 7395))
    assert len(ds.splits["train"]) + len(ds.splits["val"]) == 4880


@pytest.mark.realdata
def test_delicious_empty_rows_and_drop(loaded, data_dir):
    ds = loaded("delicious")
    assert ds.n_empty == 14 and ds.n_dropped == 0
    assert int((ds.Y.sum(axis=1) == 0).sum()) == 14
    dropped = load_dataset("delicious", data_dir=data_dir, drop_empty=True, download=False)
    assert dropped.n_empty == 14 and dropped.n_dropped == 14
    assert dropped.n_instances == 16105 - 14
    assert (dropped.Y.sum(axis=1) > 0).all()
    parts = [dropped.splits[k] for k in ("train", "val", "test")]
    assert np.array_equal(np.sort(np.concatenate(parts)), np.arange(16091))
    # the fold assignment does not depend on drop_empty: kept rows stay in their split
    keep = ds.Y.sum(axis=1) > 0
    np.testing.assert_array_equal(dropped.fold_ids, ds.fold_ids[keep])
    np.testing.assert_array_equal(dropped.Y, ds.Y[keep])
    assert (dropped.X != ds.X[keep]).nnz == 0
    for k in ("train", "val", "test"):
        assert len(dropped.splits[k]) == int(keep[ds.splits[k]].sum())


@pytest.mark.realdata
def test_cal500_standardised_with_train_statistics_only(loaded, data_dir):
    from seal.data.arff import read_arff

    ds = loaded("cal500")
    assert ds.preprocessing == {"impute": None, "scale": "standard", "fitted_on": "train"}
    X = ds.X.toarray().astype(np.float64)
    tr, te = ds.splits["train"], ds.splits["test"]
    raw = read_arff(Path(data_dir) / "cal500/mulan/cal500.arff", xml=Path(data_dir) / "cal500/mulan/cal500.xml").X.toarray()
    varying = raw[tr].std(axis=0) > 0
    np.testing.assert_allclose(X[tr].mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(X[tr][:, varying].std(axis=0), 1.0, atol=1e-4)
    # the test split is transformed with the train statistics, so it is not itself standardised
    assert np.abs(X[te].mean(axis=0)).max() > 0.05
    expected = (raw - raw[tr].mean(axis=0)) / np.where(varying, raw[tr].std(axis=0), 1.0)
    np.testing.assert_allclose(X, expected, atol=1e-4)


@pytest.mark.realdata
@pytest.mark.parametrize("name", ["expr_fun", "spo_fun"])
def test_funcat_imputed_with_train_means(loaded, data_dir, name):
    from seal.data.arff import read_arff

    ds = loaded(name)
    assert ds.preprocessing == {"impute": "mean", "scale": "standard", "fitted_on": "train"}
    X = ds.X.toarray()
    assert not np.isnan(X).any()
    stem = name.split("_")[0] + "_FUN"
    parts = [
        read_arff(Path(data_dir) / name / f"{stem}.{s}.arff.zip", hierarchy_root=True, missing="nan")
        for s in ("train", "valid", "test")
    ]
    assert all(p.n_missing > 0 for p in parts)
    raw = np.vstack([p.X.toarray() for p in parts]).astype(np.float64)
    tr = ds.splits["train"]
    fill = np.nanmean(np.where(np.isnan(raw[tr]).all(axis=0), 0.0, raw[tr]), axis=0)
    imputed = np.where(np.isnan(raw), fill, raw)
    mean, std = imputed[tr].mean(axis=0), imputed[tr].std(axis=0)
    expected = (imputed - mean) / np.where(std > 0, std, 1.0)
    np.testing.assert_allclose(X, expected, atol=1e-4)
    # mean imputation keeps the train mean, so imputed entries standardise to exactly 0
    assert np.abs(X[np.isnan(raw)]).max() < 1e-5
    np.testing.assert_allclose(X[tr].mean(axis=0), 0.0, atol=1e-4)
    assert (ds.Y[:, 0] == 1).all()  # the artificial root


@pytest.mark.realdata
def test_genbase_protein_dropped(loaded):
    ds = loaded("genbase")
    assert "protein" not in ds.feature_names
    assert set(np.unique(ds.X.data)) <= {1.0}


@pytest.mark.realdata
def test_loads_return_fresh_arrays(data_dir):
    a = load_dataset("emotions", data_dir=data_dir, download=False)
    a.X.data[:] = -1.0
    a.Y[:] = 1
    a.splits["train"][:] = 0
    b = load_dataset("emotions", data_dir=data_dir, download=False)
    assert (b.X.data != -1.0).any() and b.Y.min() == 0 and len(np.unique(b.splits["train"])) > 1


@pytest.mark.realdata
def test_env_var_and_explicit_dir(data_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("SEAL_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("SEAL_DATA_DIR", str(data_dir))
    assert load_dataset("emotions", download=False).n_instances == 593
    # an explicit data_dir wins over SEAL_DATA_DIR
    monkeypatch.setenv("SEAL_DATA_DIR", str(tmp_path / "empty"))
    assert load_dataset("emotions", data_dir=data_dir, download=False).n_instances == 593
    with pytest.raises(DatasetNotFoundError, match="seal data fetch emotions"):
        load_dataset("emotions", download=False)


def test_eurlex_ev_not_available(tmp_path, monkeypatch):
    monkeypatch.setenv("SEAL_CACHE_DIR", str(tmp_path / "cache"))
    with pytest.raises(DatasetNotFoundError) as ei:
        load_dataset("eurlex_ev", data_dir=tmp_path / "data")
    msg = str(ei.value)
    assert "eurlex_ev/Eurlex-ev-fold{1..10}-normalised.arff" in msg
    assert "sha256 unknown" in msg
    assert str(tmp_path / "data") in msg and str(tmp_path / "cache") in msg
    assert "no public download URL" in msg
    assert ei.value.missing[0] == "eurlex_ev/Eurlex-ev-fold1-normalised.arff" and len(ei.value.missing) == 10
    assert isinstance(ei.value, FileNotFoundError)  # also catchable as a plain missing-file error


def test_weizmann_horse_registered_but_not_loadable():
    spec = get_spec("weizmann_horse")
    assert [f.n_instances for f in spec.files] == [160, 40, 128]
    assert all(f.sha256 and len(f.sha256) == 64 for f in spec.files)
    with pytest.raises(NotImplementedError, match="segmentation") as info:
        load_dataset("weizmann_horse")
    assert "seal.tasks.segmentation.datamodule:WeizmannDataModule" in str(info.value)
    # the message names the DataModule of the dataset's task, asked of the registry
    with pytest.raises(NotImplementedError) as info:
        load_dataset("reuters21578")
    assert "seal.tasks.text_mlc.datamodule:TextMLCDataModule" in str(info.value)


def test_unknown_name_and_protocol():
    with pytest.raises(UnknownDatasetError, match="did you mean 'bibtex'"):
        load_dataset("bibtx")
    assert get_spec("Eurlex-EV").name == "eurlex_ev"
    with pytest.raises(DatasetError, match="supported: paper"):
        load_dataset("cal500", protocol="official")
    with pytest.raises(DatasetError, match="does not support"):
        load_dataset("bibtex", protocol="folds")


def test_registry_entries_are_consistent():
    for name in dataset_names():
        spec = get_spec(name)
        assert spec.default_protocol in PROTOCOLS
        for f in spec.files:
            assert not f.path.startswith("/") and f.path.split("/")[0] == name
            if f.url:
                assert f.url.startswith("https://raw.githubusercontent.com/")
                assert f.url.endswith("/" + f.path.split("/", 1)[1].split("/")[-1])
                assert f.sha256 and len(f.sha256) == 64 and f.size
        assert get_spec(name) is spec
    paper = {n for n in dataset_names() if get_spec(n).default_protocol == "paper"}
    assert paper == {"bibtex", "delicious", "genbase", "cal500", "eurlex_ev"}
    assert get_spec("genbase").reader.drop_attributes == ("protein",)
    assert get_spec("expr_fun").reader == ReaderOptions(hierarchy_root=True, missing="nan")
    assert "43f6389095ad71984264db4387a8074b22bc7d4a" in get_spec("bibtex").file("all").url


# ----------------------------------------------------------------------------- synthetic datasets


def write_arff(path: Path, X: np.ndarray, Y: np.ndarray) -> None:
    """A dense ARFF file: numeric features f0.., nominal {0,1} labels l0.. (last)."""
    lines = ["@relation toy", ""]
    lines += [f"@attribute f{j} numeric" for j in range(X.shape[1])]
    lines += [f"@attribute l{j} {{0,1}}" for j in range(Y.shape[1])]
    lines += ["", "@data"]
    for x, y in zip(X, Y):
        xs = ["?" if np.isnan(v) else repr(float(v)) for v in x]
        lines.append(",".join(xs + [str(int(v)) for v in y]))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def toy(tmp_path, monkeypatch):
    """A registered toy dataset `toy_ds` (60 train + 20 test rows, 3 features, 3 labels) in tmp/data."""
    monkeypatch.setenv("SEAL_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("SEAL_DATA_DIR", raising=False)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 3)) * [1.0, 10.0, 100.0] + [0.0, 5.0, -50.0]
    Y = (rng.random((80, 3)) < 0.3).astype(np.uint8)
    none = np.flatnonzero(Y.sum(axis=1) == 0)
    Y[none, none % 3] = 1
    Y[[3, 17, 70]] = 0  # exactly three empty label sets
    data = tmp_path / "data"
    write_arff(data / "toy_ds/toy-train.arff", X[:60], Y[:60])
    write_arff(data / "toy_ds/toy-test.arff", X[60:], Y[60:])
    files = tuple(
        DataFile(f"toy_ds/toy-{r}.arff", r, sha(data / f"toy_ds/toy-{r}.arff"), (data / f"toy_ds/toy-{r}.arff").stat().st_size)
        for r in ("train", "test")
    )

    def make(**changes):
        kw = dict(
            name="toy_ds", task="mlc", title="toy", files=files, n_instances=80, n_features=3, n_labels=3,
            protocols=("official", "paper"), reader=ReaderOptions(label_count=-3),
        )
        kw.update(changes)
        spec = DatasetSpec(**kw)
        register_dataset(spec, overwrite=True)
        return spec

    make()
    try:
        yield {"data": data, "X": X, "Y": Y, "make": make, "files": files, "tmp": tmp_path}
    finally:
        unregister_dataset("toy_ds")


def test_toy_official_and_paper(toy):
    ds = load_dataset("toy_ds", data_dir=toy["data"])
    assert ds.split_protocol == "official" and ds.n_empty == 3
    np.testing.assert_allclose(ds.X.toarray(), toy["X"], rtol=1e-6)
    np.testing.assert_array_equal(ds.Y, toy["Y"])
    np.testing.assert_array_equal(ds.splits["test"], np.arange(60, 80))
    assert abs(len(ds.splits["val"]) - 15) <= 2 and len(ds.splits["train"]) + len(ds.splits["val"]) == 60
    ds2 = load_dataset("toy_ds", data_dir=toy["data"], protocol="paper", split_seed=3)
    assert ds2.split_protocol == "paper" and sorted(np.unique(ds2.fold_ids)) == list(range(1, 11))
    assert "toy_ds" in repr(ds2) and "paper" in repr(ds2)
    with pytest.raises(KeyError, match="unknown split"):
        ds.subset("dev")


def test_toy_drop_empty(toy):
    ds = load_dataset("toy_ds", data_dir=toy["data"], drop_empty=True)
    assert ds.n_instances == 77 and ds.n_dropped == 3 and ds.n_empty == 3
    keep = toy["Y"].sum(axis=1) > 0
    np.testing.assert_array_equal(ds.Y, toy["Y"][keep])
    np.testing.assert_array_equal(ds.splits["test"], np.arange(60 - 2, 77))  # rows 3 and 17 were in train


def test_toy_standardise_train_only(toy):
    toy["make"](preprocess={"scale": "standard"})
    ds = load_dataset("toy_ds", data_dir=toy["data"])
    X = ds.X.toarray().astype(np.float64)
    tr, te = ds.splits["train"], ds.splits["test"]
    np.testing.assert_allclose(X[tr].mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(X[tr].std(axis=0), 1, atol=1e-5)
    assert np.abs(X[te].mean(axis=0)).max() > 1e-3  # test is not exactly standardised
    raw = toy["X"]
    np.testing.assert_allclose(X, (raw - raw[tr].mean(0)) / raw[tr].std(0), atol=1e-4)


def test_toy_nan_needs_imputation(toy):
    X = toy["X"].copy()
    X[5, 1] = np.nan
    X[65, 2] = np.nan
    data = toy["data"]
    write_arff(data / "toy_ds/toy-train.arff", X[:60], toy["Y"][:60])
    write_arff(data / "toy_ds/toy-test.arff", X[60:], toy["Y"][60:])
    reader = ReaderOptions(label_count=-3, missing="nan")
    toy["make"](files=tuple(DataFile(f.path, f.role) for f in toy["files"]), reader=reader)
    with pytest.raises(DatasetError, match="non-finite.*'f1'"):
        load_dataset("toy_ds", data_dir=data)
    toy["make"](files=tuple(DataFile(f.path, f.role) for f in toy["files"]), reader=reader, preprocess={"impute": "mean"})
    ds = load_dataset("toy_ds", data_dir=data)
    Xd = ds.X.toarray()
    assert np.isfinite(Xd).all()
    tr = ds.splits["train"]
    assert Xd[5, 1] == pytest.approx(np.nanmean(X[tr, 1]), rel=1e-5)
    assert Xd[65, 2] == pytest.approx(np.nanmean(X[tr, 2]), rel=1e-5)  # a test row gets the TRAIN mean


def test_toy_checksum_mismatch(toy):
    bad = tuple(DataFile(f.path, f.role, "0" * 64, f.size) if f.role == "test" else f for f in toy["files"])
    toy["make"](files=bad)
    with pytest.raises(ChecksumMismatchError, match="toy-test.arff"):
        load_dataset("toy_ds", data_dir=toy["data"])
    assert load_dataset("toy_ds", data_dir=toy["data"], verify=False).n_instances == 80
    statuses = {s.file.role: s.status for s in verify_dataset("toy_ds", data_dir=toy["data"])}
    assert statuses == {"train": "ok", "test": "mismatch"}


def test_toy_count_mismatch_is_reported(toy):
    toy["make"](n_features=4)
    with pytest.raises(DatasetError, match="3 features, the registry expects 4"):
        load_dataset("toy_ds", data_dir=toy["data"])


def test_toy_download_into_cache(toy):
    """Missing files with a URL are fetched into the cache (file:// mirror), verified, then read."""
    mirror_files = tuple(
        DataFile(f.path, f.role, f.sha256, f.size, url=(toy["data"] / f.path).as_uri()) for f in toy["files"]
    )
    toy["make"](files=mirror_files)
    empty = toy["tmp"] / "elsewhere"
    with pytest.raises(DatasetNotFoundError, match="seal data fetch toy_ds"):
        load_dataset("toy_ds", data_dir=empty, download=False)
    ds = load_dataset("toy_ds", data_dir=empty, download=True)
    cached = toy["tmp"] / "cache" / "toy_ds" / "toy-train.arff"
    assert cached.read_bytes() == (toy["data"] / "toy_ds/toy-train.arff").read_bytes()
    assert ds.n_instances == 80 and ds.files[0] == str(cached)
    # a later load finds the cached copy even though the mirror is gone
    for f in mirror_files:
        (toy["data"] / f.path).unlink()
    assert load_dataset("toy_ds", data_dir=empty, download=False).n_instances == 80


def test_toy_failed_download_leaves_no_file(toy):
    bad = tuple(DataFile(f.path, f.role, "f" * 64, f.size, url=(toy["data"] / f.path).as_uri()) for f in toy["files"])
    toy["make"](files=bad)
    with pytest.raises(ChecksumMismatchError):
        load_dataset("toy_ds", data_dir=toy["tmp"] / "elsewhere")
    cache = toy["tmp"] / "cache"
    assert not cache.exists() or not any(p.is_file() for p in cache.rglob("*"))


def test_given_fold_files(toy):
    """Datasets distributed as 10 fold files (eurlex_ev) use the files' own fold membership."""
    rng = np.random.default_rng(5)
    data = toy["data"]
    files = []
    for k in range(1, 11):
        p = data / f"toy_ds/fold{k}.arff"
        write_arff(p, rng.normal(size=(k + 2, 3)), (rng.random((k + 2, 3)) < 0.5).astype(np.uint8))
        files.append(DataFile(f"toy_ds/fold{k}.arff", f"fold{k}"))
    toy["make"](files=tuple(files), n_instances=None, protocols=("paper",))
    ds = load_dataset("toy_ds", data_dir=data)
    sizes = np.arange(1, 11) + 2
    np.testing.assert_array_equal(ds.fold_ids, np.repeat(np.arange(1, 11), sizes))
    assert len(ds.splits["train"]) == sizes[:6].sum()
    assert len(ds.splits["val"]) == sizes[6:8].sum()
    assert len(ds.splits["test"]) == sizes[8:].sum()


# ------------------------------------------------------------------------------------ preprocessor


def test_preprocessor_standard_and_minmax():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 4)) * 3 + 7
    X[:, 3] = 2.0  # constant column
    pre = FeaturePreprocessor(scale="standard").fit(X[:30])
    Z = pre.transform(X).toarray()
    assert isinstance(pre.transform(X), sp.csr_matrix) and Z.dtype == np.float32
    np.testing.assert_allclose(Z[:30, :3].mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(Z[:30, :3].std(0), 1, atol=1e-5)
    np.testing.assert_allclose(Z[:, 3], 0)  # constant column: centred, scale 1
    M = FeaturePreprocessor(scale="minmax").fit(X[:30]).transform(X[:30]).toarray()
    np.testing.assert_allclose(M[:, :3].min(0), 0, atol=1e-6)
    np.testing.assert_allclose(M[:, :3].max(0), 1, atol=1e-6)
    assert FeaturePreprocessor(impute="mean", scale="minmax").get_params() == {"impute": "mean", "scale": "minmax"}


def test_preprocessor_impute_sparse_and_errors():
    X = sp.csr_matrix(np.array([[1.0, np.nan, 0.0], [3.0, 4.0, np.nan], [0.0, 2.0, np.nan]]))
    pre = FeaturePreprocessor(impute="mean").fit(X)
    np.testing.assert_allclose(pre.fill_, [4 / 3, 3.0, 0.0])  # all-NaN-or-zero column: nan-mean of (0) = 0
    Z = pre.transform(X).toarray()
    np.testing.assert_allclose(Z, [[1, 3, 0], [3, 4, 0], [0, 2, 0]])
    with pytest.raises(NonFiniteFeatureError) as ei:
        FeaturePreprocessor().fit(X).transform(X)
    assert (ei.value.row, ei.value.column) == (0, 1)
    with pytest.raises(ValueError, match="impute='mean'"):
        FeaturePreprocessor(scale="standard").fit(X)
    with pytest.raises(RuntimeError, match="before fit"):
        FeaturePreprocessor().transform(X)
    with pytest.raises(ValueError, match="columns"):
        FeaturePreprocessor().fit(X).transform(sp.csr_matrix((2, 5)))
    with pytest.raises(ValueError, match="scale"):
        FeaturePreprocessor(scale="robust").fit(X)
    all_nan = np.full((3, 1), np.nan)
    assert FeaturePreprocessor(impute="mean").fit(all_nan).fill_[0] == 0.0
