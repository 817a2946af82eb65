"""Reads of the dashboard: each series and table from the daily rollups, with today's
partial day computed live from the raw rows (``compute``). Nothing here writes.

``DashboardRows`` loads the stored rows of a filter once (three small queries, rows per
day, never per visit); the series functions turn them into the rows the page, the JSON
API and the CSV export all show, so the three cannot disagree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from functools import cached_property
from operator import attrgetter
from typing import Any

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from inference.models import ModelVersion
from jwo_review.store.models import Store
from low_confidence_queue.conf import dashboard_live_cache_seconds
from low_confidence_queue.metrics import compute
from low_confidence_queue.metrics.filters import MetricsFilter
from low_confidence_queue.metrics.stats import histogram_quantile, merge_histograms, per_1000, wilson_interval
from low_confidence_queue.models import (
    DailyReviewer,
    DailyRouting,
    DailyStoreOps,
    Reason,
    ReviewTask,
    RoutingOutcome,
    RoutingPolicy,
    VisitRouting,
)

REASONS = [r.value for r in Reason]
ALL = "all"
# A rollup row: stored ones load as named tuples, today's are unsaved model instances;
# both carry the table's fields as attributes, which is all the series read.
Row = Any
# A routing threshold that moves by more than this from one day to the next is marked.
THRESHOLD_MOVE = 0.005


class DashboardRows:
    """The rollup rows a filter selects: stored days, plus today computed live."""

    def __init__(self, f: MetricsFilter) -> None:
        self.f = f
        self.today = timezone.now().date()
        self._store_id = f.store.pk if f.store else None

    @cached_property
    def store_codes(self) -> dict[int, str]:
        return dict(Store.objects.values_list("id", "code"))

    def _stored(self, model: Any, **where: Any) -> list[Any]:
        """Stored rows as named tuples: the series read attributes, and building thousands
        of model instances would cost more than the queries."""
        qs = model.objects.filter(day__gte=self.f.since, day__lte=min(self.f.until, self.today - timedelta(days=1)))
        if self._store_id is not None:
            qs = qs.filter(store_id=self._store_id)
        fields = [f.attname for f in model._meta.concrete_fields if f.name != "id"]
        return list(qs.filter(**where).values_list(*fields, named=True))

    @property
    def _live(self) -> bool:
        return self.f.since <= self.today <= self.f.until

    def _today(self, part: str, function: Callable[..., list[Any]]) -> list[Any]:
        """Today's rows of one table, computed from the raw rows, and shared by every page
        for ``dashboard_live_cache_seconds`` (many admins' pages cost one computation; the
        socket keeps the headline numbers live meanwhile)."""
        if not self._live:
            return []
        seconds = dashboard_live_cache_seconds()
        if seconds <= 0:
            return function(self.today, store_id=self._store_id)
        key = f"dashboard:today:{part}:{self.today.isoformat()}:{self._store_id or 'all'}"
        return list(cache.get_or_set(key, lambda: function(self.today, store_id=self._store_id), seconds) or [])

    @cached_property
    def today_routing(self) -> list[DailyRouting] | None:
        """Today's routing rows of every model version (None when today is outside the range)."""
        return self._today("routing", compute.routing_rows) if self._live else None

    @cached_property
    def routing(self) -> list[Row]:
        where = {"model_version": self.f.model_version} if self.f.model_version else {}
        rows = self._stored(DailyRouting, **where)
        rows += [r for r in self.today_routing or [] if not where or r.model_version == self.f.model_version]
        return rows

    @cached_property
    def routing_all_models(self) -> list[Row]:
        """Routing rows whatever the model filter (the model table compares versions)."""
        if not self.f.model_version:
            return self.routing
        return self._stored(DailyRouting) + list(self.today_routing or [])

    @cached_property
    def ops(self) -> list[Row]:
        # One store's rows, or the all-stores rows: never ten histograms to merge per day.
        stored = self._stored(DailyStoreOps) if self._store_id else self._stored(DailyStoreOps, store__isnull=True)
        return stored + [r for r in self._today("ops", compute.ops_rows) if r.store_id == self._store_id]

    def _reviewer_rows(self, qs: Any) -> Any:
        """The reviewer rows of the selected store, or the all-stores rows."""
        qs = qs.filter(day__gte=self.f.since, day__lte=min(self.f.until, self.today - timedelta(days=1)))
        return qs.filter(store_id=self._store_id) if self._store_id else qs.filter(store__isnull=True)

    def _live_reviewers(self) -> list[DailyReviewer]:
        return [r for r in self._today("reviewers", compute.reviewer_rows) if r.store_id == self._store_id]

    def reviewers_of(self, reviewer_id: int) -> list[Any]:
        """One reviewer's rows (their own page)."""
        fields = [f.attname for f in DailyReviewer._meta.concrete_fields if f.name != "id"]
        qs = self._reviewer_rows(DailyReviewer.objects.filter(reviewer_id=reviewer_id))
        rows: list[Any] = list(qs.values_list(*fields, named=True))
        return rows + [r for r in self._live_reviewers() if r.reviewer_id == reviewer_id]

    @cached_property
    def reviewer_totals(self) -> dict[int, dict[str, Any]]:
        """Per reviewer over the range: summed counts and the merged time histogram."""
        keys = ["decided", "corrected", "time_sum_s", "rechecked", "upheld"]
        stored = self._reviewer_rows(DailyReviewer.objects.all())
        totals: dict[int, dict[str, Any]] = {
            r["reviewer_id"]: {**{k: r[k] or 0 for k in keys}, "hists": []}
            for r in compute.grouped(stored.values("reviewer_id").annotate(**{k: Sum(k) for k in keys}))
        }
        for reviewer_id, hist in _merged_time_histograms(stored).items():
            totals[reviewer_id]["hists"].append(hist)
        for r in self._live_reviewers():
            target = totals.setdefault(r.reviewer_id, {**dict.fromkeys(keys, 0), "hists": []})
            for k in keys:
                target[k] += getattr(r, k)
            target["hists"].append(r.time_hist)
        for target in totals.values():
            target["time_hist"] = merge_histograms(target.pop("hists"))
        return totals


