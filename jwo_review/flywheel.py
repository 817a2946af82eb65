"""The flywheel, day after day, in a fresh store: ingest -> score -> route -> review ->
annotate -> the nightly job (dataset version, candidate, gate, threshold) -> next day.

Everything runs through the production code: visits enter through ``visits_ingest``;
scoring and routing are the Celery tasks the ingest hook queues (run in-process by the
command, ``task_always_eager``); simulated reviewers and annotators decide through the
same services a browser calls; the nightly job is the ``nightly_store`` task beat runs.
Only the simulator's truth is extra, kept in ``VisitTruth`` and read here to score the
day, never by the system. Like ``pipeline.py`` this module imports the apps inside its
functions, so the store domain keeps importing none of them.
"""

from __future__ import annotations

import copy
import multiprocessing
import os
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

INGEST_BATCH = 100


@dataclass
class DayRow:
    day: int
    visits: int
    reviews_per_1000: float
    true_auto_issued_accuracy: float | None
    audit_estimate: float | None
    threshold: float | None
    model_version: str
    promoted: bool
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.update(out.pop("extra"))
        return out


def _simulate_range(scenario_name: str, seed: int, start: int, n: int) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    from jwo_review.simulator.generate import simulate_visits
    from jwo_review.simulator.scenario import load_scenario

    scenario = load_scenario(scenario_name)
    return [(s.payload, s.truth) for s in simulate_visits(scenario, n, seed, start=start, streams=False)]


def simulate_day(scenario_name: str, seed: int, start: int, n: int) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Visits ``start`` .. ``start + n - 1`` of the run (in two processes: visits are
    independent given seed and index, so the result is the same as one process gives)."""
    workers = min(2, os.cpu_count() or 1)
    size = max(1, -(-n // (workers * 4)))
    ranges = [(a, min(size, start + n - a)) for a in range(start, start + n, size)]
    if workers <= 1 or n < 200:
        parts = [_simulate_range(scenario_name, seed, a, k) for a, k in ranges]
    else:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            parts = list(pool.map(_simulate_range, *zip(*[(scenario_name, seed, a, k) for a, k in ranges])))
    return [v for part in parts for v in part]


def flywheel_store(*, scenario_name: str, run: str) -> Any:
    """A fresh store with the scenario's layout under its own code (one per run)."""
    from jwo_review.simulator.scenario import load_scenario
    from jwo_review.store.services.layout import store_load_spec

    spec = copy.deepcopy(load_scenario(scenario_name).store_spec)
    spec["code"] = f"{spec['code']}-{run}"[:32]
    spec["name"] = f"{spec.get('name', spec['code'])} (flywheel {run})"
    return store_load_spec(spec)


def flywheel_people(*, run: str) -> tuple[Any, dict[str, Any]]:
    """The run's simulated reviewer and annotation crew (users with their roles)."""
    from django.contrib.auth import get_user_model

    from annotation.simulated import crew_users
    from jwo_review.accounts.roles import Role, ensure_role_groups

    groups = ensure_role_groups()
    users = get_user_model().objects
    reviewer, _ = users.get_or_create(username=f"fw-reviewer-{run}"[:150])
    reviewer.groups.add(groups[Role.REVIEWER])
    return reviewer, crew_users(username="fw-{name}-" + run.replace("{", "{{").replace("}", "}}"))


