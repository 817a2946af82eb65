"""What a person needs to judge a visit's interactions, defined once for every workspace.

For each weight event: the time window and the cameras of its clips, the plate's weight
trace, the candidate products (the model's pick when given, what the cameras saw, what
the planogram puts there), the tracks seen near it; for the visit: its shoppers, the
store's fixtures and the catalogue cards. The reviewer workspace, the annotator
workspace and clip requests all read the window and cameras from here.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.core.files.storage import default_storage

from jwo_review.store.models import (
    Camera,
    Facing,
    Fixture,
    Product,
    Shopper,
    VisionEvent,
    VisionKind,
    Visit,
    WeightEvent,
)

log = logging.getLogger(__name__)
TRACE_MARGIN_S = 3.0
TRACE_POINTS = 240
CLIP_MARGIN_S = 1.5
MAX_VIEWS = 4
MAX_CANDIDATES = 6
# Hand-in-shelf detections this far outside a weight change still belong to it.
VISION_SLACK_S = 1.0
SHOPPER_COLOURS = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2"]


@dataclass(frozen=True)
class EventWindow:
    """Seconds since entry, edges rounded to 0.1 s so near-identical requests share a clip."""

    t_start: float
    t_end: float
    cameras: list[Camera]


def _near(vision: Sequence[VisionEvent], t_start: float, t_end: float, plate_id: int | None) -> list[VisionEvent]:
    return [
        v
        for v in vision
        if v.t <= t_end + VISION_SLACK_S
        and (v.t_end or v.t) >= t_start - VISION_SLACK_S
        and (plate_id is None or v.plate_id in (None, plate_id))
    ]


def event_window(
    *,
    visit: Visit,
    t_start: float,
    t_end: float,
    plate_id: int | None,
    vision: Sequence[VisionEvent],
    cameras: Sequence[Camera],
) -> EventWindow:
    """The clip window of an interaction and its views: the cameras that saw a hand in
    the shelf around it first, then the store's others, up to MAX_VIEWS (so every view
    can be compared)."""
    seen = {v.camera_id for v in _near(vision, t_start, t_end, plate_id) if v.camera_id is not None}
    ordered = [c for c in cameras if c.pk in seen] + [c for c in cameras if c.pk not in seen]
    return EventWindow(
        t_start=round(max(0.0, t_start - CLIP_MARGIN_S), 1),
        t_end=round(min(visit.duration_s, t_end + CLIP_MARGIN_S), 1),
        cameras=ordered[:MAX_VIEWS],
    )


def hand_detections(visit: Visit) -> list[VisionEvent]:
    return list(
        VisionEvent.objects.filter(visit=visit, kind=VisionKind.HAND_IN_SHELF)
        .select_related("plate", "camera")
        .order_by("seq")
    )


def store_cameras(visit: Visit) -> list[Camera]:
    return list(Camera.objects.filter(store_id=visit.store_id).order_by("code"))


def weight_event_window(*, visit: Visit, seq: int) -> EventWindow | None:
    """The window and views of weight event ``seq`` of ``visit`` (None: no such event)."""
    event = WeightEvent.objects.filter(visit=visit, seq=seq).first()
    if event is None:
        return None
    return event_window(
        visit=visit,
        t_start=event.t_start,
        t_end=event.t_end,
        plate_id=event.plate_id,
        vision=hand_detections(visit),
        cameras=store_cameras(visit),
    )


def time_window(*, visit: Visit, t: float) -> EventWindow:
    """The window and views around a moment with no weight event (an interaction the
    scale missed, added from the video)."""
    return event_window(
        visit=visit, t_start=t, t_end=t, plate_id=None, vision=hand_detections(visit), cameras=store_cameras(visit)
    )


def _image_url(product: Product) -> str:
    return product.image.url if product.image else ""


def product_card(product: Product) -> dict[str, Any]:
    return {
        "sku": product.sku,
        "name": product.name,
        "price": str(product.price),
        "image": _image_url(product),
        "color": product.color,
        "shape": product.shape,
        "family": product.family,
        "unit_weight_g": product.unit_weight_g,
    }


def _streams(name: str) -> dict[str, Any] | None:
    if not name:
        return None
    try:
        with default_storage.open(name, "rb") as fh:
            data = np.load(io.BytesIO(fh.read()))
            return {key: data[key] for key in data.files}
    except (OSError, ValueError):
        log.warning("Unreadable plate streams %s", name)
        return None


def plate_streams(visit: Visit) -> dict[str, Any] | None:
    """The visit's raw plate streams ({plate code: grams, "hz", "t0"}), None when not stored."""
    return _streams((visit.plate_streams.name or "") if visit.plate_streams else "")


