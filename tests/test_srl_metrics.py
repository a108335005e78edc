"""SRL metrics on hand-made cases with exact values (empty prediction, empty gold, duplicated core role, C-/R-)."""

from __future__ import annotations

import pytest
import torch

from seal.tasks.srl.metrics import SRLMetrics, frame_counts

LABELS = ["O", "V", "ARG0", "ARG1", "C-ARG1", "R-ARG0", "ARGM-TMP"]
IDX = {lab: i for i, lab in enumerate(LABELS)}


def _ids(roles, T):
    return [IDX[r] for r in roles] + [0] * (T - len(roles))


def _batch(pairs):
    T = max(len(g) for _, g in pairs)
    pred = torch.tensor([_ids(p, T) for p, _ in pairs])
    gold = torch.tensor([_ids(g, T) for _, g in pairs])
    mask = torch.tensor([[t < len(g) for t in range(T)] for _, g in pairs])
    return pred, gold, mask


def _run(pairs):
    m = SRLMetrics(LABELS)
    m.update(*_batch(pairs))
    return m.compute()


def test_empty_prediction():
    out = _run([(["O", "V", "O"], ["ARG0", "V", "ARG1"])])
    assert (out["labeled_precision"], out["labeled_recall"], out["labeled_f1"], out["unlabeled_f1"]) == (0.0, 0.0, 0.0, 0.0)
    assert out["ucr_violation_rate"] == 0.0 and out["f1/ARG0"] == 0.0


def test_empty_gold():
    assert _run([(["O", "V"], ["O", "V"])])["labeled_f1"] == 1.0  # nothing to find, nothing found
    out = _run([(["ARG0", "V"], ["O", "V"])])
    assert (out["labeled_precision"], out["labeled_recall"], out["labeled_f1"]) == (0.0, 0.0, 0.0)


def test_duplicated_core_role():
    out = _run([(["ARG0", "V", "ARG0", "ARG1"], ["ARG0", "V", "ARG1", "O"])])
    assert out["labeled_precision"] == pytest.approx(1 / 3, abs=0) and out["labeled_recall"] == 0.5
    assert out["labeled_f1"] == pytest.approx(0.4, abs=1e-15) and out["unlabeled_f1"] == pytest.approx(0.8, abs=1e-15)
    assert out["ucr_violation_rate"] == 1.0 and out["ucr_violation_rate_gold"] == 0.0


def test_continuation_and_reference_roles_are_not_a_second_core_role():
    c = frame_counts(["R-ARG0", "ARG0", "V", "ARG1", "C-ARG1"], ["R-ARG0", "ARG0", "V", "ARG1", "C-ARG1"])
    assert (c["tp"], c["np"], c["ng"], c["ucr_pred"]) == (4, 4, 4, False)


def test_batch_with_padding_and_per_role():
    pairs = [
        (["ARG0", "V", "ARG0", "ARG1"], ["ARG0", "V", "ARG1", "O"]),  # tp 1 (ARG0@0), np 3, ng 2, UCR
        (["R-ARG0", "ARG0", "V", "C-ARG1"], ["R-ARG0", "ARG1", "V", "C-ARG1"]),  # tp 2, np 3, ng 3
        (["O", "V"], ["ARGM-TMP", "V"]),  # tp 0, np 0, ng 1 (padded to 4)
    ]
    out = _run(pairs)
    # tp 3, np 6, ng 6 -> P = R = F = 0.5; unlabeled tp 2 + 3 + 0 = 5 -> 5/6
    assert out["labeled_f1"] == 0.5 and out["unlabeled_f1"] == pytest.approx(5 / 6, abs=1e-15)
    assert out["ucr_violation_rate"] == pytest.approx(1 / 3, abs=0) and out["ucr_violation_rate_gold"] == 0.0
    # ARG0: tp 1, np 3, ng 1 -> P 1/3, R 1 -> F 0.5; ARG1: tp 0 -> 0; C-ARG1, R-ARG0: 1; ARGM-TMP: 0
    assert out["f1/ARG0"] == pytest.approx(0.5, abs=1e-15) and out["f1/ARG1"] == 0.0
    assert out["f1/C-ARG1"] == out["f1/R-ARG0"] == 1.0 and out["f1/ARGM-TMP"] == 0.0
    assert out["instances"] == 3.0


def test_scores_input_and_errors():
    pred, gold, mask = _batch([(["ARG0", "V"], ["ARG0", "V"])])
    m = SRLMetrics(LABELS)
    m.update(torch.nn.functional.one_hot(pred, len(LABELS)).float(), gold, mask)
    assert m.compute()["labeled_f1"] == 1.0
    m.reset()
    assert m.compute()["instances"] == 0.0
    with pytest.raises(ValueError, match="tag id 9 in the gold is outside the 7 labels"):
        m.update(pred, torch.tensor([[9, 1]]), mask)
    with pytest.raises(ValueError, match="do not match gold"):
        m.update(pred[:, :1], gold, mask)
