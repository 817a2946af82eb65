"""Submitting labels: validation, consolidation, the adaptive third opinion, gold
accuracy and flagging, labelled examples with provenance."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from annotation.models import (
    AnnotationSettings,
    AnnotationTask,
    AnnotatorQuality,
    Label,
    SlotStatus,
    Source,
    TaskStatus,
)
from annotation.services.claims import slot_claim_next
from annotation.services.labels import label_submit
from annotation.services.quality import quality_refit
from annotation.services.sources import task_make
from inference.models import LabelledExample
from jwo_review.accounts.roles import Role
from jwo_review.errors import InvalidInput
from tests.annotation.conftest import RIGHT, VisitMaker


def _label(user: Any, events: list[dict[str, Any]], added: list[dict[str, Any]] | None = None) -> Label:
    slot = slot_claim_next(user=user)
    assert slot is not None
    wanted = slot.focus or [e["seq"] for e in events]
    return label_submit(slot_id=slot.pk, user=user, events=[e for e in events if e["seq"] in wanted], added=added)


@pytest.fixture
def two(make_user: Callable[..., Any]) -> list[Any]:
    return [make_user("ann-a", Role.ANNOTATOR), make_user("ann-b", Role.ANNOTATOR), make_user("ann-c", Role.ANNOTATOR)]


def test_agreeing_labels_become_examples_with_provenance(scored_visit: VisitMaker, two: list[Any]) -> None:
    visit = scored_visit()
    task = task_make(visit=visit, source=Source.FLAGGED)
    assert task is not None
    _label(two[0], RIGHT)
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN
    _label(two[1], RIGHT)
    task.refresh_from_db()
    assert task.status == TaskStatus.CONSOLIDATED and task.agreement == pytest.approx(1.0) or task.agreement is None
    examples = {e.ref: e for e in LabelledExample.objects.filter(visit=visit)}
    assert set(examples) == {"event:0", "event:1", "event:2"}
    put_back = examples["event:2"]
    assert (put_back.action, put_back.sku, put_back.quantity, put_back.track_id) == ("put_back", "AIM3S-002", 1, 1)
    assert put_back.source == "annotation:flagged" and put_back.store_id == visit.store_id
    assert put_back.provenance["task"] == task.pk
    assert put_back.provenance["annotators"] == sorted([two[0].pk, two[1].pk])
    assert put_back.confidence > 0.9


def test_a_disagreement_asks_a_third_annotator_about_that_event_only(scored_visit: VisitMaker, two: list[Any]) -> None:
    visit = scored_visit()
    task = task_make(visit=visit, source=Source.FLAGGED)
    assert task is not None
    wrong = copy.deepcopy(RIGHT)
    wrong[1]["sku"] = "AIM3S-001"
    _label(two[0], RIGHT)
    _label(two[1], wrong)
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN and task.overlap == 3
    third = task.slots.get(status=SlotStatus.PENDING)
    assert third.focus == [1]
    label = _label(two[2], RIGHT)
    assert [e["seq"] for e in label.events] == [1]
    task.refresh_from_db()
    assert task.status == TaskStatus.CONSOLIDATED
    assert LabelledExample.objects.get(visit=visit, ref="event:1").sku == "AIM3S-002"


def test_invalid_labels_are_refused_with_field_details_and_nothing_saved(
    scored_visit: VisitMaker, users: dict[str, Any]
) -> None:
    task_make(visit=scored_visit(), source=Source.FLAGGED)
    slot = slot_claim_next(user=users["annotator"])
    assert slot is not None
    bad = copy.deepcopy(RIGHT)
    bad[0]["sku"] = "NOPE-1"
    bad[1]["quantity"] = 0
    with pytest.raises(InvalidInput) as exc:
        label_submit(slot_id=slot.pk, user=users["annotator"], events=bad[:2] + [],
                     added=[{"t": 999.0, "action": "pick", "sku": "AIM3S-002", "quantity": 1}])
    fields = exc.value.fields
    assert "events[0].sku" in fields and "events[1].quantity" in fields and "added[0].t" in fields
    assert "events" in fields  # seq 2 missing
    assert not Label.objects.exists()


def test_gold_accuracy_per_annotator_and_the_bar_flags(scored_visit: VisitMaker, two: list[Any]) -> None:
    AnnotationSettings.objects.update(gold_rate=1.0, gold_bar=0.8)
    wrong = copy.deepcopy(RIGHT)
    for e in wrong:
        e["sku"] = "AIM3S-001"
    for _ in range(4):  # 4 gold visits x 3 events = 12 gold events each
        task_make(visit=scored_visit(), source=Source.GOLD, gold_labels=RIGHT)
    for _ in range(4):
        _label(two[0], RIGHT)
        _label(two[1], wrong)
    good = AnnotatorQuality.objects.get(annotator=two[0])
    bad = AnnotatorQuality.objects.get(annotator=two[1])
    assert good.gold_events == 12 and good.gold_accuracy["sku"] == 1.0 and not good.flagged
    assert bad.gold_accuracy["sku"] == 0.0 and bad.gold_accuracy["action"] == 1.0 and bad.flagged
    # A flagged annotator's next labels count for less.
    AnnotationSettings.objects.update(gold_rate=0.0)
    task_make(visit=scored_visit(), source=Source.FLAGGED)
    assert _label(two[1], RIGHT).weight == 0.5


def test_refit_learns_who_is_careful(scored_visit: VisitMaker, two: list[Any]) -> None:
    AnnotationSettings.objects.update(gold_rate=1.0)
    sloppy = copy.deepcopy(RIGHT)
    sloppy[2]["action"] = "pick"
    for _ in range(3):
        task_make(visit=scored_visit(), source=Source.GOLD, gold_labels=RIGHT)
        _label(two[0], RIGHT)
        _label(two[1], sloppy)
    assert quality_refit()["annotators"] == 2
    careful = AnnotatorQuality.objects.get(annotator=two[0]).accuracy["action"]
    hasty = AnnotatorQuality.objects.get(annotator=two[1]).accuracy["action"]
    assert careful > hasty


def test_an_added_interaction_needs_a_majority(scored_visit: VisitMaker, two: list[Any]) -> None:
    visit = scored_visit()
    task = task_make(visit=visit, source=Source.CORRECTED)
    assert task is not None
    missed = [{"t": 70.0, "action": "pick", "sku": "AIM3S-010", "quantity": 1, "track_id": 1}]
    _label(two[0], RIGHT, added=missed)
    _label(two[1], RIGHT, added=[{**missed[0], "t": 71.0}])
    task = AnnotationTask.objects.get(pk=task.pk)
    assert task.status == TaskStatus.CONSOLIDATED
    example = LabelledExample.objects.get(visit=visit, kind="missed")
    assert example.sku == "AIM3S-010" and example.t == pytest.approx(70.5)
