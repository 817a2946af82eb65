"""Lineage and thresholds through the API and the admin: admins only, every role checked."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from inference.datasets import dataset_snapshot
from inference.models import DatasetVersion, LabelledExample, ModelVersion, Prediction
from jwo_review.store.models import Store
from low_confidence_queue.services.thresholds import store_threshold_current
from tests.conftest import ROLES

ADMIN_ONLY = {"anonymous": 401, "annotator": 403, "reviewer": 403, "store_key": 403, "admin": 200}
PATHS = ["/api/v1/datasets/", "/api/v1/datasets/{dataset}/", "/api/v1/queue/store-thresholds/", "/api/v1/models/"]


@pytest.fixture
def lineage(review_task: Any, users: dict[str, Any], aim3s: Store, model_version: ModelVersion) -> dict[str, Any]:
    from low_confidence_queue.services.claims import task_claim_next
    from low_confidence_queue.services.decisions import task_submit

    review_task()
    task = task_claim_next(user=users["reviewer"])
    assert task is not None
    task_submit(task_id=task.pk, user=users["reviewer"], decision="approve", reason_code="confirmed")
    dataset, _ = dataset_snapshot(store=aim3s)
    child = ModelVersion.objects.create(
        name="child", parent=model_version, dataset_version=dataset, gate={"passed": False}
    )
    store_threshold_current(store=aim3s, model_version=model_version)
    return {"dataset": dataset, "child": child, "task": task}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("path", PATHS)
def test_lineage_and_threshold_endpoints_answer_admins_only(
    client_as: Callable[[str], APIClient], lineage: dict[str, Any], role: str, path: str
) -> None:
    url = path.format(dataset=lineage["dataset"].pk)
    response = client_as(role).get(url)
    assert response.status_code == ADMIN_ONLY[role], (role, url, response.content[:200])


def test_the_api_shows_lineage_from_model_version_to_the_reviewed_visit(
    client_as: Callable[[str], APIClient], lineage: dict[str, Any], model_version: ModelVersion
) -> None:
    client = client_as("admin")
    models = {m["name"]: m for m in client.get("/api/v1/models/").json()}
    child = models["child"]
    assert child["fine_tuned_from"] == model_version.name and child["dataset_version"] == lineage["dataset"].name
    assert child["gate"] == {"passed": False}
    dataset = client.get(f"/api/v1/datasets/{lineage['dataset'].pk}/").json()
    assert dataset["model_versions"] == ["child"] and dataset["store"] == "aim3s"
    receipt = next(e for e in dataset["examples"] if e["kind"] == "receipt")
    assert receipt["visit_id"] == lineage["task"].visit_id and receipt["provenance"]["task"] == lineage["task"].pk
    assert receipt["provenance"]["reviewer"] == "reviewer-user"
    thresholds = client.get("/api/v1/queue/store-thresholds/").json()
    assert [(t["store"], t["model_version"], t["source"]) for t in thresholds] == [
        ("aim3s", model_version.name, "new_store")
    ]


@pytest.mark.parametrize(
    "path",
    ["/admin/inference/datasetversion/", "/admin/inference/storemodel/", "/admin/low_confidence_queue/storethreshold/"],
)
def test_the_admin_lists_lineage_read_only(users: dict[str, Any], lineage: dict[str, Any], path: str) -> None:
    client = Client()
    client.force_login(users["admin"])
    assert client.get(path).status_code == 200
    assert client.get(path + "add/").status_code == 403
    client.force_login(users["reviewer"])
    assert client.get(path).status_code in (302, 403)


def test_the_admin_rolls_a_store_back_or_says_why_it_cannot(users: dict[str, Any], aim3s: Store) -> None:
    from inference.models import StoreModel

    client = Client()
    client.force_login(users["admin"])
    # A store scored by the company-wide model has no row here, so the action has nothing
    # to select; a row whose version has no parent of the store's and no company model to
    # fall back to is refused with the reason.
    orphan = ModelVersion.objects.create(name="store-own", status="retired", target_accuracy=0.995, threshold=0.9)
    row = StoreModel.objects.create(store=aim3s, model_version=orphan)
    response = client.post(
        "/admin/inference/storemodel/", {"action": "rollback", "_selected_action": [row.pk]}, follow=True
    )
    assert response.status_code == 200
    assert "No company-wide active model" in response.content.decode()
    assert StoreModel.objects.filter(store=aim3s, model_version=orphan).exists()


def test_the_admin_lists_thresholds_and_confidences_rounded(users: dict[str, Any], lineage: dict[str, Any]) -> None:
    version = ModelVersion.objects.create(
        name="rounded", status="candidate", target_accuracy=0.995, threshold=0.9984153559060235
    )
    client = Client()
    client.force_login(users["admin"])
    page = client.get("/admin/inference/modelversion/").content.decode()
    assert "0.998415<" in page and "0.9984153559" not in page
    assert client.get(f"/admin/inference/modelversion/{version.pk}/change/").status_code == 200
    lists = {"prediction": Prediction, "labelledexample": LabelledExample}
    for name, model in lists.items():
        row = model.objects.first()
        assert row is not None
        assert f">{row.confidence:.4f}<" in client.get(f"/admin/inference/{name}/").content.decode()


def test_a_versions_admin_page_shows_its_json_indented_with_long_lists_abridged(
    users: dict[str, Any], lineage: dict[str, Any], aim3s: Any
) -> None:
    holdout = [round(1 - i / 10_000, 4) for i in range(2_500)]
    version = ModelVersion.objects.create(
        name="calibrated", status="candidate", target_accuracy=0.995, threshold=0.9,
        calibration={"method": "logistic", "a": 1.4, "holdout": {"confidence": holdout, "wrong": [3, 7]}},
        metrics={"holdout": {"visits": 2500, "reviews_per_1000": 31.8}},
    )
    client = Client()
    client.force_login(users["admin"])
    page = client.get(f"/admin/inference/modelversion/{version.pk}/change/").content.decode()
    assert "… and 2,492 more" in page  # the hold-out's 2,500 confidences: the first eight, then a count
    assert str(holdout[8]) not in page and str(holdout[7]) in page
    assert "&quot;reviews_per_1000&quot;: 31.8" in page  # indented JSON, one key per line
    assert 'name="calibration"' not in page and 'name="metrics"' not in page  # shown, not editable
    dataset = DatasetVersion.objects.create(
        store=aim3s, name="snapshot", content_hash="0" * 64, example_ids=list(range(1, 901)),
        examples=[{"id": i} for i in range(1, 901)], counts={"train": 800, "holdout": 100},
    )
    page = client.get(f"/admin/inference/datasetversion/{dataset.pk}/change/").content.decode()
    assert page.count("… and 892 more") == 2 and "&quot;train&quot;: 800" in page
