"""Claim-next under a lease: the one primitive the review queue and annotation share.

Both hand each unit of work (a review task, an annotation slot) to exactly one person
at a time. The claim is one UPDATE whose inner SELECT walks the claim-order index and
skips rows other claimers have locked (``FOR UPDATE SKIP LOCKED``), so concurrent
claimers never wait on each other and never get the same row; the outer UPDATE
re-checks that the row is still claimable, so a row claimed and committed meanwhile is
not taken twice. SQLite has one writer at a time, which gives the same guarantee.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.db import connection, models

M = TypeVar("M", bound=models.Model)


@dataclass(frozen=True)
class ClaimSpec:
    """How one kind of work is claimed.

    ``candidates`` is the FROM/WHERE/ORDER BY of the inner SELECT over the alias ``c``
    (it must select ``c.id``); ``%(user)s`` in it stands for the claimer's id. The
    claimed row gets ``status = 'claimed'``, the holder column, ``claimed_at``,
    ``lease_expires_at`` and ``claim_count + 1``.
    """

    model: type[models.Model]
    candidates: str
    returned: Sequence[str]
    holder_column: str = "claimed_by_id"
    lock_of: str = "c"


def _claim_sql(spec: ClaimSpec, vendor: str) -> str:
    table = spec.model._meta.db_table
    lock = f"FOR UPDATE OF {spec.lock_of} SKIP LOCKED" if vendor == "postgresql" else ""
    inner = spec.candidates.replace("%(user)s", "%s")
    return f"""
        UPDATE {table}
           SET status = 'claimed', {spec.holder_column} = %s, claimed_at = %s, lease_expires_at = %s,
               claim_count = claim_count + 1
         WHERE id = ({inner} LIMIT 1 {lock})
           AND status = 'pending'
        RETURNING {", ".join(spec.returned)}
    """


def claim_first(spec: ClaimSpec, *, user_id: int, now: datetime, lease_s: float) -> Any | None:
    """Claim the first candidate row for ``user_id`` under a lease of ``lease_s``
    seconds; the model instance (only ``spec.returned`` loaded) or None.

    Runs as its own short statement (autocommit outside a transaction), so the row
    lock lasts microseconds.
    """
    expires = now + timedelta(seconds=lease_s)
    params: list[Any] = [user_id, now, expires] + [user_id] * spec.candidates.count("%(user)s")
    with connection.cursor() as cursor:
        cursor.execute(_claim_sql(spec, connection.vendor), params)
        row = cursor.fetchone()
    if row is None:
        return None
    if connection.vendor != "postgresql":
        # SQLite's cursor hands back text for datetimes; let the ORM read the row.
        return spec.model._default_manager.get(pk=row[0])
    # A raw cursor skips the fields' own conversions (JSON text -> value); apply them.
    fields: dict[str, Any] = {f.attname: f for f in spec.model._meta.concrete_fields}
    values = [
        fields[name].from_db_value(value, None, connection) if hasattr(fields[name], "from_db_value") else value
        for name, value in zip(spec.returned, row)
    ]
    return spec.model.from_db(connection.alias, list(spec.returned), values)


def leases_expire_rows(model: type[models.Model], *, now: datetime, holder_field: str = "claimed_by") -> int:
    """Put every claimed row of ``model`` whose lease ran out back to pending; how many."""
    return model._default_manager.filter(status="claimed", lease_expires_at__lte=now).update(
        status="pending", **{holder_field: None}, claimed_at=None, lease_expires_at=None
    )
