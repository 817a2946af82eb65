"""Load-cell physics: what each plate reads, 60 times a second.

A plate's reading is the weight resting on it, plus white noise (1-3 g standard
deviation, the AIM3S floor is about 1 g), a slow drift, and the transients people
cause: a hand pressing while it reaches, the item lifted or set down over a fraction
of a second, vibration bursts when a neighbouring plate is hit, and a shopper leaning
on the shelf (pressure that sways while it lasts). Only changes are meaningful, as in
a real store, so the absolute base load is arbitrary.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

# Grams below which a decaying vibration is dropped: less than half a unit in the last
# place (float64) of any reading further than 1e-12 g from zero.
TAIL_G = 1e-30


@dataclass
class PlateSignal:
    """Everything that happens to one plate during a visit."""

    base_g: float
    noise_g: float
    drift_g_per_s: float
    steps: list[tuple[float, float, float]] = field(default_factory=list)
    """(t, delta_g, ramp_s): weight arrives or leaves over ramp_s."""
    presses: list[tuple[float, float, float]] = field(default_factory=list)
    """(t_start, t_end, peak_g): a hand touching the plate during a reach."""
    vibrations: list[tuple[float, float, float, float]] = field(default_factory=list)
    """(t, amplitude_g, frequency_hz, decay_s): damped oscillation."""
    leans: list[tuple[float, float, float, float, float]] = field(default_factory=list)
    """(t_start, t_end, pressure_g, sway_g, sway_hz)."""


class PlateBoard:
    """Collects the physical happenings per plate, then synthesises the streams."""

    def __init__(self, hz: int, duration_s: float) -> None:
        self.hz = hz
        self.duration_s = duration_s
        self.signals: dict[str, PlateSignal] = {}

    def plate(self, code: str, *, base_g: float, noise_g: float, drift_g_per_s: float) -> PlateSignal:
        if code not in self.signals:
            self.signals[code] = PlateSignal(base_g=base_g, noise_g=noise_g, drift_g_per_s=drift_g_per_s)
        return self.signals[code]

    @staticmethod
    def _window(t: NDArray[Any], start: float, end: float) -> tuple[int, int]:
        """Sample indexes ``a:b`` that hold every sample in ``[start, end]``, with two
        to spare on each side."""
        a = int(np.searchsorted(t, start)) - 2
        b = int(np.searchsorted(t, end, side="right")) + 2
        return max(a, 0), min(max(b, 0), len(t))

    def synthesise(self, rng: np.random.Generator) -> dict[str, NDArray[Any]]:
        """One float32 array per plate, sample i at t = i / hz. Plates in sorted order so
        the random draws, and so the bytes, depend only on the seed."""
        n = int(round(self.duration_s * self.hz)) + 1
        t = np.arange(n, dtype=np.float64) / self.hz
        out: dict[str, NDArray[Any]] = {}
        for code in sorted(self.signals):
            s = self.signals[code]
            x = np.full(n, s.base_g, dtype=np.float64)
            x += rng.normal(0.0, s.noise_g, n)
            # Drift: a slow linear creep plus a random walk too slow to look like an event.
            x += s.drift_g_per_s * t + np.cumsum(rng.normal(0.0, 0.004, n))
            # Each happening is computed on the samples it changes: outside them it adds
            # exactly 0, or (a step) exactly its delta, or (a press under 5 kg, whose
            # sin(pi)**2 lingers after it; a vibration decayed past TAIL_G) less than half
            # a unit in the last place of any reading further than 1e-12 g from zero, so
            # the readings are the same bits as over the whole stream. Happenings are
            # finite (scenarios refuse NaN and infinities).
            for t0, delta, ramp in s.steps:
                ramp = max(ramp, 1.0 / self.hz)
                a, b = self._window(t, t0, t0 + ramp)
                x[a:b] += delta * np.clip((t[a:b] - t0) / ramp, 0.0, 1.0)
                x[b:] += delta
            for t0, t1, peak in s.presses:
                if t1 <= t0:
                    continue
                a, b = self._window(t, t0, t1)
                tw = t[a:b]
                phase = np.clip((tw - t0) / (t1 - t0), 0.0, 1.0)
                x[a:b] += peak * np.sin(np.pi * phase) ** 2 * (1.0 + 0.3 * np.sin(2 * np.pi * 3.0 * (tw - t0)))
            for t0, amp, freq, decay in s.vibrations:
                a, b = self._window(t, t0, t0 + decay * np.log(max(abs(amp), TAIL_G) / TAIL_G))
                dt = t[a:b] - t0
                live = dt >= 0
                x[a:b][live] += amp * np.exp(-dt[live] / decay) * np.sin(2 * np.pi * freq * dt[live])
            for t0, t1, pressure, sway, sway_hz in s.leans:
                a, b = self._window(t, t0, t1)
                tw = t[a:b]
                inside = (tw >= t0) & (tw <= t1)
                edge = np.clip(np.minimum(tw - t0, t1 - tw) / 0.25, 0.0, 1.0)
                x[a:b][inside] += (pressure + sway * np.sin(2 * np.pi * sway_hz * (tw[inside] - t0))) * edge[inside]
            out[code] = x.astype("<f4")
        return out
