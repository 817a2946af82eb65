"""Reads of the queue: the live numbers of the queue page, and what a reviewer holds."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Count, Min, Q, QuerySet
from django.utils import timezone

from low_confidence_queue.models import Reason, ReviewTask, TaskStatus, VisitRouting


def queue_stats() -> dict[str, Any]:
    """Depth, age of the oldest pending task, SLA breaches and who is working on what.

    Three small queries on the partial indexes; the queue page sockets call this after
    each (coalesced) change.
    """
    now = timezone.now()
    pending = ReviewTask.objects.filter(status=TaskStatus.PENDING)
    agg = pending.aggregate(depth=Count("id"), oldest=Min("created_at"))
    by_reason = dict(pending.values_list("reason").annotate(n=Count("id")).order_by())
    breaches = pending.filter(sla_due_at__lt=now).count()
    working = list(
        ReviewTask.objects.filter(status=TaskStatus.CLAIMED, lease_expires_at__gt=now)
        .select_related("claimed_by", "visit")
        .order_by("claimed_at")[:50]
    )
    oldest = agg["oldest"]
    return {
        "depth": agg["depth"],
        "oldest_age_s": round((now - oldest).total_seconds()) if oldest else None,
        "sla_breaches": breaches,
        "by_reason": {r.value: by_reason.get(r.value, 0) for r in Reason},
        "in_progress": len(working),
        "working": [
            {
                "reviewer": t.claimed_by.username if t.claimed_by else "?",
                "task": t.pk,
                "visit_code": t.visit.visit_code,
                "reason": t.reason,
                "since_s": round((now - t.claimed_at).total_seconds()) if t.claimed_at else 0,
            }
            for t in working
        ],
        "at": now.isoformat(),
    }


def home_work(user: Any) -> str:
    """The home page's line under Review: how many visits wait for this reviewer (not the
    ones they skipped, which claim-next keeps for others) and for how long."""
    pending = ReviewTask.objects.filter(status=TaskStatus.PENDING).exclude(skips__user=user)
    now = timezone.now()
    agg = pending.aggregate(
        depth=Count("id"), oldest=Min("created_at"), breaches=Count("id", filter=Q(sla_due_at__lt=now))
    )
    if not agg["depth"]:
        return "Nothing waiting for you."
    waited = (now - agg["oldest"]).total_seconds()
    age = f"{waited:.0f} s" if waited < 90 else f"{waited / 60:.0f} min" if waited < 5400 else f"{waited / 3600:.1f} h"
    past = f"; {agg['breaches']} past their SLA" if agg["breaches"] else ""
    visits = "1 visit" if agg["depth"] == 1 else f"{agg['depth']} visits"
    return f"{visits} waiting, the oldest for {age}{past}."


def task_peek_next(*, user: Any) -> ReviewTask | None:
    """The task claim-next would most likely hand out next (no lock, nothing claimed):
    the workspace has its clips rendered ahead."""
    return (
        ReviewTask.objects.filter(status=TaskStatus.PENDING)
        .exclude(skips__user=user)
        .order_by("-priority", "created_at", "id")
        .select_related("visit")
        .first()
    )


def tasks_flagged_for_annotation() -> QuerySet[ReviewTask]:
    """Decided review tasks whose reviewer sent the visit to annotation (newest first);
    the annotation app reads these to make its tasks."""
    return (
        ReviewTask.objects.filter(flag_for_annotation=True, status=TaskStatus.DONE)
        .select_related("visit", "receipt", "decided_by")
        .order_by("-decided_at")
    )


def review_rate(*, hours: int = 24) -> dict[str, Any]:
    """Reviews per 1,000 routed visits over the last ``hours``, by routing reason."""
    since = timezone.now() - timedelta(hours=hours)
    rows = dict(
        VisitRouting.objects.filter(routed_at__gte=since).values_list("reason").annotate(n=Count("id")).order_by()
    )
    routed = sum(rows.values())
    reviewed = routed - rows.get("", 0)
    return {
        "hours": hours,
        "routed": routed,
        "reviewed": reviewed,
        "per_1000": round(1000 * reviewed / routed, 1) if routed else None,
        "by_reason": {r.value: rows.get(r.value, 0) for r in Reason},
    }
