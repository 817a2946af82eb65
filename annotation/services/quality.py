"""Annotator quality: gold accuracy per field, the gold bar, and the Dawid-Skene refit.

Gold accuracy is exact (the share of gold events an annotator got right, per field);
the refit estimates everyone's accuracy from all labels at once, with gold items
clamped to their known answer, and re-weights open labels of flagged annotators.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db import transaction
from django.utils import timezone

from annotation.conf import FIELD_OPTIONS
from annotation.consensus import Vote, dawid_skene, one_coin
from annotation.models import ACTIONS, FIELDS, AnnotationTask, AnnotatorQuality, Label, Source, TaskStatus
from annotation.services.sources import settings_current

MIN_GOLD_EVENTS = 10


def gold_accuracy(annotator_id: int) -> tuple[dict[str, float], int]:
    """Per field, the share of the annotator's gold events they got right; and how many."""
    right: dict[str, int] = defaultdict(int)
    n = 0
    for events, gold in Label.objects.filter(annotator_id=annotator_id, task__source=Source.GOLD).values_list(
        "events", "task__gold_labels"
    ):
        truth = {g["seq"]: g for g in gold or []}
        for e in events:
            g = truth.get(e["seq"])
            if g is None:
                continue
            n += 1
            for f in FIELDS:
                right[f] += int(e.get(f) == g.get(f))
    return ({f: round(right[f] / n, 4) for f in FIELDS} if n else {}), n


@transaction.atomic
def gold_score_label(*, label: Label) -> AnnotatorQuality:
    """Update the annotator's gold accuracy after a gold label, and flag them when a field
    falls below the admin's bar (with at least MIN_GOLD_EVENTS gold events)."""
    conf = settings_current()
    accuracy, n = gold_accuracy(label.annotator_id)
    quality, _ = AnnotatorQuality.objects.select_for_update().get_or_create(annotator_id=label.annotator_id)
    was = quality.flagged
    quality.gold_accuracy = accuracy
    quality.gold_events = n
    quality.flagged = n >= MIN_GOLD_EVENTS and min(accuracy.values(), default=1.0) < conf.gold_bar
    quality.updated_at = timezone.now()
    quality.save()
    if quality.flagged != was:
        weight = conf.flagged_weight if quality.flagged else 1.0
        # Their labels on tasks not yet consolidated count for less (or again in full).
        Label.objects.filter(annotator_id=label.annotator_id, task__status=TaskStatus.OPEN).exclude(
            task__source=Source.GOLD
        ).update(weight=weight)
    return quality


def _votes(labels: list[Label], field: str) -> list[Vote]:
    return [
        Vote(item=(lab.task_id, e["seq"]), worker=lab.annotator_id, value=e[field], weight=lab.weight)
        for lab in labels
        for e in lab.events
    ]


def quality_refit() -> dict[str, Any]:
    """Fit Dawid-Skene over every label (gold clamped) and store each annotator's
    per-field accuracy, action confusion and agreement with the consensus."""
    labels = list(
        Label.objects.select_related("task").only(
            "task_id", "annotator_id", "events", "weight", "task__source", "task__gold_labels"
        )
    )
    gold: dict[str, dict[Any, Any]] = {f: {} for f in FIELDS}
    for task in AnnotationTask.objects.filter(source=Source.GOLD).only("id", "gold_labels"):
        for g in task.gold_labels or []:
            for f in FIELDS:
                gold[f][(task.pk, g["seq"])] = g.get(f)
    accuracy: dict[int, dict[str, float]] = defaultdict(dict)
    agree: dict[int, list[int]] = defaultdict(list)
    confusion: dict[int, list[list[float]]] = {}
    for f in FIELDS:
        votes = _votes(labels, f)
        if not votes:
            continue
        if f == "action":
            result = dawid_skene(votes, classes=list(ACTIONS), gold=gold[f])
            confusion = result.confusion
        else:
            result = one_coin(votes, options={v.item: FIELD_OPTIONS[f] for v in votes}, gold=gold[f])
        for w, a in result.accuracy.items():
            accuracy[w][f] = round(a, 4)
        for v in votes:
            agree[v.worker].append(int(result.labels.get(v.item) == v.value))
    now = timezone.now()
    for w, acc in accuracy.items():
        AnnotatorQuality.objects.update_or_create(
            annotator_id=w,
            defaults={
                "accuracy": acc,
                "action_confusion": confusion.get(w, []),
                "agreement": round(sum(agree[w]) / len(agree[w]), 4) if agree[w] else None,
                "updated_at": now,
            },
        )
    # With what was learnt, settle again every consolidated task (its examples follow).
    from annotation.services.labels import task_consolidate

    again = 0
    for task in AnnotationTask.objects.filter(status=TaskStatus.CONSOLIDATED).exclude(source=Source.GOLD):
        with transaction.atomic():
            locked = AnnotationTask.objects.select_for_update().get(pk=task.pk)
            task_consolidate(task=locked, allow_more=False)
            again += 1
    return {"labels": len(labels), "annotators": len(accuracy), "tasks": again}
