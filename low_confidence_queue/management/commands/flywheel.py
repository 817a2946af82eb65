"""Run the flywheel day after day in a fresh store and print what it did each day."""

from __future__ import annotations

import json
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from jwo_review.celery import app
from jwo_review.flywheel import DayRow, flywheel_day, flywheel_people, flywheel_plot, flywheel_store

COLUMNS = ("day", "visits", "reviews/1000", "true acc", "audit est", "threshold", "model", "promoted", "next thr", "s")


class Command(BaseCommand):
    help = (
        "Simulate D days of N visits in a fresh store of SCENARIO: ingest, score, route, simulated reviews and "
        "annotation, the nightly retraining and threshold job; a table row (or a JSON line) per day and a PNG."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scenario", default="new_format")
        parser.add_argument("--days", type=int, default=4)
        parser.add_argument("--visits-per-day", type=int, default=3000)
        parser.add_argument("--seed", type=int, default=11)
        parser.add_argument("--reviewer-error", type=float, default=0.01, help="Share of wrong receipts approved.")
        parser.add_argument("--annotate-slots", type=int, default=200, help="Annotation slots labelled per day.")
        parser.add_argument("--preset", default=None, help="Retraining recipe (default JWO_RETRAIN_PRESET).")
        parser.add_argument("--png", default="", help="Where to write the chart (default flywheel-<scenario>.png).")
        parser.add_argument("--json", action="store_true", help="One JSON line per day, then one with all days.")

    def handle(self, *args: Any, **o: Any) -> None:
        from inference.selectors import active_model

        if active_model() is None:
            raise CommandError("No active model: train one first (manage.py train_model --activate).")
        if o["preset"]:
            settings.JWO_RETRAIN_PRESET = o["preset"]
        # The tasks ingest queues (scoring, routing, annotation, the nightly job) run in this
        # process, through the same code a worker runs.
        app.conf.task_always_eager = True
        run = f"fw{o['seed']}-{time.strftime('%m%d%H%M%S')}"
        store = flywheel_store(scenario_name=o["scenario"], run=run)
        reviewer, crew = flywheel_people(run=run)
        rows: list[DayRow] = []
        total = o["days"] * o["visits_per_day"]
        bar = tqdm(total=total, desc=f"flywheel {o['scenario']}", unit="visit", disable=o["verbosity"] < 1)
        if not o["json"]:
            self.stdout.write(f"store {store.code}, model {active_model()}")
            self.stdout.write(" | ".join(COLUMNS))

        def on_progress(stage: str, n: int) -> None:
            bar.update(n)
            bar.set_postfix(stage=stage)

        for day in range(1, o["days"] + 1):
            row = flywheel_day(
                store=store,
                scenario_name=o["scenario"],
                day=day,
                visits=o["visits_per_day"],
                seed=o["seed"],
                reviewer=reviewer,
                crew=crew,
                reviewer_error=o["reviewer_error"],
                annotate_slots=o["annotate_slots"],
                on_progress=on_progress,
            )
            rows.append(row)
            bar.clear()
            if o["json"]:
                self.stdout.write(json.dumps(row.as_dict()))
            else:
                self.stdout.write(self._line(row))
            bar.refresh()
        bar.close()
        png = o["png"] or f"flywheel-{o['scenario']}.png"
        flywheel_plot(scenario=o["scenario"], rows=rows, path=png)
        keys = (
            "day",
            "visits",
            "reviews_per_1000",
            "true_auto_issued_accuracy",
            "audit_estimate",
            "threshold",
            "model_version",
            "promoted",
        )
        summary = {"scenario": o["scenario"], "days": [{k: r.as_dict()[k] for k in keys} for r in rows]}
        if o["json"]:
            self.stdout.write(json.dumps(summary))
        else:
            self.stdout.write(f"chart: {png}")

    @staticmethod
    def _line(r: DayRow) -> str:
        def num(x: float | None, fmt: str) -> str:
            return "-" if x is None else format(x, fmt)

        return " | ".join(
            [
                str(r.day),
                str(r.visits),
                num(r.reviews_per_1000, ".1f"),
                num(None if r.true_auto_issued_accuracy is None else 100 * r.true_auto_issued_accuracy, ".2f") + "%",
                num(r.audit_estimate, ".4f"),
                num(r.threshold, ".4f"),
                r.model_version,
                "yes" if r.promoted else "no",
                num(r.extra.get("next_threshold"), ".4f"),
                num(r.extra.get("seconds", {}).get("day_s"), ".0f"),
            ]
        )
