"""POST /api/v1/visits/: storing, idempotency, validation, concurrency."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from rest_framework.test import APIClient

from jwo_review.accounts.services import store_key_create
from jwo_review.store.models import Shopper, Store, VisionEvent, Visit, WeightEvent
from tests.factories import visit_payload

URL = "/api/v1/visits/"


def _counts() -> tuple[int, int, int, int]:
    return (Visit.objects.count(), Shopper.objects.count(), WeightEvent.objects.count(), VisionEvent.objects.count())


def test_a_visit_is_stored_with_all_its_events(client_as: Callable[[str], APIClient]) -> None:
    response = client_as("store_key").post(URL, visit_payload(), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["created"] is True and body["status"] == "received"
    visit = Visit.objects.get(pk=body["id"])
    assert visit.weight_events.get().plate.code == "S5P3"
    assert visit.vision_events.get().product_scores["AIM3S-002"] == pytest.approx(0.8)
    assert list(visit.shoppers.values_list("track_id", flat=True)) == [1]


def test_posting_the_same_visit_twice_stores_it_once(client_as: Callable[[str], APIClient]) -> None:
    client, payload = client_as("store_key"), visit_payload()
    first = client.post(URL, payload, format="json")
    second = client.post(URL, payload, format="json")
    assert first.status_code == 201 and second.status_code == 200
    assert second.json() == {**first.json(), "created": False}
    assert _counts() == (1, 1, 1, 1)


def test_same_id_with_different_content_is_a_conflict(client_as: Callable[[str], APIClient]) -> None:
    client, payload = client_as("store_key"), visit_payload()
    client.post(URL, payload, format="json")
    changed = {**payload, "visit_code": "OTHER1"}
    response = client.post(URL, changed, format="json")
    assert response.status_code == 409
    assert "client_visit_id" in response.json()["errors"]
    assert Visit.objects.get().visit_code == payload["visit_code"]


def test_a_batch_is_stored_and_reports_each_visit(client_as: Callable[[str], APIClient]) -> None:
    payloads = [visit_payload() for _ in range(3)]
    response = client_as("store_key").post(URL, {"visits": payloads}, format="json")
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["client_visit_id"] for r in results] == [p["client_visit_id"] for p in payloads]
    assert all(r["created"] for r in results)
    assert Visit.objects.count() == 3


def _bad(mutate: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    payload = visit_payload()
    mutate(payload)
    return payload


BAD_INPUTS: list[tuple[str, Callable[[dict[str, Any]], None], str]] = [
    ("unknown store", lambda p: p.update(store="nowhere"), "store"),
    ("unknown plate", lambda p: p["weight_events"][0].update(plate="S9P99"), "weight_events[0].plate"),
    (
        "unknown product",
        lambda p: p["vision_events"][0].update(product_scores={"NOPE-1": 0.9}),
        "vision_events[0].product_scores",
    ),
    ("absurd weight", lambda p: p["weight_events"][0].update(delta_g=-250000.0), "weight_events[0].delta_g"),
    ("zero weight", lambda p: p["weight_events"][0].update(delta_g=0.0), "weight_events[0].delta_g"),
    ("negative noise", lambda p: p["weight_events"][0].update(noise_g=-1.0), "weight_events[0].noise_g"),
    ("event before entry", lambda p: p["weight_events"][0].update(t_start=-5.0), "weight_events[0].t_start"),
    ("event after exit", lambda p: p["vision_events"][0].update(t=500.0, t_end=501.0), "vision_events[0].t"),
    ("missing shoppers", lambda p: p.pop("shoppers"), "shoppers"),
    ("missing client id", lambda p: p.pop("client_visit_id"), "client_visit_id"),
    ("exit before entry", lambda p: p.update(exited_at="2026-11-21T09:00:00Z"), "exited_at"),
    ("bad timestamp", lambda p: p.update(entered_at="yesterday"), "entered_at"),
    ("duplicate track", lambda p: p.update(shoppers=[{"track_id": 1}, {"track_id": 1}]), "shoppers"),
    ("end before start", lambda p: p["weight_events"][0].update(t_end=1.0), "weight_events[0].t_end"),
    (
        "bad score",
        lambda p: p["vision_events"][0].update(product_scores={"AIM3S-002": 7}),
        "vision_events[0].product_scores.AIM3S-002",
    ),
]


@pytest.mark.parametrize(("case", "mutate", "field"), BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_is_rejected_with_the_field_and_nothing_stored(
    client_as: Callable[[str], APIClient], case: str, mutate: Callable[[dict[str, Any]], None], field: str
) -> None:
    response = client_as("store_key").post(URL, _bad(mutate), format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["errors"], response.json()
    assert _counts() == (0, 0, 0, 0)


def test_one_bad_visit_rejects_the_whole_batch(client_as: Callable[[str], APIClient]) -> None:
    good, bad = visit_payload(), _bad(lambda p: p["weight_events"][0].update(plate="S0P0"))
    response = client_as("store_key").post(URL, {"visits": [good, bad]}, format="json")
    assert response.status_code == 400
    assert "visits[1].weight_events[0].plate" in response.json()["errors"]
    assert _counts() == (0, 0, 0, 0)


def test_an_oversize_batch_is_rejected(client_as: Callable[[str], APIClient], settings: Any) -> None:
    settings.JWO_INGEST_MAX_BATCH = 2
    response = client_as("store_key").post(URL, {"visits": [visit_payload() for _ in range(3)]}, format="json")
    assert response.status_code == 400
    assert "visits" in response.json()["errors"]
    assert Visit.objects.count() == 0


def test_a_key_of_another_store_cannot_post_for_this_store(other_store_client: APIClient) -> None:
    response = other_store_client.post(URL, visit_payload(), format="json")
    assert response.status_code == 403
    assert Visit.objects.count() == 0


def test_plate_streams_are_kept_as_an_array_file(client_as: Callable[[str], APIClient]) -> None:
    import base64

    import numpy as np

    samples = np.linspace(500, 400, 120, dtype="<f4")
    blob = base64.b64encode(samples.tobytes()).decode()
    payload = visit_payload(plate_streams={"hz": 60, "t0": 29.0, "plates": {"S5P3": blob}})
    response = client_as("store_key").post(URL, payload, format="json")
    assert response.status_code == 201
    visit = Visit.objects.get()
    with visit.plate_streams.open("rb") as fh:
        stored = np.load(fh)
        assert np.allclose(stored["S5P3"], samples) and float(stored["hz"]) == 60.0


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_posts_of_one_visit_store_it_once(aim3s: Store) -> None:
    _, raw = store_key_create(store=aim3s)
    payload = visit_payload()
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def post() -> None:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        barrier.wait()
        try:
            statuses.append(client.post(URL, payload, format="json").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200, 201]
    assert Visit.objects.filter(client_visit_id=payload["client_visit_id"]).count() == 1
    assert WeightEvent.objects.count() == 1
