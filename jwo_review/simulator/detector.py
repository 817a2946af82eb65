"""The store's weight-change event detector, in the manner of AIM3S.

Per plate: a moving standard deviation and the difference of moving means on both
sides of each sample mark where the signal is unsettled; settled stretches at least
``min_stable_s`` long are the plate's levels, and a change of level of at least
``plate_threshold_g`` between two consecutive settled stretches is an event. Events on
adjacent plates of one shelf that overlap in time are one event (an item straddling
two plates, AIM3S's shelf-level aggregation), kept when the summed change reaches
``shelf_threshold_g``. The detector knows nothing of the ground truth: two shoppers at
one plate merge into one event, a lean that settles makes false events, a small item on
a noisy plate can be missed. Those errors are part of what the model has to cope with.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from jwo_review.simulator.scenario import PlateInfo


@dataclass
class DetectedEvent:
    plate: str
    t_start: float
    t_end: float
    delta_g: float
    noise_g: float
    plates: dict[str, float] = field(default_factory=dict)
    """Every plate that contributed and its change (more than one when merged)."""

    def payload(self) -> dict[str, Any]:
        return {
            "plate": self.plate,
            "t_start": round(self.t_start, 3),
            "t_end": round(self.t_end, 3),
            "delta_g": round(self.delta_g, 2),
            "noise_g": round(self.noise_g, 2),
        }


def _moving_mean(x: NDArray[Any], w: int) -> NDArray[Any]:
    """Mean of x[i:i+w] for every i that has a full window (length n - w + 1)."""
    c = np.concatenate(([0.0], np.cumsum(x, dtype=np.float64)))
    result: NDArray[Any] = (c[w:] - c[:-w]) / w
    return result


def _plate_events(x: NDArray[Any], hz: float, t0: float, cfg: dict[str, Any], code: str) -> list[DetectedEvent]:
    w = max(4, int(round(cfg["window_s"] * hz)))
    n = len(x)
    if n < 3 * w:
        return []
    xf = x.astype(np.float64)
    mean = _moving_mean(xf, w)
    sq = _moving_mean(xf * xf, w)
    std = np.sqrt(np.maximum(sq - mean * mean, 0.0))
    noise = float(np.median(std))
    half = w // 2
    # unsettled[i] judges sample i from the windows centred on it and on both sides of it.
    unsettled = np.zeros(n, dtype=bool)
    centred = np.zeros(n)
    centred[half : half + len(std)] = std
    unsettled |= centred > cfg["stable_std_factor"] * 0.6 * noise + 0.3
    step = np.zeros(n)
    step[w : n - w + 1] = np.abs(mean[w:] - mean[:-w])
    unsettled |= step > 0.5 * cfg["plate_threshold_g"]
    unsettled[:half] = unsettled[half]
    unsettled[n - half :] = unsettled[n - half - 1]
    settled = ~unsettled
    edges = np.flatnonzero(np.diff(np.concatenate(([0], settled.astype(np.int8), [0]))))
    runs = [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2]) if b - a >= cfg["min_stable_s"] * hz]
    events: list[DetectedEvent] = []
    for (a0, b0), (a1, b1) in zip(runs, runs[1:]):
        before = float(xf[max(a0, b0 - w) : b0].mean())
        after = float(xf[a1 : min(b1, a1 + w)].mean())
        delta = after - before
        if abs(delta) >= cfg["plate_threshold_g"]:
            events.append(
                DetectedEvent(
                    plate=code,
                    t_start=t0 + b0 / hz,
                    t_end=t0 + a1 / hz,
                    delta_g=delta,
                    noise_g=noise,
                    plates={code: delta},
                )
            )
    return events


def detect_events(
    streams: dict[str, NDArray[Any]], *, hz: float, t0: float, plates: dict[str, PlateInfo], cfg: dict[str, Any]
) -> list[DetectedEvent]:
    """Events over all plates, merged per shelf, sorted by start time."""
    per_plate: list[DetectedEvent] = []
    for code in sorted(streams):
        per_plate.extend(_plate_events(streams[code], hz, t0, cfg, code))
    per_plate.sort(key=lambda e: (plates[e.plate].shelf, e.t_start, plates[e.plate].number))
    merged: list[DetectedEvent] = []
    gap = cfg["merge_gap_s"]
    for event in per_plate:
        info = plates[event.plate]
        target = None
        for other in reversed(merged[-6:]):
            same_shelf = plates[other.plate].shelf == info.shelf and plates[other.plate].fixture == info.fixture
            adjacent = any(abs(plates[p].number - info.number) <= 1 for p in other.plates)
            overlap = event.t_start <= other.t_end + gap and other.t_start <= event.t_end + gap
            if same_shelf and adjacent and overlap and event.plate not in other.plates:
                target = other
                break
        if target is None:
            merged.append(event)
            continue
        target.plates[event.plate] = event.delta_g
        target.t_start = min(target.t_start, event.t_start)
        target.t_end = max(target.t_end, event.t_end)
        target.delta_g += event.delta_g
        target.noise_g = float(np.sqrt(target.noise_g**2 + event.noise_g**2))
        target.plate = max(target.plates, key=lambda p: abs(target.plates[p]))
    kept = [e for e in merged if len(e.plates) == 1 or abs(e.delta_g) >= cfg["shelf_threshold_g"]]
    kept.sort(key=lambda e: (e.t_start, e.plate))
    return kept
