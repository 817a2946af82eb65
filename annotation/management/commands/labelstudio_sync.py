"""Push annotation tasks to Label Studio and pull its annotations back, with progress and a summary."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from annotation.labelstudio.models import Connection, SyncStatus
from annotation.labelstudio.sync import connection_sync


class Command(BaseCommand):
    help = "Sync Label Studio connections: push new and changed tasks, pull new and edited annotations."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--connection", help="The connection's name (default: every enabled connection).")
        parser.add_argument("--json", action="store_true", help="One JSON line per connection, no progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        wanted = Connection.objects.filter(enabled=True).order_by("name")
        if options["connection"]:
            wanted = Connection.objects.filter(name=options["connection"])
            if not wanted.exists():
                names = ", ".join(Connection.objects.values_list("name", flat=True)) or "none yet"
                raise CommandError(
                    f"No Label Studio connection named {options['connection']!r} (connections: {names}); "
                    "add one with manage.py labelstudio_connect."
                )
        if not wanted.exists():
            raise CommandError("No enabled Label Studio connection; add one with manage.py labelstudio_connect.")
        failed = False
        for connection in wanted:
            bars: dict[str, tqdm[Any]] = {}

            def progress(
                stage: str, done: int, total: int, bars: dict[str, tqdm[Any]] = bars, name: str = connection.name
            ) -> None:
                if options["json"]:
                    return
                bar = bars.get(stage)
                if bar is None:
                    bar = bars[stage] = tqdm(total=total, desc=f"{name} {stage}", unit="task")
                bar.total = total
                bar.update(done - bar.n)

            run = connection_sync(connection_id=connection.pk, trigger="command", progress=progress)
            for bar in bars.values():
                bar.close()
            seconds = (run.finished_at - run.started_at).total_seconds() if run.finished_at else 0.0
            if options["json"]:
                self.stdout.write(
                    json.dumps(
                        {
                            "connection": connection.name,
                            "status": run.status,
                            "seconds": round(seconds, 2),
                            "counts": run.counts,
                            "errors": run.errors,
                        }
                    )
                )
            else:
                counts = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in sorted(run.counts.items())) or "nothing"
                self.stdout.write(f"{connection.name}: {run.status} in {seconds:.1f} s: {counts}")
                for err in run.errors[:20]:
                    self.stdout.write(f"  ! {err['where']}: {err['message']}")
                if len(run.errors) > 20:
                    self.stdout.write(f"  ... and {len(run.errors) - 20} more (admin: Label Studio sync runs)")
            failed = failed or run.status == SyncStatus.FAILED
        if failed:
            raise CommandError("A sync failed; see the errors above.")
