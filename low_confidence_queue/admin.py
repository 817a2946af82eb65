"""Read-only admin views of the queue; changes go through the queue's pages and services."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from low_confidence_queue.models import ReviewTask, RoutingPolicy, StoreThreshold, VisitRouting


class ReadOnly(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ReviewTask)
class ReviewTaskAdmin(ReadOnly):
    list_display = [
        "id",
        "visit",
        "reason",
        "priority",
        "status",
        "claimed_by",
        "lease_expires_at",
        "decision",
        "reason_code",
        "time_spent_s",
        "flag_for_annotation",
        "created_at",
    ]
    list_filter = ["status", "reason", "decision", "flag_for_annotation"]
    search_fields = ["visit__visit_code", "visit__client_visit_id"]
    list_select_related = ["visit", "claimed_by"]


@admin.register(VisitRouting)
class VisitRoutingAdmin(ReadOnly):
    list_display = ["visit", "outcome", "reason", "confidence", "threshold", "model_version", "routed_at"]
    list_filter = ["outcome", "reason", "model_version"]
    list_select_related = ["visit"]


@admin.register(RoutingPolicy)
class RoutingPolicyAdmin(ReadOnly):
    list_display = [
        "store",
        "target_accuracy",
        "audit_rate",
        "max_basket_value",
        "max_basket_items",
        "updated_at",
        "updated_by",
    ]


@admin.register(StoreThreshold)
class StoreThresholdAdmin(ReadOnly):
    """Each store's earned threshold, where it comes from and its evidence; moves are in the audit log."""

    list_display = ["store", "model_version", "threshold", "audit_rate", "source", "updated_at"]
    list_filter = ["source"]
    readonly_fields = ["store", "model_version", "threshold", "audit_rate", "source", "evidence", "updated_at"]
