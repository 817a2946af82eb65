"""Unexplained reaches: hands the cameras saw in a shelf that no weight change accounts for.

The weight detector misses light items on noisy plates and merges moves on adjacent
plates; the receipt then lacks an item the cameras saw taken. Each such reach becomes a
token the network can read and put on the receipt from vision alone.

- A **reach** is the camera views of one hand: hand-in-shelf detections on one fixture,
  under one track id, starting within ``VIEW_GAP_S`` of the first, at that plate or a
  neighbour, and at most one per camera (each camera reports a reach once).
- A weight event **explains** one reach: of the reaches with a view near it (the view
  overlaps the event in time within ``matching.TIME_SLACK_S``, at the event's plate or
  a neighbour: ``spatial_weight`` at least 0.6, the test the visit's
  ``unexplained_hands`` count uses), the one whose best view fits the change best
  (``hand_match``: over the plate, starting and ending with the change), one reach per
  event and one event per reach. A reach no event explains is **unexplained** and
  becomes a token: either nothing was weighed near it (a missed change) or its event
  went to another hand (two moves the scale merged into one change). When another
  person's hand was near the same event and went unexplained, the explained one is
  contested and becomes a token too: the scale's one change may be either hand's.

Each token carries its own product candidates (what its views name and what faces its
plate, ``REACH_PRODUCT``) and track candidates (the visit's, ``REACH_TRACK``).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from inference.context import PlateInfo
from inference.features.events import plate_columns
from inference.features.matching import hand_match, overlaps, sort_scores, spatial_weight, weight_match
from inference.features.scene import (
    UNKNOWN_DISTANCE_M,
    ViewPool,
    VisitScene,
    known_candidates,
    person_position,
    pool_views,
)
from inference.features.schema import MAX_PRODUCTS, REACH_PRODUCT, REACH_TOKEN, REACH_TRACK, Columns

VIEW_GAP_S = 0.5  # a camera's view of a reach starts within this of the reach's first view
EXPLAINED_WEIGHT = 0.6  # an event at the plate or a neighbour explains a view
MAX_REACHES = 16  # tokens per visit; more unexplained reaches than this is a broken scale


@dataclass(frozen=True)
class Reach:
    """The views of one unexplained reach, measured."""

    views: list[dict[str, Any]]
    plate: str  # the plate most views name (ties: the most confident view's)
    info: PlateInfo
    t0: float
    t1: float
    pool: ViewPool
    candidates: list[str]  # the SKUs behind the K product slots
    position: tuple[float, float] | None  # the hand, averaged over the views that place it

    @property
    def track_ids(self) -> Counter[int]:
        return Counter(int(v["track_id"]) for v in self.views if v.get("track_id") is not None)


def _same_reach(visit: VisitScene, views: list[dict[str, Any]], v: dict[str, Any]) -> bool:
    first = views[0]
    return (
        float(v["t"]) - float(first["t"]) <= VIEW_GAP_S
        and v.get("fixture") == first.get("fixture")
        and v.get("track_id") == first.get("track_id")
        and spatial_weight(visit.ctx, v, first["plate"]) >= EXPLAINED_WEIGHT
        and all(w.get("camera") != v.get("camera") for w in views)
    )


def group_views(visit: VisitScene) -> list[list[dict[str, Any]]]:
    """The visit's hand-in-shelf detections at known plates, grouped into reaches (time order)."""
    reaches: list[list[dict[str, Any]]] = []
    for v in visit.hands:
        if v.get("plate") not in visit.ctx.plates:
            continue
        joined = next((views for views in reversed(reaches) if _same_reach(visit, views, v)), None)
        if joined is None:
            reaches.append([v])
        else:
            joined.append(v)
    return reaches


