"""Several overhead cameras see each shelf: one hand-in-shelf detection per covering camera."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import yaml

from jwo_review.simulator.generate import simulate_visits
from jwo_review.simulator.scenario import SCENARIO_DIR, Scenario, load_scenario
from jwo_review.simulator.vision import cameras_seeing


def _covers(scenario: Scenario, camera: str, x: float, y: float) -> bool:
    cam = scenario.cameras[camera]
    return math.hypot(cam.x_m - x, cam.y_m - y) <= cam.height_m * math.tan(math.radians(cam.fov_deg / 2))


def test_gondola_plates_are_seen_by_the_overhead_and_aisle_cameras_nearest_first(default_scenario: Scenario) -> None:
    for plate in default_scenario.plates.values():
        views = cameras_seeing(default_scenario, plate.x_m, plate.y_m)
        codes = [c.code for c, _ in views]
        assert 2 <= len(views) <= 3 and "CAM4" not in codes  # the entrance camera is 3.8 m away
        assert all(_covers(default_scenario, code, plate.x_m, plate.y_m) for code in codes)
        shares = [share for _, share in views]
        assert shares == sorted(shares) and shares[0] >= 0 and shares[-1] <= 1


def test_each_reach_is_reported_by_several_cameras_each_with_its_own_scores(default_scenario: Scenario) -> None:
    per_reach: Counter[int] = Counter()
    differing = 0
    for visit in simulate_visits(default_scenario, 30, seed=11):
        hands = [v for v in visit.payload["vision_events"] if v["kind"] == "hand_in_shelf"]
        by_key: dict[tuple[int, str, float], list[dict[str, object]]] = {}
        for act in visit.truth["interactions"]:
            if act.get("sku") is None:
                continue
            plate = default_scenario.plates[act["plate"]]
            mine = [h for h in hands if h["fixture"] == plate.fixture and abs(h["t"] - act["t_start"]) < 0.6
                    and _covers(default_scenario, str(h["camera"]), plate.x_m, plate.y_m)]
            cameras = [h["camera"] for h in mine]
            by_key[(act["track_id"], act["plate"], act["t_start"])] = mine
            per_reach[len(set(cameras))] += 1
        for views in by_key.values():
            scores = {str(v["product_scores"]) for v in views}
            differing += len(views) >= 2 and len(scores) == len(views)
    assert sum(n * count for n, count in per_reach.items()) / sum(per_reach.values()) > 2.0
    assert differing > 10


def test_max_views_caps_the_views_and_leaving_it_out_keeps_the_seed(tmp_path: Path) -> None:
    data = yaml.safe_load((SCENARIO_DIR / "default.yaml").read_text())
    data.setdefault("vision", {})["max_views"] = 1
    path = tmp_path / "one_view.yaml"
    path.write_text(yaml.safe_dump(data))
    one_view = load_scenario(path)
    default = load_scenario("default")
    assert one_view.fingerprint != default.fingerprint
    # Unset multi-view settings stay out of the fingerprint, so older scenarios keep their visits.
    assert "max_views" not in default.vision and "distance_flatten" not in default.vision
    plate = default.plates["S1P1"]
    assert [c.code for c, _ in cameras_seeing(one_view, plate.x_m, plate.y_m)] == ["CAM1"]
    for visit in simulate_visits(one_view, 20, seed=4):
        hands = [v for v in visit.payload["vision_events"] if v["kind"] == "hand_in_shelf"]
        picks = [a for a in visit.truth["interactions"] if a.get("sku") is not None]
        assert len(hands) <= len(picks)
