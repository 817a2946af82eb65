"""Why receipts are wrong: each wrong visit's events set against perfect event heads
(``inference.errors``), and the breakdown ``evaluate_model`` prints."""

from __future__ import annotations

import json
from collections.abc import Callable
from io import StringIO
from typing import Any

import numpy as np
import pytest
from django.core.management import call_command

from inference.calibration import NEVER
from inference.context import StoreContext
from inference.errors import KINDS, event_error, visit_errors, wrong_receipt_kinds
from inference.models import ModelVersion
from inference.oracle import detector_impossible, event_oracle_decode
from inference.scoring import BaselineScorer
from inference.training import Dataset, evaluate, simulated_dataset


def _line(action: str, sku: str | None = None, quantity: int = 0) -> dict[str, Any]:
    return {"action": action, "sku": sku, "quantity": quantity, "on_receipt": sku is not None and quantity > 0}


def _outsider(action: str, sku: str, quantity: int) -> dict[str, Any]:
    return _line(action, sku, quantity) | {"on_receipt": False}


@pytest.fixture(scope="module")
def visits() -> Dataset:
    return simulated_dataset("default", 300, 11)


def _two_skus(ctx: StoreContext, same_weight: bool) -> tuple[str, str]:
    skus = sorted(ctx.products, key=lambda s: ctx.products[s].unit_weight_g)
    for a, b in zip(skus, skus[1:]):
        gap = abs(ctx.products[a].unit_weight_g - ctx.products[b].unit_weight_g)
        if (gap <= 1.0) == same_weight and (same_weight or gap > 50):
            return a, b
    pytest.skip("the catalogue has no such pair")


def test_each_event_mistake_is_named(ctx: StoreContext) -> None:
    a, b = _two_skus(ctx, same_weight=False)
    pick = _line("pick", a, 2)
    assert event_error(ctx, pick, pick) is None
    assert event_error(ctx, _line("noise"), pick) == "phantom_move"
    assert event_error(ctx, _line("restock"), pick) == "phantom_move"
    assert event_error(ctx, pick, _line("noise")) == "missed_move"
    assert event_error(ctx, _outsider("pick", a, 2), pick) == "attribution"
    assert event_error(ctx, pick, _outsider("pick", a, 2)) == "attribution"
    assert event_error(ctx, pick, _line("put_back", a, 2)) == "direction"
    assert event_error(ctx, pick, _line("pick", b, 2)) == "product"
    assert event_error(ctx, pick, _line("pick", a, 1)) == "quantity"


def test_a_product_swap_the_scale_cannot_see_is_told_apart(ctx: StoreContext) -> None:
    a, b = _two_skus(ctx, same_weight=True)
    assert event_error(ctx, _line("pick", a, 1), _line("pick", b, 1)) == "product_same_weight"


def test_perfect_heads_make_no_mistake_and_the_detector_is_blamed_for_impossible_visits(visits: Dataset) -> None:
    impossible = detector_impossible(visits)
    for f, gone in zip(visits.features, impossible, strict=True):
        oracle = event_oracle_decode(f)
        if gone:
            assert visit_errors(visits.context, f, oracle, True) == {"detector"}
        else:
            assert all(event_error(visits.context, t, t) is None for t in oracle.assignments)


def test_every_wrong_baseline_receipt_gets_a_kind(visits: Dataset) -> None:
    impossible = np.array(detector_impossible(visits))
    _, scores, correct = evaluate(BaselineScorer(), visits, NEVER)
    auto = np.zeros(len(scores), dtype=bool)
    auto[::2] = True
    report = wrong_receipt_kinds(visits.context, visits.features, scores, correct, auto, impossible)
    wrong = int((~correct).sum())
    assert report["wrong_visits"] == wrong > 0
    assert set(report["by_kind"]) <= set(KINDS)
    assert sum(report["by_kind"].values()) >= wrong  # a visit counts under each of its kinds
    assert report["by_kind"].get("detector", 0) == int((impossible & ~correct).sum())
    assert all(report["auto_issued_by_kind"][k] <= report["by_kind"][k] for k in report["auto_issued_by_kind"])
    # The rules read the scale first: they do get products and quantities wrong, never from vision.
    assert "vision_item" not in report["by_kind"]


def test_evaluate_model_reports_wrong_receipts_by_kind(register: Callable[..., ModelVersion]) -> None:
    out = StringIO()
    call_command("evaluate_model", "--model", str(register().pk), "--visits", "40", "--seed", "5", "--json", stdout=out)
    report = json.loads(out.getvalue())
    for key in ("model", "baseline"):
        wrong = report[key]["wrong_receipts"]
        assert wrong["wrong_visits"] == round(40 * (1 - report[key]["receipt_accuracy"]))
        assert sum(wrong["by_kind"].values()) >= wrong["wrong_visits"]
        assert 0.0 <= report[key]["reviews_per_1000_hindsight"] <= 1000.0
        # Every reviewed visit and every wrong one let through has exactly one least sure decision.
        doubt = report[key]["reviews_by_doubt"]
        assert sum(n["reviewed"] for n in doubt.values()) == round(40 * (1 - report[key]["coverage"]))
        auto_wrong = sum(n["auto_issued_wrong"] for n in doubt.values())
        assert sum(n["reviewed_wrong"] for n in doubt.values()) + auto_wrong == wrong["wrong_visits"]
    assert "wrong_receipts" not in report["model_int8"] and "reviews_by_doubt" not in report["model_int8"]


def test_the_hindsight_threshold_auto_issues_the_most_receipts_the_ranking_allows() -> None:
    from inference.metrics import hindsight_reviews

    confidence = np.array([0.99, 0.98, 0.97, 0.96, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05])
    correct = np.array([True, True, True, True, False, True, True, True, True, False])
    assert hindsight_reviews(confidence, correct, 0.995) == 600.0  # the top four, all right
    assert hindsight_reviews(confidence, correct, 0.85) == 100.0  # 8 right of the top 9
    assert hindsight_reviews(confidence, np.zeros(10, dtype=bool), 0.995) == 1000.0
