"""Where the reviews go: each visit's least sure decision, by kind of doubt.

A visit's raw confidence is the product of what its events and reaches decided
(``inference.decode``); the calibrator maps it, with a few scene summaries, to the
confidence the threshold reads. The least sure decision is the weakest factor of the raw
confidence: for a reviewed visit, the likeliest reason it was reviewed. This names that
decision's doubt:

- ``action``: whether the weight change was a move at all, or which way (pick or put back);
- ``shopper``: whether the mover was a payment-group shopper;
- ``product``: which product, ``product_same_weight`` when the two likeliest are the same
  number of units of products whose units weigh within two catalogue spreads of each
  other (``inference.errors.same_weight``: only the cameras can tell them apart);
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
from inference.network import Probs

KINDS = ("action", "shopper", "product", "product_same_weight", "quantity", "reach", "none")


def _product_doubt(ctx: StoreContext, f: VisitFeatures, e: int, order: NDArray[Any]) -> str:
    """Which product slot the event's two likeliest (product, quantity) pairs differ in."""
    if len(order) < 2:
        return "product"
    (first, q1), (second, q2) = divmod(int(order[0]), MAX_QUANTITY), divmod(int(order[1]), MAX_QUANTITY)
    if first == second:
        return "quantity"
    if q1 == q2 and same_weight(ctx, f.candidates[e][first], f.candidates[e][second]):
        return "product_same_weight"
    return "product"


def _event_doubt(ctx: StoreContext, f: VisitFeatures, e: int, probs: Probs) -> tuple[float, str]:
    """(probability of what the event decided, kind of its weakest part), as ``decode``
    decides: a group move when that beats "nothing for the receipt", else nothing."""
    action, pq, track = probs
    n_t = len(f.track_ids)
    group = f.is_group[:n_t]
    a, p, t = action[e], pq[e, : len(f.candidates[e]) * MAX_QUANTITY], track[e, :n_t]
    p_group = float(t[group].sum()) if n_t else 0.0
    moved = float(a[PICK] + a[PUT_BACK])
    still = float(a[NOISE] + a[RESTOCK])
    p_none = still + moved * (1.0 - p_group)
    order = np.argsort(-p, kind="stable") if len(p) else np.array([], dtype=np.int64)
    p_pq = float(p[order[0]]) if len(order) else 0.0
    p_act = max(float(a[PICK]), float(a[PUT_BACK]))
    chosen = p_act * p_pq * p_group
    if chosen <= p_none or not len(order):
        # Nothing for the receipt. Its doubt is a group move: one the heads think was an
        # outsider's (decode's own test), one they would bill but for the spread over
        # products, or whether anything moved.
        if moved * (1.0 - p_group) > still:
            return p_none, "shopper"
        if moved * p_group > p_none:
            return p_none, _product_doubt(ctx, f, e, order)
        return p_none, "action"
    parts = {"action": p_act, "product": p_pq, "shopper": p_group}
    kind = min(parts, key=lambda k: (parts[k], k))
    return chosen, _product_doubt(ctx, f, e, order) if kind == "product" else kind


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
