"""Annotation: consensus accuracy, labels spent with adaptive overlap, and the task page.

On a PostgreSQL database of its own (jwo_bench_annotation), in one run:
1. A small model is trained and simulated visits are ingested and scored (their truth
   kept apart), so every task carries real auto-labels.
2. Three simulated annotators (careful, hasty, mostly-accepting) label every event; over
   the same answers, Dawid-Skene and majority vote are each scored against the truth
   (fixed overlap 3).
3. The product's own path: tasks from the random-sample source and gold tasks from the
   truth, claimed by the three in turn through claim-next, submitted through
   ``label_submit``; adaptive overlap asks a third annotator only about unsettled events.
   Labels spent per consolidated event and the consensus accuracy are reported.
4. With 100,000 annotation tasks stored, the annotator's task page server time against
   the reviewer workspace page for the same visit.

    python bench/annotation.py [--visits 850] [--tasks 100000] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path[0] = str(Path(__file__).resolve().parent.parent)
from bench._setup import django_on_bench_db  # noqa: E402

BENCH_DB = "jwo_bench_annotation"
FIELDS = ("action", "sku", "quantity", "track_id")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def reset() -> None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "TRUNCATE annotation_annotationtask, annotation_annotatorquality, annotation_annotationsettings, "
            "low_confidence_queue_reviewtask, inference_labelledexample, store_visit, inference_modelversion "
            "RESTART IDENTITY CASCADE"
        )


def prepare(visits: int, seed: int) -> None:
    from django.core.management import call_command

    from jwo_review.store.aim3s import build_aim3s_spec
    from jwo_review.store.models import Store
    from jwo_review.store.services.layout import store_load_spec

    if not Store.objects.filter(code="aim3s").exists():
        store_load_spec(build_aim3s_spec()[0])
    quiet = open(os.devnull, "w")  # noqa: SIM115
    print("training a small model for the auto-labels…", file=sys.stderr)
    call_command("train_model", visits=1500, calibration_visits=600, epochs=4, d_model=32, layers=1, members=1,
                 name="bench-annotation", activate=True, stdout=quiet, verbosity=0)
    print(f"simulating and scoring {visits} visits…", file=sys.stderr)
    call_command("simulate", scenario="default", visits=visits, seed=seed, quiet=True, stdout=quiet)


def event_table() -> list[dict[str, Any]]:
    """Per visit: its events' truth, auto-labels, candidates and tracks."""
    from annotation.autolabels import from_assignments, from_truth
    from inference.models import Prediction
    from jwo_review.store.interactions import visit_interactions
    from jwo_review.store.models import Visit

    rows = []
    for visit in Visit.objects.select_related("store", "sim_truth").order_by("pk"):
        data = visit_interactions(visit, catalogue=False)
        seqs = [e["seq"] for e in data["events"]]
        if not seqs:
            continue
        prediction = Prediction.objects.filter(visit=visit).first()
        auto = from_assignments(seqs, prediction.event_assignments) if prediction else []
        rows.append({
            "visit": visit, "seqs": seqs, "truth": from_truth(seqs, visit.sim_truth.truth), "auto": auto,
            "candidates": {e["seq"]: e["candidates"] for e in data["events"]},
            "tracks": sorted({p["track_id"] for p in visit.sim_truth.truth.get("people", [])}),
        })
    return rows


def answers(rows: list[dict[str, Any]]) -> dict[tuple[str, int, int], dict[str, Any]]:
    from annotation.simulated import CREW

    out = {}
    for r in rows:
        autos = {a["seq"]: a for a in r["auto"]}
        for t in r["truth"]:
            for person in CREW:
                out[(person.name, r["visit"].pk, t["seq"])] = person.answer(
                    key=f"{r['visit'].pk}:{t['seq']}", truth=t, auto=autos.get(t["seq"]),
                    candidates=r["candidates"].get(t["seq"], []), tracks=r["tracks"],
                )
    return out


