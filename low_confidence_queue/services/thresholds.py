"""Per-store thresholds: each store earns its auto-issue threshold from its own reviews
and audits (``inference.evidence``). A new store starts strict with a high audit rate
(the store the model was calibrated on, where its policy trusts that calibration, starts
from the model's own threshold, at the same audit rate); the nightly refresh moves the
threshold to the loosest one whose weighted lower bound of auto-issued accuracy meets
the target; an audit that finds a wrong receipt checks the
bound at once and, if it has fallen short, tightens the threshold and tells admins."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from inference.calibration import NEVER
from inference.datasets import dataset_examples
from inference.evidence import Evidence, at_threshold, labelled_evidence, loosest_threshold
from inference.models import ExampleKind, LabelledExample, ModelVersion, Prediction
from jwo_review.store.models import Store
from jwo_review.store.services.audit import audit_record
from low_confidence_queue.models import Reason, RoutingPolicy, StoreThreshold, ThresholdSource, VisitRouting
from low_confidence_queue.services.policy import policy_for_store
from low_confidence_queue.services.routing import threshold_for

POPULATION_SAMPLE = 2000  # a store's visits a version has not scored, scored in memory to weigh its evidence
REVIEW_SOURCES = (f"review:{Reason.LOW_CONFIDENCE}", f"review:{Reason.AUDIT}", f"review:{Reason.DISPUTE}")


def strict_target(target: float) -> float:
    """A new store's threshold is the model's for this stricter target (its error budget
    divided by ``JWO_NEW_STORE_STRICTNESS``), because the model's own calibration was
    measured elsewhere and a new store's tail may be worse."""
    return 1.0 - (1.0 - target) / float(settings.JWO_NEW_STORE_STRICTNESS)


def _line_key(lines: list[dict[str, Any]]) -> dict[str, int]:
    """A receipt as the payment group is charged for it: units per product. Which member
    of the group took an item does not change the charge, and the model's measured
    accuracy (``inference.metrics.true_receipt``) counts the same way."""
    out: dict[str, int] = {}
    for x in lines:
        out[str(x["sku"])] = out.get(str(x["sku"]), 0) + int(x["quantity"])
    return {k: v for k, v in out.items() if v > 0}


@dataclass(frozen=True)
class Labelled:
    """A store's labelled visits: the final receipt a person gave each, and its weight."""

    ids: list[int]
    finals: dict[int, list[dict[str, Any]]]
    weights: dict[int, float]


def store_labelled(*, store: Store, visit_ids: Iterable[int] | None = None) -> Labelled:
    """Each low-confidence review (inclusion probability 1) and audit (probability = the
    audit rate it was routed under) of the store, with the final receipt a person gave it.
    A later dispute's receipt wins, but a visit reviewed only because of a dispute is left
    out: disputes are not a random sample."""
    rows = VisitRouting.objects.filter(
        visit__store=store, reason__in=[Reason.LOW_CONFIDENCE, Reason.AUDIT], audit_rate__isnull=False
    )
    if visit_ids is not None:
        rows = rows.filter(visit_id__in=list(visit_ids))
    routed = {row["visit_id"]: row for row in rows.values("visit_id", "reason", "audit_rate")}
    finals: dict[int, tuple[str, list[dict[str, Any]]]] = {}
    for visit_id, source, lines in LabelledExample.objects.filter(
        visit_id__in=list(routed), kind=ExampleKind.RECEIPT, source__in=REVIEW_SOURCES
    ).values_list("visit_id", "source", "lines"):
        if visit_id not in finals or source.endswith(Reason.DISPUTE):
            finals[visit_id] = (source, lines)
    ids = sorted(finals)
    weights = {
        v: 1.0 if routed[v]["reason"] == Reason.LOW_CONFIDENCE else 1.0 / max(float(routed[v]["audit_rate"] or 0), 1e-6)
        for v in ids
    }
    return Labelled(ids=ids, finals={v: finals[v][1] for v in ids}, weights=weights)


Population = tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]  # confidences, visits each stands for


def evidence_of(
    labelled: Labelled, view: dict[int, tuple[float, list[dict[str, Any]]]], population: Population | None = None
) -> Evidence:
    """Judge a model's view (confidence, receipt lines per visit) against the labels.
    With the store's visits (``population``, under the same model) the labelled visits are
    post-stratified by confidence (``inference.evidence``); without, each is weighted by
    one over its own chance of review."""
    ids = [v for v in labelled.ids if v in view]
    return labelled_evidence(
        np.array([view[v][0] for v in ids], dtype=np.float64),
        np.array([_line_key(view[v][1]) == _line_key(labelled.finals[v]) for v in ids], dtype=bool),
        np.array([labelled.weights[v] for v in ids], dtype=np.float64),
        population,
        ids=np.array(ids, dtype=np.int64),
        audited=np.array([labelled.weights[v] > 1.0 for v in ids], dtype=bool),
    )


