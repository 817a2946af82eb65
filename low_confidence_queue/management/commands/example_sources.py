"""What each source of labelled examples adds: candidates fine-tuned from the same parent
on one dataset version, with the event heads taught by no examples (the store's reviewed
receipts only recalibrate), by reviews' attributions, by annotation, or by both, each
judged by the retraining gate on the same holdout. Nothing is written."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

VARIANTS: dict[str, tuple[str, ...] | None] = {
    "receipts only (calibration)": (),
    "reviews": ("review:",),
    "annotation": ("annotation:",),
    "reviews + annotation": None,
}


class Command(BaseCommand):
    help = (
        "Fine-tune one candidate per example source on a store's dataset version (same parent, same seed) and "
        "print the gate's figures for each on the store's holdout: what reviews and annotation each add."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--store", required=True, help="Store code.")
        parser.add_argument("--dataset", default="", help="Dataset version name (default: the store's latest).")
        parser.add_argument("--preset", default=None, help="Recipe (default JWO_RETRAIN_PRESET).")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--json", action="store_true", help="One JSON line per variant, then one with all.")

    def handle(self, *args: Any, **o: Any) -> None:
        from inference.models import DatasetVersion, ModelVersion
        from inference.recipe import recipe
        from inference.retraining import candidate_train
        from inference.selectors import model_for_store
        from jwo_review.store.models import Store
        from low_confidence_queue.services.retraining import candidate_judge

        store = Store.objects.filter(code=o["store"]).first()
        if store is None:
            raise CommandError(f"No store with code {o['store']!r}: see the admin's Stores, or the flywheel's output.")
        datasets = DatasetVersion.objects.filter(store=store)
        dataset = (datasets.filter(name=o["dataset"]) if o["dataset"] else datasets.order_by("-created_at")).first()
        if dataset is None:
            raise CommandError(f"Store {store.code} has no dataset version {o['dataset']!r}: run its retraining first.")
        made = ModelVersion.objects.filter(dataset_version=dataset).select_related("parent").first()
        parent = made.parent if made is not None and made.parent is not None else model_for_store(store.pk)
        if parent is None:
            raise CommandError("No model to start from: train one first (manage.py train_model --activate).")
        plan = recipe(o["preset"] or settings.JWO_RETRAIN_PRESET)
        rows: list[dict[str, Any]] = []
        if not o["json"]:
            self.stdout.write(f"store {store.code}, dataset {dataset.name}, parent {parent.name}, recipe {plan.name}")
        for name, sources in tqdm(VARIANTS.items(), desc="candidates", unit="candidate", disable=o["verbosity"] < 1):
            candidate = candidate_train(
                dataset=dataset, parent=parent, plan=plan, seed=o["seed"], event_sources=sources
            )
            gate = candidate_judge(candidate=candidate, store=store)
            row = {
                "variant": name,
                "event_labelled_visits": candidate.counts["event_labelled_visits"],
                "calibrated_on": candidate.counts["calibrated_on"],
                "parent_reviews_per_1000": gate["active"]["reviews_per_1000"],
                "reviews_per_1000": gate["candidate"]["reviews_per_1000"],
                "threshold": gate["candidate"]["threshold"],
                "lower_bound": gate["candidate"]["lower_bound"],
                "estimate": gate["candidate"]["estimate"],
                "passed": gate["passed"],
                "train_s": round(candidate.seconds, 1),
            }
            rows.append(row)
            if o["json"]:
                self.stdout.write(json.dumps(row))
            else:
                self.stdout.write(" | ".join(f"{k}={v}" for k, v in row.items()))
        if o["json"]:
            self.stdout.write(json.dumps({"store": store.code, "dataset": dataset.name, "variants": rows}))
