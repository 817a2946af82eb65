"""A tiny model trained in seconds on hand-made visits, registered through the real service."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings

from inference.context import StoreContext, context_from_spec
from inference.features import featurize
from inference.metrics import true_receipt
from inference.models import ModelVersion
from inference.network import NetConfig
from inference.scoring import BaselineScorer, TransformerScorer
from inference.services import model_register
from inference.training import Dataset, TrainingResult, calibrate, train_network
from jwo_review.store.aim3s import build_aim3s_spec
from tests.inference.payloads import make_visit

TINY = NetConfig(d_model=16, layers=1, heads=2, ff=32, pair_hidden=16)


@pytest.fixture(scope="session")
def ctx() -> StoreContext:
    spec, _ = build_aim3s_spec()
    return context_from_spec(spec)


def hand_dataset(ctx: StoreContext, n: int, seed: int) -> tuple[Dataset, list[dict[str, Any]]]:
    rng = random.Random(seed)
    visits = [make_visit(ctx, rng, seed * 10_000 + i, stranger=i % 3 == 0) for i in range(n)]
    data = Dataset(
        scenario="hand-made",
        seed=seed,
        context=ctx,
        features=[featurize(v["payload"], ctx, v["truth"]) for v in visits],
        receipts=[true_receipt(v["truth"]) for v in visits],
        payloads=[v["payload"] for v in visits],
    )
    return data, visits


@pytest.fixture(scope="session")
def tiny_training(ctx: StoreContext) -> TrainingResult:
    train, _ = hand_dataset(ctx, 120, seed=1)
    held, _ = hand_dataset(ctx, 80, seed=2)
    model = train_network(train.features, config=TINY, epochs=12, batch_size=16, lr=1e-2, seed=0)
    return TrainingResult(
        model=model,
        model_cal=calibrate(TransformerScorer(model), held, target=0.9),
        baseline_cal=calibrate(BaselineScorer(), held, target=0.9),
        training_data={"source": "tests", "visits": 120},
        seconds=0.0,
        final_loss=0.0,
    )


@pytest.fixture
def media(tmp_path: Path) -> Any:
    with override_settings(MEDIA_ROOT=str(tmp_path)):
        yield tmp_path


@pytest.fixture
def register(db: None, media: Path, tiny_training: TrainingResult) -> Any:
    counter = iter(range(1, 1000))

    def make(name: str = "") -> ModelVersion:
        return model_register(name=name or f"tiny-{next(counter)}", result=tiny_training, target_accuracy=0.9)

    return make
