"""Fuzzing through the OpenAPI schema: every operation, as every role (anonymous,
annotator, reviewer, admin, store key), with Schemathesis-generated requests that fit
the schema and requests that do not. No answer may be a server error, and every 4xx
answer is JSON that names the problem (``detail`` or field ``errors``).

``JWO_FUZZ_EXAMPLES`` (default 12) bounds the requests per operation and role, so the
run stays within about two minutes of ``make test``. The per-endpoint counts are
printed at the end of the session.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from typing import Any
from urllib.parse import urlencode

import pytest
import schemathesis
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from inference.models import ModelVersion, Prediction
from jwo_review.store.models import Visit
from jwo_review.store.services.ingest import visits_ingest
from jwo_review.store.services.receipts import LineSpec, receipt_issue
from low_confidence_queue.models import ReviewTask, RoutingPolicy
from low_confidence_queue.services.routing import visit_route
from tests.conftest import ROLES
from tests.factories import visit_payload

EXAMPLES = int(os.environ.get("JWO_FUZZ_EXAMPLES", "12"))
SCHEMA = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
OPERATIONS = {op.label: op for op in (r.ok() for r in SCHEMA.get_all_operations())}
# (operation, role) -> requests sent, and answers by status class; read by conftest's summary.
SENT: Counter[tuple[str, str]] = Counter()
STATUSES: Counter[str] = Counter()
SERVER_ERRORS: list[str] = []


@pytest.fixture
def world(aim3s: Any, register: Any, settings: Any) -> dict[str, Any]:
    """A store with a visit, a receipt, a review task and a model version, whose ids
    the fuzzer uses for half of its path parameters (random ids mostly find nothing)."""
    settings.JWO_VISITS_INGESTED_HOOKS = []
    settings.JWO_QUEUE_NOTIFY_WINDOW_S = 0
    settings.JWO_STORE_KEY_RATE = "100000/min"
    settings.DEBUG = False  # production's error pages, not the debug ones
    settings.JWO_CLIP_RENDER_TASK = "tests.queue.render.render_clip"
    RoutingPolicy.objects.update_or_create(store=None, defaults={"audit_rate": 0.0})
    version = register()
    ids = [r.id for r in visits_ingest(payloads=[visit_payload() for _ in range(2)], source="test")]
    receipt = receipt_issue(visit=Visit.objects.get(pk=ids[0]), lines=[LineSpec("AIM3S-002", 1, 1)], source="model")
    Prediction.objects.create(visit_id=ids[1], model_version=version, confidence=0.1, lines=[])
    ModelVersion.objects.filter(pk=version.pk).update(status="active")
    visit_route(visit_id=ids[1])
    task = ReviewTask.objects.get(visit_id=ids[1])
    return {
        "id": [ids[0], receipt.pk, version.pk],
        "task_id": [task.pk],
        "scope": ["default", "aim3s"],
    }


def _client(role: str, users: dict[str, Any], store_key: str) -> tuple[Client, dict[str, str]]:
    client = Client()
    headers: dict[str, str] = {}
    if role == "store_key":
        headers["Authorization"] = f"Bearer {store_key}"
    elif role != "anonymous":
        client.force_login(users[role])
    return client, headers


def _send(client: Client, case: Any, auth: dict[str, str]) -> Any:
    headers = {k: str(v) for k, v in (case.headers or {}).items() if k.lower() not in {"authorization", "cookie"}}
    headers.update(auth)
    path = case.formatted_path
    if case.query:
        path += "?" + urlencode(case.query, doseq=True)
    method = case.method.lower()
    kwargs: dict[str, Any] = {"headers": headers}
    body = case.body
    if body is not schemathesis.core.NOT_SET:
        media = case.media_type or "application/json"
        if isinstance(body, bytes):
            kwargs["data"], kwargs["content_type"] = body, media
        elif "json" in media:
            kwargs["data"], kwargs["content_type"] = json.dumps(body, default=str), media
        elif media == "application/x-www-form-urlencoded":
            data = urlencode(body, doseq=True) if isinstance(body, dict) else str(body)
            kwargs["data"], kwargs["content_type"] = data, media
        elif media.startswith("multipart/") and isinstance(body, dict):
            kwargs["data"] = {k: _form_value(v) for k, v in body.items()}
        else:
            kwargs["data"], kwargs["content_type"] = body if isinstance(body, (bytes, str)) else str(body), media
    return getattr(client, method)(path, **kwargs)


def _form_value(value: Any) -> str:
    if value is None:
        return ""
    return json.dumps(value) if isinstance(value, (dict, list)) else str(value)


def _names_the_problem(response: Any) -> bool:
    try:
        body = json.loads(response.content or b"null")
    except ValueError:
        return False
    if not isinstance(body, dict):
        return False
    detail, errors = body.get("detail"), body.get("errors")
    return bool(isinstance(detail, str) and detail.strip()) or bool(errors)


@pytest.mark.fuzz
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_fuzz_no_server_errors_and_every_4xx_names_its_problem(
    label: str, role: str, world: dict[str, Any], users: dict[str, Any], store_key: str
) -> None:
    operation = OPERATIONS[label]
    client, auth = _client(role, users, store_key)
    cases = st.one_of(
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases, real=st.booleans())
    def run(case: Any, real: bool) -> None:
        if real:
            for name in case.path_parameters or {}:
                if name in world:
                    case.path_parameters[name] = world[name][hash(str(case.body)) % len(world[name])]
        response = _send(client, case, auth)
        SENT[(label, role)] += 1
        STATUSES[f"{response.status_code // 100}xx"] += 1
        what = f"{case.method} {case.formatted_path} as {role} -> {response.status_code}"
        if response.status_code >= 500:
            SERVER_ERRORS.append(what)
        assert response.status_code < 500, f"{what}: {response.content[:500]!r}"
        if 400 <= response.status_code < 500:
            assert _names_the_problem(response), f"{what} without a reason: {response.content[:300]!r}"

    run()


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/visits/99999999999999999999999/",
        "/api/v1/receipts/99999999999999999999999/",
        "/api/v1/models/99999999999999999999999/",
        "/api/v1/queue/tasks/99999999999999999999999/",
        "/api/v1/visits/1.5/",
    ],
)
def test_ids_beyond_the_database_range_are_404_not_500(path: str, users: dict[str, Any], settings: Any) -> None:
    settings.DEBUG = False
    client = Client(raise_request_exception=False)
    client.force_login(users["admin"])
    response = client.get(path)
    assert response.status_code == 404 and _names_the_problem(response)
