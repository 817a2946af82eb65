"""Simulated past days for the demo dashboard (idempotent), then the daily rollups."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from low_confidence_queue.services.history import demo_history_seed


class Command(BaseCommand):
    help = "Seed simulated past days of routing and review work (with a model promotion) and roll them up."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=14)
        parser.add_argument("--visits-per-day", type=int, default=160)
        parser.add_argument("--seed", type=int, default=7)

    def handle(self, *args: Any, **options: Any) -> None:
        result = demo_history_seed(days=options["days"], visits_per_day=options["visits_per_day"], seed=options["seed"])
        if result.visits == 0:
            self.stdout.write("  history already there")
        else:
            self.stdout.write(
                f"  {result.visits} past visits, {result.tasks} review tasks over {options['days']} days; "
                f"{result.days_rolled_up} days rolled up"
            )
