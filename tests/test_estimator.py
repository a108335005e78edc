"""SEALClassifier: scikit-learn style fit / predict / score on numpy and scipy.sparse input."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from seal import SEALClassifier
from seal.estimator import NotFittedError

D, NL = 12, 4
FAST = dict(hidden=32, num_layers=1, lr=1e-2, batch_size=32, max_epochs=8, patience=None)


def _problem(n=200, seed=0):
    rng = np.random.default_rng(seed)
    W = rng.normal(size=(D, NL))
    X = rng.normal(size=(n, D)).astype(np.float32)
    X[rng.random(X.shape) < 0.5] = 0.0  # some sparsity, so the CSR copy is a real sparse matrix
    Y = (X @ W > 0.5).astype(np.uint8)
    return X, Y


@pytest.fixture(scope="module", autouse=True)
def _one_thread():
    """Tiny networks: one intra-op thread is faster and immune to a busy machine; restored afterwards."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.fixture(scope="module")
def problem():
    return _problem()


@pytest.fixture(scope="module")
def fitted(problem):
    X, Y = problem
    return SEALClassifier(method="cross-entropy", **FAST).fit(X[:160], Y[:160])


def test_fit_predict_score_synthetic(problem, fitted):
    X, Y = problem
    clf = fitted
    assert clf.n_features_in_ == D and clf.n_labels_ == NL
    assert len(clf.history_) == clf.n_epochs_ == FAST["max_epochs"]
    assert clf.best_val_f1_ == max(clf.history_) == clf.history_[clf.best_epoch_]
    assert not clf.module_.training
    P = clf.predict_proba(X[160:])
    assert P.shape == (40, NL) and P.dtype == np.float32 and np.all((P >= 0) & (P <= 1))
    pred = clf.predict(X[160:])
    assert pred.dtype == np.uint8 and np.array_equal(pred, (P >= 0.5).astype(np.uint8))
    score = clf.score(X[160:], Y[160:])
    assert 0.6 < score <= 1.0  # it learned something (chance level is ~0.3)
    # score is seal.metrics' example F1
    from seal.metrics import example_f1

    assert score == pytest.approx(float(example_f1(torch.from_numpy(P), torch.from_numpy(Y[160:]))))
    import pickle

    np.testing.assert_array_equal(pickle.loads(pickle.dumps(clf)).predict_proba(X[160:]), P)
    # best weights restored: the module's validation F1 on the held-out rows equals best_val_f1_
    rng_split = np.random.default_rng(0).permutation(160)
    val_idx = np.sort(rng_split[: int(np.ceil(0.2 * 160))])
    assert clf.score(X[val_idx], Y[val_idx]) == pytest.approx(clf.best_val_f1_, abs=1e-9)


def test_threshold_changes_predictions(problem, fitted):
    X, _ = problem
    P = fitted.predict_proba(X)
    low = copy.copy(fitted).set_params(threshold=0.2)  # same weights, another threshold
    assert np.array_equal(low.predict(X), (P >= 0.2).astype(np.uint8))
    assert low.predict(X).sum() >= fitted.predict(X).sum()


def test_sparse_and_dense_give_identical_predictions(problem):
    X, Y = problem
    kw = dict(method="seal-dynamic-nce", num_samples=4, **{**FAST, "max_epochs": 3})
    dense = SEALClassifier(**kw).fit(X[:160], Y[:160])
    sparse = SEALClassifier(**kw).fit(sp.csr_matrix(X[:160]), sp.csr_matrix(Y[:160]))
    assert dense.history_ == sparse.history_
    np.testing.assert_array_equal(dense.predict_proba(X[160:]), sparse.predict_proba(sp.csc_matrix(X[160:])))
    np.testing.assert_array_equal(dense.predict_proba(X[160:]), dense.predict_proba(sp.csr_matrix(X[160:])))
    # another seed gives another model
    other = SEALClassifier(**{**kw, "random_state": 1}).fit(X[:160], Y[:160])
    assert not np.array_equal(other.predict_proba(X[160:]), dense.predict_proba(X[160:]))


def test_explicit_validation_set_and_rng_left_alone(problem):
    X, Y = problem
    torch.manual_seed(123)
    before = torch.get_rng_state()
    clf = SEALClassifier(method="cross-entropy", **{**FAST, "max_epochs": 2}).fit(
        X[:150], Y[:150], X_val=X[150:], Y_val=Y[150:]
    )
    assert torch.equal(torch.get_rng_state(), before)  # fit does not disturb the caller's RNG
    assert clf.score(X[150:], Y[150:]) == pytest.approx(clf.best_val_f1_, abs=1e-9)


