"""Training targets: per weight event, the action, the (product, quantity) slot and the
track slot the simulator's truth says are right; per unexplained reach, whether it moved
something the scale missed, and what, how many and who."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from inference.context import StoreContext
from inference.features.matching import TIME_SLACK_S, spatial_weight
from inference.features.reaches import EXPLAINED_WEIGHT, VIEW_GAP_S, Reach
from inference.features.scene import VisitScene
from inference.features.schema import MAX_QUANTITY

if TYPE_CHECKING:
    from inference.features.visit import VisitFeatures

ACTIONS = ("pick", "put_back", "restock", "noise")
PICK, PUT_BACK, RESTOCK, NOISE = range(4)
IGNORE = -100  # a target the loss skips


MERGED_SLACK_S = 0.5  # a move merged into an event changed the weight within this of the event's span


def _within(act: dict[str, Any], t0: float, t1: float) -> bool:
    return t0 - MERGED_SLACK_S <= float(act.get("t_change", -1e9)) <= t1 + MERGED_SLACK_S


def _span(features: VisitFeatures, e_i: int) -> tuple[float, float]:
    t0 = float(features.meta.get("t_start", [0.0] * (e_i + 1))[e_i])
    t1 = float(features.meta.get("t_end", [0.0] * (e_i + 1))[e_i])
    return t0, t1


def _same_move(label: dict[str, Any], act: dict[str, Any]) -> bool:
    return (label.get("action"), label.get("sku"), label.get("track_id")) == (
        act.get("action"),
        act.get("sku"),
        act.get("track_id"),
    )


def _weighed_elsewhere(
    features: VisitFeatures, e_i: int, act: dict[str, Any], truth_labels: list[dict[str, Any]]
) -> bool:
    """Another weight event around the move's moment carries it, so it was not merged:
    one at the move's own plate, or one the truth labels with the move (a move straddling
    two plates can be weighed at the other)."""
    return any(
        j != e_i
        and _within(act, *_span(features, j))
        and (plate == act.get("plate") or _same_move(truth_labels[j], act))
        for j, plate in enumerate(features.plates)
    )


def _group_share(
    ctx: StoreContext,
    truth_labels: list[dict[str, Any]],
    features: VisitFeatures,
    e_i: int,
    interactions: list[dict[str, Any]],
    group: set[int],
) -> dict[str, Any]:
    """The label that makes this event add up to the group's receipt.

    When two people reach at once, the detector can see one weight change: at one plate,
    or at neighbouring plates of a shelf (it merges those into one event, named after the
    larger change). The simulator labels such an event with the larger move; if that is
    outside the group while a group member's move of the same kind is merged in, the
    receipt wants the member's share, so train on that. A member's move at a neighbouring
    plate counts only when no event of its own plate carries it; one at the event's own
    plate comes first. ``truth_labels`` are the truth's event labels in the features'
    event order."""
    label = truth_labels[e_i]
    if label.get("track_id") in group or label.get("action") not in ("pick", "put_back"):
        return label
    plate = features.plates[e_i]
    t0, t1 = _span(features, e_i)
    merged = [
        (0 if act.get("plate") == plate else 1, i, act)
        for i, act in enumerate(interactions)
        if act.get("track_id") in group
        and act.get("action") == label["action"]
        and act.get("sku") is not None
        and act.get("plate") in ctx.plates
        and _within(act, t0, t1)
        and (
            act.get("plate") == plate
            or (
                spatial_weight(ctx, {"plate": act["plate"]}, plate) >= EXPLAINED_WEIGHT
                and not _weighed_elsewhere(features, e_i, act, truth_labels)
            )
        )
    ]
    if not merged:
        return label
    act = min(merged, key=lambda m: (m[0], m[1]))[2]
    return {"action": act["action"], "sku": act["sku"], "quantity": act["quantity"], "track_id": act["track_id"]}


def track_slot(features: VisitFeatures, track_id: Any) -> int:
    """The track slot a label's shopper trains: their own when the visit's features hold
    the track (a group member or another shopper the cameras saw), else the last slot,
    the shopper no camera followed. One rule for the simulator's truth and for people's
    answers, so a store's labels teach what the simulated ones do."""
    if track_id is not None and int(track_id) in features.track_ids:
        return features.track_ids.index(int(track_id))
    return len(features.track_ids) - 1


