"""What the model knows about a store: plates and where they are, the catalogue's unit
weights, and the planogram (which products face which plates).

Built either from a store spec dict (the simulator's ``Scenario.store_spec``, the AIM3S
loader's spec) or from the database, and both give the same context, so a model
trained on simulated payloads scores stored visits with the same features.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

# Plates this close along the same shelf count as neighbours (two 10 cm plates each side).
NEIGHBOUR_RADIUS_M = 0.25


@dataclass(frozen=True)
class PlateInfo:
    code: str
    x_m: float
    y_m: float
    shelf: str
    fixture: str
    height_m: float


@dataclass(frozen=True)
class ProductInfo:
    sku: str
    unit_weight_g: float
    unit_weight_std_g: float
    family: str


@dataclass
class StoreContext:
    plates: dict[str, PlateInfo]
    products: dict[str, ProductInfo]
    facings: dict[str, list[str]]
    key: str = ""
    sku_plates: dict[str, list[str]] = field(default_factory=dict)
    neighbours: dict[str, list[tuple[str, float]]] = field(default_factory=dict)
    skus: list[str] = field(default_factory=list)
    weights: NDArray[Any] = field(default_factory=lambda: np.zeros(0))
    stds: NDArray[Any] = field(default_factory=lambda: np.zeros(0))

    def __post_init__(self) -> None:
        self.skus = sorted(self.products)
        self.weights = np.array([self.products[s].unit_weight_g for s in self.skus], dtype=np.float64)
        self.stds = np.array([self.products[s].unit_weight_std_g for s in self.skus], dtype=np.float64)
        self.sku_plates = {}
        for plate, skus in self.facings.items():
            for sku in skus:
                self.sku_plates.setdefault(sku, []).append(plate)
        by_shelf: dict[str, list[PlateInfo]] = {}
        for info in self.plates.values():
            by_shelf.setdefault(info.shelf, []).append(info)
        self.neighbours = {}
        for info in self.plates.values():
            near = [
                (other.code, abs(other.x_m - info.x_m))
                for other in by_shelf[info.shelf]
                if other.code != info.code and abs(other.x_m - info.x_m) <= NEIGHBOUR_RADIUS_M + 1e-6
            ]
            self.neighbours[info.code] = sorted(near, key=lambda n: (n[1], n[0]))

    def facing_distance(self, sku: str, plate: str) -> float:
        """Metres along the shelf from ``plate`` to the nearest plate facing ``sku``
        (0 when it faces this plate; 9 when it faces nothing on this shelf)."""
        here = self.plates.get(plate)
        best = 9.0
        for code in self.sku_plates.get(sku, ()):
            other = self.plates[code]
            if here is not None and other.shelf == here.shelf:
                best = min(best, abs(other.x_m - here.x_m))
        return best

    def plate_distance(self, plate: str, x_m: float, y_m: float) -> float:
        info = self.plates[plate]
        return math.hypot(info.x_m - x_m, info.y_m - y_m)


def context_from_spec(spec: dict[str, Any]) -> StoreContext:
    """A context from a store spec (``jwo_review.store.aim3s.build_aim3s_spec`` shape)."""
    plates: dict[str, PlateInfo] = {}
    for fixture in spec["fixtures"]:
        for shelf in fixture["shelves"]:
            for p in shelf["plates"]:
                plates[p["code"]] = PlateInfo(
                    code=p["code"],
                    x_m=float(p["x_m"]),
                    y_m=float(p["y_m"]),
                    shelf=f"{fixture['code']}/{shelf['number']}",
                    fixture=str(fixture["code"]),
                    height_m=float(shelf.get("height_m", 1.0)),
                )
    facings: dict[str, list[str]] = {}
    raw = spec["facings"]
    pairs = raw.items() if isinstance(raw, dict) else ((f["sku"], f["plate"]) for f in raw)
    for sku, plate in pairs:
        for code in [plate] if isinstance(plate, str) else plate:
            facings.setdefault(code, []).append(sku)
    faced = {sku for skus in facings.values() for sku in skus}
    # The store's catalogue is what its planogram faces (products are shared across stores in the database).
    products = {
        p["sku"]: ProductInfo(
            sku=p["sku"],
            unit_weight_g=float(p["unit_weight_g"]),
            unit_weight_std_g=float(p.get("unit_weight_std_g", 0.0)),
            family=str(p.get("family", "")),
        )
        for p in spec["products"]
        if p["sku"] in faced
    }
    return StoreContext(
        plates=plates,
        products=products,
        facings={k: sorted(set(v)) for k, v in facings.items()},
        key=str(spec.get("code", "")),
    )
