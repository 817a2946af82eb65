"""The visit lifecycle: the one owner of ``Visit.status``.

    received --scored--> scored --routed--> in_review --decided--> final
                                     \\----auto-issued----------> final --disputed--> disputed --decided--> final

Every status change goes through ``visits_advance``, which moves only visits whose
current status may lead to the new one, so a redelivered task or a second router
changes nothing. The stalled-visit sweep (``visits_claim_stalled``) finds visits that
stopped on the way (the broker was down at commit, a worker died, no model was active)
and leases them to one retry at a time. What runs at each step is named in
``jwo_review.pipeline``; this module does not import the apps that do the work.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.module_loading import import_string

from jwo_review.store.models import Visit, VisitStatus

log = logging.getLogger(__name__)

# Which statuses each status may be reached from.
_FROM: dict[str, tuple[str, ...]] = {
    VisitStatus.SCORED: (VisitStatus.RECEIVED,),
    VisitStatus.IN_REVIEW: (VisitStatus.RECEIVED, VisitStatus.SCORED),
    VisitStatus.FINAL: (VisitStatus.RECEIVED, VisitStatus.SCORED, VisitStatus.IN_REVIEW, VisitStatus.DISPUTED),
    VisitStatus.DISPUTED: (VisitStatus.FINAL,),
}


def visits_advance(*, visit_ids: Iterable[int], to: str) -> int:
    """Move the visits to status ``to`` where their lifecycle allows it; returns how
    many moved. Visits already there or past it keep their status (idempotent).

    Runs inside the caller's transaction: the status changes with the prediction,
    routing or receipt that justifies it, or not at all."""
    if to not in _FROM:
        raise ValueError(f"No visit moves to {to!r}.")
    ids = list(visit_ids)
    if not ids:
        return 0
    return Visit.objects.filter(pk__in=ids, status__in=_FROM[to]).update(status=to, pipeline_claimed_at=None)


def visits_stored(*, visit_ids: list[int]) -> None:
    """Newly stored visits: after commit, hand them to the next stage
    (``JWO_VISITS_INGESTED_HOOKS``). A failing hook (the broker is down) is logged and
    does not fail the request that stored them: the sweep queues them again."""
    if visit_ids:
        transaction.on_commit(lambda: _run("JWO_VISITS_INGESTED_HOOKS", visit_ids), robust=True)


def visits_scored(*, visit_ids: list[int]) -> None:
    """Newly scored visits: after commit, route them (``JWO_VISITS_SCORED_HOOKS``)."""
    if visit_ids:
        transaction.on_commit(lambda: _run("JWO_VISITS_SCORED_HOOKS", visit_ids), robust=True)


def _run(setting: str, visit_ids: list[int]) -> None:
    for path in getattr(settings, setting):
        hook: Callable[[list[int]], object] = import_string(path)
        hook(visit_ids)


@transaction.atomic
def visits_claim_stalled(*, status: str, limit: int = 500, now: datetime | None = None) -> list[int]:
    """Lease visits that have waited in ``status`` longer than ``JWO_PIPELINE_GRACE_S``
    and are not leased already; returns their ids for the caller to queue again.

    A lease lasts ``JWO_PIPELINE_RETRY_S``: a visit whose retry is still queued or
    running is not queued a second time, and one whose retry was lost is queued again
    once the lease is over. Moving on (``visits_advance``) ends the lease. A visit
    leased ``JWO_PIPELINE_MAX_ATTEMPTS`` times is left for a person (logged)."""
    if status not in (VisitStatus.RECEIVED, VisitStatus.SCORED):
        raise ValueError(f"Only received or scored visits stall; not {status!r}.")
    now = now or timezone.now()
    # SKIP LOCKED: two beat sweeps running at once lease disjoint visits.
    rows = list(
        Visit.objects.filter(
            Q(pipeline_claimed_at__isnull=True) | Q(pipeline_claimed_at__lt=now - timedelta(seconds=_retry_s())),
            status=status,
            created_at__lt=now - timedelta(seconds=settings.JWO_PIPELINE_GRACE_S),
            pipeline_attempts__lt=settings.JWO_PIPELINE_MAX_ATTEMPTS,
        )
        .order_by("pk")
        .select_for_update(skip_locked=True)
        .values_list("pk", "pipeline_attempts")[:limit]
    )
    ids = [pk for pk, _ in rows]
    if ids:
        Visit.objects.filter(pk__in=ids).update(pipeline_claimed_at=now, pipeline_attempts=F("pipeline_attempts") + 1)
        last = [pk for pk, attempts in rows if attempts + 1 >= settings.JWO_PIPELINE_MAX_ATTEMPTS]
        if last:
            log.error("Visits %s stay %s after their last retry; look at them.", last, status)
    return ids


def _retry_s() -> float:
    return float(settings.JWO_PIPELINE_RETRY_S)
