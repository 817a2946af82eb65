"""The model registry and the predictions it makes.

One ``ModelVersion`` is active at a time (a partial unique constraint says so); the
routing policy reads its calibrated threshold. A ``Prediction`` is unique per visit
and model version, so scoring a visit again replaces nothing and adds nothing.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ModelStatus(models.TextChoices):
    CANDIDATE = "candidate", "Candidate"
    ACTIVE = "active", "Active"
    RETIRED = "retired", "Retired"


class ModelVersion(models.Model):
    name = models.CharField(max_length=64, unique=True)
    kind = models.CharField(max_length=20, default="transformer", help_text="transformer or rules.")
    status = models.CharField(max_length=10, choices=ModelStatus.choices, default=ModelStatus.CANDIDATE, db_index=True)
    weights = models.FileField(upload_to="models/", blank=True)
    training_data = models.JSONField(default=dict, blank=True, help_text="Scenario, seeds or dataset version.")
    metrics = models.JSONField(default=dict, blank=True)
    calibration = models.JSONField(default=dict, blank=True, help_text="Temperature and the curve it was fitted on.")
    target_accuracy = models.FloatField(default=0.995)
    threshold = models.FloatField(default=1.0, help_text="Confidence at or above which a receipt is auto-issued.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    activated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["status"], condition=models.Q(status="active"), name="one_active_model"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.status})"


class Prediction(models.Model):
    visit = models.ForeignKey("store.Visit", on_delete=models.CASCADE, related_name="predictions")
    model_version = models.ForeignKey(ModelVersion, on_delete=models.PROTECT, related_name="predictions")
    lines = models.JSONField(default=list, help_text="[{sku, quantity, shopper_track_id, probability}]")
    confidence = models.FloatField(help_text="Calibrated probability that the whole receipt is exactly right.")
    event_assignments = models.JSONField(default=list, blank=True)
    latency_ms = models.FloatField(default=0.0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["visit", "model_version"], name="one_prediction_per_visit_and_model"),
        ]
