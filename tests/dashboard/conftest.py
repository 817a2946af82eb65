"""Dashboard test data: visits routed and decided through the real services (ingest,
routing, claim, submit, dispute), then moved to the day and hour the test needs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from django.utils import timezone

from jwo_review.store.models import Visit
from jwo_review.store.services.receipts import LineSpec
from low_confidence_queue.models import ReviewTask, RoutingPolicy, VisitRouting
from low_confidence_queue.services.claims import task_claim_next
from low_confidence_queue.services.decisions import task_submit, visit_dispute
from low_confidence_queue.services.routing import visit_route
from tests.queue import conftest as queue_fixtures
from tests.queue.conftest import ScoredVisit

# The queue tests' fixtures: their settings, an active model version and scored visits.
_queue_settings = queue_fixtures._queue_settings
_no_random_audit = queue_fixtures._no_random_audit
model_version = queue_fixtures.model_version
scored_visit = queue_fixtures.scored_visit

@pytest.fixture(autouse=True)
def _live_figures_uncached(settings: Any) -> None:
    # Each test builds its own today; a figure cached by the previous test would leak in.
    settings.JWO_DASHBOARD_LIVE_CACHE_S = 0


CONFIDENCE = {"low": 0.2, "auto": 0.999, "audit": 0.999, "rule": 0.999}


def at(days_ago: int, hour: float) -> datetime:
    """``hour`` o'clock (UTC) ``days_ago`` days before today."""
    day = timezone.now().date() - timedelta(days=days_ago)
    return datetime.combine(day, time.min, tzinfo=UTC) + timedelta(hours=hour)


def day(days_ago: int) -> date:
    return timezone.now().date() - timedelta(days=days_ago)


class History:
    """Builds visits and decisions at chosen moments. Each task is decided right after it
    is opened (claim-next hands out the one pending task), unless the test leaves it open."""

    def __init__(self, scored_visit: ScoredVisit, users: dict[str, Any]) -> None:
        self.scored_visit = scored_visit
        self.users = users

    def route(self, kind: str, when: datetime, sla_minutes: int = 60) -> Visit:
        RoutingPolicy.objects.filter(store__isnull=True).update(
            audit_rate=1.0 if kind == "audit" else 0.0, max_basket_items=0 if kind == "rule" else 30
        )
        visit = self.scored_visit(confidence=CONFIDENCE[kind])
        result = visit_route(visit_id=visit.pk)
        assert result is not None and result.reason == ("" if kind == "auto" else kind.replace("low", "low_confidence"))
        VisitRouting.objects.filter(visit=visit).update(routed_at=when)
        Visit.objects.filter(pk=visit.pk).update(
            entered_at=when - timedelta(minutes=4), exited_at=when - timedelta(seconds=30)
        )
        ReviewTask.objects.filter(visit=visit).update(created_at=when, sla_due_at=when + timedelta(minutes=sla_minutes))
        return visit

    def dispute(self, visit: Visit, when: datetime, sla_minutes: int = 30) -> ReviewTask:
        task = visit_dispute(visit_id=visit.pk, actor=self.users["admin"], reason="customer says no")
        ReviewTask.objects.filter(pk=task.pk).update(created_at=when, sla_due_at=when + timedelta(minutes=sla_minutes))
        return task

    def decide(self, visit: Visit, when: datetime | None, *, correct: bool = False, user: str = "reviewer",
               spent: float = 40.0) -> ReviewTask:
        task = task_claim_next(user=self.users[user])
        assert task is not None and task.visit_id == visit.pk
        task_submit(
            task_id=task.pk, user=self.users[user], decision="correct" if correct else "approve",
            reason_code="wrong_quantity" if correct else "confirmed",
            lines=[LineSpec("AIM3S-002", 2, 1)] if correct else None,
        )
        if when is not None:
            ReviewTask.objects.filter(pk=task.pk).update(
                decided_at=when, claimed_at=when - timedelta(seconds=spent), time_spent_s=spent
            )
        return ReviewTask.objects.get(pk=task.pk)


@pytest.fixture
def history(scored_visit: ScoredVisit, users: dict[str, Any]) -> History:
    return History(scored_visit, users)


MakeHistory = Callable[[], History]
