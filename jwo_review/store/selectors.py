"""Reads of the store domain, scoped to what the caller may see."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, QuerySet

from jwo_review.accounts.permissions import is_store_client
from jwo_review.store.models import Receipt, Visit


def visits_visible_to(user: Any) -> QuerySet[Visit]:
    qs = Visit.objects.select_related("store").prefetch_related("shoppers")
    if is_store_client(user):
        qs = qs.filter(store_id=user.store_id)
    return qs


def visits_with_counts(qs: QuerySet[Visit]) -> QuerySet[Visit]:
    return qs.annotate(n_weight=Count("weight_events", distinct=True), n_vision=Count("vision_events", distinct=True))


def receipts_visible_to(user: Any) -> QuerySet[Receipt]:
    qs = Receipt.objects.select_related("visit__store").prefetch_related("lines__product")
    if is_store_client(user):
        qs = qs.filter(visit__store_id=user.store_id)
    return qs
