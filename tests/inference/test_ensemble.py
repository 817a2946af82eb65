"""Ensembles: networks trained apart, answering with the mean of their log-probabilities."""

from __future__ import annotations

import io
import multiprocessing
import signal
from typing import Any

import numpy as np
import pytest
import torch
from django.core.management import call_command
from django.core.management.base import CommandError

from inference.context import StoreContext
from inference.models import ModelVersion
from inference.network import VisitEnsemble, VisitTransformer, collate, networks_of, predict_reach_probs
from inference.scoring import TransformerScorer, model_from_bytes, model_to_bytes, quantize_int8
from inference.services import loaded_scorer
from inference.training import finetune, train_members, train_network
from tests.inference.conftest import TINY, hand_dataset

REACH_TINY = TINY.__class__(**{**TINY.as_dict(), "vision_items": True})


@pytest.fixture(scope="module")
def pair(ctx: StoreContext) -> tuple[VisitEnsemble, list[Any]]:
    first, _ = hand_dataset(ctx, 60, seed=11)
    second, _ = hand_dataset(ctx, 60, seed=12)
    steps: list[int] = []
    ensemble = train_members(
        [first.features, second.features],
        seeds=[5, 6],
        config=REACH_TINY,
        epochs=2,
        batch_size=16,
        lr=1e-2,
        on_step=lambda step, loss: steps.append(step),
    )
    return ensemble, [first, second, steps]


