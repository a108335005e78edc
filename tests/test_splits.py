"""Split protocols: iterative-stratification folds (paper) and the official splits with a carved validation.

The fast fold implementation must reproduce ``iterstrat``'s ``MultilabelStratifiedKFold`` exactly; the
fold assignment of the real bibtex / genbase / delicious data is pinned by a checksum.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
import scipy.sparse as sp

from seal.data.splits import (
    PAPER_FOLD_ASSIGNMENT,
    carve_validation,
    folds_to_splits,
    official_splits,
    paper_folds,
    paper_splits,
    stratified_folds,
)


def fold_checksum(folds: np.ndarray) -> str:
    """sha256 of the fold-id array as little-endian int64 bytes."""
    return hashlib.sha256(np.asarray(folds).astype("<i8").tobytes()).hexdigest()


def random_labels(rng, n, L, p_empty=0.1, density=0.2):
    Y = (rng.random((n, L)) < density).astype(np.uint8)
    Y[rng.random(n) < p_empty] = 0
    return Y


# ------------------------------------------------------------------------------- equality with iterstrat


@pytest.mark.parametrize("case", range(25))
def test_fast_backend_equals_iterstrat(case):
    rng = np.random.default_rng(case)
    n = int(rng.integers(12, 250))
    L = int(rng.integers(1, 10))
    Y = random_labels(rng, n, L, p_empty=rng.random() * 0.4, density=rng.random() * 0.5)
    k = int(rng.integers(2, min(11, n)))
    seed = int(rng.integers(0, 1000))
    fast = stratified_folds(Y, k, seed)
    ref = stratified_folds(Y, k, seed, backend="iterstrat")
    np.testing.assert_array_equal(fast, ref)


def test_fast_backend_equals_iterstrat_all_empty_and_ties():
    # all rows empty: exercises the "only empty rows left" branch; identical rows: many ties
    Y0 = np.zeros((37, 4), dtype=np.uint8)
    np.testing.assert_array_equal(stratified_folds(Y0, 5, 3), stratified_folds(Y0, 5, 3, backend="iterstrat"))
    Y1 = np.ones((40, 3), dtype=np.uint8)
    np.testing.assert_array_equal(stratified_folds(Y1, 10, 7), stratified_folds(Y1, 10, 7, backend="iterstrat"))


# --------------------------------------------------------------------------------------- properties


def test_paper_folds_partition_and_balance():
    rng = np.random.default_rng(0)
    Y = random_labels(rng, 503, 8)
    folds = paper_folds(Y, seed=0)
    assert folds.dtype == np.int64 and folds.shape == (503,)
    assert set(np.unique(folds)) == set(range(1, 11))
    counts = np.bincount(folds)[1:]
    assert counts.sum() == 503
    assert counts.max() - counts.min() <= 3
    # stratification: each label's positives (~100) are spread nearly evenly over the folds, far better
    # than a random permutation (whose max-min spread is ~9 here)
    spreads = [np.ptp(np.bincount(folds[Y[:, j] == 1], minlength=11)[1:]) for j in range(Y.shape[1])]
    assert max(spreads) <= 5 and np.mean(spreads) <= 3


def test_paper_folds_deterministic_and_seeded():
    rng = np.random.default_rng(1)
    Y = random_labels(rng, 300, 6)
    a = paper_folds(Y, seed=0)
    np.testing.assert_array_equal(a, paper_folds(Y.copy(), seed=0))
    np.testing.assert_array_equal(a, paper_folds(sp.csr_matrix(Y), seed=0))  # sparse input
    np.testing.assert_array_equal(a, paper_folds(Y.astype(bool), seed=0))
    assert not np.array_equal(a, paper_folds(Y, seed=1))


def test_paper_splits_assignment():
    rng = np.random.default_rng(2)
    Y = random_labels(rng, 200, 5)
    splits, folds = paper_splits(Y, seed=0)
    for name, fold_set in PAPER_FOLD_ASSIGNMENT.items():
        np.testing.assert_array_equal(splits[name], np.flatnonzero(np.isin(folds, fold_set)))
    allidx = np.concatenate(list(splits.values()))
    assert len(allidx) == len(np.unique(allidx)) == 200


def test_folds_to_splits_errors():
    with pytest.raises(ValueError, match="two parts"):
        folds_to_splits(np.array([1, 2]), {"train": (1,), "test": (1, 2)})
    with pytest.raises(ValueError, match="not assigned"):
        folds_to_splits(np.array([1, 2, 3]), {"train": (1,), "test": (2,)})


def test_bad_label_matrices():
    with pytest.raises(ValueError, match="only 0 and 1"):
        paper_folds(np.full((20, 2), 2))
    with pytest.raises(ValueError, match="2-D"):
        paper_folds(np.zeros(20))
    with pytest.raises(ValueError, match="cannot make"):
        paper_folds(np.zeros((5, 2)))
    with pytest.raises(ValueError, match="backend"):
        stratified_folds(np.zeros((20, 2)), 2, 0, backend="nope")


def test_single_label_column_is_stratified():
    Y = np.zeros((100, 1), dtype=np.uint8)
    Y[:30] = 1
    folds = stratified_folds(Y, 10, 0)
    assert (np.bincount(folds[Y[:, 0] == 1])[1:] == 3).all()


def test_carve_validation():
    rng = np.random.default_rng(3)
    Y = random_labels(rng, 400, 7)
    tr, va = carve_validation(Y, seed=0)
    assert len(np.intersect1d(tr, va)) == 0 and len(tr) + len(va) == 400
    assert abs(len(va) - 100) <= 3
    tr2, va2 = carve_validation(Y, seed=0)
    np.testing.assert_array_equal(va, va2)
    assert not np.array_equal(va, carve_validation(Y, seed=1)[1])
    _, va5 = carve_validation(Y, val_fraction=0.2, seed=0)
    assert abs(len(va5) - 80) <= 3
    with pytest.raises(ValueError):
        carve_validation(Y, val_fraction=1.0)


def test_official_splits_given_and_carved():
    s = official_splits({"train": 5, "val": 3, "test": 2})
    np.testing.assert_array_equal(s["train"], np.arange(5))
    np.testing.assert_array_equal(s["val"], np.arange(5, 8))
    np.testing.assert_array_equal(s["test"], np.arange(8, 10))

    rng = np.random.default_rng(4)
    Y = random_labels(rng, 120, 4)
    s = official_splits({"train": 80, "test": 40}, Y, seed=0)
    np.testing.assert_array_equal(s["test"], np.arange(80, 120))
    assert set(s["train"]) | set(s["val"]) == set(range(80))
    assert not set(s["train"]) & set(s["val"])
    assert len(s["val"]) == 20
    with pytest.raises(ValueError, match="Y is required"):
        official_splits({"train": 80, "test": 40})
    with pytest.raises(ValueError, match="parts"):
        official_splits({"train": 80, "dev": 40})


# ----------------------------------------------------------------------------------- real data (pinned)

# sha256 of the fold-id array (little-endian int64) of the paper protocol with split_seed=0, computed with
# iterstrat's MultilabelStratifiedKFold(n_splits=10, shuffle=True, random_state=0) on the pooled union file
# (label columns in file order). A change here changes every "paper" result: do not update it lightly.
PINNED = {
    "bibtex": ("73fb1df00495a9bb42c88a3c4bf08d458243ffee70127552e7c5e95cc0907982", (4411, 1487, 1497)),
    "genbase": ("4f770b32a688b0eb9ac3f2935b57a3d07896723208e56d2be58eefbff85fb351", (398, 132, 132)),
    "delicious": ("dc28cc06d99bb49b5127539494718dfe2dcf7e4be6bab6979631d90993207d1b", (9683, 3215, 3207)),
}


@pytest.mark.realdata
@pytest.mark.parametrize("name", sorted(PINNED))
def test_pinned_paper_folds(data_dir, name):
    from seal.data.load import load_dataset

    ds = load_dataset(name, data_dir=data_dir, download=False)
    digest, sizes = PINNED[name]
    assert ds.split_protocol == "paper"
    assert fold_checksum(ds.fold_ids) == digest
    assert tuple(len(ds.splits[k]) for k in ("train", "val", "test")) == sizes
    # the stored fold ids are exactly what splits.paper_folds gives on the loaded labels
    np.testing.assert_array_equal(ds.fold_ids, paper_folds(ds.Y, seed=0))


@pytest.mark.realdata
def test_real_genbase_fast_equals_iterstrat(data_dir):
    from seal.data.load import load_dataset

    ds = load_dataset("genbase", data_dir=data_dir, download=False)
    for seed in (0, 1, 2):
        np.testing.assert_array_equal(
            stratified_folds(ds.Y, 10, seed), stratified_folds(ds.Y, 10, seed, backend="iterstrat")
        )
