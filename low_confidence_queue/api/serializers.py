"""Shapes of the queue API (inputs validated here, rules enforced in the services)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from low_confidence_queue.models import Decision, ReviewTask, RoutingPolicy, StoreThreshold
from low_confidence_queue.services.decisions import REASON_CODES


class ReviewTaskSerializer(serializers.ModelSerializer[ReviewTask]):
    visit_code = serializers.CharField(source="visit.visit_code", read_only=True)
    store = serializers.CharField(source="visit.store.code", read_only=True)
    claimed_by = serializers.CharField(source="claimed_by.username", read_only=True, default=None)
    workspace_url = serializers.SerializerMethodField()

    class Meta:
        model = ReviewTask
        fields = [
            "id",
            "visit",
            "visit_code",
            "store",
            "reason",
            "reason_detail",
            "priority",
            "status",
            "created_at",
            "sla_due_at",
            "claimed_by",
            "claimed_at",
            "lease_expires_at",
            "decision",
            "reason_code",
            "comment",
            "time_spent_s",
            "receipt",
            "flag_for_annotation",
            "workspace_url",
        ]
        read_only_fields = fields

    def get_workspace_url(self, task: ReviewTask) -> str:
        return f"/queue/tasks/{task.pk}/"


class LineInSerializer(serializers.Serializer[Any]):
    sku = serializers.CharField(max_length=40)
    quantity = serializers.IntegerField(min_value=1, max_value=99)
    shopper_track_id = serializers.IntegerField(min_value=0, required=False, allow_null=True, default=None)


class SubmitSerializer(serializers.Serializer[Any]):
    decision = serializers.ChoiceField(choices=Decision.choices)
    reason_code = serializers.ChoiceField(choices=list(REASON_CODES.items()))
    lines = LineInSerializer(
        many=True,
        required=False,
        allow_null=True,
        default=None,
        help_text="The corrected receipt (decision=correct); ignored for approve.",
    )
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    flag_for_annotation = serializers.BooleanField(required=False, default=False)
    flag_note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class DisputeSerializer(serializers.Serializer[Any]):
    visit = serializers.IntegerField(required=False, help_text="Our visit id, or give client_visit_id.")
    client_visit_id = serializers.CharField(max_length=64, required=False)
    store = serializers.CharField(max_length=40, required=False, help_text="Store code (admins with client_visit_id).")
    reason = serializers.CharField(max_length=500)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "visit" not in attrs and "client_visit_id" not in attrs:
            raise serializers.ValidationError({"visit": ["Give visit or client_visit_id."]})
        return attrs


class PolicySerializer(serializers.ModelSerializer[RoutingPolicy]):
    store = serializers.CharField(source="store.code", read_only=True, default=None)
    updated_by = serializers.CharField(source="updated_by.username", read_only=True, default=None)

    class Meta:
        model = RoutingPolicy
        fields = [
            "store",
            "target_accuracy",
            "audit_rate",
            "max_basket_value",
            "max_basket_items",
            "sla_minutes",
            "trust_model_calibration",
            "updated_by",
            "updated_at",
        ]
        read_only_fields = ["store", "updated_by", "updated_at"]


class StoreThresholdSerializer(serializers.ModelSerializer[StoreThreshold]):
    store: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = StoreThreshold
        fields = ["store", "model_version", "threshold", "audit_rate", "source", "evidence", "updated_at"]
        read_only_fields = fields
