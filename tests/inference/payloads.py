"""Hand-made visits on the AIM3S store for the model's unit tests.

Each helper writes a visit the way the ingest contract describes it, with the truth the
simulator would give (one label per weight event), so the tests can check featurisation
and training without depending on the simulator.
"""

from __future__ import annotations

import random
from typing import Any

from inference.context import StoreContext


def make_visit(ctx: StoreContext, rng: random.Random, index: int, *, stranger: bool = False) -> dict[str, Any]:
    """One shopper (and optionally a stranger) picking one to three products; returns payload and truth."""
    plates = sorted(ctx.facings)
    shopper_id, stranger_id = 1, 7
    track = [[0.0, 2.4, 1.0]]
    weight_events: list[dict[str, Any]] = []
    vision_events: list[dict[str, Any]] = []
    labels: list[dict[str, Any]] = []
    receipt: dict[str, int] = {}
    t = 2.0
    for _ in range(rng.randint(1, 3)):
        plate = rng.choice(plates)
        info = ctx.plates[plate]
        sku = rng.choice(ctx.facings[plate])
        product = ctx.products[sku]
        quantity = rng.choice([1, 1, 1, 2])
        weight = sum(rng.gauss(product.unit_weight_g, product.unit_weight_std_g) for _ in range(quantity))
        track += [[t - 1.0, info.x_m, info.y_m - 0.5], [t + 1.0, info.x_m, info.y_m - 0.5]]
        weight_events.append({"plate": plate, "t_start": t, "t_end": t + 0.8, "delta_g": -weight, "noise_g": 1.2})
        vision_events.append(
            {
                "kind": "hand_in_shelf",
                "track_id": shopper_id,
                "t": t,
                "t_end": t + 0.8,
                "fixture": info.fixture,
                "plate": plate,
                "camera": "CAM1",
                "x_m": info.x_m,
                "y_m": info.y_m - 0.4,
                "confidence": 0.9,
                "product_scores": {sku: 0.7, ctx.facings[plate][0]: 0.2},
            }
        )
        labels.append({"action": "pick", "sku": sku, "quantity": quantity, "track_id": shopper_id})
        receipt[sku] = receipt.get(sku, 0) + quantity
        t += 4.0
    if stranger:
        plate = plates[0]
        info = ctx.plates[plate]
        sku = ctx.facings[plate][0]
        weight_events.append(
            {"plate": plate, "t_start": 1.0, "t_end": 1.6, "delta_g": -ctx.products[sku].unit_weight_g, "noise_g": 1.0}
        )
        vision_events.append(
            {
                "kind": "near_fixture",
                "track_id": stranger_id,
                "t": 0.9,
                "t_end": 1.8,
                "fixture": info.fixture,
                "plate": None,
                "camera": "CAM1",
                "x_m": info.x_m,
                "y_m": info.y_m - 0.4,
                "confidence": 0.8,
                "product_scores": {},
            }
        )
        labels.append({"action": "pick", "sku": sku, "quantity": 1, "track_id": stranger_id})
    weight_events.append({"plate": plates[-1], "t_start": t, "t_end": t + 0.3, "delta_g": 3.1, "noise_g": 2.5})
    labels.append({"action": "noise", "sku": None, "quantity": 0, "track_id": None})
    track.append([t + 2.0, 2.4, 0.5])
    payload = {
        "client_visit_id": f"hand-{index}",
        "store": "aim3s",
        "visit_code": f"K{index:05d}",
        "entered_at": "2026-11-20T10:00:00Z",
        "exited_at": "2026-11-20T10:01:00Z",
        "shoppers": [{"track_id": shopper_id, "track": track}],
        "weight_events": weight_events,
        "vision_events": vision_events,
        "plate_streams": None,
    }
    truth = {
        "client_visit_id": payload["client_visit_id"],
        "store": "aim3s",
        "hard_cases": [],
        "receipt": [{"sku": s, "quantity": q, "shopper_track_id": shopper_id} for s, q in receipt.items()],
        "interactions": [],
        "event_labels": labels,
    }
    return {"payload": payload, "truth": truth}
