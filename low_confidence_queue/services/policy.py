"""Routing policy: which settings apply to a store, and editing them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from jwo_review.errors import InvalidInput
from jwo_review.store.models import Store
from jwo_review.store.services.audit import audit_record
from low_confidence_queue.models import Reason, RoutingPolicy

SLA_LIMITS_MIN = (1, 7 * 24 * 60)


def policy_for_store(store: Store | None) -> RoutingPolicy:
    """The store's own policy, else the global default (created on first use)."""
    if store is not None:
        own = RoutingPolicy.objects.filter(store=store).first()
        if own is not None:
            return own
    default = RoutingPolicy.objects.filter(store__isnull=True).first()
    if default is None:
        default, _ = RoutingPolicy.objects.get_or_create(store=None)
    return default


def _clean_sla(sla_minutes: dict[str, Any]) -> dict[str, int]:
    errors: dict[str, list[str]] = {}
    clean: dict[str, int] = {}
    for reason in Reason.values:
        value = sla_minutes.get(reason)
        try:
            minutes = int(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            errors[f"sla_minutes.{reason}"] = ["Give the SLA in whole minutes."]
            continue
        if not SLA_LIMITS_MIN[0] <= minutes <= SLA_LIMITS_MIN[1]:
            errors[f"sla_minutes.{reason}"] = [f"Between {SLA_LIMITS_MIN[0]} and {SLA_LIMITS_MIN[1]} minutes."]
        clean[reason] = minutes
    unknown = sorted(set(sla_minutes) - set(Reason.values))
    if unknown:
        errors["sla_minutes"] = [f"Unknown reasons: {', '.join(unknown)}."]
    if errors:
        raise InvalidInput("The SLA is invalid; nothing was changed.", fields=errors)
    return clean


@transaction.atomic
def policy_update(
    *,
    store: Store | None,
    actor: Any,
    target_accuracy: float,
    audit_rate: float,
    max_basket_value: Decimal | None,
    max_basket_items: int | None,
    sla_minutes: dict[str, Any],
    trust_model_calibration: bool = False,
) -> RoutingPolicy:
    """Set the policy of ``store`` (or the global default). It applies to visits routed
    from now on; visits already routed keep the decision they got."""
    errors: dict[str, list[str]] = {}
    if not 0.5 <= target_accuracy <= 0.9999:
        errors["target_accuracy"] = ["Between 0.5 and 0.9999."]
    if not 0.0 <= audit_rate <= 1.0:
        errors["audit_rate"] = ["Between 0 and 1."]
    if max_basket_value is not None and max_basket_value < 0:
        errors["max_basket_value"] = ["Must not be negative."]
    if max_basket_items is not None and max_basket_items < 1:
        errors["max_basket_items"] = ["At least 1."]
    if trust_model_calibration and store is None:
        errors["trust_model_calibration"] = [
            "Only a store's own policy can trust the model's calibration: it was measured on one store's visits."
        ]
    if errors:
        raise InvalidInput("The policy is invalid; nothing was changed.", fields=errors)
    sla = _clean_sla(sla_minutes)
    policy, created = RoutingPolicy.objects.select_for_update().get_or_create(store=store)
    before = None if created else policy_snapshot(policy)
    policy.target_accuracy = target_accuracy
    policy.audit_rate = audit_rate
    policy.max_basket_value = max_basket_value
    policy.max_basket_items = max_basket_items
    policy.sla_minutes = sla
    policy.trust_model_calibration = trust_model_calibration
    policy.updated_by = actor if getattr(actor, "pk", None) else None
    policy.updated_at = timezone.now()
    policy.full_clean()
    policy.save()
    after = policy_snapshot(policy)
    if before != after:
        audit_record(action="policy_updated", actor=actor, target=policy, before=before, after=after)
    if store is not None and (before or {}).get("trust_model_calibration", False) != trust_model_calibration:
        _restart_threshold(store)
    return policy


def _restart_threshold(store: Store) -> None:
    """The store's threshold starts again from where the policy now says (the model's own
    threshold, or the strict start), or from its evidence once that supports one."""
    from inference.selectors import active_model
    from low_confidence_queue.services.thresholds import store_threshold_refresh

    version = active_model()
    if version is not None:
        store_threshold_refresh(store=store, model_version=version)


def policy_snapshot(policy: RoutingPolicy) -> dict[str, Any]:
    """The policy's settings as JSON (what an audit entry shows before and after)."""
    return {
        "store": policy.store.code if policy.store else None,
        "target_accuracy": policy.target_accuracy,
        "audit_rate": policy.audit_rate,
        "max_basket_value": None if policy.max_basket_value is None else str(policy.max_basket_value),
        "max_basket_items": policy.max_basket_items,
        "sla_minutes": dict(policy.sla_minutes),
        "trust_model_calibration": policy.trust_model_calibration,
    }


def policies_all() -> list[RoutingPolicy]:
    policy_for_store(None)
    return list(RoutingPolicy.objects.select_related("store", "updated_by").order_by("store__code"))