SUMMED = ["visits", "auto_issued", *REASONS, "audits_decided", "audits_correct"]
_summed = attrgetter(*SUMMED)


def _routing_sums(rows: Iterable[DailyRouting]) -> dict[str, int]:
    totals = [sum(column) for column in zip(*map(_summed, rows))]
    return dict(zip(SUMMED, totals or [0] * len(SUMMED)))


def _rate_row(day: date, store: str, sums: dict[str, int]) -> dict[str, Any]:
    reviews = sum(sums[r] for r in REASONS)
    return {
        "day": day.isoformat(),
        "store": store,
        "visits": sums["visits"],
        "auto_issued": sums["auto_issued"],
        **{r: sums[r] for r in REASONS},
        "reviews": reviews,
        "per_1000": per_1000(reviews, sums["visits"]),
        **{f"{r}_per_1000": per_1000(sums[r], sums["visits"]) for r in REASONS},
    }


def review_rate_series(rows: DashboardRows, *, by_store: bool = False) -> list[dict[str, Any]]:
    """Reviews per 1,000 routed visits per day, by reason; every day of the range (days
    without visits have ``per_1000`` None). ``by_store`` gives one row per day and store."""
    groups: dict[tuple[date, str], list[DailyRouting]] = defaultdict(list)
    for r in rows.routing:
        store = rows.store_codes.get(r.store_id, "?") if by_store else (rows.f.store.code if rows.f.store else ALL)
        groups[(r.day, store)].append(r)
    stores = sorted({s for _, s in groups}) if by_store else [rows.f.store.code if rows.f.store else ALL]
    return [_rate_row(day, s, _routing_sums(groups.get((day, s), []))) for day in rows.f.days for s in stores]


def review_rate_total(rows: DashboardRows) -> dict[str, Any]:
    """The whole range in one row (the headline number)."""
    return _rate_row(rows.f.since, rows.f.store.code if rows.f.store else ALL, _routing_sums(rows.routing))


