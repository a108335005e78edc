"""Linear-chain CRF task-net objective for tagging outputs (the SRL baseline ``crf``, ``seal-method.md`` B.3:
"Baseline BERT-CRF", AllenNLP's CRF tagger on top of the encoder).

The task-net's per-position logits ``(B, T, C)`` are the CRF's emission scores; the CRF adds a transition matrix
``(C, C)`` and start / end scores (``pytorch-crf``'s :class:`torchcrf.CRF`, imported on first use: install the
``srl`` extra). Training minimises the negative log-likelihood of the gold tag sequence summed over its real
positions, batch-mean (the same reduction as the tagging cross-entropy anchor, which is summed over positions);
prediction is Viterbi decoding over the real positions.

The CRF's parameters live in this module: the task-net optimizer must include them (the SRL module's
``task_parameters`` does).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

__all__ = ["CRFTaskLoss", "viterbi_one_hot"]


def _crf_class():
    try:
        from torchcrf import CRF
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("the crf method needs pytorch-crf: pip install 'seal[srl]' (or pip install pytorch-crf)") from exc
    return CRF


class CRFTaskLoss(nn.Module):
    """``mean_b −log p_CRF(y*_b | z_b)`` over real positions (left-aligned masks, first position real).

    Args:
        num_tags: ``C``.

    Shapes: ``forward(score_net, x, y_gold (B, T), logits (B, T, C), mask=(B, T)) -> scalar``;
    :meth:`decode` ``(logits, mask) -> (B, T)`` int64 tags (0 at padding).

    Raises:
        ValueError: a mask whose first column has a padded position (the CRF needs one real position per row).
    """

    def __init__(self, num_tags: int) -> None:
        super().__init__()
        if isinstance(num_tags, bool) or not isinstance(num_tags, int) or num_tags < 1:
            raise ValueError(f"CRFTaskLoss: num_tags must be an integer >= 1, got {num_tags!r}")
        self.crf = _crf_class()(num_tags, batch_first=True)

    @staticmethod
    def _mask(logits: Tensor, mask: Tensor | None) -> Tensor:
        m = torch.ones(logits.shape[:2], dtype=torch.bool, device=logits.device) if mask is None else mask.bool()
        if not bool(m[:, 0].all()):
            raise ValueError("CRFTaskLoss: every sequence needs a real first position (left-aligned mask)")
        return m

    def per_example(self, logits: Tensor, y_gold: Tensor, mask: Tensor | None = None) -> Tensor:
        """``(B,)`` negative log-likelihoods."""
        m = self._mask(logits, mask)
        tags = torch.where(m, y_gold.long(), torch.zeros_like(y_gold, dtype=torch.long))
        return -self.crf(logits.float(), tags, mask=m, reduction="none")

    def forward(self, score_net: Any, x: Any, y_gold: Tensor, logits: Tensor, ctx: Any = None, mask: Tensor | None = None) -> Tensor:
        return self.per_example(logits, y_gold, mask).mean()

    @torch.no_grad()
    def decode(self, logits: Tensor, mask: Tensor | None = None) -> Tensor:
        m = self._mask(logits, mask)
        paths = self.crf.decode(logits.float(), mask=m)
        out = torch.zeros(logits.shape[:2], dtype=torch.long, device=logits.device)
        for b, p in enumerate(paths):
            out[b, : len(p)] = torch.tensor(p, dtype=torch.long, device=logits.device)
        return out


def viterbi_one_hot(loss: CRFTaskLoss, logits: Tensor, mask: Tensor | None = None) -> Tensor:
    """Viterbi tags as one-hot ``(B, T, C)``, zero at padded positions."""
    tags = loss.decode(logits, mask)
    m = CRFTaskLoss._mask(logits, mask)
    return torch.nn.functional.one_hot(tags, logits.shape[-1]).to(logits.dtype) * m.unsqueeze(-1).to(logits.dtype)
