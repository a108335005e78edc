"""A scikit-learn style multi-label classifier trained with SEAL (or plain cross-entropy).

:class:`SEALClassifier` wraps :class:`seal.tasks.mlc_features.module.MultilabelModule` and a Lightning ``Trainer``
behind ``fit / predict / predict_proba / score`` on numpy arrays or ``scipy.sparse`` matrices::

    from seal import SEALClassifier, load_dataset
    ds = load_dataset("genbase")
    (Xtr, Ytr), (Xva, Yva), (Xte, Yte) = (ds.subset(s) for s in ("train", "val", "test"))
    clf = SEALClassifier(method="seal-dynamic-nce", max_epochs=30).fit(Xtr, Ytr, X_val=Xva, Y_val=Yva)
    print(clf.score(Xte, Yte))             # example-based F1 at threshold 0.5

scikit-learn is not required. When it is installed the classifier subclasses ``sklearn.base.BaseEstimator``
(so ``clone``, ``get_params``/``set_params`` and pipelines work), validates its input with scikit-learn's
``validate_data`` (>= 1.6; passing its estimator checks) and :class:`NotFittedError` also subclasses
``sklearn.exceptions.NotFittedError``; without it the same ``get_params``/``set_params`` and equivalent input
checks are provided here.
"""

from __future__ import annotations

import inspect
import logging
import math
import os
import tempfile
import warnings
from contextlib import contextmanager
from typing import Any

import numpy as np
import scipy.sparse as sp

__all__ = ["NotFittedError", "SEALClassifier"]

try:  # optional: play well with scikit-learn when it is there, never require it
    from sklearn.base import BaseEstimator as _BaseEstimator
    from sklearn.base import ClassifierMixin as _ClassifierMixin
    from sklearn.exceptions import NotFittedError as _SkNotFittedError
    from sklearn.utils.multiclass import check_classification_targets as _check_classification_targets

    _HAVE_SKLEARN = True
    try:  # scikit-learn >= 1.6: its input validation (messages its estimator checks look for)
        from sklearn.utils.validation import check_array as _check_array
        from sklearn.utils.validation import validate_data as _validate_data
    except ImportError:  # pragma: no cover - scikit-learn < 1.6: the checks below are used alone
        _validate_data = _check_array = None
except ImportError:  # pragma: no cover - exercised only without scikit-learn
    _HAVE_SKLEARN = False
    _validate_data = _check_array = _check_classification_targets = None

    class _SkNotFittedError(Exception):  # type: ignore[no-redef]
        pass

    class _ClassifierMixin:  # type: ignore[no-redef]
        _estimator_type = "classifier"

    class _BaseEstimator:  # type: ignore[no-redef]
        """The part of ``sklearn.base.BaseEstimator`` this module needs: parameters from ``__init__``."""

        @classmethod
        def _get_param_names(cls) -> list[str]:
            sig = inspect.signature(cls.__init__)
            return sorted(
                p.name for p in sig.parameters.values() if p.name != "self" and p.kind != p.VAR_KEYWORD
            )

        def get_params(self, deep: bool = True) -> dict[str, Any]:
            return {name: getattr(self, name) for name in self._get_param_names()}

        def set_params(self, **params):
            valid = self._get_param_names()
            for key, value in params.items():
                if key not in valid:
                    raise ValueError(
                        f"Invalid parameter {key!r} for estimator {type(self).__name__}. Valid parameters are: {valid}."
                    )
                setattr(self, key, value)
            return self

        def __repr__(self) -> str:
            defaults = {
                p.name: p.default for p in inspect.signature(type(self).__init__).parameters.values() if p.name != "self"
            }
            changed = [f"{k}={v!r}" for k, v in self.get_params().items() if defaults.get(k, object()) != v]
            return f"{type(self).__name__}({', '.join(changed)})"


class NotFittedError(RuntimeError, _SkNotFittedError):
    """``predict``/``predict_proba``/``score`` called before ``fit``.

    A ``RuntimeError``; also ``sklearn.exceptions.NotFittedError`` (hence ``ValueError`` and
    ``AttributeError``) when scikit-learn is installed.
    """


_DEVICES = ("auto", "cpu", "cuda", "gpu", "mps")
# Lightning chatter that says nothing about the user's fit; shown with verbose=True
_NOISE = (
    r".*does not have many workers.*",
    r".*number of training batches.*logging interval.*",
    r".*LeafSpec.*",
    r".*GPU available but not used.*",
    r".*TPU available but not used.*",
    r".*overridden `transfer_batch_to_device`.*",
)


