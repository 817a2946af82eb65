"""Reads of annotation: an annotator's work and numbers, and what a task page shows."""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from annotation.labelstudio.models import LinkedTask
from annotation.models import (
    ACTIONS,
    FIELDS,
    AnnotationSkip,
    AnnotationSlot,
    AnnotationTask,
    AnnotatorQuality,
    Label,
    SlotStatus,
    Source,
)
from annotation.services.claims import slot_held
from inference.assignments import camera_only_items
from inference.models import Prediction
from jwo_review.store.interactions import visit_interactions

ACTION_LABELS = {"pick": "Pick", "put_back": "Put back", "restock": "Staff restock", "noise": "No-op (sensor noise)"}


def tasks_available(*, user: Any) -> int:
    """How many tasks claim-next could hand the annotator now: tasks with a pending slot
    that they have not done, held or skipped and that no enabled Label Studio connection
    labels (one slot per task is theirs to take; gold is mixed in at the draw and not
    counted, so the count does not tell a check task from another)."""
    mine = AnnotationSlot.objects.filter(task_id=OuterRef("task_id"), annotator=user)
    skipped = AnnotationSkip.objects.filter(task_id=OuterRef("task_id"), user=user)
    elsewhere = LinkedTask.objects.filter(task_id=OuterRef("task_id"), connection__enabled=True)
    return (
        AnnotationSlot.objects.filter(status=SlotStatus.PENDING)
        .filter(~Exists(mine), ~Exists(skipped), ~Exists(elsewhere))
        .values("task_id")
        .distinct()
        .count()
    )


def home_work(user: Any) -> str:
    """The home page's line under Annotate: the tasks claim-next could hand this user."""
    held = slot_held(user=user) is not None
    waiting = tasks_available(user=user)
    if not waiting:
        return "You hold a task: continue it." if held else "Nothing to annotate right now."
    tasks = "1 task" if waiting == 1 else f"{waiting} tasks"
    return f"{tasks} waiting for you" + (", and one you hold." if held else ".")


def annotator_recent(*, user: Any, limit: int = 20) -> list[AnnotationSlot]:
    return list(
        AnnotationSlot.objects.filter(annotator=user, status=SlotStatus.DONE)
        .select_related("task__visit__store")
        .order_by("-submitted_at")[:limit]
    )


def annotator_stats(
    *, user_id: Any, days: int = 28, since: datetime | None = None, until: datetime | None = None
) -> dict[str, Any]:
    """Slots done, per hour worked, median time, gold accuracy per field (overall and
    per week), agreement with consensus and whether the gold bar flags them. Slots and
    weeks count over the last ``days`` days, or from ``since`` to ``until`` when given;
    the overall gold accuracy and agreement are the annotator's standing ones."""
    window: dict[str, datetime] = {"submitted_at__gte": since or timezone.now() - timedelta(days=days)}
    if until is not None:
        window["submitted_at__lt"] = until
    done = list(
        AnnotationSlot.objects.filter(annotator_id=user_id, status=SlotStatus.DONE, **window).values_list(
            "time_spent_s", flat=True
        )
    )
    times = [t for t in done if t is not None]
    hours = sum(times) / 3600 if times else 0.0
    weekly: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for submitted, events, gold in Label.objects.filter(
        annotator_id=user_id, task__source=Source.GOLD, **window
    ).values_list("submitted_at", "events", "task__gold_labels"):
        week = (submitted.date() - timedelta(days=submitted.weekday())).isoformat()
        truth = {g["seq"]: g for g in gold or []}
        for e in events:
            if e["seq"] in truth:
                for f in FIELDS:
                    weekly[week][f].append(int(e.get(f) == truth[e["seq"]].get(f)))
    quality = AnnotatorQuality.objects.filter(annotator_id=user_id).first()
    return {
        "slots_done": len(done),
        "tasks_per_hour": round(len(times) / hours, 1) if hours > 0 else None,
        "median_time_s": round(statistics.median(times), 1) if times else None,
        "gold_accuracy": quality.gold_accuracy if quality else {},
        "gold_events": quality.gold_events if quality else 0,
        "gold_accuracy_by_week": [
            {"week": w, **{f: round(sum(v) / len(v), 4) for f, v in fields.items()}}
            for w, fields in sorted(weekly.items())
        ],
        "estimated_accuracy": quality.accuracy if quality else {},
        "agreement": quality.agreement if quality else None,
        "flagged": quality.flagged if quality else False,
    }


