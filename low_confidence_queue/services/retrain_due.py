"""When a store has gathered enough new examples, its retraining starts without waiting
for the night (kept apart from the job itself, which loads torch: this runs in the web tier)."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from inference.datasets import new_visits_since_snapshot
from jwo_review.store.models import Store


def retrain_if_due(*, store: Store) -> bool:
    """Queue the store's retraining after commit once ``JWO_RETRAIN_MIN_NEW_VISITS`` of its
    visits gained examples since its latest dataset version (at most once an hour per store)."""
    if new_visits_since_snapshot(store=store) < settings.JWO_RETRAIN_MIN_NEW_VISITS:
        return False
    if not cache.add(f"jwo:retrain-queued:{store.pk}", 1, timeout=3600):
        return False
    from low_confidence_queue.tasks import train_store

    store_id = store.pk
    transaction.on_commit(lambda: train_store.delay(store_id))
    return True
