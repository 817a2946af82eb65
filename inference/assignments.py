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

from collections.abc import Sequence
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
