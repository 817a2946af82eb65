"""Simulated past days for the demo dashboard: routing decisions and review work of
several earlier days, with a model promotion among them, so ``make run`` opens on a
dashboard with history.

The rows are what the pipeline would have left (visits, their routing, decided review
tasks, a few disputes), written in bulk with backdated times: replaying the model over
thousands of visits would cost minutes. History visits carry ``source="history"``, have
no sensor events and no receipts; the rollups are rebuilt at the end.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from inference.models import ModelStatus, ModelVersion
from jwo_review.accounts.roles import Role
from jwo_review.store.models import Store, Visit, VisitStatus
from low_confidence_queue.models import Decision, Reason, ReviewTask, RoutingOutcome, TaskStatus, VisitRouting
from low_confidence_queue.services.policy import policy_for_store
from low_confidence_queue.services.rollups import rollups_refresh

HISTORY_SOURCE = "history"
PREVIOUS_MODEL = "history-rules-baseline"
# Share of visits each model left to a person (low confidence), and how often a reviewer
# changed the receipt, per routing reason.
REVIEW_SHARE = {"previous": 0.38, "current": 0.16}
CORRECTED_SHARE = {Reason.LOW_CONFIDENCE: 0.35, Reason.AUDIT: 0.006, Reason.RULE: 0.2, Reason.DISPUTE: 0.5}


@dataclass(frozen=True)
class HistoryResult:
    visits: int
    tasks: int
    days_rolled_up: int


def _reviewers() -> list[Any]:
    users = get_user_model().objects.filter(groups__name__in=[Role.REVIEWER.value, Role.ADMIN.value]).distinct()
    return list(users.order_by("username"))


def _decide(task: ReviewTask, rng: random.Random, reviewers: list[Any], now: datetime) -> None:
    spent = round(rng.lognormvariate(3.8, 0.45), 1)  # median ~45 s in the workspace
    wait = timedelta(minutes=rng.lognormvariate(2.6, 0.9))  # median ~13 min in the queue
    decided = task.created_at + wait + timedelta(seconds=spent)
    if decided >= now or not reviewers:
        return
    user = rng.choice(reviewers)
    task.status = TaskStatus.DONE
    task.claimed_by = task.decided_by = user
    task.claimed_at = decided - timedelta(seconds=spent)
    task.decided_at = decided
    task.time_spent_s = spent
    task.claim_count = 1
    corrected = rng.random() < CORRECTED_SHARE[Reason(task.reason)]
    task.decision = Decision.CORRECT if corrected else Decision.APPROVE
    task.reason_code = "wrong_product" if corrected else "confirmed"


@transaction.atomic
def demo_history_seed(
    *, days: int = 14, visits_per_day: int = 160, promotion_days_ago: int = 6, seed: int = 7
) -> HistoryResult:
    """Write ``days`` simulated past days (before today) for every store, the active model
    promoted ``promotion_days_ago`` days ago over a retired rules baseline; then rebuild
    the rollups. Does nothing when history is there already."""
    if Visit.objects.filter(source=HISTORY_SOURCE).exists():
        return HistoryResult(0, 0, 0)
    rng = random.Random(seed)
    now = timezone.now()
    today = now.date()
    promoted_at = datetime.combine(today - timedelta(days=promotion_days_ago), time(7, 0), tzinfo=UTC)
    start_at = datetime.combine(today - timedelta(days=days), time(6, 0), tzinfo=UTC)
    current = ModelVersion.objects.filter(status=ModelStatus.ACTIVE).defer("calibration").first()
    if current is not None and (current.activated_at is None or current.activated_at > promoted_at):
        # The demo's story: the current model replaced the rules baseline a few days ago.
        ModelVersion.objects.filter(pk=current.pk).update(activated_at=promoted_at)
    previous, _ = ModelVersion.objects.get_or_create(
        name=PREVIOUS_MODEL,
        defaults={
            "kind": "rules",
            "status": ModelStatus.RETIRED,
            "threshold": 0.8,
            "metrics": {"holdout": (current.metrics or {}).get("baseline_holdout", {}) if current else {}},
            "training_data": {"note": "simulated history of the demo"},
            "activated_at": start_at,
            "retired_at": promoted_at,
        },
    )
    current_name = current.name if current else "demo-model"
    current_threshold = current.threshold if current else 0.9
    reviewers = _reviewers()
    visits: list[Visit] = []
    sla: dict[int, dict[str, int]] = {}
    for store in Store.objects.order_by("code"):
        sla[store.pk] = policy_for_store(store).sla_minutes
        for back in range(days, 0, -1):
            day = today - timedelta(days=back)
            for i in range(visits_per_day):
                entered = datetime.combine(day, time(8, 0), tzinfo=UTC) + timedelta(seconds=rng.uniform(0, 13 * 3600))
                visits.append(
                    Visit(
                        store=store,
                        client_visit_id=f"history-{day:%Y%m%d}-{i:05d}",
                        visit_code=f"H{day:%m%d}{i:05d}",
                        entered_at=entered,
                        exited_at=entered + timedelta(seconds=rng.uniform(90, 480)),
                        status=VisitStatus.FINAL,
                        payload_sha256="",
                        source=HISTORY_SOURCE,
                    )
                )
    Visit.objects.bulk_create(visits, batch_size=2000)
    routings: list[VisitRouting] = []
    tasks: list[ReviewTask] = []
    for visit in visits:
        routed_at = visit.exited_at + timedelta(seconds=rng.uniform(4, 30))
        era = "previous" if routed_at < promoted_at else "current"
        model, threshold = (
            (previous.name, previous.threshold) if era == "previous" else (current_name, current_threshold)
        )
        draw = rng.random()
        reason = ""
        if draw < 0.01:
            reason = Reason.RULE
        elif draw < 0.01 + REVIEW_SHARE[era]:
            reason = Reason.LOW_CONFIDENCE
        elif rng.random() < 0.02:
            reason = Reason.AUDIT
        confidence = rng.uniform(0.2, threshold) if reason == Reason.LOW_CONFIDENCE else rng.uniform(threshold, 1.0)
        routings.append(
            VisitRouting(
                visit=visit,
                outcome=RoutingOutcome.REVIEW if reason else RoutingOutcome.AUTO_ISSUED,
                reason=reason,
                reason_detail="simulated history",
                confidence=round(confidence, 4),
                threshold=threshold,
                model_version=model,
                routed_at=routed_at,
            )
        )
        opened = []
        if reason:
            opened.append((reason, routed_at))
        if not reason and rng.random() < 0.004 or reason and rng.random() < 0.01:
            opened.append((Reason.DISPUTE, routed_at + timedelta(hours=rng.uniform(2, 30))))
        for why, at in opened:
            if at >= now:
                continue
            task = ReviewTask(
                visit=visit,
                reason=why,
                reason_detail="simulated history",
                created_at=at,
                sla_due_at=at + timedelta(minutes=int(sla[visit.store.pk].get(why, 60))),
            )
            _decide(task, rng, reviewers, now)
            tasks.append(task)
    VisitRouting.objects.bulk_create(routings, batch_size=2000)
    # A dispute comes after the visit's own review is decided; drop one that would not.
    reviewed = {t.visit.pk: t.decided_at for t in tasks if t.reason != Reason.DISPUTE}
    kept = []
    for t in tasks:
        first = reviewed.get(t.visit.pk)
        if t.reason == Reason.DISPUTE and t.visit.pk in reviewed and (first is None or t.created_at <= first):
            continue
        kept.append(t)
    ReviewTask.objects.bulk_create(kept, batch_size=2000)
    rolled = rollups_refresh(now=now)
    return HistoryResult(len(visits), len(kept), len(rolled))
