"""Claiming annotation slots: claim-next, renew, release, skip, and expired leases.

A slot is held while ``status = 'claimed'``, ``annotator`` is the holder and the lease
is live. Claim-next uses the queue's primitive (``jwo_review.leases``); a gold task is
mixed in at the admin's rate by making the annotator's slot of it on the spot.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from annotation.conf import lease_seconds
from annotation.labelstudio.models import Connection, LinkedTask
from annotation.models import AnnotationSkip, AnnotationSlot, AnnotationTask, SlotStatus, Source
from annotation.services.sources import settings_current
from jwo_review.errors import Conflict, NotFound
from jwo_review.leases import ClaimSpec, claim_first, leases_expire_rows

_SLOTS = AnnotationSlot._meta.db_table
_CLAIM = ClaimSpec(
    model=AnnotationSlot,
    # The partial index annotationslot_claim serves this order; the first NOT EXISTS
    # keeps a second slot of a task from the annotator who holds or did one (the unique
    # constraint backs it when one person claims twice at once). A task sent to an enabled
    # Label Studio connection is labelled there.
    candidates=f"""
        SELECT c.id FROM {_SLOTS} c
         WHERE c.status = 'pending'
           AND NOT EXISTS (SELECT 1 FROM {_SLOTS} o WHERE o.task_id = c.task_id AND o.annotator_id = %(user)s)
           AND NOT EXISTS (SELECT 1 FROM {AnnotationSkip._meta.db_table} s
                            WHERE s.task_id = c.task_id AND s.user_id = %(user)s)
           AND NOT EXISTS (SELECT 1 FROM {LinkedTask._meta.db_table} l
                             JOIN {Connection._meta.db_table} k ON k.id = l.connection_id
                            WHERE l.task_id = c.task_id AND k.enabled)
         ORDER BY c.priority DESC, c.id""",
    returned=["id", "task_id", "priority", "focus", "status", "annotator_id", "claimed_at", "lease_expires_at"],
    holder_column="annotator_id",
)


def _claim_regular(user_id: int, now: datetime) -> AnnotationSlot | None:
    for _ in range(3):
        try:
            slot: AnnotationSlot | None = claim_first(_CLAIM, user_id=user_id, now=now, lease_s=lease_seconds())
            return slot
        except IntegrityError:
            continue  # the same person claimed another slot of that task a moment ago; take the next
    return None


def _claim_gold(user: Any, now: datetime) -> AnnotationSlot | None:
    done = AnnotationSlot.objects.filter(task_id=OuterRef("pk"), annotator=user)
    skipped = AnnotationSkip.objects.filter(task_id=OuterRef("pk"), user=user)
    task = (
        AnnotationTask.objects.filter(source=Source.GOLD)
        .filter(~Exists(done), ~Exists(skipped))
        .order_by("id")
        .only("id", "priority")
        .first()
    )
    if task is None:
        return None
    try:
        with transaction.atomic():
            return AnnotationSlot.objects.create(
                task=task,
                priority=task.priority,
                status=SlotStatus.CLAIMED,
                annotator=user,
                claimed_at=now,
                lease_expires_at=now + timedelta(seconds=lease_seconds()),
                claim_count=1,
            )
    except IntegrityError:
        return None  # a second claim of the same person got it first


def slot_claim_next(*, user: Any, gold_draw: float | None = None) -> AnnotationSlot | None:
    """Give the annotator their next slot under a fresh lease: at the admin's gold rate a
    gold task they have not labelled, else the highest-priority pending slot of a task
    they have not labelled or skipped; None when there is nothing for them.

    ``gold_draw`` (0..1) replaces the random draw, for tests.
    """
    now = timezone.now()
    draw = random.random() if gold_draw is None else gold_draw
    gold_first = draw < settings_current().gold_rate
    order = (_claim_gold, None) if gold_first else (None, _claim_gold)
    for step in order:
        slot = _claim_gold(user, now) if step is not None else _claim_regular(user.pk, now)
        if slot is None and step is None and slots_expire(now=now):
            slot = _claim_regular(user.pk, now)
        if slot is not None:
            return slot
    return None


def slot_held(*, user: Any) -> AnnotationSlot | None:
    """The slot the annotator holds under a live lease, if any."""
    return (
        AnnotationSlot.objects.filter(status=SlotStatus.CLAIMED, annotator=user, lease_expires_at__gt=timezone.now())
        .order_by("claimed_at")
        .first()
    )


def slot_lock_held(slot_id: int, user: Any) -> AnnotationSlot:
    """The slot, row-locked, if ``user`` holds it under a live lease; else Conflict or
    NotFound. Call inside a transaction."""
    return slot_check_held(AnnotationSlot.objects.select_for_update().filter(pk=slot_id).first(), user)


def slot_check_held(slot: AnnotationSlot | None, user: Any) -> AnnotationSlot:
    """``slot`` if ``user`` holds it under a live lease; else Conflict or NotFound."""
    if slot is None:
        raise NotFound("No such annotation slot.")
    if slot.status != SlotStatus.CLAIMED or slot.annotator_id != user.pk:
        raise Conflict("You do not hold this annotation task; start annotating to get one.")
    if slot.lease_expires_at is None or slot.lease_expires_at <= timezone.now():
        raise Conflict("Your lease on this annotation task expired; it went back to the pool.")
    return slot


@transaction.atomic
def slot_renew(*, slot_id: int, user: Any) -> AnnotationSlot:
    slot = slot_lock_held(slot_id, user)
    slot.lease_expires_at = timezone.now() + timedelta(seconds=lease_seconds())
    slot.save(update_fields=["lease_expires_at"])
    return slot


@transaction.atomic
def slot_release(*, slot_id: int, user: Any, skip: bool = False) -> AnnotationSlot:
    """Give a held slot back. With ``skip`` the annotator is not handed this task again.
    A gold slot is removed instead (gold slots exist only while someone holds them)."""
    slot = slot_lock_held(slot_id, user)
    if skip:
        AnnotationSkip.objects.get_or_create(task_id=slot.task_id, user=user)
    if slot.task.source == Source.GOLD:
        slot.delete()
        return slot
    slot.status = SlotStatus.PENDING
    slot.annotator = None
    slot.claimed_at = None
    slot.lease_expires_at = None
    slot.save(update_fields=["status", "annotator", "claimed_at", "lease_expires_at"])
    return slot


@transaction.atomic
def slots_expire(*, now: datetime | None = None) -> int:
    """Return every slot whose lease ran out to the pool (gold slots are dropped); how many."""
    now = now or timezone.now()
    gold, _ = AnnotationSlot.objects.filter(
        status=SlotStatus.CLAIMED, lease_expires_at__lte=now, task__source=Source.GOLD
    ).delete()
    return gold + leases_expire_rows(AnnotationSlot, now=now, holder_field="annotator")