THROUGHPUT = ("slots_done", "tasks_per_hour", "median_time_s")


def annotators_overview() -> list[dict[str, Any]]:
    """Every annotator's quality and throughput (admins; the dashboard reads this through
    ``JWO_DASHBOARD_ANNOTATORS``)."""
    return [
        {
            **{
                k: v
                for k, v in annotator_stats(user_id=q.annotator_id).items()
                if k in ("slots_done", "tasks_per_hour", "median_time_s")
            },
            "annotator": q.annotator.get_username(),
            "gold_accuracy": q.gold_accuracy,
            "gold_events": q.gold_events,
            "estimated_accuracy": q.accuracy,
            "agreement": q.agreement,
            "flagged": q.flagged,
        }
        for q in AnnotatorQuality.objects.select_related("annotator").order_by("annotator__username")
    ]


def task_counts() -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for source in Source:
        qs = AnnotationTask.objects.filter(source=source)
        out[source.value] = {
            "open": qs.filter(status="open").count(),
            "consolidated": qs.filter(status="consolidated").count(),
        }
    return out


def slot_page_data(slot: AnnotationSlot) -> dict[str, Any]:
    """What the annotator workspace embeds for one held slot. The source of the task is
    left out on purpose: a gold task must look like any other."""
    task = slot.task
    visit = task.visit
    data = visit_interactions(visit, assignments=task.auto_labels, catalogue=True)
    focus = [s for s in (slot.focus or []) if s >= 0]
    return {
        **data,
        "slot": {
            "id": slot.pk,
            "focus": focus,
            "ask_missed": not slot.focus or -1 in slot.focus,
            "lease_expires_at": slot.lease_expires_at.isoformat() if slot.lease_expires_at else None,
        },
        "auto_labels": task.auto_labels,
        "camera_only": camera_only_suggestions(task) if not slot.focus or -1 in slot.focus else [],
        "model_version": task.model_version,
        "actions": [{"value": a, "label": ACTION_LABELS[a]} for a in ACTIONS],
        "urls": {
            "clips": reverse("annotation-api-clips", args=[slot.pk]),
            "clip_status": reverse("annotation-api-clip-status"),
            "renew": reverse("annotation-api-renew", args=[slot.pk]),
            "submit": reverse("annotation-api-submit", args=[slot.pk]),
            "skip": reverse("annotation-api-skip", args=[slot.pk]),
            "release": reverse("annotation-api-release", args=[slot.pk]),
            "next": reverse("annotation-next"),
            "home": reverse("annotation"),
        },
    }


def camera_only_suggestions(task: AnnotationTask) -> list[dict[str, Any]]:
    """The items the task's model put on the receipt from the cameras alone (a hand in a
    shelf no weight change explains): the workspace lists each as an interaction the
    scale missed, for the annotator to confirm or remove like an auto-label."""
    prediction = (
        Prediction.objects.filter(visit_id=task.visit_id, model_version__name=task.model_version)
        .order_by("-created_at")
        .first()
    )
    if prediction is None:
        return []
    return [
        {
            "reach": entry.get("reach"),
            "t": float(entry["t"]),
            "plate": entry.get("plate"),
            "action": entry["action"],
            "sku": entry["sku"],
            "quantity": int(entry.get("quantity") or 1),
            "track_id": entry.get("track_id"),
        }
        for entry in camera_only_items(prediction.event_assignments)
    ]


def slots_of(*, user: Any, status: str | None = None) -> Any:
    qs = AnnotationSlot.objects.filter(annotator=user).select_related("task__visit__store").order_by("-id")
    if status:
        qs = qs.filter(Q(status=status))
    return qs
