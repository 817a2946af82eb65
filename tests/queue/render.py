"""A clip renderer for tests: marks the clip ready with a tiny file, like the real one would."""

from __future__ import annotations

from celery import shared_task
from django.core.files.base import ContentFile

from jwo_review.store.models import Clip, ClipStatus


@shared_task(name="tests.queue.render.render_clip")
def render_clip(clip_id: int) -> None:
    clip = Clip.objects.get(pk=clip_id)
    clip.file.save(f"test-{clip_id}.mp4", ContentFile(b"\x00\x00\x00\x18ftypmp42"), save=False)
    clip.status = ClipStatus.READY
    clip.save(update_fields=["file", "status"])
