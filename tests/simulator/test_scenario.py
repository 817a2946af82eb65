"""Scenario files: the three kept in the repo load; a wrong one names the field."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from jwo_review.simulator.scenario import SCENARIO_DIR, ScenarioError, load_scenario, scenario_from_dict


@pytest.mark.parametrize("name", ["default", "busy", "new_format"])
def test_scenarios_in_the_repo_load(name: str) -> None:
    scenario = load_scenario(name)
    assert scenario.name == name
    assert scenario.sku_plates and scenario.cameras


def test_default_is_the_real_aim3s_store() -> None:
    scenario = load_scenario("default")
    assert scenario.store_code == "aim3s"
    assert len(scenario.products) == 81


def test_new_format_has_its_own_products_and_families() -> None:
    new = load_scenario("new_format")
    aim3s = load_scenario("default")
    assert new.store_code != "aim3s"
    assert not set(new.products) & set(aim3s.products)
    families = {p.family for p in new.products.values()} - {p.family for p in aim3s.products.values()}
    assert len(families) >= 5


def _doc(name: str) -> dict[str, Any]:
    return dict(yaml.safe_load((SCENARIO_DIR / f"{name}.yaml").read_text()))


def _set(doc: dict[str, Any], path: list[Any], value: Any) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    node = doc
    for key in path[:-1]:
        node = node[key]
    if value is KeyError:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return doc


@pytest.mark.parametrize(
    ("base", "path", "value", "field"),
    [
        ("default", ["hard_cases", "crowding"], 1.5, "hard_cases.crowding"),
        ("default", ["hard_cases", "teleport"], 0.1, "hard_cases.teleport"),
        ("default", ["hard_cases", "hand_over"], 0.5, "hard_cases.hand_over"),
        ("default", ["name"], KeyError, "name"),
        ("default", ["seed"], -3, "seed"),
        ("default", ["traffic", "basket_size"], {"one": 1.0}, "traffic.basket_size.one"),
        ("default", ["traffic", "duration_s"], [90, 30], "traffic.duration_s"),
        ("default", ["store", "builtin"], "harrods", "store.builtin"),
        ("default", ["physics"], {"hz": 50}, "physics.hz"),
        ("default", ["vision"], {"miss_rate": "often"}, "vision.miss_rate"),
        ("default", ["vision"], {"shared_confusion": 1.5}, "vision.shared_confusion"),
        ("default", ["vision"], {"shared_confusion": "most"}, "vision.shared_confusion"),
        ("default", ["vision"], {"shared_confusions": 0.8}, "vision.shared_confusions"),
        ("new_format", ["store", "products", 2, "unit_weight_g"], -5, "store.products[2].unit_weight_g"),
        ("new_format", ["store", "products", 2, "unit_weight_g"], float("nan"), "store.products[2].unit_weight_g"),
        ("default", ["vision"], {"miss_rate": float("inf")}, "vision.miss_rate"),
        ("new_format", ["store", "products", 0, "plates"], ["S99P1"], "store.products[0].plates[0]"),
        ("new_format", ["store", "fixtures", 1, "plates_per_shelf"], "ten", "store.fixtures[1].plates_per_shelf"),
    ],
)
def test_a_wrong_scenario_names_the_field(base: str, path: list[Any], value: Any, field: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        scenario_from_dict(_set(_doc(base), path, value))
    assert caught.value.field == field
    assert field in str(caught.value)


def test_an_unknown_scenario_name_lists_the_known_ones() -> None:
    with pytest.raises(ScenarioError, match="default"):
        load_scenario("no-such-scenario")


def test_a_scenario_file_by_path_loads(tmp_path: Path) -> None:
    doc = _set(_doc("default"), ["name"], "mine")
    path = tmp_path / "mine.yaml"
    path.write_text(yaml.safe_dump(doc))
    assert load_scenario(str(path)).name == "mine"


def test_broken_yaml_is_a_scenario_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("name: [unclosed\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(str(path))
    assert caught.value.field == "scenario"


def test_an_extending_scenario_changes_only_the_settings_it_gives(tmp_path: Path) -> None:
    (tmp_path / "crowded.yaml").write_text("extends: busy\nname: crowded\nhard_cases: {crowding: 0.5}\n")
    crowded, busy = load_scenario(tmp_path / "crowded.yaml"), load_scenario("busy")
    assert crowded.name == "crowded" and crowded.hard_cases == {**busy.hard_cases, "crowding": 0.5}
    assert (crowded.seed, crowded.traffic, crowded.vision) == (busy.seed, busy.traffic, busy.vision)


@pytest.mark.parametrize(
    ("files", "says"),
    [
        ({"a.yaml": "extends: no-such-scenario\nname: a\n"}, "no scenario 'no-such-scenario'"),
        ({"a.yaml": "extends: b.yaml\nname: a\n", "b.yaml": "extends: a.yaml\nname: b\n"}, "not a loop"),
        ({"a.yaml": "extends: [default]\nname: a\n"}, "must name a scenario"),
    ],
)
def test_a_wrong_extends_names_the_field(tmp_path: Path, files: dict[str, str], says: str) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    with pytest.raises(ScenarioError, match=says) as caught:
        load_scenario(tmp_path / "a.yaml")
    assert caught.value.field == "extends"


ABLATIONS = SCENARIO_DIR / "ablations"


@pytest.mark.parametrize(
    ("name", "hard_cases", "vision"),
    [
        ("default_without_crowding", {"crowding": 0.0, "identity_swap": 0.0}, {}),
        ("default_without_look_alikes", {}, {"family_logit": [-0.5, 0.8]}),
        ("default_without_either", {"crowding": 0.0, "identity_swap": 0.0}, {"family_logit": [-0.5, 0.8]}),
    ],
)
def test_an_ablation_changes_only_what_it_names(name: str, hard_cases: dict[str, Any], vision: dict[str, Any]) -> None:
    base, ablation = load_scenario("default"), load_scenario(ABLATIONS / f"{name}.yaml")
    assert ablation.name == name
    assert ablation.hard_cases == {**base.hard_cases, **hard_cases}
    assert ablation.vision == {**base.vision, **vision}
    assert (ablation.store_spec, ablation.traffic, ablation.physics, ablation.detector) == (
        base.store_spec,
        base.traffic,
        base.physics,
        base.detector,
    )
