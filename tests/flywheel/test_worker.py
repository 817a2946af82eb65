"""A store that gathers enough new examples triggers its retraining, which a real Celery
worker runs on the training queue: a dataset version, a candidate judged by the gate; and
a worker killed (SIGKILL) while a job writes its result leaves nothing half-made."""

from __future__ import annotations

import io
import signal
from pathlib import Path
from typing import Any

import pytest
import torch
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.management import call_command

from inference.models import DatasetVersion, ModelVersion, StoreModel
from inference.selectors import model_for_store
from jwo_review.accounts.roles import Role, ensure_role_groups
from jwo_review.store.models import AuditLogEntry, Visit, VisitStatus
from low_confidence_queue.models import ReviewTask, StoreThreshold
from low_confidence_queue.simulated import reviews_simulate
from low_confidence_queue.tasks import train_store
from tests.integration.test_worker_pipeline import _wait_for, worker_process
from tests.row_lock import row_lock


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
    assert version.training_data["cpu_kernels"] == torch.backends.cpu.get_cpu_capability()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_training_worker_killed_before_its_end_leaves_nothing_half_made_and_the_job_runs_again(
    reviewed_store: Any, register: Any, aim3s: Any, media: Path, tmp_path: Path
) -> None:
    """SIGKILL while the job writes its result: the candidate is trained and judged, and the
    worker is inside the transaction that registers it (the test holds the dataset row that
    transaction locks first, so the kill lands there every time, whatever the machine's
    speed). Nothing of it may remain; the broker delivers the job again and it finishes once."""
    parent = register()
    reviewed_store(parent)
    threshold_before = StoreThreshold.objects.get(store=aim3s).threshold
    model_entries = AuditLogEntry.objects.filter(action__startswith="model_")
    entries_before = model_entries.count()  # the parent's promotion
    env = {
        "JWO_RETRAIN_PRESET": "test",
        "JWO_RETRAIN_MIN_HOLDOUT": "10",
        "JWO_NEW_STORE_STRICTNESS": "1",
        "JWO_NEW_STORE_AUDIT_RATE": "0",
        "JWO_BROKER_VISIBILITY_TIMEOUT_S": "3",  # an unacknowledged job comes back this soon
    }
    with row_lock() as lock, worker_process(media, tmp_path, **env) as first:
        train_store.delay(aim3s.pk)
        datasets = DatasetVersion.objects.filter(store=aim3s)
        _wait_for(datasets.exists, 180, "the job's dataset version")
        lock.take(DatasetVersion._meta.db_table, datasets.get().pk)
        _wait_for(lock.blocks_someone, 300, "the job to train, judge and start writing its version")
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)

    dataset = DatasetVersion.objects.get(store=aim3s)
    assert not ModelVersion.objects.filter(dataset_version=dataset).exists()
    assert not StoreModel.objects.filter(store=aim3s).exists() and model_for_store(aim3s.pk) == parent
    assert StoreThreshold.objects.get(store=aim3s).threshold == threshold_before
    assert model_entries.count() == entries_before

    with worker_process(media, tmp_path, **env):
        _wait_for(lambda: ModelVersion.objects.filter(dataset_version=dataset).exists(), 300, "the redelivered job")
    assert ModelVersion.objects.filter(dataset_version__store=aim3s).count() == 1
    assert DatasetVersion.objects.filter(store=aim3s).count() == 1
    version = ModelVersion.objects.get(dataset_version=dataset)
    assert version.parent == parent and version.gate["checks"]
    assert AuditLogEntry.objects.filter(action__in=["model_gate_passed", "model_gate_refused"]).count() == 1
    assert model_entries.count() == entries_before + 1 + int(bool(version.gate["passed"]))
