"""Dataset versions: frozen snapshots of a store's labelled examples, and the fixed
train / holdout split every candidate of that store is trained and judged on."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from inference.models import DatasetVersion, ExampleKind, LabelledExample
from jwo_review.store.models import Store

HOLDOUT_SHARE = 0.3
SNAPSHOT_FIELDS = (
    "id",
    "visit_id",
    "source",
    "kind",
    "ref",
    "event_seq",
    "t",
    "action",
    "sku",
    "quantity",
    "track_id",
    "lines",
    "confidence",
    "provenance",
)


def visit_split(visit_id: int) -> str:
    """``holdout`` or ``train``: a hash of the visit id alone, so a visit never changes
    sides as examples come and go, and every dataset version of the store agrees."""
    digest = hashlib.sha256(f"jwo-split:{int(visit_id)}".encode()).digest()
    return "holdout" if int.from_bytes(digest[:8], "big") / 2**64 < HOLDOUT_SHARE else "train"


def _content_hash(rows: list[dict[str, Any]]) -> str:
    return hashlib.sha256(json.dumps(rows, sort_keys=True, separators=(",", ":"), default=str).encode()).hexdigest()


def dataset_snapshot(*, store: Store, by: str = "system") -> tuple[DatasetVersion, bool]:
    """Freeze the store's labelled examples as a dataset version; returns (version, created).

    The same content as an existing version returns that version (created False), so a
    redelivered retraining job does not make a second snapshot."""
    rows = list(LabelledExample.objects.filter(store=store).order_by("pk").values(*SNAPSHOT_FIELDS))
    digest = _content_hash(rows)
    existing = DatasetVersion.objects.filter(store=store, content_hash=digest).first()
    if existing is not None:
        return existing, False
    visits = {r["visit_id"] for r in rows}
    sides = Counter(visit_split(v) for v in visits)
    receipts = Counter(visit_split(r["visit_id"]) for r in rows if r["kind"] == ExampleKind.RECEIPT)
    counts = {
        "examples": len(rows),
        "visits": len(visits),
        "train_visits": sides["train"],
        "holdout_visits": sides["holdout"],
        "train_receipts": receipts["train"],
        "holdout_receipts": receipts["holdout"],
        "by_source": dict(sorted(Counter(r["source"] for r in rows).items())),
    }
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    try:
        with transaction.atomic():
            version = DatasetVersion.objects.create(
                store=store,
                name=f"{store.code}-{stamp}-{digest[:8]}",
                content_hash=digest,
                example_ids=[r["id"] for r in rows],
                examples=rows,
                counts=counts,
                created_by_label=by[:64],
            )
    except IntegrityError:
        # Two jobs snapshotting the same content at once: the other one won.
        return DatasetVersion.objects.get(store=store, content_hash=digest), False
    return version, True


def dataset_examples(dataset: DatasetVersion, *, split: str | None = None) -> list[dict[str, Any]]:
    """The frozen examples of a version (optionally one side of the split)."""
    rows: list[dict[str, Any]] = list(dataset.examples)
    if split is None:
        return rows
    return [r for r in rows if visit_split(int(r["visit_id"])) == split]


def new_visits_since_snapshot(*, store: Store) -> int:
    """How many of the store's visits gained an example since its latest dataset version."""
    latest = DatasetVersion.objects.filter(store=store).order_by("-created_at").first()
    qs = LabelledExample.objects.filter(store=store)
    if latest is not None:
        qs = qs.filter(updated_at__gt=latest.created_at)
    return qs.values("visit_id").distinct().count()