def test_get_params_round_trip():
    clf = SEALClassifier(method="cross-entropy", hidden=17, dropout=0.1, patience=None, device="cpu")
    params = clf.get_params()
    assert params["hidden"] == 17 and params["method"] == "cross-entropy" and params["validation_fraction"] == 0.2
    assert set(params) == {
        "method", "hidden", "num_layers", "dropout", "global_hidden", "lr", "score_lr", "weight_decay",
        "score_loss_weight", "loss_net_steps", "task_net_steps", "num_samples", "sample_std",
        "inference_score_weight", "batch_size", "max_epochs", "patience", "validation_fraction", "threshold",
        "random_state", "device", "verbose",
    }
    rebuilt = SEALClassifier(**params)
    assert rebuilt.get_params() == params
    assert rebuilt.set_params(hidden=5, lr=0.1) is rebuilt
    assert rebuilt.hidden == 5 and rebuilt.lr == 0.1
    with pytest.raises(ValueError, match="(?i)invalid parameter"):
        rebuilt.set_params(hiden=3)
    assert "hidden=17" in repr(clf)


def test_sklearn_clone_and_tags(fitted):
    base = pytest.importorskip("sklearn.base")
    c = base.clone(fitted)
    assert c.get_params() == fitted.get_params()
    assert not hasattr(c, "module_")
    assert base.is_classifier(fitted)
    from sklearn.exceptions import NotFittedError as SkNotFitted

    with pytest.raises(SkNotFitted):
        c.predict(np.zeros((1, D)))


def test_bad_input_errors(problem, fitted):
    X, Y = problem
    clf = SEALClassifier(method="cross-entropy", **{**FAST, "max_epochs": 1})
    Xn = X.copy()
    Xn[3, 5] = np.nan
    with pytest.raises(ValueError, match=r"X has 1 non-finite.*row 3, column 5"):
        clf.fit(Xn, Y)
    Xs = sp.csr_matrix(X)
    Xs.data[0] = np.inf
    with pytest.raises(ValueError, match="non-finite"):
        clf.fit(Xs, Y)
    Yb = Y.copy()
    Yb[7, 2] = 2
    with pytest.raises(ValueError, match=r"Y must be binary.*row 7, column 2"):
        clf.fit(X, Yb)
    with pytest.raises(ValueError, match=r"inconsistent numbers of samples: \[200, 199\]"):
        clf.fit(X, Y[:-1])
    with pytest.raises(ValueError, match="Expected 2D array, got 1D array instead"):
        clf.fit(X[:, 0], Y)
    with pytest.raises(ValueError, match="both X_val and Y_val"):
        clf.fit(X, Y, X_val=X)
    with pytest.raises(ValueError, match="X_val has 11 features but X has 12"):
        clf.fit(X, Y, X_val=X[:, :11], Y_val=Y)
    with pytest.raises(ValueError, match="validation_fraction"):
        SEALClassifier(validation_fraction=1.5).fit(X, Y)
    with pytest.raises((ValueError, KeyError), match="no-such-method"):
        SEALClassifier(method="no-such-method").fit(X, Y)
    with pytest.raises(ValueError, match="device"):
        SEALClassifier(device="tpu9").fit(X, Y)


def test_predict_before_fit_and_wrong_width(problem, fitted):
    X, Y = problem
    clf = SEALClassifier()
    for call in (lambda: clf.predict(X), lambda: clf.predict_proba(X), lambda: clf.score(X, Y)):
        with pytest.raises(NotFittedError, match="not fitted"):
            call()
    assert issubclass(NotFittedError, RuntimeError)
    with pytest.raises(ValueError, match="X has 11 features, but SEALClassifier is expecting 12 features as input"):
        fitted.predict(X[:, :11])
    with pytest.raises(ValueError, match="y has 2 labels but the Y given to fit had 4"):
        fitted.score(X, Y[:, :2])


