"""Everything the reviewer workspace shows for one task, read in a fixed number of queries.

The page embeds this as JSON; its script draws the editable receipt, the event list,
the weight trace and the shoppers' tracks from it. What belongs to each interaction
(clip window, views, trace, candidates) comes from ``jwo_review.store.interactions``,
which the annotator workspace reads too. A line with units only the cameras saw (the
reach decisions of a ``vision_items`` model) lists them in ``camera_only``, so the page
can tell the reviewer that no scale weighed them and show each reach.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from inference.assignments import camera_only_items, weight_assignments
from jwo_review.store.interactions import visit_interactions
from low_confidence_queue.models import ReviewTask, VisitRouting
from low_confidence_queue.services.decisions import REASON_CODES, proposed_lines


def _weighed_skus(entries: list[dict[str, Any]]) -> set[str]:
    return {str(e["sku"]) for e in weight_assignments(entries) if e.get("on_receipt") and e.get("sku")}


def _camera_only_by_sku(entries: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Per product, the units only the cameras saw move (no scale weighed them), with the
    moment of each reach so the reviewer can watch it: the page marks their lines."""
    out: dict[str, list[dict[str, Any]]] = {}
    for e in camera_only_items(entries):
        out.setdefault(str(e["sku"]), []).append(
            {key: e.get(key) for key in ("t", "plate", "action", "quantity", "track_id", "probability")}
        )
    return out


def workspace_data(task: ReviewTask, *, catalogue: bool = True) -> dict[str, Any]:
    visit = task.visit
    prediction = task.prediction
    routing = VisitRouting.objects.filter(visit=visit).first()
    lines = proposed_lines(task)
    entries = list(prediction.event_assignments) if prediction is not None else []
    data = visit_interactions(
        visit, assignments=weight_assignments(entries), catalogue=catalogue, extra_skus=[line.sku for line in lines]
    )
    weighed, seen = _weighed_skus(entries), _camera_only_by_sku(entries)
    return {
        "task": {
            "id": task.pk,
            "reason": task.reason,
            "reason_label": task.get_reason_display(),
            "reason_detail": task.reason_detail,
            "priority": task.priority,
            "sla_due_at": task.sla_due_at.isoformat(),
            "lease_expires_at": task.lease_expires_at.isoformat() if task.lease_expires_at else None,
        },
        **data,
        "prediction": {
            "confidence": prediction.confidence,
            "model": prediction.model_version.name,
            "threshold": routing.threshold if routing else None,
        }
        if prediction is not None
        else None,
        "lines": [
            {
                "sku": line.sku,
                "quantity": line.quantity,
                "shopper_track_id": line.shopper_track_id,
                "confidence": line.confidence,
                "weighed": line.sku in weighed,
                "camera_only": seen.get(line.sku, []),
            }
            for line in lines
        ],
        "reason_codes": REASON_CODES,
        "urls": {
            "clips": reverse("queue-api-task-clips", args=[task.pk]),
            "clip_status": reverse("queue-api-clips"),
            "renew": reverse("queue-api-renew", args=[task.pk]),
            "submit": reverse("queue-api-submit", args=[task.pk]),
            "skip": reverse("queue-api-skip", args=[task.pk]),
            "release": reverse("queue-api-release", args=[task.pk]),
            "peek": reverse("queue-api-peek"),
            "queue": reverse("queue"),
        },
    }