def explained(visit: VisitScene, reaches: list[list[dict[str, Any]]]) -> set[int]:
    """The indexes of the reaches a weight event explains.

    Each event explains at most one reach and each reach takes at most one event, best
    fits first. A reach explained by an event that another person's unexplained reach
    was also near is contested and stays unexplained: the scale's one change may be
    either hand's."""
    pairs: list[tuple[float, int, int]] = []
    near_event: dict[int, list[int]] = {}
    for e_i, e in enumerate(visit.events):
        t0, t1, info = float(e["t_start"]), float(e["t_end"]), visit.ctx.plates[e["plate"]]
        for i, views in enumerate(reaches):
            near = [
                v for v in views if overlaps(v, t0, t1) and spatial_weight(visit.ctx, v, e["plate"]) >= EXPLAINED_WEIGHT
            ]
            if near:
                pairs.append((min(hand_match(v, info, t0, t1) for v in near), e_i, i))
                near_event.setdefault(e_i, []).append(i)
    event_of: dict[int, int] = {}
    for _, e_i, i in sorted(pairs):
        if i not in event_of and e_i not in event_of.values():
            event_of[i] = e_i
    who = [views[0].get("track_id") for views in reaches]
    return {
        i for i, e_i in event_of.items() if not any(j not in event_of and who[j] != who[i] for j in near_event[e_i])
    }


def _voted_plate(views: list[dict[str, Any]]) -> str:
    votes = Counter(str(v["plate"]) for v in views)
    surest = max(views, key=lambda v: (votes[str(v["plate"])], float(v.get("confidence", 1.0)), str(v["plate"])))
    return str(surest["plate"])


def _candidates(visit: VisitScene, plate: str, pool: ViewPool) -> list[str]:
    """What the views name (pooled, then best single view), then what faces the plate and its neighbours."""
    ctx = visit.ctx
    cands = [s for s, _ in sorted(pool.mean.items(), key=lambda kv: (-kv[1], kv[0]))[:4]]
    cands += [s for s, _ in sorted(pool.best.items(), key=lambda kv: (-kv[1], kv[0]))[:2]]
    cands += list(ctx.facings.get(plate, []))
    for code, _ in ctx.neighbours.get(plate, []):
        cands += ctx.facings.get(code, [])
    return known_candidates(cands, ctx)


def _reach(visit: VisitScene, views: list[dict[str, Any]]) -> Reach:
    plate = _voted_plate(views)
    pool = pool_views([(v, spatial_weight(visit.ctx, v, plate)) for v in views])
    placed = [
        (float(v["x_m"]), float(v["y_m"])) for v in views if v.get("x_m") is not None and v.get("y_m") is not None
    ]
    position = (sum(x for x, _ in placed) / len(placed), sum(y for _, y in placed) / len(placed)) if placed else None
    return Reach(
        views=views,
        plate=plate,
        info=visit.ctx.plates[plate],
        t0=min(float(v["t"]) for v in views),
        t1=max(float(v["t_end"]) if v.get("t_end") is not None else float(v["t"]) for v in views),
        pool=pool,
        candidates=_candidates(visit, plate, pool),
        position=position,
    )


def unexplained_reaches(visit: VisitScene) -> list[Reach]:
    """The visit's reaches no weight event explains, in time order (at most ``MAX_REACHES``)."""
    reaches = group_views(visit)
    seen = explained(visit, reaches)
    return [_reach(visit, views) for i, views in enumerate(reaches) if i not in seen][:MAX_REACHES]


# --- REACH_TOKEN ------------------------------------------------------------------------


def _views(visit: VisitScene, r: Reach) -> Columns:
    conf = [float(v.get("confidence", 1.0)) for v in r.views]
    return {
        "views": min(len(r.views), 6) / 3,
        "mean_confidence": sum(conf) / len(conf),
        "max_confidence": max(conf),
        "plate_agreement": sum(v["plate"] == r.plate for v in r.views) / len(r.views),
    }


def _timing(visit: VisitScene, r: Reach) -> Columns:
    return {"start": r.t0 / visit.span, "duration": min(r.t1 - r.t0, 10.0) / 5}


def _plate(visit: VisitScene, r: Reach) -> Columns:
    return plate_columns(visit, r.info)


