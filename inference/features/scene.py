"""What the featuriser measures of a visit and of each weight event, before any column.

``visit_scene`` sorts and indexes the payload once; ``event_scene`` gathers, for one
weight change, the camera hands near it, their product evidence pooled over views, the
product candidates and their weight fits, and where every track candidate stood. The
column functions (``events``, ``products``, ``tracks``, ``vision``) only turn these
measures into named, scaled columns.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from inference.context import PlateInfo, StoreContext
from inference.features.matching import (
    hand_match,
    overlaps,
    sort_scores,
    spatial_weight,
    track_position,
    vision_position,
    weight_match,
)
from inference.features.schema import MAX_PRODUCTS, MAX_QUANTITY, MAX_TRACKS

UNKNOWN_DISTANCE_M = 3.0
UNSEEN_TRACK = -1
QUANTITIES = np.arange(1, MAX_QUANTITY + 1, dtype=np.float64)


@dataclass(frozen=True)
class VisitScene:
    """One visit's payload sorted (events by start, vision by time, shoppers by id) and indexed."""

    ctx: StoreContext
    event_order: list[int]  # sorted position -> index in payload["weight_events"]
    events: list[dict[str, Any]]
    vision: list[dict[str, Any]]
    hands: list[dict[str, Any]]  # the hand-in-shelf detections among ``vision``
    group_ids: list[int]
    tracks_of: dict[int, list[list[float]]]  # the payment group's floor paths
    track_ids: list[int]  # group, then other tracks the cameras saw, then UNSEEN_TRACK
    is_group: NDArray[Any]  # [T] bool
    vision_of: dict[int, list[dict[str, Any]]]  # detections per track candidate
    span: float  # the visit's last timestamp (s), at least 1
    sku_index: dict[str, int]  # position in ctx.skus


def visit_scene(payload: dict[str, Any], ctx: StoreContext) -> VisitScene:
    """Index a payload; nothing here depends on dict key order."""
    raw_events = payload.get("weight_events") or []
    order = sorted(range(len(raw_events)), key=lambda i: float(raw_events[i]["t_start"]))
    events = [raw_events[i] for i in order]
    vision = sorted(payload.get("vision_events") or [], key=lambda v: float(v["t"]))
    shoppers = sorted(payload.get("shoppers") or [], key=lambda s: int(s["track_id"]))
    group_ids = [int(s["track_id"]) for s in shoppers]
    tracks_of = {int(s["track_id"]): s.get("track") or [] for s in shoppers}
    others = sorted({int(v["track_id"]) for v in vision if v.get("track_id") is not None} - set(group_ids))
    # The last slot stands for a person no camera tracked (staff, a shopper out of view).
    track_ids = (group_ids + others)[: MAX_TRACKS - 1] + [UNSEEN_TRACK]
    vision_of: dict[int, list[dict[str, Any]]] = {tid: [] for tid in track_ids}
    for v in vision:
        if v.get("track_id") is not None and int(v["track_id"]) in vision_of:
            vision_of[int(v["track_id"])].append(v)
    times = [float(e["t_end"]) for e in events] + [float(v["t"]) for v in vision] + [1.0]
    return VisitScene(
        ctx=ctx,
        event_order=order,
        events=events,
        vision=vision,
        hands=[v for v in vision if v["kind"] == "hand_in_shelf"],
        group_ids=group_ids,
        tracks_of=tracks_of,
        track_ids=track_ids,
        is_group=np.array([tid in tracks_of for tid in track_ids], dtype=bool),
        vision_of=vision_of,
        span=max(times),
        sku_index={s: i for i, s in enumerate(ctx.skus)},
    )


@dataclass(frozen=True)
class ViewPool:
    """Product evidence of the camera views of one reach. Several cameras see a reach,
    each with its own classifier: the best single view (max) is kept beside the pooled
    evidence, since independent views average out noise."""

    best: dict[str, float]  # the highest weighted score of any view
    top: dict[str, float]  # the highest spatial weight of a view ranking it first
    mean: dict[str, float]  # weighted mean score over the views
    votes: dict[str, float]  # spatial weight of the views ranking it first
    named: dict[str, int]  # views that name it at all
    weight: float  # total spatial weight of the views


