"""Django admin for the store domain. Receipts and the audit log are read-only here:
receipts change only through the review workflow, which keeps the audit trail."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from jwo_review.store import models as m


class ShelfInline(admin.TabularInline[m.Shelf, m.Fixture]):
    model = m.Shelf
    extra = 0


@admin.register(m.Store)
class StoreAdmin(admin.ModelAdmin[m.Store]):
    list_display = ["code", "name", "timezone", "created_at"]
    search_fields = ["code", "name"]


@admin.register(m.Fixture)
class FixtureAdmin(admin.ModelAdmin[m.Fixture]):
    list_display = ["code", "name", "store", "x_m", "y_m", "width_m"]
    list_filter = ["store"]
    inlines = [ShelfInline]


@admin.register(m.Plate)
class PlateAdmin(admin.ModelAdmin[m.Plate]):
    list_display = ["code", "store", "shelf", "load_cell_id", "calibration_slope", "calibration_offset", "noise_std_g"]
    list_filter = ["store", "shelf__fixture"]
    search_fields = ["code", "load_cell_id"]


@admin.register(m.Camera)
class CameraAdmin(admin.ModelAdmin[m.Camera]):
    list_display = ["code", "name", "store", "x_m", "y_m", "height_m", "fov_deg"]
    list_filter = ["store"]


@admin.register(m.Product)
class ProductAdmin(admin.ModelAdmin[m.Product]):
    list_display = ["sku", "name", "price", "unit_weight_g", "unit_weight_std_g", "weight_imputed", "family"]
    list_filter = ["family", "weight_imputed", "shape"]
    search_fields = ["sku", "barcode", "name"]


class FacingInline(admin.TabularInline[m.Facing, m.Planogram]):
    model = m.Facing
    extra = 0
    autocomplete_fields = ["product"]
    raw_id_fields = ["plate"]


@admin.register(m.Planogram)
class PlanogramAdmin(admin.ModelAdmin[m.Planogram]):
    list_display = ["store", "version", "is_active", "effective_from", "note"]
    list_filter = ["store", "is_active"]
    inlines = [FacingInline]


class ShopperInline(admin.TabularInline[m.Shopper, m.Visit]):
    model = m.Shopper
    extra = 0
    fields = ["track_id"]


class ReadOnlyInline(admin.TabularInline[Any, Any]):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class WeightEventInline(ReadOnlyInline):
    model = m.WeightEvent
    fields = ["seq", "plate", "t_start", "t_end", "delta_g", "noise_g"]


class VisionEventInline(ReadOnlyInline):
    model = m.VisionEvent
    fields = ["seq", "kind", "track_id", "t", "plate", "fixture", "confidence", "product_scores"]


class ReceiptInline(ReadOnlyInline):
    model = m.Receipt
    fields = ["version", "source", "is_final", "total", "issued_by", "created_at"]
    readonly_fields = ["created_at"]


@admin.register(m.Visit)
class VisitAdmin(admin.ModelAdmin[m.Visit]):
    list_display = ["client_visit_id", "store", "visit_code", "entered_at", "status", "source"]
    list_filter = ["store", "status", "source"]
    search_fields = ["client_visit_id", "visit_code"]
    date_hierarchy = "entered_at"
    readonly_fields = ["payload_sha256", "created_at"]
    inlines = [ShopperInline, WeightEventInline, VisionEventInline, ReceiptInline]


@admin.register(m.Clip)
class ClipAdmin(admin.ModelAdmin[m.Clip]):
    list_display = ["visit", "camera", "t_start", "t_end", "status", "render_ms", "created_at"]
    list_filter = ["status", "camera__store"]
    raw_id_fields = ["visit"]


class ReceiptLineInline(ReadOnlyInline):
    model = m.ReceiptLine
    fields = ["product", "quantity", "shopper_track_id", "unit_price", "confidence"]


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    """Browse only: these rows change through the review workflow, which audits them."""

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(m.Receipt)
class ReceiptAdmin(ReadOnlyAdmin):
    list_display = ["visit", "version", "source", "is_final", "total", "issued_by", "created_at"]
    list_filter = ["source", "is_final"]
    raw_id_fields = ["visit"]
    inlines = [ReceiptLineInline]


@admin.register(m.AuditLogEntry)
class AuditLogEntryAdmin(ReadOnlyAdmin):
    list_display = ["at", "action", "actor_label", "target", "visit", "receipt"]
    list_filter = ["action"]
    search_fields = ["visit__client_visit_id", "actor_label", "target"]


@admin.register(m.ClipView)
class ClipViewAdmin(ReadOnlyAdmin):
    """Who fetched which clip or plate stream, and when (need-to-know media)."""

    list_display = ["at", "username", "visit", "name", "via"]
    list_filter = ["via"]
    search_fields = ["username", "name", "visit__client_visit_id"]
    raw_id_fields = ["visit", "clip", "user"]
