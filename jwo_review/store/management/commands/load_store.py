from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jwo_review.store.aim3s import FIXTURE_DIR, build_aim3s_spec
from jwo_review.store.models import Facing, Plate, Product
from jwo_review.store.services.layout import store_load_spec


class Command(BaseCommand):
    help = "Load a store: --aim3s for the real AIM3S store, or --spec FILE for a store spec in JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--aim3s", action="store_true", help="The AIM3S store (81 real products).")
        parser.add_argument(
            "--data-dir",
            type=Path,
            default=FIXTURE_DIR,
            help="Folder with product_info.json and weight_calibration.json.",
        )
        parser.add_argument("--spec", type=Path, help="A store spec file (JSON).")

    def handle(self, *args: Any, **options: Any) -> None:
        if bool(options["aim3s"]) == bool(options["spec"]):
            raise CommandError("Say which store: --aim3s, or --spec FILE.")
        notes: list[str] = []
        if options["aim3s"]:
            data_dir: Path = options["data_dir"]
            if not (data_dir / "product_info.json").exists():
                raise CommandError(f"{data_dir}/product_info.json not found; pass --data-dir with the AIM3S files.")
            spec, notes = build_aim3s_spec(data_dir)
        else:
            try:
                spec = json.loads(options["spec"].read_text())
            except (OSError, json.JSONDecodeError) as exc:
                raise CommandError(f"Cannot read {options['spec']}: {exc}") from exc
        store = store_load_spec(spec)
        for note in notes:
            self.stdout.write(f"  imputed: {note}")
        plates = Plate.objects.filter(store=store).count()
        products = Product.objects.filter(facings__planogram__store=store, facings__planogram__is_active=True)
        facings = Facing.objects.filter(planogram__store=store, planogram__is_active=True).count()
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded {store.name} ({store.code}): {store.fixtures.count()} fixtures, {plates} plates, "
                f"{products.distinct().count()} products, {facings} facings, {store.cameras.count()} cameras."
            )
        )
