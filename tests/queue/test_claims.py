"""Claim-next order, leases, renewal, release, skip, and who may submit."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from jwo_review.errors import Conflict
from jwo_review.store.models import Clip
from low_confidence_queue.models import ReviewTask, TaskStatus
from low_confidence_queue.services.claims import (
    lease_renew,
    leases_expire,
    task_claim_next,
    task_held,
    task_release,
)
from low_confidence_queue.services.decisions import task_submit
from low_confidence_queue.tasks import sweep_leases
from tests.queue.render import render_clip

MakeTask = Callable[..., ReviewTask]


def test_claim_next_takes_highest_priority_then_oldest(review_task: MakeTask, users: dict[str, Any]) -> None:
    old, new, urgent = review_task(), review_task(), review_task()
    ReviewTask.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=1))
    ReviewTask.objects.filter(pk=urgent.pk).update(priority=500)
    order = [task_claim_next(user=users["reviewer"]) for _ in range(3)]
    assert [t.pk for t in order if t] == [urgent.pk, old.pk, new.pk]
    assert task_claim_next(user=users["reviewer"]) is None


def test_a_claim_sets_holder_and_lease(review_task: MakeTask, users: dict[str, Any], settings: Any) -> None:
    settings.JWO_QUEUE_LEASE_S = 90
    review_task()
    task = task_claim_next(user=users["reviewer"])
    assert task is not None and task.status == TaskStatus.CLAIMED and task.claimed_by_id == users["reviewer"].pk
    assert task.lease_expires_at is not None
    assert 85 < (task.lease_expires_at - timezone.now()).total_seconds() <= 90
    assert task_held(user=users["reviewer"]) == task


def test_an_expired_lease_returns_the_task_to_the_queue(review_task: MakeTask, users: dict[str, Any]) -> None:
    review_task()
    task = task_claim_next(user=users["reviewer"])
    assert task is not None
    ReviewTask.objects.filter(pk=task.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    assert sweep_leases() == 1
    task.refresh_from_db()
    assert task.status == TaskStatus.PENDING and task.claimed_by is None
    again = task_claim_next(user=users["admin"])
    assert again is not None and again.pk == task.pk


def test_a_live_lease_is_not_swept(review_task: MakeTask, users: dict[str, Any]) -> None:
    review_task()
    task_claim_next(user=users["reviewer"])
    assert leases_expire() == 0


def test_claim_next_sweeps_when_nothing_is_pending(review_task: MakeTask, users: dict[str, Any]) -> None:
    review_task()
    task = task_claim_next(user=users["reviewer"])
    assert task is not None
    ReviewTask.objects.filter(pk=task.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    again = task_claim_next(user=users["admin"])
    assert again is not None and again.pk == task.pk and again.claimed_by_id == users["admin"].pk


def test_renewal_extends_the_lease(review_task: MakeTask, users: dict[str, Any]) -> None:
    review_task()
    task = task_claim_next(user=users["reviewer"])
    assert task is not None and task.lease_expires_at is not None
    ReviewTask.objects.filter(pk=task.pk).update(lease_expires_at=timezone.now() + timedelta(seconds=5))
    renewed = lease_renew(task_id=task.pk, user=users["reviewer"])
    assert renewed.lease_expires_at is not None
    assert renewed.lease_expires_at > timezone.now() + timedelta(seconds=60)


@pytest.mark.parametrize("holder_state", ["other_reviewer", "expired", "released", "never_claimed"])
def test_a_reviewer_without_the_lease_cannot_submit_or_renew(
    review_task: MakeTask, users: dict[str, Any], make_user: Callable[..., Any], holder_state: str
) -> None:
    from jwo_review.accounts.roles import Role

    task = review_task()
    me = users["reviewer"]
    if holder_state == "other_reviewer":
        other = make_user("other-reviewer", Role.REVIEWER)
        assert task_claim_next(user=other) is not None
    elif holder_state == "expired":
        task_claim_next(user=me)
        ReviewTask.objects.filter(pk=task.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    elif holder_state == "released":
        task_claim_next(user=me)
        task_release(task_id=task.pk, user=me)
    with pytest.raises(Conflict):
        task_submit(task_id=task.pk, user=me, decision="approve", reason_code="confirmed")
    with pytest.raises(Conflict):
        lease_renew(task_id=task.pk, user=me)
    task.refresh_from_db()
    assert task.status != TaskStatus.DONE and task.receipt_id is None


def test_release_keeps_the_place_in_the_queue(review_task: MakeTask, users: dict[str, Any]) -> None:
    first, second = review_task(), review_task()
    ReviewTask.objects.filter(pk=first.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    claimed = task_claim_next(user=users["reviewer"])
    assert claimed is not None and claimed.pk == first.pk
    task_release(task_id=first.pk, user=users["reviewer"])
    again = task_claim_next(user=users["reviewer"])
    assert again is not None and again.pk == first.pk
    assert second.pk != first.pk


def test_a_skipped_task_goes_to_someone_else(review_task: MakeTask, users: dict[str, Any]) -> None:
    only = review_task()
    assert task_claim_next(user=users["reviewer"]) is not None
    task_release(task_id=only.pk, user=users["reviewer"], skip=True)
    assert task_claim_next(user=users["reviewer"]) is None
    other = task_claim_next(user=users["admin"])
    assert other is not None and other.pk == only.pk


def test_peek_renders_the_next_visit_ahead_but_hands_out_no_link_to_it(
    review_task: MakeTask, users: dict[str, Any]
) -> None:
    first, second = review_task(), review_task()
    ReviewTask.objects.filter(pk=first.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    reviewer = users["reviewer"]
    assert task_claim_next(user=reviewer).pk == first.pk  # type: ignore[union-attr]
    api = APIClient()
    api.force_authenticate(reviewer)
    answer = api.post("/api/v1/queue/peek/")
    assert answer.status_code == 200
    peeked = answer.json()
    assert peeked and all("url" not in clip for clip in peeked)
    ahead = Clip.objects.filter(pk__in=[c["id"] for c in peeked])
    assert {c.visit_id for c in ahead} == {second.visit_id}
    for clip in ahead:  # the render worker's part (queued at commit)
        render_clip(clip.pk)
    browser = Client()
    browser.force_login(reviewer)
    clip_url = Clip.objects.get(pk=peeked[0]["id"]).file.url
    assert browser.get(clip_url).status_code == 403  # not yet this reviewer's visit
    task_release(task_id=first.pk, user=reviewer)
    ReviewTask.objects.filter(pk=first.pk).update(created_at=timezone.now())
    assert task_claim_next(user=reviewer).pk == second.pk  # type: ignore[union-attr]
    assert browser.get(clip_url).status_code == 200


def test_home_says_how_many_visits_wait_and_for_how_long(review_task: MakeTask, users: dict[str, Any]) -> None:
    client = Client()
    client.force_login(users["reviewer"])
    assert "Nothing waiting for you." in client.get("/").content.decode()
    old, _ = review_task(), review_task()
    ReviewTask.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(minutes=12), sla_due_at=timezone.now() - timedelta(minutes=2)
    )
    body = client.get("/").content.decode()
    assert 'id="work-review"><strong>2 visits waiting, the oldest for 12 min; 1 past their SLA.' in body
    # A task this reviewer skipped waits for others, not for them.
    held = task_claim_next(user=users["reviewer"])
    assert held is not None
    task_release(task_id=held.pk, user=users["reviewer"], skip=True)
    body = client.get("/").content.decode()
    assert 'id="work-review"><strong>1 visit waiting, the oldest for' in body
