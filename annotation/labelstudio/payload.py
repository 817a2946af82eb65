"""One of our annotation tasks as Label Studio task data and a prediction.

Every time is computed here in seconds, never left to frame counting in the browser: a
view's clip starts at the interaction window's first second, the weight trace's time
column is seconds from that same instant (Label Studio takes a synced time series' first
sample as the clip's 0 s), and each event's title says when the weight changed in clip
seconds and in frames at the clip's own constant frame rate.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Any

from annotation.models import AnnotationTask
from jwo_review.store.interactions import MAX_VIEWS, plate_streams, plate_trace, visit_interactions
from jwo_review.store.media_access import clip_signed_url
from jwo_review.store.models import Camera, Clip, Product, WeightEvent
from jwo_review.store.services.clips import clip_request

# Clips are rendered at this constant frame rate (Clip.fps); the config tells the player.
CLIP_FPS = 15


@dataclass(frozen=True)
class TaskPayload:
    """What we send for one task: its data, its prediction, and their hash."""

    data: dict[str, Any]
    prediction: dict[str, Any]
    seqs: list[int]

    @property
    def digest(self) -> str:
        body = json.dumps({"data": self.data, "prediction": self.prediction}, sort_keys=True)
        return hashlib.sha256(body.encode()).hexdigest()


def store_views(store_id: int) -> int:
    """How many views each interaction of the store shows (its cameras, at most MAX_VIEWS)."""
    return min(MAX_VIEWS, Camera.objects.filter(store_id=store_id).count())


def _trace_in_clip(streams: dict[str, Any] | None, ev: WeightEvent, t0: float, t1: float) -> dict[str, list[float]]:
    trace = plate_trace(streams, ev.plate.code, t0, t1)
    if trace is None:
        # No raw stream stored with the visit: the change the scale's detector reported.
        return {
            "t": [0.0, round(ev.t_start - t0, 3), round(ev.t_end - t0, 3), round(t1 - t0, 3)],
            "g": [0.0, 0.0, round(ev.delta_g, 1), round(ev.delta_g, 1)],
        }
    # Label Studio takes the first sample as the clip's 0 s and needs strictly rising times.
    points = [(round(t - t0, 3), g) for t, g in zip(trace["t"], trace["g"]) if t - t0 >= 0.0]
    if not points or points[0][0] > 0.0:
        points.insert(0, (0.0, points[0][1] if points else trace["g"][-1]))
    ts, gs = [points[0][0]], [points[0][1]]
    for t, g in points[1:]:
        if t > ts[-1]:
            ts.append(t)
            gs.append(g)
    return {"t": ts, "g": gs}


def _choice(sku: str, names: dict[str, str]) -> dict[str, str]:
    return {"value": sku, "html": f"<b>{escape(names.get(sku, sku))}</b> <code>{escape(sku)}</code>"}


def task_payload(
    *, task: AnnotationTask, views: int, media_user: Any, public_url: str, links_expire_at: datetime
) -> TaskPayload:
    """The Label Studio data and prediction of ``task`` (requests its clips, whose
    rendering is queued after commit). Media links act for ``media_user`` until
    ``links_expire_at``; the same arguments give the same payload."""
    visit = task.visit
    auto = {a["seq"]: a for a in task.auto_labels or []}
    seqs = list(WeightEvent.objects.filter(visit=visit).order_by("seq").values_list("seq", flat=True))
    info = visit_interactions(visit, assignments=[auto.get(s, {}) for s in seqs], catalogue=False)
    weight_events = {e.seq: e for e in WeightEvent.objects.filter(visit=visit).select_related("plate")}
    cameras = {c.code: c for c in Camera.objects.filter(store_id=visit.store_id)}
    names = dict(Product.objects.filter(sku__in=info["products"]).values_list("sku", "name"))
    streams = plate_streams(visit)
    base = public_url.rstrip("/")
    shoppers = [{"value": str(s["track_id"]), "html": f"Shopper {s['track_id']}"} for s in info["shoppers"]]
    events, result = [], []
    for idx, ev in enumerate(info["events"]):
        we = weight_events[ev["seq"]]
        t0, t1 = ev["clip"]["t_start"], ev["clip"]["t_end"]
        clips: list[Clip] = [
            clip_request(visit=visit, camera=cameras[code], t_start=t0, t_end=t1) for code in ev["clip"]["cameras"]
        ]
        links = {
            f"view{v + 1}": base
            + clip_signed_url(clip_id=clips[v % len(clips)].pk, user=media_user, expires_at=links_expire_at)
            for v in range(views)
        }
        start, end = round(we.t_start - t0, 2), round(we.t_end - t0, 2)
        events.append(
            {
                "seq": ev["seq"],
                "title": (
                    f"Event {idx + 1} of {len(seqs)} · plate {ev['plate']} · {ev['delta_g']:+.1f} g · "
                    f"the weight changes {start:.2f}-{end:.2f} s into the clip "
                    f"(frames {round(start * CLIP_FPS)}-{round(end * CLIP_FPS)} at {CLIP_FPS} fps) · "
                    f"views {', '.join(ev['clip']['cameras'])}"
                ),
                "clip_start_s": t0,
                "clip_end_s": t1,
                "event_in_clip_s": [start, end],
                **links,
                "trace": _trace_in_clip(streams, we, t0, t1),
                "products": [_choice(s, names) for s in ev["candidates"]],
                "shoppers": shoppers,
            }
        )
        result.extend(_prediction_items(idx, auto.get(ev["seq"], {}), set(ev["candidates"])))
    confidences = [float(a.get("confidence", 0.0)) for a in auto.values()]
    data = {
        "jwo_task_id": task.pk,
        "title": f"Visit {visit.visit_code} · store {visit.store.code} · {len(events)} interactions",
        "note": "Check each interaction against the clips and the weight trace; the model's answer is filled in.",
        "events": events,
    }
    prediction = {
        "model_version": task.model_version or "auto-labels",
        "score": round(min(confidences), 4) if confidences else 0.0,
        "result": result,
    }
    return TaskPayload(data=data, prediction=prediction, seqs=[e["seq"] for e in events])


def _prediction_items(idx: int, auto: dict[str, Any], candidates: set[str]) -> list[dict[str, Any]]:
    """The model's auto-label of one event as Label Studio result items."""
    to = f"view1_{idx}"
    action = auto.get("action")
    if not action:
        return []
    items: list[dict[str, Any]] = [
        {"from_name": f"action_{idx}", "to_name": to, "type": "choices", "value": {"choices": [action]}}
    ]
    sku = auto.get("sku") or ""
    if sku and sku in candidates:
        items.append({"from_name": f"product_{idx}", "to_name": to, "type": "choices", "value": {"choices": [sku]}})
    elif sku:
        items.append({"from_name": f"other_sku_{idx}", "to_name": to, "type": "textarea", "value": {"text": [sku]}})
    if auto.get("quantity"):
        items.append(
            {
                "from_name": f"quantity_{idx}",
                "to_name": to,
                "type": "number",
                "value": {"number": int(auto["quantity"])},
            }
        )
    if auto.get("track_id") is not None:
        items.append(
            {
                "from_name": f"shopper_{idx}",
                "to_name": to,
                "type": "choices",
                "value": {"choices": [str(auto["track_id"])]},
            }
        )
    return items
