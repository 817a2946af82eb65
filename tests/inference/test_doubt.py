"""The least sure decision of a visit names where its review comes from: which part of an
event's move the heads doubt (action, shopper, product, a same-weight look-alike,
quantity) or a reach; and the counts split reviewed right, reviewed wrong and
auto-issued wrong receipts."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest

from inference.decode import VisitScore, decode
from inference.doubt import merged_events, reviews_at_merged_changes, reviews_by_doubt, visit_doubt
from inference.errors import same_weight
from inference.features import MAX_QUANTITY, NOISE, PICK, PRODUCT_PAIR, featurize
from tests.inference.camera_only import camera_only_payload

HEAVY, LOOK_ALIKE, OTHER = "AIM3S-002", "AIM3S-055", "AIM3S-001"  # 002 and 055 weigh the same


@pytest.fixture
def visit(ctx: Any) -> Any:
    f = featurize(camera_only_payload(), ctx)
    assert len(f.events) == 1 and len(f.reaches) == 1 and f.is_group.tolist() == [True, False]
    assert same_weight(ctx, HEAVY, LOOK_ALIKE) and not same_weight(ctx, HEAVY, OTHER)
    return f


def _probs(f: Any, *, pick: float = 0.99, product: dict[tuple[str, int], float], group: float = 0.99) -> Any:
    action = np.zeros((1, 4))
    action[0, PICK], action[0, NOISE] = pick, 1.0 - pick
    pq = np.zeros((1, len(f.candidates[0]) * MAX_QUANTITY))
    for (sku, quantity), p in product.items():
        pq[0, f.candidates[0].index(sku) * MAX_QUANTITY + quantity - 1] = p
    track = np.array([[group, 1.0 - group]])
    return action, pq, track


def _score(f: Any, probs: Any, reach: float = 0.999) -> VisitScore:
    """What ``decode`` makes of the event heads' probabilities, with one reach decided at
    ``reach``."""
    score = decode(f, *probs)
    score.reach_items = [{"probability": reach}]
    return score


@pytest.mark.parametrize(
    ("probs", "reach", "kind"),
    [
        ({"product": {(HEAVY, 1): 0.6, (LOOK_ALIKE, 1): 0.4}}, 0.999, "product_same_weight"),
        ({"product": {(HEAVY, 1): 0.6, (OTHER, 1): 0.4}}, 0.999, "product"),
        ({"product": {(HEAVY, 1): 0.6, (HEAVY, 2): 0.4}}, 0.999, "quantity"),
        ({"product": {(HEAVY, 1): 0.99}, "group": 0.7}, 0.999, "shopper"),
        ({"product": {(HEAVY, 1): 0.99}, "pick": 0.7}, 0.999, "action"),
        ({"product": {(HEAVY, 1): 0.99}}, 0.6, "reach"),
        # Other numbers of units of a look-alike: the scale tells them apart.
        ({"product": {(HEAVY, 1): 0.6, (LOOK_ALIKE, 2): 0.4}}, 0.999, "product"),
        # Nothing billed: sure it moved, unsure who moved it; unsure it moved at all; a
        # group move that loses to "nothing" only because it is split between look-alikes.
        ({"product": {(HEAVY, 1): 0.99}, "group": 0.3}, 0.999, "shopper"),
        ({"product": {(HEAVY, 1): 0.99}, "pick": 0.3}, 0.999, "action"),
        (
            {"product": {(HEAVY, 1): 0.5, (LOOK_ALIKE, 1): 0.5}, "pick": 0.6, "group": 0.95},
            0.999,
            "product_same_weight",
        ),
    ],
)
def test_the_least_sure_decision_names_its_doubt(
    ctx: Any, visit: Any, probs: dict[str, Any], reach: float, kind: str
) -> None:
    p, named = visit_doubt(ctx, _score(visit, _probs(visit, **probs), reach))
    assert named == kind
    assert 0.0 < p < 0.8


def test_reviews_are_counted_by_doubt_right_wrong_and_let_through(ctx: Any, visit: Any) -> None:
    unsure = _probs(visit, product={(HEAVY, 1): 0.6, (LOOK_ALIKE, 1): 0.4})
    sure = _probs(visit, product={(HEAVY, 1): 0.99})
    whose = _probs(visit, product={(HEAVY, 1): 0.99}, group=0.95)
    counts = reviews_by_doubt(
        ctx,
        [_score(visit, unsure), _score(visit, unsure), _score(visit, sure, 0.6), _score(visit, whose)],
        correct=np.array([True, False, False, False]),
        auto_issued=np.array([False, False, False, True]),
    )
    assert counts == {
        "product_same_weight": {"reviewed": 2, "reviewed_wrong": 1, "auto_issued_wrong": 0},
        "reach": {"reviewed": 1, "reviewed_wrong": 1, "auto_issued_wrong": 0},
        "shopper": {"reviewed": 0, "reviewed_wrong": 0, "auto_issued_wrong": 1},
    }


def _labelled(f: Any, sku: str, quantity: int) -> Any:
    """The visit with its one event labelled ``quantity`` units of ``sku``."""
    g = copy.copy(f)
    g.y_pq = np.array([f.candidates[0].index(sku) * MAX_QUANTITY + quantity - 1])
    return g


def test_a_change_whole_units_of_its_label_do_not_explain_is_a_merged_one(visit: Any) -> None:
    z = visit.pq[0, visit.candidates[0].index(HEAVY), :, PRODUCT_PAIR["weight_z"]] * 4
    fits = int(np.argmin(np.abs(z))) + 1
    assert abs(z[fits - 1]) < 1.0  # the change is whole units of the heavy product
    assert merged_events(_labelled(visit, HEAVY, fits)) == [False]
    assert merged_events(_labelled(visit, HEAVY, fits + 2)) == [True]  # only a share of it was the group's
    assert merged_events(visit) == [False]  # a visit without labels says nothing


def test_reviews_at_merged_changes_count_the_least_sure_decision_there(ctx: Any, visit: Any) -> None:
    z = visit.pq[0, visit.candidates[0].index(HEAVY), :, PRODUCT_PAIR["weight_z"]] * 4
    fits = int(np.argmin(np.abs(z))) + 1
    merged, whole = _labelled(visit, HEAVY, fits + 2), _labelled(visit, HEAVY, fits)
    unsure = _probs(visit, product={(HEAVY, 1): 0.6, (LOOK_ALIKE, 1): 0.4})
    sure = _probs(visit, product={(HEAVY, 1): 0.99})
    counts = reviews_at_merged_changes(
        ctx,
        [merged, merged, merged, merged, whole],
        # Reviewed for the merged change (right, wrong); reviewed for a reach; let
        # through wrong; a change the label explains whole.
        [_score(visit, unsure), _score(visit, unsure), _score(visit, sure, 0.6), _score(visit, unsure)]
        + [_score(visit, unsure)],
        correct=np.array([True, False, False, False, False]),
        auto_issued=np.array([False, False, False, True, False]),
    )
    assert counts == {"visits": 4, "reviewed": 2, "reviewed_wrong": 1, "auto_issued_wrong": 1}
