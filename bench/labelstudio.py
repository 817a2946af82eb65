"""Label Studio interop: how long a real server takes to start, and a sync of 1,000 tasks.

On a PostgreSQL database of its own (jwo_bench_labelstudio) and a real Label Studio
server (``make labelstudio``), in one run:
1. The server's start time (fresh data folder: migrations included).
2. A small model gives the auto-labels; simulated visits become 1,000 annotation tasks
   (four sources per visit).
3. Our push of the 1,000 tasks (a project, tasks imported in batches with their
   predictions, clip renders queued to the broker as in production), against the naive
   push measured in the same run on the same payloads: one request per task and one per
   prediction.
4. A second sync with nothing changed; then two Label Studio users annotate 200 tasks
   (400 annotations) and the pull that brings them into consensus; then a pull with
   nothing new.

    python bench/labelstudio.py [--tasks 1000] [--annotated 200] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path[0] = str(Path(__file__).resolve().parent.parent)
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/11")  # clip renders are queued, not run here
from bench._setup import django_on_bench_db  # noqa: E402

BENCH_DB = "jwo_bench_labelstudio"
SOURCES = ("flagged", "corrected", "hard_case", "random")


def reset() -> None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "TRUNCATE annotation_connection, annotation_annotationtask, annotation_annotatorquality, "
            "inference_labelledexample, store_visit, inference_modelversion RESTART IDENTITY CASCADE"
        )
    from django.contrib.auth import get_user_model
    from django.db.models import Q

    get_user_model().objects.filter(Q(username__startswith="labelstudio-") | Q(username__startswith="bench.")).delete()


def prepare(tasks: int) -> list[Any]:
    from django.core.management import call_command

    from annotation.services.sources import task_make
    from jwo_review.store.aim3s import build_aim3s_spec
    from jwo_review.store.models import Store, Visit
    from jwo_review.store.services.layout import store_load_spec

    if not Store.objects.filter(code="aim3s").exists():
        store_load_spec(build_aim3s_spec()[0])
    quiet = open(os.devnull, "w")  # noqa: SIM115
    print("training a small model for the auto-labels…", file=sys.stderr)
    call_command("train_model", visits=800, calibration_visits=300, epochs=4, d_model=32, layers=1, members=1,
                 name="bench-labelstudio", activate=True, stdout=quiet, verbosity=0)
    visits = tasks // len(SOURCES) + 20
    print(f"simulating and scoring {visits} visits…", file=sys.stderr)
    from jwo_review.celery import app as celery_app

    # Scoring runs here (the auto-labels need it); afterwards clip renders go to the broker.
    celery_app.conf.task_always_eager = True
    try:
        call_command("simulate", scenario="default", visits=visits, seed=5, quiet=True, stdout=quiet)
    finally:
        celery_app.conf.task_always_eager = False
    assert Visit.objects.filter(predictions__isnull=False).exists(), "visits were not scored"
    made = []
    for visit in Visit.objects.order_by("pk"):
        for source in SOURCES:
            task = task_make(visit=visit, source=source)
            if task is not None:
                made.append(task)
            if len(made) == tasks:
                return made
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--annotated", type=int, default=200)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    django_on_bench_db(BENCH_DB)
    from django.conf import settings

    settings.JWO_VISITS_SCORED_HOOKS = []  # tasks are made here; nothing is routed
    from annotation.labelstudio.models import LinkedTask
    from annotation.labelstudio.payload import store_views, task_payload
    from annotation.labelstudio.services import connection_create
    from annotation.labelstudio.sync import connection_sync, links_expiry
    from annotation.models import Label
    from scripts.labelstudio_server import start
    from tests.annotation.labelstudio_people import ls_admin, ls_signup, result_items

    reset()
    server = start()
    print(f"Label Studio started in {server.started_in_s} s", file=sys.stderr)
    try:
        tasks = prepare(args.tasks)
        conn = connection_create(name="bench", url=server.url, token=server.token, public_url="http://jwo:8000",
                                 store_codes=["aim3s"])
        t0 = time.perf_counter()
        first = connection_sync(connection_id=conn.pk)
        push_s = time.perf_counter() - t0
        assert first.counts.get("tasks_created") == len(tasks), first.counts

        # The naive push on the same payloads: a request per task and one per prediction.
        sdk = ls_admin(server)
        project = sdk.projects.create(title="naive push", label_config=sdk.projects.get(
            conn.projects.get().ls_project_id).label_config)
        expires = links_expiry(conn, first.started_at)
        views = store_views(conn.stores.get().pk)
        t0 = time.perf_counter()
        for task in tasks:
            payload = task_payload(task=task, views=views, media_user=conn.service_user,
                                   public_url=conn.public_url, links_expire_at=expires)
            made = sdk.tasks.create(project=project.id, data=payload.data)
            sdk.predictions.create(task=made.id, **payload.prediction)
        naive_s = time.perf_counter() - t0

        t0 = time.perf_counter()
        second = connection_sync(connection_id=conn.pk)
        unchanged_s = time.perf_counter() - t0
        assert second.counts == {"tasks_unchanged": len(tasks)}, second.counts

        people = [ls_signup(server, f"{n}@bench.test") for n in ("ann", "bob")]
        links = list(LinkedTask.objects.filter(connection=conn).select_related("task").order_by("pk")[: args.annotated])
        remote = {r.id: r for r in sdk.tasks.list(project=conn.projects.get().ls_project_id, fields="all")}
        for link in links:
            r = remote[link.ls_task_id]
            candidates = [[p["value"] for p in e["products"]] for e in r.data["events"]]
            fields = ("seq", "action", "sku", "quantity", "track_id")
            labels = [{k: a[k] for k in fields} for a in link.task.auto_labels]
            for person in people:
                person.annotations.create(id=r.id, result=result_items(labels, candidates))
        t0 = time.perf_counter()
        pull = connection_sync(connection_id=conn.pk)
        pull_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        again = connection_sync(connection_id=conn.pk)
        again_s = time.perf_counter() - t0
        applied = pull.counts.get("annotations_applied", 0)
        assert applied == 2 * len(links) and again.counts.get("annotations_unchanged") == applied, pull.counts
        assert Label.objects.filter(task__in=[lt.task for lt in links]).count() == applied
    finally:
        server.stop()
    out = {
        "tasks": len(tasks),
        "server_start_s": server.started_in_s,
        "push_s": round(push_s, 1),
        "naive_push_s": round(naive_s, 1),
        "push_vs_naive": round(naive_s / push_s, 2),
        "second_sync_s": round(unchanged_s, 1),
        "annotations_pulled": applied,
        "pull_s": round(pull_s, 1),
        "pull_again_s": round(again_s, 1),
    }
    print(f"Label Studio started in {out['server_start_s']} s")
    print(f"push of {out['tasks']} tasks: {out['push_s']} s (naive, a request per task and prediction: "
          f"{out['naive_push_s']} s; {out['push_vs_naive']}x)")
    print(f"second sync, nothing changed: {out['second_sync_s']} s")
    print(f"pull of {applied} annotations into consensus: {out['pull_s']} s; "
          f"again, nothing new: {out['pull_again_s']} s")
    if args.json:
        print(json.dumps(out))


if __name__ == "__main__":
    main()
