"""Nothing is lost between ingest and receipt: a dead broker, no active model, a retry
that is still queued. The sweep queues stalled visits again, once at a time, and
scoring and routing are idempotent, so each visit ends scored and routed exactly once."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import redis
from django.conf import settings
from django.utils import timezone

from inference.models import Prediction
from inference.services import model_promote
from jwo_review.celery import app as celery_app
from jwo_review.pipeline import stalled_visits_requeue
from jwo_review.store.models import AuditLogEntry, Visit, VisitStatus
from jwo_review.store.services.ingest import visits_ingest
from jwo_review.store.services.lifecycle import visits_advance, visits_claim_stalled
from low_confidence_queue.models import ReviewTask, VisitRouting
from tests.factories import visit_payload
from tests.trust.conftest import DEAD_BROKER

pytestmark = pytest.mark.usefixtures("pipeline_settings", "no_audit_sample")
ROUTED = {VisitStatus.FINAL, VisitStatus.IN_REVIEW}


def assert_scored_and_routed_once(visit: Visit) -> None:
    visit.refresh_from_db()
    assert visit.status in ROUTED
    assert Prediction.objects.filter(visit=visit).count() == 1
    assert VisitRouting.objects.filter(visit=visit).count() == 1
    if visit.status == VisitStatus.FINAL:
        assert visit.receipts.count() == 1 and not ReviewTask.objects.filter(visit=visit).exists()
    else:
        assert ReviewTask.objects.filter(visit=visit).count() == 1 and not visit.receipts.exists()


def _purge_broker() -> None:
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.delete("scoring", "default", "ingest")


def test_ingest_with_the_broker_down_stores_the_visit_and_the_sweep_scores_and_routes_it_once(
    register: Callable[..., Any],
    broker: Callable[[str], None],
    client_as: Callable[[str], Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    model_promote(model_version=register())
    broker(DEAD_BROKER)
    payload = visit_payload()
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        response = client_as("store_key").post("/api/v1/visits/", payload, format="json")
    elapsed = time.monotonic() - started
    assert response.status_code == 201, response.content
    assert elapsed < 5, f"ingest waited {elapsed:.1f} s on a dead broker"
    visit = Visit.objects.get(client_visit_id=payload["client_visit_id"])
    assert visit.status == VisitStatus.RECEIVED and not Prediction.objects.filter(visit=visit).exists()

    # The store system's retry is answered as a duplicate, not as a new visit.
    with django_capture_on_commit_callbacks(execute=True):
        again = client_as("store_key").post("/api/v1/visits/", payload, format="json")
    assert again.status_code == 200 and again.json()["created"] is False

    broker(settings.REDIS_URL)
    celery_app.conf.task_always_eager = True
    with django_capture_on_commit_callbacks(execute=True):
        assert stalled_visits_requeue() == {"score": 1, "route": 0}
    assert_scored_and_routed_once(visit)
    with django_capture_on_commit_callbacks(execute=True):
        assert stalled_visits_requeue() == {"score": 0, "route": 0}
    assert_scored_and_routed_once(visit)


def test_a_queued_retry_is_not_queued_again_until_its_lease_runs_out(
    register: Callable[..., Any], broker: Callable[[str], None], aim3s: Any
) -> None:
    model_promote(model_version=register())
    broker(settings.REDIS_URL)
    _purge_broker()
    try:
        [result] = visits_ingest(payloads=[visit_payload()], source="test")
        assert stalled_visits_requeue() == {"score": 1, "route": 0}
        assert stalled_visits_requeue() == {"score": 0, "route": 0}
        assert redis.Redis.from_url(settings.REDIS_URL).llen("scoring") == 1
        # The retry was lost (its worker died and the message with it): after the lease it goes again.
        later = timezone.now() + timedelta(seconds=settings.JWO_PIPELINE_RETRY_S + 1)
        assert visits_claim_stalled(status=VisitStatus.RECEIVED, now=later) == [result.id]
        assert Visit.objects.get(pk=result.id).pipeline_attempts == 2
    finally:
        _purge_broker()


def test_a_visit_scored_but_never_routed_is_routed_by_the_sweep(
    register: Callable[..., Any], settings: Any, aim3s: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # The worker died between the scoring commit and routing: the visit is left "scored".
    settings.JWO_VISITS_SCORED_HOOKS = []
    model_promote(model_version=register())
    with django_capture_on_commit_callbacks(execute=True):
        [result] = visits_ingest(payloads=[visit_payload()], source="test")
    visit = Visit.objects.get(pk=result.id)
    assert visit.status == VisitStatus.SCORED
    with django_capture_on_commit_callbacks(execute=True):
        assert stalled_visits_requeue() == {"score": 0, "route": 1}
    assert_scored_and_routed_once(visit)


def test_a_visit_ingested_with_no_active_model_is_scored_once_one_is_promoted(
    register: Callable[..., Any], aim3s: Any, django_capture_on_commit_callbacks: Any
) -> None:
    version = register()
    with django_capture_on_commit_callbacks(execute=True):
        [result] = visits_ingest(payloads=[visit_payload()], source="test")
    visit = Visit.objects.get(pk=result.id)
    assert visit.status == VisitStatus.RECEIVED
    # Without a model the sweep leaves it alone (and spends none of its retries).
    assert stalled_visits_requeue() == {"score": 0, "route": 0}
    assert Visit.objects.get(pk=visit.pk).pipeline_attempts == 0

    model_promote(model_version=version)
    with django_capture_on_commit_callbacks(execute=True):
        assert stalled_visits_requeue() == {"score": 1, "route": 0}
    assert_scored_and_routed_once(visit)
    assert Prediction.objects.get(visit=visit).model_version == version


def test_scoring_and_routing_again_change_nothing(
    register: Callable[..., Any], aim3s: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from inference.services import visits_score
    from low_confidence_queue.services.routing import visits_route

    model_promote(model_version=register())
    with django_capture_on_commit_callbacks(execute=True):
        [result] = visits_ingest(payloads=[visit_payload()], source="test")
    visit = Visit.objects.get(pk=result.id)
    entries = AuditLogEntry.objects.filter(visit=visit).count()
    with django_capture_on_commit_callbacks(execute=True):
        assert visits_score(visit_ids=[visit.pk]) == []
    assert [r.created for r in visits_route(visit_ids=[visit.pk])] == [False]
    assert_scored_and_routed_once(visit)
    assert AuditLogEntry.objects.filter(visit=visit).count() == entries


@pytest.mark.parametrize(
    ("start", "to", "moves"),
    [
        (VisitStatus.RECEIVED, VisitStatus.SCORED, True),
        (VisitStatus.FINAL, VisitStatus.SCORED, False),
        (VisitStatus.IN_REVIEW, VisitStatus.FINAL, True),
        (VisitStatus.IN_REVIEW, VisitStatus.DISPUTED, False),
        (VisitStatus.FINAL, VisitStatus.DISPUTED, True),
    ],
)
def test_the_lifecycle_moves_a_visit_only_forward(aim3s: Any, start: str, to: str, moves: bool) -> None:
    [result] = visits_ingest(payloads=[visit_payload()], source="test")
    Visit.objects.filter(pk=result.id).update(status=start)
    assert visits_advance(visit_ids=[result.id], to=to) == int(moves)
    assert Visit.objects.get(pk=result.id).status == (to if moves else start)


def test_the_beat_schedule_runs_the_sweep() -> None:
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "jwo_review.pipeline.sweep_stalled_visits" in tasks
    assert "jwo_review.pipeline.sweep_stalled_visits" in celery_app.tasks
