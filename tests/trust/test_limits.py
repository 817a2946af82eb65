"""Limits: store keys are throttled (429 with Retry-After), bodies above the limit get
413 with a JSON body, and a revoked key stops working on its next request."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from jwo_review.accounts.models import StoreApiKey
from jwo_review.accounts.services import store_key_create, store_key_revoke
from jwo_review.store.models import Store, Visit
from tests.factories import visit_payload

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def fresh_key(aim3s: Store) -> Callable[[], APIClient]:
    def make() -> APIClient:
        _, raw = store_key_create(store=aim3s)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        return client

    return make


def test_a_store_key_past_its_rate_gets_429_with_retry_after(settings: Any, fresh_key: Callable[[], APIClient]) -> None:
    settings.JWO_STORE_KEY_RATE = "3/min"
    client = fresh_key()
    assert [client.get("/api/v1/visits/").status_code for _ in range(3)] == [200, 200, 200]
    response = client.get("/api/v1/visits/")
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    assert "throttled" in response.json()["detail"]
    # Each key has its own budget.
    assert fresh_key().get("/api/v1/visits/").status_code == 200


def test_people_are_not_throttled_by_the_store_key_rate(settings: Any, client_as: Callable[[str], APIClient]) -> None:
    settings.JWO_STORE_KEY_RATE = "1/min"
    client = client_as("reviewer")
    assert {client.get("/api/v1/visits/").status_code for _ in range(3)} == {200}


def test_a_dead_cache_lets_store_keys_through(settings: Any, fresh_key: Callable[[], APIClient]) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6390/0",
            "OPTIONS": {"socket_connect_timeout": 0.2},
        }
    }
    assert fresh_key().get("/api/v1/visits/").status_code == 200
    cache.close()


def test_a_body_above_the_limit_gets_413_with_a_json_reason(settings: Any, fresh_key: Callable[[], APIClient]) -> None:
    settings.JWO_MAX_REQUEST_BYTES = 2048
    payload = visit_payload(visit_code="X" * 4000)
    response = fresh_key().post("/api/v1/visits/", payload, format="json")
    assert response.status_code == 413
    body = response.json()
    assert "limit is 2048" in body["detail"]
    assert not Visit.objects.exists()


def test_a_body_within_the_limit_is_served(settings: Any, fresh_key: Callable[[], APIClient]) -> None:
    settings.JWO_VISITS_INGESTED_HOOKS = []
    settings.JWO_MAX_REQUEST_BYTES = 64 * 1024
    assert fresh_key().post("/api/v1/visits/", visit_payload(), format="json").status_code == 201


def test_a_revoked_key_stops_working_at_once(aim3s: Store) -> None:
    key, raw = store_key_create(store=aim3s)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/api/v1/visits/").status_code == 200
    store_key_revoke(key=key, actor_label="tests")
    response = client.get("/api/v1/visits/")
    assert response.status_code == 401 and "revoked" in response.json()["detail"]
    assert StoreApiKey.objects.get(pk=key.pk).revoked_at <= timezone.now()


def test_a_bad_rate_setting_stops_the_process() -> None:
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env={"DJANGO_SETTINGS_MODULE": "jwo_review.settings", "JWO_STORE_KEY_RATE": "lots", "PATH": "/usr/bin"},
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0 and "JWO_STORE_KEY_RATE" in result.stderr


def test_the_413_body_is_json(settings: Any, client_as: Callable[[str], APIClient]) -> None:
    settings.JWO_MAX_REQUEST_BYTES = 1024
    response = client_as("admin").put(
        "/api/v1/queue/policies/default/", json.dumps({"x": "y" * 2000}), content_type="application/json"
    )
    assert response.status_code == 413 and response["Content-Type"] == "application/json"
