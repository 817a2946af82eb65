"""``manage.py example_sources``: one candidate per source of event labels, judged on the
same holdout, nothing written."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from inference.datasets import dataset_snapshot
from inference.models import DatasetVersion, ModelVersion
from jwo_review.store.models import Store
from tests.flywheel.conftest import ReviewedStore


def test_each_source_trains_its_own_candidate_and_nothing_is_written(
    reviewed_store: ReviewedStore, register: Any, aim3s: Store, settings: Any
) -> None:
    settings.JWO_RETRAIN_PRESET = "test"
    reviewed_store(register())
    dataset, _ = dataset_snapshot(store=aim3s)
    versions = ModelVersion.objects.count()
    out = io.StringIO()
    call_command("example_sources", store=aim3s.code, json=True, verbosity=0, stdout=out)
    *lines, last = out.getvalue().strip().splitlines()
    summary = json.loads(last)
    assert summary["dataset"] == dataset.name and [json.loads(x) for x in lines] == summary["variants"]
    by = {v["variant"]: v for v in summary["variants"]}
    # Reviews' attributions label events; this store has no annotation, so that candidate
    # and the receipts-only one are taught no events and only recalibrate.
    assert by["reviews"]["event_labelled_visits"] > 0
    assert by["reviews + annotation"]["event_labelled_visits"] == by["reviews"]["event_labelled_visits"]
    assert by["annotation"]["event_labelled_visits"] == by["receipts only (calibration)"]["event_labelled_visits"] == 0
    assert all(v["calibrated_on"] > 0 and v["parent_reviews_per_1000"] is not None for v in by.values())
    assert ModelVersion.objects.count() == versions and DatasetVersion.objects.count() == 1


def test_an_unknown_store_or_dataset_says_what_to_do(aim3s: Store) -> None:
    with pytest.raises(CommandError, match="No store with code 'nope'"):
        call_command("example_sources", store="nope")
    with pytest.raises(CommandError, match="run its retraining first"):
        call_command("example_sources", store=aim3s.code)