def markers(rows: DashboardRows) -> list[dict[str, Any]]:
    """Model promotions and retirements, and routing-threshold moves, by day in the range."""
    f = rows.f
    out: list[dict[str, Any]] = []
    lo, hi = compute.day_bounds(f.since)[0], compute.day_bounds(f.until)[1]
    versions = ModelVersion.objects.filter(
        Q(activated_at__gte=lo, activated_at__lt=hi) | Q(retired_at__gte=lo, retired_at__lt=hi)
    ).values_list("name", "activated_at", "retired_at")
    for name, activated, retired in versions:
        if activated is not None and lo <= activated < hi:
            out.append({"day": compute.day_of(activated).isoformat(), "kind": "promotion", "label": f"{name} active"})
        if retired is not None and lo <= retired < hi:
            out.append({"day": compute.day_of(retired).isoformat(), "kind": "retired", "label": f"{name} retired"})
    mean: dict[str, dict[date, float]] = defaultdict(dict)
    sums: dict[tuple[str, date], list[float]] = defaultdict(lambda: [0.0, 0.0])
    for r in rows.routing_all_models:
        acc = sums[(rows.store_codes.get(r.store_id, "?"), r.day)]
        acc[0] += r.threshold_sum
        acc[1] += r.visits
    for (store, day), (total, n) in sums.items():
        if n:
            mean[store][day] = total / n
    for store, by_day in mean.items():
        days = sorted(by_day)
        for before, after in zip(days, days[1:]):
            if abs(by_day[after] - by_day[before]) > THRESHOLD_MOVE:
                out.append(
                    {
                        "day": after.isoformat(),
                        "kind": "threshold",
                        "label": f"{store} threshold {by_day[before]:.3f} → {by_day[after]:.3f}",
                    }
                )
    return sorted(out, key=lambda m: (m["day"], m["kind"], m["label"]))


def _merged_time_histograms(qs: Any) -> dict[int, dict[str, int]]:
    """{reviewer: their time histograms merged} over the selected rows. PostgreSQL merges
    them in one pass over the JSON; elsewhere they are decoded and merged here."""
    if connection.vendor != "postgresql":
        out: dict[int, list[dict[str, int]]] = defaultdict(list)
        for reviewer_id, hist in qs.values_list("reviewer_id", "time_hist"):
            out[reviewer_id].append(hist)
        return {k: merge_histograms(v) for k, v in out.items()}
    sql, params = qs.values("reviewer_id", "time_hist").query.sql_with_params()
    merged: dict[int, dict[str, int]] = defaultdict(dict)
    with connection.cursor() as cur:
        # The inner query is the ORM's own, with its parameters kept apart.
        cur.execute(
            f"SELECT s.reviewer_id, kv.key, SUM(kv.value::int) FROM ({sql}) s, jsonb_each_text(s.time_hist) kv "
            "GROUP BY 1, 2",
            params,
        )
        for reviewer_id, key, count in cur.fetchall():
            merged[reviewer_id][key] = int(count)
    return merged


def per_store_rates(rows: DashboardRows) -> list[dict[str, Any]]:
    """Reviews per 1,000 visits per day and store: all the page's per-store lines need."""
    sums: dict[tuple[date, int], list[int]] = defaultdict(lambda: [0, 0])
    for r in rows.routing:
        cell = sums[(r.day, r.store_id)]
        cell[0] += r.visits
        cell[1] += r.low_confidence + r.audit + r.rule + r.dispute
    stores = sorted({store for _, store in sums}, key=lambda s: rows.store_codes.get(s, ""))
    return [
        {
            "day": day.isoformat(),
            "store": rows.store_codes.get(store, "?"),
            "per_1000": per_1000(*sums[(day, store)][::-1]),
        }
        for store in stores
        for day in rows.f.days
    ]


def _targets() -> tuple[dict[int, float], float]:
    own: dict[int, float] = {}
    default = 0.995
    for store_id, target in RoutingPolicy.objects.values_list("store_id", "target_accuracy"):
        if store_id is None:
            default = target
        else:
            own[store_id] = target
    return own, default


def _week(day: date) -> date:
    return day - timedelta(days=day.weekday())


def accuracy_series(rows: DashboardRows) -> list[dict[str, Any]]:
    """Auto-issued receipt accuracy per store and ISO week (Monday), estimated from the
    decided audit sample, with its 95% Wilson interval against the store's target.

    ``verdict``: ``meets`` when the interval lies at or above the target, ``below`` when
    it lies under it, ``unsure`` otherwise (too few audits to tell)."""
    own, default = _targets()
    cells: dict[tuple[int, date], list[int]] = defaultdict(lambda: [0, 0])
    for r in rows.routing:
        cell = cells[(r.store_id, _week(r.day))]
        cell[0] += r.audits_decided
        cell[1] += r.audits_correct
    out = []
    ordered = sorted(cells.items(), key=lambda kv: (rows.store_codes.get(kv[0][0], ""), kv[0][1]))
    for (store_id, week), (n, ok) in ordered:
        target = own.get(store_id, default)
        interval = wilson_interval(ok, n)
        verdict = "unsure"
        if interval is not None and interval[0] >= target:
            verdict = "meets"
        elif interval is not None and interval[1] < target:
            verdict = "below"
        out.append(
            {
                "store": rows.store_codes.get(store_id, "?"),
                "week": week.isoformat(),
                "audits": n,
                "correct": ok,
                "estimate": round(ok / n, 4) if n else None,
                "low": round(interval[0], 4) if interval else None,
                "high": round(interval[1], 4) if interval else None,
                "target": target,
                "verdict": verdict,
            }
        )
    return out