def carried_labels(ctx: StoreContext, features: VisitFeatures, truth: dict[str, Any]) -> list[dict[str, Any]]:
    """What each weight event (in the features' event order) trains to carry: the truth's
    label, or a group member's share of a merged change (``_group_share``). Computed once
    per visit; ``attach_labels`` and ``attach_reach_labels`` both read it."""
    labels = truth.get("event_labels") or []
    group = {tid for tid, g in zip(features.track_ids, features.is_group) if g}
    interactions = truth.get("interactions") or []
    in_order = [labels[original] for original in features.event_order]
    return [_group_share(ctx, in_order, features, e_i, interactions, group) for e_i in range(len(in_order))]


def attach_labels(features: VisitFeatures, carried: list[dict[str, Any]]) -> None:
    """Set ``y_action``, ``y_pq``, ``y_track`` (and ``meta["missing_product"]``, the picks
    whose product or quantity no candidate slot holds) from ``carried_labels``."""
    n_e = len(features.event_order)
    y_action = np.full(n_e, NOISE, dtype=np.int64)
    y_pq = np.full(n_e, IGNORE, dtype=np.int64)
    y_track = np.full(n_e, IGNORE, dtype=np.int64)
    missing_product = 0
    for e_i, label in enumerate(carried):
        action = ACTIONS.index(label["action"])
        y_action[e_i] = action
        if action in (PICK, PUT_BACK):
            sku, quantity = label.get("sku"), int(label.get("quantity") or 1)
            if sku in features.candidates[e_i] and 1 <= quantity <= MAX_QUANTITY:
                y_pq[e_i] = features.candidates[e_i].index(sku) * MAX_QUANTITY + quantity - 1
            else:
                missing_product += 1
            y_track[e_i] = track_slot(features, label.get("track_id"))
    features.y_action, features.y_pq, features.y_track = y_action, y_pq, y_track
    features.meta["missing_product"] = missing_product


REACH_ACTIONS = ("none", "pick", "put_back")
REACH_NONE, REACH_PICK, REACH_PUT_BACK = range(3)


def _reach_interaction(
    visit: VisitScene, reach: Reach, interactions: list[dict[str, Any]]
) -> tuple[int, dict[str, Any]] | None:
    """The true interaction behind a reach, with its index: one for a product at the
    reach's plate or a neighbour whose hand went in within ``VIEW_GAP_S`` of the first
    view (nearest first)."""
    near = [
        (abs(float(a["t_start"]) - reach.t0), i, a)
        for i, a in enumerate(interactions)
        if a.get("sku") is not None
        and a.get("plate") in visit.ctx.plates
        and abs(float(a["t_start"]) - reach.t0) <= VIEW_GAP_S
        and max(spatial_weight(visit.ctx, v, a["plate"]) for v in reach.views) >= EXPLAINED_WEIGHT
    ]
    if not near:
        return None
    _, i, act = min(near, key=lambda n: (n[0], n[1]))
    return i, act


def _weighed(visit: VisitScene, act: dict[str, Any], carried: list[dict[str, Any]], units: list[int]) -> bool:
    """A weight event still carries this interaction: its training label (``carried``,
    in sorted event order) is the same move by the same person, at the interaction's
    plate or a neighbour, around when the weight changed, with units left (``units``,
    per event, is used up here), so one weighed unit never explains two reaches."""
    t = float(act["t_change"])
    for e_i, (label, e) in enumerate(zip(carried, visit.events, strict=True)):
        if (
            units[e_i] > 0
            and _same_move(label, act)
            and spatial_weight(visit.ctx, {"plate": act["plate"]}, e["plate"]) >= EXPLAINED_WEIGHT
            and float(e["t_start"]) - TIME_SLACK_S <= t <= float(e["t_end"]) + TIME_SLACK_S
        ):
            units[e_i] -= max(1, int(act.get("quantity") or 1))
            return True
    return False


