"""Writes of the model app: the registry (register, promote, roll back), the routing
threshold for a target accuracy, and scoring stored visits."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from inference.assignments import vision_entries
from inference.calibration import NEVER, PlattScaling, choose_threshold, holdout_arrays
from inference.features import featurize
from inference.models import ModelStatus, ModelVersion, Prediction
from inference.network import config_record
from inference.scoring import BaselineScorer, Scorer, TransformerScorer, model_from_bytes, model_to_bytes
from inference.selectors import model_for_store, store_context, visit_payloads
from inference.training import TrainingResult
from jwo_review.errors import Conflict, InvalidInput
from jwo_review.store.models import Store, Visit, VisitStatus
from jwo_review.store.services.audit import audit_record
from jwo_review.store.services.lifecycle import visits_advance, visits_scored

logger = logging.getLogger(__name__)
SCORING_CHUNK = 256


@transaction.atomic
def model_register(
    *, name: str, result: TrainingResult, target_accuracy: float, created_by: Any = None
) -> ModelVersion:
    """Store a trained model as a candidate: weights file, data lineage, metrics, calibration."""
    if ModelVersion.objects.filter(name=name).exists():
        raise Conflict(f"A model named {name!r} exists.", fields={"name": ["Already used."]})
    calibration = {
        "method": "logistic" if result.model_cal.platt.w else "platt",
        **result.model_cal.platt.as_dict(),
        "holdout": result.model_cal.holdout,
        "baseline": {
            "method": "platt",
            **result.baseline_cal.platt.as_dict(),
            "threshold": result.baseline_cal.threshold,
            "holdout": result.baseline_cal.holdout,
        },
    }
    metrics = {
        "holdout": result.model_cal.metrics,
        "baseline_holdout": result.baseline_cal.metrics,
        "train_seconds": round(result.seconds, 1),
        "final_loss": round(result.final_loss, 5),
        "config": config_record(result.model),
    }
    version = ModelVersion(
        name=name,
        kind="transformer",
        training_data=result.training_data,
        metrics=metrics,
        calibration=calibration,
        target_accuracy=target_accuracy,
        threshold=result.model_cal.threshold,
        created_by=created_by,
    )
    version.weights.save(f"{name}.pt", ContentFile(model_to_bytes(result.model)), save=False)
    version.save()
    return version


@transaction.atomic
def model_promote(*, model_version: ModelVersion, by: Any = None, action: str = "model_promoted") -> ModelVersion:
    """Make ``model_version`` the active one; the previously active version is retired.
    The change, with the auto-issue threshold before and after, is audited."""
    # Lock every version row that may change so two concurrent promotions serialise here
    # instead of one failing on the one-active constraint.
    locked = list(ModelVersion.objects.select_for_update().filter(pk=model_version.pk))
    if not locked:
        raise InvalidInput("No such model version.")
    version = locked[0]
    if not version.weights:
        raise InvalidInput("This model version has no weights file.", fields={"weights": ["Missing."]})
    if version.status == ModelStatus.ACTIVE:
        return version
    now = timezone.now()
    before = None
    for current in ModelVersion.objects.select_for_update().filter(status=ModelStatus.ACTIVE):
        before = {"active": current.name, "threshold": current.threshold, "target_accuracy": current.target_accuracy}
        current.status = ModelStatus.RETIRED
        current.retired_at = now
        current.save(update_fields=["status", "retired_at"])
    version.status = ModelStatus.ACTIVE
    version.activated_at = now
    version.activated_by = by if getattr(by, "pk", None) else None
    version.save(update_fields=["status", "activated_at", "activated_by"])
    audit_record(
        action=action,
        actor=by,
        actor_label="" if getattr(by, "pk", None) else "system",
        target=version,
        before=before,
        after={"active": version.name, "threshold": version.threshold, "target_accuracy": version.target_accuracy},
    )
    return version


@transaction.atomic
def model_rollback(*, by: Any = None) -> ModelVersion:
    """Re-activate the version that was active before the current one (audited)."""
    current = ModelVersion.objects.select_for_update().filter(status=ModelStatus.ACTIVE).first()
    candidates = ModelVersion.objects.select_for_update().filter(status=ModelStatus.RETIRED, activated_at__isnull=False)
    if current is not None:
        candidates = candidates.exclude(pk=current.pk)
    previous = candidates.order_by("-activated_at", "-id").first()
    if previous is None:
        raise Conflict("No earlier active model version to roll back to.")
    return model_promote(model_version=previous, by=by, action="model_rolled_back")


def threshold_for_target(model_version: ModelVersion, target_accuracy: float) -> float:
    """The lowest calibrated confidence at which receipts may be auto-issued so that
    their accuracy is at least ``target_accuracy`` (a value above 1 auto-issues nothing).

    Chosen on the version's held-out visits with a Clopper-Pearson margin; the same
    rule ``train_model`` used for the stored ``threshold``."""
    if not 0.0 < target_accuracy < 1.0:
        raise InvalidInput("The target accuracy is a probability strictly between 0 and 1.")
    # A version's calibration never changes, so routing many visits computes this once, and
    # reads the version's held-out record (tens of thousands of visits) only then.
    key = (model_version.pk, round(target_accuracy, 6))
    if key not in _thresholds:
        holdout = (model_version.calibration or {}).get("holdout")
        if not holdout:
            return model_version.threshold if target_accuracy == model_version.target_accuracy else NEVER
        _thresholds[key] = choose_threshold(
            *holdout_arrays(holdout),
            target_accuracy,
            alpha=float(holdout.get("alpha", 0.05)),
        )
    return _thresholds[key]


_thresholds: dict[tuple[int, float], float] = {}


def platt_of(calibration: dict[str, Any]) -> PlattScaling:
    return PlattScaling(
        a=float(calibration.get("a", 1.0)),
        b=float(calibration.get("b", 0.0)),
        w=[float(v) for v in calibration.get("w", [])],
    )


_scorers: dict[int, TransformerScorer] = {}


def loaded_scorer(model_version: ModelVersion) -> TransformerScorer:
    """The version's network, read from storage once per process."""
    scorer = _scorers.get(model_version.pk)
    if scorer is None:
        with model_version.weights.open("rb") as handle:
            model = model_from_bytes(handle.read())
        scorer = TransformerScorer(model, platt_of(model_version.calibration))
        _scorers.clear()  # one version at a time is plenty; an old one should not pin memory
        _scorers[model_version.pk] = scorer
    return scorer


