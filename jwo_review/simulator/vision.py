"""What the store's cameras and their detectors report about a visit.

A real overhead-camera pipeline gives shopper positions, "hand in shelf" detections
with a product classifier's scores, and flags when a body blocks a camera. It is
imperfect, and so is this one: the classifier confuses look-alike families (same
brand, near-identical packs), scores flatten and detections go missing under
occlusion, the localised plate is sometimes the neighbour, and when the tracker swaps
two people's identities their hands are reported under each other's track ids.

Each shelf is seen by several overhead cameras, each running its own detector, so one
reach gives one hand-in-shelf detection per camera whose footprint covers the plate:
independent classifier noise, misses and occlusion per view, and a farther camera
(seeing the plate at a slant, at the edge of its field of view) reports lower
confidence and flatter scores.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from jwo_review.simulator.behaviour import Interaction, VisitPlan
from jwo_review.simulator.scenario import VISION_VIEW_DEFAULTS, CameraInfo, Scenario


def camera_for(scenario: Scenario, x: float, y: float) -> CameraInfo:
    return min(scenario.cameras.values(), key=lambda c: (math.hypot(c.x_m - x, c.y_m - y), c.code))


def cameras_seeing(scenario: Scenario, x: float, y: float) -> list[tuple[CameraInfo, float]]:
    """Cameras whose floor footprint (radius height * tan(fov / 2)) covers the point, nearest
    first, each with its distance as a share of that radius (0 overhead, 1 at the edge).
    A point no footprint covers is still seen, poorly, by the nearest camera; the
    scenario's ``vision.max_views`` (0: no cap) keeps only the nearest views."""
    seen: list[tuple[CameraInfo, float]] = []
    for cam in scenario.cameras.values():
        reach = cam.height_m * math.tan(math.radians(cam.fov_deg / 2))
        dist = math.hypot(cam.x_m - x, cam.y_m - y)
        if reach > 0 and dist <= reach:
            seen.append((cam, dist / reach))
    seen.sort(key=lambda cf: (cf[1], cf[0].code))
    if not seen:
        seen = [(camera_for(scenario, x, y), 1.0)]
    cap = int(scenario.vision.get("max_views", VISION_VIEW_DEFAULTS["max_views"]))
    return seen[:cap] if cap > 0 else seen


def _swapped(plan: VisitPlan, track_id: int, t: float) -> int:
    for swap in plan.swaps:
        if swap.t <= t <= swap.t_end:
            if track_id == swap.a:
                return swap.b
            if track_id == swap.b:
                return swap.a
    return track_id


def _occluded(plan: VisitPlan, camera: str, t0: float, t1: float) -> bool:
    return any(o.camera == camera and o.t <= t1 and t0 <= o.t_end for o in plan.occlusions)


def product_scores(
    scenario: Scenario, rng: np.random.Generator, sku: str, plate: str, occluded: bool, sharpness: float = 1.0
) -> dict[str, float]:
    """Softmax scores over the products a classifier would consider at ``plate``: the true
    one, its look-alike family, and what is faced nearby; the top ``top_k`` are kept.
    ``sharpness`` below 1 flattens the logits (a camera seeing the plate from afar)."""
    cfg = scenario.vision
    info = scenario.plates[plate]
    family = scenario.products[sku].family
    nearby: list[str] = []
    for code in sorted(scenario.facings):
        p = scenario.plates[code]
        if p.fixture == info.fixture and p.shelf == info.shelf and abs(p.number - info.number) <= 1:
            nearby.extend(s for s in scenario.facings[code] if s not in nearby)
    # The classifier mixes up the packs closest to the true one: same brand, similar size.
    weight = scenario.products[sku].unit_weight_g
    same = [s for s in scenario.products if family and scenario.products[s].family == family and s != sku]
    same.sort(key=lambda s: (abs(scenario.products[s].unit_weight_g - weight), s))
    look_alikes = same[: int(cfg["look_alikes"])]
    candidates = [sku] + [s for s in look_alikes if s not in nearby] + [s for s in nearby if s != sku]
    logits = np.empty(len(candidates))
    for i, cand in enumerate(candidates):
        if cand == sku:
            mean, std = cfg["true_logit"]
            if occluded:
                mean *= cfg["occluded_true_factor"]
        elif family and scenario.products[cand].family == family:
            mean, std = cfg["family_logit"]
        else:
            mean, std = cfg["neighbour_logit"]
        logits[i] = rng.normal(mean, std)
    if occluded:
        logits *= 0.6
    logits *= sharpness
    probs = np.exp(logits - logits.max())
    probs /= probs.sum()
    order = sorted(range(len(candidates)), key=lambda i: (-probs[i], candidates[i]))[: int(cfg["top_k"])]
    return {candidates[i]: round(float(probs[i]), 3) for i in order if probs[i] >= 0.005}