def _trace(
    streams: dict[str, Any] | None, plate: str, t_start: float, t_end: float, margin: float = TRACE_MARGIN_S
) -> dict[str, Any] | None:
    if streams is None or plate not in streams:
        return None
    hz, t0 = float(streams["hz"]), float(streams["t0"])
    grams = streams[plate]
    lo = max(0, int((t_start - margin - t0) * hz))
    hi = min(len(grams), int((t_end + margin - t0) * hz) + 1)
    if hi - lo < 2:
        return None
    step = max(1, (hi - lo) // TRACE_POINTS)
    window = grams[lo:hi:step]
    return {
        "t": [round(t0 + (lo + i * step) / hz, 3) for i in range(len(window))],
        "g": [round(float(g), 1) for g in window],
    }


def plate_trace(streams: dict[str, Any] | None, plate: str, t_start: float, t_end: float) -> dict[str, Any] | None:
    """The plate's weight over exactly [t_start, t_end] (seconds since entry), at most
    TRACE_POINTS samples: {"t": [...], "g": [...]}; None without streams."""
    return _trace(streams, plate, t_start, t_end, margin=0.0)


def visit_interactions(
    visit: Visit,
    *,
    assignments: Sequence[dict[str, Any]] = (),
    catalogue: bool = True,
    extra_skus: Sequence[str] = (),
) -> dict[str, Any]:
    """The visit, its weight events (with clip windows, traces, candidates), shoppers,
    fixtures, cameras and product cards, in a fixed number of queries.

    ``assignments`` are the model's per-event answers (in event order) whose product
    leads each event's candidates; ``catalogue`` False limits the cards to the products
    the page names (the candidates and ``extra_skus``).
    """
    weight_events = list(WeightEvent.objects.filter(visit=visit).select_related("plate").order_by("seq"))
    vision = hand_detections(visit)
    cameras = store_cameras(visit)
    plate_ids = {e.plate_id for e in weight_events}
    facings: dict[int, list[str]] = {}
    for plate_id, sku in Facing.objects.filter(
        plate_id__in=plate_ids, planogram__is_active=True, planogram__store_id=visit.store_id
    ).values_list("plate_id", "product__sku"):
        facings.setdefault(plate_id, []).append(sku)
    streams = plate_streams(visit)
    wanted: set[str] = set(extra_skus)
    events = []
    for i, ev in enumerate(weight_events):
        near = _near(vision, ev.t_start, ev.t_end, ev.plate_id)
        scores: dict[str, float] = {}
        for v in near:
            for sku, score in v.product_scores.items():
                scores[sku] = max(scores.get(sku, 0.0), float(score))
        assignment = assignments[i] if i < len(assignments) and isinstance(assignments[i], dict) else {}
        # The model's pick first, then what the cameras saw, then what the planogram puts there.
        candidates = [str(assignment["sku"])] if assignment.get("sku") else []
        for sku in sorted(scores, key=lambda s: -scores[s]) + facings.get(ev.plate_id, []):
            if sku not in candidates and len(candidates) < MAX_CANDIDATES:
                candidates.append(sku)
        wanted.update(candidates)
        window = event_window(
            visit=visit, t_start=ev.t_start, t_end=ev.t_end, plate_id=ev.plate_id, vision=vision, cameras=cameras
        )
        events.append(
            {
                "seq": ev.seq,
                "plate": ev.plate.code,
                "t_start": ev.t_start,
                "t_end": ev.t_end,
                "delta_g": round(ev.delta_g, 1),
                "noise_g": round(ev.noise_g, 1),
                "clip": {
                    "t_start": window.t_start,
                    "t_end": window.t_end,
                    "cameras": [c.code for c in window.cameras],
                },
                "candidates": candidates,
                "scores": {s: round(scores.get(s, 0.0), 3) for s in candidates},
                "tracks": sorted({v.track_id for v in near if v.track_id is not None}),
                "model": assignment,
                "trace": _trace(streams, ev.plate.code, ev.t_start, ev.t_end),
            }
        )
    products = Product.objects.all() if catalogue else Product.objects.filter(sku__in=wanted)
    shoppers = list(Shopper.objects.filter(visit=visit).order_by("track_id"))
    fixtures = list(Fixture.objects.filter(store_id=visit.store_id))
    return {
        "visit": {
            "id": visit.pk,
            "code": visit.visit_code,
            "store": visit.store.code,
            "duration_s": visit.duration_s,
            "entered_at": visit.entered_at.isoformat(),
            "status": visit.status,
            "width_m": visit.store.width_m,
            "depth_m": visit.store.depth_m,
        },
        "events": events,
        "shoppers": [
            {
                "track_id": s.track_id,
                "color": SHOPPER_COLOURS[i % len(SHOPPER_COLOURS)],
                "track": s.track[:: max(1, len(s.track) // 120)],
            }
            for i, s in enumerate(shoppers)
        ],
        "fixtures": [{"code": f.code, "x": f.x_m, "y": f.y_m, "w": f.width_m, "d": f.depth_m} for f in fixtures],
        "cameras": [c.code for c in cameras],
        "products": {p.sku: product_card(p) for p in products},
    }