def baseline_scorer(model_version: ModelVersion) -> BaselineScorer:
    return BaselineScorer(platt_of((model_version.calibration or {}).get("baseline") or {}))


def visits_score(*, visit_ids: Sequence[int], model_version: ModelVersion | None = None) -> list[int]:
    """Score visits with the active (or given) version; returns the ids scored now.

    Visits already scored by that version are skipped, so re-scoring is idempotent.
    With no active version nothing happens (visits stay "received", and the pipeline's
    sweep queues them again once a version is active) and a warning is logged.
    After commit, the lifecycle hands the newly scored ids on to routing.
    """
    ids = sorted(set(visit_ids))
    if model_version is not None:
        groups = {model_version: ids}
    else:
        # A store that earned its own version (``StoreModel``) is scored by it.
        groups = {}
        by_store: dict[int, list[int]] = {}
        for pk, store_id in Visit.objects.filter(pk__in=ids).order_by("pk").values_list("pk", "store_id"):
            by_store.setdefault(store_id, []).append(pk)
        for store_id, store_ids in by_store.items():
            version = model_for_store(store_id)
            if version is None:
                logger.warning("No active model version; %d visit(s) left unscored.", len(store_ids))
                continue
            groups.setdefault(version, []).extend(store_ids)
    scored: list[int] = []
    for version, version_ids in groups.items():
        scorer = loaded_scorer(version)
        version_ids.sort()
        for start in range(0, len(version_ids), SCORING_CHUNK):
            scored += score_chunk(version_ids[start : start + SCORING_CHUNK], version, scorer)
    visits_scored(visit_ids=sorted(scored))
    return scored


