"""Load-cell physics: each happening is computed on the samples it changes, and the
readings are the same bits as computing it over the whole stream."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from jwo_review.simulator.physics import PlateBoard, PlateSignal


def _whole_stream(board: PlateBoard, rng: np.random.Generator) -> dict[str, NDArray[Any]]:
    """Every happening added over every sample (what ``synthesise`` must equal)."""
    n = int(round(board.duration_s * board.hz)) + 1
    t = np.arange(n, dtype=np.float64) / board.hz
    out = {}
    for code in sorted(board.signals):
        s = board.signals[code]
        x = np.full(n, s.base_g, dtype=np.float64)
        x += rng.normal(0.0, s.noise_g, n)
        x += s.drift_g_per_s * t + np.cumsum(rng.normal(0.0, 0.004, n))
        for t0, delta, ramp in s.steps:
            ramp = max(ramp, 1.0 / board.hz)
            x += delta * np.clip((t - t0) / ramp, 0.0, 1.0)
        for t0, t1, peak in s.presses:
            if t1 <= t0:
                continue
            phase = np.clip((t - t0) / (t1 - t0), 0.0, 1.0)
            x += peak * np.sin(np.pi * phase) ** 2 * (1.0 + 0.3 * np.sin(2 * np.pi * 3.0 * (t - t0)))
        for t0, amp, freq, decay in s.vibrations:
            dt = t - t0
            live = dt >= 0
            x[live] += amp * np.exp(-dt[live] / decay) * np.sin(2 * np.pi * freq * dt[live])
        for t0, t1, pressure, sway, sway_hz in s.leans:
            inside = (t >= t0) & (t <= t1)
            edge = np.clip(np.minimum(t - t0, t1 - t) / 0.25, 0.0, 1.0)
            x[inside] += (pressure + sway * np.sin(2 * np.pi * sway_hz * (t[inside] - t0))) * edge[inside]
        out[code] = x.astype("<f4")
    return out


def _board() -> PlateBoard:
    board = PlateBoard(hz=60, duration_s=30.0)
    edge = board.plate("A-1", base_g=250.0, noise_g=1.5, drift_g_per_s=0.01)
    # Happenings at the stream's ends, past them, between two samples and overlapping.
    edge.steps += [(-1.0, -88.0, 0.4), (0.0, 107.0, 0.3), (12.3456, -303.0, 0.0), (29.9, 50.0, 0.5), (31.0, 9.0, 0.2)]
    edge.presses += [(-0.2, 0.3, 40.0), (12.2, 12.9, 120.0), (29.8, 30.4, 35.0), (5.0, 5.0, 10.0)]
    edge.vibrations += [(-0.5, 8.0, 9.0, 0.3), (12.35, 25.0, 11.0, 0.15), (29.99, 3.0, 7.0, 2.0), (8.0, 0.0, 5.0, 0.2)]
    edge.vibrations.append((20.0, -14.0, 8.0, 0.25))  # a negative amplitude
    edge.leans += [(-1.0, 0.5, 300.0, 20.0, 0.7), (14.0, 19.5, 800.0, 60.0, 1.3), (29.0, 33.0, 100.0, 5.0, 0.4)]
    edge.leans.append((22.0, 21.0, 200.0, 10.0, 0.5))  # ends before it starts: nothing
    board.plate("B-2", base_g=1400.0, noise_g=2.0, drift_g_per_s=-0.02).vibrations.append((3.0, 60.0, 12.0, 4.0))
    board.signals["C-3"] = PlateSignal(base_g=600.0, noise_g=1.0, drift_g_per_s=0.0)
    return board


def test_windowed_happenings_give_the_same_bits_as_the_whole_stream() -> None:
    board = _board()
    fast = board.synthesise(np.random.default_rng(5))
    slow = _whole_stream(board, np.random.default_rng(5))
    assert sorted(fast) == sorted(slow) == ["A-1", "B-2", "C-3"]
    for code in slow:
        assert fast[code].dtype == np.dtype("<f4") and len(fast[code]) == 30 * 60 + 1
        assert fast[code].tobytes() == slow[code].tobytes(), code


def test_a_step_is_whole_after_its_ramp_and_absent_before_it() -> None:
    board = PlateBoard(hz=60, duration_s=4.0)
    board.plate("A-1", base_g=500.0, noise_g=0.0, drift_g_per_s=0.0).steps.append((2.0, -120.0, 0.5))
    stream = board.synthesise(np.random.default_rng(1))["A-1"]  # noise-free but for a slow walk
    assert np.allclose(stream[:120], 500.0, atol=0.5)
    assert np.allclose(stream[151:], 380.0, atol=0.5)
    assert 390.0 < stream[135] < 490.0
