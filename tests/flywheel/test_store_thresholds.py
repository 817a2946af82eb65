"""Per-store thresholds from the store's own evidence: the weighted estimate and bound,
the strict start of a new store, loosening on evidence, tightening when audits fall short."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from inference.calibration import clopper_pearson_lower
from inference.evidence import Evidence, at_threshold, loosest_threshold, poststratified_weights
from inference.models import ModelVersion
from jwo_review.store.models import AuditLogEntry, Store
from jwo_review.store.services.receipts import LineSpec
from low_confidence_queue.models import Reason, RoutingPolicy, StoreThreshold, ThresholdSource, VisitRouting
from low_confidence_queue.services.claims import task_claim_next
from low_confidence_queue.services.decisions import task_submit
from low_confidence_queue.services.routing import visit_route
from low_confidence_queue.services.thresholds import (
    store_evidence,
    store_threshold_check,
    store_threshold_current,
    store_threshold_refresh,
)
from tests.queue.conftest import ScoredVisit


def test_equal_weights_give_the_plain_clopper_pearson_bound() -> None:
    ev = Evidence(confidence=np.linspace(0.5, 1, 400), correct=np.arange(400) != 7, weight=np.ones(400))
    here = at_threshold(ev, 0.0)
    assert here["estimate"] == pytest.approx(399 / 400) and here["n_eff"] == 400
    assert here["lower_bound"] == pytest.approx(clopper_pearson_lower(399, 400), abs=1e-6)


def test_the_weighted_estimate_of_auto_issued_accuracy_is_unbiased_and_the_bound_covers() -> None:
    # A store: accuracy rises with confidence; below 0.8 every visit is reviewed, above it 10% are audited.
    rng = np.random.default_rng(3)
    estimates, covered = [], 0
    for _ in range(200):
        conf = rng.uniform(0.5, 1.0, 20000)
        correct = rng.uniform(size=conf.size) < 0.9 + 0.1 * (conf - 0.5) / 0.5
        audited = (conf >= 0.8) & (rng.uniform(size=conf.size) < 0.1)
        seen = (conf < 0.8) | audited
        ev = Evidence(confidence=conf[seen], correct=correct[seen], weight=np.where(audited[seen], 10.0, 1.0))
        truth = correct[conf >= 0.7].mean()
        here = at_threshold(ev, 0.7)
        estimates.append(here["estimate"] - truth)
        covered += here["lower_bound"] <= truth
    assert abs(float(np.mean(estimates))) < 0.001
    assert covered >= 188  # a 95% one-sided bound: about 190 of 200, allowing for noise


def _store_days(
    rng: np.random.Generator, days: list[tuple[float, float]], per_day: int, accuracy: Any
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Simulated days of one store: (threshold, audit rate) per day; returns every visit's
    confidence, whether its receipt is right, whether it was labelled, and its own weight."""
    confs, rights, seens, weights = [], [], [], []
    for threshold, rate in days:
        conf = 1 - rng.beta(1, 40, per_day)
        right = rng.uniform(size=per_day) < accuracy(conf)
        audited = (conf >= threshold) & (rng.uniform(size=per_day) < rate)
        confs.append(conf)
        rights.append(right)
        seens.append((conf < threshold) | audited)
        weights.append(np.where(conf < threshold, 1.0, 1.0 / rate))
    return np.concatenate(confs), np.concatenate(rights), np.concatenate(seens), np.concatenate(weights)


def test_audits_of_every_day_count_alike_once_pooled_by_confidence() -> None:
    # Two days auditing half of the confident visits, then two at 2%: per-visit weights of
    # 2 and 50 in one confidence range collapse Kish's size; pooled by confidence they do not.
    rng = np.random.default_rng(5)
    days = [(0.98, 0.5), (0.98, 0.5), (0.975, 0.02), (0.975, 0.02)]
    conf, right, seen, own = _store_days(rng, days, 3000, lambda c: np.where(c > 0.97, 0.9995, 0.97))
    pooled = Evidence(conf[seen], right[seen], poststratified_weights(conf[seen], conf))
    per_visit = Evidence(conf[seen], right[seen], own[seen])
    first_two = Evidence(conf[:6000][seen[:6000]], right[:6000][seen[:6000]], own[:6000][seen[:6000]])
    assert at_threshold(per_visit, 0.975)["n_eff"] < at_threshold(first_two, 0.975)["n_eff"]  # the collapse
    here = at_threshold(pooled, 0.975)
    assert here["n_eff"] >= at_threshold(first_two, 0.975)["n_eff"]
    # The pooled weights still stand for the store's visits: their sum is its visit count above t.
    above = pooled.confidence >= 0.975
    assert float(pooled.weight[above].sum()) == pytest.approx(float((conf >= 0.975).sum()), rel=0.02)
    assert here["estimate"] == pytest.approx(float(right[conf >= 0.975].mean()), abs=0.002)


