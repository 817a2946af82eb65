"""Training targets: per weight event, the action, the (product, quantity) slot and the
track slot the simulator's truth says are right."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from inference.features.schema import MAX_QUANTITY

if TYPE_CHECKING:
    from inference.features.visit import VisitFeatures

ACTIONS = ("pick", "put_back", "restock", "noise")
PICK, PUT_BACK, RESTOCK, NOISE = range(4)
IGNORE = -100  # a target the loss skips


def _group_share(
    label: dict[str, Any], features: VisitFeatures, e_i: int, interactions: list[dict[str, Any]], group: set[int]
) -> dict[str, Any]:
    """The label that makes this event add up to the group's receipt.

    When two people move the same product on one plate at once, the detector sees one
    weight change and the simulator labels it with one of them; if that one is outside
    the group while a group member's move is merged in, the receipt wants the member's
    share, so train on that."""
    if label.get("track_id") in group or label.get("action") not in ("pick", "put_back"):
        return label
    plate = features.plates[e_i]
    t0 = float(features.meta.get("t_start", [0.0] * (e_i + 1))[e_i])
    t1 = float(features.meta.get("t_end", [0.0] * (e_i + 1))[e_i])
    for act in interactions:
        if (
            act.get("plate") == plate
            and act.get("track_id") in group
            and act.get("action") == label["action"]
            and t0 - 0.5 <= float(act.get("t_change", -1e9)) <= t1 + 0.5
        ):
            return {
                "action": act["action"],
                "sku": act["sku"],
                "quantity": act["quantity"],
                "track_id": act["track_id"],
            }
    return label


def attach_labels(features: VisitFeatures, truth: dict[str, Any]) -> None:
    """Set ``y_action``, ``y_pq``, ``y_track`` (and ``meta["missing_product"]``, the picks
    whose product or quantity no candidate slot holds) from the simulator's truth."""
    labels = truth.get("event_labels") or []
    n_e = len(features.event_order)
    y_action = np.full(n_e, NOISE, dtype=np.int64)
    y_pq = np.full(n_e, IGNORE, dtype=np.int64)
    y_track = np.full(n_e, IGNORE, dtype=np.int64)
    missing_product = 0
    group = {tid for tid, g in zip(features.track_ids, features.is_group) if g}
    interactions = truth.get("interactions") or []
    for e_i, original in enumerate(features.event_order):
        label = _group_share(labels[original], features, e_i, interactions, group)
        action = ACTIONS.index(label["action"])
        y_action[e_i] = action
        if action in (PICK, PUT_BACK):
            sku, quantity = label.get("sku"), int(label.get("quantity") or 1)
            if sku in features.candidates[e_i] and 1 <= quantity <= MAX_QUANTITY:
                y_pq[e_i] = features.candidates[e_i].index(sku) * MAX_QUANTITY + quantity - 1
            else:
                missing_product += 1
            tid = label.get("track_id")
            if tid is not None and int(tid) in features.track_ids:
                y_track[e_i] = features.track_ids.index(int(tid))
            elif tid is None or int(tid) not in group:
                y_track[e_i] = len(features.track_ids) - 1
    features.y_action, features.y_pq, features.y_track = y_action, y_pq, y_track
    features.meta["missing_product"] = missing_product
