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

It reads only what ``decode`` stored with each decision (a prediction's
``event_assignments`` hold the same). ``evaluate_model`` counts the reviewed visits per
kind (right and wrong apart) and the auto-issued wrong ones, so the reviews a model
spends are told apart from its mistakes: a kind with many reviewed right receipts is
doubt that costs reviewers' time for nothing. ``reviews_at_merged_changes`` counts, across
kinds, the reviews whose least sure decision was at one weight change that merged two
people's moves (simulated visits, whose labels say so).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from numpy.typing import NDArray

from inference.assignments import is_vision, weight_assignments
from inference.context import StoreContext
from inference.decode import VisitScore
from inference.errors import same_weight
from inference.features import MAX_QUANTITY, PRODUCT_PAIR, VisitFeatures

KINDS = ("action", "shopper", "product", "product_same_weight", "quantity", "reach", "none")


def _product_doubt(ctx: StoreContext | None, entry: dict[str, Any]) -> str:
    """What the event's two likeliest (product, quantity) pairs differ in (without a
    store's ``ctx``, same-weight look-alikes are not told apart from other products)."""
    top_two = (entry.get("probabilities") or {}).get("top_two") or []
    if len(top_two) < 2:
        return "product"
    first, second = top_two
    if first["sku"] == second["sku"]:
        return "quantity"
    if ctx is not None and first["quantity"] == second["quantity"] and same_weight(ctx, first["sku"], second["sku"]):
        return "product_same_weight"
    return "product"


def event_doubt(ctx: StoreContext | None, entry: dict[str, Any]) -> tuple[float, str]:
    """(probability of what a weight event's stored decision decided, kind of its weakest
    part), from the probabilities ``decode`` stored with it."""
    probs = entry.get("probabilities") or {}
    action = probs.get("action") or {}
    p_group = float(probs.get("in_group", 0.0))
    moved = float(action.get("pick", 0.0)) + float(action.get("put_back", 0.0))
    still = float(action.get("noise", 0.0)) + float(action.get("restock", 0.0))
    chosen = float(probs.get("contribution", 1.0))
    if not entry.get("on_receipt"):
        # Nothing for the receipt. Its doubt is a group move: one the heads think was an
        # outsider's (decode's own test), one they would bill but for the spread over
        # products, or whether anything moved.
        if moved * (1.0 - p_group) > still:
            return chosen, "shopper"
        if moved * p_group > chosen:
            return chosen, _product_doubt(ctx, entry)
        return chosen, "action"
    parts = {
        "action": float(action.get(str(entry.get("action")), 1.0)),
        "product": float(probs.get("product", 1.0)),
        "shopper": p_group,
    }
    kind = min(parts, key=lambda k: (parts[k], k))
    return chosen, _product_doubt(ctx, entry) if kind == "product" else kind


def _decisions(ctx: StoreContext, score: VisitScore) -> list[tuple[float, str, int | None]]:
    """(probability, kind, weight event) of every decision ``score`` holds: the weight
    events' (with the event's index in the payload) and the reaches' (an item, or nothing)."""
    decisions = [(*event_doubt(ctx, entry), int(entry["event"])) for entry in weight_assignments(score.assignments)]
    return decisions + [(float(item["probability"]), "reach", None) for item in score.reach_items]


def _least_sure(ctx: StoreContext, score: VisitScore) -> tuple[float, str, int | None]:
    """The weakest of ``_decisions``; (1.0, "none", None) without any."""
    return min(_decisions(ctx, score), key=lambda d: d[0], default=(1.0, "none", None))


def visit_doubt(ctx: StoreContext, score: VisitScore) -> tuple[float, str]:
    """The visit's least sure decision: (its probability, kind); (1.0, "none") without any."""
    p, kind, _ = _least_sure(ctx, score)
    return p, kind


MERGED_Z = 3.0  # whole units of the labelled product miss the change by more than this many standard errors


def merged_events(f: VisitFeatures) -> list[bool]:
    """Per weight event (in the features' order): a change that merged two people's moves,
    as its training label tells (simulated visits): the labelled move, in whole units of
    the labelled product, misses the weight change by more than ``MERGED_Z`` standard
    errors, so only a share of the change is the group's (``labels._group_share``)."""
    if f.y_pq is None:
        return [False] * len(f.events)
    out = []
    for e, slot in enumerate(f.y_pq):
        k, q = divmod(int(slot), MAX_QUANTITY)
        out.append(bool(slot >= 0 and abs(float(f.pq[e, k, q, PRODUCT_PAIR["weight_z"]])) * 4 > MERGED_Z))
    return out


