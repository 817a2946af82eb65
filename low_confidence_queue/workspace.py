"""Everything the reviewer workspace shows for one task, read in a fixed number of queries.

The page embeds this as JSON; its script draws the editable receipt, the event list,
the weight trace and the shoppers' tracks from it.
"""

from __future__ import annotations

import io
import logging
from typing import Any

import numpy as np
from django.core.files.storage import default_storage

from jwo_review.store.models import Camera, Facing, Fixture, Product, Shopper, VisionEvent, VisionKind, WeightEvent
from low_confidence_queue.models import ReviewTask, VisitRouting
from low_confidence_queue.services.decisions import REASON_CODES, proposed_lines

log = logging.getLogger(__name__)
TRACE_MARGIN_S = 3.0
TRACE_POINTS = 240
CLIP_MARGIN_S = 1.5
SHOPPER_COLOURS = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2"]


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


def _trace(streams: dict[str, Any] | None, plate: str, t_start: float, t_end: float) -> dict[str, Any] | None:
    if streams is None or plate not in streams:
        return None
    hz, t0 = float(streams["hz"]), float(streams["t0"])
    grams = streams[plate]
    lo = max(0, int((t_start - TRACE_MARGIN_S - t0) * hz))
    hi = min(len(grams), int((t_end + TRACE_MARGIN_S - t0) * hz) + 1)
    if hi - lo < 2:
        return None
    step = max(1, (hi - lo) // TRACE_POINTS)
    window = grams[lo:hi:step]
    return {
        "t": [round(t0 + (lo + i * step) / hz, 3) for i in range(len(window))],
        "g": [round(float(g), 1) for g in window],
    }


def workspace_data(task: ReviewTask, *, catalogue: bool = True) -> dict[str, Any]:
    visit = task.visit
    prediction = task.prediction
    routing = VisitRouting.objects.filter(visit=visit).first()
    weight_events = list(WeightEvent.objects.filter(visit=visit).select_related("plate").order_by("seq"))
    vision = list(
        VisionEvent.objects.filter(visit=visit, kind=VisionKind.HAND_IN_SHELF)
        .select_related("plate", "camera")
        .order_by("seq")
    )
    cameras = list(Camera.objects.filter(store_id=visit.store_id).order_by("code"))
    plate_ids = {e.plate_id for e in weight_events}
    facings: dict[int, list[str]] = {}
    for plate_id, sku in Facing.objects.filter(
        plate_id__in=plate_ids, planogram__is_active=True, planogram__store_id=visit.store_id
    ).values_list("plate_id", "product__sku"):
        facings.setdefault(plate_id, []).append(sku)
    lines = proposed_lines(task)
    assignments = list(prediction.event_assignments) if prediction is not None else []
    streams = _streams((visit.plate_streams.name or "") if visit.plate_streams else "")
    wanted: set[str] = {line.sku for line in lines}
    events = []
    for i, ev in enumerate(weight_events):
        near = [
            v
            for v in vision
            if v.t <= ev.t_end + 1.0 and (v.t_end or v.t) >= ev.t_start - 1.0 and (v.plate_id in (None, ev.plate_id))
        ]
        scores: dict[str, float] = {}
        for v in near:
            for sku, score in v.product_scores.items():
                scores[sku] = max(scores.get(sku, 0.0), float(score))
        assignment = assignments[i] if i < len(assignments) and isinstance(assignments[i], dict) else {}
        # The model's pick first, then what the cameras saw, then what the planogram puts there.
        candidates = [str(assignment["sku"])] if assignment.get("sku") else []
        for sku in sorted(scores, key=lambda s: -scores[s]) + facings.get(ev.plate_id, []):
            if sku not in candidates and len(candidates) < 6:
                candidates.append(sku)
        wanted.update(candidates)
        seen = {v.camera.code for v in near if v.camera is not None}
        event_cameras = sorted(seen) + [c.code for c in cameras if c.code not in seen]
        events.append(
            {
                "seq": ev.seq,
                "plate": ev.plate.code,
                "t_start": ev.t_start,
                "t_end": ev.t_end,
                "delta_g": round(ev.delta_g, 1),
                "noise_g": round(ev.noise_g, 1),
                "clip": {
                    "t_start": round(max(0.0, ev.t_start - CLIP_MARGIN_S), 1),
                    "t_end": round(min(visit.duration_s, ev.t_end + CLIP_MARGIN_S), 1),
                    "cameras": event_cameras[:4],
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
        "task": {
            "id": task.pk,
            "reason": task.reason,
            "reason_label": task.get_reason_display(),
            "reason_detail": task.reason_detail,
            "priority": task.priority,
            "sla_due_at": task.sla_due_at.isoformat(),
            "lease_expires_at": task.lease_expires_at.isoformat() if task.lease_expires_at else None,
        },
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
        "prediction": {
            "confidence": prediction.confidence,
            "model": prediction.model_version.name,
            "threshold": routing.threshold if routing else None,
        }
        if prediction is not None
        else None,
        "lines": [
            {
                "sku": line.sku,
                "quantity": line.quantity,
                "shopper_track_id": line.shopper_track_id,
                "confidence": line.confidence,
            }
            for line in lines
        ],
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
        "reason_codes": REASON_CODES,
    }