def _scale(visit: VisitScene, r: Reach) -> Columns:
    ctx = visit.ctx
    nearest: tuple[float, float, float] | None = None  # (seconds apart, grams, noise) of the closest change
    fixture_events = 0
    for e in visit.events:
        apart = max(float(e["t_start"]) - r.t1, r.t0 - float(e["t_end"]), 0.0)
        if spatial_weight(ctx, {"plate": r.plate}, e["plate"]) >= EXPLAINED_WEIGHT:
            change = (apart, abs(float(e["delta_g"])), float(e.get("noise_g") or 0.0))
            nearest = change if nearest is None or change[0] < nearest[0] else nearest
        fixture_events += int(ctx.plates[e["plate"]].fixture == r.info.fixture and apart <= 3.0)
    top = sort_scores(r.pool.mean)
    product = ctx.products.get(top[0][0]) if top else None
    grams = product.unit_weight_g if product is not None else 0.0
    fit = 1.0
    if nearest is not None and product is not None:
        # How well whole units of the likeliest product explain the nearest change: a
        # change that fits them was this hand's; one that does not was another's.
        _, z = weight_match(nearest[1], nearest[2], np.array([grams]), np.array([product.unit_weight_std_g]))
        fit = min(float(z[0]), 9.0) / 9
    return {
        "event_gap": min(nearest[0], 10.0) / 10 if nearest is not None else 1.0,
        "event_log_grams": math.log1p(nearest[1]) / 8 if nearest is not None else 0.0,
        "event_fit": fit,
        "fixture_events": min(fixture_events, 3) / 3,
        "top_unit_weight": math.log1p(grams) / 8,
    }


def _product(visit: VisitScene, r: Reach) -> Columns:
    scores = [s for _, s in sort_scores(r.pool.mean)] + [0.0, 0.0]
    return {"top_score": scores[0], "top_margin": scores[0] - scores[1]}


def _shopper(visit: VisitScene, r: Reach) -> Columns:
    ids = r.track_ids
    group = sum(n for tid, n in ids.items() if tid in visit.tracks_of)
    near_group = near_others = 0
    if r.position is not None:
        t = (r.t0 + r.t1) / 2
        for tid in visit.track_ids:
            pos = person_position(visit, tid, t)
            if pos is not None and math.hypot(pos[0] - r.position[0], pos[1] - r.position[1]) < 1.0:
                near_group += tid in visit.tracks_of
                near_others += tid not in visit.tracks_of
    return {
        "group_track": group / len(r.views),
        "group_within_1m": near_group / 3,
        "others_within_1m": near_others / 3,
    }


REACH_GROUPS: dict[str, Callable[[VisitScene, Reach], Columns]] = {
    "views": _views,
    "timing": _timing,
    "plate": _plate,
    "scale": _scale,
    "product": _product,
    "shopper": _shopper,
}


# --- REACH_PRODUCT ----------------------------------------------------------------------


def _per_candidate(values: list[float] | list[bool]) -> NDArray[Any]:
    return np.array(values, dtype=np.float64)


def _product_views(visit: VisitScene, r: Reach) -> Columns:
    pool = r.pool
    return {
        "mean_view_score": _per_candidate([pool.mean.get(s, 0.0) for s in r.candidates]),
        "best_view_score": _per_candidate([pool.best.get(s, 0.0) for s in r.candidates]),
        "view_votes": _per_candidate(
            [pool.votes.get(s, 0.0) / pool.weight if pool.weight else 0.0 for s in r.candidates]
        ),
        "views_naming": _per_candidate([min(pool.named.get(s, 0), 6) / 3 for s in r.candidates]),
    }


def _planogram(visit: VisitScene, r: Reach) -> Columns:
    ctx, on_plate = visit.ctx, visit.ctx.facings.get(r.plate, [])
    return {
        "faced_on_plate": _per_candidate([s in on_plate for s in r.candidates]),
        "facing_distance": _per_candidate([min(ctx.facing_distance(s, r.plate), 1.0) for s in r.candidates]),
    }


