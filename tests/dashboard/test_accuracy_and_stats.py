"""The audit estimate of auto-issued accuracy and its interval, on constructed cases, and
the histogram quantiles that let days and stores merge."""

from __future__ import annotations

import math
import random
from datetime import timedelta
from typing import Any

import pytest

from jwo_review.store.models import Store
from low_confidence_queue.metrics.filters import MetricsFilter
from low_confidence_queue.metrics.series import DashboardRows, accuracy_series
from low_confidence_queue.metrics.stats import histogram, histogram_quantile, merge_histograms, wilson_interval
from low_confidence_queue.models import DailyRouting, RoutingPolicy
from tests.dashboard.conftest import day

Z = 1.959963984540054


def test_wilson_interval_has_its_closed_forms_at_the_edges() -> None:
    # 0 of n: [0, z²/(n+z²)]; n of n: [n/(n+z²), 1].
    assert wilson_interval(0, 10) == (0.0, pytest.approx(Z * Z / (10 + Z * Z)))
    assert wilson_interval(10, 10) == (pytest.approx(10 / (10 + Z * Z)), 1.0)
    assert wilson_interval(0, 0) is None


def test_wilson_interval_of_95_in_100_matches_the_textbook_value() -> None:
    low, high = wilson_interval(95, 100) or (0, 0)
    assert low == pytest.approx(0.8882, abs=1e-4) and high == pytest.approx(0.9785, abs=1e-4)


def _week_of_audits(store: Store, monday_offset: int, n: int, correct: int) -> None:
    """Spread ``n`` decided audits (``correct`` approved) over one Monday-to-Sunday week."""
    monday = day(0) - timedelta(days=day(0).weekday() + 7 * monday_offset)
    for i in range(7):
        share_n, share_ok = n // 7 + (i < n % 7), correct // 7 + (i < correct % 7)
        DailyRouting.objects.create(day=monday + timedelta(days=i), store=store,
                                    model_version="m", visits=10 * share_n, auto_issued=9 * share_n,
                                    audit=share_n, audits_decided=share_n, audits_correct=share_ok)


@pytest.mark.parametrize(("n", "correct", "verdict"), [(2000, 1999, "meets"), (400, 390, "below"),
                                                       (200, 199, "unsure")])
def test_accuracy_per_store_and_week_with_interval_and_verdict(aim3s: Store, n: int, correct: int,
                                                               verdict: str) -> None:
    RoutingPolicy.objects.update_or_create(store=None, defaults={"target_accuracy": 0.995})
    _week_of_audits(aim3s, 2, n, correct)
    monday = day(0) - timedelta(days=day(0).weekday() + 14)
    f = MetricsFilter(since=monday, until=monday + timedelta(days=6))
    (row,) = accuracy_series(DashboardRows(f))
    low, high = wilson_interval(correct, n) or (0, 0)
    assert row == {"store": "aim3s", "week": monday.isoformat(), "audits": n, "correct": correct,
                   "estimate": round(correct / n, 4), "low": round(low, 4), "high": round(high, 4),
                   "target": 0.995, "verdict": verdict}


def test_a_store_policy_sets_its_own_target(aim3s: Store) -> None:
    RoutingPolicy.objects.update_or_create(store=aim3s, defaults={"target_accuracy": 0.95})
    _week_of_audits(aim3s, 1, 400, 390)
    monday = day(0) - timedelta(days=day(0).weekday() + 7)
    (row,) = accuracy_series(DashboardRows(MetricsFilter(since=monday, until=monday)))
    assert row["target"] == 0.95 and row["audits"] == 400 // 7 + 1


def test_histogram_quantiles_stay_within_the_bucket_width_after_merging() -> None:
    rng = random.Random(3)
    parts = [[rng.lognormvariate(4, 1.2) for _ in range(500)] for _ in range(6)]
    merged = merge_histograms(histogram(p) for p in parts)
    everything = sorted(v for p in parts for v in p)
    for q in (0.5, 0.95):
        exact = everything[math.ceil(q * len(everything)) - 1]
        assert histogram_quantile(merged, q) == pytest.approx(exact, rel=0.03)
    assert sum(merged.values()) == 3000 and histogram_quantile({}, 0.5) is None


def test_filters_read_back_what_they_write(aim3s: Store) -> None:
    from low_confidence_queue.metrics.filters import parse_filters

    f = parse_filters({"store": "aim3s", "from": "2026-11-01", "to": "2026-11-30", "model": "v7"})
    assert parse_filters(f.query()) == f and f.days[0].isoformat() == "2026-11-01" and len(f.days) == 30


@pytest.mark.parametrize(("params", "field"), [({"store": "nope"}, "store"), ({"from": "11/01/2026"}, "from"),
                                               ({"from": "2026-11-10", "to": "2026-11-01"}, "to"),
                                               ({"days": "0"}, "days"), ({"days": "5000"}, "days")])
def test_bad_filters_name_the_parameter(aim3s: Store, params: dict[str, Any], field: str) -> None:
    from jwo_review.errors import InvalidInput
    from low_confidence_queue.metrics.filters import parse_filters

    with pytest.raises(InvalidInput) as caught:
        parse_filters(params)
    assert field in caught.value.fields
