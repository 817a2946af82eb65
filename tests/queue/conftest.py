"""Queue test data: scored visits built through the real ingest service, and an
active model version with predictions made by a small factory."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest

from inference.models import ModelStatus, ModelVersion, Prediction
from jwo_review.store.models import Store, Visit
from jwo_review.store.services.ingest import visits_ingest
from low_confidence_queue.models import ReviewTask, RoutingPolicy
from low_confidence_queue.services.routing import visit_route
from tests.factories import visit_payload

_names = itertools.count(1)


@pytest.fixture(autouse=True)
def _queue_settings(settings: Any) -> None:
    # Scoring is another area's job; these tests score by hand, then route explicitly.
    settings.JWO_VISITS_INGESTED_HOOKS = []
    settings.JWO_VISITS_SCORED_HOOKS = ["low_confidence_queue.hooks.visits_scored"]
    settings.JWO_QUEUE_NOTIFY_WINDOW_S = 0
    settings.JWO_CLIP_RENDER_TASK = "tests.queue.render.render_clip"


@pytest.fixture(autouse=True)
def _no_random_audit(db: None) -> None:
    # The audit sample is random; tests that want it set the rate themselves.
    RoutingPolicy.objects.update_or_create(store=None, defaults={"audit_rate": 0.0})


@pytest.fixture
def model_version(db: None) -> ModelVersion:
    return ModelVersion.objects.create(
        name=f"test-model-{next(_names)}", status=ModelStatus.ACTIVE, target_accuracy=0.995, threshold=0.9
    )


ScoredVisit = Callable[..., Visit]


@pytest.fixture
def scored_visit(aim3s: Store, model_version: ModelVersion) -> ScoredVisit:
    """A stored visit with a prediction of the active model (one AIM3S-002 for shopper 1 by default)."""

    def make(confidence: float = 0.5, lines: list[dict[str, Any]] | None = None, **payload: Any) -> Visit:
        visit = Visit.objects.get(pk=visits_ingest(payloads=[visit_payload(**payload)], source="test")[0].id)
        Prediction.objects.create(
            visit=visit, model_version=model_version, confidence=confidence,
            lines=lines if lines is not None else [
                {"sku": "AIM3S-002", "quantity": 1, "shopper_track_id": 1, "probability": confidence}
            ],
            event_assignments=[{"action": "pick", "sku": "AIM3S-002", "quantity": 1, "track_id": 1,
                                "probabilities": {"AIM3S-002": confidence}}],
        )
        return visit

    return make


@pytest.fixture
def review_task(scored_visit: ScoredVisit) -> Callable[..., ReviewTask]:
    def make(confidence: float = 0.5, **kwargs: Any) -> ReviewTask:
        visit = scored_visit(confidence=confidence, **kwargs)
        visit_route(visit_id=visit.pk)
        return ReviewTask.objects.get(visit=visit)

    return make