def vision_events(scenario: Scenario, plan: VisitPlan, rng: np.random.Generator) -> list[dict[str, Any]]:
    """Vision events of the visit, sorted by time, in the ingest payload's shape."""
    cfg = scenario.vision
    duration = plan.duration_s
    out: list[dict[str, Any]] = []

    def clip(t: float) -> float:
        return round(min(max(t, 0.0), duration), 3)

    flatten = float(cfg.get("distance_flatten", VISION_VIEW_DEFAULTS["distance_flatten"]))
    for act in plan.interactions:
        if act.sku is None:
            continue
        info = scenario.plates[act.plate]
        track_id = _swapped(plan, act.track_id, act.t_change)
        # One detection per camera, drawn in a fixed order (nearest first) so a seed replays.
        for camera, far in cameras_seeing(scenario, info.x_m, info.y_m):
            occluded = _occluded(plan, camera.code, act.t_start, act.t_end)
            miss = cfg["occluded_miss_rate"] if occluded else cfg["miss_rate"]
            miss += (1.0 - miss) * 0.2 * far * far
            if rng.random() < miss:
                continue
            plate = act.plate
            if rng.random() < 0.12:
                near = [
                    p
                    for p in scenario.plates.values()
                    if p.fixture == info.fixture and p.shelf == info.shelf and abs(p.number - info.number) == 1
                ]
                near.sort(key=lambda p: p.number)
                if near:
                    plate = near[int(rng.integers(len(near)))].code
            noise = cfg["position_noise_m"] * (1.0 + far)
            confidence = rng.uniform(0.3, 0.7) if occluded else rng.uniform(0.72, 0.99) * (1.0 - 0.3 * far * far)
            event: dict[str, Any] = {
                "kind": "hand_in_shelf",
                "track_id": track_id,
                "t": clip(act.t_start + rng.normal(0, 0.1)),
                "t_end": None,
                "fixture": info.fixture,
                "plate": plate,
                "camera": camera.code,
                "x_m": round(act.hand[0] + float(rng.normal(0, noise)), 3),
                "y_m": round(act.hand[1] + float(rng.normal(0, noise)), 3),
                "confidence": round(float(confidence), 3),
                "product_scores": product_scores(
                    scenario, rng, act.sku, act.plate, occluded, sharpness=1.0 - flatten * far * far
                ),
            }
            event["t_end"] = clip(max(event["t"], act.t_end + rng.normal(0, 0.1)))
            out.append(event)
    for track_id, fixture, t0, t1, x, y in plan.stops:
        f = scenario.fixtures[fixture]
        camera = camera_for(scenario, float(f["x_m"]) + float(f["width_m"]) / 2, float(f["y_m"]))
        if t1 < 0 or t0 > duration:
            continue
        out.append(
            {
                "kind": "near_fixture",
                "track_id": _swapped(plan, track_id, (t0 + t1) / 2),
                "t": clip(t0),
                "t_end": clip(max(t0, t1)),
                "fixture": fixture,
                "plate": None,
                "camera": camera.code,
                "x_m": round(x + float(rng.normal(0, 0.08)), 3),
                "y_m": round(y + float(rng.normal(0, 0.08)), 3),
                "confidence": round(float(rng.uniform(0.8, 0.99)), 3),
                "product_scores": {},
            }
        )
    for occ in plan.occlusions:
        out.append(
            {
                "kind": "occlusion",
                "track_id": occ.track_id,
                "t": clip(occ.t),
                "t_end": clip(occ.t_end),
                "fixture": None,
                "plate": None,
                "camera": occ.camera,
                "x_m": None,
                "y_m": None,
                "confidence": round(float(rng.uniform(0.6, 0.95)), 3),
                "product_scores": {},
            }
        )
    out.sort(key=lambda e: (e["t"], e["kind"], e["track_id"] or 0, e["camera"] or ""))
    return out


def shopper_track(person_at: Any, duration: float, rng: np.random.Generator, step: float = 0.5) -> list[list[float]]:
    """Positions every ``step`` seconds while the person is in the store, with tracker jitter."""
    points: list[list[float]] = []
    for i in range(int(duration / step) + 1):
        t = i * step
        pos = person_at(t)
        if pos is None:
            continue
        points.append(
            [round(t, 2), round(pos[0] + float(rng.normal(0, 0.03)), 3), round(pos[1] + float(rng.normal(0, 0.03)), 3)]
        )
    return points


def interaction_camera(scenario: Scenario, act: Interaction) -> str:
    info = scenario.plates[act.plate]
    return camera_for(scenario, info.x_m, info.y_m).code
