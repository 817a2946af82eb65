"""The real AIM3S store (BuildSys 2019) as a store spec.

Source: the AIM3S dataset's ``product_info.json`` (81 products, measured unit
weights, planogram on 8 shelves x 12 plates) and ``weight_calibration.json``
(load-cell ids, slope and offset per plate); see ``fixtures/aim3s/SOURCE.md``.

What the dataset lacks is filled in and said so:
- two products have no measured weight (0.0): their weight is imputed from their
  look-alike family (the mean unit weight of the same brand's products on the same
  shelf), and ``weight_imputed`` marks them;
- a few weighings are gross slips (e.g. 63.5 g among 84 g units) and are left out;
- SKUs are ``AIM3S-<id>`` since nine products have no barcode;
- prices are not in the dataset: a plausible shelf price is set from the product's
  kind (candy bar, share size, household) and weight;
- layout: shelves 1-4 form gondola G1 and 5-8 gondola G2, side by side along the
  back wall; plates are 10 cm wide; four overhead cameras cover them.
"""

from __future__ import annotations

import hashlib
import json
import statistics
from pathlib import Path
from typing import Any

FIXTURE_DIR = Path(__file__).resolve().parent / "fixtures" / "aim3s"

BRANDS = [
    ("reese", "Reese's", "#f47b20", "bar"),
    ("reece", "Reese's", "#f47b20", "bar"),
    ("snickers", "Snickers", "#5b3a1e", "bar"),
    ("kit kat", "Kit Kat", "#d6001c", "bar"),
    ("m&m", "M&M's", "#7a3b1d", "bag"),
    ("butterfinger", "Butterfinger", "#ffd100", "bar"),
    ("whatchamacallit", "Whatchamacallit", "#e8a317", "bar"),
    ("cadbury", "Cadbury", "#4b0082", "bar"),
    ("twix", "Twix", "#c8a165", "bar"),
    ("payday", "PayDay", "#c0392b", "bar"),
    ("skor", "Skor", "#b22222", "bar"),
    ("rolo", "Rolo", "#8b4513", "bar"),
    ("lysol", "Lysol", "#1f4fa3", "bottle"),
    ("glade", "Glade", "#7fb3d5", "jar"),
    ("paper towel", "Paper towels", "#f5f5f5", "bag"),
    ("bags", "Bags", "#2e8b57", "box"),
    ("freezer", "Bags", "#2e8b57", "box"),
    ("sandwich", "Bags", "#2e8b57", "box"),
    ("foil", "Foil", "#c0c0c0", "box"),
    ("wrap", "Foil", "#c0c0c0", "box"),
    ("dish", "Dish liquid", "#3cb371", "bottle"),
]
PLATE_WIDTH_M = 0.10
SHELF_LEVELS = {1: 1, 2: 2, 3: 3, 4: 4, 5: 1, 6: 2, 7: 3, 8: 4}


def _brand(name: str) -> tuple[str, str, str]:
    lower = name.lower()
    for needle, family, color, shape in BRANDS:
        if needle in lower:
            return family, color, shape
    digest = hashlib.sha1(name.encode()).hexdigest()
    return "", f"#{digest[:6]}", "bottle" if any(w in lower for w in ("clean", "spray", "liquid", "409")) else "box"


def _price(name: str, grams: float, family: str) -> float:
    lower = name.lower()
    if family in {
        "Reese's",
        "Snickers",
        "Kit Kat",
        "M&M's",
        "Butterfinger",
        "Whatchamacallit",
        "Cadbury",
        "Twix",
        "PayDay",
        "Skor",
        "Rolo",
    }:
        base = 1.79 if grams < 60 else 2.49 if grams < 100 else 3.29
        return base + (0.20 if "king" in lower or "share" in lower else 0.0)
    return round(2.99 + min(grams, 1500.0) / 250.0, 2) - 0.01


def _clean_weights(raw: list[float]) -> list[float]:
    """Measured unit weights without the unmeasured zeros and gross outliers (a value
    more than 15% off the median is a weighing slip, not the product's spread)."""
    weights = [w for w in raw if w > 0]
    if len(weights) < 3:
        return weights
    median = statistics.median(weights)
    return [w for w in weights if abs(w - median) <= 0.15 * median]