class SEALClassifier(_ClassifierMixin, _BaseEstimator):
    """Multi-label classifier: a feed-forward task-net trained with SEAL or cross-entropy.

    Usage::

        from seal import SEALClassifier, load_dataset
        ds = load_dataset("genbase")
        (Xtr, Ytr), (Xva, Yva), (Xte, Yte) = (ds.subset(s) for s in ("train", "val", "test"))
        clf = SEALClassifier(method="seal-dynamic-nce", max_epochs=30).fit(Xtr, Ytr, X_val=Xva, Y_val=Yva)
        print(clf.score(Xte, Yte))             # example-based F1 at threshold 0.5

    The constructor only stores its parameters (scikit-learn contract); they are checked in :meth:`fit`.

    Args:
        method: a registered method (``cross-entropy``, ``seal-dynamic-nce``, ``seal-dynamic-ranking``,
            ``seal-dynamic-regression``, ``seal-dynamic-regression-s``, ``seal-dynamic-margin``).
        hidden, num_layers, dropout: task-net (and loss-net) feature network width, depth, dropout.
        global_hidden: width of the loss-net's global energy.
        lr, score_lr: AdamW learning rates of the task-net and of the loss-net.
        weight_decay: AdamW weight decay (both networks).
        score_loss_weight: weight ``w_s`` of the loss-net score in the task-net objective (SEAL methods).
        loss_net_steps, task_net_steps: ``S`` and ``T`` per batch.
        num_samples: ``K`` samples per example (NCE, ranking, regression-s).
        sample_std: std of the Gaussian-logit samples (regression-s).
        inference_score_weight: ``lambda`` of the margin objective.
        batch_size: training batch size.
        max_epochs: upper bound on training epochs.
        patience: early stopping after this many epochs without a better validation example-F1
            (``None`` disables early stopping). The weights of the best epoch are restored either way.
        validation_fraction: share of ``X`` held out (seeded random split) for early stopping when no
            ``X_val`` is given; in ``(0, 1)``.
        threshold: decision threshold of :meth:`predict`, :meth:`score` and the validation metric.
        random_state: seed of the weight initialisation, dropout, samples, batch order and the
            validation split: an int in ``[0, 2**32)`` (the same seed on the same machine gives the same model),
            ``None`` (a fresh seed each :meth:`fit`, drawn from the operating system's entropy) or a
            ``numpy.random.RandomState`` / ``numpy.random.Generator`` (one seed drawn from it per :meth:`fit`);
            the seed used is :attr:`seed_`.
        device: ``"auto"``, ``"cpu"``, ``"cuda"`` (or ``"gpu"``), ``"cuda:N"`` or ``"mps"``: where to train.
        verbose: show Lightning's progress bar and messages.

    Attributes (after :meth:`fit`):
        module_: the trained :class:`~seal.tasks.mlc_features.module.MultilabelModule` (best validation epoch),
            in eval mode, on the CPU.
        n_features_in_: number of feature columns ``d``.
        n_labels_: number of labels ``L`` (1 for a 1-D binary ``Y``).
        classes_: after a 1-D binary ``Y`` its two classes, sorted (``classes_[1]`` is the positive one);
            after a 2-D ``Y`` the label indices ``arange(L)`` (as scikit-learn's multi-label estimators).
        history_: validation example-F1 per trained epoch (``list[float]``).
        best_val_f1_: best validation example-F1 (the restored epoch's).
        best_epoch_: 0-based epoch whose weights were restored.
        n_epochs_: epochs trained.
        seed_: the integer seed the fit used (``random_state`` itself when it is an int).

    Shapes: ``X`` is ``(n, d)`` (numpy array or any ``scipy.sparse`` matrix), ``Y`` is ``(n, L)`` in {0, 1}
    (numpy, sparse, bool/int/float; ``L >= 1``) or a 1-D binary target ``(n,)`` of any two classes.
    After a 2-D ``Y``, ``predict_proba`` returns ``(n, L)`` float32 and ``predict`` ``(n, L)`` with ``Y``'s
    dtype; after a 1-D ``Y``, ``(n, 2)`` float32 (columns in ``classes_`` order) and ``(n,)`` of ``classes_``.

    Validation uses scikit-learn's own utilities when scikit-learn >= 1.6 is installed (``validate_data``,
    ``check_classification_targets``), so its messages are the ones its estimator checks expect; the estimator
    passes ``sklearn.utils.estimator_checks`` (see ``tests/test_sklearn_checks.py``).
    """

    def __init__(
        self,
        method: str = "seal-dynamic-nce",
        hidden: int = 400,
        num_layers: int = 2,
        dropout: float = 0.0,
        global_hidden: int = 200,
        lr: float = 1e-3,
        score_lr: float = 1e-3,
        weight_decay: float = 1e-5,
        score_loss_weight: float = 1.0,
        loss_net_steps: int = 1,
        task_net_steps: int = 1,
        num_samples: int = 20,
        sample_std: float = 1.0,
        inference_score_weight: float = 0.0,
        batch_size: int = 32,
        max_epochs: int = 100,
        patience: int | None = 20,
        validation_fraction: float = 0.2,
        threshold: float = 0.5,
        random_state: int = 0,
        device: str = "auto",
        verbose: bool = False,
    ) -> None:
        self.method = method
        self.hidden = hidden
        self.num_layers = num_layers
        self.dropout = dropout
        self.global_hidden = global_hidden
        self.lr = lr
        self.score_lr = score_lr
        self.weight_decay = weight_decay
        self.score_loss_weight = score_loss_weight
        self.loss_net_steps = loss_net_steps
        self.task_net_steps = task_net_steps
        self.num_samples = num_samples
        self.sample_std = sample_std
        self.inference_score_weight = inference_score_weight
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.threshold = threshold
        self.random_state = random_state
        self.device = device
        self.verbose = verbose

    # ------------------------------------------------------------------ fit
    def fit(self, X, Y, X_val=None, Y_val=None) -> "SEALClassifier":
        """Train on ``(X, Y)``, early-stopping on the validation example-F1, and keep the best weights.

        Args:
            X: features ``(n, d)``, numpy array or ``scipy.sparse`` matrix/array, finite.
            Y: either a label indicator matrix ``(n, L)`` in {0, 1} (numpy or sparse; bool, int or float;
                ``L >= 1``), or a 1-D binary target ``(n,)`` with exactly two classes of any type
                (``classes_[1]`` is the positive class, trained as one label).
            X_val, Y_val: validation data ``(m, d)`` and ``(m, L)`` (or ``(m,)`` labels from ``classes_`` for
                a 1-D ``Y``); both or neither. Without them a seeded random ``validation_fraction`` of
                ``(X, Y)`` is held out.

        Returns:
            ``self``.

        Raises:
            ValueError: a bad parameter, or bad input -- ``X`` not 2-D, empty, complex or non-numeric, row
                counts that differ, ``Y`` missing (``None``), a non-finite feature (the first offending row and
                column are named), a 2-D ``Y`` entry that is not 0/1 (row and column named), a 1-D ``Y`` that
                is continuous (``Unknown label type``), has one class only or more than two, validation data
                with another ``d`` or ``L`` or an unseen class, only one of ``X_val``/``Y_val``, too few rows
                (``n_samples=1``) to hold out a validation split.
        """
        self._check_params()
        if _validate_data is not None:
            X, Y = _validate_data(
                self, X, Y, reset=True, accept_sparse=True, dtype=(np.float32, np.float64),
                ensure_all_finite=False, multi_output=True,
            )
        X = _check_X(X, "X")
        Y, targets = _fit_targets(Y, type(self).__name__)  # learned state is set only once training succeeded
        if X.shape[0] != Y.shape[0]:
            raise ValueError(f"X has {X.shape[0]} rows but Y has {Y.shape[0]}")
        if (X_val is None) != (Y_val is None):
            raise ValueError("give both X_val and Y_val, or neither")
        n, d = X.shape
        L = Y.shape[1]
        seed = _seed_of(self.random_state)
        if X_val is not None:
            if _check_array is not None:
                X_val = _check_array(
                    X_val, accept_sparse=True, dtype=(np.float32, np.float64), ensure_all_finite=False,
                    input_name="X_val",
                )
            X_val = _check_X(X_val, "X_val")
            Y_val = _encode_targets(Y_val, "Y_val", *targets[:2])
            if X_val.shape[0] != Y_val.shape[0]:
                raise ValueError(f"X_val has {X_val.shape[0]} rows but Y_val has {Y_val.shape[0]}")
            if X_val.shape[1] != d:
                raise ValueError(f"X_val has {X_val.shape[1]} features but X has {d}")
            X_tr, Y_tr = X, Y
        else:
            n_val = int(math.ceil(self.validation_fraction * n))
            if n < 2 or n_val >= n:
                raise ValueError(
                    f"cannot hold out validation_fraction={self.validation_fraction} of n_samples={n} and keep "
                    "training rows; pass X_val and Y_val or more data"
                )
            perm = np.random.default_rng(seed).permutation(n)
            val_idx, tr_idx = np.sort(perm[:n_val]), np.sort(perm[n_val:])
            X_tr, Y_tr, X_val, Y_val = X[tr_idx], Y[tr_idx], X[val_idx], Y[val_idx]

        import lightning as L_
        from lightning.pytorch.callbacks import EarlyStopping

        from seal.tasks.mlc_features.datamodule import MultiLabelArrays, MultiLabelDataModule
        from seal.tasks.mlc_features.module import MultilabelModule

        label_names = [str(i) for i in range(L)]
        arrays = MultiLabelArrays(
            {"train": (X_tr, Y_tr), "val": (X_val, Y_val)},
            feature_names=[str(i) for i in range(d)],
            label_names=label_names,
            name="SEALClassifier",
            split_protocol="given",
        )
        accelerator, devices = _accelerator(self.device)
        best = _best_state_callback()
        callbacks: list = [best]
        if self.patience is not None:
            callbacks.append(EarlyStopping(monitor="val/example_f1", mode="max", patience=int(self.patience)))

        with _seeded(seed), _quiet(not self.verbose), tempfile.TemporaryDirectory(
            prefix="seal-estimator-"
        ) as tmp:
            with _metrics_for_one_label(L):
                module = MultilabelModule(
                    in_features=d, num_labels=L, method=self.method, threshold=self.threshold,
                    label_names=label_names, **self._groups(),
                )
            dm = MultiLabelDataModule.from_arrays(arrays, batch_size=self.batch_size, eval_batch_size=1024)
            trainer = L_.Trainer(
                max_epochs=self.max_epochs,
                accelerator=accelerator,
                devices=devices,
                logger=False,
                enable_checkpointing=False,
                enable_progress_bar=bool(self.verbose),
                enable_model_summary=False,
                num_sanity_val_steps=0,
                inference_mode=False,  # gradient-based inference needs autograd in validation
                callbacks=callbacks,
                default_root_dir=tmp,
            )
            trainer.fit(module, datamodule=dm)
            if trainer.interrupted:
                raise KeyboardInterrupt("SEALClassifier.fit was interrupted")
            if best.state is None:  # pragma: no cover - max_epochs >= 1 always validates
                raise RuntimeError("training ran no validation epoch")
            module.load_state_dict(best.state)
        module.trainer = None  # release the Trainer (and its data); the module stays usable on its own
        module.cpu().eval()
        self.module_ = module
        self.n_features_in_ = int(d)
        self.n_labels_ = int(L)
        self.classes_, self._binary_target, self._y_dtype = targets
        self.history_ = [float(h["example_f1"]) for h in module.val_history]
        self.best_val_f1_ = float(best.score)
        self.best_epoch_ = int(best.epoch)
        self.n_epochs_ = len(self.history_)
        self.seed_ = seed
        return self

    def _check_params(self) -> None:
        from seal.methods.registry import get_method

        spec = get_method(self.method)  # ValueError/KeyError naming the registered methods
        if spec.needs_task_checkpoint or spec.frozen_score_net:
            needs = ("a trained cross-entropy task-net" if spec.needs_task_checkpoint
                     else f"the frozen loss-net of a trained {spec.score_source or 'energy-network'} run")
            raise ValueError(
                f"method {self.method!r} starts from {needs} (a chained run), which SEALClassifier does not make; "
                "train it with seal experiment (a grid's 'after:' key) or seal fit --model.task_checkpoint / "
                "--model.score_checkpoint"
            )
        for name in ("hidden", "num_layers", "global_hidden", "batch_size", "max_epochs", "loss_net_steps",
                     "task_net_steps", "num_samples"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
        if self.patience is not None and (not isinstance(self.patience, (int, np.integer)) or self.patience < 0):
            raise ValueError(f"patience must be an integer >= 0 or None, got {self.patience!r}")
        if not 0.0 < float(self.validation_fraction) < 1.0:
            raise ValueError(f"validation_fraction must lie in (0, 1), got {self.validation_fraction!r}")
        if not 0.0 < float(self.threshold) < 1.0:
            raise ValueError(f"threshold must lie in (0, 1), got {self.threshold!r}")
        _accelerator(self.device)
        if not isinstance(self.random_state, (np.random.RandomState, np.random.Generator)):
            _seed_of(self.random_state)  # type and range (a RandomState / Generator is drawn from in fit only)
        self._groups()  # the groups' own checks (dropout, weights, learning rates, sample_std)

    def _groups(self) -> dict[str, Any]:
        """The :class:`~seal.tasks.mlc_features.module.MultilabelModule` hyper-parameter groups of these flat
        parameters: the same dataclasses (:mod:`seal.training.hparams`), with the same checks, as a config's
        ``model:`` groups. Both networks use ``weight_decay``; the loss-net is not clipped, the task-net at 10."""
        from seal.training.hparams import MLCLossNetHParams, MLCTaskNetHParams, ObjectiveSettings, SamplerSettings
        from seal.training.seal_module import OptimizerSettings, Schedule

        v = {name: _py(getattr(self, name)) for name in self._get_param_names()}
        return {
            "task_net": MLCTaskNetHParams(hidden=v["hidden"], num_layers=v["num_layers"], dropout=v["dropout"]),
            "loss_net": MLCLossNetHParams(global_hidden=v["global_hidden"]),
            "optimizer": OptimizerSettings(lr=v["lr"], weight_decay=v["weight_decay"], grad_clip=10.0),
            "loss_net_optimizer": OptimizerSettings(lr=v["score_lr"], weight_decay=v["weight_decay"], grad_clip=None),
            "schedule": Schedule(v["loss_net_steps"], v["task_net_steps"]),
            "objective": ObjectiveSettings(
                score_loss_weight=v["score_loss_weight"], inference_score_weight=v["inference_score_weight"]
            ),
            "sampler": SamplerSettings(num_samples=v["num_samples"], sample_std=v["sample_std"]),
        }

    # ------------------------------------------------------------------ predict
    def _check_fitted(self) -> None:
        if not hasattr(self, "module_"):
            raise NotFittedError(
                f"this {type(self).__name__} instance is not fitted yet; call fit(X, Y) before using it"
            )

    def _label_proba(self, X, batch_size: int = 1024) -> np.ndarray:
        """``(n, n_labels_)`` float32 label probabilities of validated ``X``."""
        self._check_fitted()
        if _validate_data is not None:
            X = _validate_data(
                self, X, reset=False, accept_sparse=True, dtype=(np.float32, np.float64), ensure_all_finite=False
            )
        X = _check_X(X, "X")
        if X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} features, but {type(self).__name__} is expecting {self.n_features_in_} "
                "features as input"
            )
        return predict_proba_batched(self.module_, X, batch_size=batch_size)

    def predict_proba(self, X, batch_size: int = 1024) -> np.ndarray:
        """Probabilities ``sigmoid(F(x))`` of the task-net (one forward pass).

        Args:
            X: features ``(n, d)`` with ``d == n_features_in_``; numpy or ``scipy.sparse`` (densified
                per batch).
            batch_size: rows per forward pass.

        Returns:
            float32 array: ``(n, L)`` label probabilities after a 2-D ``Y``; ``(n, 2)`` class probabilities
            in the order of ``classes_`` (rows sum to 1) after a 1-D binary ``Y``.

        Raises:
            NotFittedError: before :meth:`fit`.
            ValueError: ``X`` not 2-D, empty, complex, a non-finite value, or a feature count other than
                ``n_features_in_``.
        """
        P = self._label_proba(X, batch_size=batch_size)
        if self._binary_target:
            return np.column_stack([1.0 - P[:, 0], P[:, 0]]).astype(np.float32)
        return P

    def predict(self, X) -> np.ndarray:
        """Predicted labels, ``probability >= threshold``.

        Returns:
            After a 2-D ``Y``: ``(n, L)`` in {0, 1} with the dtype of that ``Y``. After a 1-D binary ``Y``:
            ``(n,)`` entries of ``classes_`` (its dtype), ``classes_[1]`` where the probability of the
            positive class is ``>= threshold``.

        Raises:
            NotFittedError, ValueError: as :meth:`predict_proba`.
        """
        on = self._label_proba(X) >= self.threshold
        if self._binary_target:
            return self.classes_[on[:, 0].astype(np.intp)]
        return on.astype(self._y_dtype)

    def score(self, X, y, sample_weight=None) -> float:
        """Example-based F1 of :meth:`predict` against ``Y`` (``seal.metrics.example_f1``: rows averaged,
        a row with empty gold and empty prediction scores 1.0; see ``seal.metrics.CONVENTIONS``). After a
        1-D binary ``Y`` this equals the accuracy.

        Args:
            X: features ``(n, d)``.
            y: gold labels in the form given to :meth:`fit`: ``(n, L)`` in {0, 1}, or ``(n,)`` from ``classes_``
                (named ``y`` like ``ClassifierMixin.score``, whose signature this keeps).
            sample_weight: not supported (must be ``None``); present for scikit-learn's signature.

        Raises:
            NotFittedError, ValueError: as :meth:`predict_proba`; also a ``Y`` of the wrong shape, not 0/1,
                or with a class outside ``classes_``.
        """
        if sample_weight is not None:
            raise ValueError("sample_weight is not supported")
        self._check_fitted()
        Y = _encode_targets(y, "y", self.classes_, self._binary_target)
        probs = self._label_proba(X)
        if Y.shape != probs.shape:
            raise ValueError(f"y has {Y.shape[0]} rows but X has {probs.shape[0]}")
        import torch

        from seal.metrics import example_f1

        return float(example_f1(torch.from_numpy(probs), torch.from_numpy(Y), threshold=float(self.threshold)))

    def __sklearn_tags__(self):  # pragma: no cover - only with scikit-learn >= 1.6
        """scikit-learn tags: multi-label (2-D ``Y``) or binary (1-D ``Y``) targets, no multi-class 1-D
        target, sparse input accepted, ``Y`` required."""
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        tags.target_tags.multi_output = True  # a (n, L) indicator matrix
        tags.target_tags.single_output = True  # a 1-D binary target
        tags.input_tags.sparse = True
        tags.classifier_tags.multi_class = False  # a 1-D Y with 3+ classes is refused
        tags.classifier_tags.multi_label = True
        return tags

    def _more_tags(self):  # pragma: no cover - scikit-learn < 1.6
        return {"multilabel": True, "multioutput": True, "binary_only": True, "requires_y": True}


