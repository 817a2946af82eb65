"""Every review decision is a labelled example with provenance; dataset versions freeze
them; a visit's train / holdout side is fixed by its id."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from inference.datasets import dataset_examples, dataset_snapshot, visit_split
from inference.examples import ExampleSpec, examples_record, receipt_attribution
from inference.models import DatasetVersion, ExampleKind, LabelledExample
from jwo_review.store.models import Store
from jwo_review.store.services.receipts import LineSpec
from low_confidence_queue.models import ReviewTask
from low_confidence_queue.services.claims import task_claim_next
from low_confidence_queue.services.decisions import task_submit

MakeTask = Callable[..., ReviewTask]


def _decide(review_task: MakeTask, user: Any, **kwargs: Any) -> ReviewTask:
    task = review_task()
    claimed = task_claim_next(user=user)
    assert claimed is not None and claimed.pk == task.pk
    return task_submit(task_id=task.pk, user=user, **kwargs)


def test_a_correction_becomes_a_receipt_example_with_provenance(review_task: MakeTask, users: dict[str, Any]) -> None:
    task = _decide(
        review_task,
        users["reviewer"],
        decision="correct",
        reason_code="wrong_product",
        lines=[LineSpec("AIM3S-001", 2, 1)],
    )
    example = LabelledExample.objects.get(visit_id=task.visit_id, kind=ExampleKind.RECEIPT)
    assert example.source == "review:low_confidence" and example.store_id == task.visit.store_id
    assert example.lines == [{"sku": "AIM3S-001", "quantity": 2, "shopper_track_id": 1}]
    prov = example.provenance
    assert prov["reviewer"] == users["reviewer"].username and prov["task"] == task.pk
    assert prov["decision"] == "correct" and prov["store"] == "aim3s" and prov["decided_at"]
    assert prov["routing_reason"] == "low_confidence"


def test_an_approval_is_an_example_too_and_deciding_again_updates_it(
    review_task: MakeTask, users: dict[str, Any]
) -> None:
    task = _decide(review_task, users["reviewer"], decision="approve", reason_code="confirmed")
    rows = LabelledExample.objects.filter(visit_id=task.visit_id, kind=ExampleKind.RECEIPT)
    assert [(r.source, r.lines) for r in rows] == [
        ("review:low_confidence", [{"sku": "AIM3S-002", "quantity": 1, "shopper_track_id": 1}])
    ]


def _line(sku: str, qty: int) -> dict[str, Any]:
    return {"sku": sku, "quantity": qty, "shopper_track_id": 1}


def _assign(seq: int, sku: str, qty: int, track: int, action: str = "pick") -> dict[str, Any]:
    return {"event": seq, "action": action, "sku": sku, "quantity": qty, "track_id": track, "on_receipt": True}


def test_a_swapped_product_is_attributed_to_the_one_event_that_made_the_line() -> None:
    labels = receipt_attribution(
        assignments=[_assign(0, "A", 1, 1), _assign(1, "B", 2, 1)],
        proposed=[_line("A", 1), _line("B", 2)],
        final=[_line("C", 1), _line("B", 2)],
    )
    assert labels == {
        0: {"action": "pick", "sku": "C", "quantity": 1, "track_id": 1},
        1: {"action": "pick", "sku": "B", "quantity": 2, "track_id": 1},
    }


def test_an_ambiguous_correction_labels_only_the_untouched_events() -> None:
    # Two events made line A; the reviewer lowered it by one: which event was wrong is unknown.
    labels = receipt_attribution(
        assignments=[_assign(0, "A", 1, 1), _assign(1, "A", 1, 1), _assign(2, "B", 1, 1)],
        proposed=[_line("A", 2), _line("B", 1)],
        final=[_line("A", 1), _line("B", 1)],
    )
    assert sorted(labels) == [2]


def test_a_removed_line_with_one_event_labels_that_event_no_pick() -> None:
    labels = receipt_attribution(
        assignments=[_assign(0, "A", 1, 1)],
        proposed=[{"sku": "A", "quantity": 1, "shopper_track_id": 1}],
        final=[],
    )
    assert labels == {0: {"action": "noise", "sku": "", "quantity": 0, "track_id": None}}


def _annotation_example(visit_id: int, store: Store, sku: str) -> None:
    from jwo_review.store.models import Visit

    examples_record(
        visit=Visit.objects.get(pk=visit_id),
        source="annotation:corrected",
        examples=[
            ExampleSpec(
                ref="event:0",
                action="pick",
                confidence=0.97,
                event_seq=0,
                sku=sku,
                quantity=1,
                track_id=1,
                provenance={"task": 1, "annotators": ["a", "b"]},
            )
        ],
    )


def test_a_dataset_version_never_changes(review_task: MakeTask, users: dict[str, Any], aim3s: Store) -> None:
    task = _decide(review_task, users["reviewer"], decision="approve", reason_code="confirmed")
    _annotation_example(task.visit_id, aim3s, "AIM3S-002")
    first, created = dataset_snapshot(store=aim3s)
    assert created and first.counts["examples"] == 2
    frozen = [dict(r) for r in first.examples]
    again, created_again = dataset_snapshot(store=aim3s)
    assert again.pk == first.pk and not created_again  # same content: the same version
    # The annotation is consolidated again (its example updated in place) and another visit is reviewed.
    _annotation_example(task.visit_id, aim3s, "AIM3S-001")
    _decide(review_task, users["reviewer"], decision="approve", reason_code="confirmed")
    second, created = dataset_snapshot(store=aim3s)
    assert created and second.content_hash != first.content_hash and second.counts["examples"] == 3
    stored = DatasetVersion.objects.get(pk=first.pk)
    assert stored.examples == frozen and stored.content_hash == first.content_hash
    assert [r["sku"] for r in stored.examples if r["kind"] == "event"] == ["AIM3S-002"]
    with pytest.raises(ValueError):
        stored.save()


def test_a_visit_never_moves_between_train_and_holdout(
    review_task: MakeTask, users: dict[str, Any], aim3s: Store
) -> None:
    sides = {v: visit_split(v) for v in range(1, 20001)}
    assert 0.28 < sum(s == "holdout" for s in sides.values()) / len(sides) < 0.32
    assert all(visit_split(v) == s for v, s in sides.items())  # a function of the id alone
    for _ in range(3):
        _decide(review_task, users["reviewer"], decision="approve", reason_code="confirmed")
    first, _ = dataset_snapshot(store=aim3s)
    _decide(review_task, users["reviewer"], decision="approve", reason_code="confirmed")
    second, _ = dataset_snapshot(store=aim3s)
    for split in ("train", "holdout"):
        before = {r["visit_id"] for r in dataset_examples(first, split=split)}
        after = {r["visit_id"] for r in dataset_examples(second, split=split)}
        assert before <= after
    assert {r["visit_id"] for r in dataset_examples(second, split="train")}.isdisjoint(
        {r["visit_id"] for r in dataset_examples(second, split="holdout")}
    )
