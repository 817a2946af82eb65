"""Entry points other apps call by dotted name (settings.JWO_REVIEW_DECIDED_HOOKS)."""

from __future__ import annotations

from annotation.tasks import review_decided


def review_task_decided(visit_id: int) -> None:
    """Queue the making of the visit's annotation tasks (called after the decision committed)."""
    review_decided.delay(visit_id)