@transaction.atomic
def score_chunk(ids: list[int], version: ModelVersion, scorer: Scorer) -> list[int]:
    """Score one chunk of visits in one transaction (the benchmark times this path too)."""
    # Row locks on the visits: two workers given the same visit store one prediction, and
    # only the first reports it as newly scored. Locking in id order keeps two workers with
    # overlapping chunks from deadlocking.
    visits = list(
        Visit.objects.filter(pk__in=ids).select_related("store").select_for_update(of=("self",)).order_by("pk")
    )
    done = set(
        Prediction.objects.filter(visit_id__in=[v.pk for v in visits], model_version=version).values_list(
            "visit_id", flat=True
        )
    )
    todo = [v for v in visits if v.pk not in done]
    if not todo:
        return []
    started = time.perf_counter()
    contexts = {store.pk: store_context(store) for store in {v.store for v in todo}}
    payloads = visit_payloads([v.pk for v in todo])
    features = [featurize(payloads[v.pk], contexts[v.store_id]) for v in todo]
    scores = scorer.score(features)
    latency_ms = (time.perf_counter() - started) * 1000 / len(todo)
    Prediction.objects.bulk_create(
        [
            Prediction(
                visit=v,
                model_version=version,
                lines=s.lines,
                confidence=s.confidence,
                # The reach decisions follow the weight events', marked as vision's.
                event_assignments=[*s.assignments, *vision_entries(s.reach_items)],
                latency_ms=round(latency_ms, 3),
            )
            for v, s in zip(todo, scores)
        ]
    )
    visits_advance(visit_ids=[v.pk for v in todo], to=VisitStatus.SCORED)
    return [v.pk for v in todo]


def visits_predict(
    *, visit_ids: Sequence[int], model_version: ModelVersion
) -> dict[int, tuple[float, list[dict[str, Any]]]]:
    """Each visit's (calibrated confidence, receipt lines) under ``model_version``: the
    stored prediction when it made one, else scored now in memory (nothing is stored, so
    judging a version on old visits leaves the visits and their routing as they were)."""
    out: dict[int, tuple[float, list[dict[str, Any]]]] = {
        row["visit_id"]: (float(row["confidence"]), list(row["lines"]))
        for row in Prediction.objects.filter(visit_id__in=list(visit_ids), model_version=model_version).values(
            "visit_id", "confidence", "lines"
        )
    }
    todo = sorted(set(visit_ids) - set(out))
    if todo:
        out.update(visits_predict_with(scorer=loaded_scorer(model_version), visit_ids=todo))
    return out


def visits_predict_with(*, scorer: Scorer, visit_ids: Sequence[int]) -> dict[int, tuple[float, list[dict[str, Any]]]]:
    """Score stored visits in memory with any scorer (a candidate not yet registered)."""
    out: dict[int, tuple[float, list[dict[str, Any]]]] = {}
    ids = sorted(set(visit_ids))
    for start in range(0, len(ids), SCORING_CHUNK):
        chunk = ids[start : start + SCORING_CHUNK]
        stores = dict(Visit.objects.filter(pk__in=chunk).values_list("pk", "store_id"))
        contexts = {s.pk: store_context(s) for s in Store.objects.filter(pk__in=set(stores.values()))}
        payloads = visit_payloads(chunk)
        kept = [v for v in chunk if v in payloads]
        scores = scorer.score([featurize(payloads[v], contexts[stores[v]]) for v in kept])
        out.update({v: (float(sc.confidence), list(sc.lines)) for v, sc in zip(kept, scores)})
    return out
