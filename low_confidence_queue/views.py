"""Pages of the review queue: the queue, the reviewer workspace and the policy editor."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from inference.selectors import active_model
from jwo_review.accounts.roles import Role, has_role
from jwo_review.errors import InvalidInput
from jwo_review.store.models import Store
from low_confidence_queue.conf import lease_seconds
from low_confidence_queue.forms import PolicyForm
from low_confidence_queue.models import Reason, ReviewTask, TaskStatus
from low_confidence_queue.selectors import queue_stats, review_rate
from low_confidence_queue.services.claims import task_claim_next, task_held
from low_confidence_queue.services.policy import policies_all, policy_for_store, policy_update
from low_confidence_queue.services.routing import threshold_for
from low_confidence_queue.services.thresholds import store_thresholds_all
from low_confidence_queue.workspace import workspace_data

View = Callable[..., HttpResponse]


def roles_required(*roles: Role) -> Callable[[View], View]:
    def decorate(view: View) -> View:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not has_role(request.user, *roles):
                return HttpResponseForbidden("Your role may not open this page.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


@roles_required(Role.REVIEWER, Role.ADMIN)
def queue_page(request: HttpRequest) -> HttpResponse:
    recent = (
        ReviewTask.objects.filter(decided_by_id=request.user.pk, status=TaskStatus.DONE)
        .select_related("visit")
        .order_by("-decided_at")[:10]
    )
    return render(
        request,
        "low_confidence_queue/queue.html",
        {
            "stats": queue_stats(),
            "rate": review_rate(hours=24),
            "held": task_held(user=request.user),
            "recent": recent,
            "policy": policy_for_store(None),
            "reasons": list(Reason),
        },
    )


@require_POST
@roles_required(Role.REVIEWER, Role.ADMIN)
def queue_next(request: HttpRequest) -> HttpResponse:
    """Finish-and-get-next: your held task if you have one, else the next in the queue."""
    task = task_held(user=request.user) or task_claim_next(user=request.user)
    if task is None:
        messages.info(request, "The queue is empty. Nice work.")
        return redirect("queue")
    return redirect("queue-task", task_id=task.pk)


@roles_required(Role.REVIEWER, Role.ADMIN)
def workspace_page(request: HttpRequest, task_id: int) -> HttpResponse:
    held = task_held(user=request.user)
    if held is None or held.pk != task_id:
        messages.warning(request, "You do not hold that task (its lease may have expired). Take the next one.")
        return redirect("queue")
    task = ReviewTask.objects.select_related("visit__store", "prediction__model_version").get(pk=task_id)
    data = workspace_data(task)
    return render(
        request,
        "low_confidence_queue/workspace.html",
        {
            "task": task,
            "data": data,
            "lease_s": lease_seconds(),
        },
    )


@require_http_methods(["GET", "POST"])
@roles_required(Role.ADMIN)
def policy_page(request: HttpRequest) -> HttpResponse:
    scope = request.GET.get("store") or request.POST.get("store") or "default"
    store = Store.objects.filter(code=scope).first() if scope != "default" else None
    current = policy_for_store(store)
    initial = {
        "target_accuracy": current.target_accuracy,
        "audit_rate": current.audit_rate,
        "max_basket_value": current.max_basket_value,
        "max_basket_items": current.max_basket_items,
        "trust_model_calibration": current.trust_model_calibration,
        **{f"sla_{k}": v for k, v in current.sla_minutes.items()},
    }
    form = PolicyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            policy_update(
                store=store,
                actor=request.user,
                target_accuracy=form.cleaned_data["target_accuracy"],
                audit_rate=form.cleaned_data["audit_rate"],
                max_basket_value=form.cleaned_data["max_basket_value"],
                max_basket_items=form.cleaned_data["max_basket_items"],
                sla_minutes=form.sla(),
                trust_model_calibration=form.cleaned_data["trust_model_calibration"],
            )
        except InvalidInput as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                "Policy saved. It applies to visits routed from now on; visits already routed keep their decision.",
            )
            return redirect(f"{request.path}?store={scope}")
    model = active_model()
    return render(
        request,
        "low_confidence_queue/policy.html",
        {
            "form": form,
            "scope": scope,
            "stores": Store.objects.all(),
            "policies": policies_all(),
            "inherits": store is not None and current.store_id is None,
            "model": model,
            "threshold": threshold_for(model, current.target_accuracy) if model else None,
            "store_thresholds": store_thresholds_all(),
        },
    )
