"""The daily rollups equal the figures computed straight from the raw rows, also after a
late decision and a re-run; the series read from them equal the raw-row series."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone

from low_confidence_queue.metrics.compute import day_bounds, day_of
from low_confidence_queue.metrics.filters import MetricsFilter
from low_confidence_queue.metrics.series import DashboardRows, queue_series, review_rate_series, review_rate_series_raw
from low_confidence_queue.models import DailyReviewer, DailyRouting, DailyStoreOps, ReviewTask, VisitRouting
from low_confidence_queue.services.rollups import rollup_day, rollups_refresh
from tests.dashboard.conftest import History, at, day


@pytest.fixture
def scenario(history: History) -> dict[str, Any]:
    """Three past days of routing and review work, and one task still open."""
    # Day -3: two auto-issued, a corrected low-confidence visit, one decided after
    # midnight (open at the day's end, past its SLA), an approved audit.
    auto_a = history.route("auto", at(3, 9))
    history.route("auto", at(3, 9.5))
    low = history.route("low", at(3, 10))
    history.decide(low, at(3, 10.3), correct=True, spent=55)
    late = history.route("low", at(3, 22))
    history.decide(late, at(2, 0.5), spent=30)
    audit = history.route("audit", at(3, 11), sla_minutes=480)
    history.decide(audit, at(3, 12), user="admin", spent=20)
    # Day -2: a rule hit, an audit the reviewer corrected, a dispute of day -3's receipt.
    history.route("auto", at(2, 8))
    rule = history.route("rule", at(2, 9))
    history.decide(rule, at(2, 9.2), spent=70)
    wrong = history.route("audit", at(2, 10), sla_minutes=480)
    history.decide(wrong, at(2, 11), correct=True, spent=90)
    history.dispute(auto_a, at(2, 12))
    history.decide(auto_a, at(2, 12.2), user="admin", spent=35)
    # Day -1: an auto-issued visit and an audit nobody has decided yet.
    history.route("auto", at(1, 14))
    pending = history.route("audit", at(1, 15), sla_minutes=480)
    return {"pending": pending}


def reference(d: date) -> dict[str, Any]:
    """The day's figures by plain Python over the raw rows (no rollup code)."""
    start, end = day_bounds(d)
    now = timezone.now()
    routed = [r for r in VisitRouting.objects.select_related("visit") if start <= r.routed_at < end]
    tasks = list(ReviewTask.objects.select_related("visit__routing"))
    reasons = Counter(r.reason for r in routed if r.outcome == "review")
    reasons["dispute"] = sum(1 for t in tasks if t.reason == "dispute" and start <= t.created_at < end)
    audits = [t for t in tasks if t.reason == "audit" and t.status == "done"
              and start <= t.visit.routing.routed_at < end]
    return {
        "visits": len(routed),
        "reasons": {k: reasons.get(k, 0) for k in ("low_confidence", "audit", "rule", "dispute")},
        "audits": (len(audits), sum(1 for t in audits if t.decision == "approve")),
        "open_end": sum(1 for t in tasks if t.created_at < end and (t.decided_at is None or t.decided_at >= end)),
        "breaches": sum(1 for t in tasks if start <= t.sla_due_at < min(end, now)
                        and (t.decided_at is None or t.decided_at > t.sla_due_at)),
        "decided_by": dict(Counter(t.decided_by.username for t in tasks
                                   if t.decided_at and start <= t.decided_at < end and t.decided_by)),
    }


def stored(d: date) -> dict[str, Any]:
    routing = list(DailyRouting.objects.filter(day=d))
    ops = list(DailyStoreOps.objects.filter(day=d, store__isnull=False))
    (everywhere_ops,) = DailyStoreOps.objects.filter(day=d, store__isnull=True)
    assert everywhere_ops.open_end == sum(o.open_end for o in ops) and everywhere_ops.finals == sum(
        o.finals for o in ops)
    reviewers = DailyReviewer.objects.filter(day=d, store__isnull=False).select_related("reviewer")
    everywhere = DailyReviewer.objects.filter(day=d, store__isnull=True)
    assert sorted((r.reviewer_id, r.decided) for r in everywhere) == sorted(
        (r.reviewer_id, r.decided) for r in reviewers)
    return {
        "visits": sum(r.visits for r in routing),
        "reasons": {k: sum(getattr(r, k) for r in routing) for k in ("low_confidence", "audit", "rule", "dispute")},
        "audits": (sum(r.audits_decided for r in routing), sum(r.audits_correct for r in routing)),
        "open_end": sum(o.open_end for o in ops),
        "breaches": sum(o.sla_breaches for o in ops),
        "decided_by": {r.reviewer.username: r.decided for r in reviewers},
    }


