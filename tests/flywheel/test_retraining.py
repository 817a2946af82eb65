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


def test_a_store_rolls_back_to_its_previous_version_then_to_the_company_model(
    reviewed_store: ReviewedStore,
    register: Any,
    untrained: ModelVersion,
    aim3s: Store,
    users: dict[str, Any],
    client_as: Any,
) -> None:
    reviewed_store(untrained)  # the company-wide active version
    dataset, _ = dataset_snapshot(store=aim3s)
    gate = candidate_judge(candidate=_candidate(register(), untrained, dataset), store=aim3s)
    first, _ = _register(
        candidate=_candidate(register(), untrained, dataset), store=aim3s, gate=gate, plan_name="t", seed=0
    )
    assert model_for_store(aim3s.pk) == first
    second = register()
    ModelVersion.objects.filter(pk=second.pk).update(parent=first, dataset_version=dataset)
    second.refresh_from_db()
    retraining.store_model_promote(store=aim3s, model_version=second, by_label="retraining")

    back = retraining.store_model_rollback(store=aim3s, by=users["admin"])
    assert back == first and model_for_store(aim3s.pk) == first
    entry = AuditLogEntry.objects.filter(action="model_rolled_back").latest("pk")
    assert entry.actor == users["admin"] and entry.before == {"active": second.name, "store": aim3s.code}
    assert StoreThreshold.objects.get(store=aim3s).model_version == first.name

    # The first version of the store's own came from the company model: back to that, by the API.
    response = client_as("admin").post(f"/api/v1/queue/stores/{aim3s.code}/model/rollback/")
    assert response.status_code == 200, response.content
    assert response.json()["model_version"] == untrained.name
    assert not StoreModel.objects.filter(store=aim3s).exists() and model_for_store(aim3s.pk) == untrained
    assert AuditLogEntry.objects.filter(action="model_rolled_back").count() == 2


@pytest.mark.parametrize(
    ("role", "code", "expected"),
    [
        ("anonymous", "aim3s", 401),
        ("annotator", "aim3s", 403),
        ("reviewer", "aim3s", 403),
        ("store_key", "aim3s", 403),
        ("admin", "aim3s", 409),  # scored by the company-wide model: nothing of its own to roll back
        ("admin", "NOPE", 404),
    ],
)
def test_a_store_rollback_answers_admins_only_and_says_why_it_cannot(
    client_as: Any, aim3s: Store, role: str, code: str, expected: int
) -> None:
    response = client_as(role).post(f"/api/v1/queue/stores/{code}/model/rollback/")
    assert response.status_code == expected, response.content
    if expected == 409:
        assert "company-wide" in response.json()["detail"]