def build_aim3s_spec(data_dir: Path = FIXTURE_DIR) -> tuple[dict[str, Any], list[str]]:
    """Returns the store spec and a note per imputed value."""
    products_raw = json.loads((data_dir / "product_info.json").read_text())["products"]
    calibration = json.loads((data_dir / "weight_calibration.json").read_text())["shelves"]
    notes: list[str] = []

    fixtures: list[dict[str, Any]] = []
    for code, name, x0, shelf_ids in (
        ("G1", "Gondola 1 (shelves 1-4)", 1.0, [1, 2, 3, 4]),
        ("G2", "Gondola 2 (shelves 5-8)", 2.6, [5, 6, 7, 8]),
    ):
        shelves = []
        for shelf_id in shelf_ids:
            cal = next(s for s in calibration if s["id"] == shelf_id)
            plates = [
                {
                    "number": i + 1,
                    "code": f"S{shelf_id}P{i + 1}",
                    "load_cell_id": str(p["id"]),
                    "slope": p["slope"],
                    "offset": p["offset"],
                    "x_m": round(x0 + PLATE_WIDTH_M * (i + 0.5), 3),
                    "y_m": 4.6,
                    "width_m": PLATE_WIDTH_M,
                }
                for i, p in enumerate(cal["plates"])
            ]
            shelves.append(
                {
                    "number": shelf_id,
                    "level": SHELF_LEVELS[shelf_id],
                    "height_m": 0.3 + 0.4 * (SHELF_LEVELS[shelf_id] - 1),
                    "plates": plates,
                }
            )
        fixtures.append(
            {
                "code": code,
                "name": name,
                "x_m": x0,
                "y_m": 4.6,
                "width_m": 12 * PLATE_WIDTH_M,
                "depth_m": 0.5,
                "facing_deg": 270.0,
                "shelves": shelves,
            }
        )

    products: list[dict[str, Any]] = []
    facings: list[dict[str, Any]] = []
    measured: list[tuple[str, int, float]] = []
    for p in products_raw:
        weights = _clean_weights(p["weights"])
        family, _, _ = _brand(p["name"])
        if weights:
            measured.append((family, p["arrangement"][0]["shelf_id"], statistics.fmean(weights)))
    for p in products_raw:
        family, color, shape = _brand(p["name"])
        weights = _clean_weights(p["weights"])
        imputed = not weights
        if imputed:
            shelf_id = p["arrangement"][0]["shelf_id"]
            peers = [m for f, s, m in measured if f == family and s == shelf_id] or [
                m for f, _, m in measured if f == family
            ]
            mean = round(statistics.fmean(peers), 1)
            std = round(0.03 * mean, 2)
            notes.append(
                f"{p['name']} ({p['barcode']}): no measured weight; imputed {mean} g from {len(peers)} "
                f"{family or 'same-shelf'} products."
            )
        else:
            mean = round(statistics.fmean(weights), 2)
            # Few units were weighed; floor the spread at 0.5% so one lucky pair does not claim zero variance.
            std = round(max(statistics.pstdev(weights) if len(weights) > 1 else 0.0, 0.005 * mean), 2)
        sku = f"AIM3S-{p['id']:03d}"
        products.append(
            {
                "sku": sku,
                "barcode": "" if p["barcode"] == "-" else p["barcode"],
                "name": p["name"],
                "price": round(_price(p["name"], mean, family), 2),
                "unit_weight_g": mean,
                "unit_weight_std_g": std,
                "weight_imputed": imputed,
                "family": family,
                "color": color,
                "shape": shape,
            }
        )
        for arrangement in p["arrangement"]:
            for plate_id in arrangement["plate_ids"]:
                facings.append({"sku": sku, "plate": f"S{arrangement['shelf_id']}P{plate_id}", "capacity": 6})

    cameras = [
        {"code": "CAM1", "name": "Over gondola 1", "x_m": 1.6, "y_m": 4.0, "height_m": 3.0, "fov_deg": 80.0},
        {"code": "CAM2", "name": "Over gondola 2", "x_m": 3.2, "y_m": 4.0, "height_m": 3.0, "fov_deg": 80.0},
        {"code": "CAM3", "name": "Aisle", "x_m": 2.4, "y_m": 2.5, "height_m": 3.0, "fov_deg": 90.0},
        {"code": "CAM4", "name": "Entrance", "x_m": 2.4, "y_m": 0.8, "height_m": 3.0, "fov_deg": 90.0},
    ]
    spec = {
        "code": "aim3s",
        "name": "AIM3S convenience store",
        "width_m": 5.0,
        "depth_m": 5.2,
        "fixtures": fixtures,
        "cameras": cameras,
        "products": products,
        "facings": facings,
        "planogram_note": "AIM3S dataset planogram",
    }
    return spec, notes
