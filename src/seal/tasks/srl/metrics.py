"""SRL metrics: labeled / unlabeled argument P / R / F1, per-role F1 and the Unique-Core-Role violation rate.

Dependency-head SRL (CoNLL-2009 convention): an argument is a triple (predicate instance, head word, role); the
predicate's own ``V`` is **not** an argument and neither is the null tag ``O``. ``C-V`` (a continuation of the
verb) is an argument like any other role (only ``V`` is excluded). Labeled scores need the same role, unlabeled
scores only the same head word. Micro-averaged over all instances; an empty prediction on an empty gold is P = R =
F1 = 1 (nothing to find, nothing wrongly found); otherwise a zero denominator gives 0.

UCR violation rate (paper F.4: "one predicate must not have two arguments with the same core role"): the share of
predicate instances whose predicted roles contain one of ``ARG0``-``ARG5`` on two or more words. Continuation
(``C-ARG0``) and reference (``R-ARG0``) roles are different labels and do not count as a second ``ARG0``. The
gold's own rate over the same instances is reported as ``ucr_violation_rate_gold``.

Predictions are per-position scores ``(B, T, C)`` (probabilities or one-hot; argmax taken) or tag ids
``(B, T)``; gold ``(B, T)`` tag ids; ``mask`` ``(B, T)`` real positions (padding never counted).
"""

from __future__ import annotations

import re
from collections import Counter

import torch

__all__ = ["SRL_CONVENTIONS", "CORE_ROLE_RE", "SRLMetrics", "frame_counts"]

#: The SRL metric conventions (this module's metrics), printed under SRL results (the task's ``conventions``).
SRL_CONVENTIONS = (
    "Metric conventions: an SRL argument is a (predicate instance, head word, role) triple; the predicate's own "
    "V and the null tag O are not arguments (C-V is); labeled_f1 / labeled_precision / labeled_recall need the "
    "same head and role, unlabeled_f1 only the same head; all are micro-averaged over the argument triples of "
    "every predicate instance, and an empty prediction on an empty gold scores 1.0; ucr_violation_rate is the "
    "share of predicate instances whose predicted roles put one of ARG0-ARG5 on two or more words (C-/R- roles "
    "do not count), ucr_violation_rate_gold the gold's own rate; f1/<role> is the labeled F1 of one role."
)

CORE_ROLE_RE = re.compile(r"^ARG[0-5]$")


def frame_counts(pred: list[str], gold: list[str]) -> dict:
    """Counts of one predicate instance: ``tp`` / ``np`` / ``ng`` labeled, ``utp`` unlabeled, per-role ``(tp, np,
    ng)`` and whether predicted / gold roles violate UCR. ``pred`` and ``gold`` are role strings per word."""
    if len(pred) != len(gold):
        raise ValueError(f"frame_counts: {len(pred)} predicted roles for {len(gold)} words")
    arg = lambda r: r not in ("O", "V")  # noqa: E731
    p = {(i, r) for i, r in enumerate(pred) if arg(r)}
    g = {(i, r) for i, r in enumerate(gold) if arg(r)}
    pu, gu = {i for i, _ in p}, {i for i, _ in g}
    per = Counter()
    for _, r in p & g:
        per[(r, "tp")] += 1
    for _, r in p:
        per[(r, "np")] += 1
    for _, r in g:
        per[(r, "ng")] += 1

    def ucr(roles):
        c = Counter(r for r in roles if CORE_ROLE_RE.match(r))
        return any(n > 1 for n in c.values())

    return {
        "tp": len(p & g), "np": len(p), "ng": len(g), "utp": len(pu & gu),
        "per_role": per, "ucr_pred": ucr(pred), "ucr_gold": ucr(gold),
    }


def _prf(tp: int, np_: int, ng: int) -> tuple[float, float, float]:
    if np_ == 0 and ng == 0:
        return 1.0, 1.0, 1.0
    p = tp / np_ if np_ else 0.0
    r = tp / ng if ng else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


class SRLMetrics:
    """Accumulates SRL scores over batches (the ``metrics=`` object of a SEAL module).

    Args:
        labels: role names by tag id (``labels[0]`` is usually ``"O"``); ``"O"`` and ``"V"`` are never arguments.
        per_role: add ``f1/<role>`` for every role seen (prediction or gold) to :meth:`compute`.

    ``compute()`` returns ``labeled_f1``, ``labeled_precision``, ``labeled_recall``, ``unlabeled_f1``,
    ``ucr_violation_rate``, ``ucr_violation_rate_gold``, ``instances`` and (``per_role``) ``f1/<role>``.

    Raises:
        ValueError: shapes that do not match, or a tag id outside the vocabulary at a real position.
    """

    def __init__(self, labels: list[str], per_role: bool = True) -> None:
        self.labels = list(labels)
        self.per_role = per_role
        self.reset()

    def reset(self) -> None:
        self.tp = self.np = self.ng = self.utp = 0
        self.role = Counter()
        self.n = self.ucr_pred = self.ucr_gold = 0

    def _names(self, ids: list[int], where: str) -> list[str]:
        C = len(self.labels)
        for t in ids:
            if not 0 <= t < C:
                raise ValueError(f"SRLMetrics: tag id {t} in the {where} is outside the {C} labels")
        return [self.labels[t] for t in ids]

    def update(self, pred: torch.Tensor, y: torch.Tensor, mask: torch.Tensor | None = None) -> None:
        """Add a batch: ``pred`` ``(B, T, C)`` scores or ``(B, T)`` tag ids, ``y`` ``(B, T)``, ``mask`` ``(B, T)``."""
        tags = pred.argmax(-1) if pred.dim() == 3 else pred
        if tags.shape != y.shape:
            raise ValueError(f"SRLMetrics: predictions {tuple(pred.shape)} do not match gold {tuple(y.shape)}")
        m = torch.ones_like(y, dtype=torch.bool) if mask is None else mask.bool()
        if m.shape != y.shape:
            raise ValueError(f"SRLMetrics: mask {tuple(m.shape)} does not match gold {tuple(y.shape)}")
        for b in range(y.shape[0]):
            real = m[b]
            p = self._names(tags[b][real].tolist(), "prediction")
            g = self._names(y[b][real].tolist(), "gold")
            c = frame_counts(p, g)
            self.tp += c["tp"]
            self.np += c["np"]
            self.ng += c["ng"]
            self.utp += c["utp"]
            self.role.update(c["per_role"])
            self.n += 1
            self.ucr_pred += int(c["ucr_pred"])
            self.ucr_gold += int(c["ucr_gold"])

    def compute(self) -> dict[str, float]:
        p, r, f = _prf(self.tp, self.np, self.ng)
        _, _, uf = _prf(self.utp, self.np, self.ng)
        out = {
            "labeled_f1": f, "labeled_precision": p, "labeled_recall": r, "unlabeled_f1": uf,
            "ucr_violation_rate": self.ucr_pred / self.n if self.n else 0.0,
            "ucr_violation_rate_gold": self.ucr_gold / self.n if self.n else 0.0,
            "instances": float(self.n),
        }
        if self.per_role:
            roles = sorted({r for r, _ in self.role})
            for role in roles:
                out[f"f1/{role}"] = _prf(self.role[(role, "tp")], self.role[(role, "np")], self.role[(role, "ng")])[2]
        return out
