"""Clips of a task's interactions, requested through the store's clip service."""

from __future__ import annotations

from jwo_review.store.models import Clip
from jwo_review.store.services.clips import interaction_clips_request
from low_confidence_queue.models import ReviewTask


def task_clips(*, task: ReviewTask, event_seq: int | None = None, t: float | None = None) -> list[Clip]:
    """The multi-view clips of one weight event of the task's visit, or of a moment no
    scale weighed (a reach only the cameras saw); the window and views are the store's
    definition, shared with the annotator workspace."""
    return interaction_clips_request(visit=task.visit, seq=event_seq, t=t)
