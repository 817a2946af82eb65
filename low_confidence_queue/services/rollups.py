"""The daily rollups behind the dashboard: rebuild a day, or every day that changed.

Rebuilding a day deletes its rows and inserts freshly computed ones in one transaction,
so running it again gives identical rows. The refresh finds the days touched since it
last ran (visits routed, tasks opened or decided, SLA deadlines passed) and rebuilds
only those; today is never stored (pages compute it live).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import Min, Q
from django.utils import timezone

from low_confidence_queue.metrics.compute import compute_day, day_of
from low_confidence_queue.models import (
    DailyReviewer,
    DailyRouting,
    DailyStoreOps,
    Reason,
    ReviewTask,
    RollupState,
    TaskStatus,
    VisitRouting,
)

STATE_NAME = "daily"
# Rows are written with now() inside transactions that commit a moment later; looking this
# far back on each run picks up a change that committed after the previous run's cut.
OVERLAP = timedelta(minutes=10)


def _lock_state() -> RollupState:
    RollupState.objects.get_or_create(name=STATE_NAME)
    # The lock serialises rollup runs: two rebuilds of one day would collide on its rows.
    return RollupState.objects.select_for_update().get(name=STATE_NAME)


@transaction.atomic
def rollup_day(*, day: date, now: datetime | None = None) -> int:
    """Replace the stored rows of ``day`` (a past UTC day) with ones computed from the raw
    rows; returns how many rows were written."""
    _lock_state()
    return _rebuild(day, now or timezone.now())


def _rebuild(day: date, now: datetime) -> int:
    figures = compute_day(day, now=now)
    DailyRouting.objects.filter(day=day).delete()
    DailyStoreOps.objects.filter(day=day).delete()
    DailyReviewer.objects.filter(day=day).delete()
    DailyRouting.objects.bulk_create(figures.routing)
    DailyStoreOps.objects.bulk_create(figures.ops)
    DailyReviewer.objects.bulk_create(figures.reviewers)
    return len(figures.routing) + len(figures.ops) + len(figures.reviewers)


def _days_between(first: date, last: date) -> set[date]:
    return {first + timedelta(days=i) for i in range((last - first).days + 1)}


def days_changed_since(since: datetime | None, now: datetime) -> set[date]:
    """Past days whose figures may differ from what was stored by a run at ``since``."""
    today = day_of(now)
    if since is None:
        first = [
            VisitRouting.objects.aggregate(m=Min("routed_at"))["m"],
            ReviewTask.objects.aggregate(m=Min("created_at"))["m"],
        ]
        known = [day_of(m) for m in first if m is not None]
        return _days_between(min(known), today - timedelta(days=1)) if known else set()
    days: set[date] = {
        day_of(at)
        for at in VisitRouting.objects.filter(routed_at__gte=since).values_list("routed_at", flat=True).distinct()
    }
    changed = ReviewTask.objects.filter(Q(created_at__gte=since) | Q(decided_at__gte=since))
    for created, decided, due, routed, reason, visit_id in changed.values_list(
        "created_at", "decided_at", "sla_due_at", "visit__routing__routed_at", "reason", "visit_id"
    ):
        # Open at each day's end from its opening to its decision; audits and finals count
        # on the routing day; breaches on the due day.
        days |= _days_between(day_of(created), day_of(decided or now))
        days.add(day_of(due))
        if routed is not None:
            days.add(day_of(routed))
        if reason == Reason.DISPUTE and decided is not None:
            # The decisions a dispute re-checked belong to their own days' reviewer rows.
            days |= {
                day_of(at)
                for at in ReviewTask.objects.filter(visit_id=visit_id, decided_at__lt=decided).values_list(
                    "decided_at", flat=True
                )
                if at is not None
            }
    # Deadlines that passed without a decision since the last run are new breaches.
    days |= {
        day_of(due)
        for due in ReviewTask.objects.filter(sla_due_at__gte=since, sla_due_at__lt=now)
        .exclude(status=TaskStatus.DONE)
        .values_list("sla_due_at", flat=True)
    }
    return {d for d in days if d < today}


@transaction.atomic
def rollups_refresh(*, now: datetime | None = None) -> list[date]:
    """Rebuild every past day that changed since the last refresh (all days on the first
    run); returns the days rebuilt, oldest first."""
    now = now or timezone.now()
    state = _lock_state()
    since = state.seen_until - OVERLAP if state.seen_until else None
    days = sorted(days_changed_since(since, now))
    for day in days:
        _rebuild(day, now)
    state.seen_until = now
    state.updated_at = timezone.now()
    state.save(update_fields=["seen_until", "updated_at"])
    return days
