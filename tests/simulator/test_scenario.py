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
        ("new_format", ["store", "products", 2, "unit_weight_g"], -5, "store.products[2].unit_weight_g"),
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
