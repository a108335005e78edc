"""``seal fit --task segmentation`` (or a config with ``task: segmentation``): :class:`SegmentationCLI`.

(Moved here from ``seal.cli.lightning``, which still answers ``SegmentationCLI``.)

The crop size is one setting, ``model.crop_size`` (the score network is built for it, and a checkpoint stores
it): ``data.crop_size`` (the training crops and the datamodule's size check) follows it through a link. Setting
``--data.crop_size`` on the command line, or a config file whose ``data.crop_size`` differs from its
``model.crop_size``, is refused with one line naming both options.
"""

from __future__ import annotations

from seal.cli.lightning import SEALCLI, config_files

__all__ = ["SegmentationCLI"]


class SegmentationCLI(SEALCLI):
    """:class:`~seal.cli.lightning.SEALCLI` for ``task: segmentation``: ``data.crop_size`` follows
    ``model.crop_size``, monitored on validation mean IoU."""

    task_name = "segmentation"
    monitor = "val/mean_iou"
    metric_key = "mean_iou"
    example_noun = "images"

    def link_arguments(self, parser) -> None:
        # model -> data (not the other way): a checkpoint's hyper-parameters (seal test / a resumed fit) set
        # model.crop_size, and the data must then follow the network it was built for
        parser.link_arguments("model.crop_size", "data.crop_size", apply_on="parse")

    @classmethod
    def check_argv(cls, argv: list[str]) -> None:
        """Refuse ``--data.crop_size`` (set through ``--model.crop_size``) with one line naming both options."""
        for i, arg in enumerate(argv):
            whole = arg.split("=", 1)[1] if arg.startswith("--data=") else (
                argv[i + 1] if arg == "--data" and i + 1 < len(argv) else None)
            if whole is not None and "crop_size" in whole:  # --data='{"crop_size": 20, ...}'
                raise ValueError(
                    "--data sets crop_size, which is set by --model.crop_size (one crop size for the network and its "
                    "data): give it as --model.crop_size")
            if arg == "--data.crop_size" or arg.startswith("--data.crop_size="):
                value = arg.split("=", 1)[1] if "=" in arg else (argv[i + 1] if i + 1 < len(argv) else "N")
                raise ValueError(
                    f"--data.crop_size is set by --model.crop_size (one crop size for the network and its data): "
                    f"use --model.crop_size {value}"
                )

    @classmethod
    def check_parsed(cls, argv: list[str], config) -> None:
        """Refuse a ``--config`` file whose ``data.crop_size`` differs from its ``model.crop_size`` (or, if it sets
        none, from the one parsed): the link would silently replace it."""
        parsed = config.get("model.crop_size") if config is not None else None
        for path, data in config_files(argv):
            if not isinstance(data, dict):
                continue
            data_section, model_section = data.get("data"), data.get("model")
            wanted = data_section.get("crop_size") if isinstance(data_section, dict) else None
            if wanted is None:
                continue
            own = model_section.get("crop_size") if isinstance(model_section, dict) else None
            crop = own if own is not None else parsed
            if crop is not None and wanted != crop:
                raise ValueError(
                    f"config {path}: data.crop_size {wanted} differs from model.crop_size {crop}; the crop size is "
                    f"one setting, model.crop_size (data.crop_size follows it): set model.crop_size: {wanted}"
                )

    def extra_test_metrics(self, model) -> dict:
        return {}
