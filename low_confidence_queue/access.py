"""Need-to-know media checks of the review queue (named in JWO_MEDIA_ACCESS_CHECKS)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from low_confidence_queue.models import ReviewTask, TaskStatus


def user_holds_visit(user: Any, visit_id: int) -> bool:
    """True while ``user`` holds a review task of the visit under a live lease."""
    if not getattr(user, "pk", None):
        return False
    return ReviewTask.objects.filter(
        visit_id=visit_id, status=TaskStatus.CLAIMED, claimed_by_id=user.pk, lease_expires_at__gt=timezone.now()
    ).exists()
