"""Where annotation tasks come from, each source idempotent (one task per visit and source).

1. flagged: visits a reviewer sent to annotation;
2. corrected: visits whose review changed the model's receipt;
3. hard_case: among auto-issued visits, the ones whose least sure event the model
   doubted most, up to a daily budget per store (chosen by doubt, not by arrival);
4. random: a fixed random share of auto-issued visits (a hash of the visit id, so the
   sample is unbiased and the same on every run), to estimate event accuracy;
5. gold: visits with a known answer (the simulator's truth, or labels settled by a
   strong consensus), mixed into the stream at claim time.

These run in Celery jobs (beat, and after each review decision), never in a request.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from annotation.autolabels import from_assignments, from_truth
from annotation.conf import PRIORITY
from annotation.models import AnnotationSettings, AnnotationSlot, AnnotationTask, Source, TaskStatus
from inference.assignments import weight_assignments
from inference.models import Prediction
from jwo_review.simulator.models import VisitTruth
from jwo_review.store.models import Visit, WeightEvent
from low_confidence_queue.models import Decision, ReviewTask, RoutingOutcome, VisitRouting
from low_confidence_queue.models import TaskStatus as ReviewStatus
from low_confidence_queue.selectors import tasks_flagged_for_annotation

GOLD_POOL = 200
SETTLED_POSTERIOR = 0.995


def settings_current() -> AnnotationSettings:
    """The admin's annotation settings (made with the defaults on first use)."""
    row = AnnotationSettings.objects.order_by("id").first()
    return row if row is not None else AnnotationSettings.objects.create()


@dataclass(frozen=True)
class Made:
    source: str
    created: int


def _seqs(visit_id: int) -> list[int]:
    return list(WeightEvent.objects.filter(visit_id=visit_id).order_by("seq").values_list("seq", flat=True))


def _latest_prediction(visit_id: int) -> Prediction | None:
    return Prediction.objects.filter(visit_id=visit_id).select_related("model_version").order_by("-created_at").first()


def task_make(
    *,
    visit: Visit,
    source: str,
    detail: str = "",
    gold_labels: list[dict[str, Any]] | None = None,
    conf: AnnotationSettings | None = None,
) -> AnnotationTask | None:
    """Make the task of ``visit`` from ``source`` with its auto-labels and first slots;
    None if that task exists already (or the visit has no weight event to label)."""
    if AnnotationTask.objects.filter(visit=visit, source=source).exists():
        return None
    seqs = _seqs(visit.pk)
    if not seqs:
        return None
    prediction = _latest_prediction(visit.pk)
    auto = from_assignments(seqs, prediction.event_assignments) if prediction is not None else []
    conf = conf or settings_current()
    overlap = 0 if source == Source.GOLD else conf.initial_overlap(source)
    priority = PRIORITY[source]
    try:
        with transaction.atomic():
            task = AnnotationTask.objects.create(
                visit=visit,
                source=source,
                source_detail=detail[:200],
                priority=priority,
                overlap=overlap,
                auto_labels=auto,
                model_version=prediction.model_version.name if prediction is not None else "",
                gold_labels=gold_labels,
            )
            # Gold slots are made per annotator as they are handed out.
            AnnotationSlot.objects.bulk_create([AnnotationSlot(task=task, priority=priority) for _ in range(overlap)])
    except IntegrityError:
        return None  # another job made it meanwhile
    return task


def _make_many(visits: Iterable[Visit], source: str, detail: str = "") -> int:
    conf = settings_current()
    return sum(task_make(visit=v, source=source, detail=detail, conf=conf) is not None for v in visits)


def _has_task(source: str) -> Exists:
    return Exists(AnnotationTask.objects.filter(visit_id=OuterRef("visit_id"), source=source))


def tasks_from_flagged(*, visit_ids: Iterable[int] | None = None) -> Made:
    qs = tasks_flagged_for_annotation().filter(~_has_task(Source.FLAGGED))
    if visit_ids is not None:
        qs = qs.filter(visit_id__in=list(visit_ids))
    visits = Visit.objects.filter(pk__in=qs.values("visit_id"))
    return Made(Source.FLAGGED, _make_many(visits, Source.FLAGGED, "sent by a reviewer"))


def tasks_from_corrections(*, visit_ids: Iterable[int] | None = None) -> Made:
    qs = ReviewTask.objects.filter(status=ReviewStatus.DONE, decision=Decision.CORRECT).filter(
        ~_has_task(Source.CORRECTED)
    )
    if visit_ids is not None:
        qs = qs.filter(visit_id__in=list(visit_ids))
    visits = Visit.objects.filter(pk__in=qs.values("visit_id"))
    return Made(Source.CORRECTED, _make_many(visits, Source.CORRECTED, "review corrected the model"))


