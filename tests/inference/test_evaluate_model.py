"""evaluate_model: the visits the weight detector made impossible, and the model at the
threshold a store earns from its own labelled visits."""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Callable
from io import StringIO
from typing import Any

import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from inference.calibration import NEVER
from inference.context import StoreContext
from inference.features import IGNORE, featurize
from inference.metrics import true_receipt
from inference.models import ModelVersion
from inference.oracle import detector_impossible, event_oracle_receipt, impossible_figures
from inference.scoring import BaselineScorer
from inference.training import Dataset, evaluate, simulated_dataset
from tests.inference.payloads import make_visit

SCORERS = ("model", "model_int8", "baseline")


@pytest.fixture(scope="module")
def default_visits() -> Dataset:
    return simulated_dataset("default", 300, 5)


def _evaluate(version: ModelVersion, *extra: str) -> dict[str, Any]:
    out = StringIO()
    call_command("evaluate_model", "--model", str(version.pk), "--visits", "40", "--seed", "5", *extra, stdout=out)
    report: dict[str, Any] = json.loads(out.getvalue())
    return report


def test_perfect_event_heads_give_the_true_receipt_of_most_visits(default_visits: Dataset) -> None:
    impossible = detector_impossible(default_visits)
    assert len(impossible) == 300
    assert sum(impossible) <= 0.1 * 300


def test_the_default_scenario_has_visits_the_detector_made_impossible(default_visits: Dataset) -> None:
    """Its detector misses and merges moves: perfect heads on its events miss those receipts."""
    impossible = detector_impossible(default_visits)
    assert sum(impossible) >= 1
    first = impossible.index(True)
    assert event_oracle_receipt(default_visits.features[first]) != default_visits.receipts[first]


def test_the_rules_baseline_gets_no_impossible_visit_right(default_visits: Dataset) -> None:
    """Without vision it can only be right on such a visit by luck."""
    impossible = np.array(detector_impossible(default_visits))
    _, _, correct = evaluate(BaselineScorer(), default_visits, NEVER)
    assert impossible_figures(impossible, correct, np.zeros_like(impossible))["impossible_right"] <= 1


def test_a_pick_whose_product_no_candidate_holds_makes_the_visit_impossible(ctx: StoreContext) -> None:
    visit = make_visit(ctx, random.Random(3), 30_001)
    ok = featurize(visit["payload"], ctx, visit["truth"])
    assert event_oracle_receipt(ok) == true_receipt(visit["truth"])
    truth = copy.deepcopy(visit["truth"])
    truth["event_labels"][0]["sku"] = "NOT-IN-THE-CATALOGUE"  # the receipt still has the real product
    missed = featurize(visit["payload"], ctx, truth)
    assert missed.y_pq is not None and IGNORE in missed.y_pq.tolist()
    data = Dataset("hand-made", 3, ctx, [ok, missed], [true_receipt(visit["truth"])] * 2)
    assert detector_impossible(data) == [False, True]


def test_impossible_figures_count_only_impossible_visits_the_threshold_let_through() -> None:
    impossible = np.array([True, True, True, False, False])
    correct = np.array([True, False, False, False, True])
    auto = np.array([True, True, False, True, True])
    assert impossible_figures(impossible, correct, auto) == {
        "impossible_right": 1,
        "impossible_auto_issued": 2,
        "impossible_auto_issued_wrong": 1,
    }


def test_the_json_report_counts_impossible_visits_per_scorer(register: Callable[..., ModelVersion]) -> None:
    report = _evaluate(register(), "--json")
    gone = report["detector_impossible"]
    assert 0 <= gone["visits"] <= 40 and gone["share"] == pytest.approx(gone["visits"] / 40, abs=1e-5)
    for key in SCORERS:
        figures = report[key]
        assert "receipt_accuracy" in figures and "visits_per_s" in figures  # the old keys stay
        assert 0 <= figures["impossible_auto_issued_wrong"] <= figures["impossible_auto_issued"] <= gone["visits"]
        assert 0 <= figures["impossible_right"] <= gone["visits"]
    for key in ("model", "baseline"):
        merged = report[key]["reviews_at_merged_changes"]
        assert 0 <= merged["reviewed_wrong"] <= merged["reviewed"] <= merged["visits"] <= 40
        assert merged["auto_issued_wrong"] <= merged["visits"] - merged["reviewed"]
    assert "model_store_threshold" not in report


def test_the_store_threshold_point_comes_from_the_stores_own_labelled_visits(
    register: Callable[..., ModelVersion],
) -> None:
    report = _evaluate(register(), "--json", "--store-labelled", "60")
    point = report["model_store_threshold"]
    assert point["labelled_visits"] == 60 and point["labelled_seed"] == 5 + 3_000_009
    assert 0.0 <= point["coverage"] <= 1.0
    assert point["reviews_per_1000"] == pytest.approx(1000 * (1 - point["coverage"]), abs=0.01)
    assert point["impossible_auto_issued_wrong"] <= point["impossible_auto_issued"]
    assert point["impossible_auto_issued"] <= report["detector_impossible"]["visits"]


def test_too_few_labelled_visits_for_the_bound_review_everything(register: Callable[..., ModelVersion]) -> None:
    """60 labelled visits cannot show 99.5% at 95% confidence (even all right needs ~600)."""
    point = _evaluate(register(), "--json", "--store-labelled", "60", "--target", "0.995")["model_store_threshold"]
    assert point["threshold"] > 1.0
    assert point["coverage"] == 0.0 and point["reviews_per_1000"] == 1000.0
    assert point["auto_issued_accuracy"] is None and point["impossible_auto_issued"] == 0


def test_the_table_shows_the_new_figures(register: Callable[..., ModelVersion], tmp_path: Any) -> None:
    out = StringIO()
    call_command(
        "evaluate_model",
        "--model",
        str(register().pk),
        "--visits",
        "40",
        "--seed",
        "5",
        "--store-labelled",
        "30",
        "--plot",
        str(tmp_path / "rc.png"),
        stdout=out,
    )
    text = out.getvalue()
    assert "impossible_auto_issued_wrong" in text and "detector-impossible visits:" in text
    assert "store's own threshold (from 30 labelled visits)" in text
    assert "model: " in text and "wrong receipts by kind" in text
    assert "at a change that merged two people's moves" in text


def test_a_negative_store_labelled_count_is_refused(register: Callable[..., ModelVersion]) -> None:
    with pytest.raises(CommandError, match=r"--store-labelled is a number of visits, 0 \(off\) or more; got -5"):
        call_command("evaluate_model", "--model", str(register().pk), "--store-labelled", "-5", stdout=StringIO())
