"""Print the model's feature columns: tensor, group, column and offset."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from inference.features.schema import SCHEMAS, schema_rows


class Command(BaseCommand):
    help = "List every feature column the visit model reads, by tensor and group, with its offset."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"{'tensor':<18} {'group':<14} {'column':<18} offset")
        for tensor, group, column, offset in schema_rows():
            self.stdout.write(f"{tensor:<18} {group:<14} {column:<18} {offset:>6}")
        widths = ", ".join(f"{s.array} {s.width}" for s in SCHEMAS)
        self.stdout.write(f"widths: {widths}")
