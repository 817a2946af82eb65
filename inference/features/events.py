"""The weight-event token's columns, one function per group of ``EVENT_TOKEN``."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from inference.context import PlateInfo
from inference.features.matching import hand_match
from inference.features.scene import EventScene, VisitScene
from inference.features.schema import Columns


def _weight_change(visit: VisitScene, s: EventScene) -> Columns:
    return {
        "direction": 1.0 if s.delta < 0 else -1.0,
        "log_grams": math.log1p(abs(s.delta)) / 8,
        "duration": min(s.t1 - s.t0, 10.0) / 5,
        "noise": min(s.noise, 20.0) / 5,
    }


def _timing(visit: VisitScene, s: EventScene) -> Columns:
    return {"start": s.t0 / visit.span}


def plate_columns(visit: VisitScene, info: PlateInfo) -> Columns:
    """The ``PLATE`` group's columns: where the plate is and how many products face it."""
    return {
        "plate_x": info.x_m / 10,
        "plate_y": info.y_m / 10,
        "plate_height": info.height_m,
        "products_faced": len(visit.ctx.facings.get(info.code, [])) / 5,
    }


def _plate(visit: VisitScene, s: EventScene) -> Columns:
    return plate_columns(visit, s.info)


def _catalogue_fit(visit: VisitScene, s: EventScene) -> Columns:
    return {"unit_weight_fit": min(s.best_z, 9.0) / 9}


def _hands(visit: VisitScene, s: EventScene) -> Columns:
    return {
        "hands_near": min(len(s.near), 10) / 5,
        "hand_confidence": max((float(v.get("confidence", 1.0)) for v, _ in s.near), default=0.0),
    }


def _people_near(visit: VisitScene, s: EventScene) -> Columns:
    close = s.distances < 1.0
    return {
        "group_within_1m": float(np.sum(visit.is_group & close)) / 3,
        "others_within_1m": float(np.sum(~visit.is_group & close)) / 3,
    }


def _scale_floor(visit: VisitScene, s: EventScene) -> Columns:
    return {"under_10g": float(abs(s.delta) < 10.0)}


def _vision_fit(visit: VisitScene, s: EventScene) -> Columns:
    matches = sorted(hand_match(v, s.info, s.t0, s.t1) for v, _ in s.near)
    return {
        "best_view_score": max(s.views.best.values(), default=0.0),
        "best_hand_match": matches[0] if matches else 1.0,
        "hands_matching": min(sum(m < 0.3 for m in matches), 3) / 3,
    }


EVENT_GROUPS: dict[str, Callable[[VisitScene, EventScene], Columns]] = {
    "weight_change": _weight_change,
    "timing": _timing,
    "plate": _plate,
    "catalogue_fit": _catalogue_fit,
    "hands": _hands,
    "people_near": _people_near,
    "scale_floor": _scale_floor,
    "vision_fit": _vision_fit,
}
