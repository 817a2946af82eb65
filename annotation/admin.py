"""Admin of annotation: the settings are editable; tasks, labels and quality are read-only
(they change through the annotation services)."""

from __future__ import annotations

from django.contrib import admin

from annotation.models import AnnotationSettings, AnnotationTask, AnnotatorQuality, Label
from low_confidence_queue.admin import ReadOnly


@admin.register(AnnotationSettings)
class AnnotationSettingsAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["id", "gold_rate", "gold_bar", "min_posterior", "max_overlap", "hard_case_budget", "random_rate"]


@admin.register(AnnotationTask)
class AnnotationTaskAdmin(ReadOnly):
    list_display = ["id", "visit", "source", "status", "priority", "overlap", "agreement", "created_at"]
    list_filter = ["source", "status"]
    raw_id_fields = ["visit"]


@admin.register(Label)
class LabelAdmin(ReadOnly):
    list_display = ["id", "task", "annotator", "weight", "submitted_at"]
    raw_id_fields = ["task", "slot"]


@admin.register(AnnotatorQuality)
class AnnotatorQualityAdmin(ReadOnly):
    list_display = ["annotator", "gold_events", "gold_accuracy", "accuracy", "agreement", "flagged", "updated_at"]
    list_filter = ["flagged"]


from annotation.labelstudio import admin as _labelstudio_admin  # noqa: E402, F401  (registers its models)
