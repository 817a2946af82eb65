"""Receipt versions, diffs and the append-only audit log."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction

from jwo_review.errors import InvalidInput
from jwo_review.store.models import AuditLogEntry, Receipt, Visit
from jwo_review.store.services.ingest import visits_ingest
from jwo_review.store.services.receipts import LineSpec, receipt_issue
from tests.factories import visit_payload


@pytest.fixture
def visit(aim3s: Any) -> Visit:
    return Visit.objects.get(pk=visits_ingest(payloads=[visit_payload()])[0].id)


def test_issuing_a_receipt_writes_a_version_and_an_audit_entry(visit: Visit) -> None:
    receipt = receipt_issue(
        visit=visit,
        lines=[LineSpec("AIM3S-002", 1, 1, 0.97)],
        source="model",
        actor_label="model v1",
        action="auto_issued",
    )
    assert receipt.version == 1 and receipt.is_final
    entry = AuditLogEntry.objects.get(receipt=receipt)
    assert entry.action == "auto_issued" and entry.details["diff"]["added"] == [{"line": "AIM3S-002@1", "quantity": 1}]


def test_a_correction_adds_a_version_with_the_diff(visit: Visit, users: dict[str, Any]) -> None:
    receipt_issue(visit=visit, lines=[LineSpec("AIM3S-002", 1, 1)], source="model")
    corrected = receipt_issue(
        visit=visit,
        lines=[LineSpec("AIM3S-002", 2, 1), LineSpec("AIM3S-001", 1, 1)],
        source="review",
        actor=users["reviewer"],
        action="corrected",
    )
    assert corrected.version == 2
    assert list(Receipt.objects.filter(visit=visit, is_final=True)) == [corrected]
    assert corrected.diff == {
        "added": [{"line": "AIM3S-001@1", "quantity": 1}],
        "removed": [],
        "changed": [{"line": "AIM3S-002@1", "from": 1, "to": 2}],
    }
    entries = AuditLogEntry.objects.filter(visit=visit).order_by("id")
    assert [e.action for e in entries] == ["issued", "corrected"]
    assert entries[1].actor == users["reviewer"]


@pytest.mark.parametrize(
    ("line", "field"),
    [
        (LineSpec("NOPE", 1, 1), "lines[0].sku"),
        (LineSpec("AIM3S-002", 0, 1), "lines[0].quantity"),
        (LineSpec("AIM3S-002", 1, 9), "lines[0].shopper_track_id"),
    ],
)
def test_invalid_lines_change_nothing(visit: Visit, line: LineSpec, field: str) -> None:
    with pytest.raises(InvalidInput) as info:
        receipt_issue(visit=visit, lines=[line], source="review")
    assert field in info.value.fields
    assert Receipt.objects.count() == 0 and AuditLogEntry.objects.count() == 0


def test_audit_entries_cannot_be_changed_or_deleted(visit: Visit) -> None:
    receipt_issue(visit=visit, lines=[LineSpec("AIM3S-002", 1, 1)], source="model")
    entry = AuditLogEntry.objects.get()
    entry.action = "forged"
    with pytest.raises(ValueError):
        entry.save()
    with pytest.raises(ValueError):
        entry.delete()


def test_the_database_refuses_to_rewrite_the_audit_log(visit: Visit) -> None:
    receipt_issue(visit=visit, lines=[LineSpec("AIM3S-002", 1, 1)], source="model")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE store_auditlogentry SET action = 'forged'")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditLogEntry.objects.all().delete()
    assert AuditLogEntry.objects.get().action == "issued"
