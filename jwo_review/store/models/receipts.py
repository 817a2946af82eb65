"""Receipts, their versions and the append-only audit log of every change.

A visit's receipt is never edited in place: each change (the model's auto-issue, a
reviewer's correction, a dispute) adds a new version with the diff against the one
before, and an audit entry. Only ``jwo_review.store.services.receipts`` writes them.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models

from jwo_review.store.models.catalogue import Product
from jwo_review.store.models.visits import Visit


class ReceiptSource(models.TextChoices):
    MODEL = "model", "Model (auto-issued)"
    REVIEW = "review", "Reviewer"
    DISPUTE = "dispute", "Dispute"
    ADMIN = "admin", "Admin"


class Receipt(models.Model):
    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="receipts")
    version = models.PositiveIntegerField()
    source = models.CharField(max_length=10, choices=ReceiptSource.choices)
    is_final = models.BooleanField(default=True, help_text="The latest version the store may charge.")
    total = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    model_version = models.CharField(max_length=64, blank=True)
    diff = models.JSONField(
        default=dict, blank=True, help_text="Lines added, removed and changed from the version before."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["visit", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["visit", "version"], name="receipt_version_unique"),
            models.UniqueConstraint(fields=["visit"], condition=models.Q(is_final=True), name="one_final_receipt"),
        ]

    def __str__(self) -> str:
        return f"receipt v{self.version} of {self.visit_id}"


class ReceiptLine(models.Model):
    receipt = models.ForeignKey(Receipt, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    shopper_track_id = models.PositiveIntegerField(null=True, blank=True, help_text="Which shopper of the group.")
    unit_price = models.DecimalField(max_digits=8, decimal_places=2)
    confidence = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["receipt", "id"]


class AuditLogEntry(models.Model):
    """One change: to a receipt (``visit`` and ``receipt`` set) or to anything else an
    admin changes (``target`` names it, e.g. ``routing_policy:3``). Written only by
    ``jwo_review.store.services.audit.audit_record``. Append-only: the model refuses
    updates and deletes, and on PostgreSQL a trigger refuses them too."""

    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, null=True, blank=True, related_name="audit_entries")
    receipt = models.ForeignKey(Receipt, on_delete=models.PROTECT, null=True, blank=True, related_name="audit_entries")
    action = models.CharField(max_length=32)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(max_length=100, help_text="Who did it, readable even without a user row.")
    target = models.CharField(max_length=100, blank=True, db_index=True, help_text="What changed, as kind:id.")
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    details = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "audit log entries"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("Audit log entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ValueError("Audit log entries are append-only.")
