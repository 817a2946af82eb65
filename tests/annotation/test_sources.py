"""Each task source makes its tasks once, with auto-labels stored; again makes none."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from annotation.models import AnnotationSettings, AnnotationSlot, AnnotationTask, Source
from annotation.services.sources import (
    in_random_sample,
    tasks_from_corrections,
    tasks_from_flagged,
    tasks_from_gold,
    tasks_from_hard_cases,
    tasks_from_random_sample,
)
from jwo_review.celery import app as celery_app
from jwo_review.simulator.models import VisitTruth
from low_confidence_queue.models import Decision, Reason, ReviewTask, RoutingOutcome, TaskStatus, VisitRouting
from tests.annotation.conftest import VisitMaker


def _review(visit: Any, **fields: Any) -> ReviewTask:
    return ReviewTask.objects.create(
        visit=visit, reason=Reason.LOW_CONFIDENCE, status=TaskStatus.DONE, sla_due_at=timezone.now(), **fields
    )


def _auto_issued(visit: Any) -> None:
    VisitRouting.objects.create(visit=visit, outcome=RoutingOutcome.AUTO_ISSUED, confidence=0.99, threshold=0.9,
                                model_version="m")


def test_flagged_visits_become_tasks_once(scored_visit: VisitMaker) -> None:
    flagged, plain = scored_visit(), scored_visit()
    _review(flagged, flag_for_annotation=True, decision=Decision.APPROVE)
    _review(plain, decision=Decision.APPROVE)
    assert tasks_from_flagged().created == 1
    assert tasks_from_flagged().created == 0
    task = AnnotationTask.objects.get()
    assert task.visit_id == flagged.pk and task.source == Source.FLAGGED
    assert [a["seq"] for a in task.auto_labels] == [0, 1, 2]
    assert task.auto_labels[0]["action"] == "pick" and task.auto_labels[0]["sku"] == "AIM3S-002"
    assert AnnotationSlot.objects.filter(task=task).count() == 2


def test_corrected_reviews_become_tasks_once(scored_visit: VisitMaker) -> None:
    corrected, approved = scored_visit(), scored_visit()
    _review(corrected, decision=Decision.CORRECT)
    _review(approved, decision=Decision.APPROVE)
    assert tasks_from_corrections().created == 1
    assert tasks_from_corrections().created == 0
    assert AnnotationTask.objects.get().visit_id == corrected.pk


def test_hard_cases_take_the_most_doubtful_within_the_daily_budget(scored_visit: VisitMaker) -> None:
    AnnotationSettings.objects.update(hard_case_budget=2)
    visits = [scored_visit() for _ in range(4)]
    for v in visits:
        _auto_issued(v)
    # The last one's least sure event is far more doubtful than the others'.
    p = visits[3].predictions.get()
    p.event_assignments = [{**a, "probabilities": {"action": {a["action"]: 0.3}, "product": 0.3}}
                           for a in p.event_assignments]
    p.save()
    assert tasks_from_hard_cases().created == 2
    assert tasks_from_hard_cases().created == 0  # the day's budget is spent
    chosen = set(AnnotationTask.objects.filter(source=Source.HARD_CASE).values_list("visit_id", flat=True))
    assert visits[3].pk in chosen


def test_random_sample_is_the_hash_share_of_auto_issued_visits(scored_visit: VisitMaker) -> None:
    AnnotationSettings.objects.update(random_rate=0.5)
    visits = [scored_visit() for _ in range(12)]
    for v in visits:
        _auto_issued(v)
    expected = {v.pk for v in visits if in_random_sample(v.pk, 0.5)}
    assert tasks_from_random_sample().created == len(expected)
    assert tasks_from_random_sample().created == 0
    assert set(AnnotationTask.objects.values_list("visit_id", flat=True)) == expected


def test_gold_tasks_come_from_simulated_truth_with_the_answer_hidden(scored_visit: VisitMaker) -> None:
    visit = scored_visit()
    labels = [{"action": "pick", "sku": "AIM3S-002", "quantity": 1, "track_id": 1},
              {"action": "noise", "sku": None, "quantity": 0, "track_id": None},
              {"action": "put_back", "sku": "AIM3S-002", "quantity": 1, "track_id": 1}]
    VisitTruth.objects.create(visit=visit, scenario="default", seed=1, index=0, truth={"event_labels": labels})
    assert tasks_from_gold().created == 1
    assert tasks_from_gold().created == 0
    task = AnnotationTask.objects.get(source=Source.GOLD)
    assert task.gold_labels is not None
    assert [g["action"] for g in task.gold_labels] == ["pick", "noise", "put_back"]
    assert not task.slots.exists()  # made per annotator when handed out


@pytest.mark.django_db(transaction=True)
def test_a_review_decision_queues_its_annotation_task(
    scored_visit: VisitMaker, users: dict[str, Any], settings: Any
) -> None:
    from low_confidence_queue.services.claims import task_claim_next
    from low_confidence_queue.services.decisions import task_submit
    from low_confidence_queue.services.routing import visit_route

    settings.JWO_REVIEW_DECIDED_HOOKS = ["annotation.hooks.review_task_decided"]
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    visit = scored_visit()
    visit_route(visit_id=visit.pk)
    task = task_claim_next(user=users["reviewer"])
    assert task is not None
    try:
        task_submit(task_id=task.pk, user=users["reviewer"], decision="approve", reason_code="confirmed",
                    flag_for_annotation=True)
    finally:
        celery_app.conf.task_always_eager = eager
    assert AnnotationTask.objects.filter(visit=visit, source=Source.FLAGGED).count() == 1
