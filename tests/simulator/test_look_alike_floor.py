"""The look-alike floor: a genie told all but which same-plate look-alike was picked, and
given the views' exact logits, still has to review visits when views share confusion."""

from __future__ import annotations

import io
import json
from typing import Any

import numpy as np
import pytest
import yaml
from django.core.management import CommandError, call_command

from jwo_review.simulator.behaviour import Interaction
from jwo_review.simulator.floor import look_alike_floor, look_alikes_on_plate, posterior, reviews_needed
from jwo_review.simulator.scenario import SCENARIO_DIR, Scenario, scenario_from_dict


def _default_with(**vision: Any) -> Scenario:
    doc = yaml.safe_load((SCENARIO_DIR / "default.yaml").read_text())
    doc["vision"] = vision
    return scenario_from_dict(doc)


def _pick(sku: str, plate: str, grams: float) -> Interaction:
    return Interaction(
        t_start=10.0,
        t_end=11.0,
        t_change=10.5,
        plate=plate,
        sku=sku,
        action="pick",
        quantity=1,
        track_id=1,
        role="shopper",
        unit_weights=[grams],
    )


NO_VIEWS = (np.zeros(0), np.zeros(0, dtype=bool))
THREE_CLEAR_VIEWS = (np.ones(3), np.zeros(3, dtype=bool))


def test_the_question_is_the_family_faced_on_the_picks_plate(default_scenario: Scenario) -> None:
    # Reese's 065 (45.32 g) and 066 (45.30 g) share plate S3P10; paper towels there are no family of theirs.
    assert look_alikes_on_plate(default_scenario, _pick("AIM3S-065", "S3P10", 45.3)) == ["AIM3S-065", "AIM3S-066"]
    # On S3P9 the only Reese's is 065 itself: nothing to confuse it with on that plate.
    assert look_alikes_on_plate(default_scenario, _pick("AIM3S-065", "S3P9", 45.3)) == []


def test_without_views_weight_tells_packs_apart_only_when_they_weigh_differently(default_scenario: Scenario) -> None:
    rng = np.random.default_rng(1)
    same = posterior(default_scenario, _pick("AIM3S-065", "S3P10", 45.32), ["AIM3S-065", "AIM3S-066"], *NO_VIEWS, rng)
    assert same.max() < 0.7  # their spreads of unit weight differ a little, nothing more
    apart = posterior(default_scenario, _pick("AIM3S-056", "S4P4", 91.2), ["AIM3S-056", "AIM3S-057"], *NO_VIEWS, rng)
    assert apart[0] > 0.9


def test_views_that_share_their_confusion_tell_the_genie_less() -> None:
    pick, products = _pick("AIM3S-065", "S3P10", 45.32), ["AIM3S-065", "AIM3S-066"]

    def mean_on_the_wrong_pack(scenario: Scenario) -> float:
        rng = np.random.default_rng(3)
        return float(np.mean([posterior(scenario, pick, products, *THREE_CLEAR_VIEWS, rng)[1] for _ in range(600)]))

    independent = mean_on_the_wrong_pack(_default_with(shared_confusion=0.0))
    shared = mean_on_the_wrong_pack(_default_with(shared_confusion=0.8))
    assert shared > 5 * independent
    assert shared < 0.2  # still far better than the weight and the planogram alone


def test_reviews_needed_reviews_the_least_sure_first() -> None:
    sure = np.array([0.99, 0.4, 0.7, 0.95, 0.5])
    wrong = np.array([True, True, False, False, True])
    assert reviews_needed(sure, wrong, allowed=3) == 0
    assert reviews_needed(sure, wrong, allowed=1) == 2  # 0.4 and 0.5, both wrong
    # The confident wrong one (0.99) goes last: everything else is reviewed first.
    assert reviews_needed(sure, wrong, allowed=0) == 5


def test_sharing_confusion_raises_the_floor_and_a_seed_replays() -> None:
    independent = look_alike_floor(_default_with(shared_confusion=0.0), 1200, seed=101)
    shared = look_alike_floor(_default_with(shared_confusion=0.8), 1200, seed=101)
    again = look_alike_floor(_default_with(shared_confusion=0.8), 1200, seed=101)
    assert shared.as_dict() == again.as_dict()
    assert independent.moves > 500 and shared.moves > 500
    assert shared.wrong_visits > independent.wrong_visits
    assert shared.reviews_by_errors[0] >= independent.reviews_by_errors[0]
    assert list(shared.reviews_by_errors) == [0, 5, 10, 15, 20]
    assert all(a >= b for a, b in zip(shared.reviews_by_errors.values(), list(shared.reviews_by_errors.values())[1:]))


def test_command_prints_json_and_names_bad_options() -> None:
    out = io.StringIO()
    call_command("look_alike_floor", visits=200, seed=7, json=True, allowed="0,3", stdout=out)
    report = json.loads(out.getvalue())
    assert report["visits"] == 200 and report["seed"] == 7 and report["target"] == 0.995
    assert set(report["reviews_by_errors"]) == {"0", "3"}
    with pytest.raises(CommandError, match="--allowed"):
        call_command("look_alike_floor", visits=10, allowed="1,x", quiet=True)
    with pytest.raises(CommandError, match="--target"):
        call_command("look_alike_floor", visits=10, target=1.0, quiet=True)
    with pytest.raises(CommandError, match="no scenario 'nowhere'"):
        call_command("look_alike_floor", visits=10, scenario="nowhere", quiet=True)