def fixed_overlap(rows: list[dict[str, Any]], said: dict[tuple[str, int, int], dict[str, Any]],
                  gold_visits: set[int]) -> dict[str, float]:
    from annotation.conf import FIELD_OPTIONS
    from annotation.consensus import Vote, dawid_skene, majority_vote, one_coin
    from annotation.models import ACTIONS
    from annotation.simulated import CREW

    workers = {p.name: i for i, p in enumerate(CREW)}
    truth = {(r["visit"].pk, t["seq"]): t for r in rows for t in r["truth"]}
    consolidated: dict[str, dict[Any, dict[str, Any]]] = {"ds": {}, "mv": {}}
    for f in FIELDS:
        votes = [Vote(item=(v, s), worker=workers[name], value=a[f]) for (name, v, s), a in said.items()]
        gold = {k: t[f] for k, t in truth.items() if k[0] in gold_visits}
        if f == "action":
            ds = dawid_skene(votes, classes=list(ACTIONS), gold=gold).labels
        else:
            ds = one_coin(votes, options={v.item: FIELD_OPTIONS[f] for v in votes}, gold=gold).labels
        mv = majority_vote(votes)
        for k in truth:
            consolidated["ds"].setdefault(k, {})[f] = ds.get(k)
            consolidated["mv"].setdefault(k, {})[f] = mv.get(k)
    scored = [k for k in truth if k[0] not in gold_visits]
    def acc(which: str) -> float:
        return sum(all(consolidated[which][k][f] == truth[k][f] for f in FIELDS) for k in scored) / len(scored)
    return {"dawid_skene": round(acc("ds"), 4), "majority_vote": round(acc("mv"), 4), "events": len(scored)}


def adaptive(rows: list[dict[str, Any]], said: dict[tuple[str, int, int], dict[str, Any]],
             gold_visits: set[int]) -> dict[str, float]:
    """The product's path: gold first, then random-sample tasks, two annotators each and a
    third only on the events left unsettled."""
    from annotation.models import AnnotationSettings, AnnotationTask, Label, Source, TaskStatus
    from annotation.services.claims import slot_claim_next
    from annotation.services.labels import label_submit
    from annotation.services.quality import quality_refit
    from annotation.services.sources import task_make
    from annotation.simulated import CREW, crew_users
    from jwo_review.errors import InvalidInput

    AnnotationSettings.objects.all().delete()
    AnnotationSettings.objects.create(gold_rate=1.0)  # each person's gold first, then the stream
    people = crew_users()
    for r in rows:
        if r["visit"].pk in gold_visits:
            task_make(visit=r["visit"], source=Source.GOLD, gold_labels=r["truth"])
        else:
            task_make(visit=r["visit"], source=Source.RANDOM)
    active = list(CREW)
    gold_labels = len(gold_visits) * len(CREW)
    rng = random.Random(5)
    submitted = 0
    while active:
        person = rng.choice(active)
        slot = slot_claim_next(user=people[person.name])
        if slot is None:
            active.remove(person)
            continue
        visit_id = slot.task.visit_id
        seqs = slot.focus if slot.focus else [s for (n, v, s) in said if n == person.name and v == visit_id]
        events = [said[(person.name, visit_id, s)] for s in seqs if s >= 0]
        try:
            label_submit(slot_id=slot.pk, user=people[person.name], events=events, added=[])
        except InvalidInput as exc:
            raise SystemExit(f"a simulated answer was refused: {exc.fields} {events}") from exc
        submitted += 1
        if submitted == gold_labels:
            # What the hourly refit job would have done by now: learn everyone from gold.
            print(f"  gold done; refit: {quality_refit()}", file=sys.stderr)
        if submitted % 200 == 0:
            print(f"  {submitted} labels submitted", file=sys.stderr)
    print(f"  refit at the end: {quality_refit()}", file=sys.stderr)
    truth = {(r["visit"].pk, t["seq"]): t for r in rows for t in r["truth"]}
    right = n = 0
    for task in AnnotationTask.objects.filter(source=Source.RANDOM, status=TaskStatus.CONSOLIDATED):
        for ev in task.consensus["events"]:
            t = truth[(task.visit_id, ev["seq"])]
            n += 1
            right += all(ev[f] == t[f] for f in FIELDS)
    open_left = AnnotationTask.objects.filter(source=Source.RANDOM, status=TaskStatus.OPEN).count()
    labels = sum(len(lab.events) for lab in Label.objects.filter(task__source=Source.RANDOM))
    return {"accuracy": round(right / n, 4), "labels_per_event": round(labels / n, 3), "events": n,
            "open_tasks": open_left}


