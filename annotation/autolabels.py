"""Auto-labels: the model's per-event answers as an annotation task stores them, and the
simulator's truth in the same shape (for gold tasks and simulated annotators)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from inference.assignments import weight_assignments


def _clean(seq: int, action: str, sku: str | None, quantity: int, track_id: int | None) -> dict[str, Any]:
    moved = action in ("pick", "put_back", "restock")
    return {
        "seq": seq,
        "action": action,
        "sku": (sku or "") if moved else "",
        "quantity": int(quantity or 0) if moved else 0,
        "track_id": track_id if action in ("pick", "put_back") else None,
    }


def from_assignments(seqs: Sequence[int], assignments: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One auto-label per weight event (``seqs`` in order) from a prediction's
    ``event_assignments``; ``confidence`` is the model's belief in its action and
    product for the event (what hard-case mining ranks by). The reaches a ``vision_items``
    network decided on are no weight events and get no auto-label."""
    assignments = weight_assignments(assignments)
    out = []
    for i, seq in enumerate(seqs):
        a = assignments[i] if i < len(assignments) and isinstance(assignments[i], dict) else {}
        action = str(a.get("action") or "noise")
        probs = a.get("probabilities") or {}
        p_action = float((probs.get("action") or {}).get(action, 0.0))
        p_product = float(probs.get("product", 1.0)) if action in ("pick", "put_back") else 1.0
        track = a.get("track_id")
        label = _clean(
            seq, action, a.get("sku"), int(a.get("quantity") or 1), int(track) if track is not None else None
        )
        label["confidence"] = round(p_action * p_product, 4)
        out.append(label)
    return out


def from_truth(seqs: Sequence[int], truth: dict[str, Any]) -> list[dict[str, Any]]:
    """The simulator's true label of each weight event (``event_labels`` follow the
    payload's event order, which is the seq order)."""
    labels = truth.get("event_labels") or []
    out = []
    for i, seq in enumerate(seqs):
        t: dict[str, Any] = labels[i] if i < len(labels) else {"action": "noise"}
        out.append(
            _clean(seq, str(t.get("action") or "noise"), t.get("sku"), int(t.get("quantity") or 0), t.get("track_id"))
        )
    return out
