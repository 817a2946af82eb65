"""Scenarios: a store, its catalogue and planogram, traffic, hard-case rates and a seed.

Scenario files are YAML in ``jwo_review/simulator/scenarios/`` (``default``, ``busy``,
``new_format``) or any path. ``load_scenario(name_or_path)`` returns a ``Scenario``
and raises ``ScenarioError`` naming the offending field (``hard_cases.crowding``,
``store.products[3].unit_weight_g``) when the file is wrong.

Pure Python: nothing here touches the database. ``Scenario.store_spec`` is the dict
that ``jwo_review.store.services.layout.store_load_spec`` accepts; for ``default`` it is
``build_aim3s_spec()``, the real AIM3S store.

File shape (every section but ``name`` and ``store`` has defaults)::

    name: default
    extends: default                   # optional: start from another scenario (see load_scenario)
    seed: 7
    store: {builtin: aim3s}            # or an inline layout, see new_format.yaml
    traffic: {duration_s: [35, 140], basket_size: {0: 0.04, 1: 0.34, ...}, group_size: {2: 0.8, 3: 0.2},
              family_popularity: {"Snickers": 2.5, ...}, arrival_gap_s: 40}
    hard_cases: {group: 0.10, multi_pick: 0.07, ...}   # each a share of visits, 0..1
    physics: {hz: 60, noise_std_g: [1.0, 3.0], drift_g_per_s: 0.03, straddle_rate: 0.15, ...}
    detector: {window_s: 0.5, plate_threshold_g: 5.0, shelf_threshold_g: 10.0, stable_std_factor: 3.0, ...}
    vision: {miss_rate: 0.04, occluded_miss_rate: 0.45, true_logit: [3.2, 0.8], family_logit: [0.9, 0.9], ...,
              max_views: 0,       # views per reach: 0 = every camera whose footprint covers the plate
              shared_confusion: 0.0}   # share of a reach's product confusion all its views share, 0..1
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

SCENARIO_DIR = Path(__file__).resolve().parent / "scenarios"

HARD_CASES = (
    "group",
    "multi_pick",
    "put_back",
    "wrong_plate_put_back",
    "hand_over",
    "crowding",
    "occlusion",
    "identity_swap",
    "staff_restock",
    "lean",
)
"""Every hard case the simulator knows; a scenario gives each a share of visits."""

DEFAULT_TRAFFIC: dict[str, Any] = {
    "duration_s": [35.0, 140.0],
    "basket_size": {0: 0.04, 1: 0.34, 2: 0.26, 3: 0.16, 4: 0.09, 5: 0.05, 6: 0.03, 7: 0.02, 8: 0.01},
    "group_size": {2: 0.8, 3: 0.2},
    "family_popularity": {},
    "arrival_gap_s": 40.0,
    "walk_speed_m_s": 0.9,
    "start": "2026-11-02T08:00:00+00:00",
}
DEFAULT_PHYSICS: dict[str, Any] = {
    "hz": 60,
    "noise_std_g": [1.0, 3.0],
    "drift_g_per_s": 0.03,
    "straddle_rate": 0.15,
    "vibration_g": [1.0, 6.0],
    "press_g": [0.0, 40.0],
    "lean_g": [60.0, 400.0],
    "lean_sway_g": [1.0, 25.0],
    "stock_units": [3, 6],
}
DEFAULT_DETECTOR: dict[str, Any] = {
    "window_s": 0.5,
    "min_stable_s": 0.3,
    "plate_threshold_g": 5.0,
    "shelf_threshold_g": 10.0,
    "stable_std_factor": 3.0,
    "merge_gap_s": 0.3,
}
DEFAULT_VISION: dict[str, Any] = {
    "miss_rate": 0.04,
    "occluded_miss_rate": 0.45,
    "true_logit": [3.2, 0.8],
    "family_logit": [0.9, 0.9],
    "neighbour_logit": [-0.5, 0.8],
    "look_alikes": 3,
    "occluded_true_factor": 0.35,
    "top_k": 5,
    "position_noise_m": 0.05,
}
# Multi-view settings, kept out of DEFAULT_VISION so that a scenario which leaves them out
# keeps its fingerprint (and so its visits' seeds and ground truth). ``max_views`` caps the
# cameras reporting one reach (0: every camera whose footprint covers the plate);
# ``distance_flatten`` is how much flatter a view's logits are at the edge of its footprint;
# ``shared_confusion`` is the share of each product logit's noise variance that belongs to the
# reach and is the same in all its views (the correlation of two views' scores): 0 draws every
# view's confusion independently, 1 confuses every view the same way. Occlusion, misses,
# distance and localisation stay per view whatever it is.
VISION_VIEW_DEFAULTS: dict[str, Any] = {"max_views": 0, "distance_flatten": 0.5, "shared_confusion": 0.0}


class ScenarioError(ValueError):
    """A scenario file is wrong; ``field`` names where (dotted path)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class ProductInfo:
    sku: str
    name: str
    family: str
    unit_weight_g: float
    unit_weight_std_g: float
    color: str
    shape: str


