"""Who may do what: every page, endpoint and socket of the queue for every role."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.test import Client
from rest_framework.test import APIClient

from jwo_review.store.models import Visit
from low_confidence_queue.consumers import FORBIDDEN_CLOSE_CODE, QueueConsumer
from low_confidence_queue.models import ReviewTask
from low_confidence_queue.services.claims import task_claim_next
from low_confidence_queue.services.routing import visit_route
from tests.conftest import ROLES
from tests.queue.conftest import ScoredVisit

NO = {"anonymous": 401, "annotator": 403, "store_key": 403}
HOLDER_ONLY = {**NO, "reviewer": 200, "admin": 409}
STAFF = {**NO, "reviewer": 200, "admin": 200}
POLICY = {"target_accuracy": 0.99, "audit_rate": 0.05, "max_basket_value": "80.00", "max_basket_items": 20,
          "sla_minutes": {"low_confidence": 30, "audit": 300, "rule": 45, "dispute": 15}}

# (method, path, body) -> the status each role gets. {task} is held by the reviewer.
MATRIX: dict[tuple[str, str], tuple[dict[str, Any] | None, dict[str, int]]] = {
    ("post", "/api/v1/queue/claim/"): (None, STAFF),
    ("get", "/api/v1/queue/stats/"): (None, STAFF),
    ("post", "/api/v1/queue/peek/"): (None, STAFF),
    ("get", "/api/v1/queue/tasks/{task}/"): (None, STAFF),
    ("post", "/api/v1/queue/tasks/{task}/renew/"): (None, HOLDER_ONLY),
    ("post", "/api/v1/queue/tasks/{task}/release/"): (None, HOLDER_ONLY),
    ("post", "/api/v1/queue/tasks/{task}/skip/"): (None, HOLDER_ONLY),
    ("post", "/api/v1/queue/tasks/{task}/submit/"): ({"decision": "approve", "reason_code": "confirmed"}, HOLDER_ONLY),
    ("post", "/api/v1/queue/tasks/{task}/clips/"): ({"event": 0}, STAFF),
    ("get", "/api/v1/queue/clips/?ids=1,2"): (None, STAFF),
    ("post", "/api/v1/queue/disputes/"): ({"visit": "{final}", "reason": "wrong"},
                                          {**NO, "reviewer": 403, "admin": 201, "store_key": 201}),
    ("get", "/api/v1/queue/policies/"): (None, {**NO, "reviewer": 403, "admin": 200}),
    ("put", "/api/v1/queue/policies/default/"): (POLICY, {**NO, "reviewer": 403, "admin": 200}),
}


@pytest.fixture
def state(scored_visit: ScoredVisit, users: dict[str, Any]) -> dict[str, int]:
    held = scored_visit(confidence=0.2)
    spare = scored_visit(confidence=0.2)
    final = scored_visit(confidence=0.999)
    for visit in (held, spare, final):
        visit_route(visit_id=visit.pk)
    task = task_claim_next(user=users["reviewer"])
    assert task is not None and task.visit_id == held.pk
    assert Visit.objects.get(pk=final.pk).status == "final"
    return {"task": task.pk, "final": final.pk}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path"), list(MATRIX))
def test_api_role_matrix(
    client_as: Callable[[str], APIClient], state: dict[str, int], role: str, method: str, path: str
) -> None:
    body, expected = MATRIX[(method, path)]
    if body is not None and body.get("visit") == "{final}":
        body = {**body, "visit": state["final"]}
    url = path.format(task=state["task"])
    response = getattr(client_as(role), method)(url, body, format="json") if body else getattr(
        client_as(role), method)(url)
    assert response.status_code == expected[role], (role, url, response.content[:300])


PAGES = {
    ("get", "/queue/"): {"anonymous": 302, "annotator": 403, "reviewer": 200, "admin": 200},
    ("post", "/queue/next/"): {"anonymous": 302, "annotator": 403, "reviewer": 302, "admin": 302},
    ("get", "/queue/tasks/{task}/"): {"anonymous": 302, "annotator": 403, "reviewer": 200, "admin": 302},
    ("get", "/queue/policy/"): {"anonymous": 302, "annotator": 403, "reviewer": 403, "admin": 200},
}


@pytest.mark.parametrize("role", ["anonymous", "annotator", "reviewer", "admin"])
@pytest.mark.parametrize(("method", "path"), list(PAGES))
def test_page_role_matrix(users: dict[str, Any], state: dict[str, int], role: str, method: str, path: str) -> None:
    client = Client()
    if role != "anonymous":
        client.force_login(users[role])
    response = getattr(client, method)(path.format(task=state["task"]))
    assert response.status_code == PAGES[(method, path)][role], (role, path)


def test_the_workspace_opens_for_the_holder_with_the_task_data(users: dict[str, Any], state: dict[str, int]) -> None:
    client = Client()
    client.force_login(users["reviewer"])
    body = client.get(f"/queue/tasks/{state['task']}/").content.decode()
    assert "AIM3S-002" in body and 'id="workspace-data"' in body and "Low confidence" in body


def test_next_takes_the_reviewer_to_their_held_task(users: dict[str, Any], state: dict[str, int]) -> None:
    client = Client()
    client.force_login(users["reviewer"])
    response = client.post("/queue/next/")
    assert response["Location"] == f"/queue/tasks/{state['task']}/"
    assert ReviewTask.objects.filter(claimed_by=users["reviewer"]).count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("role", "accepted"), [("anonymous", False), ("annotator", False), ("reviewer", True),
                                                ("admin", True)])
def test_socket_role_matrix(users: dict[str, Any], role: str, accepted: bool) -> None:
    from django.contrib.auth.models import AnonymousUser

    async def run() -> tuple[bool, Any]:
        communicator = WebsocketCommunicator(QueueConsumer.as_asgi(), "/ws/queue/")
        communicator.scope["user"] = users[role] if role != "anonymous" else AnonymousUser()
        connected, code = await communicator.connect()
        first = await communicator.receive_json_from(timeout=5) if connected else None
        await communicator.disconnect()
        return connected, code if not connected else first

    connected, detail = async_to_sync(run)()
    assert connected is accepted
    if accepted:
        assert detail["type"] == "stats" and "depth" in detail
    else:
        assert detail == FORBIDDEN_CLOSE_CODE


@pytest.mark.parametrize("model", ["reviewtask", "visitrouting", "routingpolicy"])
def test_the_admin_lists_queue_rows_read_only(users: dict[str, Any], state: dict[str, int], model: str) -> None:
    path = f"/admin/low_confidence_queue/{model}/"
    users["admin"].is_superuser = True
    users["admin"].save()
    client = Client()
    client.force_login(users["admin"])
    assert client.get(path).status_code == 200
    assert client.get(path + "add/").status_code == 403
