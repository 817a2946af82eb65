"""Featurising one visit (its ingest payload dict) into the model's tokens.

Tokens: one per weight-change event, one per vision event, one per candidate track.
Beside the tokens, each weight event carries two candidate sets with pair features,
so the heads point at candidates instead of classifying over a fixed catalogue (the
same network then works on a store with other products):

- product x quantity: products faced on or near the plate, the vision classifier's
  top products near the event (pooled over the cameras' views of the reach), the
  catalogue's best weight matches, and (for weight coming back) products that likely
  left a shelf earlier in the visit;
- track: the payment group's shoppers and any other track the cameras saw.

Everything is computed from the payload dict, so training reads the simulator's
payloads directly and scoring rebuilds the same dict from stored rows
(``inference.selectors.visit_payloads``). Nothing here depends on dict key order.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from inference.context import PlateInfo, StoreContext

ACTIONS = ("pick", "put_back", "restock", "noise")
PICK, PUT_BACK, RESTOCK, NOISE = range(4)
MAX_PRODUCTS = 12  # K: product candidates per event
MAX_QUANTITY = 6  # Q: quantities 1..Q per product candidate
MAX_TRACKS = 10  # T: track candidates per visit
VISION_KINDS = ("hand_in_shelf", "near_fixture", "occlusion")
EVENT_FEATURES = 18
VISION_FEATURES = 11
TRACK_FEATURES = 6
PQ_FEATURES = 15
TRACK_PAIR_FEATURES = 16
IGNORE = -100
# Vision events count as "at" a weight event when they overlap it within this slack (s).
TIME_SLACK_S = 1.5
UNKNOWN_DISTANCE_M = 3.0
UNSEEN_TRACK = -1


@dataclass
class VisitFeatures:
    """Arrays of one visit; E events, V vision events, T tracks."""

    events: NDArray[Any]  # [E, EVENT_FEATURES]
    vision: NDArray[Any]  # [V, VISION_FEATURES]
    tracks: NDArray[Any]  # [T, TRACK_FEATURES]
    pq: NDArray[Any]  # [E, K, Q, PQ_FEATURES]
    pq_mask: NDArray[Any]  # [E, K] bool, a real candidate
    track_pairs: NDArray[Any]  # [E, T, TRACK_PAIR_FEATURES]
    candidates: list[list[str]]  # per event, the SKUs behind the K slots
    track_ids: list[int]
    is_group: NDArray[Any]  # [T] bool
    event_order: list[int]  # sorted position -> index in payload["weight_events"]
    plates: list[str]
    y_action: NDArray[Any] | None = None  # [E]
    y_pq: NDArray[Any] | None = None  # [E] index k*Q+q-1, or IGNORE
    y_track: NDArray[Any] | None = None  # [E] or IGNORE
    meta: dict[str, Any] = field(default_factory=dict)


def _overlaps(v: dict[str, Any], t0: float, t1: float) -> bool:
    start = float(v["t"])
    end = float(v["t_end"]) if v.get("t_end") is not None else start
    return start <= t1 + TIME_SLACK_S and end >= t0 - TIME_SLACK_S


def _spatial_weight(ctx: StoreContext, v: dict[str, Any], plate: str) -> float:
    """How surely a vision event concerns ``plate``: 1 same plate, 0.6 a neighbour, 0.3 same fixture."""
    vp = v.get("plate")
    if vp == plate:
        return 1.0
    if vp is not None and vp in ctx.plates:
        here, there = ctx.plates[plate], ctx.plates[vp]
        if there.shelf == here.shelf and abs(there.x_m - here.x_m) <= 0.25:
            return 0.6
        return 0.3 if there.fixture == here.fixture else 0.0
    if v.get("fixture") is not None and v.get("fixture") == ctx.plates[plate].fixture:
        return 0.3
    return 0.0


def _track_position(track: list[list[float]], t: float) -> tuple[float, float] | None:
    if not track:
        return None
    if t <= track[0][0]:
        return track[0][1], track[0][2]
    if t >= track[-1][0]:
        return track[-1][1], track[-1][2]
    i = bisect.bisect_left(track, t, key=lambda p: p[0])
    (ta, xa, ya), (tb, xb, yb) = track[i - 1][:3], track[i][:3]
    w = 0.0 if tb <= ta else (t - ta) / (tb - ta)
    return xa + w * (xb - xa), ya + w * (yb - ya)


def _vision_position(events: list[dict[str, Any]], t: float) -> tuple[float, float] | None:
    """Where the cameras last placed a track near time ``t`` (within 3 s)."""
    best: tuple[float, tuple[float, float]] | None = None
    for v in events:
        if v.get("x_m") is None or v.get("y_m") is None:
            continue
        dt = abs(float(v["t"]) - t)
        if dt <= 3.0 and (best is None or dt < best[0]):
            best = (dt, (float(v["x_m"]), float(v["y_m"])))
    return None if best is None else best[1]


def _hand_match(v: dict[str, Any], info: PlateInfo, t0: float, t1: float) -> float:
    """How badly a hand-in-shelf event fits a weight event: 0 is a hand right over the
    plate, starting and ending with the weight change; 1 or more is no match."""
    if v.get("x_m") is None:
        return 1.0
    dx = abs(float(v["x_m"]) - info.x_m) / 0.1
    dt = abs(float(v["t"]) - t0) / 0.6
    end = float(v["t_end"]) if v.get("t_end") is not None else float(v["t"])
    dt_end = abs(end - t1) / 1.2
    return min((dx * dx + dt * dt + dt_end * dt_end) / 9.0, 1.0)


def _weight_match(delta: float, noise: float, w: NDArray[Any], std: NDArray[Any]) -> tuple[NDArray[Any], NDArray[Any]]:
    """Best quantity (1..Q) per product and the |z| of the leftover weight."""
    q = np.clip(np.rint(abs(delta) / w), 1, MAX_QUANTITY)
    sigma = np.sqrt(noise**2 + q * std**2 + 1.0)
    return q, np.abs(abs(delta) - q * w) / sigma


def _sort_scores(scores: dict[str, float]) -> list[tuple[str, float]]:
    return sorted(((s, float(v)) for s, v in scores.items()), key=lambda item: (-item[1], item[0]))


def featurize(payload: dict[str, Any], ctx: StoreContext, truth: dict[str, Any] | None = None) -> VisitFeatures:
    """Featurise one visit; with ``truth`` (the simulator's) also the per-event targets."""
    raw_events = payload.get("weight_events") or []
    order = sorted(range(len(raw_events)), key=lambda i: float(raw_events[i]["t_start"]))
    events = [raw_events[i] for i in order]
    vision = sorted(payload.get("vision_events") or [], key=lambda v: float(v["t"]))
    hands = [v for v in vision if v["kind"] == "hand_in_shelf"]
    shoppers = sorted(payload.get("shoppers") or [], key=lambda s: int(s["track_id"]))
    group_ids = [int(s["track_id"]) for s in shoppers]
    tracks_of = {int(s["track_id"]): s.get("track") or [] for s in shoppers}
    others = sorted({int(v["track_id"]) for v in vision if v.get("track_id") is not None} - set(group_ids))
    # The last slot stands for a person no camera tracked (staff, a shopper out of view).
    track_ids = (group_ids + others)[: MAX_TRACKS - 1] + [UNSEEN_TRACK]
    is_group = np.array([tid in tracks_of for tid in track_ids], dtype=bool)
    vision_of: dict[int, list[dict[str, Any]]] = {tid: [] for tid in track_ids}
    for v in vision:
        if v.get("track_id") is not None and int(v["track_id"]) in vision_of:
            vision_of[int(v["track_id"])].append(v)
    times = [float(e["t_end"]) for e in events] + [float(v["t"]) for v in vision] + [1.0]
    span = max(times)

    n_e, n_t = len(events), len(track_ids)
    ev = np.zeros((n_e, EVENT_FEATURES), dtype=np.float32)
    pq = np.zeros((n_e, MAX_PRODUCTS, MAX_QUANTITY, PQ_FEATURES), dtype=np.float32)
    pq_mask = np.zeros((n_e, MAX_PRODUCTS), dtype=bool)
    tp = np.zeros((n_e, n_t, TRACK_PAIR_FEATURES), dtype=np.float32)
    candidates: list[list[str]] = []
    earlier_picks: dict[str, float] = {}
    sku_index = {s: i for i, s in enumerate(ctx.skus)}
    qs = np.arange(1, MAX_QUANTITY + 1, dtype=np.float64)

    for e_i, e in enumerate(events):
        plate = e["plate"]
        info = ctx.plates[plate]
        t0, t1 = float(e["t_start"]), float(e["t_end"])
        delta, noise = float(e["delta_g"]), float(e.get("noise_g") or 0.0)
        near = [(v, w) for v in hands if _overlaps(v, t0, t1) and (w := _spatial_weight(ctx, v, plate)) > 0]
        # Several cameras see one reach, each with its own classifier: keep the best single
        # view (max) beside the pooled evidence (weighted mean score, share of views voting
        # for the product, views naming it), since independent views average out noise.
        vis_score: dict[str, float] = {}
        vis_top: dict[str, float] = {}
        vis_sum: dict[str, float] = {}
        vis_votes: dict[str, float] = {}
        vis_named: dict[str, int] = {}
        view_weight = sum(w for _, w in near)
        for v, w in near:
            ranked = _sort_scores(v.get("product_scores") or {})
            for rank, (sku, score) in enumerate(ranked):
                vis_score[sku] = max(vis_score.get(sku, 0.0), w * score)
                vis_sum[sku] = vis_sum.get(sku, 0.0) + w * score
                vis_named[sku] = vis_named.get(sku, 0) + 1
                if rank == 0:
                    vis_top[sku] = max(vis_top.get(sku, 0.0), w)
                    vis_votes[sku] = vis_votes.get(sku, 0.0) + w
        vis_mean = {sku: total / view_weight for sku, total in vis_sum.items()} if view_weight else {}

        # Candidate products, most plausible sources first.
        cands: list[str] = list(ctx.facings.get(plate, []))
        for code, _ in ctx.neighbours.get(plate, []):
            cands += ctx.facings.get(code, [])
        cands += [s for s, _ in sorted(vis_mean.items(), key=lambda kv: (-kv[1], kv[0]))[:3]]
        cands += [s for s, _ in sorted(vis_score.items(), key=lambda kv: (-kv[1], kv[0]))[:2]]
        _, z_all = _weight_match(delta, noise, ctx.weights, ctx.stds)
        best_fit = np.argsort(z_all, kind="stable")[:3]
        cands += [ctx.skus[i] for i in best_fit]
        if delta > 0:
            cands += [s for s, _ in sorted(earlier_picks.items(), key=lambda kv: (-kv[1], kv[0]))[:4]]
        seen: set[str] = set()
        chosen = [s for s in cands if s in ctx.products and not (s in seen or seen.add(s))][:MAX_PRODUCTS]  # type: ignore[func-returns-value]
        candidates.append(chosen)

        best_z = 9.0
        on_plate = ctx.facings.get(plate, [])
        for k, sku in enumerate(chosen):
            prod = ctx.products[sku]
            sigma = np.sqrt(noise**2 + qs * prod.unit_weight_std_g**2 + 1.0)
            z = (abs(delta) - qs * prod.unit_weight_g) / sigma
            best_z = min(best_z, float(np.min(np.abs(z))))
            dist = ctx.facing_distance(sku, plate)
            pq_mask[e_i, k] = True
            block = pq[e_i, k]
            block[:, 0] = np.clip(z, -8, 8) / 4
            block[:, 1] = np.minimum(z**2, 64) / 16
            block[:, 2] = qs / MAX_QUANTITY
            block[:, 3] = qs == 1
            block[:, 4] = math.log(prod.unit_weight_g) / 6
            block[:, 5] = float(sku in on_plate)
            block[:, 6] = min(dist, 1.0)
            block[:, 7] = vis_score.get(sku, 0.0)
            block[:, 8] = vis_top.get(sku, 0.0)
            block[:, 9] = min(earlier_picks.get(sku, 0.0), 2.0) / 2
            block[:, 10] = float(z_all[sku_index[sku]] < 2.0)
            block[:, 11] = prod.unit_weight_std_g / max(prod.unit_weight_g, 1.0) * 10
            block[:, 12] = vis_mean.get(sku, 0.0)
            block[:, 13] = vis_votes.get(sku, 0.0) / view_weight if view_weight else 0.0
            block[:, 14] = min(vis_named.get(sku, 0), 6) / 3
        if delta < 0 and chosen:
            # Remember what may have left the shelf, so a put-back elsewhere can point at it.
            fits = [
                (float(np.min(np.abs(pq[e_i, k, :, 0]))) * 4 - 3 * pq[e_i, k, 0, 7], s) for k, s in enumerate(chosen)
            ]
            for _, sku in sorted(fits)[:2]:
                earlier_picks[sku] = earlier_picks.get(sku, 0.0) + 1.0

        # Track candidates. Vision track ids can be swapped by the tracker, so beside the
        # id-based cues there are id-free ones: where each person stands relative to the
        # plate and to the hands the cameras saw in the shelf at that moment.
        t_mid = (t0 + t1) / 2
        dists = np.full(n_t, UNKNOWN_DISTANCE_M, dtype=np.float64)
        positions: list[tuple[float, float] | None] = []
        for j, tid in enumerate(track_ids):
            pos = _track_position(tracks_of[tid], t_mid) if tid in tracks_of else None
            if pos is None:
                pos = _vision_position(vision_of[tid], t_mid)
            positions.append(pos)
            if pos is not None:
                dists[j] = min(ctx.plate_distance(plate, *pos), UNKNOWN_DISTANCE_M)
                tp[e_i, j, 2] = 1.0
                tp[e_i, j, 10] = min(abs(pos[0] - info.x_m), 2.0) / 2
            else:
                tp[e_i, j, 10] = 1.0
            hand_here = hand_near = near_fixture = 0.0
            closest_dt = 5.0
            hand_dx = 1.0
            match = 1.0
            for v in vision_of[tid]:
                if not _overlaps(v, t0, t1):
                    continue
                if v["kind"] == "hand_in_shelf":
                    match = min(match, _hand_match(v, info, t0, t1))
                    w = _spatial_weight(ctx, v, plate)
                    conf = float(v.get("confidence", 1.0))
                    if w >= 1.0:
                        hand_here = max(hand_here, conf)
                        closest_dt = min(closest_dt, abs(float(v["t"]) - t_mid))
                    elif w > 0:
                        hand_near = max(hand_near, w * conf)
                    if v.get("x_m") is not None:
                        hand_dx = min(hand_dx, abs(float(v["x_m"]) - info.x_m))
                elif v["kind"] == "near_fixture" and v.get("fixture") == info.fixture:
                    near_fixture = max(near_fixture, float(v.get("confidence", 1.0)))
            tp[e_i, j, 0] = float(is_group[j])
            tp[e_i, j, 1] = dists[j] / UNKNOWN_DISTANCE_M
            tp[e_i, j, 3] = hand_here
            tp[e_i, j, 4] = hand_near
            tp[e_i, j, 5] = near_fixture
            tp[e_i, j, 6] = closest_dt / 5
            tp[e_i, j, 12] = hand_dx
            tp[e_i, j, 15] = match
            # Any hand at this plate or its neighbours, whoever the tracker says it was.
            reach = 2.0
            for v, w in near:
                if w >= 0.6 and v.get("x_m") is not None:
                    at = _track_position(tracks_of[tid], float(v["t"])) if tid in tracks_of else pos
                    if at is not None:
                        reach = min(reach, math.hypot(at[0] - float(v["x_m"]), at[1] - float(v["y_m"])))
            tp[e_i, j, 11] = reach / 2
            # A group track far from where the cameras put its own id hints at an id swap.
            drift = 0.0
            if tid in tracks_of:
                for v in vision_of[tid]:
                    if v.get("x_m") is not None and abs(float(v["t"]) - t_mid) <= 8.0:
                        at = _track_position(tracks_of[tid], float(v["t"]))
                        if at is not None:
                            drift = max(drift, math.hypot(at[0] - float(v["x_m"]), at[1] - float(v["y_m"])))
            tp[e_i, j, 13] = min(drift, 2.0) / 2
        for j, pos in enumerate(positions):
            crowd = 2.0
            if pos is not None:
                for k, other in enumerate(positions):
                    if k != j and other is not None:
                        crowd = min(crowd, math.hypot(pos[0] - other[0], pos[1] - other[1]))
            tp[e_i, j, 14] = crowd / 2
        if n_t:
            ranks = np.argsort(np.argsort(dists, kind="stable"), kind="stable")
            tp[e_i, :, 7] = (ranks == 0) & (tp[e_i, :, 2] > 0)
            tp[e_i, :, 8] = np.minimum(ranks, 4) / 4
            tp[e_i, -1, 9] = 1.0

        n_hands = len(near)
        matches = sorted(_hand_match(v, info, t0, t1) for v, _ in near)
        ev[e_i] = [
            1.0 if delta < 0 else -1.0,
            math.log1p(abs(delta)) / 8,
            min(t1 - t0, 10.0) / 5,
            min(noise, 20.0) / 5,
            t0 / span,
            info.x_m / 10,
            info.y_m / 10,
            info.height_m,
            len(on_plate) / 5,
            min(best_z, 9.0) / 9,
            min(n_hands, 10) / 5,
            max((float(v.get("confidence", 1.0)) for v, _ in near), default=0.0),
            float(np.sum(is_group & (dists < 1.0))) / 3 if n_t else 0.0,
            float(np.sum(~is_group & (dists < 1.0))) / 3 if n_t else 0.0,
            float(abs(delta) < 10.0),
            max(vis_score.values(), default=0.0),
            matches[0] if matches else 1.0,
            min(sum(m < 0.3 for m in matches), 3) / 3,
        ]

    vi = np.zeros((len(vision), VISION_FEATURES), dtype=np.float32)
    for i, v in enumerate(vision):
        scores = _sort_scores(v.get("product_scores") or {})
        tid = v.get("track_id")
        vp = v.get("plate")
        x = v.get("x_m") if v.get("x_m") is not None else (ctx.plates[vp].x_m if vp in ctx.plates else 0.0)
        y = v.get("y_m") if v.get("y_m") is not None else (ctx.plates[vp].y_m if vp in ctx.plates else 0.0)
        start = float(v["t"])
        end = float(v["t_end"]) if v.get("t_end") is not None else start
        vi[i, VISION_KINDS.index(v["kind"]) if v["kind"] in VISION_KINDS else 2] = 1.0
        vi[i, 3:] = [
            float(v.get("confidence", 1.0)),
            start / span,
            min(end - start, 10.0) / 5,
            float(x) / 10,
            float(y) / 10,
            float(vp is not None),
            scores[0][1] if scores else 0.0,
            float(tid is not None and int(tid) in tracks_of),
        ]

    tr = np.zeros((n_t, TRACK_FEATURES), dtype=np.float32)
    for j, tid in enumerate(track_ids):
        mine = vision_of[tid]
        tr[j] = [
            float(is_group[j]),
            min(sum(v["kind"] == "hand_in_shelf" for v in mine), 20) / 10,
            min(sum(v["kind"] == "near_fixture" for v in mine), 20) / 10,
            float(bool(tracks_of.get(tid))),
            len(group_ids) / 4,
            float(tid == UNSEEN_TRACK),
        ]

    # Hands in a shelf with no weight change to explain them: a missed or merged event
    # the receipt may lack, which the confidence should know about.
    unexplained_group = unexplained_any = 0
    for v in hands:
        vp = v.get("plate")
        if vp not in ctx.plates:
            continue
        explained = any(
            _overlaps(v, float(e["t_start"]), float(e["t_end"])) and _spatial_weight(ctx, v, e["plate"]) >= 0.6
            for e in events
        )
        if not explained:
            unexplained_any += 1
            unexplained_group += int(v.get("track_id") is not None and int(v["track_id"]) in tracks_of)

    features = VisitFeatures(
        events=ev,
        vision=vi,
        tracks=tr,
        pq=pq,
        pq_mask=pq_mask,
        track_pairs=tp,
        candidates=candidates,
        track_ids=track_ids,
        is_group=is_group,
        event_order=order,
        plates=[e["plate"] for e in events],
        meta={
            "unexplained_hands_group": unexplained_group,
            "unexplained_hands": unexplained_any,
            "t_start": [float(e["t_start"]) for e in events],
            "t_end": [float(e["t_end"]) for e in events],
        },
    )
    if truth is not None:
        _attach_labels(features, truth)
    return features


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


def _attach_labels(features: VisitFeatures, truth: dict[str, Any]) -> None:
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
