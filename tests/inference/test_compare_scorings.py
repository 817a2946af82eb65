"""The receipt sum of ``scripts/compare_scorings.py``: the README's table of scorings
rests on it adding up every choice of contributions that gives one receipt."""

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "compare_scorings.py"


@pytest.fixture(scope="module")
def script():
    spec = importlib.util.spec_from_file_location("compare_scorings", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_pick_and_put_back_of_look_alikes_cancel_whichever_they_were(script):
    # Picked A or B (0.7 / 0.3), put back A or B (0.7 / 0.3): nothing billed whenever both agree.
    dist = script.receipt_distribution([[(0.7, "A", 1), (0.3, "B", 1)], [(0.7, "A", -1), (0.3, "B", -1)]])
    assert dist[()] == pytest.approx(0.7 * 0.7 + 0.3 * 0.3)
    assert dist[(("A", 1),)] == pytest.approx(0.21)
    assert dist[(("B", 1),)] == pytest.approx(0.21)
    assert sum(dist.values()) == pytest.approx(1.0)


def test_quantities_add_and_nothing_keeps_the_receipt(script):
    dist = script.receipt_distribution([[(0.9, "A", 2), (0.1, None, 0)], [(0.6, "A", 1), (0.4, None, 0)]])
    assert dist[(("A", 3),)] == pytest.approx(0.54)
    assert dist[(("A", 2),)] == pytest.approx(0.36)
    assert dist[(("A", 1),)] == pytest.approx(0.06)
    assert dist[()] == pytest.approx(0.04)


def test_only_the_likeliest_partial_receipts_are_kept(script, monkeypatch):
    monkeypatch.setattr(script, "MAX_STATES", 2)
    dist = script.receipt_distribution([[(0.5, "A", 1), (0.3, "B", 1), (0.2, "C", 1)]])
    assert set(dist) == {(("A", 1),), (("B", 1),)}
