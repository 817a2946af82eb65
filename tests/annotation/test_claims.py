"""Claiming slots: overlap to distinct annotators under concurrency, leases, skip, gold mixing."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from annotation.models import AnnotationSettings, AnnotationSlot, AnnotationTask, SlotStatus, Source
from annotation.services.claims import slot_claim_next, slot_release, slots_expire
from annotation.services.labels import label_submit
from annotation.services.sources import task_make
from jwo_review.accounts.roles import Role
from jwo_review.errors import Conflict
from jwo_review.store.models import Store, Visit
from tests.annotation.conftest import RIGHT, VisitMaker


def _bulk_tasks(store: Store, n: int, overlap: int) -> None:
    now = timezone.now()
    visits = Visit.objects.bulk_create(
        [Visit(store=store, client_visit_id=f"bulk-{i}", visit_code=f"B{i}", entered_at=now, exited_at=now,
               payload_sha256="x") for i in range(n)]
    )
    tasks = AnnotationTask.objects.bulk_create(
        [AnnotationTask(visit=v, source=Source.RANDOM, overlap=overlap, priority=i % 7) for i, v in enumerate(visits)]
    )
    AnnotationSlot.objects.bulk_create(
        [AnnotationSlot(task=t, priority=t.priority) for t in tasks for _ in range(overlap)]
    )


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_fifty_threads_take_every_slot_once_and_never_two_of_a_task(
    aim3s: Store, make_user: Callable[..., Any]
) -> None:
    AnnotationSettings.objects.all().delete()
    AnnotationSettings.objects.create(gold_rate=0.0)
    _bulk_tasks(aim3s, 500, 3)
    # Ten annotators, five threads each: the same person claims concurrently too.
    people = [make_user(f"ann-{i}", Role.ANNOTATOR) for i in range(10)]
    claims: list[tuple[int, int, int]] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def work(user: Any) -> None:
        try:
            while True:
                slot = slot_claim_next(user=user)
                if slot is None:
                    return
                with lock:
                    claims.append((slot.pk, slot.task_id, user.pk))
        except BaseException as exc:  # noqa: BLE001  (reported below)
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(people[i % 10],)) for i in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors
    assert len(claims) == 1500
    assert len({c[0] for c in claims}) == 1500, "a slot was handed out twice"
    pairs = Counter((task, user) for _, task, user in claims)
    assert max(pairs.values()) == 1, "an annotator got two slots of one task"
    assert not AnnotationSlot.objects.filter(status=SlotStatus.PENDING).exists()


def test_claim_order_is_priority_first(scored_visit: VisitMaker, users: dict[str, Any]) -> None:
    low = task_make(visit=scored_visit(), source=Source.RANDOM)
    high = task_make(visit=scored_visit(), source=Source.FLAGGED)
    assert low is not None and high is not None
    slot = slot_claim_next(user=users["annotator"])
    assert slot is not None and slot.task_id == high.pk


def test_an_expired_lease_returns_the_slot(scored_visit: VisitMaker, users: dict[str, Any],
                                           make_user: Callable[..., Any]) -> None:
    task = task_make(visit=scored_visit(), source=Source.FLAGGED)
    assert task is not None
    AnnotationSlot.objects.filter(task=task).exclude(pk=task.slots.order_by("id").first().pk).delete()
    slot = slot_claim_next(user=users["annotator"])
    assert slot is not None
    other = make_user("second", Role.ANNOTATOR)
    assert slot_claim_next(user=other) is None
    AnnotationSlot.objects.filter(pk=slot.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    assert slots_expire() == 1
    again = slot_claim_next(user=other)
    assert again is not None and again.pk == slot.pk


def test_submit_without_the_lease_is_refused(scored_visit: VisitMaker, users: dict[str, Any]) -> None:
    task_make(visit=scored_visit(), source=Source.FLAGGED)
    slot = slot_claim_next(user=users["annotator"])
    assert slot is not None
    AnnotationSlot.objects.filter(pk=slot.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(Conflict):
        label_submit(slot_id=slot.pk, user=users["annotator"], events=RIGHT)
    with pytest.raises(Conflict):
        label_submit(slot_id=slot.pk, user=users["admin"], events=RIGHT)
    assert not AnnotationSlot.objects.filter(status=SlotStatus.DONE).exists()


def test_a_skipped_task_is_not_handed_back(scored_visit: VisitMaker, users: dict[str, Any]) -> None:
    task_make(visit=scored_visit(), source=Source.FLAGGED)
    slot = slot_claim_next(user=users["annotator"])
    assert slot is not None
    slot_release(slot_id=slot.pk, user=users["annotator"], skip=True)
    assert slot_claim_next(user=users["annotator"]) is None
    assert slot_claim_next(user=users["admin"]) is not None


def test_gold_is_mixed_in_at_the_draw_and_made_per_annotator(
    scored_visit: VisitMaker, users: dict[str, Any], make_user: Callable[..., Any]
) -> None:
    AnnotationSettings.objects.update(gold_rate=0.2)
    task_make(visit=scored_visit(), source=Source.FLAGGED)
    gold = task_make(visit=scored_visit(), source=Source.GOLD, gold_labels=RIGHT)
    assert gold is not None
    first = slot_claim_next(user=users["annotator"], gold_draw=0.1)
    assert first is not None and first.task_id == gold.pk
    second = slot_claim_next(user=users["annotator"], gold_draw=0.1)  # gold done by them: the regular one
    assert second is not None and second.task_id != gold.pk
    other = make_user("third", Role.ANNOTATOR)
    theirs = slot_claim_next(user=other, gold_draw=0.9)
    assert theirs is not None and theirs.task_id != gold.pk
