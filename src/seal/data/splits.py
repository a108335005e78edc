"""Train / validation / test split protocols for multi-label data.

Two protocols are registered per dataset (see :mod:`seal.data.catalogue`):

``paper``
    The SEAL paper's protocol for bibtex, delicious, genbase, cal500 and eurlex-ev: all instances are
    pooled and cut into 10 folds, folds 1-6 train, 7-8 validation, 9-10 test. The authors' own MEKA fold
    files are not public, so the folds are rebuilt with iterative stratification (Sechidis, Tsoumakas &
    Vlahavas, ECML-PKDD 2011) as implemented by ``iterstrat.ml_stratifiers.MultilabelStratifiedKFold``
    (PyPI ``iterative-stratification``) with ``shuffle=True, random_state=seed``; fold ``k`` is the test
    part of the ``k``-th split. The resulting folds are comparable to, but not the same as, the paper's.

``official``
    The distribution's own split (train/valid/test for FunCat, train/test for the MULAN sets). When the
    distribution has no validation part, one is carved out of train by the same fold trick:
    ``MultilabelStratifiedKFold(n_splits=round(1 / val_fraction), shuffle=True, random_state=seed)`` on the
    training rows, validation = the test part of the first split (1/4 of train by default).

Everything here is deterministic given ``seed`` (numpy's legacy ``RandomState``, stable across numpy
versions), and works on label matrices only: ``Y`` is ``(n, L)`` with values in {0, 1}.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

__all__ = [
    "PAPER_FOLD_ASSIGNMENT",
    "carve_validation",
    "folds_to_splits",
    "official_splits",
    "paper_folds",
    "paper_splits",
    "stratified_folds",
]

#: folds (1-based) of each part in the paper protocol
PAPER_FOLD_ASSIGNMENT: dict[str, tuple[int, ...]] = {
    "train": (1, 2, 3, 4, 5, 6),
    "val": (7, 8),
    "test": (9, 10),
}

SPLIT_NAMES = ("train", "val", "test")


def _as_label_matrix(Y) -> np.ndarray:
    """``(n, L)`` bool view of a dense or scipy-sparse label matrix (L == 1 gets its complement column,
    so that iterstrat sees a ``multilabel-indicator`` target and stratifies on the single label)."""
    if hasattr(Y, "toarray"):
        Y = Y.toarray()
    Y = np.asarray(Y)
    if Y.ndim != 2:
        raise ValueError(f"Y must be 2-D (n, L), got shape {Y.shape}")
    if Y.size and Y.dtype != bool:
        if np.issubdtype(Y.dtype, np.integer):
            binary = Y.min() >= 0 and Y.max() <= 1
        else:
            binary = bool(((Y == 0) | (Y == 1)).all())
        if not binary:
            raise ValueError("Y must contain only 0 and 1")
    Yb = Y.astype(bool, copy=False)
    if Yb.shape[1] == 1:
        Yb = np.hstack([Yb, ~Yb])
    return Yb


def _iterative_stratification(labels: np.ndarray, r: np.ndarray, rng: np.random.RandomState) -> np.ndarray:
    """0-based fold of every row by iterative stratification (Sechidis et al. 2011, Algorithm 1).

    This follows ``iterstrat.ml_stratifiers.IterativeStratification`` (iterative-stratification 0.1.x)
    statement by statement -- same floating-point bookkeeping, same random draws in the same order -- so
    its output is identical; the only change is that the per-label counts of the unprocessed rows are
    updated incrementally instead of being recomputed from the whole ``(n, L)`` matrix at every step
    (which made delicious take ~12 s instead of <1 s). ``tests/test_splits.py`` checks the equality.
    """
    n_samples = labels.shape[0]
    test_folds = np.zeros(n_samples, dtype=int)
    c_folds = r * n_samples  # desired number of examples per fold
    c_folds_labels = np.outer(r, labels.sum(axis=0))  # desired examples of each label per fold
    not_processed = np.ones(n_samples, dtype=bool)
    num_labels = labels.sum(axis=0)  # per-label count over the unprocessed rows

    while np.any(not_processed):
        if num_labels.sum() == 0:
            # only rows without labels remain: spread them over the folds that still want most examples
            for sample_idx in np.where(not_processed)[0]:
                fold_idx = np.where(c_folds == c_folds.max())[0]
                if fold_idx.shape[0] > 1:
                    fold_idx = fold_idx[rng.choice(fold_idx.shape[0])]
                else:
                    fold_idx = fold_idx[0]
                test_folds[sample_idx] = fold_idx
                c_folds[fold_idx] -= 1
            break

        # the label with the fewest (but at least one) remaining examples, ties broken at random
        label_idx = np.where(num_labels == num_labels[np.nonzero(num_labels)].min())[0]
        if label_idx.shape[0] > 1:
            label_idx = label_idx[rng.choice(label_idx.shape[0])]

        sample_idxs = np.where(np.logical_and(labels[:, label_idx].flatten(), not_processed))[0]
        for sample_idx in sample_idxs:
            # the fold(s) wanting most examples of this label, then most examples overall, then random
            label_folds = c_folds_labels[:, label_idx]
            fold_idx = np.where(label_folds == label_folds.max())[0]
            if fold_idx.shape[0] > 1:
                temp_fold_idx = np.where(c_folds[fold_idx] == c_folds[fold_idx].max())[0]
                if temp_fold_idx.shape[0] > 1:
                    fold_idx = fold_idx[temp_fold_idx]
                    fold_idx = fold_idx[rng.choice(temp_fold_idx.shape[0])]
                else:
                    fold_idx = fold_idx[temp_fold_idx[0]]
            else:
                fold_idx = fold_idx[0]
            test_folds[sample_idx] = fold_idx
            not_processed[sample_idx] = False
            c_folds_labels[fold_idx, labels[sample_idx]] -= 1
            c_folds[fold_idx] -= 1
        num_labels -= labels[sample_idxs].sum(axis=0)

    return test_folds


def stratified_folds(Y, n_folds: int = 10, seed: int = 0, *, backend: str = "fast") -> np.ndarray:
    """Iterative-stratification fold id of every row.

    Args:
        Y: ``(n, L)`` binary label matrix (numpy or scipy sparse).
        n_folds: number of folds, ``2 <= n_folds <= n``.
        seed: ``random_state`` of ``MultilabelStratifiedKFold`` (shuffling and tie breaking).
        backend: ``"fast"`` (default; :func:`_iterative_stratification`, identical output) or
            ``"iterstrat"`` (call ``iterstrat.ml_stratifiers.MultilabelStratifiedKFold`` itself).

    Returns:
        ``(n,)`` int64 array with values in ``1..n_folds``: fold ``k`` holds the test indices of the
        ``k``-th split of ``MultilabelStratifiedKFold(n_splits=n_folds, shuffle=True, random_state=seed)``.

    Raises:
        ValueError: bad shape, non-binary labels, fewer rows than folds, unknown backend.
    """
    Yb = _as_label_matrix(Y)
    n = Yb.shape[0]
    if n_folds < 2:
        raise ValueError(f"n_folds must be >= 2, got {n_folds}")
    if n < n_folds:
        raise ValueError(f"cannot make {n_folds} folds from {n} rows")
    if backend == "fast":
        # MultilabelStratifiedKFold._make_test_folds: RandomState(seed), shuffle, stratify, unshuffle
        rng = np.random.RandomState(int(seed))
        indices = np.arange(n)
        rng.shuffle(indices)
        r = np.asarray([1 / n_folds] * n_folds)
        test_folds = _iterative_stratification(Yb[indices], r, rng)
        return (test_folds[np.argsort(indices)] + 1).astype(np.int64)
    if backend != "iterstrat":
        raise ValueError(f"backend must be 'fast' or 'iterstrat', got {backend!r}")
    from iterstrat.ml_stratifiers import MultilabelStratifiedKFold

    folds = np.zeros(n, dtype=np.int64)
    kfold = MultilabelStratifiedKFold(n_splits=n_folds, shuffle=True, random_state=int(seed))
    for k, (_, test) in enumerate(kfold.split(np.zeros((n, 1)), Yb), start=1):
        folds[test] = k
    if (folds == 0).any():  # pragma: no cover
        raise RuntimeError("iterative stratification left rows unassigned")
    return folds


def paper_folds(Y, n_folds: int = 10, seed: int = 0) -> np.ndarray:
    """Fold id (1..``n_folds``) per row for the paper protocol; see :func:`stratified_folds`."""
    return stratified_folds(Y, n_folds=n_folds, seed=seed)


def folds_to_splits(
    fold_ids: np.ndarray, assignment: Mapping[str, Sequence[int]] = PAPER_FOLD_ASSIGNMENT
) -> dict[str, np.ndarray]:
    """Row indices (sorted int64) of each part given a fold id per row.

    Raises:
        ValueError: a fold appears in two parts, or a row's fold is in no part.
    """
    fold_ids = np.asarray(fold_ids)
    seen: set[int] = set()
    for folds in assignment.values():
        overlap = seen.intersection(folds)
        if overlap:
            raise ValueError(f"fold(s) {sorted(overlap)} assigned to two parts")
        seen.update(folds)
    unassigned = np.setdiff1d(np.unique(fold_ids), np.fromiter(seen, dtype=np.int64, count=len(seen)))
    if unassigned.size:
        raise ValueError(f"fold id(s) {unassigned.tolist()} are not assigned to any part")
    return {
        name: np.flatnonzero(np.isin(fold_ids, np.asarray(folds, dtype=fold_ids.dtype))).astype(np.int64)
        for name, folds in assignment.items()
    }


def paper_splits(Y, seed: int = 0) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The paper protocol on pooled data: (``{"train","val","test"}`` -> row indices, fold ids)."""
    folds = paper_folds(Y, n_folds=10, seed=seed)
    return folds_to_splits(folds), folds


