"""What a review's receipt says about the reaches the model decided (hands in a shelf no
weight change explains): confirmed, ruled out, or not known."""

from __future__ import annotations

from typing import Any

from inference.examples import reach_attribution

NO_MOVE = {"action": "noise", "sku": "", "quantity": 0, "track_id": None}


def _event(sku: str, qty: int = 1, track: int = 1) -> dict[str, Any]:
    return {"event": 0, "action": "pick", "sku": sku, "quantity": qty, "track_id": track, "on_receipt": True}


def _reach(index: int, sku: str | None, qty: int = 1, track: int | None = 1) -> dict[str, Any]:
    moved = sku is not None
    return {
        "event": None,
        "source": "vision",
        "reach": index,
        "plate": "S5P10",
        "t": 60.0 + index,
        "action": "pick" if moved else "none",
        "sku": sku,
        "quantity": qty if moved else 0,
        "track_id": track if moved else None,
        "on_receipt": moved,
        "probability": 0.9,
    }


def _line(sku: str, qty: int = 1, track: int = 1) -> dict[str, Any]:
    return {"sku": sku, "quantity": qty, "shopper_track_id": track}


ASSIGNMENTS = [_event("A"), _reach(0, "B"), _reach(1, None)]
PROPOSED = [_line("A"), _line("B")]


def _where(index: int) -> dict[str, Any]:
    return {"t": 60.0 + index, "plate": "S5P10"}


def test_an_approved_receipt_confirms_the_reach_item_and_rules_out_the_other_reaches() -> None:
    labels = reach_attribution(assignments=ASSIGNMENTS, proposed=PROPOSED, final=PROPOSED)
    assert labels == {
        0: _where(0) | {"action": "pick", "sku": "B", "quantity": 1, "track_id": 1},
        1: _where(1) | NO_MOVE,
    }


def test_removing_the_reach_line_says_the_reach_moved_nothing() -> None:
    labels = reach_attribution(assignments=ASSIGNMENTS, proposed=PROPOSED, final=[_line("A")])
    # Reach 1 is not known: the reviewer changed the receipt, so something may have been missed.
    assert labels == {0: _where(0) | NO_MOVE}


def test_an_added_line_could_be_any_reach_so_only_the_kept_item_is_confirmed() -> None:
    labels = reach_attribution(assignments=ASSIGNMENTS, proposed=PROPOSED, final=[*PROPOSED, _line("C")])
    assert labels == {0: _where(0) | {"action": "pick", "sku": "B", "quantity": 1, "track_id": 1}}


def test_a_changed_quantity_of_the_reach_line_labels_nothing() -> None:
    labels = reach_attribution(assignments=ASSIGNMENTS, proposed=PROPOSED, final=[_line("A"), _line("B", 2)])
    assert labels == {}


def test_a_removed_line_that_a_weight_event_also_made_is_not_blamed_on_the_reach() -> None:
    both = [_event("B"), _reach(0, "B"), _reach(1, None)]
    labels = reach_attribution(assignments=both, proposed=[_line("B", 2)], final=[])
    assert labels == {}


def test_a_prediction_without_reaches_labels_none() -> None:
    assert reach_attribution(assignments=[_event("A")], proposed=[_line("A")], final=[_line("A")]) == {}


def test_a_swapped_product_of_the_reach_line_labels_nothing() -> None:
    """The reach may have been a pick of the other pack: not a no-op."""
    swapped = reach_attribution(assignments=ASSIGNMENTS, proposed=PROPOSED, final=[_line("A"), _line("C")])
    moved = reach_attribution(assignments=ASSIGNMENTS, proposed=PROPOSED, final=[_line("A"), _line("B", track=2)])
    assert swapped == {} and moved == {}


def test_a_reach_whose_unit_sits_on_another_line_is_not_confirmed() -> None:
    """Its (product, shopper) line was never on the receipt: deleting it all confirms nothing."""
    merged = [_event("B", track=2), _event("B", track=2), _reach(0, "B", track=1), _reach(1, None)]
    assert reach_attribution(assignments=merged, proposed=[_line("B", 3, track=2)], final=[]) == {}
