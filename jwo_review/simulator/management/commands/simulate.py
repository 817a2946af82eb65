"""``manage.py simulate --scenario NAME_OR_PATH --visits N --seed S``, or ``--script FILE``.

Ingests simulated visits through ``visits_ingest`` (as the API does), or with
``--export PATH`` writes their API payloads as JSON Lines instead; ``--truth PATH``
writes the ground truth the same way. ``--report`` adds the event detector's precision
and recall per hard case and how often all camera views of a reach name the same wrong
product; ``--json`` ends the output with one JSON object.

``--entered-from ISO`` dates the generated visits from that time instead of the
scenario's ``traffic.start`` (the demo's visits are today's); nothing else about them changes.

``--script FILE`` replays the visits a script file lists (see
``jwo_review.simulator.scripted``) instead of generating them: the whole file is checked
first, and a script is ingested all or nothing.

The ``--export`` and ``--truth`` files appear only when the run succeeds, so a failed
run leaves any earlier file as it was instead of an emptied or half-written one.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from jwo_review.errors import Conflict, InvalidInput
from jwo_review.simulator.generate import SimVisit, simulate_visits
from jwo_review.simulator.report import RunReport
from jwo_review.simulator.scenario import Scenario, ScenarioError, load_scenario
from jwo_review.simulator.scripted import ScriptError, load_script, simulate_script
from jwo_review.simulator.services import script_ingest, simulation_ingest


@contextmanager
def _written_whole(path: Path | None) -> Iterator[IO[str] | None]:
    """A text file that takes the place of ``path`` only when the block ends without an
    error: it is written beside it under a temporary name, then renamed over it (or
    removed, on an error)."""
    if path is None:
        yield None
        return
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        with partial.open("w") as handle:
            yield handle
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def _entered_from(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        when = None
    if when is None or when.tzinfo is None:
        raise CommandError(
            f"--entered-from must be an ISO 8601 time with a zone, such as 2026-12-08T09:00:00Z, not {value!r}."
        )
    return when.astimezone(UTC)  # payload times are UTC, whatever zone the option was given in


class Command(BaseCommand):
    help = "Simulate store visits and ingest them (or export them as JSON Lines)."

    def add_arguments(self, parser: CommandParser) -> None:
        source = parser.add_mutually_exclusive_group()
        source.add_argument("--scenario", default="default", help="default, busy, new_format or a YAML file.")
        source.add_argument("--script", type=Path, default=None, help="Replay the visits a script file lists.")
        parser.add_argument("--visits", type=int, default=None, help="How many visits to generate (default 100).")
        parser.add_argument("--seed", type=int, default=None, help="Defaults to the scenario's (or script's) seed.")
        parser.add_argument("--start", type=int, default=None, help="First visit index (to extend a run).")
        parser.add_argument(
            "--entered-from",
            default=None,
            metavar="ISO",
            help="Date the run from this time instead of the scenario's traffic.start: visit index 0 enters "
            "then (ISO 8601 with a zone, e.g. 2026-12-08T09:00:00Z); the same seed gives the same visits.",
        )
        parser.add_argument("--export", type=Path, default=None, help="Write payloads here instead of ingesting.")
        parser.add_argument("--truth", type=Path, default=None, help="Write the ground truth here (JSON Lines).")
        parser.add_argument("--no-streams", action="store_true", help="Leave the raw plate streams out.")
        parser.add_argument(
            "--report", action="store_true", help="Detector precision/recall per hard case; camera-view agreement."
        )
        parser.add_argument("--json", action="store_true", help="End with one JSON object (the summary).")
        parser.add_argument("--quiet", action="store_true", help="No progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["seed"] is not None and options["seed"] < 0:
            raise CommandError(f"--seed must be 0 or more, not {options['seed']}.")
        if options["script"] is not None:
            if options["visits"] is not None or options["start"] is not None or options["entered_from"] is not None:
                raise CommandError(
                    "--visits, --start and --entered-from are for generated visits; a script lists its own visits."
                )
            try:
                script = load_script(options["script"])
            except ScriptError as exc:
                raise CommandError(f"Script error in {options['script']}: {exc}") from None
            scenario = script.scenario
            seed = script.seed if options["seed"] is None else options["seed"]
            # Simulated up front: a script is small, and ingesting it is all or nothing.
            visits: Iterable[SimVisit] = list(simulate_script(script, seed=seed, streams=not options["no_streams"]))
            total, what = len(script.visits), f"script {script.name!r}"
        else:
            visits_wanted = 100 if options["visits"] is None else options["visits"]
            if visits_wanted < 1:
                raise CommandError("--visits must be at least 1.")
            try:
                scenario = load_scenario(options["scenario"])
            except ScenarioError as exc:
                raise CommandError(f"Scenario error in {exc}") from None
            seed = scenario.seed if options["seed"] is None else options["seed"]
            start = options["start"] or 0
            visits = simulate_visits(
                scenario,
                visits_wanted,
                seed,
                start=start,
                streams=not options["no_streams"],
                clock_start=_entered_from(options["entered_from"]),
            )
            total, what = visits_wanted, f"scenario {scenario.name!r}"
        report = RunReport()
        started = time.perf_counter()
        bar = tqdm(
            total=total,
            desc=f"simulate {scenario.name}",
            unit="visit",
            file=sys.stderr,
            disable=options["quiet"],
            mininterval=1.0,
        )
        created = 0
        with ExitStack() as stack:
            export = stack.enter_context(_written_whole(options["export"]))
            truth = stack.enter_context(_written_whole(options["truth"]))

            def record(batch: list[SimVisit]) -> None:
                for visit in batch:
                    report.add(visit.truth)
                    if options["report"]:
                        report.add_views(scenario, visit.payload, visit.truth)
                    if export is not None:
                        export.write(json.dumps(visit.payload, sort_keys=True, separators=(",", ":")) + "\n")
                    if truth is not None:
                        truth.write(json.dumps(visit.truth, sort_keys=True, separators=(",", ":")) + "\n")
                bar.update(len(batch))

            if export is not None:
                for visit in visits:
                    record([visit])
            else:
                created = self._ingest(scenario, visits, seed, record, whole=options["script"] is not None)
        bar.close()
        elapsed = time.perf_counter() - started
        where = (
            f"exported to {options['export']}"
            if export is not None
            else (
                f"ingested into store {scenario.store_code!r} ({created} new, {report.visits - created} already there)"
            )
        )
        self.stdout.write(
            f"Simulated {report.visits} visits of {what} (seed {seed}) in "
            f"{elapsed:.1f} s, {report.visits / max(elapsed, 1e-9):.1f} visits/s; {where}."
        )
        for line in report.summary_lines(with_detector=options["report"]):
            self.stdout.write(line)
        if options["json"]:
            self.stdout.write(json.dumps(report.as_json(), sort_keys=False))

    @staticmethod
    def _ingest(
        scenario: Scenario,
        visits: Iterable[SimVisit],
        seed: int,
        record: Callable[[list[SimVisit]], None],
        *,
        whole: bool,
    ) -> int:
        """Ingest through ``visits_ingest``; ``whole`` stores all the visits or none."""
        try:
            if whole:
                results = script_ingest(scenario=scenario, visits=list(visits), seed=seed)
                record(list(visits))
            else:
                results = simulation_ingest(
                    scenario=scenario, visits=visits, seed=seed, on_batch=lambda batch, _results: record(batch)
                )
        except InvalidInput as exc:
            detail = getattr(exc, "fields", "")
            raise CommandError(f"Ingest refused a simulated visit: {exc} {detail}") from None
        except Conflict as exc:
            # A visit's id is script, seed and place in the file: an edited script run again
            # with the same seed names visits already stored with other contents.
            raise CommandError(
                f"{exc} A visit with this id was ingested before with other contents: run an edited script with"
                " another --seed (nothing of this run was stored)."
                if whole
                else f"{exc}"
            ) from None
        return sum(r.created for r in results)
