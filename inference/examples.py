"""Labelled examples: human answers the model trains on, recorded with provenance.

Other apps call ``examples_record`` explicitly (annotation when a task is consolidated);
nothing here listens for signals.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from inference.models import ExampleKind, LabelledExample
from jwo_review.errors import InvalidInput
from jwo_review.store.models import Visit

ACTIONS = ("pick", "put_back", "restock", "noise")


@dataclass(frozen=True)
class ExampleSpec:
    ref: str
    action: str
    confidence: float
    kind: str = ExampleKind.EVENT
    event_seq: int | None = None
    t: float | None = None
    sku: str = ""
    quantity: int = 0
    track_id: int | None = None
    provenance: dict[str, Any] = field(default_factory=dict)


@transaction.atomic
def examples_record(*, visit: Visit, source: str, examples: Sequence[ExampleSpec]) -> list[LabelledExample]:
    """Store (or update) one example per ``ref`` of ``visit`` from ``source``; refs of
    that visit and source no longer given are removed, so the examples always equal the
    latest consolidation. Raises InvalidInput for an unknown action (nothing written)."""
    bad = [e.ref for e in examples if e.action not in ACTIONS]
    if bad:
        raise InvalidInput(
            "Unknown action in labelled examples.", fields={"action": [f"{r}: one of {ACTIONS}" for r in bad]}
        )
    kept = []
    for e in examples:
        row, _ = LabelledExample.objects.update_or_create(
            visit=visit,
            source=source,
            ref=e.ref,
            defaults={
                "store_id": visit.store_id,
                "kind": e.kind,
                "event_seq": e.event_seq,
                "t": e.t,
                "action": e.action,
                "sku": e.sku or "",
                "quantity": e.quantity,
                "track_id": e.track_id,
                "confidence": e.confidence,
                "provenance": e.provenance,
            },
        )
        kept.append(row)
    LabelledExample.objects.filter(visit=visit, source=source).exclude(pk__in=[r.pk for r in kept]).delete()
    return kept