# ---------------------------------------------------------------------------------------- helpers


def predict_proba_batched(module, X, batch_size: int = 1024) -> np.ndarray:
    """``module.predict_proba`` over the rows of ``X`` (numpy or sparse, densified per batch) in eval mode,
    on the module's device; returns ``(n, L)`` float32. The module's train/eval mode is restored."""
    import torch

    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    try:
        device = next(module.parameters()).device
    except StopIteration:  # pragma: no cover
        device = torch.device("cpu")
    n = X.shape[0]
    out = np.empty((n, int(module.hparams.num_labels)), dtype=np.float32)
    was_training = module.training
    module.eval()
    try:
        with torch.no_grad():
            for start in range(0, n, batch_size):
                block = X[start : start + batch_size]
                block = block.toarray() if sp.issparse(block) else np.asarray(block)
                x = torch.from_numpy(np.ascontiguousarray(block, dtype=np.float32)).to(device)
                out[start : start + len(x)] = module.predict_proba(x).float().cpu().numpy()
    finally:
        module.train(was_training)
    return out


def _py(value: Any) -> Any:
    """A numpy scalar as the Python number it holds (scikit-learn's searches pass numpy integers / floats)."""
    return value.item() if isinstance(value, np.generic) else value


def _check_X(X, name: str):
    """2-D, numeric, finite features; returns CSR float32 (sparse input) or a C-contiguous float32 array."""
    if sp.issparse(X):
        X = sp.csr_matrix(X)
        if X.ndim != 2:  # pragma: no cover - scipy matrices are 2-D
            raise ValueError(f"{name} must be 2-D (n_samples, n_features)")
        if not (np.issubdtype(X.dtype, np.number) or X.dtype == bool):
            raise ValueError(f"{name} must hold numbers, got dtype {X.dtype}")
        X = X.astype(np.float32)
        values = X.data
    else:
        try:
            X = np.asarray(X)
            if X.dtype.kind not in "biuf":
                X = X.astype(np.float64)
        except (TypeError, ValueError) as e:
            raise ValueError(f"{name} must hold numbers: {e}") from None
        if X.ndim != 2:
            raise ValueError(f"{name} must be 2-D (n_samples, n_features), got shape {X.shape}")
        values = X
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"{name} has shape {X.shape}; need at least one row and one feature column")
    if values.dtype.kind == "f":
        with np.errstate(over="ignore"):  # float64 beyond the float32 range becomes inf in training: reject it
            finite = np.isfinite(values.astype(np.float32, copy=False))
    else:
        finite = np.ones(values.shape, dtype=bool)
    if not finite.all():
        if sp.issparse(X):
            k = int(np.flatnonzero(~finite)[0])
            r = int(np.searchsorted(X.indptr, k, side="right") - 1)
            c = int(X.indices[k])
            v = X.data[k]
        else:
            r, c = (int(v[0]) for v in np.nonzero(~finite))
            v = X[r, c]
        raise ValueError(
            f"{name} has {int((~finite).sum())} non-finite (NaN/inf or beyond float32) value(s), first at row {r}, "
            f"column {c} ({v}); impute or drop them"
        )
    if not sp.issparse(X):
        X = np.ascontiguousarray(X, dtype=np.float32)
    return X


