"""Flywheel test data: the queue's scored visits and model factory, the model tests'
tiny trained network, and a store whose visits were scored, routed and reviewed through
the real services."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import pytest

from inference.context import StoreContext
from inference.models import ModelVersion
from inference.services import model_promote, visits_score
from jwo_review.store.models import Store
from jwo_review.store.services.ingest import visits_ingest
from jwo_review.store.services.receipts import LineSpec
from low_confidence_queue.models import RoutingPolicy
from low_confidence_queue.services.claims import task_claim_next
from low_confidence_queue.services.decisions import task_submit
from low_confidence_queue.services.routing import visits_route
from tests.inference.conftest import ctx, media, register, tiny_training  # noqa: F401  (fixtures)
from tests.inference.payloads import make_visit
from tests.queue.conftest import (  # noqa: F401  (fixtures)
    _no_random_audit,
    _queue_settings,
    model_version,
    review_task,
    scored_visit,
)

ReviewedStore = Callable[..., list[int]]


@pytest.fixture
def reviewed_store(aim3s: Store, users: dict[str, Any], ctx: StoreContext) -> ReviewedStore:  # noqa: F811
    """Ingest ``n`` hand-made visits, score them with ``version`` (made active), route
    them, and decide every review task from the visit's truth. Returns the visit ids."""

    def make(version: ModelVersion, n: int = 160, *, audit_rate: float = 0.5, start: int = 0) -> list[int]:
        model_promote(model_version=version)
        RoutingPolicy.objects.update_or_create(store=None, defaults={"audit_rate": audit_rate, "target_accuracy": 0.7})
        rng = random.Random(start + 5)
        visits = [make_visit(ctx, rng, 70_000 + start + i) for i in range(n)]
        truth = {v["payload"]["client_visit_id"]: v["truth"]["receipt"] for v in visits}
        ids: list[int] = []
        for i in range(0, n, 50):
            ids += [r.id for r in visits_ingest(payloads=[v["payload"] for v in visits[i : i + 50]], source="test")]
        visits_score(visit_ids=ids)
        visits_route(visit_ids=ids)  # the scoring hook runs after commit, which a test transaction never reaches
        while (task := task_claim_next(user=users["reviewer"])) is not None:
            true_lines = truth[task.visit.client_visit_id]
            lines = [LineSpec(x["sku"], int(x["quantity"]), x["shopper_track_id"]) for x in true_lines]
            task_submit(task_id=task.pk, user=users["reviewer"], decision="correct", reason_code="other", lines=lines)
        return ids

    return make


@pytest.fixture
def curved_model(model_version: ModelVersion) -> ModelVersion:  # noqa: F811
    """A version whose held-out curve answers for any target (receipts above 0.4 right)."""
    conf = [round(1 - i / 20000, 7) for i in range(20000)]
    wrong = list(range(12000, 20000, 3))  # the top 12,000 right, then one in three wrong
    model_version.calibration = {"holdout": {"confidence": conf, "wrong": wrong, "alpha": 0.05}}
    model_version.save()
    return model_version