def reviews_at_merged_changes(
    ctx: StoreContext,
    features: Sequence[VisitFeatures],
    scores: Sequence[VisitScore],
    correct: NDArray[Any],
    auto_issued: NDArray[Any],
) -> dict[str, int]:
    """Visits with a merged change (``merged_events``), and the reviewed ones (of which
    ``reviewed_wrong`` had a wrong receipt) and auto-issued wrong ones whose least sure
    decision was at such a change: what splitting two people's shares of one weight
    change costs, beside ``reviews_by_doubt``'s kinds."""
    counts: Counter[str] = Counter()
    for f, score, ok, auto in zip(features, scores, correct, auto_issued, strict=True):
        merged = merged_events(f)
        if not any(merged):
            continue
        counts["visits"] += 1
        _, _, event = _least_sure(ctx, score)
        if event is None or not merged[f.event_order.index(event)]:
            continue
        if not auto:
            counts["reviewed"] += 1
            counts["reviewed_wrong"] += int(not ok)
        elif not ok:
            counts["auto_issued_wrong"] += 1
    return {k: counts[k] for k in ("visits", "reviewed", "reviewed_wrong", "auto_issued_wrong")}


def reviews_by_doubt(
    ctx: StoreContext,
    scores: Sequence[VisitScore],
    correct: NDArray[Any],
    auto_issued: NDArray[Any],
) -> dict[str, dict[str, int]]:
    """Per kind of the least sure decision: visits sent to review (``reviewed``, of which
    ``reviewed_wrong`` had a wrong receipt) and wrong receipts auto-issued."""
    counts: dict[str, Counter[str]] = {k: Counter() for k in KINDS}
    for score, ok, auto in zip(scores, correct, auto_issued, strict=True):
        _, kind = visit_doubt(ctx, score)
        if not auto:
            counts[kind]["reviewed"] += 1
            counts[kind]["reviewed_wrong"] += int(not ok)
        elif not ok:
            counts[kind]["auto_issued_wrong"] += 1
    fields = ("reviewed", "reviewed_wrong", "auto_issued_wrong")
    return {k: {n: c[n] for n in fields} for k, c in counts.items() if any(c[n] for n in fields)}


def _event_text(entry: dict[str, Any], names: Mapping[str, str]) -> str:
    """A weight event's doubted part in a reviewer's words (``event_doubt``'s kind)."""
    if not entry.get("on_receipt"):
        return "nothing billed, may be a group shopper's move"
    _, kind = event_doubt(None, entry)
    top_two = (entry.get("probabilities") or {}).get("top_two") or []
    name = [names.get(answer["sku"], answer["sku"]) for answer in top_two]
    if kind == "quantity":
        return f"the quantity: {top_two[0]['quantity']} or {top_two[1]['quantity']} of {name[0]}"
    if kind == "product" and len(top_two) == 2:
        return f"the product: {name[0]} or {name[1]}"
    return f"the {kind}"


def least_sure(
    entries: Sequence[dict[str, Any]], event_times: Sequence[float], names: Mapping[str, str] | None = None
) -> str:
    """A stored prediction's least sure decision, for the reviewer it was sent to: where
    (a weight change's start, or an unexplained hand's moment, and the plate), which part
    the model doubts most, and the decision's probability; ``event_times`` are the weight
    events' starts in event order, ``names`` product names by SKU (a SKU without one is
    shown as it is). "" for a prediction with no decision."""
    found: list[tuple[float, str]] = []
    for i, entry in enumerate(weight_assignments(entries)):
        p = float((entry.get("probabilities") or {}).get("contribution", 1.0))
        when = f" at {event_times[i]:.1f} s" if i < len(event_times) else ""
        found.append((p, f"weight change{when} on {entry.get('plate')}, {_event_text(entry, names or {})} ({p:.2f})"))
    for entry in entries:
        if is_vision(entry):
            p = float(entry.get("probability", 1.0))
            billed = (
                "billed from the cameras alone"
                if entry.get("on_receipt")
                else "nothing billed, may be an item the scale missed"
            )
            where = f"hand at {float(entry['t']):.1f} s on {entry.get('plate')}, no weight change"
            found.append((p, f"{where}, {billed} ({p:.2f})"))
    return min(found, key=lambda f: f[0])[1] if found else ""


def doubted_skus(entries: Sequence[dict[str, Any]]) -> set[str]:
    """The products ``least_sure`` may name: each weight event's two likeliest."""
    return {
        str(answer["sku"])
        for entry in weight_assignments(entries)
        for answer in (entry.get("probabilities") or {}).get("top_two") or []
    }
