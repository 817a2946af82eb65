"""Simulation speed: visits per second, with and without the 60 Hz plate streams, and
a run of visits against the same visits simulated one by one.

    .venv/bin/python bench/simulate.py [--scenario default] [--visits 300] [--json]

Generation without streams in the payload still synthesises them (the event detector
needs them) but skips slicing and base64; the ratio shows what carrying the raw
streams costs. A run hashes the scenario once for every visit's seed; a visit simulated
on its own (``simulate_visit``) hashes it each time, as every visit did before. The last
line with --json is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

# The repository root replaces bench/ on the path: a bench module named like a stdlib one
# (queue.py) would otherwise shadow it for Celery's imports.
sys.path[0] = str(Path(__file__).resolve().parent.parent)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jwo_review.settings")

from jwo_review.simulator.generate import simulate_visit, simulate_visits  # noqa: E402
from jwo_review.simulator.scenario import load_scenario  # noqa: E402


def rate(scenario_name: str, visits: int, streams: bool) -> tuple[float, int]:
    scenario = load_scenario(scenario_name)
    started = time.perf_counter()
    size = 0
    for visit in simulate_visits(scenario, visits, seed=1, streams=streams):
        size += len(json.dumps(visit.payload, separators=(",", ":")))
    return visits / (time.perf_counter() - started), size // visits


def rate_one_by_one(scenario_name: str, visits: int) -> float:
    scenario = load_scenario(scenario_name)
    started = time.perf_counter()
    for index in range(visits):
        visit = simulate_visit(scenario, seed=1, index=index, streams=False)
        json.dumps(visit.payload, separators=(",", ":"))  # as the run does
    return visits / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scenario", default="default")
    parser.add_argument("--visits", type=int, default=300)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rate(args.scenario, 20, streams=True)  # warm-up: the first visits pay for lazy set-up
    without, size_without = rate(args.scenario, args.visits, streams=False)
    with_streams, size_with = rate(args.scenario, args.visits, streams=True)
    alone = rate_one_by_one(args.scenario, args.visits)
    print(f"scenario {args.scenario}, {args.visits} visits, 1 process")
    print(f"  baseline (payload without plate streams): {without:7.1f} visits/s, {size_without / 1024:6.1f} KiB/visit")
    print(f"  with 60 Hz plate streams in the payload:  {with_streams:7.1f} visits/s, "
          f"{size_with / 1024:6.1f} KiB/visit")
    print(f"  ratio with/without: {with_streams / without:.2f}")
    print(f"  one by one, the scenario hashed per visit: {alone:7.1f} visits/s; "
          f"ratio run/one by one: {without / alone:.2f}")
    if args.json:
        print(json.dumps({"scenario": args.scenario, "visits": args.visits,
                          "visits_per_s": round(with_streams, 1), "baseline_visits_per_s": round(without, 1),
                          "ratio": round(with_streams / without, 3), "kib_per_visit": round(size_with / 1024, 1),
                          "one_by_one_visits_per_s": round(alone, 1),
                          "ratio_run_to_one_by_one": round(without / alone, 3)}))


if __name__ == "__main__":
    main()
