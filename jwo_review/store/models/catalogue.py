"""The catalogue and the planogram (which product faces which plates)."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models

from jwo_review.store.models.layout import Plate, Store


class Product(models.Model):
    SHAPES = [("box", "Box"), ("bottle", "Bottle"), ("can", "Can"), ("bag", "Bag"), ("bar", "Bar"), ("jar", "Jar")]

    sku = models.CharField(max_length=40, unique=True)
    barcode = models.CharField(max_length=32, blank=True, db_index=True)
    name = models.CharField(max_length=200)
    price = models.DecimalField(max_digits=8, decimal_places=2, validators=[MinValueValidator(Decimal("0"))])
    unit_weight_g = models.FloatField(validators=[MinValueValidator(0.1)], help_text="Mean weight of one unit.")
    unit_weight_std_g = models.FloatField(default=0.0, validators=[MinValueValidator(0.0)])
    weight_imputed = models.BooleanField(default=False, help_text="True when the weight was not measured.")
    family = models.CharField(max_length=100, blank=True, db_index=True, help_text="Look-alike family.")
    color = models.CharField(max_length=7, default="#888888", help_text="Main package colour, #rrggbb.")
    shape = models.CharField(max_length=10, choices=SHAPES, default="box")
    image = models.ImageField(upload_to="catalogue/", blank=True)

    class Meta:
        ordering = ["sku"]

    def __str__(self) -> str:
        return f"{self.name} ({self.sku})"


class Planogram(models.Model):
    """A version of a store's planogram. Exactly one is active per store."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="planograms")
    version = models.PositiveIntegerField()
    is_active = models.BooleanField(default=False)
    effective_from = models.DateTimeField()
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["store", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["store", "version"], name="planogram_version_unique"),
            models.UniqueConstraint(
                fields=["store"], condition=models.Q(is_active=True), name="one_active_planogram_per_store"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.store.code} planogram v{self.version}"


class Facing(models.Model):
    planogram = models.ForeignKey(Planogram, on_delete=models.CASCADE, related_name="facings")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="facings")
    plate = models.ForeignKey(Plate, on_delete=models.CASCADE, related_name="facings")
    capacity = models.PositiveSmallIntegerField(default=6)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["planogram", "plate", "product"], name="facing_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.product.sku} on {self.plate.code}"
