"""The retraining job: the gate refuses a worse candidate and promotes a better one, a
redelivered job trains once, a job that dies before its end leaves nothing half-made."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from inference.context import StoreContext
from inference.datasets import dataset_snapshot
from inference.models import DatasetVersion, ModelVersion, StoreModel
from inference.network import VisitTransformer
from inference.retraining import Candidate
from inference.scoring import TransformerScorer
from inference.selectors import model_for_store
from inference.services import loaded_scorer, model_register
from inference.training import TrainingResult, calibrate
from jwo_review.store.models import AuditLogEntry, Store
from low_confidence_queue.models import StoreThreshold, ThresholdSource
from low_confidence_queue.services import retraining
from low_confidence_queue.services.retraining import _register, candidate_judge
from low_confidence_queue.tasks import train_store
from tests.flywheel.conftest import ReviewedStore
from tests.inference.conftest import TINY, hand_dataset


@pytest.fixture
def untrained(ctx: StoreContext, tiny_training: TrainingResult, media: Any) -> ModelVersion:
    """A version whose network never saw a visit (calibrated all the same)."""
    torch.manual_seed(3)
    net = VisitTransformer(TINY).eval()
    held, _ = hand_dataset(ctx, 80, seed=2)
    result = TrainingResult(
        model=net,
        model_cal=calibrate(TransformerScorer(net), held, target=0.9),
        baseline_cal=tiny_training.baseline_cal,
        training_data={"source": "tests", "visits": 0},
        seconds=0.0,
        final_loss=0.0,
    )
    return model_register(name="untrained", result=result, target_accuracy=0.9)


def _candidate(of: ModelVersion, parent: ModelVersion, dataset: DatasetVersion) -> Candidate:
    scorer = loaded_scorer(of)
    return Candidate(model=scorer.model, platt=scorer.platt, parent=parent, dataset=dataset)  # type: ignore[arg-type]


def test_the_gate_promotes_a_better_candidate(
    reviewed_store: ReviewedStore, register: Any, untrained: ModelVersion, aim3s: Store
) -> None:
    good = register()
    reviewed_store(untrained)  # the store's current version is the untrained one: everything was reviewed
    dataset, _ = dataset_snapshot(store=aim3s)
    candidate = _candidate(good, untrained, dataset)
    gate = candidate_judge(candidate=candidate, store=aim3s)
    assert gate["passed"], gate
    assert gate["candidate"]["reviews_per_1000"] < gate["active"]["reviews_per_1000"] == 1000.0
    assert gate["candidate"]["lower_bound"] >= 0.7
    version, made = _register(candidate=candidate, store=aim3s, gate=gate, plan_name="test", seed=0)
    assert made and version.parent == untrained and version.dataset_version == dataset
    assert version.gate["passed"] and version.gate["checks"] == gate["checks"]
    assert model_for_store(aim3s.pk) == version
    row = StoreThreshold.objects.get(store=aim3s)
    assert row.model_version == version.name and row.source == ThresholdSource.EVIDENCE
    assert AuditLogEntry.objects.filter(action="model_promoted", target__endswith=str(version.pk)).exists()


def test_the_gate_refuses_a_worse_candidate(
    reviewed_store: ReviewedStore, register: Any, untrained: ModelVersion, aim3s: Store
) -> None:
    good = register()
    reviewed_store(good)
    dataset, _ = dataset_snapshot(store=aim3s)
    candidate = _candidate(untrained, good, dataset)
    gate = candidate_judge(candidate=candidate, store=aim3s)
    assert not gate["passed"] and not gate["checks"]["bound_meets_target"]
    version, made = _register(candidate=candidate, store=aim3s, gate=gate, plan_name="test", seed=0)
    assert made and version.gate["passed"] is False and version.status == "candidate"
    assert not StoreModel.objects.filter(store=aim3s).exists() and model_for_store(aim3s.pk) == good
    assert AuditLogEntry.objects.filter(action="model_gate_refused").count() == 1


def test_a_redelivered_training_task_trains_once(
    reviewed_store: ReviewedStore, register: Any, aim3s: Store, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.JWO_RETRAIN_PRESET = "test"
    settings.JWO_RETRAIN_MIN_HOLDOUT = 10
    reviewed_store(register())
    trained = []
    real = retraining.candidate_train

    def counting(**kwargs: Any) -> Candidate:
        trained.append(kwargs["dataset"].pk)
        return real(**kwargs)

    monkeypatch.setattr(retraining, "candidate_train", counting)
    first = train_store.apply(args=[aim3s.pk]).get()
    second = train_store.apply(args=[aim3s.pk]).get()  # the broker delivers the same message again
    assert len(trained) == 1 and first["trained"] and first["version"]
    assert not second["trained"] and second["reason"] == "already made" and second["version"] == first["version"]
    assert ModelVersion.objects.filter(dataset_version__store=aim3s).count() == 1
    assert DatasetVersion.objects.filter(store=aim3s).count() == 1


def test_a_training_task_that_dies_before_its_end_leaves_no_version_and_no_promotion(
    reviewed_store: ReviewedStore, register: Any, aim3s: Store, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.JWO_RETRAIN_PRESET = "test"
    settings.JWO_RETRAIN_MIN_HOLDOUT = 10
    parent = register()
    reviewed_store(parent)
    threshold_before = StoreThreshold.objects.get(store=aim3s).threshold
    audited_before = AuditLogEntry.objects.filter(action__startswith="model_").count()

    def dies(**kwargs: Any) -> dict[str, Any]:
        raise SystemExit("worker killed while judging the candidate")

    monkeypatch.setattr(retraining, "candidate_judge", dies)
    with pytest.raises(SystemExit):
        train_store.apply(args=[aim3s.pk], throw=True)
    assert not ModelVersion.objects.exclude(pk=parent.pk).exists()
    assert not StoreModel.objects.filter(store=aim3s).exists() and model_for_store(aim3s.pk) == parent
    assert StoreThreshold.objects.get(store=aim3s).threshold == threshold_before
    assert AuditLogEntry.objects.filter(action__startswith="model_").count() == audited_before
