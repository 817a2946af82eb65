"""Ingest rate: visits per second with about 20 events each, through the real API view.

Measured in one run on a PostgreSQL database of its own (jwo_bench_ingest):
- api_single: one visit per POST /api/v1/visits/ (auth, validation, one transaction per visit);
- api_batch: 50 visits per POST;
- baseline: the same visits stored by a naive loop of one ORM save per row (no bulk
  inserts, no validation), the floor a hand-rolled importer would start from.

    python bench/ingest.py [--visits 500] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

# The project root, not bench/, goes first on the import path: bench/queue.py would
# otherwise shadow the standard library's queue module for Celery and asgiref.
sys.path[0] = str(Path(__file__).resolve().parent.parent)
from bench._setup import django_on_bench_db  # noqa: E402


def make_payloads(n: int, prefix: str, seed: int = 1) -> list[dict[str, Any]]:
    from jwo_review.store.models import Plate, Product

    rng = random.Random(seed)
    plates = list(Plate.objects.filter(store__code="aim3s").values_list("code", flat=True))
    skus = list(Product.objects.filter(sku__startswith="AIM3S-").values_list("sku", flat=True))
    payloads = []
    for i in range(n):
        weight, vision = [], []
        for _ in range(10):
            t = rng.uniform(5, 85)
            plate = rng.choice(plates)
            weight.append({"plate": plate, "t_start": t, "t_end": t + 1.2,
                           "delta_g": -rng.uniform(40, 400), "noise_g": 1.5})
            vision.append({"kind": "hand_in_shelf", "track_id": 1, "t": t - 0.2, "t_end": t + 1.3, "plate": plate,
                           "confidence": 0.9, "product_scores": {rng.choice(skus): 0.7, rng.choice(skus): 0.2}})
        payloads.append({
            "client_visit_id": f"{prefix}-{i:07d}", "store": "aim3s", "visit_code": f"B{i:07d}",
            "entered_at": "2026-11-21T10:00:00Z", "exited_at": "2026-11-21T10:01:30Z",
            "shoppers": [{"track_id": 1}], "weight_events": weight, "vision_events": vision,
        })
    return payloads


def naive_store(payloads: list[dict[str, Any]]) -> None:
    from django.db import transaction
    from django.utils.dateparse import parse_datetime

    from jwo_review.store.models import Plate, Shopper, Store, VisionEvent, Visit, WeightEvent

    store = Store.objects.get(code="aim3s")
    for p in payloads:
        with transaction.atomic():
            visit = Visit.objects.create(store=store, client_visit_id=p["client_visit_id"], visit_code=p["visit_code"],
                                         entered_at=parse_datetime(p["entered_at"]),
                                         exited_at=parse_datetime(p["exited_at"]), payload_sha256="-")
            for s in p["shoppers"]:
                Shopper.objects.create(visit=visit, track_id=s["track_id"])
            for seq, e in enumerate(p["weight_events"]):
                WeightEvent.objects.create(visit=visit, seq=seq, plate=Plate.objects.get(store=store, code=e["plate"]),
                                           t_start=e["t_start"], t_end=e["t_end"], delta_g=e["delta_g"],
                                           noise_g=e["noise_g"])
            for seq, e in enumerate(p["vision_events"]):
                VisionEvent.objects.create(visit=visit, seq=seq, kind=e["kind"], track_id=e["track_id"], t=e["t"],
                                           t_end=e["t_end"], plate=Plate.objects.get(store=store, code=e["plate"]),
                                           confidence=e["confidence"], product_scores=e["product_scores"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--visits", type=int, default=500)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    # Ingest alone: scoring after commit is measured by bench/scoring.py.
    os.environ["JWO_VISITS_INGESTED_HOOKS"] = ""
    django_on_bench_db("jwo_bench_ingest")

    from rest_framework.test import APIClient

    from jwo_review.accounts.services import store_key_create
    from jwo_review.store.aim3s import build_aim3s_spec
    from jwo_review.store.models import Store, Visit
    from jwo_review.store.services.layout import store_load_spec

    store_load_spec(build_aim3s_spec()[0])
    Visit.objects.all().delete()
    _, key = store_key_create(store=Store.objects.get(code="aim3s"), name="bench")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    n = args.visits
    results: dict[str, dict[str, float]] = {}

    payloads = make_payloads(n, "single")
    start = time.perf_counter()
    for p in payloads:
        response = client.post("/api/v1/visits/", p, format="json")
        assert response.status_code == 201, response.content[:300]
    results["api_single"] = {"visits_per_s": n / (time.perf_counter() - start)}

    payloads = make_payloads(n, "batch")
    start = time.perf_counter()
    for i in range(0, n, 50):
        response = client.post("/api/v1/visits/", {"visits": payloads[i : i + 50]}, format="json")
        assert response.status_code == 200, response.content[:300]
    results["api_batch_50"] = {"visits_per_s": n / (time.perf_counter() - start)}

    payloads = make_payloads(n, "naive")
    start = time.perf_counter()
    naive_store(payloads)
    results["baseline_naive_orm"] = {"visits_per_s": n / (time.perf_counter() - start)}

    events = len(payloads[0]["weight_events"]) + len(payloads[0]["vision_events"])
    base = results["baseline_naive_orm"]["visits_per_s"]
    print(f"Ingest of {n} visits x {events} events on PostgreSQL")
    for name, row in results.items():
        row["ratio_vs_baseline"] = row["visits_per_s"] / base
        print(f"  {name:<20} {row['visits_per_s']:8.1f} visits/s   {row['ratio_vs_baseline']:.2f}x baseline")
    Visit.objects.all().delete()
    if args.json:
        print(json.dumps({"events_per_visit": events, **results}))


if __name__ == "__main__":
    main()
