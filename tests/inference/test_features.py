"""Featurisation: shapes, masks, labels, and the same tensors from a payload and from stored rows."""

from __future__ import annotations

import random

import numpy as np
import pytest
from django.test import override_settings

from inference.context import StoreContext
from inference.features import (
    EVENT_TOKEN,
    IGNORE,
    MAX_PRODUCTS,
    MAX_QUANTITY,
    NOISE,
    PICK,
    PRODUCT_PAIR,
    TRACK_PAIR,
    UNSEEN_TRACK,
    featurize,
)
from inference.features.matching import spatial_weight
from inference.network import collate
from inference.selectors import store_context, visit_payloads
from jwo_review.store.models import Store
from jwo_review.store.services.ingest import visits_ingest
from tests.inference.payloads import make_visit


def test_features_have_one_row_per_event_and_candidate(ctx: StoreContext) -> None:
    visit = make_visit(ctx, random.Random(3), 1, stranger=True)
    f = featurize(visit["payload"], ctx, visit["truth"])
    n_e = len(visit["payload"]["weight_events"])
    assert f.events.shape == (n_e, EVENT_TOKEN.width)
    assert f.pq.shape == (n_e, MAX_PRODUCTS, MAX_QUANTITY, PRODUCT_PAIR.width)
    assert f.track_pairs.shape == (n_e, len(f.track_ids), TRACK_PAIR.width)
    assert f.track_ids[0] == 1 and f.track_ids[-1] == UNSEEN_TRACK and 7 in f.track_ids
    assert f.is_group.tolist() == [tid == 1 for tid in f.track_ids]
    # Mask marks exactly the real candidates, and pair features are zero behind the mask.
    for e in range(n_e):
        assert f.pq_mask[e].sum() == len(f.candidates[e]) > 0
        assert not f.pq[e][~f.pq_mask[e]].any()


def test_labels_point_at_the_true_candidate(ctx: StoreContext) -> None:
    visit = make_visit(ctx, random.Random(4), 2, stranger=True)
    f = featurize(visit["payload"], ctx, visit["truth"])
    assert f.y_action is not None and f.y_pq is not None and f.y_track is not None
    for e, original in enumerate(f.event_order):
        label = visit["truth"]["event_labels"][original]
        if label["action"] == "pick":
            assert f.y_action[e] == PICK
            k, q = divmod(int(f.y_pq[e]), MAX_QUANTITY)
            assert f.candidates[e][k] == label["sku"] and q + 1 == label["quantity"]
            assert f.track_ids[f.y_track[e]] == label["track_id"]
        else:
            assert f.y_action[e] == NOISE and f.y_pq[e] == IGNORE and f.y_track[e] == IGNORE


def test_collate_pads_and_masks_a_batch(ctx: StoreContext) -> None:
    rng = random.Random(5)
    visits = [make_visit(ctx, rng, i, stranger=i == 0) for i in range(4)]
    features = [featurize(v["payload"], ctx, v["truth"]) for v in visits]
    batch = collate(features, with_labels=True)
    n_e = max(len(f.events) for f in features)
    assert batch.events.shape == (4, n_e, EVENT_TOKEN.width)
    assert batch.event_mask.sum().item() == sum(len(f.events) for f in features)
    assert batch.track_mask.sum().item() == sum(len(f.track_ids) for f in features)
    assert batch.y_action is not None
    assert (batch.y_action[~batch.event_mask] == IGNORE).all()


def test_empty_visit_featurises_to_empty_arrays(ctx: StoreContext) -> None:
    payload = {"shoppers": [{"track_id": 3, "track": []}], "weight_events": [], "vision_events": []}
    f = featurize(payload, ctx)
    assert f.events.shape == (0, EVENT_TOKEN.width) and f.track_ids == [3, UNSEEN_TRACK]
    assert collate([f]).events.shape == (1, 1, EVENT_TOKEN.width)


@pytest.mark.django_db
@override_settings(JWO_VISITS_INGESTED_HOOKS=[])
def test_stored_visit_gives_the_same_tensors_as_its_payload(aim3s: Store, ctx: StoreContext) -> None:
    rng = random.Random(6)
    visits = [make_visit(ctx, rng, 900 + i, stranger=True) for i in range(3)]
    # Out-of-order events: ingest sorts them, the featuriser must agree.
    visits[0]["payload"]["weight_events"].reverse()
    results = visits_ingest(payloads=[v["payload"] for v in visits], source="tests")
    stored = {p["client_visit_id"]: p for p in visit_payloads([r.id for r in results]).values()}
    db_ctx = store_context(aim3s)
    for visit in visits:
        direct = featurize(visit["payload"], ctx)
        rebuilt = featurize(stored[visit["payload"]["client_visit_id"]], db_ctx)
        for name in ("events", "vision", "tracks", "pq", "pq_mask", "track_pairs", "is_group"):
            np.testing.assert_allclose(getattr(direct, name), getattr(rebuilt, name), rtol=1e-6, err_msg=name)
        assert direct.candidates == rebuilt.candidates and direct.track_ids == rebuilt.track_ids


