"""A visit with an item only the cameras saw taken, and a scorer sure of every reach.

The visit is ``tests.factories.visit_payload`` (one weighed pick of AIM3S-002 at 30 s)
plus a hand of the same shopper in plate S5P10 at 60 s that no weight change explains,
the views naming AIM3S-007. ``SureCameras`` decodes its weight events with the rules and
every reach as a pick of its first candidate by the group's first shopper, 98% sure:
what a trained ``vision_items`` network says of a clear reach, without training one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from inference.calibration import PlattScaling
from inference.decode import VisitScore, baseline_probs, decode
from inference.features import MAX_PRODUCTS, MAX_QUANTITY, VisitFeatures
from tests.factories import visit_payload

REACH_T = 60.0
REACH_PLATE = "S5P10"
SEEN_SKU = "AIM3S-007"
WEIGHED_SKU = "AIM3S-002"


def camera_only_payload() -> dict[str, Any]:
    payload = visit_payload()
    payload["vision_events"].append(
        {
            "kind": "hand_in_shelf",
            "track_id": 1,
            "t": REACH_T,
            "t_end": REACH_T + 1.2,
            "plate": REACH_PLATE,
            "fixture": "G2",
            "camera": "CAM2",
            "confidence": 0.9,
            "product_scores": {SEEN_SKU: 0.85, "AIM3S-008": 0.05},
        }
    )
    return payload


class SureCameras:
    kind = "transformer"
    platt = PlattScaling()

    def __init__(self, confidence: float = 0.5) -> None:
        self.confidence = confidence

    def score(self, features: Sequence[VisitFeatures]) -> list[VisitScore]:
        scores = []
        for f in features:
            n_r, n_t = len(f.reaches), len(f.track_ids)
            action = np.tile([0.01, 0.98, 0.01], (n_r, 1))
            product, quantity, track = (
                np.zeros((n_r, MAX_PRODUCTS)),
                np.zeros((n_r, MAX_QUANTITY)),
                np.zeros((n_r, n_t)),
            )
            product[:, 0] = quantity[:, 0] = track[:, 0] = 1.0
            score = decode(f, *baseline_probs(f), reach=[action, product, quantity, track])
            score.confidence = self.confidence
            scores.append(score)
        return scores