def view_population(view: dict[int, tuple[float, list[dict[str, Any]]]], visit_ids: Iterable[int]) -> Population:
    """The confidences of ``visit_ids`` in a model's view, each standing for itself."""
    conf = np.array([view[v][0] for v in visit_ids if v in view], dtype=np.float64)
    return conf, np.ones(conf.size)


def store_population(*, store: Store, model_version: ModelVersion, exclude: set[int]) -> Population:
    """The confidences ``model_version`` gives the store's routed visits (bar ``exclude``):
    stored predictions where it made them; of the rest a fixed random sample of at most
    ``POPULATION_SAMPLE`` scored in memory, each standing for its share of them."""
    from inference.services import visits_predict

    routed = set(VisitRouting.objects.filter(visit__store=store).values_list("visit_id", flat=True)) - exclude
    stored = dict(
        Prediction.objects.filter(visit_id__in=list(routed), model_version=model_version).values_list(
            "visit_id", "confidence"
        )
    )
    missing = sorted(routed - set(stored))
    conf = [float(c) for c in stored.values()]
    weight = [1.0] * len(conf)
    if missing:
        rng = np.random.default_rng(store.pk)
        sample = sorted(rng.choice(missing, size=min(POPULATION_SAMPLE, len(missing)), replace=False).tolist())
        scored = visits_predict(visit_ids=sample, model_version=model_version)
        conf += [scored[v][0] for v in sample if v in scored]
        weight += [len(missing) / len(sample)] * (len(conf) - len(weight))
    return np.array(conf, dtype=np.float64), np.array(weight, dtype=np.float64)


def store_evidence(*, store: Store, model_version: ModelVersion) -> Evidence:
    """The store's evidence under ``model_version``, post-stratified on the store's visits.
    A version fine-tuned on the store is not judged on the visits it was trained on (its
    dataset's train side), and those do not count among the store's visits either."""
    from inference.services import visits_predict  # torch: only where evidence is computed

    labelled = store_labelled(store=store)
    dataset = model_version.dataset_version
    trained: set[int] = set()
    if dataset is not None:
        trained = {int(r["visit_id"]) for r in dataset_examples(dataset, split="train")}
        labelled = Labelled(
            ids=[v for v in labelled.ids if v not in trained], finals=labelled.finals, weights=labelled.weights
        )
    population = store_population(store=store, model_version=model_version, exclude=trained)
    return evidence_of(labelled, visits_predict(visit_ids=labelled.ids, model_version=model_version), population)


def _evidence_summary(evidence: Evidence, threshold: float, policy: RoutingPolicy) -> dict[str, Any]:
    n_audits = int(np.sum(evidence.audited)) if evidence.audited is not None else 0
    return {
        "reviews": int(evidence.size - n_audits),
        "audits": n_audits,
        "target_accuracy": policy.target_accuracy,
        "at_threshold": at_threshold(evidence, threshold) if threshold <= 1.0 else None,
        "computed_at": timezone.now().isoformat(),
    }


def _settled(summary: dict[str, Any]) -> bool:
    """The bound is tight once the evidence above the threshold is large enough that the
    store's audits can go down to the policy's rate."""
    here = summary.get("at_threshold") or {}
    return float(here.get("n_eff") or 0.0) >= float(settings.JWO_NEW_STORE_SETTLED_N_EFF) and float(
        here.get("lower_bound") or 0.0
    ) >= float(summary["target_accuracy"])


def _save(
    *,
    row: StoreThreshold,
    threshold: float,
    fresh: bool = False,
    audit_rate: float,
    source: str,
    evidence: dict[str, Any],
    actor: str,
) -> StoreThreshold:
    before = None if fresh else {"threshold": row.threshold, "audit_rate": row.audit_rate, "source": row.source}
    row.threshold, row.audit_rate, row.source, row.evidence = threshold, audit_rate, source, evidence
    row.updated_at = timezone.now()
    row.save()
    after = {"threshold": threshold, "audit_rate": audit_rate, "source": source, "model_version": row.model_version}
    if before is None or before["threshold"] != threshold or before["audit_rate"] != audit_rate:
        audit_record(
            action="threshold_tightened" if source == ThresholdSource.AUDIT_SHORTFALL else "threshold_moved",
            actor_label=actor,
            target=f"store_threshold:{row.store.code}",
            before=before,
            after=after,
            details={"evidence": evidence.get("at_threshold")},
        )
    return row


