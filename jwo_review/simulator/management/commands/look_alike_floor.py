"""How many reviews same-plate look-alikes cost even a reader who knows more than any model.

    python manage.py look_alike_floor --scenario default --visits 5000 --seed 101
    python manage.py look_alike_floor --scenario independent --visits 5000 --seed 101 --json

Same scenario, count and seed as ``evaluate_model``: the same visits. What the genie is
told, and why its cost is a floor for any model, is in ``jwo_review.simulator.floor``.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from jwo_review.simulator.floor import DEFAULT_ALLOWED, look_alike_floor
from jwo_review.simulator.scenario import ScenarioError, load_scenario


class Command(BaseCommand):
    help = "Reviews a genie needs for same-plate look-alikes alone: a floor under any model's reviews."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scenario", default="default", help="Scenario name or path to a scenario file.")
        parser.add_argument("--visits", type=int, default=5000)
        parser.add_argument("--seed", type=int, default=777)
        parser.add_argument("--target", type=float, default=0.995, help="Auto-issued accuracy to reach.")
        parser.add_argument(
            "--allowed",
            default=",".join(str(a) for a in DEFAULT_ALLOWED),
            help="Comma-separated counts of look-alike errors let through to price (default %(default)s).",
        )
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")
        parser.add_argument("--quiet", action="store_true", help="No progress bar.")

    def handle(self, *args: Any, **o: Any) -> None:
        if o["visits"] < 1:
            raise CommandError(f"--visits must be at least 1, not {o['visits']}.")
        if o["seed"] < 0:
            raise CommandError(f"--seed must be 0 or more, not {o['seed']}.")
        if not 0.0 < o["target"] < 1.0:
            raise CommandError("--target is a probability strictly between 0 and 1, e.g. 0.995.")
        try:
            allowed = sorted({int(a) for a in o["allowed"].split(",") if a.strip()})
        except ValueError:
            raise CommandError(
                f"--allowed takes whole numbers separated by commas, e.g. 0,10,20; got {o['allowed']!r}."
            ) from None
        if any(a < 0 for a in allowed):
            raise CommandError("--allowed counts errors let through: 0 or more each.")
        try:
            scenario = load_scenario(o["scenario"])
        except ScenarioError as exc:
            raise CommandError(f"Scenario error in {exc}") from None
        bar = tqdm(
            total=o["visits"],
            desc=f"look-alike floor {scenario.name}",
            unit="visit",
            file=sys.stderr,
            disable=o["quiet"] or o["json"],
            mininterval=1.0,
        )
        with bar:
            report = look_alike_floor(scenario, o["visits"], o["seed"], o["target"], allowed, progress=bar.update)
        if o["json"]:
            self.stdout.write(json.dumps(report.as_dict()))
            return
        budget = int((1.0 - report.target) * report.visits)
        self.stdout.write(
            f"{report.scenario}: {report.visits} visits, seed {report.seed}; "
            f"{report.moves} payment-group picks share their plate with their own family."
        )
        self.stdout.write(f"Genie reviewing nothing: {report.wrong_visits} visits wrong for look-alikes alone.")
        self.stdout.write(
            f"Genie reviews at {report.target:.1%} auto-issued right, look-alikes using the whole error budget "
            f"(about {budget}): {report.reviews_per_1000} per 1,000."
        )
        self.stdout.write("Look-alike errors let through -> genie reviews per 1,000:")
        for errors, reviews in report.reviews_by_errors.items():
            self.stdout.write(f"  {errors:>4} -> {reviews}")
