"""Routing policy, the routing decision of each visit, review tasks and skips.

A visit is routed exactly once (``VisitRouting`` is one row per visit): either its
model receipt is auto-issued, or a ``ReviewTask`` is opened. Disputes open further
tasks later; at most one task per visit is open at a time (a partial unique index).
Claiming reads the pending rows in (priority desc, created_at, id) order through a
partial index on exactly that order, so claim-next stays one index probe deep.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone


class Reason(models.TextChoices):
    LOW_CONFIDENCE = "low_confidence", "Low confidence"
    AUDIT = "audit", "Audit sample"
    RULE = "rule", "Rule"
    DISPUTE = "dispute", "Dispute"


def default_sla_minutes() -> dict[str, int]:
    return {"low_confidence": 60, "audit": 480, "rule": 60, "dispute": 30}


class RoutingPolicy(models.Model):
    """Routing settings of one store, or the global default (``store`` empty)."""

    store = models.OneToOneField(
        "store.Store", on_delete=models.CASCADE, null=True, blank=True, related_name="routing_policy"
    )
    target_accuracy = models.FloatField(
        default=0.995,
        validators=[MinValueValidator(0.5), MaxValueValidator(0.9999)],
        help_text="Share of auto-issued receipts that must be exactly right.",
    )
    audit_rate = models.FloatField(
        default=0.02,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text="Random share of confident visits that is reviewed anyway.",
    )
    max_basket_value = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        default=Decimal("150.00"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Review baskets worth more (empty: no limit).",
    )
    max_basket_items = models.PositiveIntegerField(
        null=True, blank=True, default=30, help_text="Review baskets with more units (empty: no limit)."
    )
    sla_minutes = models.JSONField(default=default_sla_minutes, help_text="Minutes to decide, per routing reason.")
    trust_model_calibration = models.BooleanField(
        default=False,
        help_text=(
            "Start from the model's own threshold instead of the strict start of a new store. Only for the store "
            "whose visits the model's held-out calibration was measured on; audits still check it."
        ),
    )
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "routing policies"
        constraints = [
            # NULLS NOT DISTINCT: at most one global default row.
            models.UniqueConstraint(fields=["store"], name="one_policy_per_store", nulls_distinct=False),
        ]

    def __str__(self) -> str:
        return f"routing policy of {self.store or 'all stores'}"


class RoutingOutcome(models.TextChoices):
    AUTO_ISSUED = "auto_issued", "Auto-issued"
    REVIEW = "review", "Sent to review"


class VisitRouting(models.Model):
    """How a scored visit was routed, and with which numbers (for review-rate metrics)."""

    visit = models.OneToOneField("store.Visit", on_delete=models.CASCADE, related_name="routing")
    outcome = models.CharField(max_length=12, choices=RoutingOutcome.choices)
    reason = models.CharField(max_length=16, choices=Reason.choices, blank=True)
    reason_detail = models.CharField(max_length=200, blank=True)
    confidence = models.FloatField()
    threshold = models.FloatField()
    model_version = models.CharField(max_length=64)
    policy = models.ForeignKey(RoutingPolicy, on_delete=models.SET_NULL, null=True, related_name="+")
    policy_updated_at = models.DateTimeField(null=True, help_text="Which edit of the policy applied.")
    audit_rate = models.FloatField(
        null=True,
        blank=True,
        help_text="Audit share above the threshold at routing time (inverse-probability weights).",
    )
    routed_at = models.DateTimeField(default=timezone.now, db_index=True)


class ThresholdSource(models.TextChoices):
    NEW_STORE = "new_store", "New store: strict start"
    CALIBRATED = "calibrated", "The model's calibration on this store"
    EVIDENCE = "evidence", "The store's reviews and audits"
    AUDIT_SHORTFALL = "audit_shortfall", "Tightened: audits fell short"


class StoreThreshold(models.Model):
    """One store's auto-issue threshold and audit rate, earned from its own evidence.

    ``threshold`` is on the confidence scale of ``model_version``; a visit scored by any
    other version starts that version strict again. ``evidence`` keeps the figures the
    threshold was chosen from (shown on the policy page).
    """

    store = models.OneToOneField("store.Store", on_delete=models.CASCADE, related_name="threshold")
    model_version = models.CharField(max_length=64)
    threshold = models.FloatField()
    audit_rate = models.FloatField()
    source = models.CharField(max_length=16, choices=ThresholdSource.choices)
    evidence = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.store_id}: {self.threshold:.4f} ({self.source})"


class TaskStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    CLAIMED = "claimed", "Claimed"
    DONE = "done", "Done"


class Decision(models.TextChoices):
    APPROVE = "approve", "Approved as predicted"
    CORRECT = "correct", "Corrected"


class ReviewTask(models.Model):
    visit = models.ForeignKey("store.Visit", on_delete=models.CASCADE, related_name="review_tasks")
    prediction = models.ForeignKey(
        "inference.Prediction", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(max_length=16, choices=Reason.choices)
    reason_detail = models.CharField(max_length=200, blank=True)
    priority = models.SmallIntegerField(default=0)
    status = models.CharField(max_length=8, choices=TaskStatus.choices, default=TaskStatus.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    sla_due_at = models.DateTimeField()
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    claim_count = models.PositiveIntegerField(default=0)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision = models.CharField(max_length=8, choices=Decision.choices, blank=True)
    reason_code = models.CharField(max_length=32, blank=True)
    comment = models.TextField(blank=True)
    time_spent_s = models.FloatField(null=True, blank=True)
    receipt = models.ForeignKey("store.Receipt", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    flag_for_annotation = models.BooleanField(default=False, help_text="Send this visit to annotation.")
    flag_note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-priority", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["visit"], condition=models.Q(status__in=["pending", "claimed"]), name="one_open_task_per_visit"
            ),
        ]
        indexes = [
            # Exactly the claim order, only over pending rows: claim-next reads the first unlocked entry.
            models.Index(
                models.F("priority").desc(),
                "created_at",
                "id",
                condition=models.Q(status="pending"),
                name="reviewtask_claim_order",
            ),
            # Lease sweep and "who holds what".
            models.Index(
                fields=["lease_expires_at"], condition=models.Q(status="claimed"), name="reviewtask_claimed_lease"
            ),
            models.Index(fields=["claimed_by"], condition=models.Q(status="claimed"), name="reviewtask_claimed_by"),
            models.Index(
                fields=["flag_for_annotation"], condition=models.Q(flag_for_annotation=True), name="reviewtask_flagged"
            ),
            # The daily rollups read tasks by the day they were opened and decided.
            models.Index(fields=["created_at"], name="reviewtask_created_at"),
            models.Index(fields=["decided_at"], name="reviewtask_decided_at"),
            models.Index(fields=["sla_due_at"], name="reviewtask_sla_due_at"),
        ]

    def __str__(self) -> str:
        return f"task {self.pk} ({self.reason}, {self.status})"


class TaskSkip(models.Model):
    """A reviewer passed on a task; claim-next will not hand it to them again."""

    task = models.ForeignKey(ReviewTask, on_delete=models.CASCADE, related_name="skips")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["task", "user"], name="one_skip_per_task_and_user")]


# --- Daily rollups of the dashboard ------------------------------------------------------
# One row per UTC day and key, rebuilt whole by ``services.rollups.rollup_day`` (delete and
# insert in one transaction), so re-running a day gives the same rows. Pages read these,
# never rows per visit; today's partial day is computed live from the raw rows.


class DailyRouting(models.Model):
    """Visits routed on ``day`` in one store by one model version, and what became of them.

    Audits count on the day their visit was routed (late decisions update that day);
    disputes on the day they were opened.
    """

    day = models.DateField()
    store = models.ForeignKey("store.Store", on_delete=models.CASCADE, related_name="+")
    model_version = models.CharField(max_length=64)
    visits = models.PositiveIntegerField(default=0)
    auto_issued = models.PositiveIntegerField(default=0)
    low_confidence = models.PositiveIntegerField(default=0)
    audit = models.PositiveIntegerField(default=0)
    rule = models.PositiveIntegerField(default=0)
    dispute = models.PositiveIntegerField(default=0)
    audits_decided = models.PositiveIntegerField(default=0)
    audits_correct = models.PositiveIntegerField(default=0, help_text="Audits approved as the model predicted.")
    threshold_sum = models.FloatField(default=0.0, help_text="Sum of routing thresholds (mean = sum / visits).")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "store", "model_version"], name="daily_routing_unique"),
        ]


class DailyStoreOps(models.Model):
    """The queue of one store on ``day``: open tasks and the oldest one's age at the day's
    end, SLA breaches of tasks due that day, and visit-to-final-receipt times as a
    log-bucket histogram (``metrics.stats``) so days and stores merge into exact buckets."""

    day = models.DateField()
    store = models.ForeignKey(
        "store.Store", on_delete=models.CASCADE, null=True, related_name="+", help_text="Empty: all stores together."
    )
    open_end = models.PositiveIntegerField(default=0)
    oldest_age_end_s = models.FloatField(null=True)
    sla_breaches = models.PositiveIntegerField(default=0)
    tasks_created = models.PositiveIntegerField(default=0)
    tasks_decided = models.PositiveIntegerField(default=0)
    finals = models.PositiveIntegerField(default=0)
    final_hist = models.JSONField(default=dict, help_text="{bucket: count} of seconds from visit exit to receipt.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "store"], name="daily_store_ops_unique", nulls_distinct=False),
        ]


class DailyReviewer(models.Model):
    """What one reviewer decided on ``day`` in one store, and (``store`` empty) in all
    stores together: the all-stores page then merges one histogram per reviewer and day
    instead of one per store too."""

    day = models.DateField()
    store = models.ForeignKey("store.Store", on_delete=models.CASCADE, null=True, related_name="+")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    decided = models.PositiveIntegerField(default=0)
    corrected = models.PositiveIntegerField(default=0)
    time_sum_s = models.FloatField(default=0.0)
    time_hist = models.JSONField(default=dict, help_text="{bucket: count} of seconds per task.")
    rechecked = models.PositiveIntegerField(default=0, help_text="Decisions whose visit was reviewed again later.")
    upheld = models.PositiveIntegerField(default=0, help_text="Of those, kept unchanged by the later review.")

    class Meta:
        constraints = [
            # NULLS NOT DISTINCT: one all-stores row per reviewer and day.
            models.UniqueConstraint(
                fields=["day", "store", "reviewer"], name="daily_reviewer_unique", nulls_distinct=False
            ),
        ]


class RollupState(models.Model):
    """The single row that says up to when the rollups have seen changes; its row lock
    serialises rollup runs (beat and a manual run must not rebuild one day twice at once)."""

    name = models.CharField(max_length=32, unique=True)
    seen_until = models.DateTimeField(null=True)
    updated_at = models.DateTimeField(default=timezone.now)
