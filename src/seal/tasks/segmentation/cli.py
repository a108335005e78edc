"""``seal fit --task segmentation`` (or a config with ``task: segmentation``): :class:`SegmentationCLI`.

(Moved here from ``seal.cli.lightning``, which still answers ``SegmentationCLI``.)
"""

from __future__ import annotations

from seal.cli.lightning import SEALCLI

__all__ = ["SegmentationCLI"]


class SegmentationCLI(SEALCLI):
    """:class:`~seal.cli.lightning.SEALCLI` for ``task: segmentation``: no data->model links, monitored on validation mean IoU."""

    task_name = "segmentation"
    monitor = "val/mean_iou"
    metric_key = "mean_iou"

    def link_arguments(self, parser) -> None:
        pass

    def extra_test_metrics(self, model) -> dict:
        return {}
