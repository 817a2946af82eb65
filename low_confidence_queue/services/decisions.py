"""Review decisions and disputes: the ways a person changes a visit's receipt."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from inference.examples import review_examples
from inference.models import Prediction
from jwo_review.accounts.permissions import is_store_client
from jwo_review.errors import Conflict, InvalidInput, NotFound
from jwo_review.store.models import Receipt, Visit, VisitStatus
from jwo_review.store.services.audit import audit_record
from jwo_review.store.services.lifecycle import visits_advance
from jwo_review.store.services.receipts import LineSpec, receipt_issue, receipt_line_specs, receipt_lines_diff
from low_confidence_queue.broadcast import queue_changed
from low_confidence_queue.models import Decision, Reason, ReviewTask, TaskStatus
from low_confidence_queue.services.claims import task_lock_held
from low_confidence_queue.services.policy import policy_for_store
from low_confidence_queue.services.retrain_due import retrain_if_due
from low_confidence_queue.services.routing import prediction_lines, task_open

REASON_CODES: dict[str, str] = {
    "confirmed": "Prediction confirmed",
    "wrong_product": "Wrong product (look-alike)",
    "wrong_quantity": "Wrong quantity",
    "wrong_shopper": "Wrong shopper of the group",
    "missed_item": "Item missed",
    "phantom_item": "Item not taken (put back / no-op)",
    "other": "Other (see comment)",
}


def proposed_lines(task: ReviewTask) -> list[LineSpec]:
    """What the reviewer starts from: the current final receipt when there is one (a
    dispute), else the model's prediction."""
    final = Receipt.objects.filter(visit_id=task.visit_id, is_final=True).first()
    if final is not None:
        return receipt_line_specs(final)
    prediction = task.prediction or Prediction.objects.filter(visit_id=task.visit_id).order_by("-created_at").first()
    return prediction_lines(prediction) if prediction is not None else []


@transaction.atomic
def task_submit(
    *,
    task_id: int,
    user: Any,
    decision: str,
    reason_code: str,
    lines: Sequence[LineSpec] | None = None,
    comment: str = "",
    flag_for_annotation: bool = False,
    flag_note: str = "",
) -> ReviewTask:
    """Decide a task the user holds: issue the visit's final receipt as a new version
    (approve keeps the proposed lines; correct gives new ones), with the diff, the
    reviewer, the reason code and the time spent in the audit log.

    Raises Conflict when the user does not hold the task under a live lease,
    InvalidInput for a bad decision, reason code or lines (nothing is written then).
    """
    task = task_lock_held(task_id, user)
    errors: dict[str, list[str]] = {}
    if decision not in Decision.values:
        errors["decision"] = [f"One of {', '.join(Decision.values)}."]
    if reason_code not in REASON_CODES:
        errors["reason_code"] = [f"One of {', '.join(REASON_CODES)}."]
    if decision == Decision.CORRECT and lines is None:
        errors["lines"] = ["A correction needs the corrected lines (an empty list removes every line)."]
    if len(comment) > 2000:
        errors["comment"] = ["At most 2000 characters."]
    if errors:
        raise InvalidInput("The decision is invalid; nothing was changed.", fields=errors)
    now = timezone.now()
    spent = round((now - task.claimed_at).total_seconds(), 1) if task.claimed_at else None
    proposed = proposed_lines(task)
    final_lines = list(lines) if decision == Decision.CORRECT and lines is not None else proposed
    # The receipt's own diff is against the previous receipt version, and a low-confidence
    # visit has none; the review is judged against what the reviewer was shown.
    shown = [{"sku": x.sku, "quantity": x.quantity, "shopper_track_id": x.shopper_track_id} for x in proposed]
    receipt = receipt_issue(
        visit=task.visit,
        lines=final_lines,
        source="review",
        actor=user,
        action="review_corrected" if decision == Decision.CORRECT else "review_approved",
        details={
            "task_id": task.pk,
            "routing_reason": task.reason,
            "decision": decision,
            "reason_code": reason_code,
            "comment": comment,
            "time_spent_s": spent,
            "flag_for_annotation": flag_for_annotation,
            "proposed_lines": shown,
            "diff_from_proposed": receipt_lines_diff(proposed, final_lines),
        },
    )
    visits_advance(visit_ids=[task.visit_id], to=VisitStatus.FINAL)
    task.status = TaskStatus.DONE
    task.decision = decision
    task.reason_code = reason_code
    task.comment = comment
    task.decided_by = user
    task.decided_at = now
    task.time_spent_s = spent
    task.receipt = receipt
    task.flag_for_annotation = flag_for_annotation
    task.flag_note = flag_note[:300]
    task.lease_expires_at = None
    task.save()
    _examples_record(task=task, user=user, shown=shown, final_lines=final_lines, now=now)
    retrain_if_due(store=task.visit.store)
    if task.reason == Reason.AUDIT and decision == Decision.CORRECT:
        # An audit that found a wrong receipt may push the store's bound below its target.
        from low_confidence_queue.tasks import check_store_threshold

        store_id = task.visit.store_id
        transaction.on_commit(lambda: check_store_threshold.delay(store_id))
    queue_changed()
    visit_id = task.visit_id
    for path in settings.JWO_REVIEW_DECIDED_HOOKS:
        transaction.on_commit(partial(import_string(path), visit_id))
    return task


