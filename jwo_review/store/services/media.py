"""Writes about media: the record of who fetched which clip or plate stream, when."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from jwo_review.store.media_access import MediaFile
from jwo_review.store.models import ClipView


@transaction.atomic
def media_view_record(*, user: Any, media: MediaFile, via: str = "session") -> ClipView | None:
    """Record that ``user`` fetched ``media`` (clips and plate streams; catalogue images
    show no one and are not recorded)."""
    if media.visit_id is None:
        return None
    return ClipView.objects.create(
        user=user if getattr(user, "pk", None) else None,
        username=str(getattr(user, "username", ""))[:150],
        visit_id=media.visit_id,
        clip_id=media.clip_id,
        name=media.name[:255],
        via=via,
    )
