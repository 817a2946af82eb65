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


class ExampleKind(models.TextChoices):
    EVENT = "event", "Weight event"
    MISSED = "missed", "Interaction the scale missed"


class LabelledExample(models.Model):
    """A human answer the model can train on, with where it came from.

    ``ref`` names the labelled thing within the visit (``event:<seq>`` or
    ``missed:<n>``); one example per visit, source and ref, so consolidating a task
    again updates its examples instead of adding more.
    """

    visit = models.ForeignKey("store.Visit", on_delete=models.CASCADE, related_name="labelled_examples")
    store = models.ForeignKey("store.Store", on_delete=models.CASCADE, related_name="+")
    source = models.CharField(max_length=24, help_text="annotation:<task source>, or review.")
    kind = models.CharField(max_length=8, choices=ExampleKind.choices, default=ExampleKind.EVENT)
    ref = models.CharField(max_length=32)
    event_seq = models.PositiveIntegerField(null=True, blank=True)
    t = models.FloatField(null=True, blank=True, help_text="Seconds since entry (missed interactions).")
    action = models.CharField(max_length=12)
    sku = models.CharField(max_length=64, blank=True)
    quantity = models.PositiveSmallIntegerField(default=0)
    track_id = models.PositiveIntegerField(null=True, blank=True)
    confidence = models.FloatField(help_text="Consensus posterior of the least sure field.")
    provenance = models.JSONField(default=dict, help_text="Task, annotators, per-field posteriors.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["visit", "ref"]
        constraints = [
            models.UniqueConstraint(fields=["visit", "source", "ref"], name="one_example_per_visit_source_ref"),
        ]
        indexes = [models.Index(fields=["store", "created_at"])]