def pool_views(near: list[tuple[dict[str, Any], float]]) -> ViewPool:
    """Pool the product scores of hand detections weighted by how surely each is at the plate."""
    best: dict[str, float] = {}
    top: dict[str, float] = {}
    total: dict[str, float] = {}
    votes: dict[str, float] = {}
    named: dict[str, int] = {}
    weight = sum(w for _, w in near)
    for v, w in near:
        for rank, (sku, score) in enumerate(sort_scores(v.get("product_scores") or {})):
            best[sku] = max(best.get(sku, 0.0), w * score)
            total[sku] = total.get(sku, 0.0) + w * score
            named[sku] = named.get(sku, 0) + 1
            if rank == 0:
                top[sku] = max(top.get(sku, 0.0), w)
                votes[sku] = votes.get(sku, 0.0) + w
    mean = {sku: t / weight for sku, t in total.items()} if weight else {}
    return ViewPool(best=best, top=top, mean=mean, votes=votes, named=named, weight=weight)


@dataclass(frozen=True)
class PersonAtEvent:
    """One track candidate around one weight event."""

    position: tuple[float, float] | None  # at the event's midpoint: floor path, else cameras
    distance: float  # to the plate (m), UNKNOWN_DISTANCE_M when unknown or farther
    hand_here: float  # confidence of this id's hand on the plate itself
    hand_near: float  # weighted confidence of this id's hand at a neighbouring plate
    near_fixture: float  # confidence this id stood at the plate's fixture
    closest_dt: float  # seconds from the event's midpoint to this id's hand on the plate (max 5)
    hand_dx: float  # this id's hand's x offset from the plate (m, max 1)
    match: float  # how badly this id's best hand fits the change (``hand_match``)
    reach: float  # to the nearest hand at or beside the plate, whoever's id (m, max 2)
    drift: float  # a group path far from where cameras put its id: an id swap (m)
    crowd: float  # to the nearest other located person (m, max 2)


def person_position(visit: VisitScene, tid: int, t: float) -> tuple[float, float] | None:
    """Where track candidate ``tid`` was at ``t``: its floor path, else where the cameras last saw it."""
    pos = track_position(visit.tracks_of[tid], t) if tid in visit.tracks_of else None
    return pos if pos is not None else vision_position(visit.vision_of[tid], t)


def _crowding(positions: list[tuple[float, float] | None]) -> list[float]:
    """Per person, the distance to the nearest other located person (m, max 2)."""
    out: list[float] = []
    for j, pos in enumerate(positions):
        crowd = 2.0
        if pos is not None:
            for k, other in enumerate(positions):
                if k != j and other is not None:
                    crowd = min(crowd, math.hypot(pos[0] - other[0], pos[1] - other[1]))
        out.append(crowd)
    return out


def _person(
    visit: VisitScene,
    tid: int,
    pos: tuple[float, float] | None,
    crowd: float,
    info: PlateInfo,
    event: tuple[float, float],
    near: list[tuple[dict[str, Any], float]],
) -> PersonAtEvent:
    """Measure track ``tid`` around a change on plate ``info`` during ``event`` (t0, t1),
    given its position and crowding at the event's midpoint."""
    ctx, plate, (t0, t1) = visit.ctx, info.code, event
    t_mid = (t0 + t1) / 2
    distance = UNKNOWN_DISTANCE_M if pos is None else min(ctx.plate_distance(plate, *pos), UNKNOWN_DISTANCE_M)
    hand_here = hand_near = near_fixture = 0.0
    closest_dt, hand_dx, match = 5.0, 1.0, 1.0
    for v in visit.vision_of[tid]:
        if not overlaps(v, t0, t1):
            continue
        if v["kind"] == "hand_in_shelf":
            match = min(match, hand_match(v, info, t0, t1))
            w = spatial_weight(ctx, v, plate)
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
    # Any hand at this plate or its neighbours, whoever the tracker says it was.
    reach = 2.0
    for v, w in near:
        if w >= 0.6 and v.get("x_m") is not None:
            at = track_position(visit.tracks_of[tid], float(v["t"])) if tid in visit.tracks_of else pos
            if at is not None:
                reach = min(reach, math.hypot(at[0] - float(v["x_m"]), at[1] - float(v["y_m"])))
    drift = 0.0
    if tid in visit.tracks_of:
        for v in visit.vision_of[tid]:
            if v.get("x_m") is not None and abs(float(v["t"]) - t_mid) <= 8.0:
                at = track_position(visit.tracks_of[tid], float(v["t"]))
                if at is not None:
                    drift = max(drift, math.hypot(at[0] - float(v["x_m"]), at[1] - float(v["y_m"])))
    return PersonAtEvent(
        pos, distance, hand_here, hand_near, near_fixture, closest_dt, hand_dx, match, reach, drift, crowd
    )


