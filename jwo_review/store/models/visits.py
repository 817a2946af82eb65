"""Visits and what the store's sensors recorded during them.

Times of events are seconds since the visit's ``entered_at``: compact, and a visit's
time span is simply ``0 <= t <= duration_s``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from jwo_review.store.models.layout import Camera, Fixture, Plate, Store


class VisitStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    SCORED = "scored", "Scored"
    IN_REVIEW = "in_review", "In review"
    FINAL = "final", "Final receipt issued"
    DISPUTED = "disputed", "Disputed"


class Visit(models.Model):
    """One payment group's trip through the store (one or more shoppers, one receipt)."""

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="visits")
    client_visit_id = models.CharField(max_length=64, help_text="The store system's id; ingest is idempotent on it.")
    visit_code = models.CharField(max_length=16, help_text="Temporary code the group paid with; not an identity.")
    entered_at = models.DateTimeField(db_index=True)
    exited_at = models.DateTimeField()
    status = models.CharField(max_length=12, choices=VisitStatus.choices, default=VisitStatus.RECEIVED, db_index=True)
    payload_sha256 = models.CharField(max_length=64)
    source = models.CharField(max_length=20, default="api")
    plate_streams = models.FileField(upload_to="streams/%Y/%m/%d/", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # The stalled-visit sweep's lease: a visit it queued again is not queued a second
    # time until the lease runs out, so one visit has at most one retry in flight.
    pipeline_claimed_at = models.DateTimeField(null=True, blank=True)
    pipeline_attempts = models.PositiveSmallIntegerField(default=0, help_text="Times the sweep queued it again.")

    class Meta:
        ordering = ["-entered_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["store", "client_visit_id"], name="visit_client_id_unique_per_store"),
        ]
        indexes = [models.Index(fields=["store", "status", "entered_at"])]

    def __str__(self) -> str:
        return f"{self.store.code}/{self.client_visit_id}"

    @property
    def duration_s(self) -> float:
        return (self.exited_at - self.entered_at).total_seconds()


class Shopper(models.Model):
    """A shopper of the visit's payment group, known only by a track number."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="shoppers")
    track_id = models.PositiveIntegerField()
    track = models.JSONField(default=list, blank=True, help_text="[[t_s, x_m, y_m], ...] positions over time.")

    class Meta:
        ordering = ["visit", "track_id"]
        constraints = [models.UniqueConstraint(fields=["visit", "track_id"], name="shopper_track_unique_per_visit")]

    def __str__(self) -> str:
        return f"shopper #{self.track_id}"


class WeightEvent(models.Model):
    """A settled weight change on one plate, as the store's event detector saw it."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="weight_events")
    seq = models.PositiveIntegerField()
    plate = models.ForeignKey(Plate, on_delete=models.PROTECT, related_name="+")
    t_start = models.FloatField()
    t_end = models.FloatField()
    delta_g = models.FloatField(help_text="Negative when weight left the plate.")
    noise_g = models.FloatField(default=0.0, help_text="Standard deviation of the plate signal around the event.")

    class Meta:
        ordering = ["visit", "seq"]
        constraints = [models.UniqueConstraint(fields=["visit", "seq"], name="weight_event_seq_unique")]


class VisionKind(models.TextChoices):
    HAND_IN_SHELF = "hand_in_shelf", "Hand in shelf"
    NEAR_FIXTURE = "near_fixture", "Shopper near fixture"
    OCCLUSION = "occlusion", "Camera occluded"


class VisionEvent(models.Model):
    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="vision_events")
    seq = models.PositiveIntegerField()
    kind = models.CharField(max_length=16, choices=VisionKind.choices)
    track_id = models.PositiveIntegerField(null=True, blank=True)
    t = models.FloatField()
    t_end = models.FloatField(null=True, blank=True)
    fixture = models.ForeignKey(Fixture, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    plate = models.ForeignKey(Plate, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    camera = models.ForeignKey(Camera, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    x_m = models.FloatField(null=True, blank=True)
    y_m = models.FloatField(null=True, blank=True)
    confidence = models.FloatField(default=1.0)
    product_scores = models.JSONField(default=dict, blank=True, help_text="{sku: score} from the product classifier.")

    class Meta:
        ordering = ["visit", "seq"]
        constraints = [models.UniqueConstraint(fields=["visit", "seq"], name="vision_event_seq_unique")]


class ClipStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class Clip(models.Model):
    """A short video of one camera over a time window of a visit (rendered on demand)."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="clips")
    camera = models.ForeignKey(Camera, on_delete=models.PROTECT, related_name="clips")
    t_start = models.FloatField()
    t_end = models.FloatField()
    status = models.CharField(max_length=8, choices=ClipStatus.choices, default=ClipStatus.PENDING)
    file = models.FileField(upload_to="clips/%Y/%m/%d/", blank=True)
    fps = models.PositiveSmallIntegerField(default=15)
    render_ms = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["visit", "t_start", "camera"]
        constraints = [
            models.UniqueConstraint(fields=["visit", "camera", "t_start", "t_end"], name="clip_window_unique"),
        ]


class ClipView(models.Model):
    """Who fetched which clip (or plate stream) and when: clips show people shopping."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    username = models.CharField(max_length=150, help_text="Readable even without the user row.")
    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="media_views")
    clip = models.ForeignKey(Clip, on_delete=models.SET_NULL, null=True, blank=True, related_name="views")
    name = models.CharField(max_length=255, help_text="The media file served.")
    via = models.CharField(max_length=10, default="session", help_text="session or signed (a signed URL).")
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at", "-id"]
