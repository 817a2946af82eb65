"""What the store's cameras and their detectors report about a visit.

A real overhead-camera pipeline gives shopper positions, "hand in shelf" detections
with a product classifier's scores, and flags when a body blocks a camera. It is
imperfect, and so is this one: the classifier confuses look-alike families (same
brand, near-identical packs), scores flatten and detections go missing under
occlusion, the localised plate is sometimes the neighbour, and when the tracker swaps
two people's identities their hands are reported under each other's track ids.

Each shelf is seen by several overhead cameras, each running its own detector, so one
reach gives one hand-in-shelf detection per camera whose footprint covers the plate:
misses and occlusion per view, and a farther camera (seeing the plate at a slant, at
the edge of its field of view) reports lower confidence and flatter scores. The
classifier's confusion is per view too unless the scenario's ``vision.shared_confusion``
says otherwise: that share of it belongs to the reach (the pack in the hand, its
look-alike packaging, the face turned up) and is the same in every view, so views of
an ambiguous pack tend to name the same wrong look-alike, as real views of one hand do.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
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


def view_occluded(plan: VisitPlan, camera: str, t0: float, t1: float) -> bool:
    return any(o.camera == camera and o.t <= t1 and t0 <= o.t_end for o in plan.occlusions)


# Spawn key of the stream a reach's shared confusion is drawn from: a child of the visit's
# seed, not of its generator's state, so drawing it never moves the per-view draws.
_SHARED_STREAM_KEY = 0x5643


def shared_stream(rng: np.random.Generator) -> np.random.Generator:
    """A generator for what all views of a reach share, derived from the seed ``rng`` was
    made from; the same seed gives the same stream, and ``rng`` itself is not touched."""
    seq = rng.bit_generator.seed_seq
    if not isinstance(seq, np.random.SeedSequence):
        raise TypeError("the visit's generator must be seeded from a SeedSequence")
    child = np.random.SeedSequence(seq.entropy, spawn_key=(*seq.spawn_key, _SHARED_STREAM_KEY))
    return np.random.Generator(np.random.PCG64(child))


def confusable_products(scenario: Scenario, sku: str, plate: str) -> list[str]:
    """The products a classifier weighs for a reach of ``sku`` at ``plate``: the true one
    first, then its closest look-alikes, then the rest of what is faced nearby."""
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
    look_alikes = same[: int(scenario.vision["look_alikes"])]
    return [sku] + [s for s in look_alikes if s not in nearby] + [s for s in nearby if s != sku]


def logit_mean_std(scenario: Scenario, cand: str, sku: str, occluded: bool) -> tuple[float, float]:
    """The mean and spread of a view's logit for ``cand`` when the hand holds ``sku``: the
    true product, one of its family (a look-alike), or anything else faced nearby."""
    cfg = scenario.vision
    family = scenario.products[sku].family
    if cand == sku:
        mean, std = cfg["true_logit"]
        if occluded:
            mean *= cfg["occluded_true_factor"]
    elif family and scenario.products[cand].family == family:
        mean, std = cfg["family_logit"]
    else:
        mean, std = cfg["neighbour_logit"]
    return mean, std


def view_miss_rate(scenario: Scenario, occluded: bool, far: float) -> float:
    """The chance a camera misses a reach: more when a body blocks it, and at the edge of
    its footprint (``far`` 1)."""
    cfg = scenario.vision
    miss = cfg["occluded_miss_rate"] if occluded else cfg["miss_rate"]
    miss += (1.0 - miss) * 0.2 * far * far
    return float(miss)


def view_sharpness(scenario: Scenario, far: float) -> float:
    """How much flatter a view's logits are at ``far`` of its footprint's radius."""
    flatten = float(scenario.vision.get("distance_flatten", VISION_VIEW_DEFAULTS["distance_flatten"]))
    return 1.0 - flatten * far * far


def product_scores(
    scenario: Scenario,
    rng: np.random.Generator,
    sku: str,
    plate: str,
    occluded: bool,
    sharpness: float = 1.0,
    common: Mapping[str, float] | None = None,
) -> dict[str, float]:
    """Softmax scores over the products a classifier would consider at ``plate``: the true
    one, its look-alike family, and what is faced nearby; the top ``top_k`` are kept.
    ``sharpness`` below 1 flattens the logits (a camera seeing the plate from afar).

    ``common`` holds the reach's shared standard-normal noise per candidate (see
    ``confusable_products``); a share ``vision.shared_confusion`` of each logit's
    variance comes from it and the rest from this view's own draw from ``rng``. Without
    it the view is independent, drawn exactly as it always was."""
    cfg = scenario.vision
    candidates = confusable_products(scenario, sku, plate)
    shared = float(cfg.get("shared_confusion", VISION_VIEW_DEFAULTS["shared_confusion"]))
    logits = np.empty(len(candidates))
    for i, cand in enumerate(candidates):
        mean, std = logit_mean_std(scenario, cand, sku, occluded)
        if common and shared > 0:
            # One view draw per candidate, shared or not, so the other per-view draws
            # (misses, confidence, localisation, position) stay where independent views have them.
            own = float(rng.standard_normal())
            logits[i] = mean + std * (math.sqrt(shared) * common[cand] + math.sqrt(1.0 - shared) * own)
        else:
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

    shared = float(cfg.get("shared_confusion", VISION_VIEW_DEFAULTS["shared_confusion"]))
    # Independent views draw nothing from this stream, so their visits keep their bytes.
    reach_rng = shared_stream(rng) if shared > 0 else None
    for act in plan.interactions:
        if act.sku is None:
            continue
        info = scenario.plates[act.plate]
        track_id = _swapped(plan, act.track_id, act.t_change)
        common: dict[str, float] | None = None
        if reach_rng is not None:
            # Drawn for every reach, seen or missed, so one reach's misses do not move the next's.
            candidates = confusable_products(scenario, act.sku, act.plate)
            common = dict(zip(candidates, reach_rng.standard_normal(len(candidates)).tolist(), strict=True))
        # One detection per camera, drawn in a fixed order (nearest first) so a seed replays.
        for camera, far in cameras_seeing(scenario, info.x_m, info.y_m):
            occluded = view_occluded(plan, camera.code, act.t_start, act.t_end)
            if rng.random() < view_miss_rate(scenario, occluded, far):
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
                    scenario, rng, act.sku, act.plate, occluded, sharpness=view_sharpness(scenario, far), common=common
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
