"""Rendering stored visits: clips (one camera, a time window) and catalogue images.

Clips are drawn from the visit and its stored ground truth (the cameras see reality).
A visit without truth (posted by a store system) is drawn from what its sensors
reported: the shoppers' tracks and the hand-in-shelf detections.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from django.core.files.base import ContentFile
from django.db import transaction

from jwo_review.simulator.models import VisitTruth
from jwo_review.simulator.render.catalogue import catalogue_png
from jwo_review.simulator.render.layout import layout_from_store
from jwo_review.simulator.render.scene import Scene
from jwo_review.simulator.render.video import encode_webm
from jwo_review.store.models import Clip, ClipStatus, Product, Visit


def visit_scene_truth(visit: Visit) -> dict[str, Any]:
    """The visit's stored truth, or a stand-in built from its sensor data."""
    row = VisitTruth.objects.filter(visit=visit).only("truth").first()
    if row is not None:
        return dict(row.truth)
    people = [
        {
            "track_id": s.track_id,
            "role": "shopper",
            "waypoints": [[float(p[0]), float(p[1]), float(p[2])] for p in s.track],
        }
        for s in visit.shoppers.all()
    ]
    interactions = []
    for e in visit.vision_events.filter(kind="hand_in_shelf", plate__isnull=False).select_related("plate"):
        scores, plate = e.product_scores or {}, e.plate
        if plate is None:
            continue
        interactions.append(
            {
                "t_start": e.t,
                "t_end": e.t_end if e.t_end is not None else e.t + 1.5,
                "t_change": (e.t + (e.t_end if e.t_end is not None else e.t + 1.5)) / 2,
                "plate": plate.code,
                "sku": None,
                "action": "pick",
                "quantity": 1,
                "track_id": e.track_id or 0,
                "hand": [plate.x_m, plate.y_m],
                "guess": max(scores, key=scores.__getitem__) if scores else None,
            }
        )
    return {"people": people, "interactions": interactions, "occlusions": [], "handovers": []}


def clip_frames_render(clip: Clip) -> bytes:
    visit = clip.visit
    scene = Scene(layout_from_store(visit.store_id), visit_scene_truth(visit), entered_at=visit.entered_at)
    fps = int(clip.fps or 15)
    times = np.arange(clip.t_start, clip.t_end, 1.0 / fps)
    return encode_webm((scene.draw(clip.camera.code, float(t)) for t in times), fps=fps, size=scene.size)


def clip_render(*, clip_id: int) -> Clip:
    """Render a pending clip into a WebM file; READY with render_ms, or FAILED with the error.

    Safe to call twice: a clip already READY is returned untouched (a retried task)."""
    clip = Clip.objects.select_related("visit", "camera").get(pk=clip_id)
    if clip.status == ClipStatus.READY and clip.file:
        return clip
    started = time.perf_counter()
    try:
        data = clip_frames_render(clip)
    except Exception as exc:  # noqa: BLE001 - any drawing or codec error fails this clip, not the worker
        Clip.objects.filter(pk=clip.pk).update(status=ClipStatus.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000])
        clip.refresh_from_db()
        return clip
    with transaction.atomic():
        clip = Clip.objects.select_for_update().get(pk=clip_id)
        clip.file.save(
            f"visit{clip.visit_id}-{clip.camera.code}-{clip.t_start:.1f}-{clip.t_end:.1f}.webm",
            ContentFile(data),
            save=False,
        )
        clip.status = ClipStatus.READY
        clip.error = ""
        clip.render_ms = int((time.perf_counter() - started) * 1000)
        clip.save(update_fields=["file", "status", "error", "render_ms"])
    return clip


def catalogue_images_render(*, skus: list[str] | None = None, force: bool = False) -> int:
    """Draw and store ``Product.image`` for products without one (all with ``force``)."""
    products = Product.objects.all() if skus is None else Product.objects.filter(sku__in=skus)
    if not force:
        products = products.filter(image="")
    done = 0
    for product in products.order_by("sku"):
        png = catalogue_png(
            name=product.name,
            family=product.family,
            sku=product.sku,
            colour=product.color,
            shape=product.shape,
            unit_weight_g=product.unit_weight_g,
        )
        product.image.save(f"{product.sku}.png", ContentFile(png), save=False)
        Product.objects.filter(pk=product.pk).update(image=product.image.name)
        done += 1
    return done
