"""The LightningModule for feature-based multi-label classification: every registered method.

One module with manual optimization covers every method, because they differ only in which network is
trained, the loss-net objective, the schedule and how predictions are made (``seal-method.md`` A.2-A.7,
C.1, C.2). The schedule, the two steps and the optimizers are :class:`~seal.training.seal_module.SEALModule`'s
(shared with every task); this module builds the feature-MLC networks and adds the multi-label-only pieces:

* ``cross-entropy``: task-net loss = batch mean of summed BCE (no loss-net is built or trained); ``T``
  task-net steps per batch (default 1). ``T > 1`` is the matched control for a SEAL-dynamic run with the same
  ``T``: the same task-net updates without the loss-net term.
* ``seal-dynamic-{nce,ranking,regression,regression-s}``: per batch, ``T x (S loss-net steps, then one
  task-net step)`` on the same batch, samples redrawn at every loss-net step.
* ``seal-dynamic-margin`` (InfNet form): per batch, ``S x (T task-net steps, then one loss-net step)``
  (``inner_mode = task_nn`` in the released configs), with the cost-augmented network trained by the
  task-net optimizer.
* energy-network baselines ``spen-gbi``, ``dvn-gbi``, ``nce-gbi``: only the loss-net has an optimizer
  (``S`` loss-net steps per batch; ``task_net_steps`` is ignored); validation, test and prediction run
  gradient-based inference (GBI) on the score network. ``spen-gbi`` / ``nce-gbi`` load a fixed
  cross-entropy task-net from ``task_checkpoint`` (GBI initialiser / noise distribution, in the
  module's mode, i.e. with dropout during training as in the release, H.9); ``dvn-gbi`` builds a
  task-net too but never uses or optimizes it (the released ``pdvn`` has none).
* SEAL-static ``seal-static-{margin,regression,nce}``: the loss-net is loaded from ``score_checkpoint``
  (a baseline run of the same dataset and architecture, checked) and frozen (``requires_grad=False``, no
  optimizer); the task-net is trained with the SEAL-dynamic task-net objective, ``T`` task-net steps per
  batch (``loss_net_steps`` is ignored). The frozen net keeps dropout active in training (H.11).

Checkpoints named by ``task_checkpoint`` / ``score_checkpoint`` are read (``weights_only=True``) when
fitting starts (``setup("fit")``), not in ``__init__``: a model rebuilt from a saved run's
hyper-parameters (``seal test``, ``seal predict``) takes those weights from its own ``state_dict``.

"Step" means one training batch, counted here (``batches_seen``), never ``trainer.global_step`` (which
counts every optimizer step under manual optimization).

Gradient isolation: loss-net steps see task-net outputs computed under ``torch.no_grad``; task-net steps
run with the loss-net's parameters temporarily set to ``requires_grad=False`` and restored afterwards
to their *original* flags, so frozen parameters stay frozen.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any

import torch
from torch import nn

from seal.core.spaces import MultiLabelSpace
from seal.inference.gbi import GBIError
from seal.methods.registry import MethodSpec, get_method
from seal.task_nets.mlc import MLCTaskNet
from seal.training.hparams import (
    DVN_SAMPLES,
    GBIOptions,
    MLCLossNetHParams,
    MLCTaskNetHParams,
    ObjectiveSettings,
    PlateauSettings,
    SamplerSettings,
    flatten,
)
from seal.training.seal_module import OptimizerSettings, Schedule, SEALModule
from seal.training.steps import NonFiniteError  # noqa: F401 (re-exported)

__all__ = ["DVN_SAMPLES", "MAX_CANDIDATE_BYTES", "MultilabelModule", "NonFiniteError"]


# Largest candidate tensor (B x (K+1) x L float32, in bytes) a loss-net step may allocate.
MAX_CANDIDATE_BYTES = 2 << 30


class MultilabelModule(SEALModule):
    """Task-net (+ loss-net) training for feature-based multi-label classification.

    A :class:`~seal.training.seal_module.SEALModule` (schedule, steps, optimizers shared with every task) that
    builds the feature-MLC networks from flat hyper-parameters (the configs' ``model:`` keys) and adds what only
    multi-label methods have: the margin form's cost-augmented network, the SPEN baseline's cost-augmented GBI,
    GBI prediction for the energy-network baselines and loading fixed / frozen networks from checkpoints.

    Args:
        in_features: input width ``D`` (linked from the DataModule by the CLI).
        num_labels: number of labels ``L`` (linked from the DataModule by the CLI).
        method: a registered method name (see :mod:`seal.methods.registry`).
        task_net: the task-net's feed-forward network (:class:`~seal.training.hparams.MLCTaskNetHParams`).
        loss_net: the loss-net's feature network and global energy width
            (:class:`~seal.training.hparams.MLCLossNetHParams`; ``None`` fields = as the task-net).
        optimizer: the task-net's (and the cost-augmented net's) AdamW and gradient clipping
            (:class:`~seal.training.seal_module.OptimizerSettings`; the paper's SEAL configs clip it at 10).
        loss_net_optimizer: the loss-net's AdamW (unclipped by default).
        schedule: ``S`` and ``T`` per batch (A.6) and ``batch_task_forward`` (the S no-grad task-net passes of one
            T-iteration in one call; ``False`` reproduces the sequential loop, e.g. for benchmarks)
            (:class:`~seal.training.seal_module.Schedule`).
        objective: ``w_s``, the cross-entropy anchor's weight, the margin objective's ``lambda`` and its released
            form (:class:`~seal.training.hparams.ObjectiveSettings`).
        sampler: ``K``, the Gaussian-logit std (regression-s), the ``dvn-gbi`` samples and the sparse / dense
            candidate path (:class:`~seal.training.hparams.SamplerSettings`; ``sparse="auto"`` keeps discrete NCE /
            ranking candidates as index lists and sends CSR / COO input batches through the first layer sparsely).
        gbi: gradient-based inference (:class:`~seal.training.hparams.GBIOptions`; ``None`` fields = the method's
            default, :class:`seal.methods.registry.GBIDefaults`).
        plateau: ReduceLROnPlateau on validation example-F1 (task-net) (:class:`~seal.training.hparams.PlateauSettings`).
        threshold: decision threshold for the metrics (the paper uses 0.5).
        label_names: label names, stored in checkpoints for ``seal predict``.
        task_checkpoint: checkpoint of a cross-entropy run whose task-net is loaded and kept fixed
            (``spen-gbi``: GBI initialiser; ``nce-gbi``: noise distribution). Required by those methods.
        score_checkpoint: checkpoint of an energy-network run whose loss-net (``score_net.*``) is
            loaded and frozen (SEAL-static). Required by ``seal-static-*``.

    Every group may be given as its dataclass or as a mapping of some of its fields (the rest keep this module's
    defaults); configs give mappings (``model.sampler.num_samples: 20``). Checkpoints store the groups as
    dictionaries. :meth:`from_hparams` also reads the flat keys of configs and checkpoints written before the
    grouping (:func:`seal.training.hparams.nest_flat`).

    Raises:
        ValueError: unknown method or an out-of-range hyper-parameter (K, S, T < 1; negative weights
            or learning rates; bad GBI settings; an unknown key in a group), before any training.
    """

    selection_metric = "example_f1"
    #: the task whose flat (pre-grouping) keys :func:`seal.training.hparams.nest_flat` maps for this module
    hparams_task = "multilabel"

    def __init__(
        self,
        in_features: int = 0,
        num_labels: int = 0,
        method: str = "cross-entropy",
        task_net: MLCTaskNetHParams = MLCTaskNetHParams(),
        loss_net: MLCLossNetHParams = MLCLossNetHParams(),
        optimizer: OptimizerSettings = OptimizerSettings(lr=1e-3, weight_decay=1e-5, grad_clip=10.0),
        loss_net_optimizer: OptimizerSettings = OptimizerSettings(lr=1e-3, weight_decay=1e-5, grad_clip=None),
        schedule: Schedule = Schedule(),
        objective: ObjectiveSettings = ObjectiveSettings(),
        sampler: SamplerSettings = SamplerSettings(),
        gbi: GBIOptions = GBIOptions(),
        plateau: PlateauSettings = PlateauSettings(patience=5, factor=0.5),
        threshold: float = 0.5,
        label_names: list[str] | None = None,
        task_checkpoint: str | None = None,
        score_checkpoint: str | None = None,
    ) -> None:
        super().__init__()
        self.automatic_optimization = False
        spec: MethodSpec = get_method(method)
        _check_positive_int("in_features", in_features)
        _check_positive_int("num_labels", num_labels)
        groups = self.save_grouped_hparams(
            {"in_features": in_features, "num_labels": num_labels, "method": method, "threshold": threshold,
             "label_names": label_names, "task_checkpoint": task_checkpoint, "score_checkpoint": score_checkpoint,
             **self._extra_hparams()},
            {"task_net": task_net, "loss_net": loss_net, "optimizer": optimizer, "loss_net_optimizer": loss_net_optimizer,
             "schedule": schedule, "objective": objective, "sampler": sampler, "gbi": gbi, "plateau": plateau},
        )
        self.task_net_hparams: Any = groups["task_net"]
        self.loss_net_hparams: Any = groups["loss_net"]
        self.objective_settings: ObjectiveSettings = groups["objective"]
        self.sampler_settings: SamplerSettings = groups["sampler"]
        schedule, plateau = groups["schedule"], groups["plateau"]
        if (
            spec.trains_task_net and spec.uses_score_net and self.objective_settings.score_loss_weight == 0
            and spec.loss_net_objective != "margin"
        ):
            raise ValueError(f"method {spec.name!r} needs score_loss_weight > 0 (w_s); 0 is plain cross-entropy")
        if not 0.0 < threshold < 1.0:
            raise ValueError(f"threshold must lie in (0, 1), got {threshold}")
        self.gbi_settings = groups["gbi"].resolve(spec.gbi)
        self.dvn_samples = self.sampler_settings.dvn_sample_names
        sparse = self.sampler_settings.sparse

        task_net, score_net = self.build_networks(spec)
        self.cost_augmented: nn.Module | None = None
        if spec.loss_net_objective == "margin":
            from seal.task_nets.cost_augmented import CostAugmentedNet

            self.cost_augmented = CostAugmentedNet(num_labels)
        space = MultiLabelSpace()
        loss_net_loss, task_loss = spec.build_objectives(self.flat_hparams, space)
        # fixed networks (the task-net of the energy baselines, the loss-net of SEAL-static) get no gradients;
        # dropout still follows the module's train/eval mode
        self.setup_seal(
            spec=spec, space=space, task_net=task_net, score_net=score_net, loss_net_loss=loss_net_loss,
            task_loss=task_loss, schedule=schedule,
            task_optimizer=groups["optimizer"], score_optimizer=groups["loss_net_optimizer"],
            plateau_patience=plateau.patience, plateau_factor=plateau.factor,
        )
        from seal.core.sparse import resolve_sparse_mode

        resolve_sparse_mode("MultilabelModule", sparse)
        for net in (self.task_net, self.score_net):
            if net is not None:
                for ff in net.modules():
                    if hasattr(ff, "sparse_inputs"):
                        ff.sparse_inputs = "dense" if sparse == "dense" else "auto"
        self._pretrained_loaded = False

        from seal.metrics import multilabel_metrics

        self.val_metrics = multilabel_metrics(num_labels, threshold=threshold)
        self.test_metrics = multilabel_metrics(num_labels, threshold=threshold)

    def build_networks(self, spec: MethodSpec) -> tuple[nn.Module, nn.Module | None]:
        """The task-net and (for methods that use one) the loss-net, from the saved hyper-parameters: the feature-MLC
        :class:`~seal.task_nets.mlc.MLCTaskNet` and :class:`~seal.energies.mlc.MLCScoreNet`. Tasks on other inputs
        (text MLC) override this and keep everything else of the module."""
        hp, t, s = self.hparams, self.task_net_hparams, self.loss_net_hparams
        task_net = MLCTaskNet(hp.in_features, hp.num_labels, t.hidden, t.num_layers, t.dropout)
        score_net: nn.Module | None = None
        if spec.uses_score_net:
            from seal.energies.mlc import MLCScoreNet

            score_net = MLCScoreNet(
                hp.in_features,
                hp.num_labels,
                hidden=s.hidden or t.hidden,
                num_layers=s.num_layers or t.num_layers,
                dropout=t.dropout if s.dropout is None else s.dropout,
                global_hidden=s.global_hidden,
            )
        return task_net, score_net

    # ------------------------------------------------------------------ hyper-parameters
    def _extra_hparams(self) -> dict[str, Any]:
        """Top-level hyper-parameters a subclass adds to the checkpoint (text MLC: the encoder)."""
        return {}

    # ------------------------------------------------------------------ forward / inference
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(B, L)`` for features ``(B, D)`` such that ``sigmoid(forward(x))`` are the model's
        label probabilities: the task-net's logits, or, for methods that predict by GBI, the logits
        ``logit(clamp(ŷ, 1e-6, 1 - 1e-6))`` of the GBI output ``ŷ``."""
        if self.spec.predict_with_gbi:
            return torch.logit(self.predict_probs(x), eps=1e-6)
        return self.task_net(x)

    def predict_probs(self, x: torch.Tensor, batch_idx: int = 0, stage: str = "prediction") -> torch.Tensor:
        """Label probabilities ``(B, L)`` in the module's current mode: ``sigmoid(task-net(x))``, or the
        relaxed GBI output in ``[0, 1]`` for the energy-network baselines (``seal-method.md`` A.7).

        GBI's uniform initialisations draw from a generator seeded by ``(gbi_eval_seed, batch_idx)``.

        Raises:
            seal.inference.GBIError: GBI met a non-finite energy or gradient; the message names the
                example (within the batch), the step, the stage and the batch.
        """
        if not self.spec.predict_with_gbi:
            return torch.sigmoid(self.task_net(x))
        from seal.methods.gbi import gbi_predict

        gen = None
        if self.gbi_settings.init == "uniform":
            gen = torch.Generator(device=x.device if isinstance(x, torch.Tensor) else self.device)
            gen.manual_seed(int(self.hparams.gbi["eval_seed"]) * 1_000_003 + int(batch_idx))
        try:
            return gbi_predict(
                self.score_net, x, self.gbi_settings, self.spec.gbi_transform, task_net=self.task_net, generator=gen
            )
        except GBIError as exc:
            raise GBIError(f"{exc} ({stage} batch {batch_idx}; no prediction is returned)") from None

    @torch.no_grad()
    def predict_proba(self, x: torch.Tensor) -> torch.Tensor:
        """Label probabilities, shape ``(B, L)``: ``sigmoid(F(x))``, or the GBI output for the
        energy-network baselines (see :meth:`predict_probs`)."""
        return self.predict_probs(x)

    # ------------------------------------------------------------------ optimizers
    def task_parameters(self) -> list[nn.Parameter]:
        params = list(self.task_net.parameters())
        if self.cost_augmented is not None:
            params += list(self.cost_augmented.parameters())
        return params

    # ------------------------------------------------------------------ training
    def setup(self, stage: str) -> None:
        dm = getattr(self.trainer, "datamodule", None) if self._trainer is not None else None
        if stage == "fit":
            self.load_pretrained(dataset=getattr(dm, "dataset", None))
        bs = getattr(dm, "batch_size", None)
        if bs and self.spec.uses_samples:
            k = self.sampler_settings.num_samples
            need = bs * (k + 1) * self.hparams.num_labels * 4
            if need > MAX_CANDIDATE_BYTES:
                raise ValueError(
                    f"num_samples={k} at batch_size={bs} with {self.hparams.num_labels} labels "
                    f"needs {need / 2**30:.1f} GiB per candidate tensor (limit {MAX_CANDIDATE_BYTES / 2**30:.0f} GiB); "
                    "lower num_samples or batch_size"
                )

    # ------------------------------------------------------------------ pre-trained networks
    def load_pretrained(self, dataset: str | None = None, *, force: bool = False) -> None:
        """Load ``task_checkpoint`` / ``score_checkpoint`` as the method requires (once per module).

        Args:
            dataset: the training data's dataset name, compared with the checkpoints' (if stored).
            force: load again even if already loaded.

        Raises:
            ValueError: a required checkpoint is not configured; a checkpoint that does not match
                (:class:`seal.methods.pretrained.CheckpointMismatchError`, listing every differing
                shape / hyper-parameter).
            FileNotFoundError: a configured checkpoint does not exist.
        """
        if self._pretrained_loaded and not force:
            return
        hp, spec = self.hparams, self.spec
        if spec.needs_task_checkpoint:
            if not hp.task_checkpoint:
                role = "the GBI initialiser" if spec.gbi.init == "task-net" else "the noise distribution"
                raise ValueError(
                    f"method {spec.name!r} needs model.task_checkpoint: the checkpoint of a cross-entropy run on the "
                    f"same dataset (its task-net is kept fixed as {role}); "
                    "pass --model.task_checkpoint=PATH or chain the runs with a grid's 'after:' key"
                )
            self.load_task_checkpoint(hp.task_checkpoint, dataset=dataset)
        elif hp.task_checkpoint:
            raise ValueError(f"model.task_checkpoint is set but method {spec.name!r} does not use a pre-trained task-net")
        if spec.frozen_score_net:
            if not hp.score_checkpoint:
                raise ValueError(
                    f"method {spec.name!r} needs model.score_checkpoint: the checkpoint of a {spec.score_source} run on "
                    "the same dataset with the same loss-net architecture; pass --model.score_checkpoint=PATH or chain "
                    "the runs with a grid's 'after:' key"
                )
            self.load_score_checkpoint(hp.score_checkpoint, dataset=dataset)
        elif hp.score_checkpoint:
            raise ValueError(f"model.score_checkpoint is set but method {spec.name!r} does not load a frozen loss-net")
        self._pretrained_loaded = True

    def _score_arch(self, hp) -> dict:
        """The loss-net's architecture in a module's or a checkpoint's hyper-parameters (grouped or flat)."""
        hp = flatten(hp, self.hparams_task)
        return {
            "in_features": hp.get("in_features"),
            "num_labels": hp.get("num_labels"),
            "score_hidden": hp.get("score_hidden") or hp.get("hidden", 400),
            "score_num_layers": hp.get("score_num_layers") or hp.get("num_layers", 2),
            "global_hidden": hp.get("global_hidden", 200),
        }

    def load_score_checkpoint(self, path: str, dataset: str | None = None) -> dict:
        """Copy ``score_net.*`` of the checkpoint at ``path`` into this model's loss-net (checked first).

        Compared: every tensor shape, ``in_features``, ``num_labels``, the loss-net width / depth /
        global width, the label names and the dataset name (when stored). A checkpoint of another
        method than :attr:`MethodSpec.score_source` is accepted with a warning.
        """
        from seal.methods.pretrained import load_subnetwork
        from seal.training.checkpoint import read_checkpoint  # weights-only, checksum verified

        if self.score_net is None:
            raise ValueError(f"method {self.spec.name!r} has no loss-net to load")
        ckpt = read_checkpoint(path, "score checkpoint")
        theirs = dict(ckpt.get("hyper_parameters") or {})
        load_subnetwork(
            path, "score_net.", self.score_net, ckpt=ckpt, what="score checkpoint",
            expect=self._score_arch(dict(self.hparams)), checkpoint_hparams=self._score_arch(theirs),
            label_names=self.hparams.label_names, dataset=dataset,
        )
        source = theirs.get("method")
        if self.spec.score_source and source and source != self.spec.score_source:
            from lightning.pytorch.utilities import rank_zero_warn

            rank_zero_warn(
                f"{self.spec.name}: the loss-net in {path} was trained with {source!r}, not {self.spec.score_source!r} "
                "as in the paper's pairing"
            )
        return ckpt

    def load_task_checkpoint(self, path: str, dataset: str | None = None) -> dict:
        """Copy ``task_net.*`` of the checkpoint at ``path`` into this model's task-net (checked first)."""
        keys = ("in_features", "num_labels", "hidden", "num_layers")
        return self._load_task_net(path, keys, dataset)

    def _load_task_net(self, path: str, keys: tuple[str, ...], dataset: str | None) -> dict:
        """Copy ``task_net.*`` of a checkpoint after comparing ``keys`` (flat names) of both hyper-parameters."""
        from seal.methods.pretrained import load_subnetwork
        from seal.training.checkpoint import read_checkpoint  # weights-only, checksum verified

        mine = self.flat_hparams
        ckpt = read_checkpoint(path, "task checkpoint")
        theirs = flatten(dict(ckpt.get("hyper_parameters") or {}), self.hparams_task)
        return load_subnetwork(
            path, "task_net.", self.task_net, what="task checkpoint", expect={k: mine.get(k) for k in keys},
            ckpt=ckpt, checkpoint_hparams={k: theirs.get(k) for k in keys if k in theirs},
            label_names=self.hparams.label_names, dataset=dataset,
        )

    def loss_net_step(self, opt_s, x, y, z: torch.Tensor | None = None, mask: torch.Tensor | None = None) -> torch.Tensor:
        """One loss-net update: the SPEN baseline's cost-augmented GBI + SSVM, the DVN baseline's GBI samples, or
        the shared step (:meth:`SEALModule.loss_net_step`) with the cost-augmented output for the margin form."""
        objective = self.spec.loss_net_objective
        if objective in ("ssvm", "regression-gbi"):
            loss = self.ssvm_loss(x, y) if objective == "ssvm" else self._dvn_gbi_loss(x, y)
            self._step(opt_s, loss, list(self.score_net.parameters()), self.score_optimizer.grad_clip, "loss-net")
            return loss.detach()
        if self.cost_augmented is None:
            return super().loss_net_step(opt_s, x, y, z, mask)
        with torch.no_grad():
            if z is None:
                z = self.task_net(x)
            ca = self.cost_augmented(torch.sigmoid(z), y)
        loss = self.loss_net_loss(self.score_net, x, y, z, cost_augmented_probs=ca)
        self._step(opt_s, loss, list(self.score_net.parameters()), self.score_optimizer.grad_clip, "loss-net")
        return loss.detach()

    @contextmanager
    def _gbi_errors(self, what: str):
        """Add training context (epoch, batch) to a GBI error raised by a training sampler."""
        try:
            yield
        except GBIError as exc:
            epoch = self.current_epoch if self._trainer is not None else 0
            raise GBIError(f"{exc} ({what} during training, epoch {epoch}, batch {self.batches_seen})") from None

    def ssvm_loss(self, x, y) -> torch.Tensor:
        """SPEN: cost-augmented GBI from the fixed task-net's probabilities, then the SSVM hinge."""
        from seal.methods.gbi import init_points, run_gbi
        from seal.objectives.ssvm import cost_augmented_objective

        g = self.gbi_settings
        with torch.no_grad():
            local = self.score_net.encode(x)
            probs = torch.sigmoid(self.task_net(x)) if g.init == "task-net" else None
        init = init_points(g.init, g.num_inits, *local.shape, task_probs=probs, device=local.device, dtype=local.dtype)
        objective = cost_augmented_objective(self.score_net, local, y, self.loss_net_loss.released_behaviour)
        with self._gbi_errors("cost-augmented GBI"):
            y_hat = run_gbi(objective, init, g, g.train_steps).y
        return self.loss_net_loss(self.score_net, x, y, y_hat)

    def dvn_samples_for(self, x, y) -> torch.Tensor:
        """The ``dvn-gbi`` training samples ``(B, K, L)`` in the order of ``dvn_samples``: the GBI
        inference sample (``−σ(S)``), the adversarial GBI sample (maximising the regression loss) and
        the gold output (``seal-method.md`` A.4 (a) ``pdvn``, C.2), both GBI searches from the configured
        init with ``gbi_train_steps`` steps (:class:`seal.samplers.DVNSampler`)."""
        from seal.core.spaces import MultiLabelSpace
        from seal.samplers.gbi import DVNSampler

        g = self.gbi_settings
        sampler = DVNSampler(
            MultiLabelSpace(), self.dvn_samples, init=g.init, num_inits=g.num_inits, method=g.method,
            steps=g.train_steps, lr=g.lr,
        )
        with self._gbi_errors("DVN GBI sampler"):
            return sampler(self.score_net, x, y, task_relaxed=lambda: torch.sigmoid(self.task_net(x)))

    def _dvn_gbi_loss(self, x, y) -> torch.Tensor:
        samples = self.dvn_samples_for(x, y)
        return self.loss_net_loss(self.score_net, x, y, None, samples=samples)

    def task_net_step(self, opt_t, x, y, mask: torch.Tensor | None = None, z: torch.Tensor | None = None) -> torch.Tensor:
        """One task-net update on the task-net's logits ``z`` (computed here when not given); the margin form
        scores the cost-augmented output too (InfNet task loss)."""
        if self.cost_augmented is None:
            return super().task_net_step(opt_t, x, y, mask, z=z)
        with self._frozen(self.score_net):
            z = self.task_net(x) if z is None else z
            y_ca = self.cost_augmented(torch.sigmoid(z), y)
            loss = self.task_loss(self.score_net, x, y, z, y_ca)
        self._step(opt_t, loss, self.task_parameters(), self.task_optimizer.grad_clip, "task-net")
        return loss.detach()

    def training_step(self, batch, batch_idx: int):
        x = batch[0] if isinstance(batch, (tuple, list)) else batch["x"]
        if isinstance(x, torch.Tensor) and x.layout != torch.strided:
            # refuse a malformed sparse batch here, naming it, never densify it silently
            from seal.core.sparse import check_sparse_rows, csr_parts

            crow, col, val = csr_parts(x)
            check_sparse_rows(col, crow, self.hparams.in_features, val, what="sparse input features", batch=batch_idx)
        return super().training_step(batch, batch_idx)

    # ------------------------------------------------------------------ evaluation
    def eval_probs(self, x: torch.Tensor, batch_idx: int, stage: str) -> torch.Tensor:
        return self.predict_probs(x, batch_idx, stage)


def _check_positive_int(name: str, value: int) -> None:
    if not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
