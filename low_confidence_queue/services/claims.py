"""Claims and leases: claim-next, renew, release, skip, and the sweep of expired leases.

A task is held by a reviewer while ``status = 'claimed'``, ``claimed_by`` is them and
``lease_expires_at`` is in the future. The open workspace renews the lease; a reviewer
who walks away loses it and the sweep puts the task back in the queue.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from jwo_review.errors import Conflict, NotFound
from jwo_review.leases import ClaimSpec, claim_first, leases_expire_rows
from low_confidence_queue.broadcast import queue_changed
from low_confidence_queue.conf import lease_seconds
from low_confidence_queue.models import ReviewTask, TaskSkip, TaskStatus

# What callers of claim-next read; other fields load on first access (deferred).
_CLAIM = ClaimSpec(
    model=ReviewTask,
    # The partial index reviewtask_claim_order serves exactly this order.
    candidates=f"""
        SELECT c.id FROM {ReviewTask._meta.db_table} c
         WHERE c.status = 'pending'
           AND NOT EXISTS (SELECT 1 FROM {TaskSkip._meta.db_table} s WHERE s.task_id = c.id AND s.user_id = %(user)s)
         ORDER BY c.priority DESC, c.created_at, c.id""",
    returned=[
        "id",
        "visit_id",
        "prediction_id",
        "reason",
        "priority",
        "status",
        "created_at",
        "sla_due_at",
        "claimed_by_id",
        "claimed_at",
        "lease_expires_at",
        "claim_count",
    ],
)


def _claim_once(user_id: int, now: datetime) -> ReviewTask | None:
    task: ReviewTask | None = claim_first(_CLAIM, user_id=user_id, now=now, lease_s=lease_seconds())
    return task


def task_claim_next(*, user: Any) -> ReviewTask | None:
    """Give the user the highest-priority, oldest pending task they have not skipped,
    under a fresh lease; None when the queue has nothing for them.

    Runs as its own short statement (autocommit) so the row lock lasts microseconds.
    When nothing is pending, expired leases are swept once first, so a queue keeps
    moving even where the beat schedule is not running.
    """
    now = timezone.now()
    task = _claim_once(user.pk, now)
    if task is None and leases_expire(now=now):
        task = _claim_once(user.pk, now)
    if task is not None:
        queue_changed()
    return task


def task_held(*, user: Any) -> ReviewTask | None:
    """The task the user currently holds under a live lease, if any."""
    return (
        ReviewTask.objects.filter(status=TaskStatus.CLAIMED, claimed_by=user, lease_expires_at__gt=timezone.now())
        .order_by("claimed_at")
        .first()
    )


def task_lock_held(task_id: int, user: Any) -> ReviewTask:
    """The task, row-locked, if ``user`` holds it under a live lease; else Conflict/NotFound.
    Call inside a transaction."""
    task = ReviewTask.objects.select_for_update().filter(pk=task_id).first()
    if task is None:
        raise NotFound("No such review task.")
    if task.status != TaskStatus.CLAIMED or task.claimed_by_id != user.pk:
        raise Conflict("You do not hold this task; claim it from the queue first.")
    if task.lease_expires_at is None or task.lease_expires_at <= timezone.now():
        raise Conflict("Your lease on this task expired; it went back to the queue.")
    return task


@transaction.atomic
def lease_renew(*, task_id: int, user: Any) -> ReviewTask:
    """Extend the holder's lease by the lease length from now."""
    task = task_lock_held(task_id, user)
    task.lease_expires_at = timezone.now() + timedelta(seconds=lease_seconds())
    task.save(update_fields=["lease_expires_at"])
    return task


@transaction.atomic
def task_release(*, task_id: int, user: Any, skip: bool = False) -> ReviewTask:
    """Put a held task back in the queue, keeping its place. With ``skip`` the user
    will not be handed this task again."""
    task = task_lock_held(task_id, user)
    task.status = TaskStatus.PENDING
    task.claimed_by = None
    task.claimed_at = None
    task.lease_expires_at = None
    task.save(update_fields=["status", "claimed_by", "claimed_at", "lease_expires_at"])
    if skip:
        TaskSkip.objects.get_or_create(task=task, user=user)
    queue_changed()
    return task


@transaction.atomic
def leases_expire(*, now: datetime | None = None) -> int:
    """Return every task whose lease ran out to the queue; how many."""
    count = leases_expire_rows(ReviewTask, now=now or timezone.now())
    if count:
        queue_changed()
    return count
