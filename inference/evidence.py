"""A store's own evidence about auto-issued accuracy, inverse-probability weighted.

Every visit below the routing threshold is reviewed (inclusion probability 1) and a known
random share ``a`` of those above it is audited (probability ``a``); weighting each
reviewed visit by 1 / its probability makes the labelled visits stand for every visit, so
for any threshold t the weighted share of right receipts among labelled visits with
confidence >= t estimates the accuracy of what t would auto-issue. The finite-sample
bound is Korn and Graubard's (1998) for weighted samples: Clopper-Pearson at the effective
sample size ``p(1 - p) / Var(p)`` (the weighted estimate's linearised variance), capped at
the number of labelled visits; with equal weights it is the plain Clopper-Pearson bound.
Kish's ``(sum w)^2 / sum w^2`` was tried first: when a store's audit rate falls from 50%
to 2%, a few days of weight-50 audits that are all right shrank it from thousands to a few
hundred, though right answers barely add variance, and the threshold fell back to the
strict start.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from inference.calibration import NEVER, clopper_pearson_lower

ALPHA = 0.05  # one-sided: the bound holds with 95% confidence


@dataclass(frozen=True)
class Evidence:
    confidence: NDArray[Any]  # under the model whose threshold is being chosen
    correct: NDArray[Any]  # that model's receipt equals the final (reviewed) receipt
    weight: NDArray[Any]  # 1 / inclusion probability

    @property
    def size(self) -> int:
        return len(self.confidence)


def effective_size(hits: float, weight: float, sq_right: float, sq_wrong: float, count: int) -> float:
    """Korn-Graubard effective sample size of the weighted share ``hits / weight``:
    ``p(1-p) / Var``, with ``Var = (sum_right w^2 (1-p)^2 + sum_wrong w^2 p^2) / (sum w)^2``,
    never more than the ``count`` of labelled visits (and that count when none is wrong)."""
    if weight <= 0 or count <= 0:
        return 0.0
    p = hits / weight
    var = (sq_right * (1 - p) ** 2 + sq_wrong * p * p) / (weight * weight)
    if p >= 1.0 or var <= 0:
        return float(count)
    return min(float(count), p * (1 - p) / var)


def weighted_lower_bound(
    hits: float, weight: float, sq_right: float, sq_wrong: float, count: int, alpha: float = ALPHA
) -> float:
    """Clopper-Pearson lower bound at the effective sample size; errors rounded up, so it
    never claims more than the data give."""
    n = int(math.floor(effective_size(hits, weight, sq_right, sq_wrong, count) + 1e-6))
    if n < 1:
        return 0.0
    errors = int(math.ceil((1.0 - hits / weight) * n - 1e-9))
    return clopper_pearson_lower(n - min(errors, n), n, alpha)


def at_threshold(evidence: Evidence, threshold: float, alpha: float = ALPHA) -> dict[str, Any]:
    """The estimate and bound of auto-issued accuracy at ``threshold``."""
    above = evidence.confidence >= threshold
    w = evidence.weight[above]
    c = evidence.correct[above].astype(bool)
    total, hits = float(w.sum()), float((w * c).sum())
    sq_right, sq_wrong = float((w * w * c).sum()), float((w * w * ~c).sum())
    n = int(above.sum())
    return {
        "threshold": round(float(threshold), 6),
        "labelled": n,
        "errors": int((~c).sum()),
        "estimate": round(hits / total, 6) if total else None,
        "n_eff": round(effective_size(hits, total, sq_right, sq_wrong, n), 1),
        "lower_bound": round(weighted_lower_bound(hits, total, sq_right, sq_wrong, n, alpha), 6) if total else 0.0,
    }


def loosest_threshold(evidence: Evidence, target: float, *, alpha: float = ALPHA, floor: float = 0.0) -> float:
    """The lowest threshold (not below ``floor``) whose weighted lower bound of
    auto-issued accuracy is at least ``target``; ``NEVER`` when none is."""
    if evidence.size == 0:
        return NEVER
    order = np.argsort(-evidence.confidence, kind="stable")
    conf = evidence.confidence[order]
    w = evidence.weight[order]
    ok = evidence.correct[order].astype(bool)
    cw, cc = np.cumsum(w), np.cumsum(w * ok)
    right_sq, wrong_sq = np.cumsum(w * w * ok), np.cumsum(w * w * ~ok)
    boundary = np.append(conf[:-1] > conf[1:], True) & (conf >= floor)
    best = NEVER
    tried: set[tuple[int, int]] = set()
    # From the loosest cut upwards; the first cut that meets the target is the answer.
    for k in np.nonzero(boundary)[0][::-1]:
        point = cc[k] / cw[k]
        if point < target:
            continue
        figures = (float(cc[k]), float(cw[k]), float(right_sq[k]), float(wrong_sq[k]), int(k) + 1)
        n_eff = int(effective_size(*figures) + 1e-6)
        key = (n_eff, int(math.ceil((1 - point) * n_eff - 1e-9)))
        if key in tried:
            continue
        tried.add(key)
        if weighted_lower_bound(*figures, alpha=alpha) >= target:
            best = float(conf[k])
            break
    return best
