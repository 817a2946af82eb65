"""The demo's simulated history: a promotion the review-rate chart marks, rollups that
match the raw rows, and a second run that adds nothing."""

from __future__ import annotations

from typing import Any

from inference.models import ModelVersion
from jwo_review.store.models import Store, Visit
from low_confidence_queue.metrics.filters import MetricsFilter
from low_confidence_queue.metrics.series import DashboardRows, markers, review_rate_series, review_rate_series_raw
from low_confidence_queue.models import ReviewTask
from low_confidence_queue.services.history import PREVIOUS_MODEL, demo_history_seed
from tests.dashboard.conftest import day


def test_history_shows_a_promotion_and_its_effect_on_the_review_rate(
    aim3s: Store, model_version: ModelVersion, users: dict[str, Any]
) -> None:
    result = demo_history_seed(days=8, visits_per_day=60, promotion_days_ago=4, seed=3)
    assert result.visits == 8 * 60 and result.days_rolled_up == 8 and result.tasks > 0
    f = MetricsFilter(since=day(8), until=day(1))
    rows = DashboardRows(f)
    series = review_rate_series(rows)
    assert series == review_rate_series_raw(f)
    kinds = {(m["kind"], m["day"]) for m in markers(rows)}
    assert ("promotion", day(4).isoformat()) in kinds and ("retired", day(4).isoformat()) in kinds
    before = sum(r["reviews"] for r in series[:4]) / sum(r["visits"] for r in series[:4])
    after = sum(r["reviews"] for r in series[5:]) / sum(r["visits"] for r in series[5:])
    assert after < before / 1.5, (before, after)
    assert ModelVersion.objects.get(name=PREVIOUS_MODEL).retired_at == ModelVersion.objects.get(
        pk=model_version.pk).activated_at
    assert ReviewTask.objects.filter(visit__source="history", reason="dispute").exists()


def test_seeding_twice_adds_nothing(aim3s: Store, model_version: ModelVersion) -> None:
    demo_history_seed(days=3, visits_per_day=20)
    count = Visit.objects.count()
    assert demo_history_seed(days=3, visits_per_day=20).visits == 0
    assert Visit.objects.count() == count
