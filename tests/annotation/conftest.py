"""Annotation test data: visits with three weight events, scored by a model version,
built through the real ingest service; annotation settings with no gold mixed in."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest

from annotation.models import AnnotationSettings
from inference.models import ModelStatus, ModelVersion, Prediction
from jwo_review.store.models import Store, Visit
from jwo_review.store.services.ingest import visits_ingest
from tests.factories import visit_payload

_names = itertools.count(1)
EVENTS = [
    {"plate": "S5P3", "t_start": 20.1, "t_end": 21.4, "delta_g": -103.2, "noise_g": 1.4},
    {"plate": "S5P3", "t_start": 40.1, "t_end": 41.2, "delta_g": -103.0, "noise_g": 1.2},
    {"plate": "S5P3", "t_start": 60.2, "t_end": 61.0, "delta_g": 102.8, "noise_g": 1.3},
]
AUTO = [
    {"action": "pick", "sku": "AIM3S-002", "quantity": 1, "track_id": 1,
     "probabilities": {"action": {"pick": 0.97}, "product": 0.95}},
    {"action": "pick", "sku": "AIM3S-002", "quantity": 1, "track_id": 1,
     "probabilities": {"action": {"pick": 0.6}, "product": 0.5}},
    {"action": "put_back", "sku": "AIM3S-002", "quantity": 1, "track_id": 1,
     "probabilities": {"action": {"put_back": 0.9}, "product": 0.9}},
]


@pytest.fixture(autouse=True)
def _annotation_settings(settings: Any, db: None) -> None:
    settings.JWO_VISITS_INGESTED_HOOKS = []
    settings.JWO_VISITS_SCORED_HOOKS = []
    settings.JWO_REVIEW_DECIDED_HOOKS = []
    settings.JWO_CLIP_RENDER_TASK = "tests.queue.render.render_clip"
    AnnotationSettings.objects.all().delete()
    AnnotationSettings.objects.create(gold_rate=0.0)


@pytest.fixture
def model_version(db: None) -> ModelVersion:
    return ModelVersion.objects.create(name=f"ann-model-{next(_names)}", status=ModelStatus.ACTIVE, threshold=0.9)


VisitMaker = Callable[..., Visit]


@pytest.fixture
def scored_visit(aim3s: Store, model_version: ModelVersion) -> VisitMaker:
    """A visit with three weight events on S5P3 (pick, pick, put back) and the model's guess."""

    def make(**payload: Any) -> Visit:
        payload.setdefault("weight_events", EVENTS)
        visit = Visit.objects.get(pk=visits_ingest(payloads=[visit_payload(**payload)], source="test")[0].id)
        Prediction.objects.create(
            visit=visit, model_version=model_version, confidence=0.5,
            lines=[{"sku": "AIM3S-002", "quantity": 1, "shopper_track_id": 1, "probability": 0.5}],
            event_assignments=AUTO,
        )
        return visit

    return make


def answer(seq_labels: dict[int, tuple[str, str, int, int | None]]) -> list[dict[str, Any]]:
    return [{"seq": s, "action": a, "sku": sku, "quantity": q, "track_id": t}
            for s, (a, sku, q, t) in sorted(seq_labels.items())]


RIGHT = answer({0: ("pick", "AIM3S-002", 1, 1), 1: ("pick", "AIM3S-002", 1, 1), 2: ("put_back", "AIM3S-002", 1, 1)})


@pytest.fixture(scope="session")
def label_studio() -> Any:
    """A real Label Studio server for the session (``make labelstudio`` installs it).
    It must start: a missing or broken server fails the tests that need it, with the reason."""
    from scripts.labelstudio_server import LabelStudioStartError, start

    try:
        server = start()
    except LabelStudioStartError as exc:
        pytest.fail(f"Label Studio could not start: {exc}", pytrace=False)
    print(f"\nLabel Studio started in {server.started_in_s} s at {server.url}")
    yield server
    server.stop()