def test_a_merged_move_trains_on_the_group_members_share(ctx: StoreContext) -> None:
    visit = make_visit(ctx, random.Random(7), 3, stranger=True)
    payload, truth = visit["payload"], visit["truth"]
    # The stranger's pick is labelled on the event; a group member's pick merged into it.
    stranger_event = next(i for i, lab in enumerate(truth["event_labels"]) if lab["track_id"] == 7)
    event = payload["weight_events"][stranger_event]
    sku = ctx.facings[event["plate"]][0]
    truth["interactions"] = [
        {
            "plate": event["plate"],
            "track_id": 1,
            "action": "pick",
            "sku": sku,
            "quantity": 1,
            "t_change": event["t_start"] + 0.2,
        },
    ]
    f = featurize(payload, ctx, truth)
    assert f.y_track is not None
    e = f.event_order.index(stranger_event)
    assert f.track_ids[f.y_track[e]] == 1
    truth["interactions"][0]["plate"] = "S8P12" if event["plate"] != "S8P12" else "S8P11"
    f = featurize(payload, ctx, truth)
    assert f.y_track is not None and f.track_ids[f.y_track[e]] == 7


def test_a_move_merged_from_a_neighbouring_plate_trains_on_the_members_share(ctx: StoreContext) -> None:
    visit = make_visit(ctx, random.Random(7), 3, stranger=True)
    payload, truth = visit["payload"], visit["truth"]
    stranger_event = next(i for i, lab in enumerate(truth["event_labels"]) if lab["track_id"] == 7)
    event = payload["weight_events"][stranger_event]
    # The detector merged a member's pick on the next plate of the shelf into the
    # stranger's larger change, and named the event after the stranger's plate.
    neighbour = next(
        p
        for p in sorted(ctx.facings)
        if p != event["plate"] and spatial_weight(ctx, {"plate": p}, event["plate"]) >= 0.6
    )
    sku = ctx.facings[neighbour][0]
    move = {"plate": neighbour, "track_id": 1, "action": "pick", "sku": sku, "quantity": 2, "t_change": event["t_end"]}
    truth["interactions"] = [move]
    f = featurize(payload, ctx, truth)
    e = f.event_order.index(stranger_event)
    assert f.y_track is not None and f.y_pq is not None
    assert f.track_ids[f.y_track[e]] == 1
    assert f.y_pq[e] == f.candidates[e].index(sku) * MAX_QUANTITY + 1
    # When an event of the neighbouring plate weighed the member's pick itself, nothing
    # was merged: the stranger's event keeps the stranger's label.
    own = {**event, "plate": neighbour, "delta_g": -2 * ctx.products[sku].unit_weight_g}
    payload["weight_events"].append(own)
    truth["event_labels"].append({"action": "pick", "sku": sku, "quantity": 2, "track_id": 1})
    f = featurize(payload, ctx, truth)
    assert f.y_track is not None
    assert f.track_ids[f.y_track[f.event_order.index(stranger_event)]] == 7
    # Nor when the pick straddled two plates and the rest of it was weighed at the
    # stranger's plate: that event's truth label is the member's pick.
    payload["weight_events"][-1] = {**own, "plate": event["plate"], "delta_g": -10.0}
    f = featurize(payload, ctx, truth)
    assert f.y_track is not None
    assert f.track_ids[f.y_track[f.event_order.index(stranger_event)]] == 7


def test_product_evidence_is_pooled_over_the_cameras_views(ctx: StoreContext) -> None:
    plate = sorted(ctx.facings)[0]
    info = ctx.plates[plate]
    sku = ctx.facings[plate][0]
    other = next(s for s in ctx.skus if s != sku)
    weight = ctx.products[sku].unit_weight_g

    def hand(camera: str, scores: dict[str, float]) -> dict[str, object]:
        return {
            "kind": "hand_in_shelf",
            "track_id": 1,
            "t": 1.0,
            "t_end": 2.0,
            "fixture": info.fixture,
            "plate": plate,
            "camera": camera,
            "x_m": info.x_m,
            "y_m": info.y_m,
            "confidence": 0.9,
            "product_scores": scores,
        }

    payload = {
        "shoppers": [{"track_id": 1, "track": [[0.0, info.x_m, info.y_m - 0.5]]}],
        "weight_events": [{"plate": plate, "t_start": 1.0, "t_end": 2.0, "delta_g": -weight, "noise_g": 1.0}],
        # One view is confidently wrong, two others name the true product.
        "vision_events": [
            hand("CAM1", {other: 0.9, sku: 0.1}),
            hand("CAM2", {sku: 0.7, other: 0.3}),
            hand("CAM3", {sku: 0.6, other: 0.4}),
        ],
    }
    f = featurize(payload, ctx)
    k_true, k_other = f.candidates[0].index(sku), f.candidates[0].index(other)
    true_row, other_row = f.pq[0, k_true, 0], f.pq[0, k_other, 0]
    mean, votes, named = (PRODUCT_PAIR[c] for c in ("mean_view_score", "view_votes", "views_naming"))
    assert other_row[PRODUCT_PAIR["best_view_score"]] == pytest.approx(0.9)  # the best single view (what the rules use)
    assert true_row[mean] == pytest.approx((0.1 + 0.7 + 0.6) / 3, abs=1e-5)
    assert other_row[mean] == pytest.approx((0.9 + 0.3 + 0.4) / 3, abs=1e-5)
    assert true_row[votes] == pytest.approx(2 / 3, abs=1e-5) and other_row[votes] == pytest.approx(1 / 3, abs=1e-5)
    assert true_row[named] == pytest.approx(1.0)
