"""``featurize``: one visit's payload in, the model's token and pair tensors out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from inference.context import StoreContext
from inference.features.events import EVENT_GROUPS
from inference.features.labels import attach_labels, attach_reach_labels, carried_labels
from inference.features.matching import overlaps, spatial_weight
from inference.features.products import product_pairs, remember_picks
from inference.features.reaches import reach_tensors
from inference.features.scene import VisitScene, event_scene, visit_scene
from inference.features.schema import (
    EVENT_TOKEN,
    MAX_PRODUCTS,
    MAX_QUANTITY,
    PRODUCT_PAIR,
    REACH_PRODUCT,
    REACH_TOKEN,
    REACH_TRACK,
    TRACK_PAIR,
)
from inference.features.tracks import TRACK_PAIR_GROUPS, track_tokens
from inference.features.vision import vision_tokens


@dataclass
class VisitFeatures:
    """Arrays of one visit; E events, V vision events, T tracks, R unexplained reaches
    (``inference.features.reaches``). The last axis of each feature array is described
    by its schema (``inference.features.schema``)."""

    events: NDArray[Any]  # [E, EVENT_TOKEN.width]
    vision: NDArray[Any]  # [V, VISION_TOKEN.width]
    tracks: NDArray[Any]  # [T, TRACK_TOKEN.width]
    pq: NDArray[Any]  # [E, K, Q, PRODUCT_PAIR.width]
    pq_mask: NDArray[Any]  # [E, K] bool, a real candidate
    track_pairs: NDArray[Any]  # [E, T, TRACK_PAIR.width]
    candidates: list[list[str]]  # per event, the SKUs behind the K slots
    track_ids: list[int]
    is_group: NDArray[Any]  # [T] bool
    event_order: list[int]  # sorted position -> index in payload["weight_events"]
    plates: list[str]
    y_action: NDArray[Any] | None = None  # [E]
    y_pq: NDArray[Any] | None = None  # [E] index k*Q+q-1, or IGNORE
    y_track: NDArray[Any] | None = None  # [E] or IGNORE
    meta: dict[str, Any] = field(default_factory=dict)
    reaches: NDArray[Any] = field(default_factory=lambda: np.zeros((0, REACH_TOKEN.width), np.float32))
    reach_pq: NDArray[Any] = field(default_factory=lambda: np.zeros((0, MAX_PRODUCTS, REACH_PRODUCT.width), np.float32))
    reach_pq_mask: NDArray[Any] = field(default_factory=lambda: np.zeros((0, MAX_PRODUCTS), bool))  # [R, K]
    reach_track_pairs: NDArray[Any] = field(default_factory=lambda: np.zeros((0, 0, REACH_TRACK.width), np.float32))
    reach_candidates: list[list[str]] = field(default_factory=list)  # per reach, the SKUs behind the K slots
    reach_plates: list[str] = field(default_factory=list)
    reach_times: list[tuple[float, float]] = field(default_factory=list)  # first view's start, last view's end (s)
    y_reach_action: NDArray[Any] | None = None  # [R] REACH_ACTIONS index, or IGNORE
    y_reach_product: NDArray[Any] | None = None  # [R] product slot k, or IGNORE
    y_reach_quantity: NDArray[Any] | None = None  # [R] q - 1, or IGNORE
    y_reach_track: NDArray[Any] | None = None  # [R] track slot, or IGNORE
    reach_missing_product: int = 0  # labelled reaches whose product no candidate slot holds


def _unexplained_hands(visit: VisitScene) -> dict[str, int]:
    """Hands in a shelf with no weight change to explain them: a missed or merged event
    the receipt may lack, which the confidence should know about."""
    group = any_ = 0
    for v in visit.hands:
        if v.get("plate") not in visit.ctx.plates:
            continue
        explained = any(
            overlaps(v, float(e["t_start"]), float(e["t_end"])) and spatial_weight(visit.ctx, v, e["plate"]) >= 0.6
            for e in visit.events
        )
        if not explained:
            any_ += 1
            group += int(v.get("track_id") is not None and int(v["track_id"]) in visit.tracks_of)
    return {"unexplained_hands_group": group, "unexplained_hands": any_}


def featurize(payload: dict[str, Any], ctx: StoreContext, truth: dict[str, Any] | None = None) -> VisitFeatures:
    """Featurise one visit; with ``truth`` (the simulator's) also the per-event targets."""
    visit = visit_scene(payload, ctx)
    n_e, n_t = len(visit.events), len(visit.track_ids)
    ev = np.zeros((n_e, EVENT_TOKEN.width), dtype=np.float32)
    pq = np.zeros((n_e, MAX_PRODUCTS, MAX_QUANTITY, PRODUCT_PAIR.width), dtype=np.float32)
    pq_mask = np.zeros((n_e, MAX_PRODUCTS), dtype=bool)
    tp = np.zeros((n_e, n_t, TRACK_PAIR.width), dtype=np.float32)
    candidates: list[list[str]] = []
    earlier_picks: dict[str, float] = {}  # SKU -> times it may have left a shelf so far
    for e_i, event in enumerate(visit.events):
        scene = event_scene(visit, event, earlier_picks)
        candidates.append(scene.candidates)
        product_pairs(visit, scene, earlier_picks, pq[e_i], pq_mask[e_i])
        remember_picks(scene, pq[e_i], earlier_picks)
        TRACK_PAIR.fill(tp[e_i], TRACK_PAIR_GROUPS, visit, scene)
        EVENT_TOKEN.fill(ev[e_i], EVENT_GROUPS, visit, scene)
    reach = reach_tensors(visit)
    features = VisitFeatures(
        events=ev,
        vision=vision_tokens(visit),
        tracks=track_tokens(visit),
        pq=pq,
        pq_mask=pq_mask,
        track_pairs=tp,
        candidates=candidates,
        track_ids=visit.track_ids,
        is_group=visit.is_group,
        event_order=visit.event_order,
        plates=[e["plate"] for e in visit.events],
        meta={
            **_unexplained_hands(visit),
            "t_start": [float(e["t_start"]) for e in visit.events],
            "t_end": [float(e["t_end"]) for e in visit.events],
        },
        reaches=reach.tokens,
        reach_pq=reach.pq,
        reach_pq_mask=reach.pq_mask,
        reach_track_pairs=reach.track_pairs,
        reach_candidates=reach.candidates,
        reach_plates=[r.plate for r in reach.reaches],
        reach_times=[(r.t0, r.t1) for r in reach.reaches],
    )
    if truth is not None:
        carried = carried_labels(visit.ctx, features, truth)
        attach_labels(features, carried)
        attach_reach_labels(features, visit, reach.reaches, truth, carried)
    return features
