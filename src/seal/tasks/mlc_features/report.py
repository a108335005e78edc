"""``seal report`` sections of feature-based multi-label classification (:class:`seal.tasks.ReportFamily`).

Two sections over the catalogue's ``mlc`` / ``hmlc`` datasets: those the paper reports on (``used_in_paper``), in the
column order of the paper's table (``docs/seal-method.md`` F.2), and the extra MULAN sets. Imports no torch.
"""

from __future__ import annotations

from seal.tasks import ReportFamily

__all__ = ["MLC_LOSS_TYPE_CHAINS", "MLC_OTHER_METRICS", "PAPER_TABLE_ORDER", "REPORT_FAMILIES"]

#: the second table's columns of a multi-label section
MLC_OTHER_METRICS: tuple[tuple[str, str, int, float], ...] = (
    ("micro_f1", "micro-F1", 2, 100.0),
    ("macro_f1", "macro-F1", 2, 100.0),
    ("map", "mAP", 2, 100.0),
    ("hamming_loss", "Hamming loss ×100", 3, 100.0),
)

#: per loss type, the (energy network with GBI, SEAL-static, SEAL-dynamic) methods of the paper's central table
#: (seal-method.md C.1: Energy network < SEAL-static < SEAL-dynamic)
MLC_LOSS_TYPE_CHAINS: tuple[tuple[str, tuple[str, str, str]], ...] = (
    ("margin", ("spen-gbi", "seal-static-margin", "seal-dynamic-margin")),
    ("regression", ("dvn-gbi", "seal-static-regression", "seal-dynamic-regression")),
    ("NCE ranking", ("nce-gbi", "seal-static-nce", "seal-dynamic-nce")),
)

#: the paper's datasets in the column order of its results table (seal-method.md F.2)
PAPER_TABLE_ORDER = ("bibtex", "delicious", "genbase", "cal500", "eurlex_ev", "expr_fun", "spo_fun")

REPORT_FAMILIES = (
    ReportFamily(
        "Feature-based MLC (paper datasets)",
        metric="example_f1",
        metric_label="test example-F1 (%)",
        other_metrics=MLC_OTHER_METRICS,
        loss_type_chains=MLC_LOSS_TYPE_CHAINS,
        used_in_paper=True,
        order=PAPER_TABLE_ORDER,
    ),
    ReportFamily(
        "Extra MLC datasets",
        metric="example_f1",
        metric_label="test example-F1 (%)",
        other_metrics=MLC_OTHER_METRICS,
        loss_type_chains=MLC_LOSS_TYPE_CHAINS,
        used_in_paper=False,
    ),
)
