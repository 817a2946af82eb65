"""Query-string filters of the list endpoints, parsed strictly (a bad value is a 400)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework import serializers

from jwo_review.store.models import Receipt, Visit, VisitStatus


class VisitFilterSerializer(serializers.Serializer[Any]):
    store = serializers.SlugField(required=False)
    status = serializers.ChoiceField(choices=VisitStatus.choices, required=False)
    client_visit_id = serializers.CharField(required=False, max_length=64)
    entered_after = serializers.DateTimeField(required=False)
    entered_before = serializers.DateTimeField(required=False)

    def apply(self, qs: QuerySet[Visit]) -> QuerySet[Visit]:
        data = self.validated_data
        if "store" in data:
            qs = qs.filter(store__code=data["store"])
        if "status" in data:
            qs = qs.filter(status=data["status"])
        if "client_visit_id" in data:
            qs = qs.filter(client_visit_id=data["client_visit_id"])
        if "entered_after" in data:
            qs = qs.filter(entered_at__gte=data["entered_after"])
        if "entered_before" in data:
            qs = qs.filter(entered_at__lt=data["entered_before"])
        return qs


class ReceiptFilterSerializer(serializers.Serializer[Any]):
    store = serializers.SlugField(required=False)
    visit = serializers.IntegerField(required=False, min_value=1)
    client_visit_id = serializers.CharField(required=False, max_length=64)
    source = serializers.ChoiceField(  # type: ignore[assignment]
        choices=["model", "review", "dispute", "admin"], required=False
    )
    all_versions = serializers.BooleanField(required=False, default=False)

    def apply(self, qs: QuerySet[Receipt]) -> QuerySet[Receipt]:
        data = self.validated_data
        if not data.get("all_versions"):
            qs = qs.filter(is_final=True)
        if "store" in data:
            qs = qs.filter(visit__store__code=data["store"])
        if "visit" in data:
            qs = qs.filter(visit_id=data["visit"])
        if "client_visit_id" in data:
            qs = qs.filter(visit__client_visit_id=data["client_visit_id"])
        if "source" in data:
            qs = qs.filter(source=data["source"])
        return qs
