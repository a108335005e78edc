"""``seal report`` section of binary image segmentation (:class:`seal.tasks.ReportFamily`). Imports no torch."""

from __future__ import annotations

from seal.tasks import ReportFamily

__all__ = ["PREDICTION_FIGURE_CAPTION", "REPORT_FAMILIES"]

#: caption of ``<figures_dir>/<dataset>_predictions.png`` (written by ``seal predict --png``), embedded when present
PREDICTION_FIGURE_CAPTION = (
    "{dataset}: test images, gold masks and predicted masks (36-crop average, foreground > 0.5), one column "
    "per checkpoint with its IoU on that image; drawn by `seal predict --png`"
)

REPORT_FAMILIES = (
    ReportFamily(
        "Binary image segmentation",
        metric="mean_iou",
        metric_label="test mean IoU (%), 36-crop average",
        other_metrics=(("pixel_accuracy", "pixel accuracy", 2, 100.0),),
        loss_type_chains=(("regression", ("dvn-gbi", "seal-static-regression", "seal-dynamic-regression-s")),),
        relative_time=True,
        note="Weizmann horses 32×32, the DVN split (160 / 40 / 128). IoU per image (foreground = averaged "
        "probability > 0.5; empty gold and empty prediction score 1.0), averaged over the test images. The "
        "paper's IoU numbers were not recovered (`docs/seal-method.md` F.4), so the paper column is empty.",
        prediction_figure=("Segmentation predictions", PREDICTION_FIGURE_CAPTION),
    ),
)
