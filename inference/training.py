"""Training, calibrating and evaluating the model on simulated visits (no database).

Seeds: a run with ``--seed S`` trains on ``simulate_visits(scenario, n, S)``, fits the
calibrator on ``simulate_visits(scenario, f, S + CALIBRATION_SEED_OFFSET)`` (``f``: the
recipe's fit visits, by default ``m // 2``) and chooses
the threshold on ``simulate_visits(scenario, m, S + THRESHOLD_SEED_OFFSET)``, so no two
steps share visits and the threshold's margin is measured on visits nothing was fitted to.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import random
import time
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from inference.calibration import PlattScaling, choose_threshold, expected_calibration_error, holdout_summary
from inference.context import StoreContext, context_from_spec
from inference.decode import VisitScore
from inference.features import VisitFeatures, featurize
from inference.metrics import receipt_metrics, true_receipt
from inference.network import NetConfig, VisitEnsemble, VisitModel, VisitTransformer, collate, networks_of, visit_loss
from inference.scoring import BaselineScorer, Scorer, TransformerScorer, model_from_bytes, model_to_bytes, pick_device

CALIBRATION_SEED_OFFSET = 1_000_003
THRESHOLD_SEED_OFFSET = 2_000_006


@dataclass
class Dataset:
    scenario: str
    seed: int
    context: StoreContext
    features: list[VisitFeatures]
    receipts: list[dict[str, int]]
    payloads: list[dict[str, Any]] = field(default_factory=list)


def _simulate_chunk(
    scenario_name: str, seed: int, start: int, n: int, keep_payloads: bool
) -> tuple[list[VisitFeatures], list[dict[str, int]], list[dict[str, Any]]]:
    from jwo_review.simulator.generate import simulate_visits
    from jwo_review.simulator.scenario import load_scenario

    scenario = load_scenario(scenario_name)
    ctx = context_from_spec(scenario.store_spec)
    features, receipts, payloads = [], [], []
    for sim in simulate_visits(scenario, n, seed, start=start, streams=False):
        features.append(featurize(sim.payload, ctx, sim.truth))
        receipts.append(true_receipt(sim.truth))
        if keep_payloads:
            payloads.append(sim.payload)
    return features, receipts, payloads


def simulated_dataset(
    scenario_name: str, visits: int, seed: int, *, keep_payloads: bool = False, workers: int | None = None
) -> Dataset:
    """Simulate and featurise ``visits`` visits of a scenario (name or path).

    Visits are independent given (seed, index), so chunks run in worker processes and
    the result is the same as one process would give."""
    from jwo_review.simulator.scenario import load_scenario

    ctx = context_from_spec(load_scenario(scenario_name).store_spec)
    workers = workers if workers is not None else (min(2, os.cpu_count() or 1) if visits >= 400 else 1)
    size = max(1, -(-visits // max(1, workers * 4)))
    ranges = [(start, min(size, visits - start)) for start in range(0, visits, size)]
    data = Dataset(scenario=scenario_name, seed=seed, context=ctx, features=[], receipts=[], payloads=[])
    if workers <= 1:
        parts = [_simulate_chunk(scenario_name, seed, a, n, keep_payloads) for a, n in ranges]
    else:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            parts = list(
                pool.map(_simulate_chunk, *zip(*[(scenario_name, seed, a, n, keep_payloads) for a, n in ranges]))
            )
    for features, receipts, payloads in parts:
        data.features += features
        data.receipts += receipts
        data.payloads += payloads
    return data


def train_network(
    features: Sequence[VisitFeatures],
    *,
    config: NetConfig | None = None,
    epochs: int = 8,
    batch_size: int = 128,
    lr: float = 2e-3,
    seed: int = 0,
    on_step: Callable[[int, float], None] | None = None,
    init: VisitTransformer | None = None,
) -> VisitTransformer:
    """AdamW with a one-cycle schedule; batches group visits of similar length. With
    ``init`` a copy of that network is fine-tuned (its config wins over ``config``)."""
    torch.manual_seed(seed)
    rng = random.Random(seed)
    device = pick_device()
    if init is not None:
        model = VisitTransformer(init.config)
        model.load_state_dict(init.state_dict())
        model = model.to(device)
    else:
        model = VisitTransformer(config).to(device)
    order = sorted(range(len(features)), key=lambda i: len(features[i].events))
    chunks = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    steps = max(1, epochs * len(chunks))
    optimiser = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=lr, total_steps=steps, pct_start=0.15)
    step = 0
    model.train()
    for _ in range(epochs):
        rng.shuffle(chunks)
        for chunk in chunks:
            batch = collate([features[i] for i in chunk], with_labels=True, reaches=model.config.vision_items)
            batch = batch.to(device)
            loss = visit_loss(model, batch)
            optimiser.zero_grad(set_to_none=True)
            loss.backward()  # type: ignore[no-untyped-call]
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimiser.step()
            schedule.step()
            step += 1
            if on_step is not None:
                on_step(step, float(loss.detach()))
    return model.cpu().eval()


# What forked member processes read (set just before the fork, so nothing is copied).
_member_visits: list[Sequence[VisitFeatures]] = []


def _train_member(index: int, options: dict[str, Any], messages: Any) -> None:
    """A member's process: one thread (a parent that ran torch on several threads leaves
    OpenMP unusable on more than one after a fork), every step's loss on ``messages``,
    then ``("done", index, weights or None, error)``."""
    torch.set_num_threads(1)
    weights, error = None, ""
    try:
        model = train_network(_member_visits[index], on_step=lambda _, loss: messages.put(("step", loss)), **options)
        weights = model_to_bytes(model)
    except BaseException:  # reported to the parent, which raises it
        error = traceback.format_exc()
    finally:
        messages.put(("done", index, weights, error))


def train_members(
    visits: Sequence[Sequence[VisitFeatures]],
    *,
    seeds: Sequence[int],
    config: NetConfig | None = None,
    epochs: int = 8,
    batch_size: int = 128,
    lr: float = 2e-3,
    on_step: Callable[[int, float], None] | None = None,
) -> VisitEnsemble:
    """An ensemble of ``len(visits)`` networks, member ``k`` trained on ``visits[k]`` from
    initial weights drawn with ``seeds[k]``, each in its own process on one core (a
    network this small keeps one core busy better than two). ``on_step`` hears every
    member's steps, counted together. A member that fails or dies stops the others and
    raises at once."""
    global _member_visits
    if len(visits) != len(seeds):
        raise ValueError("one seed per member")
    context = multiprocessing.get_context("fork")
    messages = context.Queue()
    options = {"config": config, "epochs": epochs, "batch_size": batch_size, "lr": lr}
    _member_visits = list(visits)
    try:
        workers = [
            context.Process(target=_train_member, args=(k, {**options, "seed": seed}, messages), daemon=True)
            for k, seed in enumerate(seeds)
        ]
        for worker in workers:
            worker.start()
    finally:
        _member_visits = []  # the children have their copy
    weights: dict[int, bytes] = {}
    steps = 0
    try:
        while len(weights) < len(workers):
            try:
                message = messages.get(timeout=1.0)
            except queue.Empty:
                message = None
            if message is None:
                dead = [k for k, w in enumerate(workers) if k not in weights and not w.is_alive()]
                if dead and messages.empty():
                    raise RuntimeError(f"member {dead[0]} stopped without a result (exit {workers[dead[0]].exitcode})")
                continue
            if message[0] == "step":
                steps += 1
                if on_step is not None:
                    on_step(steps, message[1])
                continue
            _, index, blob, error = message
            if blob is None:
                raise RuntimeError(f"member {index} failed: {error}")
            weights[index] = blob
    finally:
        for worker in workers:
            if worker.is_alive() and len(weights) < len(workers):
                worker.terminate()
            worker.join()
        messages.close()
    return VisitEnsemble([networks_of(model_from_bytes(weights[k]))[0] for k in range(len(workers))]).eval()


def finetune(
    features: Sequence[VisitFeatures], init: VisitModel, *, epochs: int, batch_size: int, lr: float, seed: int
) -> VisitModel:
    """A copy of ``init`` fine-tuned on ``features``: each member of an ensemble in turn."""
    tuned = [
        train_network(features, epochs=epochs, batch_size=batch_size, lr=lr, seed=seed + k, init=net)
        for k, net in enumerate(networks_of(init))
    ]
    return VisitEnsemble(tuned).eval() if isinstance(init, VisitEnsemble) else tuned[0]


@dataclass
class Calibrated:
    platt: PlattScaling
    threshold: float
    holdout: dict[str, Any]
    metrics: dict[str, Any]


def calibrate(
    scorer: Scorer, data: Dataset, *, target: float, fit_data: Dataset | None = None, head: bool = True
) -> Calibrated:
    """Fit the calibrator on ``fit_data`` (default: ``data``), then choose the threshold
    on ``data``, so the threshold's margin is measured on visits the calibrator never saw.
    ``head`` adds the visit summaries to plain Platt scaling."""
    scorer.platt = PlattScaling()
    if fit_data is not None:
        fit_scores = scorer.score(fit_data.features)
        fit_correct = np.array([s.receipt == r for s, r in zip(fit_scores, fit_data.receipts)])
        fit_raw = np.array([s.raw_confidence for s in fit_scores])
        fit_summary = np.array([s.summary for s in fit_scores]) if head else None
        platt = PlattScaling.fit(fit_raw, fit_correct, fit_summary)
    scores = scorer.score(data.features)
    correct = np.array([s.receipt == r for s, r in zip(scores, data.receipts)])
    raw = np.array([s.raw_confidence for s in scores])
    summary = np.array([s.summary for s in scores])
    if fit_data is None:
        platt = PlattScaling.fit(raw, correct, summary if head else None)
    calibrated = platt(raw, summary)
    threshold = choose_threshold(calibrated, correct, target)
    metrics = receipt_metrics([s.receipt for s in scores], data.receipts, calibrated, threshold)
    metrics["ece_uncalibrated"] = round(expected_calibration_error(raw, correct), 5)
    scorer.platt = platt
    return Calibrated(platt=platt, threshold=threshold, holdout=holdout_summary(calibrated, correct), metrics=metrics)


def evaluate(scorer: Scorer, data: Dataset, threshold: float) -> tuple[dict[str, Any], list[VisitScore], NDArray[Any]]:
    started = time.perf_counter()
    scores = scorer.score(data.features)
    elapsed = time.perf_counter() - started
    confidence = np.array([s.confidence for s in scores])
    metrics = receipt_metrics([s.receipt for s in scores], data.receipts, confidence, threshold)
    metrics["score_seconds"] = round(elapsed, 3)
    correct = np.array([s.receipt == r for s, r in zip(scores, data.receipts)])
    return metrics, scores, correct


@dataclass
class TrainingResult:
    model: VisitModel
    model_cal: Calibrated
    baseline_cal: Calibrated
    training_data: dict[str, Any]
    seconds: float
    final_loss: float


def calibrator_fit_visits(threshold_visits: int, fit_visits: int | None = None) -> int:
    """Visits the calibrator is fitted on: ``fit_visits`` when given, else half the
    threshold visits (at least 500). A few thousand fit its handful of weights; the
    threshold's margin is what needs many visits."""
    return fit_visits if fit_visits else max(threshold_visits // 2, 500)


def training_platform() -> dict[str, str]:
    """What a version's training ran on, beyond its seeds: training repeats bit for bit
    on the same torch and the same vector kernels, and not across them (torch picks
    AVX-512 or AVX2 kernels by the processor, and they round differently; after
    thousands of steps the networks differ)."""
    return {"torch": torch.__version__, "cpu_kernels": torch.backends.cpu.get_cpu_capability()}


def train_and_calibrate(
    *,
    scenario: str,
    visits: int,
    seed: int,
    calibration_visits: int,
    epochs: int,
    target: float,
    config: NetConfig | None = None,
    batch_size: int = 128,
    lr: float = 2e-3,
    on_step: Callable[[int, float], None] | None = None,
    members: int = 1,
    fit_visits: int | None = None,
) -> TrainingResult:
    """Train on ``visits`` simulated visits of seed ``seed``; with ``members`` above one an
    ensemble, member ``k`` trained on its own ``visits`` visits of seed ``seed + k``."""
    if members < 1:
        raise ValueError(f"members is a number of networks, 1 or more; got {members}")
    started = time.perf_counter()
    train = simulated_dataset(scenario, visits, seed)
    extra = [simulated_dataset(scenario, visits, seed + k).features for k in range(1, members)]
    fit_n = calibrator_fit_visits(calibration_visits, fit_visits)
    fit = simulated_dataset(scenario, fit_n, seed + CALIBRATION_SEED_OFFSET)
    held = simulated_dataset(scenario, calibration_visits, seed + THRESHOLD_SEED_OFFSET)
    losses: list[float] = []

    def step(i: int, loss: float) -> None:
        losses.append(loss)
        if on_step is not None:
            on_step(i, loss)

    options: dict[str, Any] = {"config": config, "epochs": epochs, "batch_size": batch_size, "lr": lr, "on_step": step}
    model: VisitModel
    if members == 1:
        model = train_network(train.features, seed=seed, **options)
    else:
        model = train_members([train.features, *extra], seeds=[seed + k for k in range(members)], **options)
    model_cal = calibrate(TransformerScorer(model), held, target=target, fit_data=fit)
    baseline_cal = calibrate(BaselineScorer(), held, target=target, fit_data=fit)
    trained = [f for features in (train.features, *extra) for f in features]  # every member's visits
    missing = sum(int(f.meta.get("missing_product", 0)) for f in trained)
    # Labelled reaches whose true product none of the reach's candidates hold: the product
    # head cannot learn them, as it cannot learn events without a candidate.
    reaches_missing = sum(f.reach_missing_product for f in trained)
    events = sum(len(f.events) for f in trained)
    training_data = {
        "source": "simulator",
        "scenario": scenario,
        "train_seed": seed,
        "train_visits": visits,
        "calibration_seed": seed + CALIBRATION_SEED_OFFSET,
        "calibration_visits": fit_n,
        "threshold_seed": seed + THRESHOLD_SEED_OFFSET,
        "threshold_visits": calibration_visits,
        "epochs": epochs,
        "members": members,
        "member_train_seeds": [seed + k for k in range(members)],
        "events": events,
        "events_without_candidate": missing,
        "reaches_without_candidate": reaches_missing,
        **training_platform(),
    }
    return TrainingResult(
        model=model,
        model_cal=model_cal,
        baseline_cal=baseline_cal,
        training_data=training_data,
        seconds=time.perf_counter() - started,
        final_loss=float(np.mean(losses[-20:])) if losses else float("nan"),
    )
