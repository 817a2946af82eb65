"""Pages of annotation: the annotator's home (their work, "Start annotating") and the workspace."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from annotation.conf import lease_seconds
from annotation.models import AnnotationSlot
from annotation.selectors import annotator_recent, annotator_stats, slot_page_data, task_counts, tasks_available
from annotation.services.claims import slot_claim_next, slot_held
from jwo_review.accounts.roles import Role, has_role
from low_confidence_queue.views import roles_required


@roles_required(Role.ANNOTATOR, Role.ADMIN)
def home_page(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "annotation/home.html",
        {
            "available": tasks_available(user=request.user),
            "held": slot_held(user=request.user),
            "recent": annotator_recent(user=request.user),
            "stats": annotator_stats(user_id=request.user.pk),
            "counts": task_counts() if has_role(request.user, Role.ADMIN) else None,
        },
    )


@require_POST
@roles_required(Role.ANNOTATOR, Role.ADMIN)
def next_slot(request: HttpRequest) -> HttpResponse:
    """Finish-and-get-next: the slot you hold, else the next one."""
    slot = slot_held(user=request.user) or slot_claim_next(user=request.user)
    if slot is None:
        messages.info(request, "Nothing to annotate right now. Thank you!")
        return redirect("annotation")
    return redirect("annotation-slot", slot_id=slot.pk)


@roles_required(Role.ANNOTATOR, Role.ADMIN)
def workspace_page(request: HttpRequest, slot_id: int) -> HttpResponse:
    held = slot_held(user=request.user)
    if held is None or held.pk != slot_id:
        messages.warning(request, "You do not hold that task (its lease may have expired). Take the next one.")
        return redirect("annotation")
    slot = AnnotationSlot.objects.select_related("task__visit__store").get(pk=slot_id)
    return render(
        request,
        "annotation/workspace.html",
        {"slot": slot, "data": slot_page_data(slot), "lease_s": lease_seconds()},
    )
