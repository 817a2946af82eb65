from __future__ import annotations

from typing import Any

from rest_framework import serializers

from inference.models import DatasetVersion, ModelVersion, StoreModel


class ModelVersionSerializer(serializers.ModelSerializer[ModelVersion]):
    created_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(slug_field="username", read_only=True)
    activated_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    weights_size = serializers.SerializerMethodField()
    baseline_threshold = serializers.SerializerMethodField()
    fine_tuned_from: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        source="parent", slug_field="name", read_only=True
    )
    dataset_version: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(slug_field="name", read_only=True)
    active_in_stores = serializers.SerializerMethodField()

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
            "fine_tuned_from",
            "dataset_version",
            "gate",
            "active_in_stores",
        ]
        read_only_fields = fields

    def get_active_in_stores(self, obj: ModelVersion) -> list[str]:
        return sorted(StoreModel.objects.filter(model_version=obj).values_list("store__code", flat=True))

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


class DatasetVersionSerializer(serializers.ModelSerializer[DatasetVersion]):
    store: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(slug_field="code", read_only=True)
    model_versions: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="name", many=True, read_only=True
    )

    class Meta:
        model = DatasetVersion
        fields = ["id", "name", "store", "content_hash", "counts", "created_by_label", "created_at", "model_versions"]
        read_only_fields = fields


class DatasetVersionDetailSerializer(DatasetVersionSerializer):
    class Meta(DatasetVersionSerializer.Meta):
        fields = [*DatasetVersionSerializer.Meta.fields, "examples"]
        read_only_fields = fields
