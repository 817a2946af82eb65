"""Reach targets and saved reach weights: one weighed unit explains one reach at most, and
weights fitted to another reach layout refuse to load instead of reading it wrongly."""

from __future__ import annotations

import io
from types import SimpleNamespace
from typing import Any

import pytest
import torch

from inference.context import context_from_spec
from inference.features.labels import _weighed
from inference.network import NetConfig, VisitTransformer
from inference.scoring import REACH_FEATURE_VERSION, model_from_bytes, model_to_bytes
from tests.inference.frozen_visits import frozen_scenarios


def _pick(plate: str, t: float, quantity: int = 1) -> dict[str, Any]:
    return {"action": "pick", "sku": "AIM3S-002", "track_id": 4, "plate": plate, "t_change": t, "quantity": quantity}


def test_a_weighed_unit_explains_one_interaction_and_is_then_used_up() -> None:
    ctx = context_from_spec(frozen_scenarios()["default"]["store_spec"])
    plate = next(iter(ctx.plates))
    visit = SimpleNamespace(ctx=ctx, events=[{"plate": plate, "t_start": 10.0, "t_end": 11.0}])
    carried = [{"action": "pick", "sku": "AIM3S-002", "track_id": 4, "quantity": 1}]
    units = [1]
    assert _weighed(visit, _pick(plate, 10.5), carried, units)  # type: ignore[arg-type]
    # The same move again (a second unit the scale never saw): nothing left to carry it.
    assert not _weighed(visit, _pick(plate, 10.6), carried, units)  # type: ignore[arg-type]
    # An event that weighed two units carries two single picks.
    units = [2]
    assert _weighed(visit, _pick(plate, 10.5), carried, units)  # type: ignore[arg-type]
    assert _weighed(visit, _pick(plate, 10.6), carried, units)  # type: ignore[arg-type]
    assert not _weighed(visit, _pick(plate, 10.7), carried, units)  # type: ignore[arg-type]


def _tiny(vision_items: bool) -> VisitTransformer:
    torch.manual_seed(0)
    return VisitTransformer(NetConfig(d_model=8, layers=1, heads=2, ff=8, pair_hidden=8, vision_items=vision_items))


def test_switched_on_weights_record_their_reach_layout_and_refuse_another() -> None:
    data = model_to_bytes(_tiny(True))
    blob = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    assert blob["reach_feature_version"] == REACH_FEATURE_VERSION
    assert model_from_bytes(data).config.vision_items
    blob["reach_feature_version"] = REACH_FEATURE_VERSION + 1
    buffer = io.BytesIO()
    torch.save(blob, buffer)
    with pytest.raises(ValueError, match="train_model --vision-items"):
        model_from_bytes(buffer.getvalue())


def test_weights_without_the_switch_carry_no_reach_layout() -> None:
    blob = torch.load(io.BytesIO(model_to_bytes(_tiny(False))), map_location="cpu", weights_only=True)
    assert "reach_feature_version" not in blob


def test_peoples_answers_label_a_stores_reaches_by_index_or_by_moment(ctx: Any) -> None:
    """A store's visit has no simulator truth: a review names the reach it decided on, an
    annotator's added interaction the moment; a label that fits no reach teaches nothing."""
    from inference.features import IGNORE, REACH_NONE, REACH_PICK, featurize
    from inference.features.labels import reviewed_reach_labels
    from tests.inference.camera_only import REACH_PLATE, REACH_T, SEEN_SKU, camera_only_payload

    features = featurize(camera_only_payload(), ctx)
    assert len(features.reaches) == 1 and features.reach_times[0][0] == pytest.approx(REACH_T)
    added = {"action": "pick", "sku": SEEN_SKU, "quantity": 2, "track_id": 1, "t": REACH_T + 0.4}
    assert reviewed_reach_labels(features, [added]) == 1
    assert features.y_reach_action is not None and features.y_reach_action.tolist() == [REACH_PICK]
    assert features.y_reach_quantity is not None and features.y_reach_quantity.tolist() == [1]
    # Another product than the reach's candidates, or another moment: no reach is named.
    assert reviewed_reach_labels(features, [added | {"sku": "NOT-SEEN"}]) == 0
    assert reviewed_reach_labels(features, [added | {"t": REACH_T + 30}]) == 0
    assert features.y_reach_action is not None and features.y_reach_action.tolist() == [IGNORE]
    ruled_out = {"action": "noise", "sku": "", "quantity": 0, "track_id": None, "t": REACH_T, "reach": 0}
    assert reviewed_reach_labels(features, [ruled_out | {"plate": REACH_PLATE}]) == 1
    assert features.y_reach_action.tolist() == [REACH_NONE]
    assert features.y_reach_track is not None and features.y_reach_track.tolist() == [IGNORE]
    # A stored decision whose reach starts elsewhere (another featuriser) is not trusted.
    assert reviewed_reach_labels(features, [ruled_out | {"t": REACH_T + 1}]) == 0


