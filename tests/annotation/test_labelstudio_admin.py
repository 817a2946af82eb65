"""What admins see of Label Studio connections (the API, the Django admin, the command),
and who may see it: every endpoint and page for every role; the token never leaves."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from rest_framework.test import APIClient

from annotation.labelstudio.models import Connection, SyncRun, SyncStatus
from annotation.labelstudio.services import connection_create
from tests.conftest import ROLES

TOKEN = "tok-" + "7" * 36


@pytest.fixture
def connection(aim3s: Any) -> Connection:
    conn = connection_create(name="acme", url="http://127.0.0.1:9", token=TOKEN, public_url="http://jwo:8000",
                             store_codes=["aim3s"], check=False)
    SyncRun.objects.create(connection=conn, status=SyncStatus.PARTIAL, counts={"tasks_created": 3},
                           errors=[{"where": "annotation 7", "message": "Unknown product 'X'."}])
    return conn


LIST = {"anonymous": 401, "reviewer": 403, "annotator": 403, "store_key": 403, "admin": 200}
SYNC = {**LIST, "admin": 202}


@pytest.mark.parametrize("role", ROLES)
def test_only_admins_list_connections_and_the_token_is_never_returned(
    client_as: Callable[[str], APIClient], connection: Connection, role: str
) -> None:
    response = client_as(role).get("/api/v1/annotation/labelstudio/")
    assert response.status_code == LIST[role]
    assert TOKEN.encode() not in response.content and connection.token_encrypted.encode() not in response.content
    if role == "admin":
        (row,) = response.json()
        assert row["name"] == "acme" and row["stores"] == ["aim3s"]
        assert row["last_sync"]["status"] == "partial" and row["last_sync"]["counts"] == {"tasks_created": 3}
        assert row["last_sync"]["errors"][0]["message"] == "Unknown product 'X'."


@pytest.mark.parametrize("role", ROLES)
def test_only_admins_start_a_sync(client_as: Callable[[str], APIClient], connection: Connection, role: str) -> None:
    response = client_as(role).post(f"/api/v1/annotation/labelstudio/{connection.pk}/sync/")
    assert response.status_code == SYNC[role], response.content[:200]


def test_syncing_an_unknown_connection_is_a_404(client_as: Callable[[str], APIClient], connection: Connection) -> None:
    response = client_as("admin").post(f"/api/v1/annotation/labelstudio/{connection.pk + 99}/sync/")
    assert response.status_code == 404 and "No such Label Studio connection" in response.json()["detail"]


@pytest.mark.parametrize(("role", "code"), [("admin", 200), ("reviewer", 302), ("annotator", 302)])
def test_the_admin_lists_each_connections_last_sync_with_counts_and_errors(
    users: dict[str, Any], connection: Connection, role: str, code: int
) -> None:
    client = Client()
    client.force_login(users[role])
    page = client.get("/admin/annotation/connection/")
    assert page.status_code == code
    if code == 200:
        assert b"partial" in page.content and b"tasks created 3" in page.content
        assert b"Unknown product" in page.content and TOKEN.encode() not in page.content
        change = client.get(f"/admin/annotation/connection/{connection.pk}/change/")
        assert change.status_code == 200 and TOKEN.encode() not in change.content


def test_the_connection_runs_as_a_service_account_that_cannot_sign_in(connection: Connection) -> None:
    service = connection.service_user
    assert not service.has_usable_password() and service.username == "labelstudio-acme"
    assert Connection.objects.get(pk=connection.pk).token == TOKEN


def test_the_command_reports_an_unreachable_server_and_fails(connection: Connection, capsys: Any) -> None:
    with pytest.raises(CommandError, match="A sync failed"):
        call_command("labelstudio_sync", "--connection", "acme", "--json")
    out = capsys.readouterr().out
    assert '"status": "failed"' in out and "did not answer" in out and TOKEN not in out


def test_the_command_names_the_connections_when_one_is_unknown(connection: Connection) -> None:
    with pytest.raises(CommandError, match="No Label Studio connection named 'nope'.*acme"):
        call_command("labelstudio_sync", "--connection", "nope")


def test_connect_asks_for_the_token_in_the_environment(aim3s: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LABEL_STUDIO_TOKEN", raising=False)
    with pytest.raises(CommandError, match="Set LABEL_STUDIO_TOKEN"):
        call_command("labelstudio_connect", "--name", "x", "--url", "http://127.0.0.1:9",
                     "--public-url", "http://jwo:8000", "--store", "aim3s")


def test_an_invalid_connection_names_each_field_and_saves_nothing(aim3s: Any) -> None:
    from jwo_review.errors import InvalidInput

    with pytest.raises(InvalidInput) as err:
        connection_create(name="bad name!", url="ftp://x", token="", public_url="nope", store_codes=["zz"],
                          sources=["weird"], check=False)
    assert set(err.value.fields) == {"name", "url", "public_url", "token", "stores", "sources"}
    assert not Connection.objects.exists()