def test_a_few_right_audits_do_not_hide_the_errors_of_a_reviewed_band() -> None:
    # The run that went wrong: a fully reviewed band under the old threshold with 4% wrong,
    # and above it 5,000 visits of which 2% were audited, all right. Auto-issuing from the
    # band's bottom would be about 99.2% right; the evidence must not allow it.
    rng = np.random.default_rng(8)
    band = rng.uniform(0.95, 0.975, 1000)
    top = rng.uniform(0.975, 1.0, 5000)
    conf = np.concatenate([band, top])
    right = np.concatenate([np.arange(1000) % 25 != 0, np.ones(5000, bool)])
    seen = np.concatenate([np.ones(1000, bool), rng.uniform(size=5000) < 0.02])
    ev = Evidence(conf[seen], right[seen], poststratified_weights(conf[seen], conf))
    at_band = at_threshold(ev, 0.95)
    assert at_band["estimate"] == pytest.approx(float(right.mean()), abs=0.002)
    assert at_band["lower_bound"] < 0.995
    assert loosest_threshold(ev, 0.995) >= 0.975


def test_each_labelled_visit_stands_for_at_least_itself() -> None:
    labelled = np.array([0.99, 0.98, 0.5])
    weights = poststratified_weights(labelled, np.array([0.99]), group=1)
    assert weights.tolist() == [1.0, 1.0, 1.0]
    assert poststratified_weights(np.array([]), np.array([0.3])).size == 0


def test_the_loosest_threshold_meets_the_target_and_no_looser_one_does() -> None:
    conf = np.linspace(0.0, 1.0, 5001)
    correct = np.ones(conf.size, bool)
    correct[:1500:4] = False  # errors only in the lowest confidences
    ev = Evidence(confidence=conf, correct=correct, weight=np.ones(conf.size))
    t = loosest_threshold(ev, 0.99)
    assert at_threshold(ev, t)["lower_bound"] >= 0.99
    looser = conf[conf < t].max()
    assert at_threshold(ev, looser)["lower_bound"] < 0.99
    assert loosest_threshold(Evidence(np.array([]), np.array([], bool), np.array([])), 0.99) > 1.0


def test_a_new_store_starts_strict_with_a_higher_audit_rate(
    settings: Any, scored_visit: ScoredVisit, curved_model: ModelVersion
) -> None:
    settings.JWO_NEW_STORE_STRICTNESS = 5.0
    settings.JWO_NEW_STORE_AUDIT_RATE = 0.25
    visit = scored_visit(confidence=0.999)
    visit_route(visit_id=visit.pk)
    row = StoreThreshold.objects.get(store=visit.store)
    settings.JWO_NEW_STORE_STRICTNESS = 1.0
    from low_confidence_queue.services.routing import threshold_for

    assert row.source == ThresholdSource.NEW_STORE and row.audit_rate == 0.25
    assert row.threshold > threshold_for(curved_model, 0.995)  # stricter than the model's own
    routing = VisitRouting.objects.get(visit=visit)
    assert routing.threshold == row.threshold and routing.audit_rate == 0.25
    assert AuditLogEntry.objects.filter(action="threshold_moved", target=f"store_threshold:{visit.store.code}").exists()


def _reviewed(scored_visit: ScoredVisit, users: dict[str, Any], confidence: float, right: bool) -> int:
    visit = scored_visit(confidence=confidence)
    visit_route(visit_id=visit.pk)
    task = task_claim_next(user=users["reviewer"])
    assert task is not None and task.visit_id == visit.pk
    task_submit(
        task_id=task.pk,
        user=users["reviewer"],
        decision="approve" if right else "correct",
        reason_code="confirmed" if right else "wrong_product",
        lines=None if right else [LineSpec("AIM3S-001", 1, 1)],
    )
    return visit.pk


