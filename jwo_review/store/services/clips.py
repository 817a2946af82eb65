"""Clips: short videos of one camera over a time window of a visit.

``clip_request`` returns the cached clip for a window, or creates it and queues its
rendering (after commit) with the task named in ``JWO_CLIP_RENDER_TASK``. In this
product the simulator renders clips from what its cameras saw; a store with real
cameras would name a task that cuts them from the recordings instead.
"""

from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.module_loading import import_string

from jwo_review.errors import InvalidInput, NotFound
from jwo_review.store.interactions import EventWindow, time_window, weight_event_window
from jwo_review.store.models import Camera, Clip, ClipStatus, Visit


def clip_request(*, visit: Visit, camera: Camera, t_start: float, t_end: float) -> Clip:
    """The clip of ``camera`` over [t_start, t_end] of ``visit`` (seconds since entry).

    Window edges are rounded to 0.1 s so that near-identical requests share a clip.
    """
    if camera.store_id != visit.store_id:
        raise InvalidInput("That camera is in another store.", fields={"camera": ["Not a camera of this store."]})
    t_start, t_end = round(max(0.0, t_start), 1), round(min(visit.duration_s, t_end), 1)
    if t_end <= t_start or t_end - t_start > settings.JWO_CLIP_MAX_SECONDS:
        raise InvalidInput(
            "Invalid clip window.",
            fields={"t_end": [f"The window must be 0.1 to {settings.JWO_CLIP_MAX_SECONDS} s inside the visit."]},
        )
    clip = Clip.objects.filter(visit=visit, camera=camera, t_start=t_start, t_end=t_end).first()
    if clip is None:
        try:
            with transaction.atomic():
                clip = Clip.objects.create(visit=visit, camera=camera, t_start=t_start, t_end=t_end)
        except IntegrityError:
            # Two viewers asked for the same window at once; the other request made it.
            return Clip.objects.get(visit=visit, camera=camera, t_start=t_start, t_end=t_end)
        clip_id = clip.pk
        transaction.on_commit(lambda: import_string(settings.JWO_CLIP_RENDER_TASK).delay(clip_id))
    elif clip.status == ClipStatus.FAILED:
        Clip.objects.filter(pk=clip.pk).update(status=ClipStatus.PENDING, error="")
        clip_id = clip.pk
        transaction.on_commit(lambda: import_string(settings.JWO_CLIP_RENDER_TASK).delay(clip_id))
    return clip


def window_clips_request(*, visit: Visit, window: EventWindow) -> list[Clip]:
    """The clips of every view of an interaction's window (cached per window; rendering
    queued after commit)."""
    return [clip_request(visit=visit, camera=c, t_start=window.t_start, t_end=window.t_end) for c in window.cameras]


def event_clips_request(*, visit: Visit, seq: int) -> list[Clip]:
    """The multi-view clips of weight event ``seq`` of ``visit``."""
    window = weight_event_window(visit=visit, seq=seq)
    if window is None:
        raise NotFound("No such event in this visit.")
    return window_clips_request(visit=visit, window=window)


def interaction_clips_request(*, visit: Visit, seq: int | None = None, t: float | None = None) -> list[Clip]:
    """The clips of weight event ``seq``, or else of the moment ``t`` (seconds since entry)
    that no weight event covers, as ``ClipRequestSerializer`` asks for them."""
    if seq is not None:
        return event_clips_request(visit=visit, seq=seq)
    if t is None:
        raise InvalidInput("Give either event or t.", fields={"event": ["Give either event or t."]})
    return window_clips_request(visit=visit, window=time_window(visit=visit, t=t))
