"""From per-event probabilities to a receipt and a raw visit confidence.

An event changes the group's receipt by "nothing" (noise, a staff restock, or a person
outside the payment group) or by +q / -q units of one product. The decoder takes, per
event, the most probable of those contributions (marginalising over the actions and
tracks that give the same one), and the raw confidence is the product over events of
those probabilities: the chance every event's contribution is right under the heads'
independence. Calibration (``inference.calibration``) turns it into a probability that
means what it says.

A network with ``vision_items`` also gives, per unexplained reach (a hand in a shelf
no weight event explains), the probabilities of its action (none, pick, put back),
product, quantity and track. A reach puts an item on the receipt from vision alone when
that move by a payment-group shopper is both more likely than "nothing for the receipt"
and at least ``VISION_ITEM_MIN``; either way the probability of what was decided (the
item, or none) multiplies into the confidence, so an ambiguous reach sends the visit to
review.

The rules baseline fills the same three probability arrays from hand rules, so both go
through this one decoder and the same evaluation; it reads no reaches.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from inference.features import (
    ACTIONS,
    EVENT_TOKEN,
    MAX_QUANTITY,
    NOISE,
    PICK,
    PRODUCT_PAIR,
    PUT_BACK,
    REACH_ACTIONS,
    REACH_NONE,
    REACH_PICK,
    REACH_PUT_BACK,
    RESTOCK,
    TRACK_PAIR,
    VisitFeatures,
)


@dataclass
class VisitScore:
    receipt: dict[str, int]  # sku -> units for the payment group
    lines: list[dict[str, Any]]
    raw_confidence: float
    assignments: list[dict[str, Any]] = field(default_factory=list)
    confidence: float = 0.0  # calibrated, filled by the scorer
    summary: list[float] = field(default_factory=list)  # visit-level inputs of the calibrator
    reach_items: list[dict[str, Any]] = field(default_factory=list)  # per unexplained reach, what was decided


VISION_ITEM_MIN = 0.5  # a vision-only item goes on the receipt when at least this sure


def _decode_reach(f: VisitFeatures, r: int, probs: Sequence[NDArray[Any]]) -> dict[str, Any]:
    """What one unexplained reach adds to the group's receipt, and how sure that is."""
    a, p, q, t = probs
    n_t = len(f.track_ids)
    group = f.is_group[:n_t]
    t = t[:n_t]
    p_group = float(t[group].sum()) if n_t else 0.0
    moved = float(a[REACH_PICK] + a[REACH_PUT_BACK])
    p_none = float(a[REACH_NONE]) + moved * (1.0 - p_group)
    candidates = f.reach_candidates[r]
    k = int(np.argmax(p[: len(candidates)])) if candidates else -1
    quantity = int(np.argmax(q)) + 1
    p_item = float(p[k]) * float(q[quantity - 1]) * p_group if k >= 0 else 0.0
    pick, put = float(a[REACH_PICK]) * p_item, float(a[REACH_PUT_BACK]) * p_item
    on_receipt = max(pick, put) > p_none and max(pick, put) >= VISION_ITEM_MIN
    group_track = int(np.argmax(np.where(group, t, -1.0))) if group.any() else -1
    return {
        "reach": r,
        "plate": f.reach_plates[r],
        "t": round(f.reach_times[r][0], 3),
        "action": REACH_ACTIONS[(REACH_PICK if pick >= put else REACH_PUT_BACK) if on_receipt else REACH_NONE],
        "sku": candidates[k] if on_receipt else None,
        "quantity": quantity if on_receipt else 0,
        "track_id": f.track_ids[group_track] if on_receipt and group_track >= 0 else None,
        "on_receipt": on_receipt,
        "probability": max(pick, put) if on_receipt else p_none,
    }


def _top_two(f: VisitFeatures, e: int, p: NDArray[Any]) -> list[dict[str, Any]]:
    """The event's two likeliest (product, quantity) pairs with their probabilities, as
    the product head ranks them whatever was billed: what it weighed its answer against."""
    out = []
    for i in np.argsort(-p, kind="stable")[:2]:
        k, q = divmod(int(i), MAX_QUANTITY)
        out.append({"sku": f.candidates[e][k], "quantity": q + 1, "probability": round(float(p[i]), 4)})
    return out


