"""The registry: one active version, promote and roll back, the threshold for any target, and the API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from rest_framework.test import APIClient

from inference.calibration import NEVER
from inference.models import ModelStatus, ModelVersion
from inference.services import model_promote, model_rollback, threshold_for_target
from jwo_review.errors import Conflict, InvalidInput
from tests.conftest import ROLES

pytestmark = pytest.mark.django_db


def test_registered_version_is_a_candidate_with_weights_and_lineage(register: Callable[..., ModelVersion]) -> None:
    version = register()
    assert version.status == ModelStatus.CANDIDATE
    assert version.weights.name.endswith(".pt") and version.weights.size > 1000
    assert version.training_data["source"] == "tests"
    assert set(version.calibration) >= {"a", "b", "holdout", "baseline"}
    assert "receipt_accuracy" in version.metrics["holdout"]


def test_promoting_retires_the_previous_active_version(register: Callable[..., ModelVersion]) -> None:
    first, second = register(), register()
    model_promote(model_version=first)
    model_promote(model_version=second)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (ModelStatus.RETIRED, ModelStatus.ACTIVE)
    assert first.retired_at is not None and second.activated_at is not None
    assert ModelVersion.objects.filter(status=ModelStatus.ACTIVE).count() == 1


def test_the_database_refuses_two_active_versions(register: Callable[..., ModelVersion]) -> None:
    first, second = register(), register()
    model_promote(model_version=first)
    with pytest.raises(IntegrityError), transaction.atomic():
        ModelVersion.objects.filter(pk=second.pk).update(status=ModelStatus.ACTIVE)


def test_rollback_reactivates_the_previous_version(register: Callable[..., ModelVersion]) -> None:
    first, second = register(), register()
    model_promote(model_version=first)
    model_promote(model_version=second)
    assert model_rollback().pk == first.pk
    second.refresh_from_db()
    assert second.status == ModelStatus.RETIRED


def test_rollback_without_history_is_a_conflict(register: Callable[..., ModelVersion]) -> None:
    model_promote(model_version=register())
    with pytest.raises(Conflict):
        model_rollback()


def test_promoting_a_version_without_weights_is_refused(db: None) -> None:
    bare = ModelVersion.objects.create(name="no-weights")
    with pytest.raises(InvalidInput):
        model_promote(model_version=bare)


def test_threshold_rises_with_the_target(register: Callable[..., ModelVersion]) -> None:
    version = register()
    loose, strict = threshold_for_target(version, 0.5), threshold_for_target(version, 0.999)
    assert loose <= strict <= NEVER
    assert threshold_for_target(version, version.target_accuracy) == pytest.approx(version.threshold)
    with pytest.raises(InvalidInput):
        threshold_for_target(version, 1.0)


ADMIN_ONLY = {"anonymous": (401, 403), "annotator": (403,), "reviewer": (403,), "store_key": (401, 403)}


@pytest.mark.parametrize("role", ROLES)
def test_model_list_is_for_admins_only(
    role: str, client_as: Callable[[str], APIClient], register: Callable[..., ModelVersion]
) -> None:
    register()
    response = client_as(role).get("/api/v1/models/")
    if role == "admin":
        assert response.status_code == 200 and len(response.json()) == 1
        row = response.json()[0]
        assert "calibration" not in row
        version = ModelVersion.objects.get(pk=row["id"])
        assert row["baseline_threshold"] == pytest.approx(version.calibration["baseline"]["threshold"])
    else:
        assert response.status_code in ADMIN_ONLY[role]


@pytest.mark.parametrize("role", ROLES)
def test_model_detail_and_threshold_are_for_admins_only(
    role: str, client_as: Callable[[str], APIClient], register: Callable[..., ModelVersion]
) -> None:
    version = register()
    client = client_as(role)
    detail = client.get(f"/api/v1/models/{version.pk}/")
    threshold = client.get(f"/api/v1/models/{version.pk}/threshold/?target=0.95")
    if role == "admin":
        assert detail.status_code == 200 and detail.json()["name"] == version.name
        assert threshold.status_code == 200 and 0 <= threshold.json()["threshold"] <= NEVER
        assert client.get(f"/api/v1/models/{version.pk}/threshold/?target=2").status_code == 400
    else:
        assert detail.status_code in ADMIN_ONLY[role] and threshold.status_code in ADMIN_ONLY[role]


@pytest.mark.parametrize("role", ROLES)
def test_promote_and_rollback_are_for_admins_only(
    role: str, client_as: Callable[[str], APIClient], register: Callable[..., ModelVersion], users: dict[str, Any]
) -> None:
    first, second = register(), register()
    client = client_as(role)
    promoted = client.post(f"/api/v1/models/{first.pk}/promote/")
    client.post(f"/api/v1/models/{second.pk}/promote/")
    rolled = client.post("/api/v1/models/rollback/")
    first.refresh_from_db()
    if role == "admin":
        assert promoted.status_code == 200 and promoted.json()["status"] == "active"
        assert rolled.status_code == 200 and rolled.json()["id"] == first.pk
        assert first.status == ModelStatus.ACTIVE and first.activated_by == users["admin"]
    else:
        assert promoted.status_code in ADMIN_ONLY[role] and rolled.status_code in ADMIN_ONLY[role]
        assert first.status == ModelStatus.CANDIDATE


def test_rollback_with_nothing_to_return_to_answers_409(client_as: Callable[[str], APIClient]) -> None:
    response = client_as("admin").post("/api/v1/models/rollback/")
    assert response.status_code == 409 and "roll back" in response.json()["detail"]