@transaction.atomic
def store_threshold_current(*, store: Store, model_version: ModelVersion) -> StoreThreshold:
    """The store's (threshold, audit rate) for visits scored by ``model_version``; a store
    with none for that version starts strict (the row is made here, audited)."""
    row = StoreThreshold.objects.filter(store=store).first()
    if row is not None and row.model_version == model_version.name:
        return row  # the common case reads without a lock, so routers of one store never queue here
    # Locked so two routers of a new store make its row once.
    StoreThreshold.objects.get_or_create(
        store=store,
        defaults={"model_version": "", "threshold": NEVER, "audit_rate": 1.0, "source": ThresholdSource.NEW_STORE},
    )
    row = StoreThreshold.objects.select_for_update().select_related("store").get(store=store)
    if row.model_version == model_version.name:
        return row
    fresh = row.model_version == ""
    policy = policy_for_store(store)
    start, source, why = _start(model_version, policy)
    row.model_version = model_version.name
    return _save(
        row=row,
        fresh=fresh,
        threshold=start,
        audit_rate=max(policy.audit_rate, float(settings.JWO_NEW_STORE_AUDIT_RATE)),
        source=source,
        evidence=why,
        actor=f"model {model_version.name}",
    )


def _start(model_version: ModelVersion, policy: RoutingPolicy) -> tuple[float, str, dict[str, Any]]:
    """Where a store without enough evidence of its own sits: the strict start, or, for
    the store the model was calibrated on (its policy says so), the model's own
    threshold at the target. Audits then check either, at the new-store audit rate."""
    if policy.store_id is not None and policy.trust_model_calibration:
        why = {"target_accuracy": policy.target_accuracy, "trusted_calibration": True}
        return threshold_for(model_version, policy.target_accuracy), ThresholdSource.CALIBRATED, why
    strict = strict_target(policy.target_accuracy)
    why = {"target_accuracy": policy.target_accuracy, "strict_target": strict}
    return threshold_for(model_version, strict), ThresholdSource.NEW_STORE, why


def store_threshold_refresh(
    *, store: Store, model_version: ModelVersion, evidence: Evidence | None = None
) -> StoreThreshold:
    """Move the store's threshold to the loosest one its evidence supports under
    ``model_version`` (the strict start while none is), and its audit rate to the
    policy's once the bound is tight (the nightly job, and after a promotion)."""
    evidence = evidence if evidence is not None else store_evidence(store=store, model_version=model_version)
    with transaction.atomic():
        row = store_threshold_current(store=store, model_version=model_version)
        row = StoreThreshold.objects.select_for_update().select_related("store").get(pk=row.pk)
        policy = policy_for_store(store)
        earned = loosest_threshold(evidence, policy.target_accuracy)
        start, start_source, _ = _start(model_version, policy)
        if earned > 1.0:
            threshold, source = start, start_source
        else:
            threshold, source = earned, ThresholdSource.EVIDENCE
        summary = _evidence_summary(evidence, threshold, policy)
        summary["strict_start"] = start
        summary["trusted_calibration"] = start_source == ThresholdSource.CALIBRATED
        audit_rate = (
            policy.audit_rate if _settled(summary) else max(policy.audit_rate, float(settings.JWO_NEW_STORE_AUDIT_RATE))
        )
        return _save(
            row=row, threshold=threshold, audit_rate=audit_rate, source=source, evidence=summary, actor="nightly"
        )


def store_threshold_check(*, store: Store) -> StoreThreshold | None:
    """After an audit found a wrong receipt: if the bound at the store's current threshold
    now falls below the target, tighten at once (to the loosest threshold above the current
    one that still meets it, else review everything) and tell admins in the audit log."""
    row = StoreThreshold.objects.filter(store=store).first()
    if row is None or row.source not in (ThresholdSource.EVIDENCE, ThresholdSource.CALIBRATED):
        return row  # a strict start is already where a store without evidence sits
    version = ModelVersion.objects.filter(name=row.model_version).first()
    if version is None:
        return row
    evidence = store_evidence(store=store, model_version=version)
    policy = policy_for_store(store)
    here = at_threshold(evidence, row.threshold)
    if here["lower_bound"] >= policy.target_accuracy:
        return row
    tighter = loosest_threshold(evidence, policy.target_accuracy, floor=row.threshold + 1e-9)
    threshold = tighter if tighter <= 1.0 else NEVER
    with transaction.atomic():
        row = StoreThreshold.objects.select_for_update().select_related("store").get(pk=row.pk)
        summary = _evidence_summary(evidence, threshold, policy)
        summary["shortfall"] = here
        return _save(
            row=row,
            threshold=threshold,
            audit_rate=max(policy.audit_rate, float(settings.JWO_NEW_STORE_AUDIT_RATE)),
            source=ThresholdSource.AUDIT_SHORTFALL,
            evidence=summary,
            actor="audit check",
        )


def store_thresholds_all() -> list[StoreThreshold]:
    return list(StoreThreshold.objects.select_related("store").order_by("store__code"))