def _doubt(assignments: list[dict[str, Any]]) -> float:
    """How unsure the model was of the visit's least sure weight event (0 sure .. 1 lost)."""
    events = weight_assignments(assignments)
    auto = from_assignments(list(range(len(events))), events)
    return max((1.0 - float(a["confidence"]) for a in auto), default=0.0)


def tasks_from_hard_cases(*, day: date | None = None) -> Made:
    """Per store, the auto-issued visits of ``day`` (default: yesterday and today) whose
    least sure event the model doubted most, up to the daily budget less what that day
    already has."""
    conf = settings_current()
    today = timezone.localdate()
    days = [day] if day is not None else [today - timedelta(days=1), today]
    made = 0
    for d in days:
        routings = VisitRouting.objects.filter(outcome=RoutingOutcome.AUTO_ISSUED, routed_at__date=d)
        for store_id in routings.values_list("visit__store_id", flat=True).distinct():
            used = AnnotationTask.objects.filter(
                source=Source.HARD_CASE, visit__store_id=store_id, source_detail__startswith=f"{d}:"
            ).count()
            budget = conf.hard_case_budget - used
            if budget <= 0:
                continue
            visit_ids = list(
                routings.filter(visit__store_id=store_id)
                .filter(~_has_task(Source.HARD_CASE))
                .values_list("visit_id", flat=True)
            )
            doubts: list[tuple[float, int]] = []
            seen: set[int] = set()
            # The newest prediction of each visit (no DISTINCT ON: the embedded default is SQLite).
            for visit_id, assignments in (
                Prediction.objects.filter(visit_id__in=visit_ids)
                .order_by("visit_id", "-created_at")
                .values_list("visit_id", "event_assignments")
            ):
                if visit_id in seen:
                    continue
                seen.add(visit_id)
                if assignments:
                    doubts.append((_doubt(list(assignments)), visit_id))
            doubts.sort(reverse=True)
            for doubt, visit_id in doubts[:budget]:
                visit = Visit.objects.get(pk=visit_id)
                made += (
                    task_make(visit=visit, source=Source.HARD_CASE, detail=f"{d}: doubt {doubt:.3f}", conf=conf)
                    is not None
                )
    return Made(Source.HARD_CASE, made)


def in_random_sample(visit_id: int, rate: float) -> bool:
    """A fixed pseudo-random share of visits (Knuth's multiplicative hash of the id)."""
    return ((visit_id * 2654435761) % 2**32) / 2**32 < rate


def tasks_from_random_sample(*, since_days: int = 7) -> Made:
    conf = settings_current()
    since = timezone.now() - timedelta(days=since_days)
    ids = (
        VisitRouting.objects.filter(outcome=RoutingOutcome.AUTO_ISSUED, routed_at__gte=since)
        .filter(~_has_task(Source.RANDOM))
        .values_list("visit_id", flat=True)
    )
    chosen = [i for i in ids if in_random_sample(i, conf.random_rate)]
    return Made(Source.RANDOM, _make_many(Visit.objects.filter(pk__in=chosen), Source.RANDOM, "random sample"))


def tasks_from_gold() -> Made:
    """Gold tasks up to a pool of GOLD_POOL: simulated visits with their truth first, then
    visits whose labels a strong consensus settled."""
    room = GOLD_POOL - AnnotationTask.objects.filter(source=Source.GOLD).count()
    made = 0
    if room > 0:
        truths = VisitTruth.objects.filter(
            ~Exists(AnnotationTask.objects.filter(visit_id=OuterRef("visit_id"), source=Source.GOLD))
        ).order_by("visit_id")
        for truth in truths[: room * 2]:
            if made >= room:
                break
            labels = from_truth(_seqs(truth.visit_id), truth.truth)
            made += (
                task_make(visit=truth.visit, source=Source.GOLD, detail="simulator truth", gold_labels=labels)
                is not None
            )
    room -= made
    if room > 0:
        made_settled = 0
        settled = AnnotationTask.objects.filter(status=TaskStatus.CONSOLIDATED, consensus__isnull=False).exclude(
            source=Source.GOLD
        )
        for task in settled.order_by("-consolidated_at")[: room * 4]:
            if made_settled >= room:
                break
            events = (task.consensus or {}).get("events", [])
            if events and min(e["posterior"] for e in events) >= SETTLED_POSTERIOR and task.overlap >= 2:
                labels = [{k: e[k] for k in ("seq", "action", "sku", "quantity", "track_id")} for e in events]
                gold = task_make(
                    visit=task.visit, source=Source.GOLD, detail=f"settled by task {task.pk}", gold_labels=labels
                )
                made_settled += gold is not None
        made += made_settled
    return Made(Source.GOLD, made)


def tasks_make_all() -> list[Made]:
    """Every source once (the beat job)."""
    return [
        tasks_from_flagged(),
        tasks_from_corrections(),
        tasks_from_hard_cases(),
        tasks_from_random_sample(),
        tasks_from_gold(),
    ]
