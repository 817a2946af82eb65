"""The retraining job of one store: snapshot its examples, fine-tune a candidate, judge it
beside the store's current version on the store's fixed holdout, and promote it only
through the gate. Everything the job writes about the candidate (the version, its weights,
the gate's figures, a promotion and the threshold that comes with it) is written in one
transaction at the end, so a job killed half-way leaves no half-made version."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import models, transaction

from inference.calibration import NEVER
from inference.datasets import dataset_examples, dataset_snapshot, visit_split
from inference.evidence import Evidence, at_threshold, loosest_threshold
from inference.models import DatasetVersion, ExampleKind, LabelledExample, ModelVersion, StoreModel
from inference.network import config_record
from inference.recipe import recipe
from inference.retraining import Candidate, candidate_train
from inference.scoring import model_to_bytes
from inference.selectors import active_model, model_for_store
from inference.services import visits_predict, visits_predict_with
from inference.training import training_platform
from jwo_review.errors import Conflict
from jwo_review.store.models import Store
from jwo_review.store.services.audit import audit_record
from low_confidence_queue.models import VisitRouting
from low_confidence_queue.services.policy import policy_for_store
from low_confidence_queue.services.thresholds import (
    Labelled,
    evidence_of,
    store_labelled,
    store_threshold_refresh,
    view_population,
)

log = logging.getLogger(__name__)
NOISE_SE = 2.0  # a slice regresses when the candidate is this many standard errors worse


@dataclass
class RetrainResult:
    store: str
    dataset: str | None
    version: str | None
    trained: bool
    promoted: bool
    reason: str
    gate: dict[str, Any] = field(default_factory=dict)


def _side(evidence: Evidence, threshold: float, visits_conf: np.ndarray[Any, Any]) -> dict[str, Any]:
    here = at_threshold(evidence, threshold) if threshold <= 1.0 else None
    reviews = float(np.mean(visits_conf < threshold)) * 1000 if len(visits_conf) else 1000.0
    return {
        "threshold": None if threshold > 1.0 else round(threshold, 6),
        "reviews_per_1000": round(reviews, 1),
        "lower_bound": here["lower_bound"] if here else None,
        "estimate": here["estimate"] if here else None,
        "n_eff": here["n_eff"] if here else 0.0,
    }


def _slices(dataset: DatasetVersion, labelled: Labelled) -> dict[str, set[int]]:
    """Holdout slices judged separately: why a visit was reviewed, visits with a put-back,
    and receipts of a group of shoppers."""
    rows = dataset_examples(dataset, split="holdout")
    put_back = {int(r["visit_id"]) for r in rows if r["kind"] == ExampleKind.EVENT and r["action"] == "put_back"}
    group = {v for v, lines in labelled.finals.items() if len({x.get("shopper_track_id") for x in lines}) > 1}
    audits = {v for v, w in labelled.weights.items() if w > 1.0}
    return {
        "audit": audits,
        "low_confidence": set(labelled.ids) - audits,
        "put_back": put_back & set(labelled.ids),
        "group": group,
    }


def _slice_regressions(
    slices: dict[str, set[int]], evidence: dict[str, Evidence], thresholds: dict[str, float]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, ids in slices.items():
        figures = {}
        for side in ("active", "candidate"):
            t = thresholds[side]
            figures[side] = at_threshold(evidence[side].only(ids), t) if t <= 1.0 else None
        a, c = figures["active"], figures["candidate"]
        regressed = False
        if a and c and a["estimate"] is not None and c["estimate"] is not None and a["n_eff"] and c["n_eff"]:
            pa, pc = float(a["estimate"]), float(c["estimate"])
            se = math.sqrt(max(pa * (1 - pa), 1e-4) / a["n_eff"] + max(pc * (1 - pc), 1e-4) / c["n_eff"])
            regressed = pc < pa - NOISE_SE * se
        out[name] = {"active": a, "candidate": c, "regressed": regressed}
    return out


def candidate_judge(*, candidate: Candidate, store: Store) -> dict[str, Any]:
    """The gate's figures for ``candidate`` beside its parent on the store's holdout:
    each side's loosest threshold meeting the target on the holdout's reviews and audits,
    the share of holdout visits it would send to review (per 1,000), its lower bound of
    auto-issued accuracy there, and per slice whether the candidate is worse beyond noise."""
    target = policy_for_store(store).target_accuracy
    dataset = candidate.dataset
    holdout_ids = {int(r["visit_id"]) for r in dataset_examples(dataset, split="holdout")}
    labelled = store_labelled(store=store, visit_ids=holdout_ids)
    routed = [
        v
        for v in VisitRouting.objects.filter(visit__store=store, routed_at__lte=dataset.created_at)
        .order_by("visit_id")
        .values_list("visit_id", flat=True)
        if visit_split(v) == "holdout"
    ]
    views = {
        "active": visits_predict(visit_ids=routed, model_version=candidate.parent),
        "candidate": visits_predict_with(scorer=candidate.scorer(), visit_ids=routed),
    }
    gate: dict[str, Any] = {
        "target_accuracy": target,
        "holdout_visits": len(routed),
        "holdout_labelled": len(labelled.ids),
    }
    thresholds: dict[str, float] = {}
    evidence: dict[str, Evidence] = {}
    for side, view in views.items():
        population = view_population(view, routed)
        evidence[side] = evidence_of(labelled, view, population)
        thresholds[side] = loosest_threshold(evidence[side], target)
        gate[side] = _side(evidence[side], thresholds[side], population[0])
    gate["slices"] = _slice_regressions(_slices(dataset, labelled), evidence, thresholds)
    a, c = gate["active"], gate["candidate"]
    checks = {
        "reviews_no_worse": c["reviews_per_1000"] <= a["reviews_per_1000"],
        "bound_meets_target": c["lower_bound"] is not None and c["lower_bound"] >= target,
        "no_slice_regression": not any(s["regressed"] for s in gate["slices"].values()),
    }
    gate["checks"] = checks
    gate["passed"] = all(checks.values())
    gate["candidate_threshold"] = thresholds["candidate"]
    return gate


def _register(
    *, candidate: Candidate, store: Store, gate: dict[str, Any], plan_name: str, seed: int
) -> tuple[ModelVersion, bool]:
    """Register the candidate and, if the gate passed, make it the store's version with
    the threshold its holdout evidence supports. One transaction; returns (version, made)."""
    with transaction.atomic():
        # The dataset row is the job's lock: a redelivered job waits here, then finds the version.
        DatasetVersion.objects.select_for_update().get(pk=candidate.dataset.pk)
        existing = ModelVersion.objects.filter(dataset_version=candidate.dataset).first()
        if existing is not None:
            return existing, False
        threshold = float(gate["candidate_threshold"])
        version = ModelVersion(
            name=f"{store.code}-{candidate.dataset.content_hash[:8]}-p{candidate.parent.pk}",
            kind="transformer",
            parent=candidate.parent,
            dataset_version=candidate.dataset,
            training_data={
                "source": "store examples + simulator",
                "store": store.code,
                "dataset_version": candidate.dataset.name,
                "parent": candidate.parent.name,
                "recipe": plan_name,
                "seed": seed,
                **candidate.counts,
                **training_platform(),
            },
            metrics={
                "train_seconds": round(candidate.seconds, 1),
                "config": config_record(candidate.model),
            },
            calibration={"method": "logistic" if candidate.platt.w else "platt", **candidate.platt.as_dict()},
            target_accuracy=float(gate["target_accuracy"]),
            threshold=threshold if threshold <= 1.0 else NEVER,
            gate={k: v for k, v in gate.items() if k != "candidate_threshold"},
        )
        version.weights.save(f"{version.name}.pt", ContentFile(model_to_bytes(candidate.model)), save=False)
        version.save()
        audit_record(
            action="model_gate_passed" if gate["passed"] else "model_gate_refused",
            actor_label="retraining",
            target=version,
            details={
                "store": store.code,
                "checks": gate["checks"],
                "active": gate["active"],
                "candidate": gate["candidate"],
            },
        )
        if gate["passed"]:
            store_model_promote(store=store, model_version=version, by_label="retraining")
        return version, True


@transaction.atomic
def store_model_promote(*, store: Store, model_version: ModelVersion, by_label: str) -> None:
    """Make ``model_version`` the one that scores ``store`` (audited, threshold moved)."""
    current = StoreModel.objects.select_for_update().filter(store=store).select_related("model_version").first()
    before = {"active": current.model_version.name if current else None}
    StoreModel.objects.update_or_create(store=store, defaults={"model_version": model_version})
    audit_record(
        action="model_promoted",
        actor_label=by_label,
        target=model_version,
        before=before,
        after={"active": model_version.name, "store": store.code, "threshold": model_version.threshold},
    )
    store_threshold_refresh(store=store, model_version=model_version)


@transaction.atomic
def store_model_rollback(*, store: Store, by: Any = None) -> ModelVersion:
    """Give ``store`` back the version that scored it before its current one: the current
    version's parent when that was the store's own too, else the company-wide active
    version (the store's row goes). Audited as ``model_rolled_back``; the threshold then
    comes from the store's evidence under the version it returns to."""
    current = StoreModel.objects.select_for_update().filter(store=store).select_related("model_version").first()
    if current is None:
        raise Conflict(
            f"Store {store.code} is scored by the company-wide model; roll that back instead.",
            fields={"store": ["No version of its own."]},
        )
    was = current.model_version
    company = active_model()
    parent = was.parent
    if parent is not None and parent.dataset_version is not None and parent.dataset_version.store_id == store.pk:
        current.model_version = parent
        current.save(update_fields=["model_version", "activated_at"])
        back = parent
    else:
        if company is None:
            raise Conflict("No company-wide active model to return the store to.")
        current.delete()
        back = company
    audit_record(
        action="model_rolled_back",
        actor=by,
        actor_label="" if by is not None else "system",
        target=back,
        before={"active": was.name, "store": store.code},
        after={"active": back.name, "store": store.code, "store_own": back != company},
    )
    store_threshold_refresh(store=store, model_version=back)
    return back


def store_retrain(*, store_id: int, preset: str | None = None, seed: int = 0, by: str = "retraining") -> RetrainResult:
    """One store's retraining job (idempotent: the same examples give the same dataset
    version, and the version already made from it is returned)."""
    store = Store.objects.get(pk=store_id)
    parent = model_for_store(store.pk)
    if parent is None:
        return RetrainResult(store.code, None, None, False, False, "no model to start from")
    dataset, _ = dataset_snapshot(store=store, by=by)
    # A dataset version is trained on once: after a promotion the store's parent is the new
    # version, and fine-tuning it again on the same examples would teach it nothing new.
    existing = ModelVersion.objects.filter(dataset_version=dataset).first()
    if existing is not None:
        promoted = StoreModel.objects.filter(store=store, model_version=existing).exists()
        return RetrainResult(store.code, dataset.name, existing.name, False, promoted, "already made", existing.gate)
    if int(dataset.counts.get("holdout_receipts", 0)) < settings.JWO_RETRAIN_MIN_HOLDOUT:
        return RetrainResult(store.code, dataset.name, None, False, False, "too few reviewed holdout visits")
    plan = recipe(preset or settings.JWO_RETRAIN_PRESET)
    candidate = candidate_train(dataset=dataset, parent=parent, plan=plan, seed=seed)
    gate = candidate_judge(candidate=candidate, store=store)
    version, made = _register(candidate=candidate, store=store, gate=gate, plan_name=plan.name, seed=seed)
    passed = bool(version.gate.get("passed"))
    reason = "promoted" if passed else "refused by the gate"
    log.info("Retraining %s: %s (%s)", store.code, reason, version.name)
    return RetrainResult(store.code, dataset.name, version.name, made, passed, reason, version.gate)


def store_nightly(*, store_id: int, preset: str | None = None, seed: int = 0) -> RetrainResult:
    """One store's night: retrain (promote or refuse), then, unless a promotion already
    set it, refresh the threshold from the evidence under the version that now scores it."""
    result = store_retrain(store_id=store_id, preset=preset, seed=seed, by="nightly")
    store = Store.objects.get(pk=store_id)
    if not (result.promoted and result.trained):
        version = model_for_store(store.pk)
        if version is not None and hasattr(store, "threshold"):
            store_threshold_refresh(store=store, model_version=version)
    return result


def stores_nightly(*, preset: str | None = None, seed: int = 0) -> list[RetrainResult]:
    """The nightly run over every store that has routed a visit or gathered an example."""
    stores = Store.objects.filter(
        models.Q(pk__in=LabelledExample.objects.values("store_id")) | models.Q(threshold__isnull=False)
    )
    return [store_nightly(store_id=s.pk, preset=preset, seed=seed) for s in stores.order_by("pk")]
