"""Receipt metrics: exact match per payment group, item precision/recall/F1, and the
routing figures at a target accuracy (coverage, reviews per 1,000, auto-issued accuracy)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from inference.calibration import expected_calibration_error, risk_coverage


def true_receipt(truth: dict[str, Any]) -> dict[str, int]:
    """The group's true receipt as sku -> units (lines of several shoppers added up)."""
    out: dict[str, int] = {}
    for line in truth.get("receipt") or []:
        out[line["sku"]] = out.get(line["sku"], 0) + int(line["quantity"])
    return {sku: q for sku, q in out.items() if q > 0}


def receipt_metrics(
    predicted: Sequence[dict[str, int]],
    actual: Sequence[dict[str, int]],
    confidence: NDArray[Any],
    threshold: float,
) -> dict[str, float]:
    correct = np.array([p == a for p, a in zip(predicted, actual)], dtype=bool)
    tp = sum(sum(min(q, a.get(sku, 0)) for sku, q in p.items()) for p, a in zip(predicted, actual))
    n_pred = sum(sum(p.values()) for p in predicted)
    n_true = sum(sum(a.values()) for a in actual)
    precision = tp / n_pred if n_pred else 1.0
    recall = tp / n_true if n_true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    auto = np.asarray(confidence) >= threshold
    coverage = float(auto.mean()) if len(auto) else 0.0
    return {
        "visits": len(correct),
        "receipt_accuracy": round(float(correct.mean()) if len(correct) else 0.0, 5),
        "item_precision": round(precision, 5),
        "item_recall": round(recall, 5),
        "item_f1": round(f1, 5),
        "ece": round(expected_calibration_error(confidence, correct), 5),
        "threshold": round(float(threshold), 6),
        "coverage": round(coverage, 5),
        "reviews_per_1000": round(1000 * (1 - coverage), 2),
        "auto_issued_accuracy": round(float(correct[auto].mean()), 5) if auto.any() else None,  # type: ignore[dict-item]
    }


def hindsight_reviews(confidence: NDArray[Any], correct: NDArray[Any], target: float) -> float:
    """Reviews per 1,000 at the threshold chosen knowing these visits' answers: the most
    confident receipts auto-issued while at least ``target`` of them are right. What the
    scorer's ranking allows; the product's threshold, set in advance with a margin for
    chance, reviews more."""
    coverage, risk = risk_coverage(confidence, correct)
    ok = np.flatnonzero(risk <= 1.0 - target + 1e-12)
    return round(1000 * (1.0 - (float(coverage[ok.max()]) if len(ok) else 0.0)), 2)
