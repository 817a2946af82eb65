"""Celery tasks of the model app (routed to the "scoring" and "training" queues)."""

from __future__ import annotations

from celery import shared_task

from inference.services import visits_score


# ignore_result: nothing reads it, and with a results backend to wait for a dead Redis
# would hold the publishing request (ingest) for ~20 s.
@shared_task(
    name="inference.tasks.score_visits",
    acks_late=True,
    ignore_result=True,
    autoretry_for=(ConnectionError,),
    max_retries=3,
)
def score_visits(visit_ids: list[int]) -> int:
    """Score visits with the active model (idempotent, so a redelivered task is harmless)."""
    return len(visits_score(visit_ids=visit_ids))
