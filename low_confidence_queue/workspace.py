"""Everything the reviewer workspace shows for one task, read in a fixed number of queries.

The page embeds this as JSON; its script draws the editable receipt, the event list,
the weight trace and the shoppers' tracks from it. What belongs to each interaction
(clip window, views, trace, candidates) comes from ``jwo_review.store.interactions``,
which the annotator workspace reads too.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from jwo_review.store.interactions import visit_interactions
from low_confidence_queue.models import ReviewTask, VisitRouting
from low_confidence_queue.services.decisions import REASON_CODES, proposed_lines


def workspace_data(task: ReviewTask, *, catalogue: bool = True) -> dict[str, Any]:
    visit = task.visit
    prediction = task.prediction
    routing = VisitRouting.objects.filter(visit=visit).first()
    lines = proposed_lines(task)
    assignments = list(prediction.event_assignments) if prediction is not None else []
    data = visit_interactions(
        visit, assignments=assignments, catalogue=catalogue, extra_skus=[line.sku for line in lines]
    )
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
