"""Where the reviews go: each visit's least sure decision, by kind of doubt.

A visit's confidence is the product of what its events and reaches decided
(``inference.decode``), so the least sure of those decisions is what sends it to review.
This names that decision's doubt:

- ``action``: whether the weight change was a move at all, or which way (pick or put back);
- ``shopper``: whether the mover was a payment-group shopper;
- ``product``: which product, ``product_same_weight`` when the two likeliest products'
  units weigh within the catalogue's spread of each other (only the cameras can tell);
- ``quantity``: how many units of the likeliest product;
- ``reach``: whether a hand no weight change explains moved something the scale missed
  (and what), for a network that reads reaches;
- ``none``: a visit with nothing to decide.

``evaluate_model`` counts the reviewed visits per kind (right and wrong apart) and the
auto-issued wrong ones, so the reviews a model spends are told apart from its mistakes:
a kind with many reviewed right receipts is doubt that costs reviewers' time for nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from inference.context import StoreContext
from inference.decode import VisitScore
from inference.errors import same_weight
from inference.features import MAX_QUANTITY, NOISE, PICK, PUT_BACK, RESTOCK, VisitFeatures

KINDS = ("action", "shopper", "product", "product_same_weight", "quantity", "reach", "none")

Probs = tuple[NDArray[Any], NDArray[Any], NDArray[Any]]


def _event_doubt(ctx: StoreContext, f: VisitFeatures, e: int, probs: Probs) -> tuple[float, str]:
    """(probability of what the event decided, kind of its weakest part), as ``decode``
    decides: a group move when that beats "nothing for the receipt", else nothing."""
    action, pq, track = probs
    n_t = len(f.track_ids)
    group = f.is_group[:n_t]
    a, p, t = action[e], pq[e, : len(f.candidates[e]) * MAX_QUANTITY], track[e, :n_t]
    p_group = float(t[group].sum()) if n_t else 0.0
    moved = float(a[PICK] + a[PUT_BACK])
    p_none = float(a[NOISE] + a[RESTOCK]) + moved * (1.0 - p_group)
    order = np.argsort(-p, kind="stable") if len(p) else np.array([], dtype=np.int64)
    p_pq = float(p[order[0]]) if len(order) else 0.0
    p_act = max(float(a[PICK]), float(a[PUT_BACK]))
    chosen = p_act * p_pq * p_group
    if chosen <= p_none or not len(order):
        # Nothing for the receipt: the doubt is a group move; when the heads are sure
        # something moved, it is about the mover.
        return p_none, "shopper" if moved > 0.5 else "action"
    parts = {"action": p_act, "product": p_pq, "shopper": p_group}
    kind = min(parts, key=lambda k: (parts[k], k))
    if kind == "product" and len(order) > 1:
        first, second = int(order[0]) // MAX_QUANTITY, int(order[1]) // MAX_QUANTITY
        if first == second:
            kind = "quantity"
        elif same_weight(ctx, f.candidates[e][first], f.candidates[e][second]):
            kind = "product_same_weight"
    return chosen, kind


def visit_doubt(ctx: StoreContext, f: VisitFeatures, probs: Probs, score: VisitScore) -> tuple[float, str]:
    """The visit's least sure decision: (its probability, kind); (1.0, "none") without any.
    ``probs`` are the event heads' probabilities ``score`` was decoded from; a reach's
    decision (its item, or nothing) is the one ``score`` holds."""
    decisions = [_event_doubt(ctx, f, e, probs) for e in range(len(f.events))]
    decisions += [(float(item["probability"]), "reach") for item in score.reach_items]
    return min(decisions, key=lambda d: d[0], default=(1.0, "none"))


def reviews_by_doubt(
    ctx: StoreContext,
    features: Sequence[VisitFeatures],
    probs: Sequence[Probs],
    scores: Sequence[VisitScore],
    correct: NDArray[Any],
    auto_issued: NDArray[Any],
) -> dict[str, dict[str, int]]:
    """Per kind of the least sure decision: visits sent to review (``reviewed``, of which
    ``reviewed_wrong`` had a wrong receipt) and wrong receipts auto-issued."""
    counts: dict[str, Counter[str]] = {k: Counter() for k in KINDS}
    for f, p, score, ok, auto in zip(features, probs, scores, correct, auto_issued, strict=True):
        _, kind = visit_doubt(ctx, f, p, score)
        if not auto:
            counts[kind]["reviewed"] += 1
            counts[kind]["reviewed_wrong"] += int(not ok)
        elif not ok:
            counts[kind]["auto_issued_wrong"] += 1
    fields = ("reviewed", "reviewed_wrong", "auto_issued_wrong")
    return {k: {n: c[n] for n in fields} for k, c in counts.items() if any(c[n] for n in fields)}
