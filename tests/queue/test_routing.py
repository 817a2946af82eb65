"""Routing right after scoring: auto-issue, review reasons, idempotence, policy changes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from jwo_review.store.models import AuditLogEntry, Receipt, Visit, VisitStatus
from low_confidence_queue.hooks import visits_scored
from low_confidence_queue.models import Reason, ReviewTask, RoutingOutcome, TaskStatus, VisitRouting
from low_confidence_queue.selectors import review_rate
from low_confidence_queue.services.policy import policy_for_store, policy_update
from low_confidence_queue.services.routing import visit_route
from tests.queue.conftest import ScoredVisit


def _policy(**changes: Any) -> None:
    current = policy_for_store(None)
    values = {
        "target_accuracy": current.target_accuracy, "audit_rate": 0.0, "max_basket_value": current.max_basket_value,
        "max_basket_items": current.max_basket_items, "sla_minutes": current.sla_minutes, **changes,
    }
    policy_update(store=None, actor=None, **values)


@pytest.fixture(autouse=True)
def _no_audit(db: None) -> None:
    _policy(audit_rate=0.0)


def test_a_confident_visit_gets_its_final_receipt_at_once(scored_visit: ScoredVisit) -> None:
    visit = scored_visit(confidence=0.97)
    visits_scored([visit.pk])
    visit.refresh_from_db()
    receipt = Receipt.objects.get(visit=visit, is_final=True)
    assert visit.status == VisitStatus.FINAL
    assert receipt.source == "model" and [(line.product.sku, line.quantity) for line in receipt.lines.all()] == [
        ("AIM3S-002", 1)
    ]
    assert AuditLogEntry.objects.get(visit=visit).action == "auto_issued"
    assert not ReviewTask.objects.filter(visit=visit).exists()


def test_an_unsure_visit_becomes_a_low_confidence_task(scored_visit: ScoredVisit) -> None:
    visit = scored_visit(confidence=0.42)
    visits_scored([visit.pk])
    visit.refresh_from_db()
    task = ReviewTask.objects.get(visit=visit)
    assert visit.status == VisitStatus.IN_REVIEW
    assert task.reason == Reason.LOW_CONFIDENCE and task.status == TaskStatus.PENDING
    assert task.sla_due_at > task.created_at
    assert not Receipt.objects.filter(visit=visit).exists()


def test_the_audit_sample_reviews_confident_visits_too(scored_visit: ScoredVisit) -> None:
    _policy(audit_rate=1.0)
    visit = scored_visit(confidence=0.99)
    visit_route(visit_id=visit.pk)
    assert ReviewTask.objects.get(visit=visit).reason == Reason.AUDIT


def test_a_basket_above_the_size_limit_is_reviewed_by_rule(scored_visit: ScoredVisit) -> None:
    _policy(max_basket_items=3)
    visit = scored_visit(confidence=0.99, lines=[
        {"sku": "AIM3S-002", "quantity": 4, "shopper_track_id": 1, "probability": 0.99}])
    visit_route(visit_id=visit.pk)
    task = ReviewTask.objects.get(visit=visit)
    assert task.reason == Reason.RULE and "4 units" in task.reason_detail
    assert task.priority > ReviewTask._meta.get_field("priority").default


def test_a_basket_above_the_value_limit_is_reviewed_by_rule(scored_visit: ScoredVisit) -> None:
    _policy(max_basket_value=Decimal("0.50"))
    visit = scored_visit(confidence=0.99)
    visit_route(visit_id=visit.pk)
    assert ReviewTask.objects.get(visit=visit).reason == Reason.RULE


def test_routing_a_visit_twice_makes_one_task_and_no_receipt(scored_visit: ScoredVisit) -> None:
    visit = scored_visit(confidence=0.3)
    visits_scored([visit.pk])
    visits_scored([visit.pk])
    assert ReviewTask.objects.filter(visit=visit).count() == 1
    assert VisitRouting.objects.filter(visit=visit).count() == 1


def test_routing_a_confident_visit_twice_issues_one_receipt(scored_visit: ScoredVisit) -> None:
    visit = scored_visit(confidence=0.99)
    visits_scored([visit.pk, visit.pk])
    assert Receipt.objects.filter(visit=visit).count() == 1


def test_a_policy_change_applies_to_new_visits_only(scored_visit: ScoredVisit) -> None:
    before = scored_visit(confidence=0.95)
    visit_route(visit_id=before.pk)
    _policy(max_basket_items=0 + 1, max_basket_value=None)
    after = scored_visit(confidence=0.95, lines=[
        {"sku": "AIM3S-002", "quantity": 2, "shopper_track_id": 1, "probability": 0.95}])
    visit_route(visit_id=after.pk)
    visit_route(visit_id=before.pk)
    assert VisitRouting.objects.get(visit=before).outcome == RoutingOutcome.AUTO_ISSUED
    assert VisitRouting.objects.get(visit=after).outcome == RoutingOutcome.REVIEW


def test_a_target_without_calibration_reviews_everything(scored_visit: ScoredVisit) -> None:
    # Until the model can say which threshold another target needs, nothing is auto-issued for it.
    _policy(target_accuracy=0.999)
    visit = scored_visit(confidence=0.999)
    result = visit_route(visit_id=visit.pk)
    # The test model has no held-out curve, so only its own target has a threshold.
    assert result is not None and result.reason == Reason.LOW_CONFIDENCE


def test_a_prediction_naming_a_stranger_is_reviewed(scored_visit: ScoredVisit) -> None:
    visit = scored_visit(confidence=0.99, lines=[
        {"sku": "AIM3S-002", "quantity": 1, "shopper_track_id": 7, "probability": 0.99}])
    visit_route(visit_id=visit.pk)
    assert ReviewTask.objects.get(visit=visit).reason == Reason.RULE
    assert Visit.objects.get(pk=visit.pk).status == VisitStatus.IN_REVIEW


def test_the_review_rate_counts_routed_visits(scored_visit: ScoredVisit) -> None:
    for confidence in (0.99, 0.99, 0.99, 0.2):
        visit_route(visit_id=scored_visit(confidence=confidence).pk)
    rate = review_rate(hours=1)
    assert (rate["routed"], rate["reviewed"], rate["per_1000"]) == (4, 1, 250.0)
    assert rate["by_reason"]["low_confidence"] == 1


def test_a_store_policy_overrides_the_default(scored_visit: ScoredVisit) -> None:
    visit = scored_visit(confidence=0.99)
    current = policy_for_store(None)
    policy_update(store=visit.store, actor=None, target_accuracy=current.target_accuracy, audit_rate=1.0,
                  max_basket_value=None, max_basket_items=None, sla_minutes=current.sla_minutes)
    visit_route(visit_id=visit.pk)
    task = ReviewTask.objects.get(visit=visit)
    assert task.reason == Reason.AUDIT
    assert VisitRouting.objects.get(visit=visit).policy == policy_for_store(visit.store) != current