def queue_series(rows: DashboardRows) -> list[dict[str, Any]]:
    """Per day (all selected stores together): tasks open at the day's end (now, for today)
    and the oldest one's age, SLA breaches of tasks due that day, tasks opened and
    decided, and visit-exit-to-receipt time p50/p95 in seconds."""
    by_day: dict[date, list[DailyStoreOps]] = defaultdict(list)
    for r in rows.ops:
        by_day[r.day].append(r)
    out = []
    for day in rows.f.days:
        day_rows = by_day.get(day, [])
        hist = merge_histograms(r.final_hist for r in day_rows)
        ages = [r.oldest_age_end_s for r in day_rows if r.oldest_age_end_s is not None]
        out.append(
            {
                "day": day.isoformat(),
                "open_end": sum(r.open_end for r in day_rows),
                "oldest_age_end_s": max(ages) if ages else None,
                "sla_breaches": sum(r.sla_breaches for r in day_rows),
                "tasks_created": sum(r.tasks_created for r in day_rows),
                "tasks_decided": sum(r.tasks_decided for r in day_rows),
                "finals": sum(r.finals for r in day_rows),
                "final_p50_s": histogram_quantile(hist, 0.5),
                "final_p95_s": histogram_quantile(hist, 0.95),
            }
        )
    return out


def reviewer_table(rows: DashboardRows, *, reviewer_id: int | None = None) -> list[dict[str, Any]]:
    """Per reviewer over the range: tasks, tasks per hour of review time, median seconds per
    task, share corrected, and agreement (share of their decisions that a later review of
    the same visit upheld, over how many were re-checked)."""
    totals = rows.reviewer_totals
    if reviewer_id is not None:
        totals = {k: v for k, v in totals.items() if k == reviewer_id}
    names = dict(get_user_model().objects.filter(pk__in=list(totals)).values_list("pk", "username"))
    out = []
    for user_id, t in totals.items():
        decided, corrected, seconds = t["decided"], t["corrected"], t["time_sum_s"]
        out.append(
            {
                "reviewer": names.get(user_id, f"user {user_id}"),
                "tasks": decided,
                "tasks_per_hour": round(decided / (seconds / 3600), 1) if seconds > 0 else None,
                "median_s": histogram_quantile(t["time_hist"], 0.5),
                "corrected": corrected,
                "share_corrected": round(corrected / decided, 3) if decided else None,
                "rechecked": t["rechecked"],
                "agreement": round(t["upheld"] / t["rechecked"], 3) if t["rechecked"] else None,
            }
        )
    return sorted(out, key=lambda r: (-r["tasks"], r["reviewer"]))


def reviewer_days(rows: DashboardRows, *, reviewer_id: int) -> list[dict[str, Any]]:
    """One reviewer's own numbers per day (their page)."""
    by_day: dict[date, list[DailyReviewer]] = defaultdict(list)
    for r in rows.reviewers_of(reviewer_id):
        by_day[r.day].append(r)
    out = []
    for day in rows.f.days:
        items = by_day.get(day, [])
        decided = sum(r.decided for r in items)
        corrected = sum(r.corrected for r in items)
        out.append(
            {
                "day": day.isoformat(),
                "tasks": decided,
                "corrected": corrected,
                "median_s": histogram_quantile(merge_histograms(r.time_hist for r in items), 0.5),
                "review_minutes": round(sum(r.time_sum_s for r in items) / 60, 1),
            }
        )
    return out


HELD_OUT_KEYS = ["receipt_accuracy", "auto_issued_accuracy", "coverage", "reviews_per_1000", "ece", "item_f1"]


