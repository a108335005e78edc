"""``seal fit --task srl`` (or a config with ``task: srl``): :class:`SRLCLI`, monitored on validation labeled F1."""

from __future__ import annotations

from seal.cli.lightning import SEALCLI

__all__ = ["SRLCLI"]


class SRLCLI(SEALCLI):
    """:class:`~seal.cli.lightning.SEALCLI` for SRL: links the DataModule's ``num_tags``, ``hidden_size`` and
    ``label_names`` into the model; early stopping and the best checkpoint follow ``val/labeled_f1``."""

    task_name = "srl"
    monitor = "val/labeled_f1"
    metric_key = "labeled_f1"

    def link_arguments(self, parser) -> None:
        parser.link_arguments("data.num_tags", "model.num_tags", apply_on="instantiate")
        parser.link_arguments("data.hidden_size", "model.hidden_size", apply_on="instantiate")
        parser.link_arguments("data.label_names", "model.label_names", apply_on="instantiate")
        parser.link_arguments("data.encoder", "model.encoder")

    def extra_test_metrics(self, model) -> dict:
        return {}
