"""One day's dashboard figures, computed from the raw rows (routing decisions and review
tasks). The rollup job stores them; the page computes today's partial day the same way.

Days are UTC days. Each figure has one home here, so the stored history and the live day
cannot disagree about what a figure means.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, F, Min, Q, QuerySet, Sum
from django.utils import timezone

from low_confidence_queue.metrics.stats import histogram, merge_histograms
from low_confidence_queue.models import (
    DailyReviewer,
    DailyRouting,
    DailyStoreOps,
    Decision,
    Reason,
    ReviewTask,
    RoutingOutcome,
    TaskStatus,
    VisitRouting,
)


@dataclass
class DayFigures:
    """Unsaved rollup rows of one day."""

    day: date
    routing: list[DailyRouting] = field(default_factory=list)
    ops: list[DailyStoreOps] = field(default_factory=list)
    reviewers: list[DailyReviewer] = field(default_factory=list)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, tzinfo=UTC)
    return start, start + timedelta(days=1)


def day_of(moment: datetime) -> date:
    return moment.astimezone(UTC).date()


def grouped(qs: QuerySet[Any, Any]) -> list[dict[str, Any]]:
    """The rows of a ``values().annotate()`` query as plain dicts (no default ordering)."""
    return list(qs.order_by())


def _in_store(qs: QuerySet[ReviewTask], store_id: int | None) -> QuerySet[ReviewTask]:
    return qs if store_id is None else qs.filter(visit__store_id=store_id)


def compute_day(day: date, *, now: datetime | None = None, store_id: int | None = None) -> DayFigures:
    """Every rollup row of ``day`` (only ``store_id``'s when given), as of ``now``."""
    figures = DayFigures(day=day)
    figures.routing = routing_rows(day, store_id=store_id)
    figures.ops = ops_rows(day, now=now, store_id=store_id)
    figures.reviewers = reviewer_rows(day, store_id=store_id)
    return figures


def routing_rows(day: date, *, store_id: int | None = None) -> list[DailyRouting]:
    """Per store and model version: visits routed on ``day`` by outcome and reason, its
    audits' verdicts, and the disputes opened that day."""
    start, end = day_bounds(day)
    routed = VisitRouting.objects.filter(routed_at__gte=start, routed_at__lt=end)
    if store_id is not None:
        routed = routed.filter(visit__store_id=store_id)
    rows: dict[tuple[int, str], DailyRouting] = {}

    def row(store: int, model: str | None) -> DailyRouting:
        key = (store, model or "")
        if key not in rows:
            rows[key] = DailyRouting(day=day, store_id=store, model_version=model or "")
        return rows[key]

    counted = routed.values("visit__store_id", "model_version").annotate(
        visits=Count("id"),
        auto=Count("id", filter=Q(outcome=RoutingOutcome.AUTO_ISSUED)),
        low=Count("id", filter=Q(outcome=RoutingOutcome.REVIEW, reason=Reason.LOW_CONFIDENCE)),
        audit=Count("id", filter=Q(outcome=RoutingOutcome.REVIEW, reason=Reason.AUDIT)),
        rule=Count("id", filter=Q(outcome=RoutingOutcome.REVIEW, reason=Reason.RULE)),
        thr=Sum("threshold"),
    )
    for r in grouped(counted):
        target = row(r["visit__store_id"], r["model_version"])
        target.visits, target.auto_issued = r["visits"], r["auto"]
        target.low_confidence, target.audit, target.rule = r["low"], r["audit"], r["rule"]
        target.threshold_sum = float(r["thr"] or 0.0)
    audits = _in_store(
        ReviewTask.objects.filter(
            reason=Reason.AUDIT,
            status=TaskStatus.DONE,
            visit__routing__routed_at__gte=start,
            visit__routing__routed_at__lt=end,
        ),
        store_id,
    )
    for r in grouped(
        audits.values("visit__store_id", "visit__routing__model_version").annotate(
            n=Count("id"), ok=Count("id", filter=Q(decision=Decision.APPROVE))
        )
    ):
        target = row(r["visit__store_id"], r["visit__routing__model_version"])
        target.audits_decided, target.audits_correct = r["n"], r["ok"]
    disputes = _in_store(
        ReviewTask.objects.filter(reason=Reason.DISPUTE, created_at__gte=start, created_at__lt=end), store_id
    )
    for r in grouped(disputes.values("visit__store_id", "visit__routing__model_version").annotate(n=Count("id"))):
        row(r["visit__store_id"], r["visit__routing__model_version"]).dispute = r["n"]
    return sorted(rows.values(), key=lambda x: (x.store_id, x.model_version))


def ops_rows(day: date, *, now: datetime | None = None, store_id: int | None = None) -> list[DailyStoreOps]:
    """Per store: the queue at the day's end (or ``now``, for today), SLA breaches and
    visit-to-receipt times."""
    start, end = day_bounds(day)
    cut = min(end, now or timezone.now())
    rows: dict[int, DailyStoreOps] = {}

    def row(store: int) -> DailyStoreOps:
        if store not in rows:
            rows[store] = DailyStoreOps(day=day, store_id=store, final_hist={})
        return rows[store]

    tasks = _in_store(ReviewTask.objects.all(), store_id)
    # Open at the cut: opened before it and not decided before it (each side of the OR
    # is one index range, so old decided tasks are never read).
    open_at_cut = tasks.filter(created_at__lt=cut).filter(Q(decided_at__isnull=True) | Q(decided_at__gte=cut))
    for r in grouped(open_at_cut.values("visit__store_id").annotate(n=Count("id"), oldest=Min("created_at"))):
        target = row(r["visit__store_id"])
        target.open_end = r["n"]
        target.oldest_age_end_s = round((cut - r["oldest"]).total_seconds(), 1)
    due = tasks.filter(sla_due_at__gte=start, sla_due_at__lt=cut)
    late = due.filter(Q(decided_at__isnull=True) | Q(decided_at__gt=F("sla_due_at")))
    for r in grouped(late.values("visit__store_id").annotate(n=Count("id"))):
        row(r["visit__store_id"]).sla_breaches = r["n"]
    created = tasks.filter(created_at__gte=start, created_at__lt=end)
    for r in grouped(created.values("visit__store_id").annotate(n=Count("id"))):
        row(r["visit__store_id"]).tasks_created = r["n"]
    decided = tasks.filter(decided_at__gte=start, decided_at__lt=end)
    for r in grouped(decided.values("visit__store_id").annotate(n=Count("id"))):
        row(r["visit__store_id"]).tasks_decided = r["n"]
    # Visit exit to its first receipt: at routing when auto-issued, else at the first
    # review decision (a later dispute changes the receipt, not when the shopper got one).
    first_review = dict(
        tasks.filter(visit__routing__routed_at__gte=start, visit__routing__routed_at__lt=end, status=TaskStatus.DONE)
        .exclude(reason=Reason.DISPUTE)
        .values("visit_id")
        .annotate(first=Min("decided_at"))
        .values_list("visit_id", "first")
        .order_by()
    )
    routed = VisitRouting.objects.filter(routed_at__gte=start, routed_at__lt=end)
    if store_id is not None:
        routed = routed.filter(visit__store_id=store_id)
    seconds: dict[int, list[float]] = defaultdict(list)
    for visit_id, store, outcome, routed_at, exited_at in routed.values_list(
        "visit_id", "visit__store_id", "outcome", "routed_at", "visit__exited_at"
    ):
        final_at = routed_at if outcome == RoutingOutcome.AUTO_ISSUED else first_review.get(visit_id)
        if final_at is not None:
            seconds[store].append((final_at - exited_at).total_seconds())
    for store, values in seconds.items():
        target = row(store)
        target.finals = len(values)
        target.final_hist = histogram(values)
    out = sorted(rows.values(), key=lambda x: x.store_id or 0)
    if store_id is None and out:
        out.append(_all_stores_ops(day, out))
    return out


def _all_stores_ops(day: date, rows: list[DailyStoreOps]) -> DailyStoreOps:
    """The stores' queue figures together (the row with no store): counts add up, the
    oldest open task is the oldest of any store, the histograms merge."""
    ages = [r.oldest_age_end_s for r in rows if r.oldest_age_end_s is not None]
    return DailyStoreOps(
        day=day,
        store_id=None,
        open_end=sum(r.open_end for r in rows),
        oldest_age_end_s=max(ages) if ages else None,
        sla_breaches=sum(r.sla_breaches for r in rows),
        tasks_created=sum(r.tasks_created for r in rows),
        tasks_decided=sum(r.tasks_decided for r in rows),
        finals=sum(r.finals for r in rows),
        final_hist=merge_histograms(r.final_hist for r in rows),
    )


def reviewer_rows(day: date, *, store_id: int | None = None) -> list[DailyReviewer]:
    """Per store and reviewer: decisions made on ``day``."""
    start, end = day_bounds(day)
    decided = list(
        _in_store(
            ReviewTask.objects.filter(
                decided_at__gte=start, decided_at__lt=end, status=TaskStatus.DONE, decided_by__isnull=False
            ),
            store_id,
        ).values_list("visit_id", "visit__store_id", "decided_by_id", "decision", "time_spent_s", "decided_at")
    )
    # A decision is re-checked when its visit is reviewed again later (a dispute); it is
    # upheld when that next review approves the receipt as it stood.
    later: dict[int, list[tuple[datetime | None, str]]] = defaultdict(list)
    for visit_id, decided_at, decision in (
        ReviewTask.objects.filter(visit_id__in={d[0] for d in decided}, status=TaskStatus.DONE, decided_at__gt=start)
        .values_list("visit_id", "decided_at", "decision")
        .order_by("decided_at")
    ):
        later[visit_id].append((decided_at, decision))
    rows: dict[tuple[int, int], DailyReviewer] = {}
    times: dict[tuple[int, int], list[float]] = defaultdict(list)
    for visit_id, store, user, decision, spent, decided_at in decided:
        key = (store, user)
        target = rows.setdefault(key, DailyReviewer(day=day, store_id=store, reviewer_id=user, time_hist={}))
        target.decided += 1
        target.corrected += decision == Decision.CORRECT
        if spent is not None:
            target.time_sum_s += spent
            times[key].append(spent)
        after = next(
            (d for at, d in later.get(visit_id, []) if at is not None and decided_at is not None and at > decided_at),
            None,
        )
        if after is not None:
            target.rechecked += 1
            target.upheld += after == Decision.APPROVE
    for key, values in times.items():
        rows[key].time_hist = histogram(values)
        rows[key].time_sum_s = round(rows[key].time_sum_s, 3)
    out = sorted(rows.values(), key=lambda x: (x.store_id, x.reviewer_id))
    if store_id is None:
        out += _all_stores(day, out)
    return out


def _all_stores(day: date, rows: list[DailyReviewer]) -> list[DailyReviewer]:
    """Each reviewer's rows of every store added up (the row with no store)."""
    merged: dict[int, DailyReviewer] = {}
    for r in rows:
        target = merged.setdefault(r.reviewer_id, DailyReviewer(day=day, store_id=None, reviewer_id=r.reviewer_id))
        for name in ("decided", "corrected", "rechecked", "upheld"):
            setattr(target, name, getattr(target, name) + getattr(r, name))
        target.time_sum_s = round(target.time_sum_s + r.time_sum_s, 3)
        target.time_hist = merge_histograms([target.time_hist or {}, r.time_hist])
    return [merged[k] for k in sorted(merged)]
