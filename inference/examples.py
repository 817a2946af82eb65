"""Labelled examples: human answers the model trains on, recorded with provenance.

Other apps call ``examples_record`` explicitly (annotation when a task is consolidated);
nothing here listens for signals.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from inference.assignments import camera_only_items, is_vision, weight_assignments
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
    lines: list[dict[str, Any]] = field(default_factory=list)
    provenance: dict[str, Any] = field(default_factory=dict)


@transaction.atomic
def examples_record(*, visit: Visit, source: str, examples: Sequence[ExampleSpec]) -> list[LabelledExample]:
    """Store (or update) one example per ``ref`` of ``visit`` from ``source``; refs of
    that visit and source no longer given are removed, so the examples always equal the
    latest consolidation. Raises InvalidInput for an unknown action (nothing written)."""
    bad = [e.ref for e in examples if e.kind != ExampleKind.RECEIPT and e.action not in ACTIONS]
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
                "lines": e.lines,
                "confidence": e.confidence,
                "provenance": e.provenance,
            },
        )
        kept.append(row)
    LabelledExample.objects.filter(visit=visit, source=source).exclude(pk__in=[r.pk for r in kept]).delete()
    return kept


def _line_key(line: dict[str, Any]) -> tuple[str, int | None]:
    track = line.get("shopper_track_id")
    return str(line["sku"]), None if track is None else int(track)


def _line_totals(lines: Sequence[dict[str, Any]]) -> dict[tuple[str, int | None], int]:
    """Units per (product, shopper) line."""
    return {_line_key(x): int(x["quantity"]) for x in lines}


def _entry_key(entry: dict[str, Any]) -> tuple[str, int | None]:
    """The (product, shopper) receipt line an event or reach entry made."""
    track = entry.get("track_id")
    return str(entry.get("sku")), None if track is None else int(track)


def _lines_made_by(entries: Sequence[dict[str, Any]]) -> dict[tuple[str, int | None], list[dict[str, Any]]]:
    """The entries behind each (product, shopper) line."""
    by_line: dict[tuple[str, int | None], list[dict[str, Any]]] = {}
    for entry in entries:
        by_line.setdefault(_entry_key(entry), []).append(entry)
    return by_line


def receipt_attribution(
    *, assignments: Sequence[dict[str, Any]], proposed: Sequence[dict[str, Any]], final: Sequence[dict[str, Any]]
) -> dict[int, dict[str, Any]]:
    """Event labels a receipt-level answer implies, where it implies them unambiguously.

    The model's event assignments, with the items only the cameras saw (``inference.
    assignments``), sum to the proposed receipt. Every event whose (product, shopper) line
    the reviewer left unchanged keeps its assignment as a confirmed label. A changed line
    is attributed only when exactly one receipt event made it and no camera-only item
    touched it: a swapped product (one line out, one line in, same shopper and quantity),
    a new quantity, or a removed line (that event was no pick: labelled ``noise``). Events
    of any other change get no label, so the visit teaches the receipt calibrator but not
    the event heads. Returns {event seq: {action, sku, quantity, track_id}}."""
    before, after = _line_totals(proposed), _line_totals(final)
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    events = [a for a in weight_assignments(assignments) if a.get("event") is not None]
    by_line = _lines_made_by([a for a in events if a.get("on_receipt")] + camera_only_items(assignments))
    labels: dict[int, dict[str, Any]] = {}
    for a in events:
        if not a.get("on_receipt") or _entry_key(a) not in changed:
            labels[int(a["event"])] = {
                "action": a["action"],
                "sku": a.get("sku") or "",
                "quantity": int(a.get("quantity") or 0),
                "track_id": a.get("track_id"),
            }
    gone = sorted(k for k in changed if k in before and k not in after)
    new = sorted(k for k in changed if k not in before and k in after)
    for key in sorted(changed):
        made_by = by_line.get(key, [])
        if len(made_by) != 1 or made_by[0]["action"] != "pick" or is_vision(made_by[0]):
            continue
        event = made_by[0]
        label: dict[str, Any] | None = None
        if key in before and key in after:
            label = {"action": "pick", "sku": key[0], "quantity": after[key], "track_id": key[1]}
        elif gone == [key] and len(new) == 1 and new[0][1] == key[1] and after[new[0]] == before[key]:
            label = {"action": "pick", "sku": new[0][0], "quantity": after[new[0]], "track_id": key[1]}
        elif gone == [key] and not new:
            label = {"action": "noise", "sku": "", "quantity": 0, "track_id": None}
        if label is not None:
            labels[int(event["event"])] = label
    return labels


NO_MOVE = "noise"  # a reach's label when it moved nothing for the receipt


def reach_attribution(
    *, assignments: Sequence[dict[str, Any]], proposed: Sequence[dict[str, Any]], final: Sequence[dict[str, Any]]
) -> dict[int, dict[str, Any]]:
    """Reach labels a receipt-level answer implies, where it implies them unambiguously.

    The prediction's reach entries (``inference.assignments``) say what the model made
    of each hand in a shelf no weight change explains. An entry that put an item on the
    receipt is confirmed when the reviewer left its (product, shopper) line unchanged,
    and labelled no move when the reviewer removed that line and nothing else made it.
    An entry that put nothing on the receipt is labelled no move when the reviewer
    changed no line at all: nothing was missed. Anything else (an added or swapped line, a
    changed quantity, a line the reach shared with a weight event) could be any reach's,
    so it labels none. Returns {reach index: {action, sku, quantity, track_id, t, plate}},
    ``action`` one of pick, put_back, noise."""
    before, after = _line_totals(proposed), _line_totals(final)
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    added = [k for k in after if k not in before]  # a swap or a new shopper: which reach is unknown
    made_by = _lines_made_by(
        [a for a in weight_assignments(assignments) if a.get("on_receipt")] + camera_only_items(assignments)
    )
    no_move = {"action": NO_MOVE, "sku": "", "quantity": 0, "track_id": None}
    labels: dict[int, dict[str, Any]] = {}
    for entry in assignments:
        if not is_vision(entry) or entry.get("reach") is None:
            continue
        where = {"t": entry.get("t"), "plate": entry.get("plate")}
        if entry.get("on_receipt") and entry.get("sku"):
            key = _entry_key(entry)
            if key in before and before[key] == after.get(key):
                labels[int(entry["reach"])] = where | {
                    "action": entry["action"],
                    "sku": entry["sku"],
                    "quantity": int(entry.get("quantity") or 0),
                    "track_id": entry.get("track_id"),
                }
            elif key in before and key not in after and not added and len(made_by.get(key, [])) == 1:
                labels[int(entry["reach"])] = where | no_move
        elif not changed:
            labels[int(entry["reach"])] = where | no_move
    return labels


def review_examples(
    *,
    visit: Visit,
    routing_reason: str,
    lines: Sequence[dict[str, Any]],
    proposed: Sequence[dict[str, Any]],
    assignments: Sequence[dict[str, Any]],
    provenance: dict[str, Any],
    model_lines: Sequence[dict[str, Any]] | None = None,
) -> list[LabelledExample]:
    """The examples a review decision teaches: the final receipt (always), the event
    labels it implies (``receipt_attribution``) and the reach labels
    (``reach_attribution``, kind ``missed``), all under source ``review:<reason>``."""
    labels = receipt_attribution(assignments=assignments, proposed=proposed, final=lines)
    # The reach entries describe the model's receipt; a receipt people already changed
    # (a dispute of a corrected visit) says nothing about them.
    model_receipt = model_lines is None or _line_totals(model_lines) == _line_totals(proposed)
    reaches = reach_attribution(assignments=assignments, proposed=proposed, final=lines) if model_receipt else {}
    events = weight_assignments(assignments)
    complete = bool(events) and len(labels) == len(events)
    specs = [
        ExampleSpec(
            ref="receipt",
            kind=ExampleKind.RECEIPT,
            action="",
            confidence=1.0,
            lines=[
                {"sku": x["sku"], "quantity": int(x["quantity"]), "shopper_track_id": x.get("shopper_track_id")}
                for x in lines
            ],
            provenance={**provenance, "events_labelled": len(labels), "events": len(events)},
        )
    ]
    specs += [
        ExampleSpec(
            ref=f"event:{seq}",
            event_seq=seq,
            action=label["action"],
            sku=label["sku"] or "",
            quantity=int(label["quantity"]),
            track_id=label["track_id"],
            confidence=1.0,
            provenance={**provenance, "attribution": "receipt", "visit_complete": complete},
        )
        for seq, label in sorted(labels.items())
    ]
    specs += [
        ExampleSpec(
            ref=f"reach:{index}",
            kind=ExampleKind.MISSED,
            t=label["t"],
            action=label["action"],
            sku=label["sku"],
            quantity=label["quantity"],
            track_id=label["track_id"],
            confidence=1.0,
            provenance={**provenance, "attribution": "receipt", "reach": index, "plate": label["plate"]},
        )
        for index, label in sorted(reaches.items())
    ]
    return examples_record(visit=visit, source=f"review:{routing_reason}"[:24], examples=specs)