def _examples_record(
    *, task: ReviewTask, user: Any, shown: list[dict[str, Any]], final_lines: Sequence[LineSpec], now: Any
) -> None:
    """Every decision is a labelled example: the final receipt, and the event labels it
    implies where they are unambiguous (``inference.examples.receipt_attribution``)."""
    prediction = task.prediction
    review_examples(
        visit=task.visit,
        routing_reason=task.reason,
        lines=[{"sku": x.sku, "quantity": x.quantity, "shopper_track_id": x.shopper_track_id} for x in final_lines],
        proposed=shown,
        assignments=list(prediction.event_assignments) if prediction is not None else [],
        model_lines=list(prediction.lines) if prediction is not None else None,
        provenance={
            "task": task.pk,
            "store": task.visit.store.code,
            "routing_reason": task.reason,
            "decision": task.decision,
            "reviewer": getattr(user, "username", str(user)),
            "decided_at": now.isoformat(),
            "model_version": prediction.model_version.name if prediction is not None else None,
        },
    )


@transaction.atomic
def visit_dispute(*, visit_id: int, actor: Any, reason: str) -> ReviewTask:
    """Reopen a visit with a final receipt as a high-priority review task, because the
    store (or an admin) says the receipt is wrong. Appends a ``disputed`` audit entry."""
    # Locked so a dispute and a review decision on the same visit happen one after the other.
    visit = Visit.objects.select_for_update().select_related("store").filter(pk=visit_id).first()
    if visit is None or (is_store_client(actor) and visit.store_id != actor.store_id):
        raise NotFound("No such visit.")
    reason = reason.strip()
    if not reason or len(reason) > 500:
        raise InvalidInput("Say why the receipt is disputed.", fields={"reason": ["1 to 500 characters."]})
    if ReviewTask.objects.filter(visit=visit, status__in=[TaskStatus.PENDING, TaskStatus.CLAIMED]).exists():
        raise Conflict("This visit is already in the review queue.")
    final = Receipt.objects.filter(visit=visit, is_final=True).first()
    if final is None:
        raise Conflict("Only a visit with a final receipt can be disputed.")
    prediction = Prediction.objects.filter(visit=visit).order_by("-created_at").first()
    task = task_open(
        visit=visit, reason=Reason.DISPUTE, detail=reason, policy=policy_for_store(visit.store), prediction=prediction
    )
    visits_advance(visit_ids=[visit.pk], to=VisitStatus.DISPUTED)
    audit_record(
        action="disputed",
        actor=actor,
        visit=visit,
        receipt=final,
        details={"reason": reason, "task_id": task.pk, "receipt_version": final.version},
    )
    queue_changed()
    return task
