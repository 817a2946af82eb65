"""Run every annotation task source once (what the beat job does), with a summary."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from annotation.services.sources import tasks_make_all


class Command(BaseCommand):
    help = "Make annotation tasks from every source (flagged, corrected, hard cases, random sample, gold)."

    def handle(self, *args: Any, **options: Any) -> None:
        made = tasks_make_all()
        self.stdout.write("  annotation tasks made: " + ", ".join(f"{m.source} {m.created}" for m in made))
