"""Feature preprocessing fitted on the training split only.

:class:`FeaturePreprocessor` follows the scikit-learn contract: the constructor only stores its
keyword parameters, :meth:`~FeaturePreprocessor.fit` learns state (attributes ending in ``_``) from
the training rows, :meth:`~FeaturePreprocessor.transform` applies it to any rows. The registry fits it
on ``splits["train"]`` and transforms the pooled matrix, so validation and test statistics never leak
into the features.

Catalogue defaults (see :mod:`seal.data.catalogue`, ``catalogue.toml``):

* FunCat (``expr_fun``, ``spo_fun``): ``impute="mean", scale="standard"``, the usual C-HMCNN / SEAL
  preprocessing of the Clus HMC files, except that C-HMCNN fits on train+valid and we fit on train.
* ``cal500``: ``scale="standard"``. SEAL read MEKA ``-normalised`` fold files; the raw MULAN features
  span very different ranges (see the registry notes for what those files contained).
* all others: raw features.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

__all__ = ["FeaturePreprocessor", "NonFiniteFeatureError"]


class NonFiniteFeatureError(ValueError):
    """A NaN or infinite feature value survived preprocessing.

    Attributes:
        row, column: position of the first offending value in the transformed matrix.
        count: number of offending values.
    """

    def __init__(self, message: str, *, row: int, column: int, count: int) -> None:
        super().__init__(message)
        self.row, self.column, self.count = row, column, count

_IMPUTE = (None, "mean")
_SCALE = (None, "standard", "minmax")


class FeaturePreprocessor:
    """Mean imputation of NaN and per-column scaling, with statistics from the rows passed to ``fit``.

    Args:
        impute: ``None`` (NaN is an error at ``transform``) or ``"mean"`` (replace NaN by the column's
            training mean over its non-missing values; a column missing in every training row gets 0).
        scale: ``None``; ``"standard"`` (``(x - mean) / std`` with population std, a constant column
            gets scale 1, as in ``sklearn.preprocessing.StandardScaler``); or ``"minmax"``
            (``(x - min) / (max - min)``, a constant column gets range 1, as ``MinMaxScaler``).
            Statistics are computed after imputation.

    Attributes (after ``fit``):
        n_features_in_: ``d``.
        fill_: ``(d,)`` float64 imputation values (``impute="mean"`` only).
        offset_, scale_: ``(d,)`` float64; ``transform`` returns ``(x - offset_) / scale_``.

    Shapes: ``fit`` takes ``(n_train, d)``; ``transform`` takes ``(m, d)`` and returns a
    ``scipy.sparse.csr_matrix`` ``(m, d)`` float32. Sparse input is densified when centring
    (``scale`` set), which the registry only does for small-``d`` datasets.
    """

    def __init__(self, *, impute: str | None = None, scale: str | None = None) -> None:
        self.impute = impute
        self.scale = scale

    # sklearn-style parameter access, so configs can round-trip
    def get_params(self, deep: bool = True) -> dict:
        return {"impute": self.impute, "scale": self.scale}

    def __repr__(self) -> str:
        return f"FeaturePreprocessor(impute={self.impute!r}, scale={self.scale!r})"

    @property
    def is_identity(self) -> bool:
        return self.impute is None and self.scale is None

    def _check_params(self) -> None:
        if self.impute not in _IMPUTE:
            raise ValueError(f"impute must be one of {_IMPUTE}, got {self.impute!r}")
        if self.scale not in _SCALE:
            raise ValueError(f"scale must be one of {_SCALE}, got {self.scale!r}")

    def fit(self, X) -> FeaturePreprocessor:
        """Learn imputation values and scaling statistics from training rows ``X`` ``(n_train, d)``.

        Raises:
            ValueError: bad parameters, no rows, or NaN in ``X`` with ``impute=None`` and ``scale`` set.
        """
        self._check_params()
        n, d = X.shape
        self.n_features_in_ = d
        if n == 0:
            raise ValueError("cannot fit a FeaturePreprocessor on 0 rows")
        dense = X.toarray() if sp.issparse(X) else np.asarray(X)
        dense = dense.astype(np.float64, copy=True)
        missing = np.isnan(dense)
        if self.impute == "mean":
            counts = (~missing).sum(axis=0)
            sums = np.where(missing, 0.0, dense).sum(axis=0)
            with np.errstate(invalid="ignore", divide="ignore"):
                fill = np.where(counts > 0, sums / np.maximum(counts, 1), 0.0)
            self.fill_ = fill
            if missing.any():
                dense[missing] = np.broadcast_to(fill, dense.shape)[missing]
        elif self.scale is not None and missing.any():
            raise ValueError(
                f"{int(missing.sum())} missing (NaN) value(s) in the training rows; use impute='mean'"
            )
        if self.scale == "standard":
            offset = dense.mean(axis=0)
            std = dense.std(axis=0)
            scale = np.where(std > 0, std, 1.0)
        elif self.scale == "minmax":
            offset = dense.min(axis=0)
            rng = dense.max(axis=0) - offset
            scale = np.where(rng > 0, rng, 1.0)
        else:
            offset = np.zeros(d)
            scale = np.ones(d)
        self.offset_ = offset
        self.scale_ = scale
        return self

    def transform(self, X) -> sp.csr_matrix:
        """Apply the fitted imputation and scaling to ``X`` ``(m, d)``; returns CSR ``(m, d)`` float32.

        Raises:
            RuntimeError: not fitted.
            ValueError: wrong number of columns.
            NonFiniteFeatureError: NaN left with ``impute=None``, or a non-finite result (it carries the
                first offending row and column).
        """
        if not hasattr(self, "n_features_in_"):
            raise RuntimeError("FeaturePreprocessor.transform called before fit")
        m, d = X.shape
        if d != self.n_features_in_:
            raise ValueError(f"X has {d} columns, the preprocessor was fitted on {self.n_features_in_}")
        if self.scale is None:
            out = sp.csr_matrix(X, dtype=np.float64, copy=True)
            if self.impute == "mean" and out.nnz:
                nan = np.isnan(out.data)
                if nan.any():
                    out.data[nan] = self.fill_[out.indices[nan]]
            out = out.astype(np.float32)
            values = out.data
            where = _first_bad_sparse(out)
        else:
            dense = X.toarray() if sp.issparse(X) else np.asarray(X)
            dense = dense.astype(np.float64, copy=True)
            if self.impute == "mean":
                missing = np.isnan(dense)
                if missing.any():
                    dense[missing] = np.broadcast_to(self.fill_, dense.shape)[missing]
            dense = ((dense - self.offset_) / self.scale_).astype(np.float32)
            values = dense
            bad = ~np.isfinite(dense)
            where = tuple(int(v[0]) for v in np.nonzero(bad)) if bad.any() else None
            out = sp.csr_matrix(dense)
        if where is not None:
            n_bad = int((~np.isfinite(values)).sum())
            raise NonFiniteFeatureError(
                f"{n_bad} non-finite feature value(s) after preprocessing, first at row {where[0]}, "
                f"column {where[1]} ({'NaN left unimputed' if self.impute is None else 'non-finite input'})",
                row=where[0],
                column=where[1],
                count=n_bad,
            )
        out.sort_indices()
        return out

    def fit_transform(self, X) -> sp.csr_matrix:
        return self.fit(X).transform(X)

    def describe(self) -> dict:
        """A JSON-able summary (what was done), stored on the loaded dataset."""
        return {"impute": self.impute, "scale": self.scale, "fitted_on": "train"}


def _first_bad_sparse(X: sp.csr_matrix) -> tuple[int, int] | None:
    bad = ~np.isfinite(X.data)
    if not bad.any():
        return None
    k = int(np.flatnonzero(bad)[0])
    row = int(np.searchsorted(X.indptr, k, side="right") - 1)
    return row, int(X.indices[k])
