"""Who may see what: the dashboard page, every metrics endpoint and the socket, for every
role; the CSV of each series carries exactly the JSON's rows; the schema lists them."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser
from django.test import Client
from rest_framework.test import APIClient

from low_confidence_queue.consumers import FORBIDDEN_CLOSE_CODE
from low_confidence_queue.metrics.api import SERIES
from low_confidence_queue.metrics.consumers import DashboardConsumer
from low_confidence_queue.services.rollups import rollups_refresh
from tests.conftest import ROLES
from tests.dashboard.conftest import History, at, day

ADMIN_ONLY = {"anonymous": 401, "annotator": 403, "reviewer": 403, "admin": 200, "store_key": 403}
ENDPOINTS = [f"/api/v1/metrics/{name}/" for name in SERIES]


@pytest.fixture
def some_history(history: History) -> None:
    low = history.route("low", at(2, 10))
    history.decide(low, at(2, 10.5), correct=True)
    audit = history.route("audit", at(1, 9))
    history.decide(audit, at(1, 9.5), user="admin")
    history.route("auto", at(1, 11))
    history.route("low", at(0, 0.01))
    rollups_refresh()


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("path", ENDPOINTS)
def test_metrics_endpoints_are_for_admins_only(client_as: Callable[[str], APIClient], some_history: None,
                                               role: str, path: str) -> None:
    response = client_as(role).get(path + "?days=7")
    assert response.status_code == ADMIN_ONLY[role], (role, path, response.content[:200])
    if response.status_code == 200:
        assert response.json()["filters"]["from"] and isinstance(response.json()["rows"], list)


PAGE = {"anonymous": 302, "annotator": 200, "reviewer": 200, "admin": 200}
HEADING = {"annotator": "My numbers", "reviewer": "My numbers", "admin": "Review rate per 1,000 visits"}


@pytest.mark.parametrize("role", ["anonymous", "annotator", "reviewer", "admin", "no_role"])
def test_dashboard_page_per_role(users: dict[str, Any], make_user: Callable[..., Any], some_history: None,
                                 role: str) -> None:
    client = Client()
    if role == "no_role":
        client.force_login(make_user("nobody", None))
        assert client.get("/dashboard/").status_code == 403
        return
    if role != "anonymous":
        client.force_login(users[role])
    response = client.get("/dashboard/?days=7")
    assert response.status_code == PAGE[role]
    if role == "anonymous":
        assert response["Location"].startswith("/accounts/login/")
        return
    body = response.content.decode()
    assert HEADING[role] in body
    # Only admins get the store-wide series; a reviewer sees their own decisions only.
    assert ('id="dash-data"' in body) == (role == "admin")
    if role == "reviewer":
        assert 'id="my-tasks">1<' in body


def test_the_store_key_cannot_open_the_page(store_key: str) -> None:
    response = Client().get("/dashboard/", HTTP_AUTHORIZATION=f"Bearer {store_key}")
    assert response.status_code == 302


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("role", "accepted"), [("anonymous", False), ("annotator", False), ("reviewer", False),
                                                ("admin", True)])
def test_socket_role_matrix(aim3s: Any, users: dict[str, Any], role: str, accepted: bool) -> None:
    async def run() -> tuple[bool, Any]:
        communicator = WebsocketCommunicator(DashboardConsumer.as_asgi(), "/ws/dashboard/?store=aim3s")
        communicator.scope["user"] = users[role] if role != "anonymous" else AnonymousUser()
        connected, code = await communicator.connect()
        first = await communicator.receive_json_from(timeout=5) if connected else None
        await communicator.disconnect()
        return connected, code if not connected else first

    connected, detail = async_to_sync(run)()
    assert connected is accepted
    if accepted:
        assert detail["type"] == "live" and detail["store"] == "aim3s" and "decided_today" in detail
    else:
        assert detail == FORBIDDEN_CLOSE_CODE


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


@pytest.mark.parametrize("path", ENDPOINTS)
def test_csv_has_exactly_the_json_rows(client_as: Callable[[str], APIClient], some_history: None, path: str) -> None:
    client = client_as("admin")
    # Past days only: today's live ages move between the two requests.
    query = f"?from={day(5).isoformat()}&to={day(1).isoformat()}"
    rows = client.get(path + query).json()["rows"]
    response = client.get(path + query + "&format=csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment; filename=")
    parsed = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert rows, "the scenario gives every series at least one row"
    assert parsed == [{k: _cell(v) for k, v in row.items()} for row in rows]


def test_review_rate_json_counts_the_days_and_marks_nothing_without_promotions(
    client_as: Callable[[str], APIClient], some_history: None
) -> None:
    body = client_as("admin").get("/api/v1/metrics/review-rate/?days=3&store=aim3s").json()
    assert [r["visits"] for r in body["rows"]] == [1, 2, 1]
    assert [r["reviews"] for r in body["rows"]] == [1, 1, 1]
    assert body["rows"][1]["per_1000"] == 500.0 and body["filters"]["store"] == "aim3s"


def test_a_bad_filter_is_a_400_naming_the_parameter(client_as: Callable[[str], APIClient]) -> None:
    response = client_as("admin").get("/api/v1/metrics/queue/?store=nowhere&from=yesterday")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"store", "from"}


def test_the_openapi_schema_lists_every_metrics_endpoint(client_as: Callable[[str], APIClient]) -> None:
    schema = client_as("admin").get("/api/schema/", HTTP_ACCEPT="application/json").json()
    for path in ENDPOINTS:
        assert path in schema["paths"], path
        params = {p["name"] for p in schema["paths"][path]["get"]["parameters"]}
        assert {"store", "from", "to", "days", "model", "format"} <= params
    assert "MetricsReviewRateRow" in schema["components"]["schemas"]