def snapshot() -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    for model in (DailyRouting, DailyStoreOps, DailyReviewer):
        fields = [f.attname for f in model._meta.concrete_fields if f.name != "id"]
        rows += sorted(tuple(str(v) for v in row) for row in model.objects.values_list(*fields))
    return rows


def test_the_scenario_has_every_kind_of_figure(scenario: dict[str, Any]) -> None:
    rollups_refresh()
    assert stored(day(3))["reasons"] == {"low_confidence": 2, "audit": 1, "rule": 0, "dispute": 0}
    assert stored(day(2))["reasons"] == {"low_confidence": 0, "audit": 1, "rule": 1, "dispute": 1}
    assert stored(day(3))["open_end"] == 1 and stored(day(3))["breaches"] == 1
    assert stored(day(2))["audits"] == (1, 0)


@pytest.mark.parametrize("days_ago", [3, 2, 1])
def test_rollup_rows_equal_the_raw_rows(scenario: dict[str, Any], days_ago: int) -> None:
    rebuilt = rollups_refresh()
    assert day(days_ago) in rebuilt and timezone.now().date() not in rebuilt
    assert stored(day(days_ago)) == reference(day(days_ago))


def test_visit_to_receipt_time_comes_from_routing_and_first_decision(scenario: dict[str, Any]) -> None:
    rollups_refresh()
    f = MetricsFilter(since=day(3), until=day(3))
    (row,) = queue_series(DashboardRows(f))
    # Day -3: 30 s, 30 s (auto-issued), 18 min, 1 h and 2.5 h (decided) after the visit's exit.
    assert row["finals"] == 5
    assert row["final_p50_s"] == pytest.approx(18 * 60 + 30, rel=0.05)
    assert row["final_p95_s"] == pytest.approx(2.5 * 3600 + 30, rel=0.05)


def test_series_from_rollups_equal_the_raw_row_series_including_today(history: History,
                                                                      scenario: dict[str, Any]) -> None:
    rollups_refresh()
    history.route("low", timezone.now() - timedelta(minutes=5))  # today's partial day is live
    f = MetricsFilter(since=day(4), until=day(0))
    assert review_rate_series(DashboardRows(f)) == review_rate_series_raw(f)
    today = review_rate_series(DashboardRows(f))[-1]
    assert today["visits"] == 1 and today["low_confidence"] == 1 and today["per_1000"] == 1000.0


def test_a_late_decision_is_picked_up_and_a_rerun_gives_identical_rows(history: History,
                                                                       scenario: dict[str, Any]) -> None:
    rollups_refresh()
    assert stored(day(1))["audits"] == (0, 0)
    history.decide(scenario["pending"], when=None)  # decided now, a day after its visit
    rebuilt = rollups_refresh()
    assert day(1) in rebuilt
    assert stored(day(1)) == reference(day(1))
    assert stored(day(1))["audits"] == (1, 1)
    assert stored(day(1))["open_end"] == 1  # it was still open when day -1 ended
    before = snapshot()
    for d in (day(3), day(2), day(1)):
        rollup_day(day=d)
    rollups_refresh()
    assert snapshot() == before


def test_the_refresh_rebuilds_only_days_that_changed(history: History, scenario: dict[str, Any]) -> None:
    rollups_refresh()
    history.dispute(history.route("auto", at(1, 16)), timezone.now() - timedelta(minutes=1))
    rebuilt = rollups_refresh()
    assert rebuilt == [day(1)]
    assert day_of(timezone.now()) not in rebuilt
