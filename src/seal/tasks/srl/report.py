"""``seal report`` section of semantic role labeling (:class:`seal.tasks.ReportFamily`) and its goal lines.

Imports no torch.
"""

from __future__ import annotations

import statistics

from seal.tasks import ReportFamily

__all__ = ["REPORT_FAMILIES", "goal_lines"]

REPORT_FAMILIES = (
    ReportFamily(
        "Semantic role labeling",
        metric="labeled_f1",
        metric_label="test labeled argument F1 (%), V excluded",
        other_metrics=(
            ("ucr_violation_rate", "UCR violations %", 2, 100.0),
            ("ucr_violation_rate_gold", "gold UCR %", 2, 100.0),
            ("unlabeled_f1", "unlabeled F1", 2, 100.0),
            ("labeled_precision", "labeled P", 2, 100.0),
            ("labeled_recall", "labeled R", 2, 100.0),
        ),
        loss_type_chains=(("NCE ranking", ("nce-gbi", "seal-static-nce", "seal-dynamic-nce")),),
        relative_time=True,
        note="Universal Proposition Bank 1.0 English-EWT: PropBank roles on dependency heads (CoNLL-2009 style), "
        "one instance per predicate; the train split is a derived copy of the official file. **CoNLL-2005 / "
        "CoNLL-2012 (the paper's data) are LDC-licensed and not available here**, so no number below is "
        "comparable to the paper's. Anchors only (different data and encoders): the paper's CoNLL-2012 "
        "SEAL-dynamic **86.90 F1 / 0.91 % UCR violations** (secondary source, `docs/seal-method.md` F.4); BERT "
        "dependency SRL on CoNLL-2009 English **~90 F1**. UCR violation rate = share of predicate instances "
        "whose predicted roles hold one of ARG0–ARG5 twice (gold's own rate beside it).",
        extra_lines="seal.tasks.srl.report:goal_lines",
    ),
)


def _mean(values) -> float | None:
    return statistics.fmean(values) if values else None


def goal_lines(groups) -> list[str]:
    """The SRL goals (issue: SEAL-dynamic NCE beats cross-entropy **and** the CRF tagger in labeled F1 and has a
    lower UCR violation rate than both), one line per (dataset, variant of the SEAL run), means over seeds, in bold
    only beyond the seed spread (the larger sample std, as the report's "beats"); each
    baseline from the same variant, else the matched control, the paper config or ``cpu``
    (:func:`seal.experiments.report.reference_variants`, as the cross-entropy verdicts)."""
    from seal.experiments.report import reference_variants, wins

    def verdict(ours, other, better: str, worse: str, sign: int) -> str:
        """``**better**`` beyond the seed spread, ``better, within the seed spread`` when only the means differ
        that way, else ``worse`` (``sign`` -1: lower is better)."""
        if wins([sign * v for v in ours], [sign * v for v in other]):
            return f"**{better}**"
        if sign * (_mean(ours) - _mean(other)) > 0:
            return f"{better}, within the seed spread"
        return worse

    lines: list[str] = []
    by = {(g.dataset, g.method, g.variant): g for g in groups}
    for g in groups:
        if g.method != "seal-dynamic-nce":
            continue
        f1s = g.values("metrics", "test", "labeled_f1")
        ucrs = g.values("metrics", "test", "ucr_violation_rate")
        if not f1s or not ucrs:
            continue
        parts = []
        for base in ("cross-entropy", "crf"):
            b = next((by[k] for v in reference_variants(g.variant) if (k := (g.dataset, base, v)) in by), None)
            bf1s = b.values("metrics", "test", "labeled_f1") if b else []
            bucrs = b.values("metrics", "test", "ucr_violation_rate") if b else []
            if not bf1s or not bucrs:
                parts.append(f"{base}: no run")
                continue
            parts.append(
                f"vs {base}{' (' + b.variant + ')' if b.variant else ''}: F1 {100 * _mean(f1s):.2f} vs "
                f"{100 * _mean(bf1s):.2f} ({verdict(f1s, bf1s, 'higher', 'not higher', 1)}), UCR "
                f"{100 * _mean(ucrs):.2f} % vs {100 * _mean(bucrs):.2f} % ({verdict(ucrs, bucrs, 'lower', 'not lower', -1)})"
            )
        lines.append(f"- **{g.dataset}** ({g.label}): " + "; ".join(parts))
    if lines:
        lines = ["", "### SRL goals: SEAL-dynamic NCE vs cross-entropy and the CRF tagger (means over seeds)", "", *lines]
    return lines