def decode(
    f: VisitFeatures,
    action: NDArray[Any],
    pq: NDArray[Any],
    track: NDArray[Any],
    reach: Sequence[NDArray[Any]] | None = None,
) -> VisitScore:
    """``action`` [E,4], ``pq`` [E,K*Q], ``track`` [E,T] for one visit (unpadded rows are
    ignored); ``reach``, from a ``vision_items`` network, the reach heads' action [R,3],
    product [R,K], quantity [R,Q] and track [R,T]."""
    n_e, n_t = len(f.events), len(f.track_ids)
    group = f.is_group[:n_t]
    totals: dict[str, int] = {}
    line_prob: dict[str, float] = {}
    line_track: dict[str, dict[int, float]] = {}
    assignments: list[dict[str, Any]] = [{} for _ in range(n_e)]
    log_conf = 0.0
    contributions: list[float] = []
    outside_moves: list[float] = []
    product_doubt: list[float] = []
    # Per event: where the heads are torn or the scene is busy (summaries for the calibrator).
    track_doubt, action_doubt, product_margin, outsider_hands, drift = [0.0], [0.0], [1.0], [0.0], [0.0]
    for e in range(n_e):
        a, p, t = action[e], pq[e, : len(f.candidates[e]) * MAX_QUANTITY], track[e, :n_t]
        p_group = float(t[group].sum()) if n_t else 0.0
        p_none = float(a[NOISE] + a[RESTOCK]) + float(a[PICK] + a[PUT_BACK]) * (1.0 - p_group)
        best_pq = int(np.argmax(p)) if len(p) else -1
        p_pq = float(p[best_pq]) if best_pq >= 0 else 0.0
        pick = float(a[PICK]) * p_pq * p_group
        put = float(a[PUT_BACK]) * p_pq * p_group
        best_track_idx = int(np.argmax(t)) if n_t else -1
        group_track = int(np.argmax(np.where(group, t, -1.0))) if group.any() else -1
        sku: str | None = None
        quantity = 0
        if max(pick, put) > p_none and best_pq >= 0:
            sku = f.candidates[e][best_pq // MAX_QUANTITY]
            quantity = best_pq % MAX_QUANTITY + 1
            sign = 1 if pick >= put else -1
            chosen = max(pick, put)
            totals[sku] = totals.get(sku, 0) + sign * quantity
            line_prob[sku] = line_prob.get(sku, 1.0) * chosen
            tid = f.track_ids[group_track]
            line_track.setdefault(sku, {})[tid] = line_track.get(sku, {}).get(tid, 0.0) + sign * quantity
            act = PICK if sign > 0 else PUT_BACK
            track_id: int | None = tid
        else:
            chosen = p_none
            act = int(np.argmax(a))
            if act in (PICK, PUT_BACK):
                act = RESTOCK if a[RESTOCK] > a[NOISE] else NOISE
                if float(a[PICK] + a[PUT_BACK]) * (1.0 - p_group) > float(a[NOISE] + a[RESTOCK]):
                    # Someone outside the payment group moved it: keep their action for the labels.
                    act = PICK if a[PICK] >= a[PUT_BACK] else PUT_BACK
            track_id = f.track_ids[best_track_idx] if best_track_idx >= 0 and act in (PICK, PUT_BACK) else None
            if act in (PICK, PUT_BACK) and best_pq >= 0:
                sku = f.candidates[e][best_pq // MAX_QUANTITY]
                quantity = best_pq % MAX_QUANTITY + 1
        log_conf += math.log(max(chosen, 1e-12))
        contributions.append(chosen)
        outside_moves.append(float(a[PICK] + a[PUT_BACK]) * (1.0 - p_group))
        if chosen != p_none:
            product_doubt.append(1.0 - p_pq)
        ranked = np.sort(p)[::-1]
        product_margin.append(float(ranked[0] - ranked[1]) if len(ranked) > 1 else float(p_pq))
        track_doubt.append(1.0 - float(t.max()) if n_t else 0.0)
        action_doubt.append(1.0 - float(a.max()))
        pairs = f.track_pairs[e, :n_t]
        outsider_hands.append(float(np.sum((pairs[:, TRACK_PAIR["hand_on_plate"]] > 0) & ~group)) if n_t else 0.0)
        drift.append(float(pairs[group, TRACK_PAIR["id_drift"]].max()) if group.any() else 0.0)
        assignments[e] = {
            "event": f.event_order[e],
            "plate": f.plates[e],
            "action": ACTIONS[act],
            "sku": sku,
            "quantity": quantity,
            "track_id": track_id if track_id is None or track_id >= 0 else None,
            "on_receipt": act in (PICK, PUT_BACK) and sku is not None and chosen != p_none,
            "probabilities": {
                "action": {name: round(float(a[i]), 4) for i, name in enumerate(ACTIONS)},
                "product": round(p_pq, 4),
                "in_group": round(p_group, 4),
                "contribution": round(chosen, 4),
                "top_two": _top_two(f, e, p),
            },
        }
    assignments.sort(key=lambda item: item["event"])
    reach_items = (
        [_decode_reach(f, r, [x[r] for x in reach]) for r in range(len(f.reaches))] if reach is not None else []
    )
    for item in reach_items:
        log_conf += math.log(max(item["probability"], 1e-12))
        if item["on_receipt"]:
            sku, sign = item["sku"], 1 if item["action"] == "pick" else -1
            totals[sku] = totals.get(sku, 0) + sign * item["quantity"]
            line_prob[sku] = line_prob.get(sku, 1.0) * item["probability"]
            tid = item["track_id"]
            line_track.setdefault(sku, {})[tid] = line_track.get(sku, {}).get(tid, 0.0) + sign * item["quantity"]
        item["probability"] = round(item["probability"], 4)
    receipt = {sku: q for sku, q in sorted(totals.items()) if q > 0}
    lines = [
        {
            "sku": sku,
            "quantity": q,
            "shopper_track_id": max(sorted(line_track[sku].items()), key=lambda kv: kv[1])[0],
            "probability": round(line_prob[sku], 4),
        }
        for sku, q in receipt.items()
    ]
    weakest = sorted(contributions) + [1.0, 1.0]
    others = int(np.sum(~group)) - 1 if n_t else 0  # minus the unseen-person slot
    summary = [
        math.log(max(weakest[0], 1e-12)) / 10,
        math.log(max(weakest[1], 1e-12)) / 10,
        sum(c < 0.999 for c in contributions) / 3,
        n_e / 10,
        max(outside_moves, default=0.0),
        max(others, 0) / 3,
        max(product_doubt, default=0.0),
        len(receipt) / 5,
        min(int(f.meta.get("unexplained_hands_group", 0)), 3) / 3,
        min(int(f.meta.get("unexplained_hands", 0)), 3) / 3,
        # Appended later: a calibrator fitted on fewer summaries reads only its own first ones.
        max(track_doubt),
        max(action_doubt),
        1.0 - min(product_margin),
        min(max(outsider_hands), 3.0) / 3,
        max(drift),
        float(f.events[:, EVENT_TOKEN["others_within_1m"]].max()) if n_e else 0.0,
        float(f.events[:, EVENT_TOKEN["unit_weight_fit"]].max()) if n_e else 0.0,  # the worst fit
        float(f.events[:, EVENT_TOKEN["noise"]].max()) if n_e else 0.0,  # the noisiest weight change
    ]
    if reach is not None:
        # Only for a vision_items network: the least sure reach, and the items from vision.
        summary += [
            1.0 - min((i["probability"] for i in reach_items), default=1.0),
            min(sum(i["on_receipt"] for i in reach_items), 3) / 3,
        ]
    return VisitScore(
        receipt=receipt,
        lines=lines,
        raw_confidence=math.exp(log_conf),
        assignments=assignments,
        summary=summary,
        reach_items=reach_items,
    )


def baseline_probs(f: VisitFeatures) -> tuple[NDArray[Any], NDArray[Any], NDArray[Any]]:
    """The rules pipeline as probabilities: weight change -> product by planogram (and
    vision where present) and unit weight -> quantity by rounding -> nearest shopper."""
    n_e, n_t = len(f.events), len(f.track_ids)
    k_q = f.pq.shape[1] * MAX_QUANTITY if n_e else 0
    action = np.zeros((n_e, 4))
    pq = np.zeros((n_e, k_q))
    track = np.zeros((n_e, max(n_t, 1)))
    for e in range(n_e):
        grams = math.expm1(float(f.events[e, EVENT_TOKEN["log_grams"]]) * 8)
        taken = f.events[e, EVENT_TOKEN["direction"]] > 0
        feats = f.pq[e]  # [K, Q, F]
        z = feats[:, :, PRODUCT_PAIR["weight_z"]] * 4
        on_plate = feats[:, :, PRODUCT_PAIR["faced_on_plate"]] > 0
        near = feats[:, :, PRODUCT_PAIR["facing_distance"]] <= 0.25
        allowed = f.pq_mask[e][:, None] & (on_plate if on_plate.any() else near)
        if not allowed.any():
            allowed = np.broadcast_to(f.pq_mask[e][:, None], z.shape)
        score = np.where(allowed, -0.5 * z**2 + 4.0 * feats[:, :, PRODUCT_PAIR["best_view_score"]], -1e9)
        flat = score.flatten()
        probs = np.exp(flat - flat.max())
        pq[e] = probs / probs.sum()
        best_q = int(np.argmax(flat)) % MAX_QUANTITY + 1
        p_move = 1.0 / (1.0 + math.exp(-(grams - 10.0) / 2.0))
        if taken:
            action[e] = [p_move, 0.0, 0.0, 1 - p_move]
        elif best_q >= 3:
            action[e] = [0.0, 0.0, p_move, 1 - p_move]
        else:
            action[e] = [0.0, p_move, 0.0, 1 - p_move]
        known = f.track_pairs[e, :n_t, TRACK_PAIR["located"]] > 0
        if known.any():
            dist = f.track_pairs[e, :n_t, TRACK_PAIR["plate_distance"]] * 3.0
            logits = np.where(known, -dist / 0.25, -1e9)
        else:
            logits = np.where(f.is_group[:n_t], 0.0, -1e9)
        t = np.exp(logits - logits.max())
        track[e, :n_t] = t / t.sum()
    return action, pq, track
