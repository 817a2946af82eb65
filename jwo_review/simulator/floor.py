"""The look-alike floor: the reviews same-plate look-alikes cost a reader who knows more
than any model can.

Many candy bars of one brand sit on the same plate and weigh within a gram or two of
each other, so only the cameras can tell them apart, and a scenario with
``vision.shared_confusion`` confuses all views of one reach the same way. This module
asks how many visits must go to review for that reason alone, whatever the model.

The reader (a "genie") is told everything about each visit except which of the
same-family products faced on the plate each payment-group pick took, and for that it
gets more than the store reports: each view's exact classifier logits for those
products (before the softmax, rounding and top-k cut), each view's occlusion and slant,
the weight change with 2 g of noise, and the planogram's prior P(product | plate). From
the scenario's own vision model it computes the exact posterior and bills the likeliest
product. Put-backs, strangers, the detector and every other decision it gets right for
free. Vision is drawn afresh from the scenario's model (its own stream), so the figures
are the expected cost, not a replay of one run's camera bytes.

A model sees less, so to reach a target auto-issued accuracy it needs at least as many
reviews as the genie does when look-alikes alone may use the whole error budget, and
more once its other errors take their share: ``reviews_by_errors`` gives the genie's
reviews for each number of look-alike errors let through.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from jwo_review.simulator.behaviour import Interaction, VisitPlan
from jwo_review.simulator.generate import visit_plan
from jwo_review.simulator.scenario import VISION_VIEW_DEFAULTS, Scenario
from jwo_review.simulator.vision import (
    cameras_seeing,
    logit_mean_std,
    view_miss_rate,
    view_occluded,
    view_sharpness,
)

GENIE_WEIGHT_NOISE_G = 2.0  # the weight change as the genie reads it: better than the detector's
GENIE_STREAM = 0xF100  # spawn key of the genie's own vision draws, apart from every visit's stream
DEFAULT_ALLOWED = (0, 5, 10, 15, 20)


@dataclass
class FloorReport:
    scenario: str
    visits: int
    seed: int
    target: float
    moves: int = 0
    """payment-group picks of a product that shares its plate with its own family"""
    wrong_visits: int = 0
    """visits the genie bills wrong when it reviews nothing"""
    reviews_per_1000: float = 0.0
    """the genie's reviews at ``target`` when look-alikes may use the whole error budget"""
    reviews_by_errors: dict[int, float] = field(default_factory=dict)
    """look-alike errors let through (of ``visits``) -> the genie's reviews per 1,000"""

    def as_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "visits": self.visits,
            "seed": self.seed,
            "target": self.target,
            "moves": self.moves,
            "wrong_visits": self.wrong_visits,
            "reviews_per_1000": self.reviews_per_1000,
            "reviews_by_errors": {str(k): v for k, v in self.reviews_by_errors.items()},
        }


def look_alikes_on_plate(scenario: Scenario, act: Interaction) -> list[str]:
    """The products of ``act``'s family faced on its plate (itself included), or [] when it
    has no family or is alone there: the answers only vision and weight choose between."""
    family = scenario.products[act.sku].family if act.sku else ""
    if not family:
        return []
    same = [s for s in scenario.facings.get(act.plate, []) if scenario.products[s].family == family]
    return same if len(same) > 1 else []


