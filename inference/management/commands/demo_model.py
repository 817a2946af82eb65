"""Make sure the demo has an active model and that waiting visits are scored."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from inference.demo import demo_model_ready


class Command(BaseCommand):
    help = "Train and activate a small default-scenario model if none is active; score visits still received."

    def handle(self, *args: Any, **options: Any) -> None:
        demo_model_ready(stdout=self.stdout)
