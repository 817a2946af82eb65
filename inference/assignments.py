"""What a prediction stores per interaction, and how its readers tell the kinds apart.

``Prediction.event_assignments`` holds one entry per weight event (in event order, as
``inference.decode`` made them) and, from a ``vision_items`` network, one entry per
unexplained reach after them: ``"event": None``, ``"source": "vision"`` and what was
decided of the reach. A reach entry ``on_receipt`` put an item on the receipt that no
scale weighed, so a reviewer must be told, and it is never a weight event: auto-labels,
attribution and every list that pairs entries with weight events by position read
``weight_assignments`` only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

VISION = "vision"
REACH_FIELDS = ("reach", "plate", "t", "action", "sku", "quantity", "track_id", "on_receipt", "probability")


def vision_entries(reach_items: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The stored entry of each reach decision (``VisitScore.reach_items``)."""
    return [{"event": None, "source": VISION, **{key: item[key] for key in REACH_FIELDS}} for item in reach_items]


def is_vision(entry: Any) -> bool:
    return isinstance(entry, dict) and entry.get("source") == VISION


def weight_assignments(entries: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The weight events' entries, in event order (predictions made before reaches were
    stored hold nothing else)."""
    return [entry for entry in entries if not is_vision(entry)]


def camera_only_items(entries: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The reach entries that changed the receipt: items only the cameras saw moved."""
    return [entry for entry in entries if is_vision(entry) and entry.get("on_receipt") and entry.get("sku")]


def _weighed_doubt(entry: dict[str, Any], names: Mapping[str, str]) -> str:
    """Which part of a weight event's decision its probabilities doubt most."""
    probs = entry.get("probabilities") or {}
    if not entry.get("on_receipt"):
        return "nothing billed, may be a group shopper's move"
    parts = {
        "the product": float(probs.get("product", 1.0)),
        "the shopper": float(probs.get("in_group", 1.0)),
        "the action": float((probs.get("action") or {}).get(entry.get("action"), 1.0)),
    }
    part = min(parts, key=lambda k: (parts[k], k))
    top_two = probs.get("top_two") or []
    if part == "the product" and len(top_two) == 2:
        first, second = top_two
        name = [names.get(first["sku"], first["sku"]), names.get(second["sku"], second["sku"])]
        if first["sku"] == second["sku"]:
            return f"the quantity: {first['quantity']} or {second['quantity']} of {name[0]}"
        return f"the product: {name[0]} or {name[1]}"
    return part


def least_sure(
    entries: Sequence[dict[str, Any]], event_times: Sequence[float], names: Mapping[str, str] | None = None
) -> str:
    """The stored prediction's least sure decision, for the reviewer it was sent to: where
    (a weight change's start, or an unexplained hand's moment, and the plate), which part
    the model doubts most, and the decision's probability; ``event_times`` are the weight
    events' starts in event order, ``names`` product names by SKU (a SKU without one is
    shown as it is). "" for a prediction with no decision."""
    found: list[tuple[float, str]] = []
    for i, entry in enumerate(weight_assignments(entries)):
        p = float((entry.get("probabilities") or {}).get("contribution", 1.0))
        when = f" at {event_times[i]:.1f} s" if i < len(event_times) else ""
        doubt = _weighed_doubt(entry, names or {})
        found.append((p, f"weight change{when} on {entry.get('plate')}, {doubt} ({p:.2f})"))
    for entry in entries:
        if is_vision(entry):
            p = float(entry.get("probability", 1.0))
            billed = (
                "billed from the cameras alone"
                if entry.get("on_receipt")
                else "nothing billed, may be an item the scale missed"
            )
            where = f"hand at {float(entry['t']):.1f} s on {entry.get('plate')}, no weight change"
            found.append((p, f"{where}, {billed} ({p:.2f})"))
    return min(found, key=lambda f: f[0])[1] if found else ""


def doubted_skus(entries: Sequence[dict[str, Any]]) -> set[str]:
    """The products ``least_sure`` may name: each weight event's two likeliest."""
    return {
        str(answer["sku"])
        for entry in weight_assignments(entries)
        for answer in (entry.get("probabilities") or {}).get("top_two") or []
    }