def attach_reach_labels(
    features: VisitFeatures,
    visit: VisitScene,
    reaches: list[Reach],
    truth: dict[str, Any],
    carried: list[dict[str, Any]],
) -> None:
    """Set the reach targets from the simulator's truth: a reach is a pick or put back
    (with product slot, quantity and track) when its true interaction moved a product and
    no weight event carries it, so only vision can put it on the receipt; ``none`` when
    it moved nothing for the receipt (a staff restock, a reach the truth has no move for)
    or the scale did weigh it elsewhere. Truth without interactions (a store's reviewed
    visit) leaves every reach unlabelled."""
    n_r = len(reaches)
    interactions = truth.get("interactions") or []
    y_action = np.full(n_r, IGNORE if not interactions else REACH_NONE, dtype=np.int64)
    y_product = np.full(n_r, IGNORE, dtype=np.int64)
    y_quantity = np.full(n_r, IGNORE, dtype=np.int64)
    y_track = np.full(n_r, IGNORE, dtype=np.int64)
    # ``carried``: what each event is trained to carry (``carried_labels``).
    units = [max(1, int(label.get("quantity") or 1)) for label in carried]
    # Per interaction, whether a reach may carry it: decided once, so two reaches of one
    # missed move put it on the receipt once (the first reach carries it).
    open_moves: dict[int, bool] = {}
    missing = 0
    for r_i, reach in enumerate(reaches if interactions else []):
        found = _reach_interaction(visit, reach, interactions)
        if found is None or found[1]["action"] not in ("pick", "put_back"):
            continue
        i, act = found
        if i in open_moves:
            open_moves[i] = False
            continue
        open_moves[i] = not _weighed(visit, act, carried, units)
        if not open_moves[i]:
            continue
        y_action[r_i] = REACH_PICK if act["action"] == "pick" else REACH_PUT_BACK
        if act["sku"] in reach.candidates:
            y_product[r_i] = reach.candidates.index(act["sku"])
        else:
            missing += 1
        if 1 <= int(act["quantity"]) <= MAX_QUANTITY:
            y_quantity[r_i] = int(act["quantity"]) - 1
        y_track[r_i] = track_slot(features, act.get("track_id"))
    features.y_reach_action, features.y_reach_product = y_action, y_product
    features.y_reach_quantity, features.y_reach_track = y_quantity, y_track
    features.reach_missing_product = missing


REVIEWED_REACH_T_S = 0.01  # a stored reach decision names a reach of the same start time


def reviewed_reach_labels(features: VisitFeatures, labels: list[dict[str, Any]]) -> int:
    """Set the reach targets of a store's visit from people's answers (the store has no
    simulator truth): each label ``{action, sku, quantity, track_id, t}`` with ``action``
    pick, put_back or noise (no move), and ``reach`` (the index a review's stored reach
    decision or an annotators' removed camera-only item names, trusted only at the same
    moment and plate) or none (an annotator's added interaction, matched to the reach
    whose hand went in nearest its moment, within ``VIEW_GAP_S``, with the product among
    its candidates). A label that matches no reach teaches nothing; reaches no label
    names stay unlabelled; of two labels naming one reach, the later wins. Returns how
    many reaches got a label."""
    n_r = len(features.reaches)
    targets = {
        "y_reach_action": np.full(n_r, IGNORE, dtype=np.int64),
        "y_reach_product": np.full(n_r, IGNORE, dtype=np.int64),
        "y_reach_quantity": np.full(n_r, IGNORE, dtype=np.int64),
        "y_reach_track": np.full(n_r, IGNORE, dtype=np.int64),
    }
    for label in labels:
        r = _labelled_reach(features, label)
        if r is None:
            continue
        for values in targets.values():  # a later label of the same reach replaces an earlier one
            values[r] = IGNORE
        if label["action"] not in ("pick", "put_back"):
            targets["y_reach_action"][r] = REACH_NONE
            continue
        targets["y_reach_action"][r] = REACH_PICK if label["action"] == "pick" else REACH_PUT_BACK
        if label.get("sku") in features.reach_candidates[r]:
            targets["y_reach_product"][r] = features.reach_candidates[r].index(label["sku"])
        if 1 <= int(label.get("quantity") or 0) <= MAX_QUANTITY:
            targets["y_reach_quantity"][r] = int(label["quantity"]) - 1
        targets["y_reach_track"][r] = track_slot(features, label.get("track_id"))
    for name, values in targets.items():
        setattr(features, name, values)
    return int((targets["y_reach_action"] != IGNORE).sum())


def _labelled_reach(features: VisitFeatures, label: dict[str, Any]) -> int | None:
    t = label.get("t")
    if t is None:
        return None
    index = label.get("reach")
    if index is not None:
        r = int(index)
        same = 0 <= r < len(features.reaches) and abs(features.reach_times[r][0] - float(t)) <= REVIEWED_REACH_T_S
        return r if same and label.get("plate") in (None, features.reach_plates[r]) else None
    near = [
        (abs(t0 - float(t)), r)
        for r, (t0, _) in enumerate(features.reach_times)
        if abs(t0 - float(t)) <= VIEW_GAP_S and label.get("sku") in features.reach_candidates[r]
    ]
    return min(near)[1] if near else None