@dataclass(frozen=True)
class PlateInfo:
    code: str
    fixture: str
    shelf: int
    level: int
    number: int
    x_m: float
    y_m: float
    width_m: float
    noise_std_g: float


@dataclass(frozen=True)
class CameraInfo:
    code: str
    name: str
    x_m: float
    y_m: float
    height_m: float
    fov_deg: float


@dataclass
class Scenario:
    """A loaded, validated scenario. ``store_spec`` feeds ``store_load_spec``."""

    name: str
    seed: int
    description: str
    store_spec: dict[str, Any]
    traffic: dict[str, Any]
    hard_cases: dict[str, float]
    physics: dict[str, Any]
    detector: dict[str, Any]
    vision: dict[str, Any]
    source: str
    products: dict[str, ProductInfo] = field(default_factory=dict)
    plates: dict[str, PlateInfo] = field(default_factory=dict)
    cameras: dict[str, CameraInfo] = field(default_factory=dict)
    fixtures: dict[str, dict[str, Any]] = field(default_factory=dict)
    facings: dict[str, list[str]] = field(default_factory=dict)
    """plate code -> SKUs faced on it (planogram order)."""
    sku_plates: dict[str, list[str]] = field(default_factory=dict)
    """SKU -> plate codes it is faced on."""

    @property
    def store_code(self) -> str:
        return str(self.store_spec["code"])

    @property
    def fingerprint(self) -> str:
        """Stable digest of everything that shapes the visits (part of every visit's seed)."""
        body = json.dumps(
            {
                "n": self.name,
                "s": self.store_spec,
                "t": self.traffic,
                "h": self.hard_cases,
                "p": self.physics,
                "d": self.detector,
                "v": self.vision,
            },
            sort_keys=True,
            default=str,
        )
        return hashlib.sha256(body.encode()).hexdigest()[:16]

    def hard_case_share_expected(self) -> float:
        """Share of visits with at least one hard case if cases were independent (hand_over nests in group)."""
        share_none = 1.0
        for name, rate in self.hard_cases.items():
            if name != "hand_over":
                share_none *= 1.0 - rate
        return 1.0 - share_none


