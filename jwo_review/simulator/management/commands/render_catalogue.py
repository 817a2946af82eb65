"""``manage.py render_catalogue [--force] [--sku SKU ...]``: draw catalogue images."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from jwo_review.simulator.media import catalogue_images_render


class Command(BaseCommand):
    help = "Render a catalogue image (PNG) for every product that has none."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="Redraw images that exist.")
        parser.add_argument("--sku", action="append", default=None, help="Only these SKUs (repeatable).")

    def handle(self, *args: Any, **options: Any) -> None:
        count = catalogue_images_render(skus=options["sku"], force=options["force"])
        self.stdout.write(f"Rendered {count} catalogue image(s).")