def model_table(rows: DashboardRows) -> list[dict[str, Any]]:
    """Model versions: held-out metrics from the registry, and the review rate each
    achieved in production over the range (visits it routed, reviews per 1,000)."""
    by_model: dict[str, list[DailyRouting]] = defaultdict(list)
    for r in rows.routing_all_models:
        by_model[r.model_version].append(r)
    out = []
    versions = ModelVersion.objects.defer("calibration", "weights").order_by("-created_at", "-id")
    for v in versions:
        held = (v.metrics or {}).get("holdout") or {}
        sums = _routing_sums(by_model.get(v.name, []))
        reviews = sum(sums[r] for r in REASONS)
        out.append(
            {
                "model": v.name,
                "kind": v.kind,
                "status": v.status,
                "activated_at": v.activated_at.isoformat() if v.activated_at else None,
                "retired_at": v.retired_at.isoformat() if v.retired_at else None,
                "threshold": round(v.threshold, 4),
                **{f"heldout_{k}": held.get(k) for k in HELD_OUT_KEYS},
                "visits": sums["visits"],
                "reviews": reviews,
                "per_1000": per_1000(reviews, sums["visits"]),
            }
        )
    return out


def review_rate_series_raw(f: MetricsFilter) -> list[dict[str, Any]]:
    """The review-rate series straight from the raw rows (GROUP BY over every routing
    decision and dispute in the range): the reference the rollups must equal, and the
    baseline the benchmark times them against."""
    lo, hi = compute.day_bounds(f.since)[0], compute.day_bounds(f.until)[1]
    routed = VisitRouting.objects.filter(routed_at__gte=lo, routed_at__lt=hi)
    disputes = ReviewTask.objects.filter(reason=Reason.DISPUTE, created_at__gte=lo, created_at__lt=hi)
    if f.store is not None:
        routed = routed.filter(visit__store_id=f.store.pk)
        disputes = disputes.filter(visit__store_id=f.store.pk)
    if f.model_version:
        routed = routed.filter(model_version=f.model_version)
        disputes = disputes.filter(visit__routing__model_version=f.model_version)
    sums: dict[date, dict[str, int]] = defaultdict(lambda: dict.fromkeys(["visits", "auto_issued", *REASONS], 0))
    grouped: list[dict[str, Any]] = compute.grouped(
        routed.annotate(d=TruncDate("routed_at"))
        .values("d")
        .annotate(
            visits=Count("id"),
            auto=Count("id", filter=Q(outcome=RoutingOutcome.AUTO_ISSUED)),
            **{
                reason: Count("id", filter=Q(outcome=RoutingOutcome.REVIEW, reason=reason))
                for reason in REASONS
                if reason != Reason.DISPUTE
            },
        )
        .order_by()
    )
    for r in grouped:
        target = sums[r["d"]]
        target["visits"], target["auto_issued"] = r["visits"], r["auto"]
        for reason in REASONS:
            if reason != Reason.DISPUTE:
                target[reason] = r[reason]
    for d, n in disputes.annotate(d=TruncDate("created_at")).values_list("d").annotate(n=Count("id")).order_by():
        sums[d][Reason.DISPUTE] = n
    store = f.store.code if f.store else ALL
    return [_rate_row(day, store, {**sums[day], "audits_decided": 0, "audits_correct": 0}) for day in f.days]


def live_numbers(*, store: Store | None = None, today_routing: list[DailyRouting] | None = None) -> dict[str, Any]:
    """Today so far and the queue right now (the dashboard socket sends this on changes):
    routed visits and reviews by reason, tasks decided today, pending depth, oldest age.
    ``today_routing``: today's routing rows when the caller has computed them already."""
    now = timezone.now()
    today = now.date()
    store_id = store.pk if store else None
    if today_routing is None:
        today_routing = DashboardRows(MetricsFilter(since=today, until=today, store=store)).today_routing or []
    sums = _routing_sums(today_routing)
    tasks = ReviewTask.objects.all() if store_id is None else ReviewTask.objects.filter(visit__store_id=store_id)
    start = compute.day_bounds(today)[0]
    # Four counts, each one index range (decided today; the partial indexes of open tasks),
    # rather than one pass over every task ever made.
    open_tasks = tasks.filter(status__in=["pending", "claimed"])
    counts = {
        "decided": tasks.filter(decided_at__gte=start).count(),
        "pending": tasks.filter(status="pending").count(),
        "claimed": tasks.filter(status="claimed").count(),
        "breaching": open_tasks.filter(sla_due_at__lt=now).count(),
    }
    oldest = tasks.filter(status="pending").order_by("created_at").values_list("created_at", flat=True).first()
    row = _rate_row(today, store.code if store else ALL, sums)
    return {
        "type": "live",
        "store": store.code if store else None,
        "today": row,
        "decided_today": counts["decided"],
        "pending": counts["pending"],
        "in_progress": counts["claimed"],
        "overdue": counts["breaching"],
        "oldest_age_s": round((now - oldest).total_seconds()) if oldest else None,
        "at": now.isoformat(),
    }
