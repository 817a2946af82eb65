"""Entry points other areas call by dotted path from settings (no import of this app needed)."""

from __future__ import annotations

from inference.services import SCORING_CHUNK


def visits_ingested(visit_ids: list[int]) -> None:
    """Queue scoring of newly ingested visits (ingest calls this after its commit)."""
    from inference.tasks import score_visits

    for start in range(0, len(visit_ids), SCORING_CHUNK):
        score_visits.delay(list(visit_ids[start : start + SCORING_CHUNK]))
