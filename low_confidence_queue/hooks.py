"""Entry points other apps call by dotted name (settings.JWO_VISITS_SCORED_HOOKS)."""

from __future__ import annotations

from low_confidence_queue.services.routing import visits_route


def visits_scored(visit_ids: list[int]) -> None:
    """Route freshly scored visits (called after the scoring transaction committed)."""
    visits_route(visit_ids=visit_ids)