def _policy(store: Store, model_version: ModelVersion, target: float) -> None:
    # The factory's version has no held-out curve: it answers for the target it was made for.
    model_version.target_accuracy = target
    model_version.save()
    RoutingPolicy.objects.update_or_create(store=store, defaults={"audit_rate": 0.0, "target_accuracy": target})


def test_the_nightly_refresh_loosens_to_what_the_evidence_supports(
    scored_visit: ScoredVisit, users: dict[str, Any], model_version: ModelVersion, aim3s: Store
) -> None:
    _policy(aim3s, model_version, 0.9)
    row = store_threshold_current(store=aim3s, model_version=model_version)
    assert row.threshold == pytest.approx(0.9)
    for i in range(40):  # reviewed below the threshold, all right, from 0.80 up
        _reviewed(scored_visit, users, 0.80 + i * 0.002, right=True)
    for i in range(3):  # and some wrong ones further down
        _reviewed(scored_visit, users, 0.5 + i * 0.01, right=False)
    ev = store_evidence(store=aim3s, model_version=model_version)
    assert ev.size == 43 and int((~ev.correct).sum()) == 3
    row = store_threshold_refresh(store=aim3s, model_version=model_version)
    assert row.source == ThresholdSource.EVIDENCE
    assert 0.5 < row.threshold < 0.9
    assert row.evidence["at_threshold"]["lower_bound"] >= 0.9
    assert AuditLogEntry.objects.filter(action="threshold_moved").count() == 2


def test_a_store_threshold_tightens_at_once_when_audits_fall_short(
    scored_visit: ScoredVisit, users: dict[str, Any], model_version: ModelVersion, aim3s: Store
) -> None:
    _policy(aim3s, model_version, 0.9)
    for i in range(40):
        _reviewed(scored_visit, users, 0.80 + i * 0.002, right=True)
    row = store_threshold_refresh(store=aim3s, model_version=model_version)
    assert row.source == ThresholdSource.EVIDENCE
    loose = row.threshold
    # Every confident visit is audited from now on, and the audits find wrong receipts.
    StoreThreshold.objects.filter(pk=row.pk).update(audit_rate=1.0)
    for _ in range(6):
        visit_id = _reviewed(scored_visit, users, 0.95, right=False)
        assert VisitRouting.objects.get(visit_id=visit_id).reason == Reason.AUDIT
    row = store_threshold_check(store=aim3s)
    assert row is not None and row.source == ThresholdSource.AUDIT_SHORTFALL and row.threshold > loose
    entry = AuditLogEntry.objects.get(action="threshold_tightened")
    assert entry.actor_label == "audit check" and entry.before["threshold"] == loose
    assert entry.details["evidence"] is not None or row.threshold > 1.0
    assert row.evidence["shortfall"]["lower_bound"] < 0.9


def test_the_policy_page_shows_each_stores_threshold_source_and_evidence(
    client: Any, users: dict[str, Any], scored_visit: ScoredVisit, model_version: ModelVersion, aim3s: Store
) -> None:
    _policy(aim3s, model_version, 0.9)
    for i in range(40):
        _reviewed(scored_visit, users, 0.80 + i * 0.002, right=True)
    row = store_threshold_refresh(store=aim3s, model_version=model_version)
    client.force_login(users["admin"])
    page = client.get("/queue/policy/").content.decode()
    assert 'id="store-thresholds"' in page and model_version.name in page
    assert f"{row.threshold:.4f}" in page and "The store&#x27;s reviews and audits" in page
    assert str(row.evidence["at_threshold"]["lower_bound"]) in page
    client.force_login(users["reviewer"])
    assert client.get("/queue/policy/").status_code == 403


def test_evidence_judges_the_receipt_the_group_is_charged_for() -> None:
    from low_confidence_queue.services.thresholds import Labelled, evidence_of

    final = [{"sku": "A", "quantity": 1, "shopper_track_id": 1}, {"sku": "A", "quantity": 1, "shopper_track_id": 2}]
    labelled = Labelled(ids=[1, 2], finals={1: final, 2: final}, weights={1: 1.0, 2: 4.0})
    view = {
        1: (0.9, [{"sku": "A", "quantity": 2, "shopper_track_id": 1}]),  # same units, one line for the group
        2: (0.8, [{"sku": "A", "quantity": 1, "shopper_track_id": 1}]),  # one unit short
    }
    ev = evidence_of(labelled, view)
    assert ev.correct.tolist() == [True, False] and ev.weight.tolist() == [1.0, 4.0]
