"""Background jobs of the queue (small: they call a service)."""

from __future__ import annotations

from celery import shared_task

from low_confidence_queue.services.claims import leases_expire
from low_confidence_queue.services.rollups import rollups_refresh


@shared_task(name="low_confidence_queue.tasks.sweep_leases", ignore_result=True)
def sweep_leases() -> int:
    """Return tasks whose reviewers walked away (beat runs this every 30 s)."""
    return leases_expire()


@shared_task(name="low_confidence_queue.tasks.refresh_rollups", ignore_result=True)
def refresh_rollups() -> int:
    """Rebuild the dashboard's daily rollups of the days that changed (beat: every 5 min)."""
    return len(rollups_refresh())
