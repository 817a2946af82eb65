"""Annotation settings from Django settings or the environment, and source priorities."""

from __future__ import annotations

from django.conf import settings

from jwo_review.env import envint


def lease_seconds() -> int:
    """How long an annotator holds a slot without renewal (the open page renews it)."""
    value = getattr(settings, "JWO_ANNOTATION_LEASE_S", None)
    return int(value) if value is not None else envint("JWO_ANNOTATION_LEASE_S", 300, minimum=15)


# Reviewer flags first (a person asked), then the model's mistakes, then mining.
PRIORITY = {"flagged": 300, "corrected": 200, "hard_case": 100, "random": 50, "gold": 0}
MAX_QUANTITY = 20
# An added interaction matches another annotator's when the product is the same and
# the moments are this close.
ADDED_MATCH_S = 2.5
# Options a field's answer is chosen from, for the one-coin likelihood of a wrong vote.
FIELD_OPTIONS = {"action": 4, "sku": 6, "quantity": 4, "track_id": 3}