def _fit_targets(Y, estimator_name: str) -> tuple[np.ndarray, tuple[np.ndarray, bool, np.dtype]]:
    """Training targets -> ``(indicator, (classes_, binary_target, predict_dtype))``.

    ``indicator`` is the ``(n, L)`` uint8 0/1 matrix that is trained. A 2-D ``Y`` is an indicator matrix already
    (``classes_ = arange(L)``, ``predict`` returns its dtype); a 1-D ``Y`` is a binary target: one label,
    ``Y == classes_[1]`` with ``classes_`` its two sorted classes (``predict`` returns ``classes_``' dtype).

    Raises:
        ValueError: ``Y`` is ``None``; a 2-D ``Y`` entry that is not 0/1 (row and column named); a 1-D ``Y`` that
            is continuous (``Unknown label type``), has one class only, or more than two.
    """
    if Y is None:  # without scikit-learn's validate_data (which says the same)
        raise ValueError(f"{estimator_name} requires y to be passed, but the target y is None")
    if not sp.issparse(Y):
        Y = np.asarray(Y)
    if Y.ndim != 1:  # a label indicator matrix
        indicator = _check_Y(Y, "Y")
        return indicator, (np.arange(indicator.shape[1]), False, Y.dtype)
    if _check_classification_targets is not None:
        _check_classification_targets(Y)  # "Unknown label type: continuous ..." for a regression target
    classes = np.unique(Y)
    if len(classes) > 2:
        raise ValueError(
            f"Only binary classification is supported for a 1-D Y; found {len(classes)} classes "
            f"{classes.tolist()!r}. Pass a (n_samples, n_labels) 0/1 indicator matrix for multi-label (or "
            "one-hot multi-class) data"
        )
    if len(classes) < 2:
        raise ValueError(
            f"a 1-D Y needs two classes, found only one class {classes.tolist()!r}; pass a (n_samples, 1) "
            "0/1 indicator matrix to train a single label that may be constant"
        )
    return (Y == classes[1]).astype(np.uint8)[:, None], (classes, True, classes.dtype)


