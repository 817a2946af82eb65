"""Train, calibrate and register a model version on simulated visits."""

from __future__ import annotations

import json
import time
from argparse import BooleanOptionalAction
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from inference.recipe import PRESETS, recipe
from inference.services import model_promote, model_register
from inference.training import calibrator_fit_visits, train_and_calibrate


class Command(BaseCommand):
    help = "Train the visit model on a simulator scenario, calibrate it on held-out visits and register it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scenario", default="default", help="Scenario name or path to a scenario file.")
        parser.add_argument(
            "--preset", default="measured", choices=sorted(PRESETS), help="Training recipe (inference/recipe.py)."
        )
        parser.add_argument("--visits", type=int, default=None, help="Training visits (default: the preset's).")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--calibration-visits",
            type=int,
            default=None,
            help=(
                "Held-out visits for the threshold (seed + 2000006), default: the preset's. More visits give a "
                "tighter finite-sample margin, so more receipts are auto-issued at the same guaranteed accuracy"
            ),
        )
        parser.add_argument(
            "--fit-visits",
            type=int,
            default=None,
            help="Held-out visits that fit the calibrator (seed + 1000003); default: the preset's, or half the "
            "threshold visits.",
        )
        parser.add_argument("--epochs", type=int, default=None)
        parser.add_argument("--batch-size", type=int, default=None)
        parser.add_argument("--lr", type=float, default=None)
        parser.add_argument("--d-model", type=int, default=None)
        parser.add_argument("--layers", type=int, default=None)
        parser.add_argument(
            "--members",
            type=int,
            default=None,
            help="Networks trained apart, each on its own visits, and averaged (default: the preset's).",
        )
        parser.add_argument("--target", type=float, default=None, help="Target accuracy of auto-issued receipts.")
        parser.add_argument(
            "--vision-items",
            action=BooleanOptionalAction,
            default=None,
            help=(
                "Also read hands in a shelf no weight event explains and put items on the receipt from vision "
                "(default: the preset's; --no-vision-items trains a weight-events-only network)."
            ),
        )
        parser.add_argument("--name", default="", help="Version name (default: scenario, seed and time).")
        parser.add_argument("--activate", action="store_true", help="Make the new version the active one.")

    def handle(self, *args: Any, **o: Any) -> None:
        plan = recipe(o["preset"]).with_overrides(
            visits=o["visits"],
            calibration_visits=o["calibration_visits"],
            fit_visits=o["fit_visits"],
            epochs=o["epochs"],
            batch_size=o["batch_size"],
            lr=o["lr"],
            d_model=o["d_model"],
            layers=o["layers"],
            target=o["target"],
            vision_items=o["vision_items"],
            members=o["members"],
        )
        if plan.members < 1:
            raise CommandError(f"--members is a number of networks, 1 or more; got {plan.members}.")
        for flag, count in (("--calibration-visits", plan.calibration_visits), ("--fit-visits", plan.fit_visits)):
            if count is not None and count < 1:
                raise CommandError(f"{flag} is a number of visits, 1 or more; got {count}.")
        o.update(
            visits=plan.visits,
            calibration_visits=plan.calibration_visits,
            epochs=plan.epochs,
            batch_size=plan.batch_size,
            target=plan.target,
        )
        steps_per_epoch = -(-o["visits"] // o["batch_size"])
        bars: list[tqdm[Any]] = []

        def on_step(step: int, loss: float) -> None:
            if not bars:  # opened at the first step so the simulation's wait does not show as 0%
                bars.append(
                    tqdm(
                        total=steps_per_epoch * o["epochs"] * plan.members,
                        desc="training" if plan.members == 1 else f"training {plan.members} networks",
                        unit="step",
                        disable=o["verbosity"] < 1,
                    )
                )
            bar = bars[0]
            bar.update(1)
            epoch = (step - 1) // (steps_per_epoch * plan.members) + 1
            bar.set_postfix(loss=f"{loss:.4f}", epoch=f"{epoch}/{o['epochs']}")

        trained = f"{plan.members} x {o['visits']}" if plan.members > 1 else str(o["visits"])
        fit = calibrator_fit_visits(plan.calibration_visits, plan.fit_visits)
        self.stdout.write(
            f"Simulating {trained} training, {fit} calibration and "
            f"{o['calibration_visits']} threshold visits of {o['scenario']!r}"
        )
        result = train_and_calibrate(
            scenario=o["scenario"],
            visits=o["visits"],
            seed=o["seed"],
            calibration_visits=o["calibration_visits"],
            fit_visits=plan.fit_visits,
            epochs=o["epochs"],
            target=o["target"],
            config=plan.net,
            batch_size=plan.batch_size,
            lr=plan.lr,
            on_step=on_step,
            members=plan.members,
        )
        for bar in bars:
            bar.close()
        name = (
            o["name"]
            or f"{o['scenario'].rsplit('/', 1)[-1].split('.')[0]}-s{o['seed']}-{time.strftime('%Y%m%d-%H%M%S')}"
        )
        version = model_register(name=name, result=result, target_accuracy=o["target"])
        self.stdout.write(f"Registered model version {version.pk} ({version.name}) in {result.seconds:.0f} s")
        self.stdout.write("Held-out metrics (model):    " + json.dumps(result.model_cal.metrics))
        self.stdout.write("Held-out metrics (baseline): " + json.dumps(result.baseline_cal.metrics))
        if o["activate"]:
            model_promote(model_version=version)
            self.stdout.write(self.style.SUCCESS(f"Model version {version.pk} is active."))
        else:
            self.stdout.write(f"Candidate; activate with the admin, the API or --activate (id {version.pk}).")
