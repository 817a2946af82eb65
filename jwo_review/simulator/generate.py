"""Simulated visits: the ingest payload and the ground truth, with no database.

Contract (used by ``inference/`` for training and evaluation; stable)::

    from jwo_review.simulator.scenario import load_scenario
    from jwo_review.simulator.generate import simulate_visits

    scenario = load_scenario("default")          # or "busy", "new_format", or a YAML path
    for visit in simulate_visits(scenario, n=1000, seed=7):   # also: start=0, streams=True
        visit.payload   # dict, exactly the body of POST /api/v1/visits/ (JSON-serialisable)
        visit.truth     # dict, never shown to the model at scoring time

``payload``: ``client_visit_id`` ("sim-<scenario>-<seed>-<index>"), ``store`` (the
scenario's store code), ``visit_code``, ``entered_at``/``exited_at`` (ISO, UTC),
``shoppers`` (the payment group only: track ids and positions every 0.5 s),
``weight_events`` (from ``detector.detect_events`` run over the simulated 60 Hz plate
streams, NOT from the truth; sorted by ``t_start`` so the order equals the ``seq``
ingest gives them), ``vision_events`` (hand_in_shelf with product scores, near_fixture,
occlusion; other shoppers and staff appear here under track ids that are not in
``shoppers``), and ``plate_streams`` (``{"hz": 60, "t0": s, "plates": {code: base64
float32}}`` for plates with activity over the active window, or None with
``streams=False``).

``truth``::

    {"client_visit_id", "store", "scenario", "hard_cases": [names],
     "receipt": [{"sku", "quantity", "shopper_track_id"}],        # the payment group's true receipt
     "interactions": [{"t_start", "t_end", "t_change", "plate", "plates", "sku", "action", "quantity",
                       "track_id", "role", "delta_g", "case", "hand"}],   # every true interaction
     "event_labels": [{"action": "pick"|"put_back"|"restock"|"noise", "sku": str|None,
                       "quantity": int, "track_id": int|None}],   # one per payload weight_event, same order
     "group": [track ids], "people": [{"track_id", "role", "waypoints": [[t, x, y], ...]}],
     "occlusions": [...], "swaps": [...], "handovers": [...], "leans": [...],
     "detector": {"events", "correct", "interactions", "recalled"}}

An event whose change no true interaction explains (a lean that settled, vibration) is
labelled ``noise``; one that merged several interactions takes the label of the
largest of them (quantities added when they are the same product, action and person).
The same (scenario, n, seed, start) gives byte-identical payloads and truths.
``sense_visit`` and ``visit_record`` turn any plan into a payload and truth, so scripted
visits (``jwo_review.simulator.scripted``) are sensed by the same code.
"""

from __future__ import annotations

import base64
import math
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray

from jwo_review.simulator.behaviour import Interaction, VisitPlan, plan_visit
from jwo_review.simulator.detector import DetectedEvent, detect_events
from jwo_review.simulator.physics import PlateBoard
from jwo_review.simulator.scenario import Scenario
from jwo_review.simulator.vision import shopper_track, vision_events

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
MATCH_SLACK_S = 0.4


@dataclass(frozen=True)
class SimVisit:
    payload: dict[str, Any]
    truth: dict[str, Any]


def _rng(scenario: Scenario, seed: int, index: int, digest: int | None = None) -> np.random.Generator:
    """Visit ``index``'s generator; ``digest`` is ``int(scenario.fingerprint, 16)`` when
    the caller has it (hashing the scenario each visit took 7% of simulating it)."""
    digest = int(scenario.fingerprint, 16) if digest is None else digest
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, index, digest & 0xFFFFFFFF])))


def _base_load(scenario: Scenario, plate: str, rng: np.random.Generator) -> float:
    lo, hi = scenario.physics["stock_units"]
    load = 0.0
    for sku in scenario.facings.get(plate, []):
        units = int(rng.integers(int(lo), int(hi) + 1))
        load += units * scenario.products[sku].unit_weight_g / len(scenario.sku_plates[sku])
    return load + 250.0  # the plate's own tray


