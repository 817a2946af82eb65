"""Celery jobs of annotation: making tasks, expiring leases, refitting annotator quality."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from annotation.labelstudio.models import Connection
from annotation.labelstudio.sync import connection_sync
from annotation.services.claims import slots_expire
from annotation.services.quality import quality_refit
from annotation.services.sources import tasks_from_corrections, tasks_from_flagged, tasks_make_all


@shared_task(acks_late=True)
def make_tasks() -> dict[str, int]:
    """Every source once (beat)."""
    return {m.source: m.created for m in tasks_make_all()}


@shared_task(acks_late=True)
def review_decided(visit_id: int) -> dict[str, int]:
    """After a review decision: the visit's flagged and corrected tasks."""
    made = [tasks_from_flagged(visit_ids=[visit_id]), tasks_from_corrections(visit_ids=[visit_id])]
    return {m.source: m.created for m in made}


@shared_task
def sweep_leases() -> int:
    return slots_expire()


@shared_task(acks_late=True)
def refit_quality() -> dict[str, Any]:
    return quality_refit()


@shared_task(acks_late=True)
def labelstudio_sync(connection_id: int, trigger: str = "beat") -> dict[str, Any]:
    """Push and pull one Label Studio connection."""
    run = connection_sync(connection_id=connection_id, trigger=trigger)
    return {"status": run.status, "counts": run.counts, "errors": len(run.errors)}


@shared_task
def labelstudio_sync_all() -> list[int]:
    """Queue a sync of every enabled connection (beat)."""
    ids = list(Connection.objects.filter(enabled=True).values_list("pk", flat=True))
    for pk in ids:
        labelstudio_sync.delay(pk)
    return ids
