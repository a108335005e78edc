"""scikit-learn's estimator checks on SEALClassifier (``parametrize_with_checks``), and the target forms they
exercise (a 1-D binary ``y``, a ``(n, 1)`` ``Y``, the dtype of ``predict``) checked here with exact values.

SEALClassifier is a multi-label classifier that also trains on a 1-D *binary* target. It says so through
scikit-learn's own tags: ``target_tags.multi_output=True`` and ``single_output=True``,
``classifier_tags.multi_label=True`` and ``multi_class=False``. With ``multi_class=False`` the checks give it
two-class 1-D targets instead of three-class ones, and ``check_classifier_not_supporting_multiclass`` verifies
that a three-class 1-D target is refused. No check is expected to fail, so ``expected_failed_checks`` is empty;
the checks scikit-learn skips by itself state their reason (no ``decision_function``; pandas or
``SCIPY_ARRAY_API`` absent from the environment).

The checks run on two tiny configurations (16 hidden units, 3 epochs at ``lr=5e-2``): cross-entropy, and
the default method SEAL-dynamic NCE with a small loss-net. On ``check_classifiers_train``'s data they reach an
accuracy of 0.97 and 0.945 (its bar is 0.83). Each fit costs well under a second, mostly Lightning's per-fit and
per-epoch overhead; all checks together took 12 s (this file 16 s) on a busy 2-core machine.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

pytest.importorskip("sklearn", minversion="1.6")

from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

from seal import SEALClassifier  # noqa: E402

TINY = dict(hidden=16, num_layers=1, lr=5e-2, max_epochs=3, patience=None, device="cpu")
CHECKED = [
    SEALClassifier(method="cross-entropy", **TINY),
    SEALClassifier(method="seal-dynamic-nce", global_hidden=8, num_samples=4, **TINY),
]
FAST = dict(method="cross-entropy", hidden=16, num_layers=1, lr=1e-2, max_epochs=5, patience=None, device="cpu")


@pytest.fixture(scope="module", autouse=True)
def _one_thread():
    """Tiny networks: one intra-op thread is faster and immune to a busy machine; restored afterwards."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@parametrize_with_checks(CHECKED, expected_failed_checks=lambda estimator: {})
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def test_tags_declare_multilabel_and_binary_targets():
    from sklearn.utils import get_tags

    tags = get_tags(SEALClassifier())
    assert tags.estimator_type == "classifier"
    assert tags.target_tags.required and tags.target_tags.multi_output and tags.target_tags.single_output
    assert tags.classifier_tags.multi_label and not tags.classifier_tags.multi_class
    assert tags.input_tags.sparse and not tags.input_tags.allow_nan


def _binary(n=60, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 5)).astype(np.float32)
    return X, X[:, 0] + 0.5 * X[:, 1] > 0


def test_1d_binary_target_trains_the_same_model_as_a_single_label_column():
    X, z = _binary()
    y = np.where(z, "spam", "ham")
    clf = SEALClassifier(**FAST).fit(X, y)
    assert clf.classes_.tolist() == ["ham", "spam"] and clf.n_labels_ == 1
    col = SEALClassifier(**FAST).fit(X, z.astype(np.int64)[:, None])
    assert col.classes_.tolist() == [0] and col.n_labels_ == 1
    assert col.history_ == clf.history_
    p = col.predict_proba(X)
    assert p.shape == (60, 1) and p.dtype == np.float32
    P = clf.predict_proba(X)
    assert P.shape == (60, 2) and P.dtype == np.float32
    np.testing.assert_array_equal(P[:, 1], p[:, 0])
    np.testing.assert_array_equal(P[:, 0], np.float32(1) - p[:, 0])
    pred = clf.predict(X)
    assert pred.shape == (60,) and pred.dtype == y.dtype
    np.testing.assert_array_equal(pred, np.where(p[:, 0] >= 0.5, "spam", "ham"))
    col_pred = col.predict(X)
    assert col_pred.shape == (60, 1) and col_pred.dtype == np.int64
    np.testing.assert_array_equal(col_pred[:, 0], (p[:, 0] >= 0.5).astype(np.int64))
    # with one label the example-F1 of score is the accuracy
    assert clf.score(X, y) == np.mean(pred == y)
    assert col.score(X, z.astype(np.int64)[:, None]) == np.mean(pred == y)
    with pytest.raises(ValueError, match=r"y must be 1-D \(n_samples,\) like the Y given to fit, got shape \(60, 1\)"):
        clf.score(X, z[:, None])
    with pytest.raises(ValueError, match=r"y has 1 label\(s\) not in classes_ \['ham', 'spam'\], first at row 2 \('eggs'\)"):
        clf.score(X[:3], np.array(["ham", "spam", "eggs"]))
    # a refit that fails leaves the fitted targets alone (learned state is set only after training)
    with pytest.raises(ValueError, match="Y must be binary"):
        clf.fit(X, np.full((60, 2), 3))
    assert clf.classes_.tolist() == ["ham", "spam"]
    np.testing.assert_array_equal(clf.predict(X), pred)


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.bool_, np.float32])
def test_predict_has_the_dtype_of_the_indicator_matrix(dtype):
    X, z = _binary(n=40)
    Y = np.stack([z, ~z, X[:, 2] > 0], axis=1).astype(dtype)
    clf = SEALClassifier(**{**FAST, "max_epochs": 1}).fit(X, Y)
    pred = clf.predict(X)
    assert pred.dtype == np.dtype(dtype) and pred.shape == (40, 3)
    assert clf.classes_.tolist() == [0, 1, 2]
    np.testing.assert_array_equal(pred, (clf.predict_proba(X) >= 0.5).astype(dtype))


def test_target_and_input_errors_use_scikit_learn_messages():
    X, z = _binary()
    clf = SEALClassifier(**FAST)
    with pytest.raises(ValueError, match=r"Only binary classification is supported for a 1-D Y; found 3 classes \[0, 1, 2\]"):
        clf.fit(X, np.arange(60) % 3)
    with pytest.raises(ValueError, match=r"a 1-D Y needs two classes, found only one class \[1\]"):
        clf.fit(X, np.ones(60, dtype=int))
    with pytest.raises(ValueError, match="Unknown label type: continuous"):
        clf.fit(X, X[:, 0])
    with pytest.raises(ValueError, match="requires y to be passed, but the target y is None"):
        clf.fit(X, None)
    with pytest.raises(ValueError, match=r"0 feature\(s\) \(shape=\(60, 0\)\) while a minimum of 1 is required"):
        clf.fit(X[:, :0], z)
    with pytest.raises(ValueError, match=r"0 sample\(s\) \(shape=\(0, 5\)\) while a minimum of 1 is required"):
        clf.fit(X[:0], z[:0])
    with pytest.raises(ValueError, match="Complex data not supported"):
        clf.fit(X + 1j, z)
    with pytest.raises(ValueError, match=r"cannot hold out validation_fraction=0.2 of n_samples=1"):
        clf.fit(X[:1], np.ones((1, 2)))
    with pytest.raises(ValueError, match=r"Y_val has 1 label\(s\) not in classes_ \[False, True\], first at row 0 \(2\)"):
        clf.fit(X, z, X_val=X[:2], Y_val=np.array([2, 1]))
    with pytest.raises(ValueError, match="Y_val has 2 labels but the Y given to fit had 3"):
        clf.fit(X, np.ones((60, 3)), X_val=X[:2], Y_val=np.ones((2, 2)))
