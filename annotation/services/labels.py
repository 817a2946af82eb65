"""Submitting labels, consolidating a task, and the adaptive further opinion.

When every slot of a task is done, its labels are combined per event and field with the
annotators' current Dawid-Skene accuracies (``AnnotatorQuality``, refitted by a beat
job). Events where the labels disagree, or whose posterior is below the admin's bar, get
one more annotator (a slot that asks about those events only), up to ``max_overlap``;
otherwise the consensus is stored and becomes labelled examples in ``inference``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from annotation.conf import ADDED_MATCH_S, FIELD_OPTIONS, MAX_QUANTITY
from annotation.consensus import Vote, confusion_posterior, krippendorff_alpha, one_coin
from annotation.models import (
    ACTIONS,
    FIELDS,
    AnnotationSlot,
    AnnotationTask,
    AnnotatorQuality,
    Label,
    SlotStatus,
    Source,
    TaskStatus,
)
from annotation.selectors import camera_only_suggestions
from annotation.services.claims import slot_lock_held
from annotation.services.quality import gold_score_label
from annotation.services.sources import settings_current
from inference.examples import ExampleSpec, examples_record
from inference.models import ExampleKind
from jwo_review.errors import InvalidInput
from jwo_review.store.models import Product, WeightEvent

MISSED = -1  # the focus entry that asks about interactions the scale missed


def _field_errors(
    prefix: str, item: dict[str, Any], known_skus: set[str], duration: float | None = None
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    action = item.get("action")
    if action not in ACTIONS:
        errors[f"{prefix}.action"] = [f"One of {', '.join(ACTIONS)}."]
        return errors
    if action != "noise":
        sku = item.get("sku")
        # A staff restock never reaches a receipt: its product may be left open.
        if not (action == "restock" and not sku) and (not isinstance(sku, str) or sku not in known_skus):
            errors[f"{prefix}.sku"] = [f"Unknown product {sku!r}." if sku else "Choose the product."]
        q = item.get("quantity")
        if not isinstance(q, int) or isinstance(q, bool) or not 1 <= q <= MAX_QUANTITY:
            errors[f"{prefix}.quantity"] = [f"A whole number from 1 to {MAX_QUANTITY}."]
    track = item.get("track_id")
    if track is not None and (not isinstance(track, int) or isinstance(track, bool) or track < 0):
        errors[f"{prefix}.track_id"] = ["A track number, or null."]
    if duration is not None:
        t = item.get("t")
        if not isinstance(t, int | float) or isinstance(t, bool) or not 0 <= t <= duration:
            errors[f"{prefix}.t"] = [f"Seconds since entry, 0 to {duration:.1f}."]
    return errors


def _normalise(item: dict[str, Any], *, keep: Sequence[str]) -> dict[str, Any]:
    action = item["action"]
    moved = action != "noise"
    out = {k: item.get(k) for k in keep}
    out["action"] = action
    out["sku"] = item.get("sku", "") if moved else ""
    out["quantity"] = int(item.get("quantity") or 0) if moved else 0
    out["track_id"] = item.get("track_id") if action in ("pick", "put_back") else None
    return out


def _wanted(task: AnnotationTask, focus: list[int] | None) -> list[int]:
    seqs = list(WeightEvent.objects.filter(visit_id=task.visit_id).order_by("seq").values_list("seq", flat=True))
    return [s for s in (focus or seqs) if s != MISSED]


def labels_check(
    *, task: AnnotationTask, wanted: Sequence[int], events: list[dict[str, Any]], added: list[dict[str, Any]] | None
) -> dict[Any, dict[str, Any]]:
    """The answer per event seq, when ``events`` label exactly the ``wanted`` events of
    ``task`` with known products and ``added`` holds valid interactions; else raises
    InvalidInput with field details."""
    given = {e.get("seq"): e for e in events if isinstance(e, dict)}
    skus = {
        str(x.get("sku")) for x in [*events, *(added or [])] if isinstance(x, dict) and isinstance(x.get("sku"), str)
    }
    known = set(Product.objects.filter(sku__in=skus).values_list("sku", flat=True))
    errors: dict[str, list[str]] = {}
    missing = [s for s in wanted if s not in given]
    if missing:
        errors["events"] = [f"Label every event this task asks about; missing seq {missing}."]
    extra = [s for s in given if s not in wanted]
    if extra:
        errors.setdefault("events", []).append(f"Events {extra} are not part of this task.")
    for i, e in enumerate(events):
        errors.update(_field_errors(f"events[{i}]", e if isinstance(e, dict) else {}, known))
    for i, a in enumerate(added or []):
        item = a if isinstance(a, dict) else {}
        errors.update(_field_errors(f"added[{i}]", item, known, duration=task.visit.duration_s))
        if item.get("action") == "noise":
            errors[f"added[{i}].action"] = ["An added interaction is a pick, put back or restock."]
    if errors:
        raise InvalidInput("The labels are invalid; nothing was saved.", fields=errors)
    return given


def _after_label(task: AnnotationTask, label: Label) -> None:
    """Gold scoring, or consolidation once the task's last slot is done (again, without
    asking anyone more, when the task was already consolidated)."""
    if task.source == Source.GOLD:
        gold_score_label(label=label)
    elif task.status == TaskStatus.CONSOLIDATED:
        task_consolidate(task=task, allow_more=False)
    elif not task.slots.exclude(status=SlotStatus.DONE).exists():
        task_consolidate(task=task)


@transaction.atomic
def label_record_external(*, task_id: int, annotator: Any, events: list[dict[str, Any]]) -> tuple[Label, bool]:
    """Record the answer an annotator gave in another tool (Label Studio) for every event
    of the task, or replace their earlier answer when they edited it there; then score or
    consolidate as for a label given here. The answer fills one of the task's pending
    slots (of a further-opinion slot, only its events count) or, with none pending, one
    more slot. Returns the label and whether it is new. Raises InvalidInput with field
    details (nothing written) for a bad answer."""
    task = AnnotationTask.objects.select_for_update().select_related("visit").get(pk=task_id)
    label = Label.objects.select_for_update().filter(task=task, annotator=annotator).select_related("slot").first()
    if label is not None:
        wanted = _wanted(task, label.slot.focus)
        given = labels_check(task=task, wanted=wanted, events=[e for e in events if e.get("seq") in wanted], added=[])
        label.events = [_normalise(given[s], keep=("seq", "accepted")) for s in wanted]
        label.submitted_at = timezone.now()
        label.save(update_fields=["events", "submitted_at"])
        _after_label(task, label)
        return label, False
    # Another holder of a pending slot is not waiting for it: skip slots locked by a claim.
    slot = (
        AnnotationSlot.objects.select_for_update(skip_locked=True)
        .filter(task=task, status=SlotStatus.PENDING)
        .order_by("id")
        .first()
    )
    now = timezone.now()
    if slot is None:
        slot = AnnotationSlot(task=task, priority=task.priority)
        if task.source != Source.GOLD:
            task.overlap += 1
            task.save(update_fields=["overlap"])
    wanted = _wanted(task, slot.focus)
    given = labels_check(task=task, wanted=wanted, events=[e for e in events if e.get("seq") in wanted], added=[])
    slot.status = SlotStatus.DONE
    slot.annotator = annotator
    slot.submitted_at = now
    slot.save()
    quality = AnnotatorQuality.objects.filter(annotator=annotator).first()
    label = Label.objects.create(
        slot=slot,
        task=task,
        annotator=annotator,
        events=[_normalise(given[s], keep=("seq", "accepted")) for s in wanted],
        weight=settings_current().flagged_weight if quality is not None and quality.flagged else 1.0,
        submitted_at=now,
    )
    _after_label(task, label)
    return label, True


@transaction.atomic
def label_submit(
    *, slot_id: int, user: Any, events: list[dict[str, Any]], added: list[dict[str, Any]] | None = None
) -> Label:
    """Record the holder's answer for their slot: one entry per event the slot asks about
    (``{seq, action, sku, quantity, track_id, accepted}``) and interactions the scale
    missed (``{t, action, sku, quantity, track_id}``). Then consolidate the task if it
    was its last open slot. Raises Conflict without the lease, InvalidInput (with field
    details, nothing written) for a bad answer."""
    slot = slot_lock_held(slot_id, user)
    task = AnnotationTask.objects.select_for_update().select_related("visit").get(pk=slot.task_id)
    wanted = _wanted(task, slot.focus)
    given = labels_check(task=task, wanted=wanted, events=events, added=added)
    now = timezone.now()
    quality = AnnotatorQuality.objects.filter(annotator=user).first()
    weight = settings_current().flagged_weight if quality is not None and quality.flagged else 1.0
    label = Label.objects.create(
        slot=slot,
        task=task,
        annotator=user,
        events=[_normalise(given[s], keep=("seq", "accepted")) for s in wanted],
        added=[_normalise(a, keep=("t",)) for a in (added or [])],
        # What the workspace listed to keep or remove: a removal means something only then.
        camera_only_shown=camera_only_suggestions(task) if not slot.focus or MISSED in slot.focus else [],
        weight=weight,
    )
    slot.status = SlotStatus.DONE
    slot.submitted_at = now
    slot.time_spent_s = round((now - slot.claimed_at).total_seconds(), 1) if slot.claimed_at else None
    slot.lease_expires_at = None
    slot.save(update_fields=["status", "submitted_at", "time_spent_s", "lease_expires_at"])
    _after_label(task, label)
    return label


def _accuracies(annotator_ids: set[int]) -> dict[str, dict[int, float]]:
    by_field: dict[str, dict[int, float]] = {f: {} for f in FIELDS}
    for q in AnnotatorQuality.objects.filter(annotator_id__in=annotator_ids):
        for f in FIELDS:
            # The refit's estimate when there is one; until then what gold says.
            known = (q.accuracy or {}).get(f, (q.gold_accuracy or {}).get(f))
            if known is not None:
                by_field[f][q.annotator_id] = float(known)
    return by_field


def _match_added(labels: Sequence[Label]) -> tuple[list[dict[str, Any]], bool]:
    """Interactions the scale missed that more than half of the annotators added (same
    product and action, moments within ADDED_MATCH_S); and whether they disagree."""
    clusters: list[list[dict[str, Any]]] = []
    for label in labels:
        for a in label.added:
            for c in clusters:
                if (
                    c[0]["sku"] == a["sku"]
                    and c[0]["action"] == a["action"]
                    and abs(c[0]["t"] - a["t"]) <= ADDED_MATCH_S
                ):
                    c.append(a)
                    break
            else:
                clusters.append([a])
    kept = [c for c in clusters if len(c) * 2 > len(labels)]
    disagree = any(len(c) != len(labels) for c in clusters)
    out = []
    for c in kept:
        first = c[0]
        out.append({**first, "t": round(sum(x["t"] for x in c) / len(c), 2), "support": len(c)})
    return out, disagree


def _removed_examples(task: AnnotationTask, labels: Sequence[Label], annotators: list[int]) -> list[ExampleSpec]:
    """The model's camera-only items that most of the annotators shown them removed, each
    as a ``noise`` example at its moment with its reach and plate: the reach behind it
    moved nothing, and the reach heads learn so. An answer was shown the items the
    workspace listed for it (``Label.camera_only_shown``; none for another tool's answer
    or a slot asking only about disputed events). An item counts as kept by an answer
    that added any interaction within ``ADDED_MATCH_S`` of its moment (kept as it was, or
    corrected to another product or action); a tie labels nothing."""
    items: dict[tuple[Any, str], dict[str, Any]] = {}
    shown_to: dict[tuple[Any, str], list[Label]] = {}
    for lab in labels:
        for item in lab.camera_only_shown or []:
            key = (item.get("reach"), f"{float(item['t']):.3f}")
            items.setdefault(key, item)
            shown_to.setdefault(key, []).append(lab)
    out = []
    for key, item in sorted(items.items(), key=lambda kv: float(kv[1]["t"])):
        shown = shown_to[key]
        kept = sum(any(abs(float(a["t"]) - float(item["t"])) <= ADDED_MATCH_S for a in lab.added) for lab in shown)
        if kept * 2 >= len(shown):
            continue
        removed = len(shown) - kept
        out.append(
            ExampleSpec(
                ref=f"camera-only:{item.get('reach')}:{float(item['t']):.2f}",
                kind=ExampleKind.MISSED,
                t=float(item["t"]),
                action="noise",
                sku=item["sku"],
                confidence=removed / len(shown),
                provenance={
                    "task": task.pk,
                    "annotators": annotators,
                    "support": removed,
                    "source": task.source,
                    "removed": "camera-only",
                    "reach": item.get("reach"),
                    "plate": item.get("plate"),
                },
            )
        )
    return out


@transaction.atomic
def task_consolidate(*, task: AnnotationTask, allow_more: bool = True) -> AnnotationTask:
    """Combine the task's labels (call with the task row locked). Asks one more annotator
    about unsettled events while ``allow_more`` and the overlap is below the maximum;
    else stores the consensus and agreement and records the labelled examples."""
    conf = settings_current()
    labels = list(Label.objects.filter(task=task).order_by("submitted_at", "id"))
    acc = _accuracies({lab.annotator_id for lab in labels})
    confusion = {
        q.annotator_id: q.action_confusion
        for q in AnnotatorQuality.objects.filter(annotator_id__in={lab.annotator_id for lab in labels})
        if q.action_confusion
    }
    per_event: dict[int, dict[str, Any]] = {}
    unsettled: list[int] = []
    units: list[list[Any]] = []
    for f in FIELDS:
        votes = [
            Vote(item=e["seq"], worker=lab.annotator_id, value=e[f], weight=lab.weight)
            for lab in labels
            for e in lab.events
        ]
        # No EM here: one task is too little to learn from; the refit job learns the
        # accuracies and the action confusions, and this reads them.
        if f == "action" and confusion and all(lab.annotator_id in confusion for lab in labels):
            result = confusion_posterior(votes, classes=list(ACTIONS), confusion=confusion)
        else:
            result = one_coin(
                votes, options={v.item: FIELD_OPTIONS[f] for v in votes}, warm=acc[f] or None, iterations=0
            )
        for seq, value in result.labels.items():
            ev = per_event.setdefault(int(str(seq)), {"seq": seq, "posteriors": {}, "votes": {}})
            ev[f] = value
            ev["posteriors"][f] = round(result.posterior[seq], 4)
            ev["votes"][f] = [v.value for v in votes if v.item == seq]
    for seq, ev in sorted(per_event.items()):
        ev["posterior"] = min(ev["posteriors"].values())
        split = any(len(set(map(str, vs))) > 1 for vs in ev["votes"].values())
        if split or ev["posterior"] < conf.min_posterior:
            unsettled.append(seq)
        for vs in ev["votes"].values():
            units.append(vs)
    added, added_split = _match_added(labels)
    if added_split:
        unsettled.append(MISSED)
    if unsettled and allow_more and task.overlap < conf.max_overlap:
        AnnotationSlot.objects.create(task=task, priority=task.priority + 1, focus=unsettled)
        task.overlap += 1
        task.save(update_fields=["overlap"])
        return task
    events = [per_event[s] for s in sorted(per_event)]
    annotators = sorted({lab.annotator_id for lab in labels})
    removed = _removed_examples(task, labels, annotators)
    task.consensus = {
        "events": events,
        "added": added,
        "removed_camera_only": [
            {"reach": r.provenance["reach"], "t": r.t, "sku": r.sku, "support": r.provenance["support"]}
            for r in removed
        ],
        "unsettled": unsettled,
    }
    task.agreement = krippendorff_alpha(units)
    task.status = TaskStatus.CONSOLIDATED
    task.consolidated_at = timezone.now()
    task.save(update_fields=["consensus", "agreement", "status", "consolidated_at"])
    examples = [
        ExampleSpec(
            ref=f"event:{ev['seq']}",
            event_seq=ev["seq"],
            action=ev["action"],
            sku=ev["sku"] or "",
            quantity=ev["quantity"] or 0,
            track_id=ev["track_id"],
            confidence=ev["posterior"],
            provenance={
                "task": task.pk,
                "annotators": annotators,
                "posteriors": ev["posteriors"],
                "source": task.source,
            },
        )
        for ev in events
    ] + [
        ExampleSpec(
            ref=f"missed:{i}",
            kind=ExampleKind.MISSED,
            t=a["t"],
            action=a["action"],
            sku=a["sku"],
            quantity=a["quantity"],
            track_id=a["track_id"],
            confidence=a["support"] / len(labels),
            provenance={"task": task.pk, "annotators": annotators, "support": a["support"], "source": task.source},
        )
        for i, a in enumerate(added)
    ]
    examples += removed
    examples_record(visit=task.visit, source=f"annotation:{task.source}", examples=examples)
    return task
