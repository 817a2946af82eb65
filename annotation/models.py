"""Annotation tasks, the slots annotators claim, their labels and consensus.

A task is one visit's interactions, made by one source (one task per visit and source),
with the model's auto-labels stored when it is made so the page never needs the model.
A task is labelled through slots: each slot goes to one annotator under a lease, and a
task never gives two slots to one annotator (a unique constraint says so). A slot may
focus on some events only: the adaptive third opinion asks just about the events the
first two did not settle. Gold tasks carry a known answer the annotator never sees;
their slots are made per annotator as they are handed out.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

ACTIONS = ("pick", "put_back", "restock", "noise")
FIELDS = ("action", "sku", "quantity", "track_id")


class Source(models.TextChoices):
    FLAGGED = "flagged", "Sent by a reviewer"
    CORRECTED = "corrected", "Review corrected the model"
    HARD_CASE = "hard_case", "Model least sure (auto-issued)"
    RANDOM = "random", "Random sample (auto-issued)"
    GOLD = "gold", "Gold (known answer)"


class TaskStatus(models.TextChoices):
    OPEN = "open", "Being labelled"
    CONSOLIDATED = "consolidated", "Consolidated"


class AnnotationTask(models.Model):
    visit = models.ForeignKey("store.Visit", on_delete=models.CASCADE, related_name="annotation_tasks")
    source = models.CharField(max_length=12, choices=Source.choices)
    source_detail = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=14, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    priority = models.SmallIntegerField(default=0)
    overlap = models.PositiveSmallIntegerField(default=2, help_text="Annotators asked so far.")
    auto_labels = models.JSONField(
        default=list, help_text="Per weight event, in seq order: {seq, action, sku, quantity, track_id, confidence}."
    )
    model_version = models.CharField(max_length=64, blank=True)
    gold_labels = models.JSONField(null=True, blank=True, help_text="The known answer of a gold task (hidden).")
    consensus = models.JSONField(null=True, blank=True, help_text="Per event: the consolidated fields and posteriors.")
    agreement = models.FloatField(null=True, blank=True, help_text="Krippendorff's alpha over the task's labels.")
    created_at = models.DateTimeField(default=timezone.now)
    consolidated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-priority", "created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["visit", "source"], name="one_annotation_task_per_source")]
        indexes = [
            models.Index(fields=["source", "status"]),
            models.Index(fields=["id"], condition=models.Q(source="gold"), name="annotationtask_gold"),
        ]

    def __str__(self) -> str:
        return f"annotation task {self.pk} ({self.source}, {self.status})"

    @property
    def is_gold(self) -> bool:
        return self.source == Source.GOLD


class SlotStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    CLAIMED = "claimed", "Claimed"
    DONE = "done", "Done"


class AnnotationSlot(models.Model):
    task = models.ForeignKey(AnnotationTask, on_delete=models.CASCADE, related_name="slots")
    # The task's priority, copied so claim-next reads one partial index.
    priority = models.SmallIntegerField(default=0)
    focus = models.JSONField(null=True, blank=True, help_text="Event seqs this slot asks about (empty: all).")
    status = models.CharField(max_length=8, choices=SlotStatus.choices, default=SlotStatus.PENDING)
    annotator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    claim_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    time_spent_s = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["-priority", "id"]
        constraints = [
            # A task never hands two of its slots to one annotator, even under concurrent claims.
            models.UniqueConstraint(fields=["task", "annotator"], name="one_slot_per_task_and_annotator"),
        ]
        indexes = [
            models.Index(
                models.F("priority").desc(), "id", condition=models.Q(status="pending"), name="annotationslot_claim"
            ),
            models.Index(
                fields=["lease_expires_at"], condition=models.Q(status="claimed"), name="annotationslot_lease"
            ),
            models.Index(fields=["annotator", "status"], name="annotationslot_annotator"),
        ]

    def __str__(self) -> str:
        return f"slot {self.pk} of task {self.task_id} ({self.status})"


class AnnotationSkip(models.Model):
    """An annotator passed on a task; claim-next will not hand it to them again."""

    task = models.ForeignKey(AnnotationTask, on_delete=models.CASCADE, related_name="skips")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["task", "user"], name="one_annotation_skip_per_user")]


class Label(models.Model):
    """One annotator's answer for one slot: per event the four fields, and interactions
    the scale missed that they added from the video."""

    slot = models.OneToOneField(AnnotationSlot, on_delete=models.CASCADE, related_name="label")
    task = models.ForeignKey(AnnotationTask, on_delete=models.CASCADE, related_name="labels")
    annotator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    events = models.JSONField(default=list, help_text="[{seq, action, sku, quantity, track_id, accepted}]")
    added = models.JSONField(default=list, help_text="[{t, action, sku, quantity, track_id}] missed by the scale.")
    camera_only_shown = models.JSONField(
        default=list,
        help_text="[{reach, plate, t, action, sku, quantity, track_id}] the model's camera-only items the workspace "
        "listed for this answer to keep or remove (none for an answer from another tool).",
    )
    weight = models.FloatField(default=1.0, help_text="Below 1 while the annotator is flagged for gold accuracy.")
    submitted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["task", "submitted_at"]
        indexes = [models.Index(fields=["annotator", "submitted_at"])]


class AnnotatorQuality(models.Model):
    """What consensus has learnt of one annotator: per-field accuracy (Dawid-Skene and
    gold) and whether an admin's bar flags them."""

    annotator = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    accuracy = models.JSONField(default=dict, help_text="Dawid-Skene estimate per field.")
    action_confusion = models.JSONField(default=list, help_text="Row: true action, column: labelled action.")
    gold_accuracy = models.JSONField(default=dict, help_text="Per field: share right on gold events.")
    gold_events = models.PositiveIntegerField(default=0)
    agreement = models.FloatField(null=True, blank=True, help_text="Share of fields equal to the consensus.")
    flagged = models.BooleanField(default=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "annotator quality"


class AnnotationSettings(models.Model):
    """The admin's knobs for annotation (one row)."""

    overlap = models.JSONField(default=dict, blank=True, help_text="Initial annotators per source, e.g. {'gold': 1}.")
    max_overlap = models.PositiveSmallIntegerField(default=3, validators=[MinValueValidator(1), MaxValueValidator(9)])
    min_posterior = models.FloatField(
        default=0.9,
        validators=[MinValueValidator(0.5), MaxValueValidator(0.9999)],
        help_text="An event settled below this gets one more annotator.",
    )
    gold_rate = models.FloatField(
        default=0.1,
        validators=[MinValueValidator(0.0), MaxValueValidator(0.5)],
        help_text="Share of claims that are gold.",
    )
    gold_bar = models.FloatField(
        default=0.8,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text="Annotators whose gold accuracy falls below are flagged.",
    )
    flagged_weight = models.FloatField(default=0.5, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)])
    hard_case_budget = models.PositiveIntegerField(default=20, help_text="Hard-case tasks per store and day.")
    random_rate = models.FloatField(
        default=0.02, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)], help_text="Sample of auto-issued."
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "annotation settings"

    def __str__(self) -> str:
        return "annotation settings"

    def initial_overlap(self, source: str) -> int:
        default = {"gold": 1, "flagged": 2, "corrected": 2, "hard_case": 2, "random": 2}
        return int({**default, **(self.overlap or {})}.get(source, 2))


from annotation.labelstudio.models import Connection, LinkedTask, Project, PulledAnnotation, RemoteUser, SyncRun  # noqa: E402, F401