def page_times(n_tasks: int, requests: int) -> dict[str, dict[str, float]]:
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.utils import timezone

    from annotation.models import AnnotationSlot, AnnotationTask, SlotStatus, Source
    from jwo_review.accounts.roles import Role, ensure_role_groups
    from jwo_review.store.models import Store, Visit
    from low_confidence_queue.models import Reason, ReviewTask
    from low_confidence_queue.models import TaskStatus as ReviewStatus

    setup_test_environment()
    store = Store.objects.get(code="aim3s")
    existing = AnnotationTask.objects.count()
    now = timezone.now()
    print(f"storing {n_tasks - existing} more annotation tasks…", file=sys.stderr)
    for start in range(existing, n_tasks, 5000):
        stop = min(n_tasks, start + 5000)
        visits = Visit.objects.bulk_create([
            Visit(store=store, client_visit_id=f"filler-{i}", visit_code=f"F{i}", entered_at=now, exited_at=now,
                  payload_sha256="-", source="bench") for i in range(start, stop)])
        tasks = AnnotationTask.objects.bulk_create(
            [AnnotationTask(visit=v, source=Source.RANDOM, priority=i % 5) for i, v in enumerate(visits)])
        AnnotationSlot.objects.bulk_create([AnnotationSlot(task=t, priority=t.priority) for t in tasks for _ in (0, 1)])
    groups = ensure_role_groups()
    user, _ = get_user_model().objects.get_or_create(username="bench-page-annotator")
    user.groups.add(groups[Role.ANNOTATOR], groups[Role.REVIEWER])
    visit = Visit.objects.filter(source="simulator").exclude(weight_events=None).order_by("pk").first()
    assert visit is not None
    task = AnnotationTask.objects.filter(visit=visit).first()
    assert task is not None
    slot = AnnotationSlot.objects.create(task=task, priority=9, status=SlotStatus.CLAIMED, annotator=user,
                                         claimed_at=now, lease_expires_at=now + timedelta(hours=2))
    ReviewTask.objects.filter(visit=visit, status__in=[ReviewStatus.PENDING, ReviewStatus.CLAIMED]).delete()
    review = ReviewTask.objects.create(visit=visit, reason=Reason.LOW_CONFIDENCE, status=ReviewStatus.CLAIMED,
                                       sla_due_at=now + timedelta(hours=1), claimed_by=user, claimed_at=now,
                                       lease_expires_at=now + timedelta(hours=2),
                                       prediction=visit.predictions.first())
    client = Client()
    client.force_login(user)
    out = {}
    pages = (("task_page_ms", f"/annotation/slots/{slot.pk}/"), ("review_page_ms", f"/queue/tasks/{review.pk}/"))
    for name, path in pages:
        times = []
        for i in range(requests + 5):
            t0 = time.perf_counter()
            response = client.get(path)
            dt = time.perf_counter() - t0
            assert response.status_code == 200, (path, response.status_code)
            if i >= 5:
                times.append(dt)
        out[name] = {"p50": round(pct(times, 50) * 1000, 1), "p95": round(pct(times, 95) * 1000, 1)}
    slot.delete()
    review.delete()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--visits", type=int, default=850)
    parser.add_argument("--seed", type=int, default=4242)
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--page-requests", type=int, default=200)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    os.environ.pop("REDIS_URL", None)  # scoring and routing run in-process, on the bench database
    os.environ["DEBUG"] = "0"
    django_on_bench_db(BENCH_DB)
    reset()
    prepare(args.visits, args.seed)
    rows = event_table()
    said = answers(rows)
    gold_visits = {r["visit"].pk for r in rows[: max(1, len(rows) // 10)]}
    fixed = fixed_overlap(rows, said, gold_visits)
    print(f"fixed overlap 3 over {fixed['events']} events: Dawid-Skene {fixed['dawid_skene']}, "
          f"majority vote {fixed['majority_vote']}", file=sys.stderr)
    adapt = adaptive(rows, said, gold_visits)
    print(f"adaptive overlap: {adapt['labels_per_event']} labels per event, accuracy {adapt['accuracy']} "
          f"({adapt['open_tasks']} tasks left open)", file=sys.stderr)
    auto_right = Counter(
        all(a[f] == t[f] for f in FIELDS) for r in rows for a, t in zip(r["auto"], r["truth"], strict=False))
    print(f"auto-labels alone: {auto_right[True] / max(1, sum(auto_right.values())):.4f} of events right",
          file=sys.stderr)
    pages = page_times(args.tasks, args.page_requests)
    print(f"task page {pages['task_page_ms']} vs review page {pages['review_page_ms']} (ms, "
          f"{args.tasks} annotation tasks stored)", file=sys.stderr)
    result = {
        "events": fixed["events"],
        "accuracy": {"dawid_skene": fixed["dawid_skene"], "majority_vote": fixed["majority_vote"]},
        "labels_per_event": {"adaptive": adapt["labels_per_event"], "fixed_3": 3.0},
        "adaptive_accuracy": adapt["accuracy"],
        "fixed_3_accuracy": fixed["dawid_skene"],
        **pages,
    }
    print(json.dumps(result) if args.json else json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