def _require(data: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if key not in data:
        raise ScenarioError(f"{where}{key}", "is required.")
    value = data[key]
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise ScenarioError(f"{where}{key}", f"must be {names}, got {type(value).__name__}.")
    return value


def _number(value: Any, where: str, low: float | None = None, high: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ScenarioError(where, f"must be a number, got {value!r}.")
    if not math.isfinite(value):
        raise ScenarioError(where, f"must be a finite number, got {value!r}.")
    if low is not None and value < low or high is not None and value > high:
        raise ScenarioError(where, f"must be between {low} and {high}, got {value!r}.")
    return float(value)


def _range(value: Any, where: str, low: float = 0.0) -> list[float]:
    if not isinstance(value, list) or len(value) != 2:
        raise ScenarioError(where, f"must be a [low, high] pair, got {value!r}.")
    a, b = _number(value[0], f"{where}[0]", low), _number(value[1], f"{where}[1]", low)
    if b < a:
        raise ScenarioError(where, f"high {b} is below low {a}.")
    return [a, b]


def _merge_section(
    raw: Any, defaults: dict[str, Any], where: str, optional: dict[str, Any] | None = None
) -> dict[str, Any]:
    """``defaults`` merged with ``raw``; keys of ``optional`` are accepted but only kept when given."""
    if raw is None:
        return copy.deepcopy(defaults)
    if not isinstance(raw, dict):
        raise ScenarioError(where, "must be a mapping.")
    unknown = sorted(set(raw) - set(defaults) - set(optional or {}))
    if unknown:
        known = ", ".join(sorted({*defaults, *(optional or {})}))
        raise ScenarioError(f"{where}.{unknown[0]}", f"unknown setting; known: {known}.")
    merged = copy.deepcopy(defaults)
    merged.update(raw)
    return merged


def _distribution(value: Any, where: str) -> dict[int, float]:
    if not isinstance(value, dict) or not value:
        raise ScenarioError(where, "must map sizes to weights, e.g. {1: 0.5, 2: 0.5}.")
    out: dict[int, float] = {}
    for k, w in value.items():
        try:
            size = int(k)
        except (TypeError, ValueError):
            raise ScenarioError(f"{where}.{k}", "size must be a whole number.") from None
        if size < 0:
            raise ScenarioError(f"{where}.{k}", "size must be 0 or more.")
        out[size] = _number(w, f"{where}.{k}", 0.0)
    total = sum(out.values())
    if total <= 0:
        raise ScenarioError(where, "weights must not all be zero.")
    return {k: v / total for k, v in sorted(out.items())}


def _check_traffic(traffic: dict[str, Any]) -> None:
    traffic["duration_s"] = _range(traffic["duration_s"], "traffic.duration_s", 5.0)
    traffic["basket_size"] = _distribution(traffic["basket_size"], "traffic.basket_size")
    traffic["group_size"] = _distribution(traffic["group_size"], "traffic.group_size")
    if min(traffic["group_size"]) < 2 or max(traffic["group_size"]) > 4:
        raise ScenarioError("traffic.group_size", "group sizes are 2 to 4 shoppers.")
    if not isinstance(traffic["family_popularity"], dict):
        raise ScenarioError("traffic.family_popularity", "must map family names to weights.")
    for fam, w in traffic["family_popularity"].items():
        _number(w, f"traffic.family_popularity.{fam}", 0.0)
    _number(traffic["arrival_gap_s"], "traffic.arrival_gap_s", 1.0)
    _number(traffic["walk_speed_m_s"], "traffic.walk_speed_m_s", 0.2, 3.0)
    if not isinstance(traffic["start"], str):
        traffic["start"] = str(traffic["start"])


def _check_physics(physics: dict[str, Any]) -> None:
    if physics["hz"] != 60:
        raise ScenarioError("physics.hz", "plates are sampled at 60 Hz (the AIM3S rate).")
    for key in ("noise_std_g", "vibration_g", "press_g", "lean_g", "lean_sway_g", "stock_units"):
        physics[key] = _range(physics[key], f"physics.{key}")
    if physics["noise_std_g"][0] < 0.1:
        raise ScenarioError("physics.noise_std_g", "a load cell has at least 0.1 g of noise.")
    _number(physics["drift_g_per_s"], "physics.drift_g_per_s", 0.0, 5.0)
    _number(physics["straddle_rate"], "physics.straddle_rate", 0.0, 1.0)


def _check_detector(detector: dict[str, Any]) -> None:
    for key in ("window_s", "min_stable_s", "merge_gap_s"):
        _number(detector[key], f"detector.{key}", 0.0, 5.0)
    for key in ("plate_threshold_g", "shelf_threshold_g", "stable_std_factor"):
        _number(detector[key], f"detector.{key}", 0.1, 1000.0)


def _check_vision(vision: dict[str, Any]) -> None:
    for key in ("miss_rate", "occluded_miss_rate", "occluded_true_factor"):
        _number(vision[key], f"vision.{key}", 0.0, 1.0)
    for key in ("true_logit", "family_logit", "neighbour_logit"):
        value = vision[key]
        if not isinstance(value, list) or len(value) != 2:
            raise ScenarioError(f"vision.{key}", "must be [mean, std].")
        _number(value[0], f"vision.{key}[0]")
        _number(value[1], f"vision.{key}[1]", 0.0)
    _number(vision["top_k"], "vision.top_k", 1, 50)
    _number(vision["look_alikes"], "vision.look_alikes", 0, 50)
    _number(vision["position_noise_m"], "vision.position_noise_m", 0.0, 2.0)
    _number(vision.get("max_views", 0), "vision.max_views", 0, 50)
    _number(vision.get("distance_flatten", 0.5), "vision.distance_flatten", 0.0, 0.9)
    _number(vision.get("shared_confusion", 0.0), "vision.shared_confusion", 0.0, 1.0)


def _inline_store(raw: dict[str, Any]) -> dict[str, Any]:
    """Expand a compact inline store (fixtures with shelf and plate counts) into a store spec."""
    where = "store."
    code = _require(raw, "code", str, where)
    spec: dict[str, Any] = {
        "code": code,
        "name": _require(raw, "name", str, where),
        "width_m": _number(_require(raw, "width_m", (int, float), where), "store.width_m", 1.0),
        "depth_m": _number(_require(raw, "depth_m", (int, float), where), "store.depth_m", 1.0),
        "fixtures": [],
        "cameras": [],
        "products": [],
        "facings": [],
        "planogram_note": str(raw.get("planogram_note", f"{code} scenario planogram")),
    }
    plate_codes: set[str] = set()
    for i, f in enumerate(_require(raw, "fixtures", list, where)):
        fw = f"store.fixtures[{i}]."
        if not isinstance(f, dict):
            raise ScenarioError(fw.rstrip("."), "must be a mapping.")
        width = _number(_require(f, "plate_width_m", (int, float), fw), f"{fw}plate_width_m", 0.02, 1.0)
        n_plates = int(_number(_require(f, "plates_per_shelf", int, fw), f"{fw}plates_per_shelf", 1, 40))
        x0 = _number(_require(f, "x_m", (int, float), fw), f"{fw}x_m", 0.0)
        y0 = _number(_require(f, "y_m", (int, float), fw), f"{fw}y_m", 0.0)
        shelves = []
        for level, shelf_no in enumerate(_require(f, "shelves", list, fw), start=1):
            plates = []
            for p in range(n_plates):
                pcode = f"S{shelf_no}P{p + 1}"
                if pcode in plate_codes:
                    raise ScenarioError(f"{fw}shelves", f"shelf number {shelf_no} is used twice.")
                plate_codes.add(pcode)
                plates.append(
                    {
                        "number": p + 1,
                        "code": pcode,
                        "load_cell_id": f"{code}-{pcode}",
                        "slope": 1.0,
                        "offset": 0.0,
                        "x_m": round(x0 + width * (p + 0.5), 3),
                        "y_m": y0,
                        "width_m": width,
                        "noise_std_g": float(f.get("noise_std_g", 1.5)),
                    }
                )
            shelves.append(
                {
                    "number": int(shelf_no),
                    "level": level,
                    "height_m": round(0.3 + 0.4 * (level - 1), 2),
                    "plates": plates,
                }
            )
        spec["fixtures"].append(
            {
                "code": _require(f, "code", str, fw),
                "name": str(f.get("name", f["code"])),
                "x_m": x0,
                "y_m": y0,
                "width_m": round(width * n_plates, 3),
                "depth_m": float(f.get("depth_m", 0.5)),
                "facing_deg": float(f.get("facing_deg", 270.0)),
                "shelves": shelves,
            }
        )
    for i, c in enumerate(_require(raw, "cameras", list, where)):
        cw = f"store.cameras[{i}]."
        spec["cameras"].append(
            {
                "code": _require(c, "code", str, cw),
                "name": str(c.get("name", c["code"])),
                "x_m": _number(_require(c, "x_m", (int, float), cw), f"{cw}x_m"),
                "y_m": _number(_require(c, "y_m", (int, float), cw), f"{cw}y_m"),
                "height_m": float(c.get("height_m", 3.0)),
                "fov_deg": float(c.get("fov_deg", 80.0)),
            }
        )
    seen: set[str] = set()
    for i, p in enumerate(_require(raw, "products", list, where)):
        pw = f"store.products[{i}]."
        sku = _require(p, "sku", str, pw)
        if sku in seen:
            raise ScenarioError(f"{pw}sku", f"SKU {sku!r} appears twice.")
        seen.add(sku)
        mean = _number(_require(p, "unit_weight_g", (int, float), pw), f"{pw}unit_weight_g", 1.0, 20000.0)
        std = _number(p.get("unit_weight_std_g", 0.01 * mean), f"{pw}unit_weight_std_g", 0.0, mean)
        plates = _require(p, "plates", list, pw)
        if not plates:
            raise ScenarioError(f"{pw}plates", "a product faces at least one plate.")
        for j, pcode in enumerate(plates):
            if pcode not in plate_codes:
                raise ScenarioError(f"{pw}plates[{j}]", f"no plate {pcode!r} in this store.")
            spec["facings"].append({"sku": sku, "plate": pcode, "capacity": int(p.get("capacity", 6))})
        spec["products"].append(
            {
                "sku": sku,
                "barcode": str(p.get("barcode", "")),
                "name": _require(p, "name", str, pw),
                "price": _number(_require(p, "price", (int, float), pw), f"{pw}price", 0.0),
                "unit_weight_g": mean,
                "unit_weight_std_g": std,
                "weight_imputed": False,
                "family": str(p.get("family", "")),
                "color": str(p.get("color", "#888888")),
                "shape": str(p.get("shape", "box")),
            }
        )
    return spec


def _index(scenario: Scenario) -> None:
    spec = scenario.store_spec
    for p in spec["products"]:
        scenario.products[p["sku"]] = ProductInfo(
            sku=p["sku"],
            name=p["name"],
            family=p.get("family", ""),
            unit_weight_g=float(p["unit_weight_g"]),
            unit_weight_std_g=float(p["unit_weight_std_g"]),
            color=p.get("color", "#888888"),
            shape=p.get("shape", "box"),
        )
    for f in spec["fixtures"]:
        scenario.fixtures[f["code"]] = f
        for s in f["shelves"]:
            for p in s["plates"]:
                scenario.plates[p["code"]] = PlateInfo(
                    code=p["code"],
                    fixture=f["code"],
                    shelf=int(s["number"]),
                    level=int(s["level"]),
                    number=int(p["number"]),
                    x_m=float(p["x_m"]),
                    y_m=float(p["y_m"]),
                    width_m=float(p["width_m"]),
                    noise_std_g=float(p.get("noise_std_g", 1.5)),
                )
    for c in spec["cameras"]:
        scenario.cameras[c["code"]] = CameraInfo(
            code=c["code"],
            name=c.get("name", c["code"]),
            x_m=float(c["x_m"]),
            y_m=float(c["y_m"]),
            height_m=float(c.get("height_m", 3.0)),
            fov_deg=float(c.get("fov_deg", 80.0)),
        )
    for facing in spec["facings"]:
        if facing["sku"] not in scenario.products:
            raise ScenarioError("store.facings", f"facing of unknown SKU {facing['sku']!r}.")
        if facing["plate"] not in scenario.plates:
            raise ScenarioError("store.facings", f"facing on unknown plate {facing['plate']!r}.")
        scenario.facings.setdefault(facing["plate"], []).append(facing["sku"])
        scenario.sku_plates.setdefault(facing["sku"], []).append(facing["plate"])
    for sku in scenario.sku_plates:
        scenario.sku_plates[sku].sort(key=lambda c: (scenario.plates[c].shelf, scenario.plates[c].number))
    if not scenario.cameras:
        raise ScenarioError("store.cameras", "a store needs at least one camera.")
    if not scenario.sku_plates:
        raise ScenarioError("store.products", "no product is faced on any plate.")


def scenario_from_dict(data: Any, *, source: str = "<dict>") -> Scenario:
    """Validate a parsed scenario document; raises ``ScenarioError`` naming the field."""
    if not isinstance(data, dict):
        raise ScenarioError("scenario", "the file must hold a mapping at the top level.")
    known = {"name", "description", "seed", "store", "traffic", "hard_cases", "physics", "detector", "vision"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ScenarioError(unknown[0], f"unknown section; known: {', '.join(sorted(known))}.")
    name = _require(data, "name", str, "")
    seed = data.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ScenarioError("seed", f"must be a whole number >= 0, got {seed!r}.")
    store_raw = _require(data, "store", dict, "")
    if "builtin" in store_raw:
        if store_raw["builtin"] != "aim3s":
            raise ScenarioError("store.builtin", f"unknown built-in store {store_raw['builtin']!r}; known: aim3s.")
        from jwo_review.store.aim3s import build_aim3s_spec

        store_spec, _ = build_aim3s_spec()
    else:
        store_spec = _inline_store(store_raw)
    hard_raw = data.get("hard_cases", {})
    if not isinstance(hard_raw, dict):
        raise ScenarioError("hard_cases", "must map hard-case names to rates.")
    hard_cases: dict[str, float] = {}
    for key, value in hard_raw.items():
        if key not in HARD_CASES:
            raise ScenarioError(f"hard_cases.{key}", f"unknown hard case; known: {', '.join(HARD_CASES)}.")
        hard_cases[key] = _number(value, f"hard_cases.{key}", 0.0, 1.0)
    for key in HARD_CASES:
        hard_cases.setdefault(key, 0.0)
    if hard_cases["hand_over"] > hard_cases["group"]:
        raise ScenarioError(
            "hard_cases.hand_over", "items are handed over only inside groups: at most hard_cases.group."
        )
    traffic = _merge_section(data.get("traffic"), DEFAULT_TRAFFIC, "traffic")
    _check_traffic(traffic)
    physics = _merge_section(data.get("physics"), DEFAULT_PHYSICS, "physics")
    _check_physics(physics)
    detector = _merge_section(data.get("detector"), DEFAULT_DETECTOR, "detector")
    _check_detector(detector)
    vision = _merge_section(data.get("vision"), DEFAULT_VISION, "vision", VISION_VIEW_DEFAULTS)
    _check_vision(vision)
    scenario = Scenario(
        name=name,
        seed=seed,
        description=str(data.get("description", "")),
        store_spec=store_spec,
        traffic=traffic,
        hard_cases={k: hard_cases[k] for k in HARD_CASES},
        physics=physics,
        detector=detector,
        vision=vision,
        source=source,
    )
    _index(scenario)
    for fam in traffic["family_popularity"]:
        if fam not in {p.family for p in scenario.products.values()}:
            raise ScenarioError(f"traffic.family_popularity.{fam}", "no product of this store has that family.")
    return scenario


SETTING_SECTIONS = ("traffic", "hard_cases", "physics", "detector", "vision")
"""Sections a scenario that ``extends`` another merges setting by setting; the rest replace."""


def _scenario_path(name_or_path: str | Path, beside: Path | None = None) -> Path:
    """The file a scenario name or path means; a relative path given inside a scenario file
    (``beside`` its folder) is read from that folder."""
    candidate = Path(name_or_path)
    if candidate.suffix.lower() in {".yaml", ".yml", ".json"} or candidate.exists():
        path = beside / candidate if beside is not None and not candidate.is_absolute() else candidate
    else:
        path = SCENARIO_DIR / f"{name_or_path}.yaml"
        if not path.exists():
            known = ", ".join(sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml")))
            raise ScenarioError("scenario", f"no scenario {str(name_or_path)!r}; known: {known}, or give a file path.")
    if not path.exists():
        raise ScenarioError("scenario", f"file {str(path)!r} does not exist.")
    return path


def _read_document(path: Path, chain: tuple[Path, ...] = ()) -> Any:
    """The parsed file, laid over the scenario its ``extends`` names, if any."""
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise ScenarioError("scenario", f"{path.name} is not valid YAML: {exc}") from None
    if not isinstance(data, dict) or "extends" not in data:
        return data
    parent = data.pop("extends")
    if not isinstance(parent, str):
        raise ScenarioError("extends", f"must name a scenario or a file, got {parent!r}.")
    try:
        base_path = _scenario_path(parent, beside=path.parent)
    except ScenarioError as exc:
        raise ScenarioError("extends", exc.message) from None
    chain = (*chain, path.resolve())
    if base_path.resolve() in chain:
        raise ScenarioError("extends", f"{parent!r} extends {path.name} again; scenarios extend in a line, not a loop.")
    merged = _read_document(base_path, chain)
    if not isinstance(merged, dict):
        raise ScenarioError("extends", f"{parent!r} does not hold a scenario mapping.")
    for key, value in data.items():
        if key in SETTING_SECTIONS and isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged


def load_scenario(name_or_path: str | Path) -> Scenario:
    """Load ``default``/``busy``/``new_format`` (files kept in the repo) or a YAML/JSON path.

    A file may start from another scenario with ``extends: NAME_OR_PATH``: its setting
    sections (traffic, hard cases, physics, detector, vision) change only the settings it
    gives, and its name, description, seed and store replace the base's."""
    path = _scenario_path(name_or_path)
    return scenario_from_dict(_read_document(path), source=str(path))
