"""Score one trained ensemble's visits several ways and compare the reviews each needs.

The README's "Other scorings of the same networks, tried" comes from this script. Each
scoring gets its own calibrator, fitted on the recipe's calibration visits, and its own
threshold, chosen on the recipe's threshold visits, as ``train_model`` does; then all are
judged on the same fresh seeds of the default store.

    .venv/bin/python scripts/compare_scorings.py MODEL_ID

About 5 minutes on 2 cores for a two-network version (simulating 60,000 visits is most
of it). The scorings:

- ``today``: the product's own (``inference.decode``), the networks' log-probabilities
  averaged;
- ``receipt_sum``: the decoded receipt's own probability, summed over every choice of the
  events' contributions that gives the same receipt (contributions under ``MIN_OUTCOME``
  dropped, the ``MAX_STATES`` likeliest partial receipts kept);
- ``receipt_likeliest``: the receipt with the largest such sum, and that sum;
- ``mixture`` / ``product_of_experts``: the networks' probabilities averaged, or their
  log-probabilities summed;
- ``member_0``, ``member_1``, ...: each network alone.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

import django
import numpy as np
import torch

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jwo_review.settings")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
django.setup()

from inference.calibration import PlattScaling, choose_threshold, expected_calibration_error  # noqa: E402
from inference.decode import decode  # noqa: E402
from inference.features import (  # noqa: E402
    MAX_QUANTITY,
    NOISE,
    PICK,
    PUT_BACK,
    REACH_NONE,
    REACH_PICK,
    REACH_PUT_BACK,
    RESTOCK,
    VisitFeatures,
)
from inference.metrics import hindsight_reviews  # noqa: E402
from inference.models import ModelVersion  # noqa: E402
from inference.network import collate, networks_of  # noqa: E402
from inference.services import loaded_scorer  # noqa: E402
from inference.training import simulated_dataset  # noqa: E402

MIN_OUTCOME = 1e-3
MAX_STATES = 64
SETS = {"threshold_visits": (30000, 2000007), "s101": (5000, 101), "s202": (5000, 202), "s303": (5000, 303)}
FIT = (15000, 1000004)
RECEIPT_SCORINGS = ("receipt_sum", "receipt_likeliest")

Outcome = tuple[float, str | None, int]  # probability, sku (None: nothing for the receipt), signed units
Scored = tuple[dict[str, int], float, list[float]]  # receipt, raw confidence, calibrator summary


def event_outcomes(f: VisitFeatures, action: Any, pq: Any, track: Any, reach: Sequence[Any]) -> list[list[Outcome]]:
    """Per weight event and per unexplained reach, what it may add to the group's receipt."""
    n_t = len(f.track_ids)
    group = f.is_group[:n_t]
    out: list[list[Outcome]] = []
    for e in range(len(f.events)):
        a, p, t = action[e], pq[e, : len(f.candidates[e]) * MAX_QUANTITY], track[e, :n_t]
        p_group = float(t[group].sum()) if n_t else 0.0
        opts: list[Outcome] = [(float(a[NOISE] + a[RESTOCK]) + float(a[PICK] + a[PUT_BACK]) * (1 - p_group), None, 0)]
        for i in range(len(p)):
            sku, q = f.candidates[e][i // MAX_QUANTITY], i % MAX_QUANTITY + 1
            for sign, act in ((1, PICK), (-1, PUT_BACK)):
                if (pr := float(a[act]) * float(p[i]) * p_group) > MIN_OUTCOME:
                    opts.append((pr, sku, sign * q))
        out.append(opts)
    ra, rp, rq, rt = reach
    for r in range(len(f.reaches)):
        a, t = ra[r], rt[r][:n_t]
        p_group = float(t[group].sum()) if n_t else 0.0
        moved = float(a[REACH_PICK] + a[REACH_PUT_BACK])
        opts = [(float(a[REACH_NONE]) + moved * (1 - p_group), None, 0)]
        for k, sku in enumerate(f.reach_candidates[r]):
            for qi in range(MAX_QUANTITY):
                for sign, act in ((1, REACH_PICK), (-1, REACH_PUT_BACK)):
                    if (pr := float(a[act]) * float(rp[r][k]) * float(rq[r][qi]) * p_group) > MIN_OUTCOME:
                        opts.append((pr, sku, sign * (qi + 1)))
        out.append(opts)
    return out


def receipt_distribution(outcomes: list[list[Outcome]]) -> dict[tuple[tuple[str, int], ...], float]:
    """The probability of each receipt, the events' contributions taken as independent."""
    states: dict[tuple[tuple[str, int], ...], float] = {(): 1.0}
    for opts in outcomes:
        nxt: dict[tuple[tuple[str, int], ...], float] = {}
        for state, ps in states.items():
            for pr, sku, delta in opts:
                key = state
                if sku is not None:
                    net = dict(state)
                    net[sku] = net.get(sku, 0) + delta
                    key = tuple(sorted((s, v) for s, v in net.items() if v))
                nxt[key] = nxt.get(key, 0.0) + ps * pr
        states = dict(sorted(nxt.items(), key=lambda kv: -kv[1])[:MAX_STATES])
    receipts: dict[tuple[tuple[str, int], ...], float] = {}
    for state, ps in states.items():
        key = tuple((s, v) for s, v in state if v > 0)  # a net put-back bills nothing
        receipts[key] = receipts.get(key, 0.0) + ps
    return receipts


COMBINE: dict[str, Callable[[list[torch.Tensor]], torch.Tensor]] = {
    "today": lambda h: torch.softmax(torch.stack([torch.log_softmax(x, -1) for x in h]).mean(0), -1),
    "mixture": lambda h: torch.stack([torch.softmax(x, -1) for x in h]).mean(0),
    "product_of_experts": lambda h: torch.softmax(torch.stack([torch.log_softmax(x, -1) for x in h]).sum(0), -1),
}


def _member(k: int) -> Callable[[list[torch.Tensor]], torch.Tensor]:
    return lambda heads: torch.softmax(heads[k], -1)


def score_all(model: torch.nn.Module, features: list[VisitFeatures]) -> dict[str, list[Scored]]:
    nets = networks_of(model)
    combine = dict(COMBINE)
    for k in range(len(nets)):
        combine[f"member_{k}"] = _member(k)
    out: dict[str, list[Any]] = {name: [None] * len(features) for name in [*combine, *RECEIPT_SCORINGS]}
    order = sorted(range(len(features)), key=lambda i: len(features[i].events))
    with torch.inference_mode():
        for start in range(0, len(order), 256):
            idx = order[start : start + 256]
            heads = [net.forward_all(collate([features[i] for i in idx], reaches=True)) for net in nets]
            for name, fn in combine.items():
                ev = [fn([h[0][k] for h in heads]).numpy() for k in range(3)]
                rc = [fn([h[1][k] for h in heads if h[1] is not None]).numpy() for k in range(4)]
                for row, i in enumerate(idx):
                    f, events, reach = features[i], [x[row] for x in ev], [x[row] for x in rc]
                    s = decode(f, events[0], events[1], events[2], reach=reach)
                    out[name][i] = (s.receipt, s.raw_confidence, s.summary)
                    if name == "today":
                        dist = receipt_distribution(event_outcomes(f, events[0], events[1], events[2], reach))
                        p_dec = dist.get(tuple(sorted(s.receipt.items())), 0.0)
                        best, p_best = max(dist.items(), key=lambda kv: kv[1])
                        out["receipt_sum"][i] = (s.receipt, max(p_dec, 1e-12), s.summary)
                        likeliest = (dict(best), p_best) if p_best > p_dec else (s.receipt, p_dec)
                        out["receipt_likeliest"][i] = (likeliest[0], max(likeliest[1], 1e-12), s.summary)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("model", type=int, help="A model version id with vision items.")
    parser.add_argument("--scenario", default="default")
    parser.add_argument("--target", type=float, default=0.995)
    args = parser.parse_args()
    model = loaded_scorer(ModelVersion.objects.get(pk=args.model)).model  # type: ignore[attr-defined]
    results: dict[str, tuple[dict[str, list[Scored]], list[dict[str, int]]]] = {}
    for name, (n, seed) in {"fit": FIT, **SETS}.items():
        started = time.perf_counter()
        data = simulated_dataset(args.scenario, n, seed)
        results[name] = (score_all(model, data.features), data.receipts)
        seconds = time.perf_counter() - started
        print(f"{name}: {n} visits of seed {seed} simulated and scored in {seconds:.0f} s", flush=True)

    def arrays(name: str, scoring: str) -> tuple[Any, Any, Any]:
        rows, truth = results[name][0][scoring], results[name][1]
        ok = np.array([r[0] == t for r, t in zip(rows, truth)])
        return np.array([r[1] for r in rows]), ok, np.array([r[2] for r in rows])

    for scoring in results["fit"][0]:
        raw, ok, summary = arrays("fit", scoring)
        platt = PlattScaling.fit(raw, ok, summary)
        raw, ok, summary = arrays("threshold_visits", scoring)
        threshold = choose_threshold(platt(raw, summary), ok, args.target)
        report: dict[str, Any] = {"scoring": scoring, "threshold": round(threshold, 6)}
        for name in SETS:
            raw, ok, summary = arrays(name, scoring)
            conf = platt(raw, summary)
            auto = conf >= threshold
            report[name] = {
                "reviews_per_1000": round(1000 * (1 - float(auto.mean())), 2),
                "auto_issued_accuracy": round(float(ok[auto].mean()), 5),
                "reviews_per_1000_hindsight": hindsight_reviews(conf, ok, args.target),
                "receipt_accuracy": round(float(ok.mean()), 5),
                "ece": round(expected_calibration_error(conf, ok), 5),
            }
        print(json.dumps(report), flush=True)


if __name__ == "__main__":
    main()
