"""Celery tasks of the simulator (routed to the "media" queue by settings)."""

from __future__ import annotations

from celery import shared_task

from jwo_review.simulator.media import clip_render


@shared_task(name="jwo_review.simulator.tasks.render_clip", acks_late=True, ignore_result=True)
def render_clip(clip_id: int) -> None:
    """Render one clip (``clip_request`` queues this after commit)."""
    clip_render(clip_id=clip_id)
