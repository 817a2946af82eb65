"""Serializers of the annotation API."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from annotation.models import ACTIONS, AnnotationSlot


class SlotSerializer(serializers.ModelSerializer[AnnotationSlot]):
    task = serializers.IntegerField(source="task_id", read_only=True)
    visit = serializers.IntegerField(source="task.visit_id", read_only=True)
    visit_code = serializers.CharField(source="task.visit.visit_code", read_only=True)
    store = serializers.CharField(source="task.visit.store.code", read_only=True)

    class Meta:
        model = AnnotationSlot
        fields = [
            "id",
            "task",
            "visit",
            "visit_code",
            "store",
            "status",
            "focus",
            "claimed_at",
            "lease_expires_at",
            "submitted_at",
            "time_spent_s",
        ]
        read_only_fields = fields


class EventLabelSerializer(serializers.Serializer[Any]):
    seq = serializers.IntegerField(min_value=0)
    action = serializers.ChoiceField(choices=ACTIONS)
    sku = serializers.CharField(allow_blank=True, required=False, default="")
    quantity = serializers.IntegerField(min_value=0, max_value=20, required=False, default=0)
    track_id = serializers.IntegerField(min_value=0, allow_null=True, required=False, default=None)
    accepted = serializers.BooleanField(required=False, default=False, help_text="Kept the auto-label as it was.")


class AddedLabelSerializer(serializers.Serializer[Any]):
    t = serializers.FloatField(min_value=0, help_text="Seconds since entry.")
    action = serializers.ChoiceField(choices=["pick", "put_back", "restock"])
    sku = serializers.CharField()
    quantity = serializers.IntegerField(min_value=1, max_value=20)
    track_id = serializers.IntegerField(min_value=0, allow_null=True, required=False, default=None)


class LabelSubmitSerializer(serializers.Serializer[Any]):
    events = EventLabelSerializer(many=True)
    added = AddedLabelSerializer(many=True, required=False, default=list)