def carve_validation(Y_train, *, val_fraction: float = 0.25, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Split training rows into (train, validation) by iterative stratification.

    ``MultilabelStratifiedKFold(n_splits=round(1 / val_fraction), shuffle=True, random_state=seed)`` on
    ``Y_train``; validation = the test part of the first split.

    Returns:
        ``(train_idx, val_idx)``: sorted int64 indices into ``Y_train``'s rows, disjoint, covering all.
    """
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"val_fraction must be in (0, 1), got {val_fraction}")
    n_splits = max(2, int(round(1.0 / val_fraction)))
    folds = stratified_folds(Y_train, n_folds=n_splits, seed=seed)
    return np.flatnonzero(folds != 1).astype(np.int64), np.flatnonzero(folds == 1).astype(np.int64)


def official_splits(
    part_sizes: Mapping[str, int],
    Y=None,
    *,
    seed: int = 0,
    val_fraction: float = 0.25,
) -> dict[str, np.ndarray]:
    """Split indices for data pooled from the distribution's own parts, concatenated in order.

    Args:
        part_sizes: ordered mapping part -> row count, e.g. ``{"train": 1639, "val": 849, "test": 1291}``
            or ``{"train": 4880, "test": 2515}``; rows of the pooled matrix follow this order.
        Y: the pooled ``(n, L)`` label matrix; needed only when there is no ``"val"`` part (to carve one
            from train with :func:`carve_validation`).
        seed: seed of the validation carve.
        val_fraction: share of train moved to validation when carving.

    Returns:
        ``{"train", "val", "test"}`` -> sorted int64 row indices into the pooled matrix.
    """
    unknown = set(part_sizes) - set(SPLIT_NAMES)
    if unknown or "train" not in part_sizes or "test" not in part_sizes:
        raise ValueError(f"parts must be train[, val], test; got {list(part_sizes)}")
    offsets: dict[str, np.ndarray] = {}
    start = 0
    for name, count in part_sizes.items():
        offsets[name] = np.arange(start, start + int(count), dtype=np.int64)
        start += int(count)
    if "val" not in offsets:
        if Y is None:
            raise ValueError("Y is required to carve a validation part from train")
        Y = Y.toarray() if hasattr(Y, "toarray") else np.asarray(Y)
        if Y.shape[0] != start:
            raise ValueError(f"Y has {Y.shape[0]} rows but the parts sum to {start}")
        train = offsets["train"]
        tr, va = carve_validation(Y[train], val_fraction=val_fraction, seed=seed)
        offsets["train"], offsets["val"] = train[tr], train[va]
    return {name: offsets[name] for name in SPLIT_NAMES}
