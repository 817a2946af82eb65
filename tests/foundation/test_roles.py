"""Who may do what: every endpoint of the foundation for every role."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from jwo_review.store.models import Visit
from jwo_review.store.services.ingest import visits_ingest
from tests.conftest import ROLES
from tests.factories import visit_payload

# endpoint -> the status each role gets
MATRIX: dict[tuple[str, str], dict[str, int]] = {
    ("post", "/api/v1/visits/"): {"anonymous": 401, "annotator": 403, "reviewer": 403, "admin": 403, "store_key": 201},
    ("get", "/api/v1/visits/"): {"anonymous": 401, "annotator": 403, "reviewer": 200, "admin": 200, "store_key": 200},
    ("get", "/api/v1/visits/{visit}/"): {
        "anonymous": 401,
        "annotator": 403,
        "reviewer": 200,
        "admin": 200,
        "store_key": 200,
    },
    ("get", "/api/v1/receipts/"): {"anonymous": 401, "annotator": 403, "reviewer": 200, "admin": 200, "store_key": 200},
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path"), list(MATRIX))
def test_api_role_matrix(client_as: Callable[[str], APIClient], role: str, method: str, path: str) -> None:
    visit_id = visits_ingest(payloads=[visit_payload()])[0].id
    client = client_as(role)
    url = path.format(visit=visit_id)
    response = client.post(url, visit_payload(), format="json") if method == "post" else client.get(url)
    assert response.status_code == MATRIX[(method, path)][role], (role, url, response.content[:300])


def test_a_store_key_sees_only_its_own_stores_visits(other_store_client: APIClient) -> None:
    visit_id = visits_ingest(payloads=[visit_payload()])[0].id
    client = other_store_client
    assert client.get("/api/v1/visits/").json()["results"] == []
    assert client.get(f"/api/v1/visits/{visit_id}/").status_code == 404


def test_a_wrong_key_is_refused(aim3s: Any) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer jwo_not-a-real-key")
    assert client.get("/api/v1/visits/").status_code == 401


def test_a_revoked_key_is_refused(client_as: Callable[[str], APIClient]) -> None:
    from django.utils import timezone

    from jwo_review.accounts.models import StoreApiKey

    StoreApiKey.objects.update(revoked_at=timezone.now())
    assert client_as("store_key").get("/api/v1/visits/").status_code == 401


PAGES: dict[str, dict[str, int]] = {
    "/": {"anonymous": 302, "annotator": 200, "reviewer": 200, "admin": 200},
    "/accounts/login/": {"anonymous": 200, "annotator": 302, "reviewer": 302, "admin": 302},
    "/admin/": {"anonymous": 302, "annotator": 302, "reviewer": 302, "admin": 200},
    "/api/docs/": {"anonymous": 200, "annotator": 200, "reviewer": 200, "admin": 200},
    "/api/schema/": {"anonymous": 200, "annotator": 200, "reviewer": 200, "admin": 200},
    "/favicon.ico": {"anonymous": 302, "annotator": 302, "reviewer": 302, "admin": 302},
}


@pytest.mark.parametrize("role", ["anonymous", "annotator", "reviewer", "admin"])
@pytest.mark.parametrize("path", list(PAGES))
def test_page_role_matrix(users: dict[str, Any], role: str, path: str) -> None:
    client = Client()
    if role != "anonymous":
        client.force_login(users[role])
    assert client.get(path).status_code == PAGES[path][role]


@pytest.mark.parametrize("role", ["anonymous", "annotator", "reviewer", "admin"])
def test_media_is_served_only_to_staff_roles(users: dict[str, Any], role: str, settings: Any, tmp_path: Any) -> None:
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    settings.MEDIA_ROOT = str(tmp_path)
    name = default_storage.save("catalogue/test.webm", ContentFile(b"0123456789"))
    client = Client()
    if role != "anonymous":
        client.force_login(users[role])
    response = client.get(f"/media/{name}", HTTP_RANGE="bytes=2-5")
    expected = {"anonymous": 302, "annotator": 206, "reviewer": 206, "admin": 206}[role]
    assert response.status_code == expected
    if expected == 206:
        assert response.content == b"2345" and response["Content-Range"] == "bytes 2-5/10"


def test_list_filters_reject_bad_values(client_as: Callable[[str], APIClient]) -> None:
    response = client_as("reviewer").get("/api/v1/visits/?status=flying")
    assert response.status_code == 400 and "status" in response.json()["errors"]


def test_list_filters_and_cursor_pagination(client_as: Callable[[str], APIClient]) -> None:
    visits_ingest(payloads=[visit_payload() for _ in range(5)])
    client = client_as("reviewer")
    page = client.get("/api/v1/visits/?page_size=2&status=received").json()
    assert len(page["results"]) == 2 and page["next"]
    rest = client.get(page["next"]).json()
    assert len(rest["results"]) == 2
    assert not {v["id"] for v in page["results"]} & {v["id"] for v in rest["results"]}
    assert Visit.objects.count() == 5


def test_every_page_has_the_products_icon() -> None:
    from django.contrib.staticfiles import finders

    answer = Client().get("/favicon.ico")
    assert answer["Location"] == "/static/favicon.svg"
    assert finders.find("favicon.svg")
    assert 'rel="icon" href="/static/favicon.svg"' in Client().get("/accounts/login/").content.decode()
