"""Fixtures every test area shares: the AIM3S store, one user per role, API clients.

Data is built through the real services (store_load_spec, store_key_create), not by
hand, so the tests exercise the same paths the product runs.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from rest_framework.test import APIClient

from jwo_review.accounts.roles import Role, ensure_role_groups
from jwo_review.accounts.services import store_key_create
from jwo_review.store.aim3s import build_aim3s_spec
from jwo_review.store.models import Store
from jwo_review.store.services.layout import store_load_spec

ROLES = ["anonymous", "annotator", "reviewer", "admin", "store_key"]


def pytest_configure(config: pytest.Config) -> None:
    # Tests must run on the real services; a silent SQLite fallback would hide locking bugs.
    from django.conf import settings

    if os.environ.get("JWO_ALLOW_SQLITE_TESTS") != "1":
        engine = settings.DATABASES["default"]["ENGINE"]
        assert engine.endswith("postgresql"), (
            "Tests run on PostgreSQL: set DATABASE_URL=postgres://... (make test does)."
        )


@pytest.fixture(autouse=True)
def _established_store_routing(settings: Any) -> None:
    # A new store's strict start (stricter threshold, more audits) is the flywheel's to
    # test (tests/flywheel); elsewhere a store routes at its model's own threshold and the
    # policy's audit rate, as the tests of routing, review and the dashboard expect.
    settings.JWO_NEW_STORE_STRICTNESS = 1.0
    settings.JWO_NEW_STORE_AUDIT_RATE = 0.0


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    # Load the AIM3S store once per session; each test's transaction rolls back over it.
    with django_db_blocker.unblock():
        store_load_spec(build_aim3s_spec()[0])
    yield
    # Sessions opened by helper threads (Channels' sync_to_async executors, live servers)
    # outlive their tests and would stop the test database from being dropped.
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.fixture
def aim3s(db: None) -> Store:
    """The AIM3S store (loaded again after a transactional test has flushed the tables)."""
    store = Store.objects.filter(code="aim3s").first()
    return store if store is not None else store_load_spec(build_aim3s_spec()[0])


@pytest.fixture
def make_user(db: None) -> Callable[..., Any]:
    groups = ensure_role_groups()

    def make(username: str, role: Role | None) -> Any:
        user = get_user_model().objects.create_user(username=username, password="pw-for-tests-1")
        if role is not None:
            user.groups.add(groups[role])
            if role == Role.ADMIN:
                user.is_staff = True
                user.save()
        return user

    return make


@pytest.fixture
def users(make_user: Callable[..., Any]) -> dict[str, Any]:
    return {role.value: make_user(f"{role.value}-user", role) for role in Role}


@pytest.fixture
def store_key(aim3s: Store) -> str:
    _, raw = store_key_create(store=aim3s, name="tests")
    return raw


@pytest.fixture
def client_as(users: dict[str, Any], store_key: str) -> Callable[[str], APIClient]:
    """An API client acting as one of ROLES."""

    def make(role: str) -> APIClient:
        client = APIClient()
        if role == "store_key":
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {store_key}")
        elif role != "anonymous":
            client.force_authenticate(users[role])
        return client

    return make


@pytest.fixture
def other_store_client(aim3s: Store) -> APIClient:
    """An API client with the key of a second, empty store."""
    other = store_load_spec(
        {
            "code": "other",
            "name": "Other",
            "width_m": 4,
            "depth_m": 4,
            "fixtures": [],
            "cameras": [],
            "products": [],
            "facings": [],
        }
    )
    _, raw = store_key_create(store=other)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client
