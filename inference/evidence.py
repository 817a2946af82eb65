"""A store's own evidence about auto-issued accuracy, inverse-probability weighted.

Every visit below the routing threshold is reviewed (inclusion probability 1) and a known
random share ``a`` of those above it is audited (probability ``a``); weighting each
reviewed visit by 1 / its probability makes the labelled visits stand for every visit, so
for any threshold t the weighted share of right receipts among labelled visits with
confidence >= t estimates the accuracy of what t would auto-issue. The finite-sample
bound is Clopper-Pearson at Kish's effective sample size, ``(sum w)^2 / sum w^2``
(with equal weights it is the plain Clopper-Pearson bound).
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


def weighted_lower_bound(correct_weight: float, weight: float, weight_sq: float, alpha: float = ALPHA) -> float:
    """Clopper-Pearson lower bound at the effective sample size; errors rounded up, so it
    never claims more than the data give."""
    if weight <= 0 or weight_sq <= 0:
        return 0.0
    n_eff = weight * weight / weight_sq
    n = int(math.floor(n_eff))
    if n < 1:
        return 0.0
    errors = int(math.ceil((1.0 - correct_weight / weight) * n - 1e-9))
    return clopper_pearson_lower(n - min(errors, n), n, alpha)


def at_threshold(evidence: Evidence, threshold: float, alpha: float = ALPHA) -> dict[str, Any]:
    """The estimate and bound of auto-issued accuracy at ``threshold``."""
    above = evidence.confidence >= threshold
    w = evidence.weight[above]
    c = evidence.correct[above]
    total, hits, sq = float(w.sum()), float((w * c).sum()), float((w * w).sum())
    return {
        "threshold": round(float(threshold), 6),
        "labelled": int(above.sum()),
        "errors": int((~c).sum()),
        "estimate": round(hits / total, 6) if total else None,
        "n_eff": round(total * total / sq, 1) if sq else 0.0,
        "lower_bound": round(weighted_lower_bound(hits, total, sq, alpha), 6),
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
    cw, cc, cs = np.cumsum(w), np.cumsum(w * ok), np.cumsum(w * w)
    boundary = np.append(conf[:-1] > conf[1:], True) & (conf >= floor)
    best = NEVER
    tried: set[tuple[int, int]] = set()
    # From the loosest cut upwards; the first cut that meets the target is the answer.
    for k in np.nonzero(boundary)[0][::-1]:
        point = cc[k] / cw[k]
        if point < target:
            continue
        n_eff = cw[k] ** 2 / cs[k]
        key = (int(n_eff), int(math.ceil((1 - point) * int(n_eff) - 1e-9)))
        if key in tried:
            continue
        tried.add(key)
        if weighted_lower_bound(float(cc[k]), float(cw[k]), float(cs[k]), alpha) >= target:
            best = float(conf[k])
            break
    return best
