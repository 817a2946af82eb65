"""Small builders of valid API payloads for tests."""

from __future__ import annotations

import copy
import itertools
from typing import Any

_counter = itertools.count(1)


def visit_payload(**overrides: Any) -> dict[str, Any]:
    """A valid AIM3S visit: one shopper picks one cutlery pack (AIM3S-002 on S5P3/S5P4)."""
    n = next(_counter)
    payload: dict[str, Any] = {
        "client_visit_id": f"test-visit-{n:06d}",
        "store": "aim3s",
        "visit_code": f"VC{n:06d}",
        "entered_at": "2026-11-21T10:00:00Z",
        "exited_at": "2026-11-21T10:01:30Z",
        "shoppers": [{"track_id": 1, "track": [[0.0, 2.4, 0.5], [30.0, 1.9, 4.0], [90.0, 2.4, 0.5]]}],
        "weight_events": [{"plate": "S5P3", "t_start": 30.1, "t_end": 31.4, "delta_g": -103.2, "noise_g": 1.4}],
        "vision_events": [
            {
                "kind": "hand_in_shelf",
                "track_id": 1,
                "t": 30.0,
                "t_end": 31.5,
                "plate": "S5P3",
                "fixture": "G2",
                "camera": "CAM2",
                "confidence": 0.9,
                "product_scores": {"AIM3S-002": 0.8, "AIM3S-001": 0.1},
            },
        ],
    }
    for key, value in overrides.items():
        payload[key] = copy.deepcopy(value)
    return payload
