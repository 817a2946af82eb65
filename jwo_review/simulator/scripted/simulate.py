"""Scripted visits through the simulated store's sensors, as generated visits go.

``simulate_script(script, seed=S)`` yields one ``SimVisit`` per visit of the script:
the payload is what the store's plates, detector and cameras report (``generate``'s
``sense_visit`` and ``visit_record``, the code generated visits use), the truth is the
script's (``generate`` documents its shape; a ``script`` entry adds the script's name,
the visit's name and line, and each scripted person's track id). Client visit ids are
``script-<name>-<seed>-<index>``; a visit's draws depend on the script's store and
sensors, its name, the visit's name and index, and the seed, so the same script and
seed give the same bytes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import datetime, timedelta

import numpy as np

from jwo_review.simulator.generate import SimVisit, sense_visit, visit_record
from jwo_review.simulator.scripted.loader import Script, ScriptedVisit
from jwo_review.simulator.scripted.plan import plan_scripted_visit


def _rng(script: Script, visit: ScriptedVisit, seed: int) -> np.random.Generator:
    key = f"{script.scenario.fingerprint}|{script.name}|{visit.name}".encode()
    digest = int(hashlib.sha256(key).hexdigest()[:8], 16)
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, visit.index, digest])))


def simulate_scripted_visit(script: Script, visit: ScriptedVisit, *, seed: int, streams: bool = True) -> SimVisit:
    """One scripted visit, sensed by the simulated store."""
    scenario = script.scenario
    rng = _rng(script, visit, seed)
    plan, tracks = plan_scripted_visit(scenario, visit, rng)
    sensed = sense_visit(scenario, plan, rng)
    entered = visit.start or datetime.fromisoformat(scenario.traffic["start"]) + timedelta(
        seconds=visit.index * float(scenario.traffic["arrival_gap_s"])
    )
    client_id = f"script-{script.name}-{seed}-{visit.index:06d}"
    record = visit_record(scenario, plan, sensed, rng, client_id=client_id, entered=entered, streams=streams)
    truth = {
        **record.truth,
        "script": {"name": script.name, "visit": visit.name, "line": visit.line, "people": tracks},
    }
    return SimVisit(payload=record.payload, truth=truth)


def simulate_script(script: Script, *, seed: int | None = None, streams: bool = True) -> Iterator[SimVisit]:
    """Every visit of the script, in file order; ``seed`` defaults to the script's."""
    run_seed = script.seed if seed is None else seed
    for visit in script.visits:
        yield simulate_scripted_visit(script, visit, seed=run_seed, streams=streams)