def _encode_targets(Y, name: str, classes: np.ndarray, binary_target: bool) -> np.ndarray:
    """Targets in the form the estimator was fitted on -> ``(n, L)`` uint8 indicator matrix.

    Raises:
        ValueError: after a 1-D fit, ``Y`` not 1-D or holding a class outside ``classes``; after a 2-D fit, ``Y``
            not a 0/1 matrix or with another label count.
    """
    if binary_target:
        if sp.issparse(Y):
            Y = Y.toarray()
        Y = np.asarray(Y)
        if Y.ndim != 1:
            raise ValueError(f"{name} must be 1-D (n_samples,) like the Y given to fit, got shape {Y.shape}")
        unseen = ~np.isin(Y, classes)
        if unseen.any():
            i = int(np.flatnonzero(unseen)[0])
            raise ValueError(
                f"{name} has {int(unseen.sum())} label(s) not in classes_ {classes.tolist()!r}, "
                f"first at row {i} ({Y[i].tolist()!r})"
            )
        return (Y == classes[1]).astype(np.uint8)[:, None]
    Y = _check_Y(Y, name)
    if Y.shape[1] != len(classes):
        raise ValueError(f"{name} has {Y.shape[1]} labels but the Y given to fit had {len(classes)}")
    return Y


def _check_Y(Y, name: str) -> np.ndarray:
    """2-D labels in {0, 1}; returns a dense uint8 array."""
    if sp.issparse(Y):
        Y = Y.toarray()
    try:
        Y = np.asarray(Y)
        if Y.dtype.kind not in "biuf":
            Y = Y.astype(np.float64)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{name} must hold 0/1 labels: {e}") from None
    if Y.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_samples, n_labels) with 0/1 entries, got shape {Y.shape}")
    if Y.shape[0] == 0 or Y.shape[1] == 0:
        raise ValueError(f"{name} has shape {Y.shape}; need at least one row and one label column")
    bad = (Y != 0) & (Y != 1)
    if bad.any():
        r, c = (int(v[0]) for v in np.nonzero(bad))
        raise ValueError(
            f"{name} must be binary (0/1): {int(bad.sum())} other value(s), first at row {r}, column {c} ({Y[r, c]})"
        )
    return Y.astype(np.uint8)


