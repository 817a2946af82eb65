"""A prediction keeps its reach decisions beside the weight events', and nothing that
reads weight events (auto-labels, hard-case doubt, review attribution) takes one for an
event: an item only the cameras saw is not a weighed one."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from annotation.autolabels import from_assignments
from annotation.services.sources import _doubt
from inference.assignments import REACH_FIELDS, vision_entries, weight_assignments
from inference.context import StoreContext
from inference.examples import receipt_attribution
from inference.features import featurize
from inference.models import ModelVersion, Prediction
from inference.network import NetConfig, VisitTransformer
from inference.scoring import TransformerScorer
from inference.services import score_chunk
from jwo_review.store.models import Store
from jwo_review.store.services.ingest import visits_ingest
from tests.inference.camera_only import REACH_PLATE, REACH_T, SEEN_SKU, WEIGHED_SKU, SureCameras, camera_only_payload


@pytest.fixture
def scored_entries(ctx: StoreContext) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(receipt lines, stored entries) of the camera-only visit as a sure network scores it."""
    score = SureCameras().score([featurize(camera_only_payload(), ctx)])[0]
    return score.lines, [*score.assignments, *vision_entries(score.reach_items)]


@pytest.mark.django_db
def test_a_vision_items_network_stores_each_reach_decision_after_the_weight_events(aim3s: Store, settings: Any) -> None:
    settings.JWO_VISITS_INGESTED_HOOKS = []
    visit_id = visits_ingest(payloads=[camera_only_payload()], source="test")[0].id
    version = ModelVersion.objects.create(name="vision-items", target_accuracy=0.995, threshold=0.9)
    torch.manual_seed(0)
    network = VisitTransformer(NetConfig(d_model=16, layers=1, heads=2, ff=32, pair_hidden=16, vision_items=True))
    assert score_chunk([visit_id], version, TransformerScorer(network)) == [visit_id]
    entries = Prediction.objects.get(visit_id=visit_id).event_assignments
    assert [e["event"] for e in entries] == [0, None]
    reach = entries[1]
    assert reach["source"] == "vision" and set(REACH_FIELDS) <= set(reach)
    assert (reach["reach"], reach["plate"], reach["t"]) == (0, REACH_PLATE, REACH_T)
    assert 0.0 <= reach["probability"] <= 1.0


def test_auto_labels_and_hard_case_doubt_read_only_the_weight_events(
    scored_entries: tuple[list[dict[str, Any]], list[dict[str, Any]]],
) -> None:
    _, entries = scored_entries
    weighed = weight_assignments(entries)
    assert len(weighed) == 1 and len(entries) == 2 and entries[1]["on_receipt"]
    labels = from_assignments([0], entries)
    assert labels == from_assignments([0], weighed) and labels[0]["sku"] == WEIGHED_SKU
    assert _doubt(entries) == _doubt(weighed) < 0.5


def test_removing_a_line_only_the_cameras_saw_labels_no_event(
    scored_entries: tuple[list[dict[str, Any]], list[dict[str, Any]]],
) -> None:
    lines, entries = scored_entries
    assert {line["sku"] for line in lines} == {WEIGHED_SKU, SEEN_SKU}
    kept = [line for line in lines if line["sku"] == WEIGHED_SKU]
    labels = receipt_attribution(assignments=entries, proposed=lines, final=kept)
    # The weighed pick stands confirmed; the camera's item is no event's to relabel as noise.
    assert labels == {0: {"action": "pick", "sku": WEIGHED_SKU, "quantity": 1, "track_id": 1}}


def test_a_changed_line_the_scale_and_the_cameras_both_made_is_not_attributed(
    scored_entries: tuple[list[dict[str, Any]], list[dict[str, Any]]],
) -> None:
    lines, entries = scored_entries
    # The cameras' item was the same product as the weighed one: one line of two units.
    both = [dict(entries[0]), {**entries[1], "sku": WEIGHED_SKU}]
    proposed = [{"sku": WEIGHED_SKU, "quantity": 2, "shopper_track_id": 1}]
    labels = receipt_attribution(assignments=both, proposed=proposed, final=[{**proposed[0], "quantity": 3}])
    # Without the camera's unit the weighed pick would be relabelled as three units.
    assert labels == {}


def test_least_sure_names_the_weakest_decision_and_its_doubt() -> None:
    from inference.doubt import least_sure

    def weighed(plate: str, on_receipt: bool, product: float, in_group: float, action: float) -> dict[str, Any]:
        contribution = action * product * in_group if on_receipt else 0.99
        return {
            "event": 0,
            "plate": plate,
            "action": "pick" if on_receipt else "noise",
            "sku": "AIM3S-002",
            "quantity": 1,
            "on_receipt": on_receipt,
            "probabilities": {
                "action": {"pick": action, "noise": 1 - action},
                "product": product,
                "in_group": in_group,
                "contribution": contribution,
            },
        }

    reach = {"event": None, "source": "vision", "reach": 0, "plate": "S5P10", "t": 60.0, "on_receipt": False}
    entries = [weighed("S5P3", True, 0.6, 0.99, 0.99), weighed("S1P1", True, 0.99, 0.7, 0.99)]
    assert least_sure(entries + [reach | {"probability": 0.9}], [12.34, 30.0]) == (
        "weight change at 12.3 s on S5P3, the product (0.59)"
    )
    assert least_sure([entries[1]], [30.0]) == "weight change at 30.0 s on S1P1, the shopper (0.69)"
    # With the product head's two likeliest answers stored, the reviewer is told both.
    top_two = [{"sku": "AIM3S-002", "quantity": 1, "probability": 0.6}, {"sku": "AIM3S-055", "quantity": 1}]
    entries[0]["probabilities"]["top_two"] = top_two
    assert least_sure([entries[0]], [12.34]) == (
        "weight change at 12.3 s on S5P3, the product: AIM3S-002 or AIM3S-055 (0.59)"
    )
    names = {"AIM3S-002": "Cuttlery", "AIM3S-055": "Premium napkins"}
    assert least_sure([entries[0]], [12.34], names) == (
        "weight change at 12.3 s on S5P3, the product: Cuttlery or Premium napkins (0.59)"
    )
    top_two[1] = {"sku": "AIM3S-002", "quantity": 2}
    assert least_sure([entries[0]], [12.34]) == (
        "weight change at 12.3 s on S5P3, the quantity: 1 or 2 of AIM3S-002 (0.59)"
    )
    assert least_sure(entries + [reach | {"probability": 0.5}], [12.34, 30.0]) == (
        "hand at 60.0 s on S5P10, no weight change, nothing billed, may be an item the scale missed (0.50)"
    )
    assert least_sure([weighed("S2P2", False, 0.9, 0.9, 0.9)], []) == (
        "weight change on S2P2, nothing billed, may be a group shopper's move (0.99)"
    )
    assert least_sure([], []) == ""
