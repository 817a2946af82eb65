"""Need-to-know media check of annotation (named in JWO_MEDIA_ACCESS_CHECKS)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from annotation.models import AnnotationSlot, SlotStatus


def user_holds_visit(user: Any, visit_id: int) -> bool:
    """True while ``user`` holds an annotation slot of a task of the visit under a live lease."""
    if not getattr(user, "pk", None):
        return False
    return AnnotationSlot.objects.filter(
        task__visit_id=visit_id, annotator_id=user.pk, status=SlotStatus.CLAIMED, lease_expires_at__gt=timezone.now()
    ).exists()
