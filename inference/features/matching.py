"""How well a camera detection fits a weight change, and where a person stood when.

Small geometric and temporal measures the featuriser's scenes are built from.
"""

from __future__ import annotations

import bisect
from typing import Any

import numpy as np
from numpy.typing import NDArray

from inference.context import PlateInfo, StoreContext
from inference.features.schema import MAX_QUANTITY

# Vision events count as "at" a weight event when they overlap it within this slack (s).
TIME_SLACK_S = 1.5


def overlaps(v: dict[str, Any], t0: float, t1: float) -> bool:
    """The detection's time span meets [t0, t1] within ``TIME_SLACK_S``."""
    start = float(v["t"])
    end = float(v["t_end"]) if v.get("t_end") is not None else start
    return start <= t1 + TIME_SLACK_S and end >= t0 - TIME_SLACK_S


def spatial_weight(ctx: StoreContext, v: dict[str, Any], plate: str) -> float:
    """How surely a vision event concerns ``plate``: 1 same plate, 0.6 a neighbour, 0.3 same fixture."""
    vp = v.get("plate")
    if vp == plate:
        return 1.0
    if vp is not None and vp in ctx.plates:
        here, there = ctx.plates[plate], ctx.plates[vp]
        if there.shelf == here.shelf and abs(there.x_m - here.x_m) <= 0.25:
            return 0.6
        return 0.3 if there.fixture == here.fixture else 0.0
    if v.get("fixture") is not None and v.get("fixture") == ctx.plates[plate].fixture:
        return 0.3
    return 0.0


def track_position(track: list[list[float]], t: float) -> tuple[float, float] | None:
    """Where a floor track was at time ``t`` (linear between samples, clamped at the ends)."""
    if not track:
        return None
    if t <= track[0][0]:
        return track[0][1], track[0][2]
    if t >= track[-1][0]:
        return track[-1][1], track[-1][2]
    i = bisect.bisect_left(track, t, key=lambda p: p[0])
    (ta, xa, ya), (tb, xb, yb) = track[i - 1][:3], track[i][:3]
    w = 0.0 if tb <= ta else (t - ta) / (tb - ta)
    return xa + w * (xb - xa), ya + w * (yb - ya)


def vision_position(events: list[dict[str, Any]], t: float) -> tuple[float, float] | None:
    """Where the cameras last placed a track near time ``t`` (within 3 s)."""
    best: tuple[float, tuple[float, float]] | None = None
    for v in events:
        if v.get("x_m") is None or v.get("y_m") is None:
            continue
        dt = abs(float(v["t"]) - t)
        if dt <= 3.0 and (best is None or dt < best[0]):
            best = (dt, (float(v["x_m"]), float(v["y_m"])))
    return None if best is None else best[1]


def hand_match(v: dict[str, Any], info: PlateInfo, t0: float, t1: float) -> float:
    """How badly a hand-in-shelf event fits a weight event: 0 is a hand right over the
    plate, starting and ending with the weight change; 1 or more is no match."""
    if v.get("x_m") is None:
        return 1.0
    dx = abs(float(v["x_m"]) - info.x_m) / 0.1
    dt = abs(float(v["t"]) - t0) / 0.6
    end = float(v["t_end"]) if v.get("t_end") is not None else float(v["t"])
    dt_end = abs(end - t1) / 1.2
    return min((dx * dx + dt * dt + dt_end * dt_end) / 9.0, 1.0)


def weight_match(delta: float, noise: float, w: NDArray[Any], std: NDArray[Any]) -> tuple[NDArray[Any], NDArray[Any]]:
    """Best quantity (1..Q) per product and the |z| of the leftover weight."""
    q = np.clip(np.rint(abs(delta) / w), 1, MAX_QUANTITY)
    sigma = np.sqrt(noise**2 + q * std**2 + 1.0)
    return q, np.abs(abs(delta) - q * w) / sigma


def sort_scores(scores: dict[str, float]) -> list[tuple[str, float]]:
    """A classifier's product scores, best first (ties by SKU, so dict order never matters)."""
    return sorted(((s, float(v)) for s, v in scores.items()), key=lambda item: (-item[1], item[0]))