def _physics(scenario: Scenario, plan: VisitPlan, rng: np.random.Generator) -> PlateBoard:
    ph = scenario.physics
    board = PlateBoard(hz=int(ph["hz"]), duration_s=plan.duration_s)
    touched: set[str] = set()
    for act in plan.interactions:
        touched.update(act.plates)
    touched.update(lean.plate for lean in plan.leans)
    neighbours: set[str] = set()
    for code in touched:
        info = scenario.plates[code]
        for other in scenario.plates.values():
            if other.fixture == info.fixture and (
                (other.shelf == info.shelf and abs(other.number - info.number) == 1)
                or (other.number == info.number and abs(other.level - info.level) == 1)
            ):
                neighbours.add(other.code)
    for code in sorted(touched | neighbours):
        info = scenario.plates[code]
        lo, hi = ph["noise_std_g"]
        noise = float(np.clip(rng.normal(info.noise_std_g, 0.4), lo, hi))
        board.plate(
            code,
            base_g=_base_load(scenario, code, rng),
            noise_g=noise,
            drift_g_per_s=float(rng.normal(0, ph["drift_g_per_s"])),
        )
    vlo, vhi = ph["vibration_g"]
    plo, phi = ph["press_g"]
    for act in plan.interactions:
        ramp = float(rng.uniform(0.1, 0.35))
        for code, share in sorted(act.plates.items()):
            board.signals[code].steps.append((act.t_change, act.delta_g * share, ramp))
        if rng.random() < 0.6:
            board.signals[act.plate].presses.append((act.t_start, act.t_change, float(rng.uniform(plo, phi))))
        board.signals[act.plate].vibrations.append(
            (act.t_change + ramp, float(rng.uniform(vlo, vhi)), float(rng.uniform(3, 8)), float(rng.uniform(0.1, 0.3)))
        )
        info = scenario.plates[act.plate]
        for code in sorted(neighbours | touched):
            other = scenario.plates[code]
            if code in act.plates or other.fixture != info.fixture:
                continue
            near_same = other.shelf == info.shelf and abs(other.number - info.number) == 1
            near_level = other.number == info.number and abs(other.level - info.level) == 1
            if near_same or near_level:
                board.signals[code].vibrations.append(
                    (
                        act.t_change + float(rng.uniform(-0.2, 0.3)),
                        float(rng.uniform(vlo, vhi)) * (0.8 if near_same else 0.5),
                        float(rng.uniform(3, 8)),
                        float(rng.uniform(0.1, 0.35)),
                    )
                )
    for lean in plan.leans:
        board.signals[lean.plate].leans.append((lean.t_start, lean.t_end, lean.pressure_g, lean.sway_g, lean.sway_hz))
        board.signals[lean.plate].vibrations.append((lean.t_start, float(rng.uniform(vlo, vhi)) * 2, 4.0, 0.3))
    return board


def _matches(event: DetectedEvent, act: Interaction) -> bool:
    return bool(set(event.plates) & set(act.plates)) and (
        event.t_start - MATCH_SLACK_S <= act.t_change <= event.t_end + MATCH_SLACK_S
    )


def _label(event: DetectedEvent, acts: list[Interaction]) -> dict[str, Any]:
    matched = [a for a in acts if _matches(event, a)]
    if not matched:
        return {"action": "noise", "sku": None, "quantity": 0, "track_id": None}
    groups: dict[tuple[str, str | None, int], list[Interaction]] = {}
    for a in matched:
        groups.setdefault((a.action, a.sku, a.track_id), []).append(a)
    key = max(groups, key=lambda k: (abs(sum(a.delta_g for a in groups[k])), k[2]))
    action, sku, track = key
    return {"action": action, "sku": sku, "quantity": sum(a.quantity for a in groups[key]), "track_id": track}


def _tolerance(act_delta: float, noise: float) -> float:
    return max(5.0, 0.05 * abs(act_delta) + 3.0 * noise)


def _detector_stats(events: list[DetectedEvent], acts: list[Interaction]) -> dict[str, int]:
    """Events that match exactly one interaction with the right change are correct; an
    interaction is recalled when such an event exists for it."""
    correct = 0
    recalled: set[int] = set()
    for event in events:
        matched = [i for i, a in enumerate(acts) if _matches(event, a)]
        if len(matched) == 1 and abs(event.delta_g - acts[matched[0]].delta_g) <= _tolerance(
            acts[matched[0]].delta_g, event.noise_g
        ):
            correct += 1
            recalled.add(matched[0])
    return {"events": len(events), "correct": correct, "interactions": len(acts), "recalled": len(recalled)}


