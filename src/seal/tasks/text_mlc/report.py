"""``seal report`` section of text multi-label classification (:class:`seal.tasks.ReportFamily`). Imports no torch."""

from __future__ import annotations

from seal.tasks import ReportFamily
from seal.tasks.mlc_features.report import MLC_LOSS_TYPE_CHAINS

__all__ = ["REPORT_FAMILIES"]

REPORT_FAMILIES = (
    ReportFamily(
        "Text-based MLC (pre-trained transformer encoder)",
        metric="example_f1",
        metric_label="test example-F1 (%)",
        other_metrics=(
            ("micro_f1", "micro-F1", 2, 100.0),
            ("macro_f1", "macro-F1", 2, 100.0),
            ("map", "mAP", 2, 100.0),
            ("micro_f1_tuned", "micro-F1 (val-tuned t)", 2, 100.0),
            ("macro_f1_tuned", "macro-F1 (val-tuned t)", 2, 100.0),
        ),
        loss_type_chains=MLC_LOSS_TYPE_CHAINS,
        relative_time=True,
        note="The paper's text datasets (BGC, NYT, RCV1) are not available here; Reuters-21578 ModApte-90 and "
        "GoEmotions stand in for them, so the paper column is empty. Encoder all-MiniLM-L6-v2 (not BERT-base). "
        "Metrics at threshold 0.5, and micro-/macro-F1 at one global threshold tuned on validation (stated). "
        "Anchors from other models, possibly on different preprocessing (not comparable one to one): Reuters "
        "ModApte micro-F1 86.3 % (DistilBERT fine-tuned), 89.9 % (MAGNET); GoEmotions macro-F1 46 % (BERT-base, "
        "Demszky et al. 2020), 40 % (frozen all-MiniLM-L6-v2 + linear head, tuned thresholds), on the tables' x100 "
        "scale. Variant `cpu` "
        "here: the task-net's encoder is frozen too (mean-pooled last layer at 512 word-pieces, cached), head-only "
        "lr 1e-3, at most 30 epochs; `cpu-top1`: the top MiniLM layer trains over a cached bottom, max length 128 "
        "(`docs/text-mlc.md`).",
    ),
)
