"""Views of one reach share the scenario's share of the product confusion; occlusion,
misses and everything else physical stay per view."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import yaml

from jwo_review.simulator.behaviour import plan_visit
from jwo_review.simulator.generate import simulate_visits
from jwo_review.simulator.report import ViewAgreement, reach_views
from jwo_review.simulator.scenario import SCENARIO_DIR, Scenario, load_scenario, scenario_from_dict
from jwo_review.simulator.vision import confusable_products, product_scores, vision_events


def _default_with(**vision: Any) -> Scenario:
    doc = yaml.safe_load((SCENARIO_DIR / "default.yaml").read_text())
    doc["vision"] = vision
    return scenario_from_dict(doc)


def _agreement(scenario: Scenario, visits: int) -> ViewAgreement:
    agreement = ViewAgreement()
    for visit in simulate_visits(scenario, visits, seed=5, streams=False):
        agreement.add(reach_views(scenario, visit.payload, visit.truth))
    return agreement


def test_shared_views_name_the_same_wrong_product_where_independent_views_do_not() -> None:
    independent = _agreement(_default_with(shared_confusion=0.0), 150)
    shared = _agreement(_default_with(shared_confusion=1.0), 150)
    assert independent.reaches > 300 and shared.reaches > 300
    assert independent.some_wrong > 30 and shared.some_wrong > 30
    # Of the reaches some view gets wrong, how many have every view wrong the same way.
    assert independent.all_same_wrong / independent.some_wrong < 0.1
    assert shared.all_same_wrong / shared.some_wrong > 0.5
    # Sharing moves the errors together; each view is as often wrong as before.
    assert abs(shared.views_wrong / shared.views - independent.views_wrong / independent.views) < 0.03


def test_sharing_changes_only_the_scores_not_occlusion_misses_or_positions() -> None:
    independent = _default_with(shared_confusion=0.0)
    shared = _default_with(shared_confusion=1.0)
    occluded_views = differing_scores = 0
    for index in range(40):
        plan = plan_visit(independent, np.random.default_rng([3, index]))
        alone = vision_events(independent, plan, np.random.default_rng([4, index]))
        together = vision_events(shared, plan, np.random.default_rng([4, index]))
        assert [{**e, "product_scores": None} for e in alone] == [{**e, "product_scores": None} for e in together]
        occluded_views += sum(e["kind"] == "occlusion" for e in together)
        differing_scores += sum(
            a["product_scores"] != b["product_scores"] for a, b in zip(alone, together, strict=True)
        )
    assert occluded_views > 0 and differing_scores > 20


def test_an_occluded_view_scores_the_true_product_lower_than_a_clear_view_sharing_its_confusion(
    default_scenario: Scenario,
) -> None:
    shared = _default_with(shared_confusion=1.0)
    sku = "AIM3S-036"  # a Snickers bar: its look-alikes are other Snickers
    plate = default_scenario.sku_plates[sku][0]
    draws = np.random.default_rng(9)
    clear_total = occluded_total = 0.0
    for _ in range(200):
        candidates = confusable_products(shared, sku, plate)
        common = dict(zip(candidates, draws.standard_normal(len(candidates)).tolist(), strict=True))
        clear = product_scores(shared, np.random.default_rng(1), sku, plate, False, common=common)
        occluded = product_scores(shared, np.random.default_rng(1), sku, plate, True, common=common)
        clear_total += clear.get(sku, 0.0)
        occluded_total += occluded.get(sku, 0.0)
    assert occluded_total / 200 < clear_total / 200 - 0.2


def test_a_shared_reach_draws_the_same_scores_for_the_same_seed() -> None:
    correlated = load_scenario("default")
    first = [v.payload["vision_events"] for v in simulate_visits(correlated, 3, seed=8, streams=False)]
    again = [v.payload["vision_events"] for v in simulate_visits(correlated, 3, seed=8, streams=False)]
    assert first == again


@pytest.mark.parametrize("name", ["default", "busy", "new_format"])
def test_builtin_stores_confuse_the_views_of_a_reach_together(name: str) -> None:
    assert load_scenario(name).vision["shared_confusion"] == 0.8


def test_the_independent_scenario_is_the_default_with_each_view_confused_on_its_own() -> None:
    default, independent = load_scenario("default"), load_scenario("independent")
    assert independent.vision == {**default.vision, "shared_confusion": 0.0}
    assert (independent.seed, independent.traffic, independent.hard_cases, independent.store_spec) == (
        default.seed,
        default.traffic,
        default.hard_cases,
        default.store_spec,
    )
