"""Live queue numbers over the socket, the policy page, and the submit API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client
from rest_framework.test import APIClient

from jwo_review.store.models import AuditLogEntry, Receipt
from low_confidence_queue.consumers import QueueConsumer
from low_confidence_queue.models import ReviewTask, RoutingPolicy
from low_confidence_queue.services.claims import task_claim_next
from low_confidence_queue.services.routing import visit_route
from tests.queue.conftest import ScoredVisit


@pytest.mark.django_db(transaction=True)
def test_the_queue_socket_hears_tasks_created_and_claimed(scored_visit: ScoredVisit, users: dict[str, Any]) -> None:
    visit = scored_visit(confidence=0.1)

    async def run() -> list[dict[str, Any]]:
        communicator = WebsocketCommunicator(QueueConsumer.as_asgi(), "/ws/queue/")
        communicator.scope["user"] = users["reviewer"]
        connected, _ = await communicator.connect()
        assert connected
        seen = [await communicator.receive_json_from(timeout=5)]
        await sync_to_async(visit_route)(visit_id=visit.pk)
        seen.append(await communicator.receive_json_from(timeout=5))
        await sync_to_async(task_claim_next)(user=users["admin"])
        seen.append(await communicator.receive_json_from(timeout=5))
        await communicator.disconnect()
        return seen

    initial, created, claimed = async_to_sync(run)()
    assert (initial["depth"], created["depth"], claimed["depth"]) == (0, 1, 0)
    assert claimed["in_progress"] == 1 and claimed["working"][0]["reviewer"] == users["admin"].username


def test_an_admin_saves_the_policy_and_is_told_it_applies_to_new_visits(users: dict[str, Any]) -> None:
    client = Client()
    client.force_login(users["admin"])
    form = {"store": "default", "target_accuracy": "0.99", "audit_rate": "0.1", "max_basket_value": "",
            "max_basket_items": "12", "sla_low_confidence": "45", "sla_audit": "600", "sla_rule": "30",
            "sla_dispute": "15"}
    response = client.post("/queue/policy/", form, follow=True)
    assert "applies to visits routed from now on" in response.content.decode()
    policy = RoutingPolicy.objects.get(store=None)
    assert (policy.target_accuracy, policy.audit_rate, policy.max_basket_value, policy.max_basket_items) == (
        0.99, 0.1, None, 12)
    assert policy.sla_minutes["dispute"] == 15 and policy.updated_by == users["admin"]


def test_a_bad_policy_is_refused_with_the_field(client_as: Callable[[str], APIClient]) -> None:
    response = client_as("admin").put("/api/v1/queue/policies/default/", {
        "target_accuracy": 1.5, "audit_rate": 0.1, "sla_minutes": {"low_confidence": 1}}, format="json")
    assert response.status_code == 400 and "target_accuracy" in response.json()["errors"]


def test_a_correction_through_the_api(review_task: Callable[..., ReviewTask], users: dict[str, Any],
                                      client_as: Callable[[str], APIClient]) -> None:
    task = review_task()
    client = client_as("reviewer")
    claimed = client.post("/api/v1/queue/claim/").json()
    assert claimed["id"] == task.pk and claimed["claimed_by"] == users["reviewer"].username
    response = client.post(f"/api/v1/queue/tasks/{task.pk}/submit/", {
        "decision": "correct", "reason_code": "wrong_quantity", "comment": "two packs",
        "lines": [{"sku": "AIM3S-002", "quantity": 2, "shopper_track_id": 1}]}, format="json")
    assert response.status_code == 200, response.content
    receipt = Receipt.objects.get(visit_id=task.visit_id, is_final=True)
    entry = AuditLogEntry.objects.get(receipt=receipt)
    assert entry.details["diff_from_proposed"]["changed"] == [{"line": "AIM3S-002@1", "from": 1, "to": 2}]
    assert entry.details["proposed_lines"] == [{"sku": "AIM3S-002", "quantity": 1, "shopper_track_id": 1}]
    assert client.post("/api/v1/queue/claim/").status_code == 204


def test_claim_answers_with_the_task_already_held(review_task: Callable[..., ReviewTask],
                                                  client_as: Callable[[str], APIClient]) -> None:
    review_task()
    review_task()
    client = client_as("reviewer")
    first = client.post("/api/v1/queue/claim/").json()
    again = client.post("/api/v1/queue/claim/").json()
    assert first["id"] == again["id"]
    assert ReviewTask.objects.filter(status="pending").count() == 1