def _receipt(plan: VisitPlan) -> list[dict[str, Any]]:
    group = {p.track_id for p in plan.group}
    holding: dict[int, Counter[str]] = {tid: Counter() for tid in sorted(group)}
    moves: list[tuple[float, int, dict[str, Any]]] = []
    for act in plan.interactions:
        if act.track_id in group and act.sku is not None and act.action in {"pick", "put_back"}:
            moves.append(
                (act.t_change, 0, {"kind": act.action, "track": act.track_id, "sku": act.sku, "quantity": act.quantity})
            )
    for ho in plan.handovers:
        moves.append((ho["t"], 1, {"kind": "hand", **ho}))
    for _, _, m in sorted(moves, key=lambda m: (m[0], m[1])):
        if m["kind"] == "pick":
            holding[m["track"]][m["sku"]] += m["quantity"]
        elif m["kind"] == "put_back":
            holder = (
                m["track"]
                if holding[m["track"]][m["sku"]] > 0
                else next((t for t in holding if holding[t][m["sku"]] > 0), m["track"])
            )
            holding[holder][m["sku"]] -= m["quantity"]
        else:
            moved = min(m["quantity"], holding[m["from"]][m["sku"]])
            holding[m["from"]][m["sku"]] -= moved
            holding[m["to"]][m["sku"]] += moved
    lines = [
        {"sku": sku, "quantity": qty, "shopper_track_id": tid}
        for tid, counter in holding.items()
        for sku, qty in counter.items()
        if qty > 0
    ]
    return sorted(lines, key=lambda line: (line["sku"], line["shopper_track_id"]))


def _streams_payload(
    board: PlateBoard, streams: dict[str, NDArray[Any]], events: list[DetectedEvent], plan: VisitPlan
) -> dict[str, Any] | None:
    active = sorted({p for e in events for p in e.plates} | {p for a in plan.interactions for p in a.plates})
    if not active:
        return None
    times = (
        [e.t_start for e in events]
        + [e.t_end for e in events]
        + [a.t_start for a in plan.interactions]
        + [a.t_end for a in plan.interactions]
    )
    hz = board.hz
    i0 = max(0, int(math.floor((min(times) - 2.0) * hz)))
    i1 = min(len(next(iter(streams.values()))), int(math.ceil((max(times) + 2.0) * hz)))
    plates = {code: base64.b64encode(streams[code][i0:i1].astype("<f4").tobytes()).decode() for code in active}
    return {"hz": hz, "t0": round(i0 / hz, 4), "plates": plates}


@dataclass(frozen=True)
class SensedVisit:
    """What the store's sensors made of a plan: detected weight events, the 60 Hz plate
    streams they were detected in, and the vision events."""

    board: PlateBoard
    plate_streams: dict[str, NDArray[Any]]
    events: list[DetectedEvent]
    vision: list[dict[str, Any]]


def sense_visit(scenario: Scenario, plan: VisitPlan, rng: np.random.Generator) -> SensedVisit:
    """Run a plan through the plates' physics, the event detector and the cameras."""
    board = _physics(scenario, plan, rng)
    plate_streams = board.synthesise(rng)
    events = detect_events(plate_streams, hz=board.hz, t0=0.0, plates=scenario.plates, cfg=scenario.detector)
    events = [e for e in events if e.t_start >= 0.0 and e.t_end <= plan.duration_s]
    vision = vision_events(scenario, plan, rng)
    return SensedVisit(board=board, plate_streams=plate_streams, events=events, vision=vision)