def _seed_of(random_state: Any) -> int:
    """``random_state`` (int, ``None``, ``RandomState`` or ``Generator``) -> the integer seed of one fit.

    Raises:
        ValueError: an int outside ``[0, 2**32)`` or another type.
    """
    if random_state is None:
        return int(np.random.SeedSequence().entropy % 2**32)
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(0, 2**32 - 1, dtype=np.int64))
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(0, 2**32 - 1))
    if isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool):
        if not 0 <= int(random_state) < 2**32:
            raise ValueError(f"random_state must lie in [0, 2**32), got {random_state}")
        return int(random_state)
    raise ValueError("random_state must be an int, None, a numpy RandomState or a numpy Generator, got "
                     f"{type(random_state).__name__}")


def _accelerator(device: str) -> tuple[str, Any]:
    """``device`` -> Lightning ``(accelerator, devices)``.

    Raises:
        ValueError: an unknown device, or a CUDA / MPS device this machine does not have.
    """
    import torch

    dev = str(device).lower()
    if dev.startswith("cuda:") and dev[5:].isdigit():
        if not torch.cuda.is_available() or int(dev[5:]) >= torch.cuda.device_count():
            raise ValueError(f"device {device!r}: this machine has {torch.cuda.device_count()} CUDA device(s)")
        return "gpu", [int(dev[5:])]
    if dev not in _DEVICES:
        raise ValueError(f"device must be one of {', '.join(_DEVICES)} or 'cuda:N', got {device!r}")
    if dev in ("cuda", "gpu") and not torch.cuda.is_available():
        raise ValueError(f"device {device!r}: no CUDA device is available here (device='auto' or 'cpu')")
    if dev == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise ValueError("device 'mps': no MPS device is available here (device='auto' or 'cpu')")
    return ("gpu" if dev == "cuda" else dev), 1


