"""The training command's held-out sets: how many visits fit the calibrator and how many
set the threshold, and the errors for counts that are not counts."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from inference.models import ModelVersion
from inference.recipe import recipe
from inference.training import calibrator_fit_visits


def test_the_calibrator_fits_on_half_the_threshold_visits_unless_told() -> None:
    assert calibrator_fit_visits(30000) == 15000
    assert calibrator_fit_visits(400) == 500  # a floor, so a small run still fits its weights
    assert calibrator_fit_visits(90000, 15000) == 15000


def test_the_measured_recipe_fits_on_15000_and_sets_the_threshold_on_30000() -> None:
    measured = recipe("measured")
    assert calibrator_fit_visits(measured.calibration_visits, measured.fit_visits) == 15000
    assert measured.calibration_visits == 30000
    assert recipe("measured").with_overrides(fit_visits=4000).fit_visits == 4000


@pytest.mark.django_db
def test_train_model_fits_the_calibrator_on_the_visits_asked_for(media: Any) -> None:
    out = io.StringIO()
    call_command(
        "train_model", preset="test", calibration_visits=300, fit_visits=120, name="sets", stdout=out, verbosity=0
    )
    data = ModelVersion.objects.get(name="sets").training_data
    assert (data["calibration_visits"], data["threshold_visits"]) == (120, 300)
    assert "Simulating 240 training, 120 calibration and 300 threshold visits" in out.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize("flag", ["calibration_visits", "fit_visits"])
def test_train_model_refuses_no_held_out_visits(media: Any, flag: str) -> None:
    with pytest.raises(CommandError, match=f"--{flag.replace('_', '-')} is a number of visits, 1 or more; got 0"):
        call_command("train_model", preset="test", stdout=io.StringIO(), verbosity=0, **{flag: 0})
    assert not ModelVersion.objects.exists()
