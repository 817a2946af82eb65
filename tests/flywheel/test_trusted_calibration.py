"""The store a model was calibrated on: its policy may trust that calibration, so it
starts from the model's own threshold instead of the strict start; only a store's own
policy can say so, switching it restarts the store's threshold, and an audit that finds
wrong receipts still tightens it."""

from __future__ import annotations

from typing import Any

import pytest

from inference.models import ModelVersion
from jwo_review.errors import InvalidInput
from jwo_review.store.models import AuditLogEntry, Store
from low_confidence_queue.models import RoutingPolicy, StoreThreshold, ThresholdSource, VisitRouting
from low_confidence_queue.services.policy import policy_for_store, policy_update
from low_confidence_queue.services.routing import threshold_for, visit_route
from low_confidence_queue.services.thresholds import store_threshold_check, store_threshold_current
from tests.flywheel.test_store_thresholds import _reviewed
from tests.queue.conftest import ScoredVisit


def _trust(store: Store | None, trust: bool = True, target: float = 0.995) -> RoutingPolicy:
    current = policy_for_store(store)
    return policy_update(
        store=store,
        actor=None,
        target_accuracy=target,
        audit_rate=current.audit_rate,
        max_basket_value=current.max_basket_value,
        max_basket_items=current.max_basket_items,
        sla_minutes=dict(current.sla_minutes),
        trust_model_calibration=trust,
    )


def test_a_trusted_store_starts_from_the_models_own_threshold_and_is_audited_as_new(
    settings: Any,
    scored_visit: ScoredVisit,
    curved_model: ModelVersion,
    aim3s: Store,
) -> None:
    settings.JWO_NEW_STORE_AUDIT_RATE = 0.25
    _trust(aim3s)
    visit = scored_visit(confidence=0.999)
    visit_route(visit_id=visit.pk)
    row = StoreThreshold.objects.get(store=aim3s)
    assert row.source == ThresholdSource.CALIBRATED and row.evidence["trusted_calibration"]
    assert row.threshold == pytest.approx(threshold_for(curved_model, 0.995))
    assert row.audit_rate == 0.25  # trusted, and checked as hard as a new store
    assert VisitRouting.objects.get(visit=visit).threshold == row.threshold


def test_every_other_store_still_starts_strict(
    settings: Any,
    scored_visit: ScoredVisit,
    curved_model: ModelVersion,
    aim3s: Store,
) -> None:
    settings.JWO_NEW_STORE_STRICTNESS = 5.0
    other = Store.objects.create(code="nf-kiosk", name="Kiosk")
    _trust(aim3s)
    row = store_threshold_current(store=other, model_version=curved_model)
    assert row.source == ThresholdSource.NEW_STORE
    assert row.threshold > threshold_for(curved_model, 0.995)


def test_only_a_stores_own_policy_can_trust_the_calibration(aim3s: Store) -> None:
    with pytest.raises(InvalidInput) as caught:
        _trust(None)
    assert "trust_model_calibration" in caught.value.fields
    assert not policy_for_store(None).trust_model_calibration


def test_switching_trust_restarts_the_stores_threshold_and_is_audited(
    settings: Any,
    curved_model: ModelVersion,
    aim3s: Store,
) -> None:
    settings.JWO_NEW_STORE_STRICTNESS = 5.0
    curved_model.status = "active"
    curved_model.save()
    strict = store_threshold_current(store=aim3s, model_version=curved_model)
    assert strict.source == ThresholdSource.NEW_STORE
    _trust(aim3s)
    row = StoreThreshold.objects.get(store=aim3s)
    assert row.source == ThresholdSource.CALIBRATED and row.threshold < strict.threshold
    assert AuditLogEntry.objects.filter(action="policy_updated").latest("pk").after["trust_model_calibration"]
    _trust(aim3s, trust=False)
    assert StoreThreshold.objects.get(store=aim3s).source == ThresholdSource.NEW_STORE
    entry = AuditLogEntry.objects.filter(action="policy_updated").latest("pk")
    assert entry.before["trust_model_calibration"] is True and entry.after["trust_model_calibration"] is False


def test_audits_that_find_wrong_receipts_tighten_a_trusted_start(
    scored_visit: ScoredVisit, users: dict[str, Any], model_version: ModelVersion, aim3s: Store
) -> None:
    model_version.target_accuracy = 0.9  # the factory's version answers for the target it was made for
    model_version.save()
    _trust(aim3s, target=0.9)
    row = store_threshold_current(store=aim3s, model_version=model_version)
    assert row.source == ThresholdSource.CALIBRATED
    StoreThreshold.objects.filter(pk=row.pk).update(audit_rate=1.0)
    for _ in range(4):
        _reviewed(scored_visit, users, 0.95, right=False)
    row = store_threshold_check(store=aim3s)
    assert row is not None and row.source == ThresholdSource.AUDIT_SHORTFALL and row.threshold > 0.95


def test_the_policy_api_and_page_show_and_set_the_trust(
    client: Any,
    users: dict[str, Any],
    curved_model: ModelVersion,
    aim3s: Store,
) -> None:
    client.force_login(users["admin"])
    sla = dict(policy_for_store(aim3s).sla_minutes)
    body = {"target_accuracy": 0.995, "audit_rate": 0.02, "sla_minutes": sla, "trust_model_calibration": True}
    response = client.put("/api/v1/queue/policies/aim3s/", body, content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["trust_model_calibration"] is True
    response = client.put("/api/v1/queue/policies/default/", body, content_type="application/json")
    assert response.status_code == 400 and "trust_model_calibration" in response.json()["errors"]
    page = client.get("/queue/policy/?store=aim3s").content.decode()
    assert 'name="trust_model_calibration"' in page and "checked" in page
