"""Why a receipt is wrong: each wrong visit's events set against perfect event heads.

The oracle (``inference.oracle``) decodes a visit from its events' truth labels; where
even that misses the true receipt, the weight detector lost the move (``detector``).
Otherwise the true receipt is the sum of the oracle's per-event contributions, and an
event where the scorer's contribution differs names the kind of mistake:

- ``phantom_move``: the scorer billed an event that was noise or a staff restock;
- ``missed_move``: the scorer called a payment-group shopper's move noise or a restock;
- ``attribution``: the move was someone else's and was billed, or the group's and was not;
- ``direction``: a pick read as a put-back, or back;
- ``product``: the right units of the wrong product; ``product_same_weight`` when the
  two products' units weigh within the catalogue's spread of each other, so only the
  cameras could tell them apart;
- ``quantity``: the right product, the wrong number of units;
- ``vision_item``: an item put on the receipt from vision alone (a reach) that was wrong;
- ``other``: no event or reach differs from the truth decode, yet the receipt is wrong.

A visit can have several kinds; ``evaluate_model`` counts wrong visits per kind, and
the auto-issued wrong ones apart, so the next model work starts where receipts go wrong.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from inference.context import StoreContext
from inference.decode import VisitScore
from inference.features import VisitFeatures
from inference.oracle import event_oracle_decode

KINDS = (
    "detector",
    "phantom_move",
    "missed_move",
    "attribution",
    "direction",
    "product",
    "product_same_weight",
    "quantity",
    "vision_item",
    "other",
)


def _contribution(assignment: dict[str, Any]) -> tuple[str | None, int]:
    """What one event adds to the group's receipt: (sku, signed units), or (None, 0)."""
    if not assignment.get("on_receipt"):
        return None, 0
    sign = 1 if assignment["action"] == "pick" else -1
    return assignment["sku"], sign * int(assignment["quantity"])


def same_weight(ctx: StoreContext, a: str, b: str) -> bool:
    """Whether units of ``a`` and ``b`` weigh within two catalogue spreads of each other."""
    pa, pb = ctx.products.get(a), ctx.products.get(b)
    if pa is None or pb is None:
        return False
    spread = math.hypot(pa.unit_weight_std_g, pb.unit_weight_std_g)
    return abs(pa.unit_weight_g - pb.unit_weight_g) <= 2 * max(spread, 1.0)


def event_error(ctx: StoreContext, truth: dict[str, Any], scored: dict[str, Any]) -> str | None:
    """The kind of mistake ``scored`` makes on one event whose truth decode is ``truth``."""
    t_sku, t_units = _contribution(truth)
    s_sku, s_units = _contribution(scored)
    if (t_sku, t_units) == (s_sku, s_units):
        return None
    moved = ("pick", "put_back")
    if t_sku is None:
        return "attribution" if truth["action"] in moved else "phantom_move"
    if s_sku is None:
        return "attribution" if scored["action"] in moved else "missed_move"
    if (t_units > 0) != (s_units > 0):
        return "direction"
    if t_sku != s_sku:
        return "product_same_weight" if same_weight(ctx, t_sku, s_sku) else "product"
    return "quantity"


def visit_errors(ctx: StoreContext, f: VisitFeatures, score: VisitScore, impossible: bool) -> set[str]:
    """The kinds of mistake in one wrong visit (empty for none found)."""
    if impossible:
        return {"detector"}
    oracle = event_oracle_decode(f)
    kinds = {k for t, s in zip(oracle.assignments, score.assignments, strict=True) if (k := event_error(ctx, t, s))}
    if any(item["on_receipt"] for item in score.reach_items):
        kinds.add("vision_item")  # the oracle's receipt is right without any item from vision
    return kinds or {"other"}


def wrong_receipt_kinds(
    ctx: StoreContext,
    features: Sequence[VisitFeatures],
    scores: Sequence[VisitScore],
    correct: NDArray[Any],
    auto_issued: NDArray[Any],
    impossible: NDArray[Any],
) -> dict[str, Any]:
    """Wrong visits per kind of mistake (a visit counts under each of its kinds), for all
    wrong visits and for the wrong ones the threshold auto-issued."""
    wrong: Counter[str] = Counter()
    auto_wrong: Counter[str] = Counter()
    for i in np.flatnonzero(~np.asarray(correct, dtype=bool)):
        kinds = visit_errors(ctx, features[i], scores[i], bool(impossible[i]))
        wrong.update(kinds)
        if auto_issued[i]:
            auto_wrong.update(kinds)
    return {
        "wrong_visits": int((~np.asarray(correct, dtype=bool)).sum()),
        "by_kind": {k: wrong[k] for k in KINDS if wrong[k]},
        "auto_issued_by_kind": {k: auto_wrong[k] for k in KINDS if auto_wrong[k]},
    }