def _group_receipt(lines: list[dict[str, Any]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for x in lines:
        out[str(x["sku"])] = out.get(str(x["sku"]), 0) + int(x["quantity"])
    return {k: v for k, v in out.items() if v > 0}


def day_figures(*, visit_ids: list[int]) -> dict[str, Any]:
    """The day's review rate, and the true accuracy of what was auto-issued (from the
    simulator's truth: the group's receipt, units per product, as ``evaluate_model``
    measures it), and the share of the day's audits that found the receipt right."""
    from jwo_review.simulator.models import VisitTruth
    from jwo_review.store.models import Receipt
    from low_confidence_queue.models import Reason, ReviewTask, RoutingOutcome, VisitRouting

    routed = list(
        VisitRouting.objects.filter(visit_id__in=visit_ids).values(
            "visit_id", "outcome", "reason", "threshold", "model_version"
        )
    )
    auto = [r["visit_id"] for r in routed if r["outcome"] == RoutingOutcome.AUTO_ISSUED]
    truths = dict(VisitTruth.objects.filter(visit_id__in=auto).values_list("visit_id", "truth"))
    issued: dict[int, list[dict[str, Any]]] = {}
    for receipt in Receipt.objects.filter(visit_id__in=auto, source="model").prefetch_related("lines__product"):
        issued[receipt.visit_id] = [
            {"sku": line.product.sku, "quantity": line.quantity} for line in receipt.lines.all()
        ]
    right = sum(
        _group_receipt(issued.get(v, [])) == _group_receipt(truths[v].get("receipt", [])) for v in auto if v in truths
    )
    # An audit found the receipt right when the final receipt the reviewer gave charges the
    # group what the model's did (the same units per product).
    audited = list(
        ReviewTask.objects.filter(visit_id__in=visit_ids, reason=Reason.AUDIT, receipt__isnull=False)
        .select_related("prediction")
        .prefetch_related("receipt__lines__product")
    )
    n_audits = len(audited)
    audit_right = sum(
        _group_receipt(t.prediction.lines if t.prediction else [])
        == _group_receipt([{"sku": x.product.sku, "quantity": x.quantity} for x in t.receipt.lines.all()])
        for t in audited
        if t.receipt is not None
    )
    reasons: dict[str, int] = {}
    for r in routed:
        if r["reason"]:
            reasons[r["reason"]] = reasons.get(r["reason"], 0) + 1
    thresholds = [r["threshold"] for r in routed]
    versions = sorted({r["model_version"] for r in routed})
    return {
        "visits": len(visit_ids),
        "routed": len(routed),
        "reviews": len(routed) - len(auto),
        "auto_issued": len(auto),
        "auto_right": right,
        "reasons": reasons,
        "audits_decided": n_audits,
        "audit_estimate": round(audit_right / n_audits, 5) if n_audits else None,
        "threshold": round(sum(thresholds) / len(thresholds), 6) if thresholds else None,
        "model_versions": versions,
    }


def flywheel_day(
    *,
    store: Any,
    scenario_name: str,
    day: int,
    visits: int,
    seed: int,
    reviewer: Any,
    crew: dict[str, Any],
    reviewer_error: float,
    annotate_slots: int,
    on_progress: Callable[[str, int], None] | None = None,
) -> DayRow:
    """One simulated day in ``store``, then its nightly job."""
    from annotation.simulated import annotations_simulate
    from jwo_review.simulator.generate import SimVisit
    from jwo_review.simulator.scenario import load_scenario
    from jwo_review.simulator.services import visit_truths_store
    from jwo_review.store.services.ingest import visits_ingest
    from low_confidence_queue.models import StoreThreshold
    from low_confidence_queue.simulated import reviews_simulate
    from low_confidence_queue.tasks import nightly_store

    def progress(stage: str, n: int) -> None:
        if on_progress is not None:
            on_progress(stage, n)

    timings: dict[str, float] = {}
    started = time.perf_counter()
    sims = simulate_day(scenario_name, seed, (day - 1) * visits, visits)
    timings["simulate_s"] = time.perf_counter() - started
    scenario = load_scenario(scenario_name)
    visit_ids: list[int] = []
    mark = time.perf_counter()
    for start in range(0, len(sims), INGEST_BATCH):
        batch = [SimVisit(payload={**p, "store": store.code}, truth=t) for p, t in sims[start : start + INGEST_BATCH]]
        # Ingest commits, then its hook queues scoring, which routes: eager here, a worker in production.
        results = visits_ingest(payloads=[b.payload for b in batch], source="simulator")
        visit_truths_store(scenario=scenario, seed=seed, results=results, visits=batch)
        visit_ids += [r.id for r in results]
        progress("ingest", len(batch))
    timings["ingest_score_route_s"] = time.perf_counter() - mark
    mark = time.perf_counter()
    decided = reviews_simulate(reviewer=reviewer, limit=10 * visits + 100, error_rate=reviewer_error, seed=seed)
    timings["review_s"] = time.perf_counter() - mark
    progress("review", 0)
    mark = time.perf_counter()
    labelled = annotations_simulate(people=crew, limit=annotate_slots, seed=seed + day) if annotate_slots else {}
    timings["annotate_s"] = time.perf_counter() - mark
    figures = day_figures(visit_ids=visit_ids)
    mark = time.perf_counter()
    night = nightly_store.delay(store.pk).get()
    timings["nightly_s"] = time.perf_counter() - mark
    progress("nightly", 0)
    after = StoreThreshold.objects.filter(store=store).first()
    auto = figures["auto_issued"]
    return DayRow(
        day=day,
        visits=figures["visits"],
        reviews_per_1000=round(1000 * figures["reviews"] / max(1, figures["visits"]), 1),
        true_auto_issued_accuracy=round(figures["auto_right"] / auto, 5) if auto else None,
        audit_estimate=figures["audit_estimate"],
        threshold=figures["threshold"],
        model_version=",".join(figures["model_versions"]),
        promoted=bool(night.get("promoted")) and bool(night.get("trained")),
        extra={
            "auto_issued": auto,
            "reasons": figures["reasons"],
            "reviewer": decided,
            "annotation": labelled,
            "nightly": {k: night.get(k) for k in ("reason", "version", "dataset")},
            "gate": (night.get("gate") or {}).get("checks"),
            "next_threshold": None if after is None else round(after.threshold, 6),
            "next_audit_rate": None if after is None else after.audit_rate,
            "next_threshold_source": None if after is None else after.source,
            "seconds": {k: round(v, 1) for k, v in {**timings, "day_s": time.perf_counter() - started}.items()},
        },
    )


def flywheel_plot(*, scenario: str, rows: list[DayRow], path: str) -> None:
    """Review rate and true auto-issued accuracy per day, promotions marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    days = [r.day for r in rows]
    fig, left = plt.subplots(figsize=(7, 4))
    left.plot(days, [r.reviews_per_1000 for r in rows], "o-", color="tab:blue", label="reviews per 1,000")
    left.set_xlabel("day")
    left.set_ylabel("reviews per 1,000 visits", color="tab:blue")
    left.set_ylim(bottom=0)
    right = left.twinx()
    acc = [100 * r.true_auto_issued_accuracy if r.true_auto_issued_accuracy is not None else float("nan") for r in rows]
    right.plot(days, acc, "s-", color="tab:green", label="true auto-issued accuracy")
    right.axhline(99.5, color="tab:green", linestyle=":", linewidth=1)
    right.set_ylabel("true auto-issued accuracy (%)", color="tab:green")
    right.set_ylim(min([98.5] + [a for a in acc if a == a]), 100.05)
    for r in rows:
        if r.promoted:
            left.axvline(r.day + 0.5, color="tab:red", linestyle="--", linewidth=1)
            left.annotate("promoted", (r.day + 0.5, 0), rotation=90, color="tab:red", fontsize=8, va="bottom")
    left.set_xticks(days)
    left.set_title(f"Flywheel: {scenario} (new store, dashed: nightly promotion)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
