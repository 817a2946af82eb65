"""Every change leaves one append-only audit entry (who, what, before, after), written
through the one audit service: routing-policy edits (threshold target included), model
promotions and rollbacks (with the threshold before and after), role changes, store-key
creation and revocation, disputes."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from rest_framework.test import APIClient

from inference.models import ModelVersion
from inference.services import model_promote
from jwo_review.accounts.models import StoreApiKey
from jwo_review.accounts.roles import Role
from jwo_review.accounts.services import store_key_create
from jwo_review.store.models import AuditLogEntry, Store
from jwo_review.store.services.audit import audit_record

POLICY = {
    "target_accuracy": 0.99,
    "audit_rate": 0.05,
    "max_basket_value": "120.00",
    "max_basket_items": 25,
    "sla_minutes": {"low_confidence": 45, "audit": 480, "rule": 60, "dispute": 20},
}


def _only(action: str) -> AuditLogEntry:
    entries = list(AuditLogEntry.objects.filter(action=action))
    assert len(entries) == 1, f"{len(entries)} {action!r} entries"
    return entries[0]


def test_a_policy_edit_is_audited_with_before_and_after(client_as: Callable[[str], APIClient], users: Any) -> None:
    client = client_as("admin")
    first = client.put("/api/v1/queue/policies/default/", {**POLICY, "target_accuracy": 0.995}, format="json")
    assert first.status_code == 200
    assert client.put("/api/v1/queue/policies/default/", POLICY, format="json").status_code == 200
    entries = list(AuditLogEntry.objects.filter(action="policy_updated").order_by("id"))
    last = entries[-1]
    assert last.actor == users["admin"] and last.target.startswith("routingpolicy:")
    assert last.before["target_accuracy"] == 0.995 and last.after["target_accuracy"] == 0.99
    assert last.after["sla_minutes"]["dispute"] == 20 and last.visit is None


def test_saving_a_policy_unchanged_adds_no_entry(client_as: Callable[[str], APIClient]) -> None:
    client = client_as("admin")
    client.put("/api/v1/queue/policies/aim3s/", POLICY, format="json")
    count = AuditLogEntry.objects.filter(action="policy_updated").count()
    client.put("/api/v1/queue/policies/aim3s/", POLICY, format="json")
    assert AuditLogEntry.objects.filter(action="policy_updated").count() == count


def test_a_refused_policy_edit_is_not_audited(client_as: Callable[[str], APIClient]) -> None:
    response = client_as("admin").put("/api/v1/queue/policies/default/", {**POLICY, "audit_rate": 3}, format="json")
    assert response.status_code == 400
    assert not AuditLogEntry.objects.filter(action="policy_updated").exists()


def test_promotion_and_rollback_are_audited_with_the_threshold(
    register: Callable[..., ModelVersion], client_as: Callable[[str], APIClient], users: Any
) -> None:
    first, second = register("audit-a"), register("audit-b")
    ModelVersion.objects.filter(pk=second.pk).update(threshold=0.97)
    client = client_as("admin")
    assert client.post(f"/api/v1/models/{first.pk}/promote/").status_code == 200
    assert client.post(f"/api/v1/models/{second.pk}/promote/").status_code == 200
    promoted = list(AuditLogEntry.objects.filter(action="model_promoted").order_by("id"))
    assert [e.after["active"] for e in promoted] == ["audit-a", "audit-b"]
    assert promoted[0].before is None
    assert promoted[1].before == {"active": "audit-a", "threshold": first.threshold, "target_accuracy": 0.9}
    assert promoted[1].after["threshold"] == 0.97 and promoted[1].actor == users["admin"]
    assert promoted[1].target == f"modelversion:{second.pk}"

    assert client.post("/api/v1/models/rollback/").status_code == 200
    rollback = _only("model_rolled_back")
    assert rollback.before["active"] == "audit-b" and rollback.after["active"] == "audit-a"
    assert rollback.actor == users["admin"]


def test_promoting_the_active_version_again_adds_no_entry(register: Callable[..., ModelVersion]) -> None:
    version = register()
    model_promote(model_version=version)
    model_promote(model_version=version)
    assert _only("model_promoted").actor_label == "system"


def test_a_role_change_in_the_admin_is_audited(users: dict[str, Any]) -> None:
    admin = Client()
    admin.force_login(users["admin"])
    target = users["annotator"]
    form = {
        "username": target.username,
        "is_active": "on",
        "groups": [Group.objects.get(name=Role.REVIEWER).pk],
        "date_joined_0": "2026-11-01",
        "date_joined_1": "10:00:00",
        "initial-date_joined_0": "2026-11-01",
        "initial-date_joined_1": "10:00:00",
    }
    response = admin.post(f"/admin/auth/user/{target.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[-2000:]
    entry = _only("user_access_changed")
    assert entry.actor == users["admin"] and entry.target == f"user:{target.pk}"
    assert entry.before["groups"] == ["annotator"] and entry.after["groups"] == ["reviewer"]


def test_demo_users_made_again_change_nothing_and_add_no_entry(db: None) -> None:
    call_command("create_demo_users", stdout=io.StringIO())
    count = AuditLogEntry.objects.filter(action="user_access_changed").count()
    call_command("create_demo_users", stdout=io.StringIO())
    assert AuditLogEntry.objects.filter(action="user_access_changed").count() == count


def test_store_key_creation_is_audited_without_the_key(aim3s: Store) -> None:
    out = io.StringIO()
    call_command("create_store_key", store="aim3s", name="door", stdout=out, stderr=io.StringIO())
    raw = out.getvalue().strip()
    entry = _only("store_key_created")
    key = StoreApiKey.objects.get(name="door")
    assert entry.actor_label == "manage.py create_store_key" and entry.target == f"storeapikey:{key.pk}"
    assert entry.after == {"store": "aim3s", "name": "door", "prefix": key.prefix, "revoked_at": None}
    assert raw not in str(entry.after) and key.key_hash not in str(entry.after)


def test_revoking_a_key_in_the_admin_is_audited_and_stops_it_at_once(aim3s: Store, users: dict[str, Any]) -> None:
    key, raw = store_key_create(store=aim3s, name="till")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.get("/api/v1/visits/").status_code == 200
    admin = Client()
    admin.force_login(users["admin"])
    response = admin.post(
        "/admin/accounts/storeapikey/", {"action": "revoke", "_selected_action": [key.pk]}, follow=True
    )
    assert response.status_code == 200 and b"1 key(s) revoked" in response.content
    entry = _only("store_key_revoked")
    assert entry.actor == users["admin"] and entry.before["revoked_at"] is None and entry.after["revoked_at"]
    denied = api.get("/api/v1/visits/")
    assert denied.status_code == 401 and "revoked" in denied.json()["detail"]


def test_the_admin_cannot_un_revoke_a_key_by_editing_it(aim3s: Store, users: dict[str, Any]) -> None:
    from jwo_review.accounts.admin import StoreApiKeyAdmin

    assert "revoked_at" in StoreApiKeyAdmin.readonly_fields


def test_visit_dispute_goes_through_the_audit_service(monkeypatch: pytest.MonkeyPatch) -> None:
    import low_confidence_queue.services.decisions as decisions

    assert decisions.audit_record is audit_record
    assert "AuditLogEntry" not in vars(decisions)


@pytest.mark.django_db(transaction=True)
def test_audit_entries_for_non_visit_changes_are_append_only_in_the_database(aim3s: Store) -> None:
    key, _ = store_key_create(store=aim3s)
    entry = AuditLogEntry.objects.get(action="store_key_created")
    with pytest.raises(ValueError, match="append-only"):
        entry.save()
    with pytest.raises(Exception, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE store_auditlogentry SET action = 'x' WHERE id = %s", [entry.pk])
    assert AuditLogEntry.objects.get(pk=entry.pk).action == "store_key_created"
    assert key.pk
