"""The network learns, calibration makes confidence honest, and the threshold holds on fresh data."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from inference.calibration import (
    NEVER,
    PlattScaling,
    choose_threshold,
    clopper_pearson_lower,
    expected_calibration_error,
    holdout_arrays,
    holdout_summary,
)
from inference.context import StoreContext
from inference.network import VisitTransformer, collate, visit_loss
from inference.scoring import TransformerScorer, model_from_bytes, model_to_bytes, quantize_int8
from inference.training import TrainingResult
from tests.inference.conftest import TINY, hand_dataset


def test_training_steps_lower_the_loss(ctx: StoreContext) -> None:
    data, _ = hand_dataset(ctx, 64, seed=11)
    torch.manual_seed(0)
    model = VisitTransformer(TINY)
    batch = collate(data.features, with_labels=True)
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-2)
    before = float(visit_loss(model, batch))
    for _ in range(15):
        optimiser.zero_grad()
        visit_loss(model, batch).backward()
        optimiser.step()
    assert float(visit_loss(model, batch)) < 0.7 * before


def test_tiny_model_beats_chance_on_held_out_visits(ctx: StoreContext, tiny_training: TrainingResult) -> None:
    data, _ = hand_dataset(ctx, 60, seed=12)
    scores = TransformerScorer(tiny_training.model).score(data.features)
    accuracy = np.mean([s.receipt == r for s, r in zip(scores, data.receipts)])
    assert accuracy > 0.5


def test_a_calibrator_fitted_on_fewer_summaries_still_scores(ctx: StoreContext, tiny_training: TrainingResult) -> None:
    """Summaries are appended, never reordered: a version calibrated before a new one was
    added reads its own first ones and gives the same confidence as then."""
    data, _ = hand_dataset(ctx, 30, seed=14)
    scores = TransformerScorer(tiny_training.model).score(data.features)
    summary = np.array([s.summary for s in scores])
    raw = np.clip([s.raw_confidence for s in scores], 1e-9, 1 - 1e-9)
    assert summary.shape == (30, 18) and np.isfinite(summary).all()
    assert ((summary[:, 10:13] >= 0) & (summary[:, 10:13] <= 1)).all()  # track, action and product doubt
    older = PlattScaling(a=1.2, b=0.3, w=[0.5] * 10)
    expected = 1 / (1 + np.exp(-(1.2 * np.log(raw / (1 - raw)) + 0.3 + summary[:, :10] @ np.full(10, 0.5))))
    assert np.allclose(older(raw, summary), expected, atol=1e-6)


def _overconfident(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    p_true = rng.beta(8, 1.5, n)
    correct = rng.random(n) < p_true
    logit = np.log(p_true) - np.log1p(-p_true)
    return 1 / (1 + np.exp(-3 * logit)), correct  # the raw score claims more than it knows


def test_calibration_lowers_ece_on_held_out_data() -> None:
    rng = np.random.default_rng(0)
    raw_fit, ok_fit = _overconfident(rng, 4000)
    raw_new, ok_new = _overconfident(rng, 4000)
    platt = PlattScaling.fit(raw_fit, ok_fit)
    before = expected_calibration_error(raw_new, ok_new)
    after = expected_calibration_error(platt(raw_new), ok_new)
    assert after < 0.02 < before
    assert np.all(np.diff(platt(np.sort(raw_new))) >= 0), "calibration must not reorder visits"


def test_clopper_pearson_matches_the_textbook_value() -> None:
    assert clopper_pearson_lower(99, 100) == pytest.approx(0.95344, abs=2e-4)
    assert clopper_pearson_lower(100, 100) == pytest.approx(0.05 ** (1 / 100), abs=1e-6)
    assert clopper_pearson_lower(0, 10) == 0.0


def test_threshold_holds_its_accuracy_on_fresh_data() -> None:
    rng = np.random.default_rng(1)
    target = 0.99

    def draw(n: int) -> tuple[np.ndarray, np.ndarray]:
        conf = rng.beta(30, 1, n)
        return conf, rng.random(n) < conf

    threshold = choose_threshold(*draw(5000), target)
    assert threshold < NEVER
    hits = []
    for _ in range(40):
        conf, ok = draw(5000)
        auto = conf >= threshold
        hits.append(ok[auto].mean() >= target)
    # The margin is one-sided 95%: nearly every fresh sample meets the target.
    assert np.mean(hits) >= 0.9


def test_the_stored_holdout_gives_back_the_same_threshold() -> None:
    rng = np.random.default_rng(3)
    conf = rng.beta(30, 1, 4000)
    ok = rng.random(4000) < conf
    record = holdout_summary(conf, ok)
    assert len(record["wrong"]) == int((~ok).sum()) and "correct" not in record
    restored = holdout_arrays(record)
    assert restored[1].sum() == ok.sum()
    assert choose_threshold(*restored, 0.99) == pytest.approx(choose_threshold(conf, ok, 0.99), abs=1e-6)
    # A version registered before the compact record kept one flag per visit.
    legacy = {"confidence": record["confidence"], "correct": [int(v) for v in restored[1]]}
    assert np.array_equal(holdout_arrays(legacy)[1], restored[1])


def test_no_threshold_when_the_target_is_out_of_reach() -> None:
    conf = np.linspace(0.5, 0.9, 200)
    assert choose_threshold(conf, np.zeros(200, dtype=bool), 0.99) == NEVER


def test_weights_round_trip_and_int8_agrees(ctx: StoreContext, tiny_training: TrainingResult) -> None:
    data, _ = hand_dataset(ctx, 40, seed=13)
    restored = model_from_bytes(model_to_bytes(tiny_training.model))
    full = TransformerScorer(tiny_training.model).score(data.features)
    again = TransformerScorer(restored).score(data.features)
    int8 = TransformerScorer(quantize_int8(restored)).score(data.features)
    assert [s.receipt for s in again] == [s.receipt for s in full]
    assert np.allclose([s.raw_confidence for s in again], [s.raw_confidence for s in full])
    agree = np.mean([a.receipt == b.receipt for a, b in zip(int8, full)])
    assert agree >= 0.9
