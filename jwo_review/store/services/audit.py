"""The one writer of the audit log: every change to a receipt, a policy, a model,
a role or a store key appends one entry here (who, what, before, after)."""

from __future__ import annotations

from typing import Any

from django.db import models, transaction

from jwo_review.store.models import AuditLogEntry, Receipt, Visit


def audit_target(obj: models.Model) -> str:
    """How an entry names a changed row: ``<model>:<pk>``, e.g. ``routingpolicy:3``."""
    return f"{obj._meta.model_name}:{obj.pk}"


def actor_of(actor: Any) -> tuple[Any, str]:
    """The user row to link (people only) and a label readable without it."""
    if getattr(actor, "is_store_client", False):
        key = getattr(actor, "key", None)
        store = getattr(getattr(key, "store", None), "code", "") if key is not None else ""
        return None, f"store system {store}".strip()
    if getattr(actor, "pk", None) and hasattr(actor, "get_username"):
        return actor, str(actor.get_username())
    return None, ""


@transaction.atomic
def audit_record(
    *,
    action: str,
    actor: Any = None,
    actor_label: str = "",
    target: models.Model | str | None = None,
    before: Any = None,
    after: Any = None,
    visit: Visit | None = None,
    receipt: Receipt | None = None,
    details: dict[str, Any] | None = None,
) -> AuditLogEntry:
    """Append one audit entry. Call inside the transaction of the change it records,
    so the entry and the change commit together or not at all.

    ``actor`` is a user, a store client or None (then ``actor_label`` says who, e.g.
    ``manage.py`` or ``model v3``). ``before`` and ``after`` are JSON values."""
    user, label = actor_of(actor)
    if not target and receipt is not None:
        target = receipt
    name = audit_target(target) if isinstance(target, models.Model) else (target or "")
    return AuditLogEntry.objects.create(
        visit=visit,
        receipt=receipt,
        action=action,
        actor=user,
        actor_label=(actor_label or label or "system")[:100],
        target=name[:100],
        before=before,
        after=after,
        details=details or {},
    )