def visit_record(
    scenario: Scenario,
    plan: VisitPlan,
    sensed: SensedVisit,
    rng: np.random.Generator,
    *,
    client_id: str,
    entered: datetime,
    streams: bool,
) -> SimVisit:
    """The ingest payload and the ground truth of a planned and sensed visit (draws the
    visit code and the tracker's jitter from ``rng``)."""
    events = sensed.events
    exited = entered + timedelta(seconds=plan.duration_s)
    code = "".join(CODE_ALPHABET[int(i)] for i in rng.integers(0, len(CODE_ALPHABET), 6))
    shoppers = [{"track_id": p.track_id, "track": shopper_track(p.at, plan.duration_s, rng)} for p in plan.group]
    payload: dict[str, Any] = {
        "client_visit_id": client_id,
        "store": scenario.store_code,
        "visit_code": code,
        "entered_at": entered.isoformat().replace("+00:00", "Z"),
        "exited_at": exited.isoformat().replace("+00:00", "Z"),
        "shoppers": shoppers,
        "weight_events": [e.payload() for e in events],
        "vision_events": sensed.vision,
        "plate_streams": _streams_payload(sensed.board, sensed.plate_streams, events, plan) if streams else None,
    }
    truth: dict[str, Any] = {
        "client_visit_id": client_id,
        "store": scenario.store_code,
        "scenario": scenario.name,
        "hard_cases": list(plan.cases),
        "receipt": _receipt(plan),
        "interactions": [a.truth() for a in plan.interactions],
        "event_labels": [_label(e, plan.interactions) for e in events],
        "group": [p.track_id for p in plan.group],
        "people": [
            {
                "track_id": p.track_id,
                "role": p.role,
                "waypoints": [[round(t, 3), round(x, 3), round(y, 3)] for t, x, y in p.waypoints],
            }
            for p in plan.people
        ],
        "occlusions": [
            {"camera": o.camera, "t": round(o.t, 3), "t_end": round(o.t_end, 3), "track_id": o.track_id}
            for o in plan.occlusions
        ],
        "swaps": [{"a": s.a, "b": s.b, "t": round(s.t, 3), "t_end": round(s.t_end, 3)} for s in plan.swaps],
        "handovers": plan.handovers,
        "leans": [
            {
                "plate": lean.plate,
                "t_start": round(lean.t_start, 3),
                "t_end": round(lean.t_end, 3),
                "pressure_g": round(lean.pressure_g, 1),
                "track_id": lean.track_id,
            }
            for lean in plan.leans
        ],
        "detector": _detector_stats(events, [a for a in plan.interactions]),
    }
    return SimVisit(payload=payload, truth=truth)


def visit_plan(scenario: Scenario, *, seed: int, index: int, digest: int | None = None) -> VisitPlan:
    """What happens in visit ``index`` of the run ``seed`` (the plan ``simulate_visit``
    senses), without sensing it. ``digest`` as for ``simulate_visit``."""
    return plan_visit(scenario, _rng(scenario, seed, index, digest))


def simulate_visit(
    scenario: Scenario,
    *,
    seed: int,
    index: int,
    streams: bool = True,
    digest: int | None = None,
    clock_start: datetime | None = None,
) -> SimVisit:
    """Visit number ``index`` of the run ``seed``; independent of every other index.
    ``digest``: the scenario's fingerprint as a number, when a run of visits computed it once.
    ``clock_start``: when the run's first visit enters, instead of the scenario's
    ``traffic.start``; it moves the visits' times only, so they are otherwise the same visits."""
    rng = _rng(scenario, seed, index, digest)
    plan = plan_visit(scenario, rng)
    sensed = sense_visit(scenario, plan, rng)
    start = clock_start or datetime.fromisoformat(scenario.traffic["start"])
    entered = start + timedelta(
        seconds=round(index * float(scenario.traffic["arrival_gap_s"]) + float(rng.uniform(0, 20)), 3)
    )
    client_id = f"sim-{scenario.name}-{seed}-{index:06d}"
    return visit_record(scenario, plan, sensed, rng, client_id=client_id, entered=entered, streams=streams)


def simulate_visits(
    scenario: Scenario,
    n: int,
    seed: int,
    *,
    start: int = 0,
    streams: bool = True,
    clock_start: datetime | None = None,
) -> Iterator[SimVisit]:
    """``n`` visits, indexes ``start`` .. ``start + n - 1`` of the run ``seed`` (dated from
    ``clock_start`` when given; see ``simulate_visit``)."""
    digest = int(scenario.fingerprint, 16)
    for index in range(start, start + n):
        yield simulate_visit(scenario, seed=seed, index=index, streams=streams, digest=digest, clock_start=clock_start)
