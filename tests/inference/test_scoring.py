"""Scoring stored visits: predictions, status, hooks, idempotency, and no active model."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from typing import Any
from unittest import mock

import pytest
from django.test import override_settings

from inference import hooks
from inference.context import StoreContext
from inference.models import ModelVersion, Prediction
from inference.services import model_promote, visits_score
from jwo_review.store.models import Store, Visit, VisitStatus
from jwo_review.store.services.ingest import visits_ingest
from tests.inference.payloads import make_visit

pytestmark = pytest.mark.django_db
SCORED: list[list[int]] = []


def record_scored(visit_ids: list[int]) -> None:
    SCORED.append(list(visit_ids))


@pytest.fixture
def stored(aim3s: Store, ctx: StoreContext) -> list[int]:
    rng = random.Random(21)
    payloads = [make_visit(ctx, rng, 500 + i, stranger=i % 2 == 0)["payload"] for i in range(5)]
    with override_settings(JWO_VISITS_INGESTED_HOOKS=[]):
        return [r.id for r in visits_ingest(payloads=payloads, source="tests")]


@override_settings(JWO_VISITS_SCORED_HOOKS=["tests.inference.test_scoring.record_scored"])
def test_scoring_stores_a_prediction_per_visit_and_calls_the_hooks(
    stored: list[int], register: Callable[..., ModelVersion], django_capture_on_commit_callbacks: Any
) -> None:
    version = model_promote(model_version=register())
    SCORED.clear()
    with django_capture_on_commit_callbacks(execute=True):
        scored = visits_score(visit_ids=stored)
    assert sorted(scored) == sorted(stored) and [sorted(stored)] == SCORED
    predictions = Prediction.objects.filter(model_version=version)
    assert predictions.count() == len(stored)
    p = predictions.first()
    assert p is not None and 0.0 <= p.confidence <= 1.0 and p.latency_ms >= 0
    assert len(p.event_assignments) == p.visit.weight_events.count()
    assert {"action", "sku", "quantity", "track_id", "probabilities"} <= set(p.event_assignments[0])
    for line in p.lines:
        assert {"sku", "quantity", "shopper_track_id", "probability"} <= set(line) and line["quantity"] > 0
    assert set(Visit.objects.filter(pk__in=stored).values_list("status", flat=True)) == {VisitStatus.SCORED}


@override_settings(JWO_VISITS_SCORED_HOOKS=["tests.inference.test_scoring.record_scored"])
def test_scoring_again_adds_nothing_and_reports_nothing(
    stored: list[int], register: Callable[..., ModelVersion], django_capture_on_commit_callbacks: Any
) -> None:
    model_promote(model_version=register())
    visits_score(visit_ids=stored)
    before = list(Prediction.objects.order_by("pk").values_list("pk", "confidence"))
    SCORED.clear()
    with django_capture_on_commit_callbacks(execute=True):
        again = visits_score(visit_ids=stored + stored[:2])
    assert again == [] and SCORED == []
    assert list(Prediction.objects.order_by("pk").values_list("pk", "confidence")) == before


def test_scoring_keeps_a_later_status(stored: list[int], register: Callable[..., ModelVersion]) -> None:
    Visit.objects.filter(pk=stored[0]).update(status=VisitStatus.FINAL)
    model_promote(model_version=register())
    visits_score(visit_ids=stored[:1])
    assert Visit.objects.get(pk=stored[0]).status == VisitStatus.FINAL


def test_without_an_active_model_visits_stay_received(
    stored: list[int], register: Callable[..., ModelVersion], caplog: pytest.LogCaptureFixture
) -> None:
    register()  # a candidate only
    with caplog.at_level(logging.WARNING, logger="inference.services"):
        assert visits_score(visit_ids=stored) == []
    assert "No active model" in caplog.text
    assert Prediction.objects.count() == 0
    assert set(Visit.objects.filter(pk__in=stored).values_list("status", flat=True)) == {VisitStatus.RECEIVED}


def test_ingest_hook_queues_scoring_in_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hooks, "SCORING_CHUNK", 2)
    with mock.patch("inference.tasks.score_visits.delay") as delay:
        hooks.visits_ingested([1, 2, 3])
    assert [c.args[0] for c in delay.call_args_list] == [[1, 2], [3]]


def test_ingest_queues_scoring_after_commit(
    aim3s: Store, ctx: StoreContext, django_capture_on_commit_callbacks: Any
) -> None:
    payload = make_visit(ctx, random.Random(22), 777)["payload"]
    with mock.patch("inference.tasks.score_visits.delay") as delay:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            result = visits_ingest(payloads=[payload])
        assert not delay.called
        for callback in callbacks:
            callback()
    delay.assert_called_once_with([result[0].id])


def test_scoring_task_runs_the_service(stored: list[int], register: Callable[..., ModelVersion]) -> None:
    from inference.tasks import score_visits

    model_promote(model_version=register())
    assert score_visits.apply(args=[stored]).get() == len(stored)
    assert Prediction.objects.count() == len(stored)