def _views(
    scenario: Scenario, plan: VisitPlan, act: Interaction, rng: np.random.Generator
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Each seeing view's logit scale (slant and occlusion) and occlusion, after misses,
    as ``vision_events`` draws them."""
    info = scenario.plates[act.plate]
    scale, occluded = [], []
    for camera, far in cameras_seeing(scenario, info.x_m, info.y_m):
        occ = view_occluded(plan, camera.code, act.t_start, act.t_end)
        if rng.random() < view_miss_rate(scenario, occ, far):
            continue
        scale.append((0.6 if occ else 1.0) * view_sharpness(scenario, far))
        occluded.append(occ)
    return np.array(scale, dtype=np.float64), np.array(occluded, dtype=bool)


def _log_normal(x: NDArray[np.float64], mean: NDArray[np.float64], cov: NDArray[np.float64]) -> float:
    d = x - mean
    _, logdet = np.linalg.slogdet(cov)
    return float(-0.5 * (d @ np.linalg.solve(cov, d) + logdet))


def posterior(
    scenario: Scenario,
    act: Interaction,
    products: list[str],
    scale: NDArray[np.float64],
    occluded: NDArray[np.bool_],
    rng: np.random.Generator,
) -> NDArray[np.float64]:
    """Draw the views' logits of ``products`` for the true pick ``act`` from the scenario's
    vision model, then return the exact posterior over ``products`` given them, the weight
    change and the planogram."""
    shared = float(scenario.vision.get("shared_confusion", VISION_VIEW_DEFAULTS["shared_confusion"]))

    def mean_std(product: str, hypothesis: str) -> tuple[NDArray[np.float64], float]:
        # Occlusion lowers the true product's mean, never a logit's spread.
        means = [logit_mean_std(scenario, product, hypothesis, bool(occ))[0] for occ in occluded]
        return scale * np.array(means, dtype=np.float64), float(logit_mean_std(scenario, product, hypothesis, False)[1])

    def cov(std: float) -> NDArray[np.float64]:
        return np.outer(scale, scale) * shared * std**2 + np.diag(scale**2) * (1.0 - shared) * std**2

    logits: dict[str, NDArray[np.float64]] = {}
    for product in products:
        mean, std = mean_std(product, str(act.sku))
        common, own = rng.standard_normal(), rng.standard_normal(len(scale))
        logits[product] = mean + scale * std * (math.sqrt(shared) * common + math.sqrt(1.0 - shared) * own)
    change = sum(act.unit_weights)
    log_post = np.zeros(len(products))
    for h, hypothesis in enumerate(products):
        if len(scale):
            for product in products:
                mean, std = mean_std(product, hypothesis)
                log_post[h] += _log_normal(logits[product], mean, cov(std))
        info = scenario.products[hypothesis]
        var = GENIE_WEIGHT_NOISE_G**2 + act.quantity * info.unit_weight_std_g**2
        log_post[h] += -0.5 * (change - act.quantity * info.unit_weight_g) ** 2 / var - 0.5 * math.log(var)
        # A shopper picks a product, then one of the plates it is faced on (one family, one popularity).
        log_post[h] -= math.log(len(scenario.sku_plates[hypothesis]))
    post = np.exp(log_post - log_post.max())
    return np.asarray(post / post.sum(), dtype=np.float64)


def reviews_needed(sure: NDArray[np.float64], wrong: NDArray[np.bool_], allowed: int) -> int:
    """Fewest visits to review, least sure first, so that at most ``allowed`` wrong ones
    are auto-issued."""
    order = np.argsort(sure, kind="stable")
    let_through = int(wrong.sum())
    for reviewed, i in enumerate(order):
        if let_through <= allowed:
            return reviewed
        let_through -= int(wrong[i])
    return len(order)


def look_alike_floor(
    scenario: Scenario,
    visits: int,
    seed: int,
    target: float = 0.995,
    allowed: Iterable[int] = DEFAULT_ALLOWED,
    progress: Any = None,
) -> FloorReport:
    """The genie's cost on ``visits`` visits of run ``seed`` (the visits ``evaluate_model``
    scores with the same scenario, count and seed). ``progress`` is called once per visit."""
    report = FloorReport(scenario=scenario.name, visits=visits, seed=seed, target=target)
    rng = np.random.default_rng([GENIE_STREAM, seed])
    sure = np.ones(visits)
    wrong = np.zeros(visits, dtype=bool)
    digest = int(scenario.fingerprint, 16)
    for i in range(visits):
        plan = visit_plan(scenario, seed=seed, index=i, digest=digest)
        group = {p.track_id for p in plan.group}
        for act in plan.interactions:
            if act.action != "pick" or act.track_id not in group:
                continue
            products = look_alikes_on_plate(scenario, act)
            if not products:
                continue
            report.moves += 1
            scale, occluded = _views(scenario, plan, act, rng)
            post = posterior(scenario, act, products, scale, occluded, rng)
            k = int(np.argmax(post))
            sure[i] *= float(post[k])
            wrong[i] |= products[k] != act.sku
        if progress is not None:
            progress()
    report.wrong_visits = int(wrong.sum())
    report.reviews_by_errors = {a: round(1000 * reviews_needed(sure, wrong, a) / visits, 1) for a in allowed}
    # At the target, the budget is a share of the visits auto-issued: review until it holds.
    order = np.argsort(sure, kind="stable")
    let_through, reviewed = int(wrong.sum()), 0
    while reviewed < visits and let_through > (1.0 - target) * (visits - reviewed):
        let_through -= int(wrong[order[reviewed]])
        reviewed += 1
    report.reviews_per_1000 = round(1000 * reviewed / visits, 1)
    return report
