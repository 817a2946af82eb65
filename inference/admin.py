"""Django admin for the registry: promote and roll back as actions (through the services)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString

from inference.models import DatasetVersion, LabelledExample, ModelVersion, Prediction, StoreModel
from inference.services import model_promote, model_rollback
from jwo_review.errors import ServiceError

LIST_SHOWN = 8  # a JSON list longer than this shows its first items and how many more


def abridged(value: Any) -> Any:
    """``value`` with every list longer than ``LIST_SHOWN`` cut to its first items and a note
    of how many more (a version's calibration keeps thousands of hold-out confidences)."""
    if isinstance(value, dict):
        return {k: abridged(v) for k, v in value.items()}
    if isinstance(value, list):
        head = [abridged(v) for v in value[:LIST_SHOWN]]
        return head + [f"… and {len(value) - LIST_SHOWN:,} more"] if len(value) > LIST_SHOWN else head
    return value


def json_block(value: Any) -> SafeString:
    """A stored JSON value as an admin reads it: indented, long lists abridged, scrolling."""
    if value in (None, {}, []):
        return format_html("{}", "-")
    text = json.dumps(abridged(value), indent=2, ensure_ascii=False)
    return format_html('<pre style="max-height:28em;overflow:auto;margin:0;white-space:pre-wrap">{}</pre>', text)


def json_display(field: str, description: str) -> Callable[[Any, Any], SafeString]:
    """A read-only admin column showing the JSON field ``field`` through ``json_block``."""

    @admin.display(description=description)
    def shown(admin_: Any, obj: Any) -> SafeString:
        return json_block(getattr(obj, field))

    return shown


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
    # The JSON fields show indented, with their long lists abridged (see json_block).
    exclude = ["gate", "training_data", "metrics", "calibration"]
    readonly_fields = [
        "status",
        "parent",
        "dataset_version",
        "gate_shown",
        "weights",
        "training_data_shown",
        "metrics_shown",
        "calibration_shown",
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

    gate_shown = json_display("gate", "gate")
    training_data_shown = json_display("training_data", "training data")
    metrics_shown = json_display("metrics", "metrics")
    calibration_shown = json_display("calibration", "calibration")

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
    # A snapshot holds every example: its lists show abridged (see json_block).
    readonly_fields = (
        "store",
        "name",
        "content_hash",
        "example_ids_shown",
        "examples_shown",
        "counts_shown",
        "created_by_label",
    )
    fields = readonly_fields

    example_ids_shown = json_display("example_ids", "example ids")
    examples_shown = json_display("examples", "examples")
    counts_shown = json_display("counts", "counts")

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
