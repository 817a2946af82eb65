"""A store that gathers enough new examples triggers its retraining, which a real Celery
worker runs on the training queue: a dataset version, a candidate judged by the gate."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.management import call_command

from inference.models import DatasetVersion, ModelVersion
from jwo_review.accounts.roles import Role, ensure_role_groups
from jwo_review.store.models import Visit, VisitStatus
from low_confidence_queue.models import ReviewTask
from low_confidence_queue.simulated import reviews_simulate
from tests.integration.test_worker_pipeline import _wait_for, worker_process


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_triggered_retraining_end_to_end(
    aim3s: Any, media: Path, tmp_path: Path, settings: Any
) -> None:
    # The pipeline as production wires it (the queue fixtures of this folder unhook it).
    settings.JWO_VISITS_INGESTED_HOOKS = ["jwo_review.pipeline.visits_ingested"]
    settings.JWO_VISITS_SCORED_HOOKS = ["jwo_review.pipeline.visits_scored"]
    quiet = io.StringIO()
    call_command("train_model", preset="test", name="worker-parent", activate=True, stdout=quiet, verbosity=0)
    # The worker's own settings: a new store starts strict (every visit reviewed with this
    # small model), and a store's retraining uses the small recipe and a small holdout bar.
    env = {"JWO_RETRAIN_PRESET": "test", "JWO_RETRAIN_MIN_HOLDOUT": "1"}
    with worker_process(media, tmp_path, **env):
        call_command("simulate", scenario="default", visits=30, seed=31, quiet=True, stdout=quiet)
        visits = Visit.objects.filter(source="simulator")
        _wait_for(
            lambda: set(visits.values_list("status", flat=True)) <= {VisitStatus.FINAL, VisitStatus.IN_REVIEW},
            180,
            "the worker to score and route",
        )
        reviewer = get_user_model().objects.create_user("worker-reviewer")
        reviewer.groups.add(ensure_role_groups()[Role.REVIEWER])
        open_tasks = ReviewTask.objects.filter(decided_at__isnull=True).count()
        assert open_tasks >= 10
        settings.JWO_RETRAIN_MIN_NEW_VISITS = 10**6  # nothing triggers while the day's reviews come in ...
        reviews_simulate(reviewer=reviewer, limit=open_tasks - 1)
        cache.delete(f"jwo:retrain-queued:{aim3s.pk}")
        settings.JWO_RETRAIN_MIN_NEW_VISITS = 1  # ... and the last decision crosses the bar
        reviews_simulate(reviewer=reviewer, limit=1)
        _wait_for(
            lambda: ModelVersion.objects.filter(dataset_version__isnull=False).exists(), 300, "the retraining job"
        )
    dataset = DatasetVersion.objects.get(store=aim3s)
    assert dataset.counts["examples"] >= open_tasks and dataset.created_by_label == "retraining"
    version = ModelVersion.objects.get(dataset_version=dataset)
    assert version.parent is not None and version.parent.name == "worker-parent"
    assert set(version.gate["checks"]) == {"reviews_no_worse", "bound_meets_target", "no_slice_regression"}
    assert version.training_data["recipe"] == "test" and version.weights
