"""Generation without a database: determinism, rates, the payload/truth contract."""

from __future__ import annotations

import base64
import json
import math
from collections import Counter

import pytest

from jwo_review.simulator.generate import simulate_visit, simulate_visits, visit_plan
from jwo_review.simulator.report import RunReport
from jwo_review.simulator.scenario import HARD_CASES, Scenario, load_scenario
from jwo_review.store.api.ingest_serializers import VisitInSerializer


def _dump(visits: list[object]) -> list[str]:
    return [json.dumps([v.payload, v.truth], sort_keys=True) for v in visits]  # type: ignore[attr-defined]


def test_same_seed_gives_byte_identical_visits(default_scenario: Scenario) -> None:
    first = _dump(list(simulate_visits(default_scenario, 25, seed=5)))
    again = _dump(list(simulate_visits(load_scenario("default"), 25, seed=5)))
    assert first == again


def test_another_seed_gives_other_visits(default_scenario: Scenario) -> None:
    assert _dump(list(simulate_visits(default_scenario, 5, seed=5))) != _dump(
        list(simulate_visits(default_scenario, 5, seed=6)))


def test_a_visit_does_not_depend_on_where_the_run_starts(default_scenario: Scenario) -> None:
    run = _dump(list(simulate_visits(default_scenario, 8, seed=3)))
    assert _dump(list(simulate_visits(default_scenario, 3, seed=3, start=5))) == run[5:8]


def test_a_run_hashes_the_scenario_once_and_draws_what_one_visit_alone_draws(default_scenario: Scenario) -> None:
    run = _dump(list(simulate_visits(default_scenario, 4, seed=9)))
    alone = [simulate_visit(default_scenario, seed=9, index=i) for i in range(4)]
    assert run == _dump(alone)
    digest = int(default_scenario.fingerprint, 16)
    plans = [visit_plan(default_scenario, seed=9, index=i, digest=digest) for i in range(4)]
    assert [[a.truth() for a in p.interactions] for p in plans] == [v.truth["interactions"] for v in alone]


@pytest.mark.slow
@pytest.mark.parametrize("name", ["default", "busy"])
def test_hard_case_counts_match_the_scenario_rates(name: str) -> None:
    scenario = load_scenario(name)
    n = 2000
    report = RunReport()
    for visit in simulate_visits(scenario, n, seed=scenario.seed, streams=False):
        report.add(visit.truth)
    for case in HARD_CASES:
        p = scenario.hard_cases[case]
        tolerance = 4 * math.sqrt(n * p * (1 - p)) + 2
        assert abs(report.hard_cases[case] - n * p) <= tolerance, (case, report.hard_cases[case], n * p)
    share = report.with_hard_case / n
    assert abs(share - scenario.hard_case_share_expected()) < 0.05
    if name == "default":
        assert share >= 0.20


def test_baskets_follow_small_format_reality(default_scenario: Scenario) -> None:
    sizes = Counter(
        sum(line["quantity"] for line in v.truth["receipt"])
        for v in simulate_visits(default_scenario, 400, seed=2, streams=False)
    )
    n = sum(sizes.values())
    assert sum(sizes[k] for k in (1, 2, 3)) / n >= 0.6
    assert sum(c for k, c in sizes.items() if k > 5) / n <= 0.1


@pytest.mark.parametrize("name", ["default", "busy", "new_format"])
def test_payload_is_what_the_api_accepts_and_labels_line_up(name: str) -> None:
    scenario = load_scenario(name)
    for visit in simulate_visits(scenario, 15, seed=1):
        payload, truth = visit.payload, visit.truth
        serializer = VisitInSerializer(data=payload)
        assert serializer.is_valid(), serializer.errors
        assert payload["store"] == scenario.store_code
        assert len(truth["event_labels"]) == len(payload["weight_events"])
        starts = [e["t_start"] for e in payload["weight_events"]]
        assert starts == sorted(starts)
        group = {s["track_id"] for s in payload["shoppers"]}
        assert {line["shopper_track_id"] for line in truth["receipt"]} <= group
        for label in truth["event_labels"]:
            assert label["action"] in {"pick", "put_back", "restock", "noise"}
            assert (label["sku"] is None) == (label["action"] == "noise")


def test_plate_streams_are_60hz_float32_of_active_plates(default_scenario: Scenario) -> None:
    visit = next(v for v in simulate_visits(default_scenario, 20, seed=4) if v.payload["weight_events"])
    streams = visit.payload["plate_streams"]
    assert streams["hz"] == 60
    for event in visit.payload["weight_events"]:
        assert event["plate"] in streams["plates"]
    lengths = {len(base64.b64decode(blob)) for blob in streams["plates"].values()}
    assert len(lengths) == 1 and lengths.pop() % 4 == 0


def test_weight_events_come_from_the_detector_not_the_truth(default_scenario: Scenario) -> None:
    exact = total = 0
    for visit in simulate_visits(default_scenario, 60, seed=8, streams=False):
        deltas = {round(a["delta_g"], 2) for a in visit.truth["interactions"]}
        for event in visit.payload["weight_events"]:
            total += 1
            exact += event["delta_g"] in deltas
    assert total > 50
    assert exact / total < 0.2  # measured through noise, drift and transients, rarely to the centigram


def test_other_shoppers_and_staff_are_labelled_but_not_on_the_receipt(default_scenario: Scenario) -> None:
    seen_other = seen_staff = False
    for visit in simulate_visits(default_scenario, 400, seed=9, streams=False):
        group = set(visit.truth["group"])
        for label in visit.truth["event_labels"]:
            if label["action"] == "restock":
                seen_staff = True
                assert label["track_id"] not in group
            elif label["action"] == "pick" and label["track_id"] not in group:
                seen_other = True
                assert "crowding" in visit.truth["hard_cases"] or "identity_swap" in visit.truth["hard_cases"]
    assert seen_other and seen_staff


def test_detector_is_good_on_easy_visits_and_imperfect_on_hard_ones(default_scenario: Scenario) -> None:
    report = RunReport()
    for visit in simulate_visits(default_scenario, 700, seed=12, streams=False):
        report.add(visit.truth)
    easy = report._pr(report.detector_easy)
    assert easy["precision"] >= 0.98 and easy["recall"] >= 0.98
    hard = report.as_json()["detector"]["by_case"]
    for case in ("crowding", "identity_swap", "lean"):
        assert min(hard[case]["precision"], hard[case]["recall"]) < 0.97, case


def test_wrong_plate_put_back_lands_where_the_product_is_not_faced(default_scenario: Scenario) -> None:
    found = 0
    for index in range(300):
        visit = simulate_visit(default_scenario, seed=13, index=index, streams=False)
        if "wrong_plate_put_back" not in visit.truth["hard_cases"]:
            continue
        back = [a for a in visit.truth["interactions"]
                if a["action"] == "put_back" and a["case"] == "wrong_plate_put_back"]
        assert back and back[0]["sku"] not in default_scenario.facings.get(back[0]["plate"], [])
        found += 1
    assert found >= 3