def test_members_train_apart_and_every_step_is_heard(pair: tuple[VisitEnsemble, list[Any]]) -> None:
    ensemble, (first, second, steps) = pair
    members = networks_of(ensemble)
    assert len(members) == 2 and all(isinstance(m, VisitTransformer) for m in members)
    # Each member saw its own visits from its own initial weights, so their weights differ.
    a, b = (m.state_dict()["embed_event.weight"] for m in members)
    assert not torch.allclose(a, b)
    per_member = 2 * -(-60 // 16)
    assert steps == list(range(1, 2 * per_member + 1))


def test_the_ensemble_answers_with_the_normalised_geometric_mean(
    ctx: StoreContext, pair: tuple[VisitEnsemble, list[Any]]
) -> None:
    ensemble, _ = pair
    held, _ = hand_dataset(ctx, 20, seed=13)
    batch = collate(held.features, reaches=True)
    (action, pq, track), reach = predict_reach_probs(ensemble, batch)
    singles = [predict_reach_probs(m, batch) for m in networks_of(ensemble)]

    def geometric(ps: list[np.ndarray]) -> np.ndarray:
        g = np.exp(np.mean([np.log(np.clip(p, 1e-30, None)) for p in ps], axis=0))
        return g / g.sum(-1, keepdims=True)

    for k, ours in enumerate((action, pq, track)):
        expected = geometric([s[0][k] for s in singles])
        real = batch.event_mask.numpy()
        np.testing.assert_allclose(ours[real], expected[real], atol=1e-5)
    assert reach is not None
    # A slot masked in every member stays masked: no real event points at a padded track.
    padded = np.broadcast_to(~batch.track_mask.numpy()[:, None, :], track.shape) & batch.event_mask.numpy()[..., None]
    assert padded.any() and float(track[padded].max()) < 1e-6


def test_an_ensemble_round_trips_through_its_weights_file(
    ctx: StoreContext, pair: tuple[VisitEnsemble, list[Any]]
) -> None:
    ensemble, _ = pair
    held, _ = hand_dataset(ctx, 20, seed=14)
    blob = model_to_bytes(ensemble)
    loaded = model_from_bytes(blob)
    assert isinstance(loaded, VisitEnsemble) and len(networks_of(loaded)) == 2
    before = [s.confidence for s in TransformerScorer(ensemble).score(held.features)]
    after = [s.confidence for s in TransformerScorer(loaded).score(held.features)]
    assert before == after
    # int8 quantises every member and still reads the reaches.
    int8 = TransformerScorer(quantize_int8(loaded))
    assert int8.vision_items and len(int8.score(held.features)) == 20
    # One network keeps the file it always wrote.
    single = networks_of(ensemble)[0]
    assert "state_dict" in torch.load(io.BytesIO(model_to_bytes(single)), weights_only=True)
    assert isinstance(model_from_bytes(model_to_bytes(single)), VisitTransformer)


def test_an_ensemble_needs_members_of_one_config(ctx: StoreContext) -> None:
    with pytest.raises(ValueError, match="at least one"):
        VisitEnsemble([])
    with pytest.raises(ValueError, match="one config"):
        VisitEnsemble([VisitTransformer(TINY), VisitTransformer(REACH_TINY)])
    with pytest.raises(ValueError, match="one seed per member"):
        train_members([[], []], seeds=[1])


@pytest.fixture
def no_hang() -> Any:
    """Fail instead of hanging: a stuck member process would otherwise stall the suite."""

    def stop(*_: Any) -> None:
        raise TimeoutError("train_members did not return")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(60)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def test_a_failing_member_raises_at_once(ctx: StoreContext, no_hang: None) -> None:
    good, _ = hand_dataset(ctx, 30, seed=16)
    with pytest.raises(RuntimeError, match="member 1 failed"):
        train_members([good.features, [None] * 4], seeds=[1, 2], config=TINY, epochs=50, batch_size=8)  # type: ignore[list-item]


def test_an_error_in_the_parent_stops_the_members(ctx: StoreContext, no_hang: None) -> None:
    good, _ = hand_dataset(ctx, 30, seed=17)

    def broken(step: int, loss: float) -> None:
        if step == 3:
            raise BrokenPipeError("the progress bar's terminal went away")

    with pytest.raises(BrokenPipeError):
        train_members(
            [good.features, good.features], seeds=[1, 2], config=TINY, epochs=200, batch_size=8, on_step=broken
        )
    assert not [c for c in multiprocessing.active_children() if c.is_alive()]


def test_finetuning_an_ensemble_tunes_each_member_and_leaves_the_parent(
    ctx: StoreContext, pair: tuple[VisitEnsemble, list[Any]]
) -> None:
    ensemble, _ = pair
    store, _ = hand_dataset(ctx, 30, seed=15)
    before = [m.state_dict()["embed_event.weight"].clone() for m in networks_of(ensemble)]
    tuned = finetune(store.features, ensemble, epochs=1, batch_size=16, lr=1e-2, seed=3)
    assert isinstance(tuned, VisitEnsemble) and len(networks_of(tuned)) == 2
    for old, parent, new in zip(before, networks_of(ensemble), networks_of(tuned), strict=True):
        assert torch.equal(parent.state_dict()["embed_event.weight"], old)
        assert not torch.equal(new.state_dict()["embed_event.weight"], old)
    single = train_network(store.features, config=TINY, epochs=1, batch_size=16, seed=1)
    assert isinstance(finetune(store.features, single, epochs=1, batch_size=16, lr=1e-2, seed=3), VisitTransformer)


@pytest.mark.django_db
def test_train_model_registers_an_ensemble_that_scores(media: Any) -> None:
    out = io.StringIO()
    call_command("train_model", preset="test", members=2, name="pair", stdout=out, verbosity=0)
    version = ModelVersion.objects.get(name="pair")
    assert version.training_data["members"] == 2
    assert version.training_data["member_train_seeds"] == [1, 2]
    # What a bit-for-bit retrain needs beside the seeds: the same torch and vector kernels.
    assert version.training_data["torch"] == torch.__version__
    assert version.training_data["cpu_kernels"] == torch.backends.cpu.get_cpu_capability()
    assert version.metrics["config"]["members"] == 2
    assert "Simulating 2 x 240 training" in out.getvalue()
    scorer = loaded_scorer(version)
    assert isinstance(scorer.model, VisitEnsemble)


@pytest.mark.django_db
def test_train_model_refuses_no_members(media: Any) -> None:
    with pytest.raises(CommandError, match="--members is a number of networks"):
        call_command("train_model", preset="test", members=0, stdout=io.StringIO(), verbosity=0)
