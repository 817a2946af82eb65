"""Writes of accounts: store keys and role changes, each audited."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from jwo_review.accounts.models import StoreApiKey, hash_key
from jwo_review.store.models import Store
from jwo_review.store.services.audit import audit_record


def _key_snapshot(key: StoreApiKey) -> dict[str, Any]:
    return {
        "store": key.store.code,
        "name": key.name,
        "prefix": key.prefix,
        "revoked_at": key.revoked_at.isoformat() if key.revoked_at else None,
    }


@transaction.atomic
def store_key_create(
    *, store: Store, name: str = "", actor: Any = None, actor_label: str = ""
) -> tuple[StoreApiKey, str]:
    """Make a key for ``store``; returns the row and the raw key, which is never stored."""
    raw = StoreApiKey.generate()
    key = StoreApiKey.objects.create(
        store=store, name=name, prefix=raw[4 : 4 + StoreApiKey.PREFIX_LENGTH], key_hash=hash_key(raw)
    )
    audit_record(action="store_key_created", actor=actor, actor_label=actor_label, target=key, after=_key_snapshot(key))
    return key, raw


@transaction.atomic
def store_key_revoke(*, key: StoreApiKey, actor: Any = None, actor_label: str = "") -> StoreApiKey:
    """Revoke ``key``: the next request made with it is refused (keys are looked up on
    every request, never cached). Revoking a revoked key changes nothing."""
    key = StoreApiKey.objects.select_for_update().select_related("store").get(pk=key.pk)
    if key.revoked_at is not None:
        return key
    before = _key_snapshot(key)
    key.revoked_at = timezone.now()
    key.save(update_fields=["revoked_at"])
    audit_record(
        action="store_key_revoked",
        actor=actor,
        actor_label=actor_label,
        target=key,
        before=before,
        after=_key_snapshot(key),
    )
    return key


def user_access(user: Any) -> dict[str, Any]:
    """What a user may do, as an audit entry shows it: groups and admin flags."""
    return {
        "groups": sorted(user.groups.values_list("name", flat=True)),
        "is_staff": bool(user.is_staff),
        "is_superuser": bool(user.is_superuser),
        "is_active": bool(user.is_active),
    }


@transaction.atomic
def user_access_changed(*, user: Any, before: dict[str, Any] | None, actor: Any = None, actor_label: str = "") -> bool:
    """Audit a change of a user's roles (group membership) or admin flags, given what
    ``user_access`` said before it; returns whether anything changed."""
    after = user_access(user)
    if before == after:
        return False
    audit_record(
        action="user_access_changed", actor=actor, actor_label=actor_label, target=user, before=before, after=after
    )
    return True
