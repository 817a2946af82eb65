"""Clips of a task's interactions, requested through the store's clip service."""

from __future__ import annotations

from jwo_review.errors import NotFound
from jwo_review.store.models import Camera, Clip, VisionEvent, VisionKind, WeightEvent
from jwo_review.store.services.clips import clip_request
from low_confidence_queue.models import ReviewTask
from low_confidence_queue.workspace import CLIP_MARGIN_S

MAX_VIEWS = 4


def event_clips(*, task: ReviewTask, event_seq: int) -> list[Clip]:
    """The multi-view clips of one weight event: the cameras that saw a hand in the
    shelf around it first, then the store's other cameras (up to MAX_VIEWS). Cached per window by clip_request;
    rendering is queued after commit."""
    visit = task.visit
    event = WeightEvent.objects.filter(visit=visit, seq=event_seq).first()
    if event is None:
        raise NotFound("No such event in this visit.")
    t_start = max(0.0, event.t_start - CLIP_MARGIN_S)
    t_end = min(visit.duration_s, event.t_end + CLIP_MARGIN_S)
    seen = set(
        VisionEvent.objects.filter(
            visit=visit,
            kind=VisionKind.HAND_IN_SHELF,
            camera__isnull=False,
            t__lte=event.t_end + 1.0,
            t__gte=event.t_start - 1.0 - 5.0,
        ).values_list("camera_id", flat=True)
    )
    cameras = list(Camera.objects.filter(store_id=visit.store_id).order_by("code"))
    # The cameras that saw the hand first, then the others, so every view can be compared.
    chosen = ([c for c in cameras if c.pk in seen] + [c for c in cameras if c.pk not in seen])[:MAX_VIEWS]
    return [clip_request(visit=visit, camera=c, t_start=t_start, t_end=t_end) for c in chosen]
