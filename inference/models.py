"""The model registry and the predictions it makes.

One ``ModelVersion`` is active at a time (a partial unique constraint says so); the
routing policy reads its calibrated threshold. A ``Prediction`` is unique per visit
and model version, so scoring a visit again replaces nothing and adds nothing.
"""

from __future__ import annotations

from typing import Any

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
    # Lineage of a version fine-tuned on a store's examples: what it started from, the
    # frozen examples it learnt from, and the gate's numbers that let it in (or not).
    parent = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="children")
    dataset_version = models.ForeignKey(
        "inference.DatasetVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="model_versions"
    )
    gate = models.JSONField(
        default=dict, blank=True, help_text="The promotion gate's figures, active beside candidate."
    )

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
    RECEIPT = "receipt", "Final receipt of a reviewed visit"


class LabelledExample(models.Model):
    """A human answer the model can train on, with where it came from.

    ``ref`` names the labelled thing within the visit: ``event:<seq>``; ``receipt`` (a
    review's final receipt); of kind ``missed``, ``missed:<n>`` (an interaction annotators
    added), ``reach:<i>`` (a reach a review confirmed or ruled out) and
    ``camera-only:<reach>:<t>`` (a camera-only item annotators removed). One example per
    visit, source and ref, so consolidating a task again updates its examples instead of
    adding more.
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
    lines = models.JSONField(
        default=list, blank=True, help_text="Receipt examples: [{sku, quantity, shopper_track_id}]."
    )
    confidence = models.FloatField(help_text="Consensus posterior of the least sure field.")
    provenance = models.JSONField(default=dict, help_text="Task, annotators or reviewer, per-field posteriors.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["visit", "ref"]
        constraints = [
            models.UniqueConstraint(fields=["visit", "source", "ref"], name="one_example_per_visit_source_ref"),
        ]
        indexes = [models.Index(fields=["store", "created_at"])]


class DatasetVersion(models.Model):
    """An immutable snapshot of one store's labelled examples.

    The examples are copied in (not referenced), because an annotation consolidated again
    updates its example rows in place; ``content_hash`` is the SHA-256 of that copy, so a
    snapshot of unchanged examples is recognised and not taken twice. Each visit's side
    (train or holdout) is a hash of its id, fixed for ever (``inference.datasets``).
    """

    store = models.ForeignKey("store.Store", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=64, unique=True)
    content_hash = models.CharField(max_length=64)
    example_ids = models.JSONField(default=list, help_text="The LabelledExample ids, ascending.")
    examples = models.JSONField(default=list, help_text="The examples' content at snapshot time.")
    counts = models.JSONField(default=dict, help_text="Examples and visits per split and source.")
    created_by_label = models.CharField(max_length=64, blank=True, help_text="Who or what took the snapshot.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["store", "content_hash"], name="one_dataset_per_store_content"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not kwargs.pop("force_insert", False):
            raise ValueError("A dataset version never changes; take a new snapshot instead.")
        super().save(*args, **kwargs)


class StoreModel(models.Model):
    """The model version that scores one store's visits (else the global active one)."""

    store = models.OneToOneField("store.Store", on_delete=models.CASCADE, related_name="active_model")
    model_version = models.ForeignKey(ModelVersion, on_delete=models.PROTECT, related_name="+")
    activated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.store_id}: {self.model_version_id}"