def test_a_removed_camera_only_item_and_the_shopper_follow_the_simulators_rules(ctx: Any) -> None:
    """An annotators' removed camera-only item (``noise`` at its moment, no reach index)
    rules its reach out; a labelled shopper trains their own slot when the features hold
    the track and the slot of the shopper no camera followed otherwise, as simulated
    truth does."""
    from inference.features import REACH_NONE, featurize
    from inference.features.labels import reviewed_reach_labels, track_slot
    from tests.inference.camera_only import REACH_T, SEEN_SKU, camera_only_payload

    payload = camera_only_payload()
    # Another shopper the cameras saw near the shelf, outside the group.
    payload["vision_events"].append(
        {
            "kind": "near_fixture",
            "track_id": 7,
            "t": REACH_T - 2,
            "t_end": REACH_T + 2,
            "plate": None,
            "fixture": "G2",
            "camera": "CAM2",
            "confidence": 0.9,
            "product_scores": {},
        }
    )
    features = featurize(payload, ctx)
    assert 7 in features.track_ids and not features.is_group[features.track_ids.index(7)]
    removed = {"action": "noise", "sku": SEEN_SKU, "quantity": 0, "track_id": None, "t": REACH_T, "reach": None}
    assert reviewed_reach_labels(features, [removed]) == 1
    assert features.y_reach_action is not None and features.y_reach_action.tolist() == [REACH_NONE]
    added = {"action": "pick", "sku": SEEN_SKU, "quantity": 1, "t": REACH_T, "reach": None}
    for track in features.track_ids[:-1]:
        reviewed_reach_labels(features, [added | {"track_id": track}])
        assert features.y_reach_track is not None
        assert features.y_reach_track.tolist() == [features.track_ids.index(track)] == [track_slot(features, track)]
    unseen = len(features.track_ids) - 1
    for track in (None, 999):
        reviewed_reach_labels(features, [added | {"track_id": track}])
        assert features.y_reach_track.tolist() == [unseen] == [track_slot(features, track)]


def test_annotation_wins_the_reach_a_review_also_named_and_only_that_reach(ctx: Any) -> None:
    """A review confirmed the camera-only pick; annotators removed it (by its reach
    index): the reach is labelled a no-move, with no product left over from the review."""
    from inference.features import IGNORE, REACH_NONE, featurize
    from inference.features.labels import reviewed_reach_labels
    from inference.models import ExampleKind
    from inference.retraining import _reach_labels
    from tests.inference.camera_only import REACH_PLATE, REACH_T, SEEN_SKU, camera_only_payload

    def row(source: str, action: str, provenance: dict[str, Any]) -> dict[str, Any]:
        return {
            "kind": ExampleKind.MISSED,
            "source": source,
            "visit_id": 1,
            "action": action,
            "sku": SEEN_SKU,
            "quantity": 1 if action == "pick" else 0,
            "track_id": 1 if action == "pick" else None,
            "t": REACH_T,
            "provenance": provenance,
        }

    where = {"reach": 0, "plate": REACH_PLATE}
    rows = [
        row("annotation:flagged", "noise", {"removed": "camera-only"} | where),
        row("review:low_confidence", "pick", where),
    ]
    labels = _reach_labels(rows)[1]
    assert [label["action"] for label in labels] == ["pick", "noise"]  # the review's first
    features = featurize(camera_only_payload(), ctx)
    assert reviewed_reach_labels(features, labels) == 1
    assert features.y_reach_action is not None and features.y_reach_action.tolist() == [REACH_NONE]
    assert features.y_reach_product is not None and features.y_reach_product.tolist() == [IGNORE]
    # The index is trusted only at its own plate: a removal elsewhere names no reach.
    assert reviewed_reach_labels(features, [labels[1] | {"plate": "S1P1"}]) == 0