@dataclass(frozen=True)
class EventScene:
    """One weight change with everything its columns read."""

    plate: str
    info: PlateInfo
    t0: float
    t1: float
    delta: float  # grams; negative when weight left the plate
    noise: float
    near: list[tuple[dict[str, Any], float]]  # hand detections at or around the plate, with spatial weight
    views: ViewPool
    candidates: list[str]  # the SKUs behind the K product slots, most plausible sources first
    z: NDArray[Any]  # [len(candidates), Q] signed z of q = 1..Q units of each candidate against the change
    z_all: NDArray[Any]  # per catalogue SKU, |z| of its best whole-unit fit
    people: list[PersonAtEvent]  # per track candidate
    distances: NDArray[Any]  # [T] float64, ``PersonAtEvent.distance``

    @property
    def best_z(self) -> float:
        """The best whole-unit |z| of any candidate (9 when there is none)."""
        return min(9.0, float(np.min(np.abs(self.z)))) if len(self.z) else 9.0


def _candidates(
    visit: VisitScene, plate: str, views: ViewPool, z_all: NDArray[Any], delta: float, earlier_picks: dict[str, float]
) -> list[str]:
    """Up to K candidate products, most plausible sources first: faced on the plate, on
    its neighbours, the views' pooled and best single-view favourites, the catalogue's
    best weight fits, and for weight coming back what may have left a shelf earlier."""
    ctx = visit.ctx
    cands: list[str] = list(ctx.facings.get(plate, []))
    for code, _ in ctx.neighbours.get(plate, []):
        cands += ctx.facings.get(code, [])
    cands += [s for s, _ in sorted(views.mean.items(), key=lambda kv: (-kv[1], kv[0]))[:3]]
    cands += [s for s, _ in sorted(views.best.items(), key=lambda kv: (-kv[1], kv[0]))[:2]]
    cands += [ctx.skus[i] for i in np.argsort(z_all, kind="stable")[:3]]
    if delta > 0:
        cands += [s for s, _ in sorted(earlier_picks.items(), key=lambda kv: (-kv[1], kv[0]))[:4]]
    return known_candidates(cands, ctx)


def known_candidates(cands: list[str], ctx: StoreContext) -> list[str]:
    """The catalogue's products among ``cands``, first mention first, at most ``MAX_PRODUCTS``."""
    return list(dict.fromkeys(s for s in cands if s in ctx.products))[:MAX_PRODUCTS]


def event_scene(visit: VisitScene, event: dict[str, Any], earlier_picks: dict[str, float]) -> EventScene:
    """Measure one weight change; ``earlier_picks`` (SKU -> how often it may have left a
    shelf so far in the visit) lets weight coming back point at what left elsewhere."""
    ctx = visit.ctx
    plate = event["plate"]
    info = ctx.plates[plate]
    t0, t1 = float(event["t_start"]), float(event["t_end"])
    delta, noise = float(event["delta_g"]), float(event.get("noise_g") or 0.0)
    near = [(v, w) for v in visit.hands if overlaps(v, t0, t1) and (w := spatial_weight(ctx, v, plate)) > 0]
    views = pool_views(near)
    _, z_all = weight_match(delta, noise, ctx.weights, ctx.stds)
    candidates = _candidates(visit, plate, views, z_all, delta, earlier_picks)
    z = np.zeros((len(candidates), MAX_QUANTITY))
    for k, sku in enumerate(candidates):
        prod = ctx.products[sku]
        sigma = np.sqrt(noise**2 + QUANTITIES * prod.unit_weight_std_g**2 + 1.0)
        z[k] = (abs(delta) - QUANTITIES * prod.unit_weight_g) / sigma
    positions = [person_position(visit, tid, (t0 + t1) / 2) for tid in visit.track_ids]
    people = [
        _person(visit, tid, pos, crowd, info, (t0, t1), near)
        for tid, pos, crowd in zip(visit.track_ids, positions, _crowding(positions))
    ]
    return EventScene(
        plate=plate,
        info=info,
        t0=t0,
        t1=t1,
        delta=delta,
        noise=noise,
        near=near,
        views=views,
        candidates=candidates,
        z=z,
        z_all=z_all,
        people=people,
        distances=np.array([p.distance for p in people], dtype=np.float64),
    )
