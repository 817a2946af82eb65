"""Stores and their physical layout: fixtures, shelves, load-cell plates, cameras.

Coordinates are metres in the store's floor plan, origin at the entrance corner,
x along the front wall, y into the store.
"""

from __future__ import annotations

from django.core.validators import MinValueValidator
from django.db import models


class Store(models.Model):
    code = models.SlugField(max_length=40, unique=True, help_text="Short code used by the API, e.g. 'aim3s'.")
    name = models.CharField(max_length=200)
    timezone = models.CharField(max_length=64, default="UTC")
    width_m = models.FloatField(default=10.0, validators=[MinValueValidator(1.0)])
    depth_m = models.FloatField(default=8.0, validators=[MinValueValidator(1.0)])
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Fixture(models.Model):
    """A shelving unit (gondola) with shelves at several heights."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="fixtures")
    code = models.CharField(max_length=40)
    name = models.CharField(max_length=200)
    x_m = models.FloatField()
    y_m = models.FloatField()
    width_m = models.FloatField(validators=[MinValueValidator(0.1)])
    depth_m = models.FloatField(default=0.5, validators=[MinValueValidator(0.1)])
    facing_deg = models.FloatField(default=0.0, help_text="Direction shoppers face it from, degrees.")

    class Meta:
        ordering = ["store", "code"]
        constraints = [models.UniqueConstraint(fields=["store", "code"], name="fixture_code_unique_per_store")]

    def __str__(self) -> str:
        return f"{self.store.code}/{self.code}"


class Shelf(models.Model):
    fixture = models.ForeignKey(Fixture, on_delete=models.CASCADE, related_name="shelves")
    number = models.PositiveSmallIntegerField(help_text="Shelf id as the store numbers it.")
    level = models.PositiveSmallIntegerField(default=1, help_text="1 is the lowest shelf of the fixture.")
    height_m = models.FloatField(default=1.0)

    class Meta:
        ordering = ["fixture", "number"]
        constraints = [models.UniqueConstraint(fields=["fixture", "number"], name="shelf_number_unique_per_fixture")]
        verbose_name_plural = "shelves"

    def __str__(self) -> str:
        return f"{self.fixture} shelf {self.number}"


class Plate(models.Model):
    """A load-cell plate. ``code`` is the id store systems send (e.g. ``S5P3``)."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="plates")
    shelf = models.ForeignKey(Shelf, on_delete=models.CASCADE, related_name="plates")
    number = models.PositiveSmallIntegerField()
    code = models.CharField(max_length=40)
    load_cell_id = models.CharField(max_length=40, blank=True)
    calibration_slope = models.FloatField(default=1.0, help_text="Grams per raw load-cell unit.")
    calibration_offset = models.FloatField(default=0.0, help_text="Grams at raw zero.")
    x_m = models.FloatField(help_text="Centre of the plate along its fixture, store coordinates.")
    y_m = models.FloatField()
    width_m = models.FloatField(default=0.1)
    noise_std_g = models.FloatField(default=1.5)

    class Meta:
        ordering = ["store", "shelf__number", "number"]
        constraints = [models.UniqueConstraint(fields=["store", "code"], name="plate_code_unique_per_store")]

    def __str__(self) -> str:
        return f"{self.store.code}/{self.code}"


class Camera(models.Model):
    """An overhead camera looking straight down; its view is a rectangle on the floor."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="cameras")
    code = models.CharField(max_length=40)
    name = models.CharField(max_length=200)
    x_m = models.FloatField()
    y_m = models.FloatField()
    height_m = models.FloatField(default=3.0)
    fov_deg = models.FloatField(default=90.0)
    yaw_deg = models.FloatField(default=0.0)

    class Meta:
        ordering = ["store", "code"]
        constraints = [models.UniqueConstraint(fields=["store", "code"], name="camera_code_unique_per_store")]

    def __str__(self) -> str:
        return f"{self.store.code}/{self.code}"
