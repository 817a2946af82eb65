from __future__ import annotations

from typing import Any

from rest_framework import serializers

from inference.models import ModelVersion


class ModelVersionSerializer(serializers.ModelSerializer[ModelVersion]):
    created_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(slug_field="username", read_only=True)
    activated_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    weights_size = serializers.SerializerMethodField()
    baseline_threshold = serializers.SerializerMethodField()

    class Meta:
        model = ModelVersion
        fields = [
            "id",
            "name",
            "kind",
            "status",
            "training_data",
            "metrics",
            "target_accuracy",
            "threshold",
            "baseline_threshold",
            "weights_size",
            "created_by",
            "created_at",
            "activated_by",
            "activated_at",
            "retired_at",
        ]
        read_only_fields = fields

    def get_weights_size(self, obj: ModelVersion) -> int | None:
        try:
            return int(obj.weights.size) if obj.weights else None
        except OSError:
            return None

    def get_baseline_threshold(self, obj: ModelVersion) -> float | None:
        if hasattr(obj, "baseline_threshold_value"):  # listed through inference.selectors.model_versions
            value = obj.baseline_threshold_value
        else:
            baseline: dict[str, Any] = (obj.calibration or {}).get("baseline") or {}
            value = baseline.get("threshold")
        return float(value) if value is not None else None


class ThresholdQuerySerializer(serializers.Serializer[Any]):
    target = serializers.FloatField(min_value=0.5, max_value=0.99999)
