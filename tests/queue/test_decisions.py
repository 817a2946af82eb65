"""Decisions and disputes: every receipt change is a new version with an audit entry."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from jwo_review.errors import Conflict, InvalidInput
from jwo_review.store.models import AuditLogEntry, Receipt, Visit, VisitStatus
from jwo_review.store.services.receipts import LineSpec
from low_confidence_queue.models import Reason, ReviewTask, TaskStatus
from low_confidence_queue.selectors import tasks_flagged_for_annotation
from low_confidence_queue.services.claims import task_claim_next
from low_confidence_queue.services.decisions import task_submit, visit_dispute
from low_confidence_queue.services.routing import visit_route
from tests.queue.conftest import ScoredVisit

MakeTask = Callable[..., ReviewTask]


def _claimed(review_task: MakeTask, user: Any) -> ReviewTask:
    task = review_task()
    claimed = task_claim_next(user=user)
    assert claimed is not None and claimed.pk == task.pk
    return claimed


def test_approve_issues_the_predicted_receipt_with_an_audit_entry(
    review_task: MakeTask, users: dict[str, Any]
) -> None:
    task = _claimed(review_task, users["reviewer"])
    done = task_submit(task_id=task.pk, user=users["reviewer"], decision="approve", reason_code="confirmed")
    receipt = Receipt.objects.get(visit_id=task.visit_id, is_final=True)
    assert done.status == TaskStatus.DONE and done.receipt == receipt and done.time_spent_s is not None
    assert receipt.source == "review" and receipt.issued_by == users["reviewer"]
    assert [(line.product.sku, line.quantity, line.shopper_track_id) for line in receipt.lines.all()] == [
        ("AIM3S-002", 1, 1)]
    entry = AuditLogEntry.objects.get(receipt=receipt)
    assert entry.action == "review_approved" and entry.actor == users["reviewer"]
    assert entry.details["reason_code"] == "confirmed" and entry.details["time_spent_s"] is not None
    assert Visit.objects.get(pk=task.visit_id).status == VisitStatus.FINAL


def test_a_correction_records_the_diff_reason_comment_and_flag(review_task: MakeTask, users: dict[str, Any]) -> None:
    task = _claimed(review_task, users["reviewer"])
    task_submit(
        task_id=task.pk, user=users["reviewer"], decision="correct", reason_code="wrong_product",
        lines=[LineSpec("AIM3S-001", 2, 1)], comment="look-alike", flag_for_annotation=True,
    )
    receipt = Receipt.objects.get(visit_id=task.visit_id, is_final=True)
    assert receipt.diff == {"added": [{"line": "AIM3S-001@1", "quantity": 2}], "removed": [], "changed": []}
    entry = AuditLogEntry.objects.get(receipt=receipt)
    assert entry.action == "review_corrected" and entry.details["comment"] == "look-alike"
    assert ReviewTask.objects.get(pk=task.pk).flag_for_annotation
    assert [t.visit_id for t in tasks_flagged_for_annotation()] == [task.visit_id]


def test_an_invalid_correction_changes_nothing(review_task: MakeTask, users: dict[str, Any]) -> None:
    task = _claimed(review_task, users["reviewer"])
    with pytest.raises(InvalidInput):
        task_submit(task_id=task.pk, user=users["reviewer"], decision="correct", reason_code="wrong_shopper",
                    lines=[LineSpec("AIM3S-002", 1, 9)])
    with pytest.raises(InvalidInput):
        task_submit(task_id=task.pk, user=users["reviewer"], decision="approve", reason_code="because")
    assert not Receipt.objects.filter(visit_id=task.visit_id).exists()
    assert ReviewTask.objects.get(pk=task.pk).status == TaskStatus.CLAIMED


def test_every_receipt_change_leaves_an_audit_entry(
    scored_visit: ScoredVisit, users: dict[str, Any], client_as: Callable[[str], APIClient]
) -> None:
    visit = scored_visit(confidence=0.99)
    visit_route(visit_id=visit.pk)  # auto-issued
    response = client_as("store_key").post("/api/v1/queue/disputes/", {"visit": visit.pk, "reason": "not taken"},
                                           format="json")
    assert response.status_code == 201, response.content
    task = task_claim_next(user=users["reviewer"])
    assert task is not None
    task_submit(task_id=task.pk, user=users["reviewer"], decision="correct", reason_code="phantom_item", lines=[])
    receipts = list(Receipt.objects.filter(visit=visit).order_by("version"))
    entries = list(AuditLogEntry.objects.filter(visit=visit).order_by("id"))
    assert [r.version for r in receipts] == [1, 2]
    assert [e.action for e in entries] == ["auto_issued", "disputed", "review_corrected"]
    assert {e.receipt_id for e in entries if e.action != "disputed"} == {r.pk for r in receipts}


def test_a_dispute_reopens_a_final_visit_as_a_high_priority_task(
    scored_visit: ScoredVisit, review_task: MakeTask, users: dict[str, Any], client_as: Callable[[str], APIClient]
) -> None:
    visit = scored_visit(confidence=0.99)
    visit_route(visit_id=visit.pk)
    review_task()  # an ordinary task already waiting
    response = client_as("store_key").post(
        "/api/v1/queue/disputes/", {"client_visit_id": visit.client_visit_id, "reason": "charged twice"}, format="json"
    )
    assert response.status_code == 201
    visit.refresh_from_db()
    assert visit.status == VisitStatus.DISPUTED
    entry = AuditLogEntry.objects.filter(visit=visit, action="disputed").get()
    assert entry.details["reason"] == "charged twice" and entry.actor_label == "store system aim3s"
    first = task_claim_next(user=users["reviewer"])
    assert first is not None and first.visit_id == visit.pk and first.reason == Reason.DISPUTE


def test_a_visit_without_a_final_receipt_cannot_be_disputed(review_task: MakeTask, users: dict[str, Any]) -> None:
    task = review_task()
    with pytest.raises(Conflict):
        visit_dispute(visit_id=task.visit_id, actor=users["admin"], reason="wrong")


def test_a_dispute_cannot_be_queued_twice(scored_visit: ScoredVisit, users: dict[str, Any]) -> None:
    visit = scored_visit(confidence=0.99)
    visit_route(visit_id=visit.pk)
    visit_dispute(visit_id=visit.pk, actor=users["admin"], reason="wrong")
    with pytest.raises(Conflict):
        visit_dispute(visit_id=visit.pk, actor=users["admin"], reason="wrong again")
    assert ReviewTask.objects.filter(visit=visit).count() == 1


def test_the_workspace_of_a_dispute_starts_from_the_final_receipt(
    scored_visit: ScoredVisit, users: dict[str, Any]
) -> None:
    from django.test import Client

    visit = scored_visit(confidence=0.99)
    visit_route(visit_id=visit.pk)
    visit_dispute(visit_id=visit.pk, actor=users["admin"], reason="not taken")
    task = task_claim_next(user=users["reviewer"])
    assert task is not None
    client = Client()
    client.force_login(users["reviewer"])
    body = client.get(f"/queue/tasks/{task.pk}/").content.decode()
    assert "Final receipt under dispute" in body and "not taken" in body and "AIM3S-002" in body
