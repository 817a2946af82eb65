"""Building a store (layout, cameras, catalogue, planogram) from a plain spec.

The AIM3S loader and the simulator's scenarios both describe stores as specs, so one
function creates them, in one transaction, and loading the same spec twice changes
nothing (idempotent upsert by code and SKU).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from jwo_review.store.models import Camera, Facing, Fixture, Planogram, Plate, Product, Shelf, Store


@transaction.atomic
def store_load_spec(spec: dict[str, Any]) -> Store:
    """Create or update a store from ``spec`` (see ``aim3s.build_aim3s_spec`` for the shape).

    The planogram gets a new active version only when its facings differ from the
    active one, so reloading an unchanged spec keeps the version number.
    """
    store, _ = Store.objects.update_or_create(
        code=spec["code"],
        defaults={"name": spec["name"], "width_m": spec["width_m"], "depth_m": spec["depth_m"]},
    )
    plates: dict[str, Plate] = {}
    for f in spec["fixtures"]:
        fixture, _ = Fixture.objects.update_or_create(
            store=store,
            code=f["code"],
            defaults={k: f[k] for k in ("name", "x_m", "y_m", "width_m", "depth_m", "facing_deg")},
        )
        for s in f["shelves"]:
            shelf, _ = Shelf.objects.update_or_create(
                fixture=fixture, number=s["number"], defaults={"level": s["level"], "height_m": s["height_m"]}
            )
            for p in s["plates"]:
                plate, _ = Plate.objects.update_or_create(
                    store=store,
                    code=p["code"],
                    defaults={
                        "shelf": shelf,
                        "number": p["number"],
                        "load_cell_id": str(p.get("load_cell_id", "")),
                        "calibration_slope": p.get("slope", 1.0),
                        "calibration_offset": p.get("offset", 0.0),
                        "x_m": p["x_m"],
                        "y_m": p["y_m"],
                        "width_m": p["width_m"],
                        "noise_std_g": p.get("noise_std_g", 1.5),
                    },
                )
                plates[plate.code] = plate
    for c in spec["cameras"]:
        Camera.objects.update_or_create(
            store=store,
            code=c["code"],
            defaults={k: c[k] for k in ("name", "x_m", "y_m", "height_m", "fov_deg") if k in c},
        )
    products: dict[str, Product] = {}
    for p in spec["products"]:
        product, _ = Product.objects.update_or_create(
            sku=p["sku"],
            defaults={
                "barcode": p.get("barcode", ""),
                "name": p["name"],
                "price": Decimal(str(p["price"])),
                "unit_weight_g": p["unit_weight_g"],
                "unit_weight_std_g": p["unit_weight_std_g"],
                "weight_imputed": p.get("weight_imputed", False),
                "family": p.get("family", ""),
                "color": p.get("color", "#888888"),
                "shape": p.get("shape", "box"),
            },
        )
        products[product.sku] = product
    wanted = sorted((f["sku"], f["plate"], f.get("capacity", 6)) for f in spec["facings"])
    active = Planogram.objects.filter(store=store, is_active=True).first()
    if active is not None:
        current = sorted(active.facings.values_list("product__sku", "plate__code", "capacity"))
        if current == wanted:
            return store
        Planogram.objects.filter(pk=active.pk).update(is_active=False)
    last = Planogram.objects.filter(store=store).order_by("-version").first()
    planogram = Planogram.objects.create(
        store=store,
        version=(last.version + 1 if last else 1),
        is_active=True,
        effective_from=timezone.now(),
        note=spec.get("planogram_note", ""),
    )
    Facing.objects.bulk_create(
        [
            Facing(planogram=planogram, product=products[sku], plate=plates[code], capacity=cap)
            for sku, code, cap in wanted
        ]
    )
    return store