@pytest.mark.realdata
def test_genbase(data_dir):
    from seal import load_dataset

    ds = load_dataset("genbase", data_dir=data_dir)
    (Xtr, Ytr), (Xva, Yva), (Xte, Yte) = (ds.subset(s) for s in ("train", "val", "test"))
    ce = SEALClassifier(method="cross-entropy", hidden=64, num_layers=1, lr=1e-2, max_epochs=20, patience=10)
    ce.fit(Xtr, Ytr, X_val=Xva, Y_val=Yva)
    assert ce.score(Xte, Yte) > 0.9
    nce = SEALClassifier(
        method="seal-dynamic-nce", hidden=128, num_layers=1, lr=5e-3, num_samples=10, score_loss_weight=0.01,
        max_epochs=3,
    ).fit(Xtr, Ytr, X_val=Xva, Y_val=Yva)
    assert len(nce.history_) == 3 and nce.module_.score_net is not None
    assert 0.0 <= nce.score(Xte, Yte) <= 1.0
    assert nce.predict(Xte).shape == Yte.shape


def test_works_without_scikit_learn():
    """With sklearn unimportable the module still imports and get_params/set_params/repr/NotFittedError work."""
    import subprocess
    import sys

    code = """
import sys
sys.modules["sklearn"] = None  # makes `import sklearn...` raise ImportError
import numpy as np
from seal.estimator import SEALClassifier, NotFittedError, _HAVE_SKLEARN
assert not _HAVE_SKLEARN
c = SEALClassifier(hidden=7)
p = c.get_params()
assert SEALClassifier(**p).get_params() == p and p["hidden"] == 7
assert c.set_params(lr=0.5) is c and c.lr == 0.5
try:
    c.set_params(nope=1)
except ValueError as e:
    assert "Invalid parameter" in str(e)
else:
    raise AssertionError("set_params accepted an unknown name")
assert repr(c) == "SEALClassifier(hidden=7, lr=0.5)", repr(c)
try:
    c.predict(np.zeros((1, 3)))
except NotFittedError as e:
    assert isinstance(e, RuntimeError)
else:
    raise AssertionError("predict before fit did not raise")
print("ok")
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_random_state_none_randomstate_and_generator(problem):
    """scikit-learn's random_state idioms: None draws a fresh seed per fit, a RandomState / Generator gives one seed
    per fit drawn from it; the seed used is ``seed_``, and refitting with that int reproduces the model."""
    X, Y = problem
    kw = {**FAST, "method": "cross-entropy", "max_epochs": 1}
    a = SEALClassifier(random_state=None, **kw).fit(X, Y)
    assert isinstance(a.seed_, int) and 0 <= a.seed_ < 2**32
    again = SEALClassifier(random_state=a.seed_, **kw).fit(X, Y)
    np.testing.assert_array_equal(again.predict_proba(X), a.predict_proba(X))
    expected = int(np.random.RandomState(7).randint(0, 2**32 - 1, dtype=np.int64))
    assert SEALClassifier(random_state=np.random.RandomState(7), **kw).fit(X, Y).seed_ == expected
    assert SEALClassifier(random_state=np.random.default_rng(7), **kw).fit(X, Y).seed_ == int(
        np.random.default_rng(7).integers(0, 2**32 - 1))
    assert SEALClassifier(random_state=5, **kw).fit(X, Y).seed_ == 5
    for bad, msg in ((-1, r"random_state must lie in \[0, 2\*\*32\), got -1"), ("3", "random_state must be an int")):
        with pytest.raises(ValueError, match=msg):
            SEALClassifier(random_state=bad, **kw).fit(X, Y)


def test_a_device_this_machine_lacks_is_a_value_error(problem):
    X, Y = problem
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(ValueError, match="device 'cuda': no CUDA device is available here"):
        SEALClassifier(method="cross-entropy", device="cuda", **{**FAST, "max_epochs": 1}).fit(X, Y)
    with pytest.raises(ValueError, match="device 'cuda:1': this machine has 0 CUDA device"):
        SEALClassifier(method="cross-entropy", device="cuda:1", **{**FAST, "max_epochs": 1}).fit(X, Y)


def test_chained_methods_are_refused_with_what_they_need(problem):
    X, Y = problem
    with pytest.raises(ValueError, match=r"method 'nce-gbi' starts from a trained cross-entropy task-net \(a chained "
                                         r"run\), which SEALClassifier does not make"):
        SEALClassifier(method="nce-gbi", **FAST).fit(X, Y)
    with pytest.raises(ValueError, match="method 'seal-static-nce' starts from the frozen loss-net of a trained nce-gbi"):
        SEALClassifier(method="seal-static-nce", **FAST).fit(X, Y)