def _weight(visit: VisitScene, r: Reach) -> Columns:
    products = [visit.ctx.products[s] for s in r.candidates]
    return {
        "log_unit_weight": _per_candidate([math.log(max(p.unit_weight_g, 1.0)) / 6 for p in products]),
        "weight_spread": _per_candidate([p.unit_weight_std_g / max(p.unit_weight_g, 1.0) * 10 for p in products]),
    }


REACH_PRODUCT_GROUPS: dict[str, Callable[[VisitScene, Reach], Columns]] = {
    "views": _product_views,
    "planogram": _planogram,
    "weight": _weight,
}


# --- REACH_TRACK ------------------------------------------------------------------------


def _distances(visit: VisitScene, r: Reach) -> tuple[NDArray[Any], NDArray[Any]]:
    t = (r.t0 + r.t1) / 2
    distance = np.full(len(visit.track_ids), UNKNOWN_DISTANCE_M)
    located = np.zeros(len(visit.track_ids), dtype=bool)
    for j, tid in enumerate(visit.track_ids):
        pos = person_position(visit, tid, t)
        if pos is not None and r.position is not None:
            located[j] = True
            distance[j] = min(math.hypot(pos[0] - r.position[0], pos[1] - r.position[1]), UNKNOWN_DISTANCE_M)
    return distance, located


def _track_membership(visit: VisitScene, r: Reach) -> Columns:
    return {"in_group": visit.is_group}


def _track_position(visit: VisitScene, r: Reach) -> Columns:
    distance, located = _distances(visit, r)
    return {"hand_distance": distance / UNKNOWN_DISTANCE_M, "located": located}


def _tracked_hand(visit: VisitScene, r: Reach) -> Columns:
    ids = r.track_ids
    return {"views_with_id": np.array([ids.get(tid, 0) / len(r.views) for tid in visit.track_ids])}


def _track_rank(visit: VisitScene, r: Reach) -> Columns:
    distance, located = _distances(visit, r)
    slots = np.arange(len(visit.track_ids))
    nearest = located & (slots == int(np.argmin(np.where(located, distance, np.inf)))) if located.any() else located
    return {"nearest": nearest, "unseen_person": slots == len(visit.track_ids) - 1}


REACH_TRACK_GROUPS: dict[str, Callable[[VisitScene, Reach], Columns]] = {
    "membership": _track_membership,
    "position": _track_position,
    "tracked_hand": _tracked_hand,
    "rank": _track_rank,
}


@dataclass
class ReachTensors:
    """The unexplained reaches of one visit; R reaches, K product slots, T tracks."""

    tokens: NDArray[Any]  # [R, REACH_TOKEN.width]
    pq: NDArray[Any]  # [R, K, REACH_PRODUCT.width]
    pq_mask: NDArray[Any]  # [R, K] bool, a real candidate
    track_pairs: NDArray[Any]  # [R, T, REACH_TRACK.width]
    candidates: list[list[str]]
    reaches: list[Reach]


def reach_tensors(visit: VisitScene) -> ReachTensors:
    """The token, product-pair and track-pair tensors of the visit's unexplained reaches."""
    reaches = unexplained_reaches(visit)
    n_r, n_t = len(reaches), len(visit.track_ids)
    tokens = np.zeros((n_r, REACH_TOKEN.width), dtype=np.float32)
    pq = np.zeros((n_r, MAX_PRODUCTS, REACH_PRODUCT.width), dtype=np.float32)
    pq_mask = np.zeros((n_r, MAX_PRODUCTS), dtype=bool)
    tp = np.zeros((n_r, n_t, REACH_TRACK.width), dtype=np.float32)
    for i, r in enumerate(reaches):
        REACH_TOKEN.fill(tokens[i], REACH_GROUPS, visit, r)
        n = len(r.candidates)
        if n:
            pq_mask[i, :n] = True
            REACH_PRODUCT.fill(pq[i, :n], REACH_PRODUCT_GROUPS, visit, r)
        REACH_TRACK.fill(tp[i], REACH_TRACK_GROUPS, visit, r)
    return ReachTensors(tokens, pq, pq_mask, tp, [r.candidates for r in reaches], reaches)
