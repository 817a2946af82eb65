"""Route scored visits that have not been routed yet (e.g. scored before routing existed)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from inference.models import Prediction
from low_confidence_queue.models import VisitRouting
from low_confidence_queue.selectors import queue_stats
from low_confidence_queue.services.routing import visits_route


class Command(BaseCommand):
    help = "Route every scored visit without a routing decision; print the queue depth."

    def handle(self, *args: Any, **options: Any) -> None:
        routed = VisitRouting.objects.values("visit_id")
        waiting = list(Prediction.objects.exclude(visit_id__in=routed).values_list("visit_id", flat=True).distinct())
        results = visits_route(visit_ids=waiting)
        to_review = sum(1 for r in results if r.outcome == "review")
        stats = queue_stats()
        self.stdout.write(
            f"  routed {len(results)} visit(s): {len(results) - to_review} auto-issued, {to_review} to review; "
            f"queue depth {stats['depth']}"
        )
