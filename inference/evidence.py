"""A store's own evidence about auto-issued accuracy, post-stratified by confidence.

Every visit below the routing threshold is reviewed and a known random share of those
above it is audited, so given its confidence a visit's chance of being labelled does not
depend on whether its receipt is right. The labelled visits are therefore grouped by
confidence (``GROUP`` consecutive labelled visits a group) and each stands for its group's
share of the store's visits: weight = visits of the store in the group's confidence range
/ labelled visits in it. For any threshold t the weighted share of right receipts among
labelled visits with confidence >= t estimates the accuracy of what t would auto-issue.

Why not weight by one over each visit's own chance of review: a store's audit rate falls
from 50% to 2% once its bound is tight, so the same confidence range then holds weight-2
audits from the first days and weight-50 audits from later ones, and a fully reviewed
band just under the old threshold. The per-visit weights let a few heavy audits that
happened to be right drown the band's errors (a threshold loosened on that in one run
auto-issued 99.31% right against a 99.5% target). Pooled by confidence, audits of every
day count alike and the band keeps its share of the visits.

The bound is Clopper-Pearson (one-sided 95%) at Kish's effective sample size
``(sum w)^2 / sum w^2`` of the weights above t, errors rounded up: few labelled visits
standing for many give a small size whatever they found, so a run of right audits cannot
claim more than their number.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from inference.calibration import NEVER, clopper_pearson_lower

ALPHA = 0.05  # one-sided: the bound holds with 95% confidence
GROUP = 25  # labelled visits per confidence group


@dataclass(frozen=True)
class Evidence:
    confidence: NDArray[Any]  # under the model whose threshold is being chosen
    correct: NDArray[Any]  # that model's receipt equals the final (reviewed) receipt
    weight: NDArray[Any]  # the store's visits each labelled visit stands for
    ids: NDArray[Any] | None = None  # the labelled visits, when known
    audited: NDArray[Any] | None = None  # labelled by an audit (else reviewed below the threshold)

    @property
    def size(self) -> int:
        return len(self.confidence)

    def only(self, keep: set[int]) -> Evidence:
        """The labelled visits in ``keep``, each with the weight it has in the whole."""
        if self.ids is None:
            raise ValueError("This evidence does not know its visits.")
        mask = np.isin(self.ids, np.fromiter(keep, dtype=np.int64, count=len(keep)))
        audited = self.audited[mask] if self.audited is not None else None
        return Evidence(self.confidence[mask], self.correct[mask], self.weight[mask], self.ids[mask], audited)


def poststratified_weights(
    labelled: NDArray[Any],
    population: NDArray[Any],
    population_weight: NDArray[Any] | None = None,
    group: int = GROUP,
) -> NDArray[Any]:
    """Each labelled visit's weight: the visits of the store (``population``, confidences,
    each counting ``population_weight`` visits when the population is a sample) in its
    confidence group divided by the labelled visits in it. Groups are runs of ``group``
    labelled visits by confidence (a short last run joins the one before); a group's range
    reaches halfway to its neighbours, and the top and bottom ones reach to the ends."""
    n = len(labelled)
    if n == 0:
        return np.zeros(0, dtype=np.float64)
    pop_w = np.ones(len(population)) if population_weight is None else np.asarray(population_weight, np.float64)
    order = np.argsort(-labelled, kind="stable")
    conf = labelled[order]
    k = max(1, n // group)
    starts = np.array([i * group for i in range(k)])  # the last group also takes the remainder
    ends = np.append(starts[1:], n)
    # Group g holds confidences down to edge[g]; the edge sits halfway to the next group.
    edges = np.array([(conf[ends[g] - 1] + conf[ends[g]]) / 2 for g in range(k - 1)])
    # Population visit -> group: the first edge it is not below (descending edges).
    idx = (
        np.searchsorted(-edges, -np.asarray(population, np.float64), side="right")
        if k > 1
        else np.zeros(len(population), dtype=np.int64)
    )
    counts = np.bincount(idx, weights=pop_w, minlength=k)[:k]
    sizes = (ends - starts).astype(np.float64)
    per_group = np.maximum(counts, sizes) / sizes  # a labelled visit stands for at least itself
    out = np.empty(n, dtype=np.float64)
    for g in range(k):
        out[order[starts[g] : ends[g]]] = per_group[g]
    return out


def labelled_evidence(
    confidence: NDArray[Any],
    correct: NDArray[Any],
    inclusion_weight: NDArray[Any],
    population: tuple[NDArray[Any], NDArray[Any]] | None = None,
    *,
    ids: NDArray[Any] | None = None,
    audited: NDArray[Any] | None = None,
) -> Evidence:
    """Evidence from labelled visits' confidences and whether each receipt was right.
    With the store's visits (``population``: their confidences and the visits each stands
    for) the labelled ones are post-stratified by confidence; without, each counts
    ``inclusion_weight``, one over its chance of being labelled. Pure, so the product's
    stores and an offline evaluation weigh their labels the same way."""
    if population is not None:
        weight = poststratified_weights(confidence, population[0], population[1])
    else:
        weight = np.asarray(inclusion_weight, dtype=np.float64)
    return Evidence(confidence=confidence, correct=correct, weight=weight, ids=ids, audited=audited)


def effective_size(weight: float, sq_weight: float) -> float:
    """Kish's effective sample size of weights with this sum and sum of squares."""
    return weight * weight / sq_weight if sq_weight > 0 else 0.0


def weighted_lower_bound(hits: float, weight: float, sq_weight: float, alpha: float = ALPHA) -> float:
    """Clopper-Pearson lower bound at the effective sample size; errors rounded up, so it
    never claims more than the data give."""
    n = int(math.floor(effective_size(weight, sq_weight) + 1e-6))
    if n < 1 or weight <= 0:
        return 0.0
    errors = int(math.ceil((1.0 - hits / weight) * n - 1e-9))
    return clopper_pearson_lower(n - min(errors, n), n, alpha)


def at_threshold(evidence: Evidence, threshold: float, alpha: float = ALPHA) -> dict[str, Any]:
    """The estimate and bound of auto-issued accuracy at ``threshold``."""
    above = evidence.confidence >= threshold
    w = evidence.weight[above]
    c = evidence.correct[above].astype(bool)
    total, hits, sq = float(w.sum()), float((w * c).sum()), float((w * w).sum())
    return {
        "threshold": round(float(threshold), 6),
        "labelled": int(above.sum()),
        "errors": int((~c).sum()),
        "estimate": round(hits / total, 6) if total else None,
        "n_eff": round(effective_size(total, sq), 1),
        "lower_bound": round(weighted_lower_bound(hits, total, sq, alpha), 6) if total else 0.0,
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
    cw, cc, csq = np.cumsum(w), np.cumsum(w * ok), np.cumsum(w * w)
    boundary = np.append(conf[:-1] > conf[1:], True) & (conf >= floor)
    best = NEVER
    tried: set[tuple[int, int]] = set()
    # From the loosest cut upwards; the first cut that meets the target is the answer.
    for k in np.nonzero(boundary)[0][::-1]:
        point = cc[k] / cw[k]
        if point < target:
            continue
        figures = (float(cc[k]), float(cw[k]), float(csq[k]))
        n_eff = int(effective_size(figures[1], figures[2]) + 1e-6)
        key = (n_eff, int(math.ceil((1 - point) * n_eff - 1e-9)))
        if key in tried:
            continue
        tried.add(key)
        if weighted_lower_bound(*figures, alpha=alpha) >= target:
            best = float(conf[k])
            break
    return best
