"""Routing: right after scoring, each visit either gets its final receipt from the
model or becomes a review task with a reason, a priority and an SLA deadline."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from inference.doubt import doubted_skus, least_sure
from inference.models import ModelVersion, Prediction
from jwo_review.errors import InvalidInput
from jwo_review.store.models import Product, Visit, VisitStatus, WeightEvent
from jwo_review.store.services.lifecycle import visits_advance
from jwo_review.store.services.receipts import LineSpec, receipt_issue
from low_confidence_queue.broadcast import queue_changed
from low_confidence_queue.conf import PRIORITY
from low_confidence_queue.models import (
    Reason,
    ReviewTask,
    RoutingOutcome,
    RoutingPolicy,
    VisitRouting,
)
from low_confidence_queue.services.policy import policy_for_store

log = logging.getLogger(__name__)
_random = secrets.SystemRandom()


def threshold_for(model_version: ModelVersion, target_accuracy: float) -> float:
    """The confidence at or above which receipts are auto-issued for ``target_accuracy``.

    The model's calibration knows the curve (``inference.services.threshold_for_target``);
    a registry without it can only answer for the target the model was calibrated at,
    and any other target then falls back to reviewing everything (threshold above 1).
    """
    # Imported here: the model's services pull in torch, which the web tier need not load.
    try:
        from inference import services as model_services
    except ImportError:
        model_services = None  # type: ignore[assignment]
    function = getattr(model_services, "threshold_for_target", None)
    if function is not None:
        return float(function(model_version, target_accuracy))
    if abs(target_accuracy - model_version.target_accuracy) < 1e-9:
        return float(model_version.threshold)
    return 1.0 + 1e-9


def prediction_lines(prediction: Prediction) -> list[LineSpec]:
    return [
        LineSpec(
            sku=str(line["sku"]),
            quantity=int(line["quantity"]),
            shopper_track_id=line.get("shopper_track_id"),
            confidence=line.get("probability"),
        )
        for line in prediction.lines
    ]


def task_open(
    *,
    visit: Visit,
    reason: str,
    detail: str,
    policy: RoutingPolicy,
    prediction: Prediction | None,
    priority: int | None = None,
) -> ReviewTask:
    """Open a review task (caller holds the visit's row lock and has checked none is open)."""
    now = timezone.now()
    minutes = int(policy.sla_minutes.get(reason, 60))
    task = ReviewTask.objects.create(
        visit=visit,
        prediction=prediction,
        reason=reason,
        reason_detail=detail[:200],
        priority=PRIORITY[reason] if priority is None else priority,
        created_at=now,
        sla_due_at=now + timedelta(minutes=minutes),
    )
    queue_changed()
    return task


@dataclass(frozen=True)
class RouteResult:
    visit_id: int
    outcome: str
    reason: str
    created: bool


def _rule_hit(lines: list[LineSpec], policy: RoutingPolicy) -> str:
    items = sum(line.quantity for line in lines)
    if policy.max_basket_items is not None and items > policy.max_basket_items:
        return f"{items} units, above the limit of {policy.max_basket_items}"
    if policy.max_basket_value is not None:
        prices = dict(Product.objects.filter(sku__in={line.sku for line in lines}).values_list("sku", "price"))
        value = sum((prices.get(line.sku, Decimal("0")) * line.quantity for line in lines), Decimal("0"))
        if value > policy.max_basket_value:
            return f"basket worth {value}, above the limit of {policy.max_basket_value}"
    return ""


def _prediction_for(visit: Visit) -> Prediction | None:
    # The version's calibration record is large and only read on a threshold cache miss.
    from inference.selectors import model_for_store

    qs = Prediction.objects.filter(visit=visit).select_related("model_version").defer("model_version__calibration")
    current = model_for_store(visit.store_id)
    return (qs.filter(model_version=current).first() if current else None) or qs.order_by("-created_at").first()


@transaction.atomic
def visit_route(*, visit_id: int) -> RouteResult | None:
    """Route one scored visit. Idempotent: a visit already routed keeps its decision.

    Returns None when the visit has no prediction yet.
    """
    # The row lock serialises two routers of the same visit (a retried hook, two workers).
    visit = Visit.objects.select_for_update().select_related("store").get(pk=visit_id)
    existing = VisitRouting.objects.filter(visit=visit).first()
    if existing is not None:
        return RouteResult(visit.pk, existing.outcome, existing.reason, created=False)
    prediction = _prediction_for(visit)
    if prediction is None:
        return None
    policy = policy_for_store(visit.store)
    model = prediction.model_version
    # Imported here: the store thresholds module builds on this one.
    from low_confidence_queue.services.thresholds import store_threshold_current

    earned = store_threshold_current(store=visit.store, model_version=model)
    # An admin who raises the policy's audit rate is obeyed at once; a lower one reaches a
    # store still gathering evidence at its next refresh.
    threshold, audit_rate = earned.threshold, max(earned.audit_rate, policy.audit_rate)
    lines = prediction_lines(prediction)
    reason, detail = "", ""
    rule = _rule_hit(lines, policy)
    if rule:
        reason, detail = Reason.RULE, rule
    elif prediction.confidence < threshold:
        reason, detail = Reason.LOW_CONFIDENCE, f"confidence {prediction.confidence:.3f} below {threshold:.3f}"
        times = list(WeightEvent.objects.filter(visit=visit).order_by("seq").values_list("t_start", flat=True))
        skus = doubted_skus(prediction.event_assignments)
        names = dict(Product.objects.filter(sku__in=skus).values_list("sku", "name"))
        doubt = least_sure(prediction.event_assignments, times, names)
        detail += f"; least sure: {doubt}" if doubt else ""
    elif audit_rate > 0 and _random.random() < audit_rate:
        reason, detail = Reason.AUDIT, f"random audit sample ({audit_rate:.1%})"
    outcome = RoutingOutcome.REVIEW if reason else RoutingOutcome.AUTO_ISSUED
    if not reason:
        try:
            with transaction.atomic():
                receipt_issue(
                    visit=visit,
                    lines=lines,
                    source="model",
                    actor_label=f"model {model.name}",
                    model_version=model.name,
                    action="auto_issued",
                    details={"confidence": prediction.confidence, "threshold": threshold},
                )
        except InvalidInput as exc:
            # A prediction the receipt rules reject (e.g. an unknown shopper) needs a person.
            outcome, reason, detail = RoutingOutcome.REVIEW, Reason.RULE, f"model receipt rejected: {exc.message}"
    if outcome == RoutingOutcome.REVIEW:
        task_open(visit=visit, reason=reason, detail=detail, policy=policy, prediction=prediction)
    visits_advance(
        visit_ids=[visit.pk], to=VisitStatus.IN_REVIEW if outcome == RoutingOutcome.REVIEW else VisitStatus.FINAL
    )
    VisitRouting.objects.create(
        visit=visit,
        outcome=outcome,
        reason=reason,
        reason_detail=detail[:200],
        confidence=prediction.confidence,
        threshold=threshold,
        model_version=model.name,
        policy=policy,
        policy_updated_at=policy.updated_at,
        audit_rate=audit_rate,
    )
    return RouteResult(visit.pk, outcome, reason, created=True)


def visits_route(*, visit_ids: Iterable[int]) -> list[RouteResult]:
    """Route each visit in its own transaction, so one failure does not hold back the rest."""
    results = []
    for visit_id in visit_ids:
        try:
            result = visit_route(visit_id=visit_id)
        except Visit.DoesNotExist:
            continue
        if result is not None:
            results.append(result)
    return results
