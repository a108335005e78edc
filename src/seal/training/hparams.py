"""Typed hyper-parameters, one small frozen dataclass per concern, shared by the modules, the configs and
:class:`seal.SEALClassifier`.

A model's ``model:`` block in a config is grouped by concern (each group is one dataclass here; the optimizer and
the schedule are :class:`~seal.training.seal_module.OptimizerSettings` and :class:`~seal.training.seal_module.Schedule`)::

    model:
      method: seal-dynamic-nce
      task_net: {hidden: 400, num_layers: 2, dropout: [0.4, 0.0]}    # MLCTaskNetHParams
      loss_net: {global_hidden: 200}                                  # MLCLossNetHParams (None = as the task-net)
      optimizer: {lr: 0.001, weight_decay: 1.0e-05, grad_clip: 10.0}  # the task-net's AdamW
      loss_net_optimizer: {lr: 0.001, weight_decay: 1.0e-05}          # the loss-net's AdamW
      schedule: {loss_net_steps: 1, task_net_steps: 1}                # S and T (seal-method.md A.6)
      objective: {score_loss_weight: 1.0, ce_weight: 1.0}             # w_s and the cross-entropy anchor
      sampler: {num_samples: 20}                                      # K candidates per example
      gbi: {steps: 20}                                                # gradient-based inference (None = method default)
      plateau: {patience: 5, factor: 0.5}                             # ReduceLROnPlateau on validation example-F1

Every group validates its own values when built (``ValueError`` naming the field), whether it comes from a config,
a checkpoint or :class:`seal.SEALClassifier`. Checkpoints store the groups as plain dictionaries (so that
``torch.load(weights_only=True)`` reads them); :func:`coerce` turns a dictionary back into its group.

Configs and checkpoints written before the grouping used flat keys (``hidden``, ``score_lr``, ``num_samples``,
``gbi_steps``, ...). :func:`nest_flat` maps them to the groups (:data:`FLAT_KEYS` is the table), :func:`flatten`
maps back (result records and the comparisons of chained checkpoints read the flat names), and
``seal migrate-config FILE`` rewrites an old config file in place.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, is_dataclass
from typing import Any, TypeVar

__all__ = [
    "FLAT_KEYS",
    "GBIOptions",
    "MLCLossNetHParams",
    "MLCTaskNetHParams",
    "ObjectiveSettings",
    "PlateauSettings",
    "SRLLossNetHParams",
    "SRLTaskNetHParams",
    "SamplerSettings",
    "SegGBIHParams",
    "SegLossNetHParams",
    "TextLossNetHParams",
    "TextTaskNetHParams",
    "coerce",
    "flatten",
    "group_dict",
    "merge_nested",
    "nest_flat",
]

T = TypeVar("T")

SPARSE_MODES = ("auto", "dense", "sparse")
DVN_SAMPLES = ("inference", "adversarial", "gold")
POOLINGS = ("mean", "first")


def _positive_int(owner: str, name: str, value: Any, *, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{owner}.{name} must be an integer >= 1, got {value!r}")


def _non_negative(owner: str, name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (value >= 0 and math.isfinite(value)):
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r} ({owner}.{name})")


def _dropout(owner: str, name: str, value: Any, *, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    values = list(value) if isinstance(value, (list, tuple)) else [value]
    for v in values:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0.0 <= v < 1.0:
            raise ValueError(f"{owner}.{name} must be a probability in [0, 1) (or a list of them), got {value!r}")


@dataclass(frozen=True)
class MLCTaskNetHParams:
    """The feature-MLC task-net: a feed-forward network ``D -> hidden^num_layers -> L`` (``seal-method.md`` B.1, G).

    Attributes:
        hidden: width of every hidden layer.
        num_layers: number of hidden layers (>= 1).
        dropout: dropout probability after every hidden layer, or one per layer.
    """

    hidden: int = 400
    num_layers: int = 2
    dropout: float | list[float] = 0.0

    def __post_init__(self) -> None:
        _positive_int("task_net", "hidden", self.hidden)
        _positive_int("task_net", "num_layers", self.num_layers)
        _dropout("task_net", "dropout", self.dropout)


@dataclass(frozen=True)
class MLCLossNetHParams:
    """The feature-MLC loss-net (score network): its own feature network, a local energy and the global energy
    ``c2^T softplus(C1 y)`` of width ``global_hidden`` (``seal-method.md`` B.1). ``None`` = as the task-net.

    Attributes:
        hidden, num_layers, dropout: its feature network (``None`` = the task-net's value).
        global_hidden: width ``G`` of the global energy.
    """

    hidden: int | None = None
    num_layers: int | None = None
    dropout: float | list[float] | None = None
    global_hidden: int = 200

    def __post_init__(self) -> None:
        _positive_int("loss_net", "hidden", self.hidden, allow_none=True)
        _positive_int("loss_net", "num_layers", self.num_layers, allow_none=True)
        _dropout("loss_net", "dropout", self.dropout, allow_none=True)
        _positive_int("loss_net", "global_hidden", self.global_hidden)


@dataclass(frozen=True)
class TextTaskNetHParams:
    """The text-MLC task-net: encoder -> pooling -> feed-forward -> label embeddings (``seal-method.md`` B.2).

    Attributes:
        trainable_layers: ``None`` fine-tunes the whole encoder (the paper), ``k >= 1`` trains its top ``k`` layers
            over cached states of the frozen bottom, ``0`` freezes it (cached pooled features).
        pooling: ``"mean"`` or ``"first"`` (token).
        hidden, num_layers, dropout: the feed-forward after pooling (the paper: one layer of the encoder's width).
    """

    trainable_layers: int | None = 0
    pooling: str = "mean"
    hidden: int = 384
    num_layers: int = 1
    dropout: float | list[float] = 0.1

    def __post_init__(self) -> None:
        _trainable("task_net", self.trainable_layers)
        _pooling("task_net", self.pooling)
        _positive_int("task_net", "hidden", self.hidden)
        _positive_int("task_net", "num_layers", self.num_layers)
        _dropout("task_net", "dropout", self.dropout)


@dataclass(frozen=True)
class TextLossNetHParams:
    """The text-MLC loss-net: its own encoder body + local energy with its own label embeddings + the global energy
    (``seal-method.md`` B.2). ``None`` = as the task-net.

    Attributes:
        trainable_layers: its encoder, as :attr:`TextTaskNetHParams.trainable_layers` (default 0: a frozen copy,
            cached).
        pooling: its pooling (``None`` = the task-net's).
        hidden, num_layers, dropout: its feed-forward (``None`` = the task-net's).
        global_hidden: width of the global energy.
    """

    trainable_layers: int | None = 0
    pooling: str | None = None
    hidden: int | None = None
    num_layers: int | None = None
    dropout: float | list[float] | None = None
    global_hidden: int = 300

    def __post_init__(self) -> None:
        _trainable("loss_net", self.trainable_layers)
        if self.pooling is not None:
            _pooling("loss_net", self.pooling)
        _positive_int("loss_net", "hidden", self.hidden, allow_none=True)
        _positive_int("loss_net", "num_layers", self.num_layers, allow_none=True)
        _dropout("loss_net", "dropout", self.dropout, allow_none=True)
        _positive_int("loss_net", "global_hidden", self.global_hidden)


def _trainable(owner: str, value: Any) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise ValueError(f"{owner}.trainable_layers must be null (all) or an integer >= 0, got {value!r}")


def _pooling(owner: str, value: Any) -> None:
    if value not in POOLINGS:
        raise ValueError(f"{owner}.pooling must be one of {POOLINGS}, got {value!r}")


@dataclass(frozen=True)
class SegLossNetHParams:
    """The segmentation loss-net (the DVN CNN score network, ``seal-method.md`` B.4): its dropout."""

    dropout: float = 0.25

    def __post_init__(self) -> None:
        _dropout("loss_net", "dropout", self.dropout)


@dataclass(frozen=True)
class SegGBIHParams:
    """Gradient-based inference of the segmentation DVN baseline (``seal-method.md`` B.4, C.2): test-time GBI per
    crop from zeros, and the training samplers (inference and adversarial GBI from the gold or zeros).

    Attributes:
        steps, lr: test-time GBI.
        train_steps, train_lr: the inference sampler (0 steps: not drawn).
        adv_steps, adv_lr: the adversarial sampler (0 steps: not drawn).
        gt_init_prob: probability that a sampler starts from the gold mask instead of zeros.
    """

    steps: int = 30
    lr: float = 0.1
    train_steps: int = 30
    train_lr: float = 0.1
    adv_steps: int = 30
    adv_lr: float = 0.1
    gt_init_prob: float = 0.5

    def __post_init__(self) -> None:
        _positive_int("gbi", "steps", self.steps)
        for name in ("train_steps", "adv_steps"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise ValueError(f"gbi.{name} must be an integer >= 0, got {v!r}")
        for name in ("lr", "train_lr", "adv_lr"):
            _non_negative("gbi", name, getattr(self, name))
        if isinstance(self.gt_init_prob, bool) or not isinstance(self.gt_init_prob, (int, float)) or not (
            0.0 <= self.gt_init_prob <= 1.0
        ):
            raise ValueError(f"gbi.gt_init_prob must be a probability in [0, 1], got {self.gt_init_prob!r}")


@dataclass(frozen=True)
class SRLTaskNetHParams:
    """The SRL task-net's top over the encoder's word states (``seal-method.md`` B.3).

    Attributes:
        top: ``"transformer"`` (a small transformer over the frozen encoder's states) or ``"encoder-layer"`` (the
            encoder's own last layer, trained).
        d_model, n_heads, ff_dim, top_layers: the transformer top.
        dropout: dropout of the top (and of the loss-net unless it sets its own).
    """

    top: str = "transformer"
    d_model: int = 256
    n_heads: int = 4
    ff_dim: int = 512
    top_layers: int = 1
    dropout: float = 0.1

    def __post_init__(self) -> None:
        if self.top not in ("transformer", "encoder-layer"):
            raise ValueError(f"task_net.top must be 'transformer' or 'encoder-layer', got {self.top!r}")
        for name in ("d_model", "n_heads", "ff_dim", "top_layers"):
            _positive_int("task_net", name, getattr(self, name))
        _dropout("task_net", "dropout", self.dropout)


@dataclass(frozen=True)
class SRLLossNetHParams:
    """The SRL loss-net (``seal-method.md`` B.3): local energy from its own word states + the global tag energy.

    Attributes:
        hidden: width of the local energy's feature layer.
        global_energy: ``"self-attention"`` (the paper's) or ``"linear-chain"`` (transitions).
        attention_dim, attention_dropout: the self-attention global energy.
        dropout: dropout of its feature layer (``None`` = the task-net's).
    """

    hidden: int = 256
    global_energy: str = "self-attention"
    attention_dim: int = 128
    attention_dropout: float = 0.1
    dropout: float | None = None

    def __post_init__(self) -> None:
        _positive_int("loss_net", "hidden", self.hidden)
        _positive_int("loss_net", "attention_dim", self.attention_dim)
        _dropout("loss_net", "attention_dropout", self.attention_dropout)
        _dropout("loss_net", "dropout", self.dropout, allow_none=True)


@dataclass(frozen=True)
class ObjectiveSettings:
    """Weights of the task-net objective (``seal-method.md`` A.5) and of the margin form (A.4 (c)), and the loss-net
    objective's reduction.

    Attributes:
        score_loss_weight: ``w_s``, the weight of ``-S(x, F(x))`` in the task-net objective.
        ce_weight: the weight of the cross-entropy anchor.
        inference_score_weight: ``lambda`` of the margin (InfNet) objective.
        margin_released_behaviour: reproduce the released margin code (double sigmoid, dropped cost-augmented
            output; ``seal-method.md`` H.2-H.3) instead of the paper's form.
        loss_net_reduction: ``"sum"`` or ``"mean"`` over the batch (and, for segmentation's regression objectives,
            the candidates) of the loss-net objective; ``None`` = the objective's default (see
            :mod:`seal.objectives.loss_net`).
    """

    score_loss_weight: float = 0.0
    ce_weight: float = 1.0
    inference_score_weight: float = 0.0
    margin_released_behaviour: bool = False
    loss_net_reduction: str | None = None

    def __post_init__(self) -> None:
        for name in ("score_loss_weight", "ce_weight", "inference_score_weight"):
            _non_negative("objective", name, getattr(self, name))
        if self.loss_net_reduction not in (None, "sum", "mean"):
            raise ValueError(f"objective.loss_net_reduction must be 'sum', 'mean' or null, got {self.loss_net_reduction!r}")


@dataclass(frozen=True)
class SamplerSettings:
    """Candidates of the loss-net objectives (``seal-method.md`` A.4).

    Attributes:
        num_samples: ``K`` samples per example (NCE, ranking, regression-s).
        sample_std: std of the Gaussian-logit perturbations (regression-s).
        dvn_samples: the samples the ``dvn-gbi`` loss-net regresses on, a non-empty subset of
            ``["inference", "adversarial", "gold"]`` (``None`` = all three, as the released ``pdvn``).
        sparse: ``"auto"``: discrete candidates kept as index lists and sparse inputs through the first layer
            (:mod:`seal.core.sparse`); ``"dense"``: the dense reference path; ``"sparse"``: an error where no sparse
            path exists.
    """

    num_samples: int = 20
    sample_std: float = 1.0
    dvn_samples: list[str] | None = None
    sparse: str = "auto"

    def __post_init__(self) -> None:
        if isinstance(self.num_samples, bool) or not isinstance(self.num_samples, int) or self.num_samples < 1:
            raise ValueError(f"num_samples (K) must be an integer >= 1, got {self.num_samples!r}")
        if isinstance(self.sample_std, bool) or not isinstance(self.sample_std, (int, float)) or not (
            self.sample_std > 0 and math.isfinite(self.sample_std)
        ):
            raise ValueError(f"sample_std must be > 0, got {self.sample_std!r}")
        if self.dvn_samples is not None:
            names = list(self.dvn_samples)
            bad = [k for k in names if k not in DVN_SAMPLES]
            if bad or not names or len(set(names)) != len(names):
                raise ValueError(
                    f"dvn_samples must be a non-empty list of distinct names from {DVN_SAMPLES}, got {self.dvn_samples!r}"
                )
        if self.sparse not in SPARSE_MODES:
            raise ValueError(f"sparse must be one of {SPARSE_MODES}, got {self.sparse!r}")

    @property
    def dvn_sample_names(self) -> tuple[str, ...]:
        return tuple(self.dvn_samples) if self.dvn_samples is not None else DVN_SAMPLES


@dataclass(frozen=True)
class GBIOptions:
    """Gradient-based inference as configured; ``None`` = the method's default
    (:class:`seal.methods.registry.GBIDefaults`). :meth:`resolve` gives the :class:`seal.methods.gbi.GBISettings`.

    Attributes:
        init: ``"task-net"``, ``"zeros"`` or ``"uniform"``.
        lr: step size.
        steps: steps at validation / test / prediction.
        num_inits: initial points per example.
        train_steps: steps of the training samplers.
        method: ``"adam"`` (as released), ``"sgd"`` or ``"mirror"``.
        eval_seed: seed of the uniform initialisations at evaluation (each batch draws from its own generator).
    """

    init: str | None = None
    lr: float | None = None
    steps: int | None = None
    num_inits: int | None = None
    train_steps: int | None = None
    method: str = "adam"
    eval_seed: int = 0

    def resolve(self, defaults) -> Any:
        """The :class:`~seal.methods.gbi.GBISettings` of these options over a method's ``defaults`` (checked there).
        ``num_inits`` defaults to the method's only when the init is the method's (else 1)."""
        from seal.methods.gbi import GBISettings

        d = defaults
        return GBISettings(
            init=d.init if self.init is None else self.init,
            lr=d.lr if self.lr is None else self.lr,
            steps=d.steps if self.steps is None else self.steps,
            num_inits=(d.num_inits if self.init in (None, d.init) else 1) if self.num_inits is None else self.num_inits,
            method=self.method,
            train_steps=d.train_steps if self.train_steps is None else self.train_steps,
        )


@dataclass(frozen=True)
class PlateauSettings:
    """ReduceLROnPlateau on the validation selection metric: epochs without improvement, and the factor."""

    patience: int = 5
    factor: float = 0.5

    def __post_init__(self) -> None:
        if isinstance(self.patience, bool) or not isinstance(self.patience, int) or self.patience < 0:
            raise ValueError(f"plateau.patience must be an integer >= 0, got {self.patience!r}")
        if isinstance(self.factor, bool) or not isinstance(self.factor, (int, float)) or not 0 < self.factor < 1:
            raise ValueError(f"plateau.factor must lie in (0, 1), got {self.factor!r}")


def coerce(cls: type[T], value: T | Mapping[str, Any] | None, default: T | None = None, *, name: str = "") -> T:
    """``value`` as a ``cls`` instance: an instance is returned as is, a mapping (a config or checkpoint entry) is
    built field by field (missing fields take ``default``'s values), ``None`` gives ``default`` (or ``cls()``).

    Raises:
        ValueError: a mapping with a key that is not a field of ``cls`` (named, with the valid fields), or a value
            the group refuses.
    """
    base = default if default is not None else cls()
    if value is None:
        return base
    if isinstance(value, cls):
        return value
    if is_dataclass(value) and not isinstance(value, type):
        value = asdict(value)
    if not isinstance(value, Mapping):
        raise ValueError(f"model.{name or cls.__name__} must be a mapping of {cls.__name__} fields, got {value!r}")
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(value) - known)
    if unknown:
        raise ValueError(f"model.{name or cls.__name__}: unknown key(s) {unknown}; valid keys: {sorted(known)}")
    return cls(**{**asdict(base), **dict(value)})


def group_dict(value: Any) -> dict[str, Any]:
    """A group as a plain dictionary (what checkpoints store); lists inside stay lists."""
    return asdict(value) if is_dataclass(value) else dict(value)


# flat key of the configs before the grouping -> (group, field); the rest of the flat keys (method, in_features,
# num_labels, threshold, label_names, task_checkpoint, score_checkpoint, encoder) stay at the top of ``model:``
_COMMON = {
    "lr": ("optimizer", "lr"),
    "weight_decay": ("optimizer", "weight_decay"),
    "grad_clip": ("optimizer", "grad_clip"),
    "score_lr": ("loss_net_optimizer", "lr"),
    "score_weight_decay": ("loss_net_optimizer", "weight_decay"),
    "score_grad_clip": ("loss_net_optimizer", "grad_clip"),
    "loss_net_steps": ("schedule", "loss_net_steps"),
    "task_net_steps": ("schedule", "task_net_steps"),
    "batch_task_forward": ("schedule", "batch_task_forward"),
    "share_task_forward": ("schedule", "share_task_forward"),
    "score_loss_weight": ("objective", "score_loss_weight"),
    "ce_weight": ("objective", "ce_weight"),
    "inference_score_weight": ("objective", "inference_score_weight"),
    "margin_released_behaviour": ("objective", "margin_released_behaviour"),
    "num_samples": ("sampler", "num_samples"),
    "sample_std": ("sampler", "sample_std"),
    "dvn_samples": ("sampler", "dvn_samples"),
    "sparse": ("sampler", "sparse"),
    "gbi_init": ("gbi", "init"),
    "gbi_lr": ("gbi", "lr"),
    "gbi_steps": ("gbi", "steps"),
    "gbi_num_inits": ("gbi", "num_inits"),
    "gbi_train_steps": ("gbi", "train_steps"),
    "gbi_method": ("gbi", "method"),
    "gbi_eval_seed": ("gbi", "eval_seed"),
    "plateau_patience": ("plateau", "patience"),
    "plateau_factor": ("plateau", "factor"),
    "hidden": ("task_net", "hidden"),
    "num_layers": ("task_net", "num_layers"),
    "dropout": ("task_net", "dropout"),
    "score_hidden": ("loss_net", "hidden"),
    "score_num_layers": ("loss_net", "num_layers"),
    "score_dropout": ("loss_net", "dropout"),
    "global_hidden": ("loss_net", "global_hidden"),
}
_TEXT = {
    "trainable_layers": ("task_net", "trainable_layers"),
    "pooling": ("task_net", "pooling"),
    "score_trainable_layers": ("loss_net", "trainable_layers"),
    "score_pooling": ("loss_net", "pooling"),
}

_SHARED = {k: v for k, v in _COMMON.items() if v[0] in ("optimizer", "loss_net_optimizer", "schedule", "plateau")}
# the objective weights and K, which every SEAL module has
_SEAL = {k: _COMMON[k] for k in ("score_loss_weight", "ce_weight", "num_samples")}
_SEGMENTATION = {
    **_SHARED,
    **_SEAL,
    "loss_net_reduction": ("objective", "loss_net_reduction"),
    "sample_std": ("sampler", "sample_std"),
    "score_dropout": ("loss_net", "dropout"),
    "gbi_steps": ("gbi", "steps"),
    "gbi_lr": ("gbi", "lr"),
    "train_gbi_steps": ("gbi", "train_steps"),
    "train_gbi_lr": ("gbi", "train_lr"),
    "adv_gbi_steps": ("gbi", "adv_steps"),
    "adv_gbi_lr": ("gbi", "adv_lr"),
    "gt_init_prob": ("gbi", "gt_init_prob"),
}
_SRL = {
    **_SHARED,
    **_SEAL,
    **{k: ("task_net", k) for k in ("top", "d_model", "n_heads", "ff_dim", "top_layers", "dropout")},
    "loss_hidden": ("loss_net", "hidden"),
    **{k: ("loss_net", k) for k in ("global_energy", "attention_dim", "attention_dropout")},
    **{f"gbi_{k}": ("gbi", k) for k in ("init", "method", "lr", "steps")},
}
_INJECTED = {**_SHARED, **_SEAL, "sample_std": ("sampler", "sample_std")}

#: The flat (pre-grouping) ``model:`` keys of each task (and of :class:`~seal.training.seal_module.InjectedSEALModule`,
#: ``"injected"``), mapped to ``(group, field)``.
FLAT_KEYS: dict[str, dict[str, tuple[str, str]]] = {
    "multilabel": dict(_COMMON), "text-mlc": {**_COMMON, **_TEXT}, "segmentation": _SEGMENTATION, "srl": _SRL,
    "injected": _INJECTED,
}


def nest_flat(model: Mapping[str, Any], task: str = "multilabel") -> dict[str, Any]:
    """A flat (pre-grouping) ``model:`` mapping of ``task`` as the grouped one; keys already grouped and the
    top-level keys pass through, in order. The identity on an already grouped mapping.

    Raises:
        ValueError: a flat key and its group's field both given with different values.
    """
    table = FLAT_KEYS.get(task, {})
    out: dict[str, Any] = {}
    for key, value in model.items():
        if key in table or (key.count(".") == 1 and key.split(".")[0] in {g for g, _ in table.values()}):
            group, field = table[key] if key in table else key.split(".")
            slot = out.setdefault(group, {})
            if not isinstance(slot, dict):
                slot = out[group] = group_dict(slot)
            if field in slot and slot[field] != value:
                raise ValueError(f"model.{key} ({value!r}) and model.{group}.{field} ({slot[field]!r}) disagree")
            slot[field] = value
        elif isinstance(value, Mapping) and isinstance(out.get(key), dict):
            for f, v in value.items():
                if f in out[key] and out[key][f] != v:
                    raise ValueError(f"model.{key}.{f} given twice with different values ({out[key][f]!r}, {v!r})")
                out[key][f] = v
        else:
            out[key] = dict(value) if isinstance(value, Mapping) else value
    return out


def merge_nested(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``over``'s values: a group in both is merged field by field (``over`` wins), anything else is
    replaced."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = {**dict(out[key]), **dict(value)}
        else:
            out[key] = value
    return out


def flatten(model: Mapping[str, Any], task: str = "multilabel") -> dict[str, Any]:
    """The flat (pre-grouping) names of a grouped ``model:`` mapping (or of a checkpoint's hyper-parameters):
    the inverse of :func:`nest_flat`. Flat input passes through unchanged; groups without a flat name for a field
    (e.g. ``optimizer.kind``) keep ``group.field`` keys."""
    back = {v: k for k, v in FLAT_KEYS.get(task, {}).items()}
    groups = {g for g, _ in back}
    out: dict[str, Any] = {}
    for key, value in model.items():
        if key in groups and (isinstance(value, Mapping) or is_dataclass(value)):
            for f, v in group_dict(value).items():
                out[back.get((key, f), f"{key}.{f}")] = v
        else:
            out[key] = value
    return out


def flat_keys_in(model: Mapping[str, Any], task: str) -> list[str]:
    """The flat (pre-grouping) keys a ``model:`` mapping of ``task`` still uses, in order."""
    table = FLAT_KEYS.get(task, {})
    return [k for k in model if k in table]


def flat_argv_keys(argv: list[str], task: str) -> list[tuple[str, str]]:
    """``(old, new)`` option names of the flat ``--model.KEY`` options in a command line (``--model.hidden`` ->
    ``--model.task_net.hidden``)."""
    table = FLAT_KEYS.get(task, {})
    out = []
    for arg in argv:
        if arg.startswith("--model."):
            key = arg[len("--model."):].split("=", 1)[0]
            if key in table:
                group, field = table[key]
                out.append((f"--model.{key}", f"--model.{group}.{field}"))
    return out


def migrate_argv(argv: list[str], task: str) -> list[str]:
    """A command line with its flat ``--model.KEY`` options renamed to their groups (values unchanged)."""
    renames = dict(flat_argv_keys(argv, task))
    out = []
    for arg in argv:
        name, eq, value = arg.partition("=")
        out.append(renames.get(name, name) + eq + value if name in renames else arg)
    return out


def migrate_config_text(text: str, task: str | None = None) -> tuple[str, list[str], list[str]]:
    """A config file's text with its flat ``model:`` keys grouped (:func:`nest_flat`), the keys moved, and the
    comments below the header that the rewrite could not keep (to be reported, never dropped silently).

    The leading comment lines (the header) are kept; the rest is written back as YAML in its original key order
    (``task`` from the file's ``task:`` key when not given, else ``"multilabel"``). Text with nothing to move is
    returned unchanged.

    Raises:
        ValueError: the text is not a YAML mapping, or a flat key and its group's field disagree.
    """
    import yaml

    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise ValueError("not a YAML mapping")
    task = task or str(data.get("task") or "multilabel")
    model = data.get("model")
    if not isinstance(model, dict):
        return text, [], []
    moved = flat_keys_in(model, task)
    if not moved:
        return text, [], []
    data["model"] = nest_flat(model, task)
    lines = text.splitlines()
    header = []
    for line in lines:
        if line.startswith("#") or not line.strip():
            header.append(line)
        else:
            break
    dropped = [line.strip() for line in lines[len(header):] if "#" in line]
    body = yaml.safe_dump(data, sort_keys=False, default_flow_style=False)
    return ("\n".join(header) + "\n" if header else "") + body, moved, dropped
