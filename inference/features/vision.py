"""The vision-event token's columns, one function per group of ``VISION_TOKEN``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from inference.features.matching import sort_scores
from inference.features.scene import VisitScene
from inference.features.schema import VISION_TOKEN, Columns

VISION_KINDS = VISION_TOKEN.group("kind").columns
OTHER_KIND = "occlusion"  # what an unknown kind of detection is read as


def _kind(visit: VisitScene, v: dict[str, Any]) -> Columns:
    kind = v["kind"] if v["kind"] in VISION_KINDS else OTHER_KIND
    return {k: float(k == kind) for k in VISION_KINDS}


def _detection(visit: VisitScene, v: dict[str, Any]) -> Columns:
    return {"confidence": float(v.get("confidence", 1.0))}


def _timing(visit: VisitScene, v: dict[str, Any]) -> Columns:
    start = float(v["t"])
    end = float(v["t_end"]) if v.get("t_end") is not None else start
    return {"start": start / visit.span, "duration": min(end - start, 10.0) / 5}


def _place(visit: VisitScene, v: dict[str, Any]) -> Columns:
    # Without coordinates, the named plate's; without either, the store's origin.
    plate = visit.ctx.plates.get(v.get("plate") or "")
    x, y = v.get("x_m"), v.get("y_m")
    x = x if x is not None else (plate.x_m if plate is not None else 0.0)
    y = y if y is not None else (plate.y_m if plate is not None else 0.0)
    return {"x": float(x) / 10, "y": float(y) / 10, "at_plate": float(v.get("plate") is not None)}


def _product(visit: VisitScene, v: dict[str, Any]) -> Columns:
    scores = sort_scores(v.get("product_scores") or {})
    return {"top_score": scores[0][1] if scores else 0.0}


def _shopper(visit: VisitScene, v: dict[str, Any]) -> Columns:
    tid = v.get("track_id")
    return {"group_track": float(tid is not None and int(tid) in visit.tracks_of)}


VISION_GROUPS: dict[str, Callable[[VisitScene, dict[str, Any]], Columns]] = {
    "kind": _kind,
    "detection": _detection,
    "timing": _timing,
    "place": _place,
    "product": _product,
    "shopper": _shopper,
}


def vision_tokens(visit: VisitScene) -> NDArray[Any]:
    """One row [VISION_TOKEN.width] per camera detection, in time order."""
    out = np.zeros((len(visit.vision), VISION_TOKEN.width), dtype=np.float32)
    for i, v in enumerate(visit.vision):
        VISION_TOKEN.fill(out[i], VISION_GROUPS, visit, v)
    return out
