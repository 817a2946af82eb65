"""The store as the renderer needs it, from a scenario (no database) or from the database.

Both give the same plain structures (the scenario's ``PlateInfo``/``CameraInfo``/
``ProductInfo``), so frames drawn for a simulated visit before ingest and after it
look the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from PIL import ImageFont

from jwo_review.simulator.scenario import CameraInfo, PlateInfo, ProductInfo, Scenario

FONT_PATHS = {
    True: "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    False: "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
}


@lru_cache(maxsize=32)
def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.truetype(FONT_PATHS[bold], size)
    except OSError:
        return ImageFont.load_default(size=size)


@dataclass
class Layout:
    code: str
    width_m: float
    depth_m: float
    fixtures: dict[str, dict[str, Any]]
    plates: dict[str, PlateInfo]
    cameras: dict[str, CameraInfo]
    products: dict[str, ProductInfo]
    facings: dict[str, list[str]]


def layout_from_scenario(scenario: Scenario) -> Layout:
    return Layout(
        code=scenario.store_code,
        width_m=float(scenario.store_spec["width_m"]),
        depth_m=float(scenario.store_spec["depth_m"]),
        fixtures=scenario.fixtures,
        plates=scenario.plates,
        cameras=scenario.cameras,
        products=scenario.products,
        facings=scenario.facings,
    )


def layout_from_store(store_id: int) -> Layout:
    """The store's layout and active planogram, read from the database."""
    from jwo_review.store.models import Camera, Facing, Fixture, Plate, Product, Store

    store = Store.objects.get(pk=store_id)
    fixtures: dict[str, dict[str, Any]] = {}
    for f in Fixture.objects.filter(store=store):
        fixtures[f.code] = {
            "code": f.code,
            "name": f.name,
            "x_m": f.x_m,
            "y_m": f.y_m,
            "width_m": f.width_m,
            "depth_m": f.depth_m,
            "facing_deg": f.facing_deg,
        }
    plates = {
        p.code: PlateInfo(
            code=p.code,
            fixture=p.shelf.fixture.code,
            shelf=p.shelf.number,
            level=p.shelf.level,
            number=p.number,
            x_m=p.x_m,
            y_m=p.y_m,
            width_m=p.width_m,
            noise_std_g=p.noise_std_g,
        )
        for p in Plate.objects.filter(store=store).select_related("shelf__fixture")
    }
    cameras = {
        c.code: CameraInfo(code=c.code, name=c.name, x_m=c.x_m, y_m=c.y_m, height_m=c.height_m, fov_deg=c.fov_deg)
        for c in Camera.objects.filter(store=store)
    }
    facings: dict[str, list[str]] = {}
    skus: set[str] = set()
    for plate_code, sku in (
        Facing.objects.filter(planogram__store=store, planogram__is_active=True)
        .order_by("plate__code", "product__sku")
        .values_list("plate__code", "product__sku")
    ):
        facings.setdefault(plate_code, []).append(sku)
        skus.add(sku)
    products = {
        p.sku: ProductInfo(
            sku=p.sku,
            name=p.name,
            family=p.family,
            unit_weight_g=p.unit_weight_g,
            unit_weight_std_g=p.unit_weight_std_g,
            color=p.color,
            shape=p.shape,
        )
        for p in Product.objects.filter(sku__in=skus)
    }
    return Layout(
        code=store.code,
        width_m=store.width_m,
        depth_m=store.depth_m,
        fixtures=fixtures,
        plates=plates,
        cameras=cameras,
        products=products,
        facings=facings,
    )
