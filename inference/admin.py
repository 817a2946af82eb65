"""Django admin for the registry: promote and roll back as actions (through the services)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from inference.models import DatasetVersion, LabelledExample, ModelVersion, Prediction, StoreModel
from inference.services import model_promote, model_rollback
from jwo_review.errors import ServiceError


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin[ModelVersion]):
    list_display = [
        "name",
        "kind",
        "status",
        "parent",
        "dataset_version",
        "threshold_shown",
        "target_accuracy",
        "created_at",
        "activated_at",
    ]
    list_filter = ["status", "kind"]
    search_fields = ["name"]
    readonly_fields = [
        "status",
        "parent",
        "dataset_version",
        "gate",
        "weights",
        "training_data",
        "metrics",
        "calibration",
        "threshold",
        "created_by",
        "created_at",
        "activated_at",
        "activated_by",
        "retired_at",
    ]
    actions = ["promote", "rollback"]

    @admin.display(description="threshold", ordering="threshold")
    def threshold_shown(self, obj: ModelVersion) -> str:
        return f"{obj.threshold:.6f}"

    @admin.action(description="Promote the selected version to active")
    def promote(self, request: HttpRequest, queryset: QuerySet[ModelVersion]) -> None:
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one version to promote.", messages.ERROR)
            return
        try:
            version = model_promote(model_version=queryset.get(), by=request.user)
        except ServiceError as error:
            self.message_user(request, error.message, messages.ERROR)
            return
        self.message_user(request, f"{version.name} is now active.", messages.SUCCESS)

    @admin.action(description="Roll back to the previously active version")
    def rollback(self, request: HttpRequest, queryset: QuerySet[ModelVersion]) -> None:
        try:
            version = model_rollback(by=request.user)
        except ServiceError as error:
            self.message_user(request, error.message, messages.ERROR)
            return
        self.message_user(request, f"Rolled back: {version.name} is active again.", messages.SUCCESS)


@admin.register(Prediction)
class PredictionAdmin(admin.ModelAdmin[Prediction]):
    list_display = ["visit", "model_version", "confidence_shown", "latency_ms", "created_at"]
    list_filter = ["model_version"]
    readonly_fields = ["visit", "model_version", "lines", "confidence", "event_assignments", "latency_ms", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Prediction | None = None) -> bool:
        return False

    @admin.display(description="confidence", ordering="confidence")
    def confidence_shown(self, obj: Prediction) -> str:
        return f"{obj.confidence:.4f}"


@admin.register(LabelledExample)
class LabelledExampleAdmin(admin.ModelAdmin[LabelledExample]):
    """Browse only: examples change when annotation consolidates a task again."""

    list_display = ["visit", "source", "ref", "action", "sku", "quantity", "track_id", "confidence_shown", "updated_at"]
    list_filter = ["source", "kind", "action"]
    raw_id_fields = ["visit"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: LabelledExample | None = None) -> bool:
        return False

    @admin.display(description="confidence", ordering="confidence")
    def confidence_shown(self, obj: LabelledExample) -> str:
        return f"{obj.confidence:.4f}"


@admin.register(DatasetVersion)
class DatasetVersionAdmin(admin.ModelAdmin[DatasetVersion]):
    """Lineage: which examples (and through their provenance, which reviews, annotations
    and visits) a version was trained on. Snapshots never change, so this is read-only."""

    list_display = ["name", "store", "content_hash", "counts", "created_by_label", "created_at"]
    list_filter = ["store"]
    readonly_fields = ["store", "name", "content_hash", "example_ids", "examples", "counts", "created_by_label"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: DatasetVersion | None = None) -> bool:
        return False


@admin.register(StoreModel)
class StoreModelAdmin(admin.ModelAdmin[StoreModel]):
    """Which version scores each store (set by the retraining gate)."""

    list_display = ["store", "model_version", "activated_at"]
    readonly_fields = ["store", "model_version", "activated_at"]
    actions = ["rollback"]

    @admin.action(description="Roll the selected stores back to the version they had before")
    def rollback(self, request: HttpRequest, queryset: QuerySet[StoreModel]) -> None:
        # The store's threshold moves with its version: that lives with the queue's routing.
        from low_confidence_queue.services.retraining import store_model_rollback

        for row in queryset.select_related("store"):
            try:
                version = store_model_rollback(store=row.store, by=request.user)
            except ServiceError as error:
                self.message_user(request, f"{row.store.code}: {error.message}", messages.ERROR)
                continue
            self.message_user(request, f"{row.store.code} is scored by {version.name} again.", messages.SUCCESS)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: StoreModel | None = None) -> bool:
        return False