def _best_state_callback():
    """A Lightning callback keeping the best validation epoch's weights in memory (on the CPU)."""
    from lightning.pytorch.callbacks import Callback

    class BestState(Callback):
        def __init__(self) -> None:
            self.state: dict | None = None
            self.score = -math.inf
            self.epoch = -1

        def on_validation_end(self, trainer, pl_module) -> None:
            if trainer.sanity_checking:
                return
            history = getattr(pl_module, "val_history", None)
            if not history:
                return
            value = float(history[-1]["example_f1"])  # float64, as recorded in history_
            if self.state is None or value > self.score:  # strict: the first best epoch wins ties
                self.score = value
                self.epoch = int(trainer.current_epoch)
                self.state = {k: v.detach().to("cpu", copy=True) for k, v in pl_module.state_dict().items()}

    return BestState()


@contextmanager
def _seeded(seed: int):
    """Seed torch and the epoch-seeded batch sampler; restore the caller's RNG state and env afterwards."""
    import torch

    devices = list(range(torch.cuda.device_count())) if torch.cuda.is_available() else []
    old_env = os.environ.get("PL_GLOBAL_SEED")
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        os.environ["PL_GLOBAL_SEED"] = str(seed)  # read by the DataModule's sampler
        try:
            yield
        finally:
            if old_env is None:
                os.environ.pop("PL_GLOBAL_SEED", None)
            else:
                os.environ["PL_GLOBAL_SEED"] = old_env


