"""The product x quantity pair columns, one function per group of ``PRODUCT_PAIR``.

Each weight event points at one of up to K candidate products times Q quantities; a
candidate's block [Q, PRODUCT_PAIR.width] says how well q units of it explain the change.
A group's function gives its columns for all of an event's candidates at once: arrays
[candidates, Q], or [candidates, 1] for what does not depend on the quantity.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from inference.features.scene import QUANTITIES, EventScene, VisitScene
from inference.features.schema import MAX_QUANTITY, PRODUCT_PAIR, Columns

# A group's columns for an event's candidates, given the visit's earlier picks.
PairColumns = Callable[[VisitScene, EventScene, dict[str, float]], Columns]


def _per_candidate(values: list[float] | list[bool]) -> NDArray[Any]:
    return np.array(values)[:, None]


def _quantity_fit(visit: VisitScene, s: EventScene, earlier: dict[str, float]) -> Columns:
    return {
        "weight_z": np.clip(s.z, -8, 8) / 4,
        "weight_z_squared": np.minimum(s.z**2, 64) / 16,
        "quantity": QUANTITIES / MAX_QUANTITY,
        "single_unit": QUANTITIES == 1,
    }


def _product(visit: VisitScene, s: EventScene, earlier: dict[str, float]) -> Columns:
    ctx, on_plate = visit.ctx, visit.ctx.facings.get(s.plate, [])
    return {
        "log_unit_weight": _per_candidate([math.log(ctx.products[sku].unit_weight_g) / 6 for sku in s.candidates]),
        "faced_on_plate": _per_candidate([sku in on_plate for sku in s.candidates]),
        "facing_distance": _per_candidate([min(ctx.facing_distance(sku, s.plate), 1.0) for sku in s.candidates]),
    }


def _best_view(visit: VisitScene, s: EventScene, earlier: dict[str, float]) -> Columns:
    return {
        "best_view_score": _per_candidate([s.views.best.get(sku, 0.0) for sku in s.candidates]),
        "top_view_weight": _per_candidate([s.views.top.get(sku, 0.0) for sku in s.candidates]),
    }


def _history(visit: VisitScene, s: EventScene, earlier: dict[str, float]) -> Columns:
    return {"earlier_picks": _per_candidate([min(earlier.get(sku, 0.0), 2.0) / 2 for sku in s.candidates])}


def _catalogue(visit: VisitScene, s: EventScene, earlier: dict[str, float]) -> Columns:
    products = [visit.ctx.products[sku] for sku in s.candidates]
    return {
        "catalogue_fit": _per_candidate([s.z_all[visit.sku_index[sku]] < 2.0 for sku in s.candidates]),
        "weight_spread": _per_candidate([p.unit_weight_std_g / max(p.unit_weight_g, 1.0) * 10 for p in products]),
    }


def _pooled_views(visit: VisitScene, s: EventScene, earlier: dict[str, float]) -> Columns:
    views = s.views
    return {
        "mean_view_score": _per_candidate([views.mean.get(sku, 0.0) for sku in s.candidates]),
        "view_votes": _per_candidate(
            [views.votes.get(sku, 0.0) / views.weight if views.weight else 0.0 for sku in s.candidates]
        ),
        "views_naming": _per_candidate([min(views.named.get(sku, 0), 6) / 3 for sku in s.candidates]),
    }


def _two_hands(visit: VisitScene, s: EventScene, earlier: dict[str, float]) -> Columns:
    """When two people reach at once the detector can merge their changes: the group's
    share is then q units of one product beside one unit of another a view named. Each
    candidate's best such split, and how strongly a payment-group hand and anyone else's
    hand named it, let the heads bill the group's share instead of the whole change."""
    ctx, group = visit.ctx, set(visit.group_ids)
    seen = [ctx.products[sku] for sku in s.candidates if s.views.best.get(sku, 0.0) > 0]
    pair_z = np.full((len(s.candidates), MAX_QUANTITY), 8.0)
    if seen:
        own = [ctx.products[sku] for sku in s.candidates]
        unit = np.array([p.unit_weight_g for p in own])[:, None, None]
        var = np.array([p.unit_weight_std_g**2 for p in own])[:, None, None]
        partner_w = np.array([p.unit_weight_g for p in seen])[None, None, :]
        partner_var = np.array([p.unit_weight_std_g**2 for p in seen])[None, None, :]
        q = QUANTITIES[None, :, None]
        left = np.abs(abs(s.delta) - q * unit - partner_w) / np.sqrt(s.noise**2 + q * var + partner_var + 1.0)
        pair_z = np.minimum(left.min(axis=2), 8.0)
    group_score = dict.fromkeys(s.candidates, 0.0)
    other_score = dict.fromkeys(s.candidates, 0.0)
    people = {v.get("track_id") for v, _ in s.near}
    for v, at_plate in s.near:
        scores = group_score if v.get("track_id") in group else other_score
        for sku, score in (v.get("product_scores") or {}).items():
            if sku in scores:
                scores[sku] = max(scores[sku], at_plate * float(score))
    return {
        "pair_z": pair_z / 4,
        "group_hand_score": _per_candidate([group_score[sku] for sku in s.candidates]),
        "other_hand_score": _per_candidate([other_score[sku] for sku in s.candidates]),
        "hand_people": _per_candidate([min(len(people), 3) / 3] * len(s.candidates)),
    }


PRODUCT_GROUPS: dict[str, PairColumns] = {
    "quantity_fit": _quantity_fit,
    "product": _product,
    "best_view": _best_view,
    "history": _history,
    "catalogue": _catalogue,
    "pooled_views": _pooled_views,
    "two_hands": _two_hands,
}


def product_pairs(
    visit: VisitScene, scene: EventScene, earlier: dict[str, float], out: NDArray[Any], mask: NDArray[Any]
) -> None:
    """Fill one event's candidate blocks ``out`` [K, Q, width] and ``mask`` [K]; slots past
    the candidates stay zero and masked."""
    n = len(scene.candidates)
    if not n:
        return
    mask[:n] = True
    PRODUCT_PAIR.fill(out[:n], PRODUCT_GROUPS, visit, scene, earlier)


def remember_picks(scene: EventScene, pairs: NDArray[Any], earlier: dict[str, float]) -> None:
    """After weight left a plate, count its two likeliest products as maybe taken, so a
    put-back elsewhere can point at them. Reads the written (float32) pair columns."""
    if scene.delta >= 0 or not scene.candidates:
        return
    z, seen = pairs[:, :, PRODUCT_PAIR["weight_z"]], pairs[:, 0, PRODUCT_PAIR["best_view_score"]]
    fits = [(float(np.min(np.abs(z[k]))) * 4 - 3 * seen[k], sku) for k, sku in enumerate(scene.candidates)]
    for _, sku in sorted(fits)[:2]:
        earlier[sku] = earlier.get(sku, 0.0) + 1.0
