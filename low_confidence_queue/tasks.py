"""Background jobs of the queue (small: they call a service)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from celery import shared_task

from low_confidence_queue.services.claims import leases_expire
from low_confidence_queue.services.rollups import rollups_refresh
from low_confidence_queue.services.routing import visits_route


@shared_task(name="low_confidence_queue.tasks.sweep_leases", ignore_result=True)
def sweep_leases() -> int:
    """Return tasks whose reviewers walked away (beat runs this every 30 s)."""
    return leases_expire()


@shared_task(name="low_confidence_queue.tasks.route_visits", acks_late=True, ignore_result=True)
def route_visits(visit_ids: list[int]) -> int:
    """Route scored visits (the pipeline's sweep queues this for visits left scored);
    routing is idempotent, so a redelivered task is harmless."""
    return len(visits_route(visit_ids=visit_ids))


@shared_task(name="low_confidence_queue.tasks.refresh_rollups", ignore_result=True)
def refresh_rollups() -> int:
    """Rebuild the dashboard's daily rollups of the days that changed (beat: every 5 min)."""
    return len(rollups_refresh())


@shared_task(name="low_confidence_queue.tasks.check_store_threshold", acks_late=True, ignore_result=True)
def check_store_threshold(store_id: int) -> float | None:
    """After an audit found a wrong receipt: tighten the store's threshold at once if its
    bound fell below the target (idempotent: a second run finds the bound met)."""
    from jwo_review.store.models import Store
    from low_confidence_queue.services.thresholds import store_threshold_check

    store = Store.objects.filter(pk=store_id).first()
    row = store_threshold_check(store=store) if store is not None else None
    return row.threshold if row is not None else None


# Training runs on the "training" queue (settings.CELERY_TASK_ROUTES). acks_late: a worker
# killed mid-way leaves the message to be delivered again, and the job is idempotent (the
# same examples give the same dataset version, whose candidate is made once).
@shared_task(name="low_confidence_queue.tasks.train_store", acks_late=True, ignore_result=True)
def train_store(store_id: int) -> dict[str, Any]:
    """A store's retraining job: dataset version, candidate, gate, promotion or refusal."""
    from low_confidence_queue.services.retraining import store_retrain

    return asdict(store_retrain(store_id=store_id))


@shared_task(name="low_confidence_queue.tasks.train_nightly_store", acks_late=True)
def nightly_store(store_id: int) -> dict[str, Any]:
    """One store's nightly job (the flywheel command runs this per simulated day)."""
    from low_confidence_queue.services.retraining import store_nightly

    return asdict(store_nightly(store_id=store_id))


@shared_task(name="low_confidence_queue.tasks.train_stores_nightly", acks_late=True, ignore_result=True)
def train_stores_nightly() -> list[dict[str, Any]]:
    """Beat's nightly run over every store (see ``stores_nightly``)."""
    from low_confidence_queue.services.retraining import stores_nightly

    return [asdict(r) for r in stores_nightly()]