@contextmanager
def _quiet(enabled: bool):
    """Silence Lightning's informational logging and known warnings (when not verbose)."""
    if not enabled:
        yield
        return
    loggers = [logging.getLogger(n) for n in ("lightning.pytorch", "lightning.fabric", "lightning")]
    levels = [lg.level for lg in loggers]
    try:
        for lg in loggers:
            lg.setLevel(logging.WARNING)
        with warnings.catch_warnings():
            for pattern in _NOISE:
                warnings.filterwarnings("ignore", message=pattern)
            yield
    finally:
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)


@contextmanager
def _metrics_for_one_label(num_labels: int):
    """Let :class:`~seal.tasks.mlc_features.module.MultilabelModule` be built with ``num_labels == 1``.

    The module builds ``seal.metrics.multilabel_metrics(num_labels)``, whose micro/macro-F1 and Hamming metrics
    wrap torchmetrics' ``Multilabel*`` classes; their argument validation refuses ``num_labels=1`` although the
    computation is well defined (a single binary label). For one label this swaps in the same collection without
    torchmetrics' argument/input validation (the estimator has validated the targets) while the module is built.
    Nothing changes for ``num_labels > 1``.
    """
    if num_labels != 1:
        yield
        return
    import seal.metrics as metrics

    original = metrics.multilabel_metrics

    def one_label_metrics(num_labels: int, prefix: str = "", threshold: float = 0.5, zero_division: float = 1.0):
        return metrics.MultilabelMetrics(
            num_labels, threshold=threshold, zero_division=zero_division, prefix=prefix or None, validate_args=False
        )

    metrics.multilabel_metrics = one_label_metrics
    try:
        yield
    finally:
        metrics.multilabel_metrics = original
