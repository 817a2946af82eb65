"""Review queue: claim-next latency and throughput over 100,000 pending tasks on PostgreSQL.

Measured in one run on a database of its own (jwo_bench_queue), through the same
service the workspace and the API call (``task_claim_next``):
- 1, 10 and 50 reviewers claiming back to back: p50/p99 latency, claims per second;
- 50 reviewers at a human pace (each claims, then waits 2-5 s): p50/p99;
- the workspace page (GET /queue/tasks/<id>/) server time, with 100,000 visits stored.
In the same run, the floor this machine allows: a bare claim, one
``UPDATE ... WHERE id = (SELECT ... FOR UPDATE SKIP LOCKED LIMIT 1) RETURNING`` statement
through psycopg2 without Django, measured the same ways; and, for reference, a naive ORM
claim (select_for_update, then save, in a transaction) with 50 reviewers.
The paced service and bare claimers run in alternating rounds, so slow drifts in the
disk's commit stalls hit both alike. The queue is reset (and vacuumed) before every phase; a
task handed out twice in any phase is counted in ``double_claims``.

    python bench/queue.py [--tasks 100000] [--seconds 5] [--paced-seconds 60] [--json]
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import random
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

# This file is named like the standard library's ``queue``; keep its folder off the
# import path so ``import queue`` (asgiref, Django) finds the real one.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

_spec = importlib.util.spec_from_file_location("bench_setup", _HERE / "_setup.py")
assert _spec is not None and _spec.loader is not None
_setup = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_setup)
django_on_bench_db = _setup.django_on_bench_db

BENCH_DB = "jwo_bench_queue"


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def summary(latencies: list[float], elapsed: float | None = None) -> dict[str, float]:
    out = {"p50_ms": round(pct(latencies, 50) * 1000, 2), "p99_ms": round(pct(latencies, 99) * 1000, 2),
           "n": len(latencies)}
    if elapsed is not None:
        out["claims_per_s"] = round(len(latencies) / elapsed, 1)
    return out


# --- data ---------------------------------------------------------------------------------


def page_payload(i: int) -> dict[str, Any]:
    """A realistic visit for the workspace page: two shoppers, 12 events, plate streams."""
    import base64

    import numpy as np

    rng = random.Random(i)
    plates = [f"S{s}P{p}" for s in range(1, 9) for p in range(1, 13)]
    chosen = rng.sample(plates, 6)
    weight, vision = [], []
    hz, dur = 60, 120.0
    noise = np.random.default_rng(i)
    streams = {code: (1500.0 + noise.normal(0, 1.5, int(dur * hz))).astype("<f4") for code in chosen}
    for k in range(12):
        t = 6 + k * 9 + rng.uniform(0, 3)
        plate = chosen[k % len(chosen)]
        delta = -rng.uniform(60, 400)
        candidates = [f"AIM3S-{n:03d}" for n in rng.sample(range(1, 82), 2)]
        streams[plate][int((t + 0.6) * hz):] += np.float32(delta)
        weight.append({"plate": plate, "t_start": t, "t_end": t + 1.2, "delta_g": delta, "noise_g": 1.5})
        vision.append({"kind": "hand_in_shelf", "track_id": 1 + k % 2, "t": t - 0.2, "t_end": t + 1.3, "plate": plate,
                       "camera": f"CAM{1 + k % 4}", "confidence": 0.9,
                       "product_scores": {sku: score for sku, score in zip(candidates, (0.7, 0.2))}})
    track = [[t, 1.5 + (t % 7) / 3, 1 + (t % 11) / 3] for t in range(0, 120, 2)]
    return {
        "client_visit_id": f"bench-page-{i}", "store": "aim3s", "visit_code": f"P{i:05d}",
        "entered_at": "2026-11-21T10:00:00Z", "exited_at": "2026-11-21T10:02:00Z",
        "shoppers": [{"track_id": 1, "track": track}, {"track_id": 2, "track": track[::-1]}],
        "weight_events": weight, "vision_events": vision,
        "plate_streams": {"hz": hz, "t0": 0.0, "plates": {c: base64.b64encode(a.tobytes()).decode() for c, a in
                                                        streams.items()}},
    }


def seed(n_tasks: int, n_users: int) -> tuple[list[Any], list[int]]:
    """100,000 visits with a pending task each (bulk rows: the claim reads only the task
    table), plus a few realistic visits through the real ingest and routing for the page."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from inference.models import ModelStatus, ModelVersion, Prediction
    from jwo_review.accounts.roles import Role, ensure_role_groups
    from jwo_review.store.aim3s import build_aim3s_spec
    from jwo_review.store.models import Store, Visit
    from jwo_review.store.services.ingest import visits_ingest
    from jwo_review.store.services.layout import store_load_spec
    from low_confidence_queue.models import ReviewTask, RoutingPolicy
    from low_confidence_queue.services.routing import visit_route

    store = Store.objects.filter(code="aim3s").first() or store_load_spec(build_aim3s_spec()[0])
    groups = ensure_role_groups()
    users = []
    for i in range(n_users):
        user, created = get_user_model().objects.get_or_create(username=f"bench-reviewer-{i}")
        if created:
            user.groups.add(groups[Role.REVIEWER])
        users.append(user)
    have = Visit.objects.filter(store=store, source="bench").count()
    now = timezone.now()
    rng = random.Random(7)
    batch = 5000
    for start in range(have, n_tasks, batch):
        visits = Visit.objects.bulk_create([
            Visit(store=store, client_visit_id=f"bench-{i:07d}", visit_code=f"Q{i:07d}", entered_at=now,
                  exited_at=now + timedelta(seconds=90), payload_sha256="0" * 64, source="bench", status="in_review")
            for i in range(start, min(n_tasks, start + batch))
        ])
        ReviewTask.objects.bulk_create([
            ReviewTask(visit=v, reason=rng.choice(["low_confidence", "audit", "rule"]),
                       priority=rng.choice([0, 100, 100, 100, 200]),
                       created_at=now - timedelta(seconds=rng.uniform(0, 86400)), sla_due_at=now + timedelta(hours=1))
            for v in visits
        ])
        print(f"  seeded {min(n_tasks, start + batch)} tasks", file=sys.stderr)
    model, _ = ModelVersion.objects.get_or_create(name="bench-model", defaults={
        "status": ModelStatus.ACTIVE, "threshold": 0.9, "target_accuracy": 0.995})
    RoutingPolicy.objects.update_or_create(store=None, defaults={"audit_rate": 0.0})
    page_tasks = []
    for i in range(3):
        stored = Visit.objects.filter(store=store, client_visit_id=f"bench-page-{i}").first()
        visit_id = stored.pk if stored else visits_ingest(payloads=[page_payload(i)], source="bench-page")[0].id
        Prediction.objects.get_or_create(visit_id=visit_id, model_version=model, defaults={
            "confidence": 0.4, "lines": [
                {"sku": "AIM3S-002", "quantity": 1, "shopper_track_id": 1, "probability": 0.6},
                {"sku": "AIM3S-010", "quantity": 2, "shopper_track_id": 2, "probability": 0.8}],
            "event_assignments": [{"action": "pick", "sku": "AIM3S-002", "quantity": 1, "track_id": 1}] * 12})
        visit_route(visit_id=visit_id)
        page_tasks.append(ReviewTask.objects.get(visit_id=visit_id).pk)
    return users, page_tasks


def reset_queue() -> None:
    """Every task pending again (skips cleared), dead index entries vacuumed away."""
    import psycopg2
    from django.db import connection

    from low_confidence_queue.models import ReviewTask, TaskSkip

    TaskSkip.objects.all().delete()
    ReviewTask.objects.exclude(status="pending").update(status="pending", claimed_by=None, claimed_at=None,
                                                        lease_expires_at=None)
    params = connection.get_connection_params()
    raw = psycopg2.connect(**{k: v for k, v in params.items() if k in {"host", "port", "user", "password", "dbname",
                                                                        "database"}})
    raw.autocommit = True
    with raw.cursor() as cur:
        cur.execute(f"VACUUM ANALYZE {ReviewTask._meta.db_table}")
    raw.close()


# --- claimers ------------------------------------------------------------------------------


def service_claimer(user: Any) -> Callable[[], int | None]:
    from low_confidence_queue.services.claims import task_claim_next

    def claim() -> int | None:
        task = task_claim_next(user=user)
        return task.pk if task else None

    return claim


def naive_claimer(user: Any) -> Callable[[], int | None]:
    from django.db import transaction
    from django.utils import timezone

    from low_confidence_queue.models import ReviewTask

    def claim() -> int | None:
        with transaction.atomic():
            task = (ReviewTask.objects.select_for_update(skip_locked=True).filter(status="pending")
                    .order_by("-priority", "created_at", "id").first())
            if task is None:
                return None
            task.status = "claimed"
            task.claimed_by = user
            task.claimed_at = timezone.now()
            task.lease_expires_at = task.claimed_at + timedelta(seconds=120)
            task.save(update_fields=["status", "claimed_by", "claimed_at", "lease_expires_at"])
            return task.pk

    return claim


BARE_SQL = """
UPDATE low_confidence_queue_reviewtask
   SET status = 'claimed', claimed_by_id = %s, claimed_at = now(), lease_expires_at = now() + interval '120 seconds'
 WHERE id = (SELECT id FROM low_confidence_queue_reviewtask WHERE status = 'pending'
              ORDER BY priority DESC, created_at, id FOR UPDATE SKIP LOCKED LIMIT 1)
RETURNING id
"""


def bare_claimer(user: Any) -> Callable[[], int | None]:
    import psycopg2
    from django.db import connection

    params = connection.get_connection_params()
    holder: dict[str, Any] = {}

    def claim() -> int | None:
        conn = holder.get("conn")
        if conn is None:  # opened in the claiming thread, like a Django connection would be
            conn = psycopg2.connect(**{k: v for k, v in params.items()
                                       if k in {"host", "port", "user", "password", "dbname", "database"}})
            conn.autocommit = True
            holder["conn"] = conn
        with conn.cursor() as cur:
            cur.execute(BARE_SQL, [user.pk])
            row = cur.fetchone()
        return row[0] if row else None

    claim.close = lambda: holder.get("conn") and holder["conn"].close()  # type: ignore[attr-defined]
    return claim


def run_threads(claimers: list[Callable[[], int | None]], seconds: float, paced: bool) -> tuple[
        list[list[float]], list[int], float]:
    """Each claimer in its own thread for ``seconds``; returns per-claimer latencies, all ids, elapsed."""
    from django.db import connection

    lat: list[list[float]] = [[] for _ in claimers]
    ids: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(claimers) + 1)
    stop_at = [0.0]

    errors: list[BaseException] = []

    def work(i: int, claim: Callable[[], int | None]) -> None:
        try:
            body(i, claim)
        except BaseException as exc:  # reported after the phase; the others must not wait forever
            errors.append(exc)
            barrier.abort()
        finally:
            closer = getattr(claim, "close", None)
            if closer:
                closer()
            connection.close()

    def body(i: int, claim: Callable[[], int | None]) -> None:
        rng = random.Random(i)
        claim()  # warm the connection; that claim is not timed
        barrier.wait()
        if paced:
            time.sleep(rng.uniform(0, 5))  # spread the first claims like people arriving
        mine = []
        while time.perf_counter() < stop_at[0]:
            t0 = time.perf_counter()
            got = claim()
            dt = time.perf_counter() - t0
            if got is None:
                break
            lat[i].append(dt)
            mine.append(got)
            if paced:
                time.sleep(rng.uniform(2, 5))
        with lock:
            ids.extend(mine)

    threads = [threading.Thread(target=work, args=(i, c)) for i, c in enumerate(claimers)]
    for t in threads:
        t.start()
    stop_at[0] = time.perf_counter() + 3600
    with contextlib.suppress(threading.BrokenBarrierError):
        barrier.wait()
    start = time.perf_counter()
    stop_at[0] = start + seconds
    for t in threads:
        t.join()
    if errors:
        raise RuntimeError(f"{len(errors)} claimer(s) failed: {errors[0]!r}")
    return lat, ids, time.perf_counter() - start


def doubles(ids: list[int]) -> int:
    return sum(n - 1 for n in Counter(ids).values() if n > 1)


def page_times(task_ids: list[int], n: int) -> dict[str, float]:
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.test.utils import setup_test_environment

    from low_confidence_queue.models import ReviewTask

    setup_test_environment()
    reviewer, _ = get_user_model().objects.get_or_create(username="bench-page-reviewer")
    from jwo_review.accounts.roles import Role, ensure_role_groups

    reviewer.groups.add(ensure_role_groups()[Role.REVIEWER])
    from django.utils import timezone

    task_id = task_ids[0]
    ReviewTask.objects.filter(pk=task_id).update(status="claimed", claimed_by=reviewer, claimed_at=timezone.now(),
                                                  lease_expires_at=timezone.now() + timedelta(hours=1))
    client = Client()
    client.force_login(reviewer)
    times = []
    for i in range(n + 5):
        t0 = time.perf_counter()
        response = client.get(f"/queue/tasks/{task_id}/")
        dt = time.perf_counter() - t0
        assert response.status_code == 200, response.status_code
        if i >= 5:
            times.append(dt)
    return {"p50": round(pct(times, 50) * 1000, 1), "p95": round(pct(times, 95) * 1000, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=5.0, help="Per back-to-back phase.")
    parser.add_argument("--paced-seconds", type=float, default=120.0, help="Per kind, split into rounds.")
    parser.add_argument("--paced-rounds", type=int, default=4)
    parser.add_argument("--page-requests", type=int, default=200)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("DB_CONN_MAX_AGE", "600")
    os.environ.setdefault("DEBUG", "0")  # as in production: no per-query debug recording
    django_on_bench_db(BENCH_DB)
    from django.conf import settings

    settings.JWO_VISITS_INGESTED_HOOKS = []  # the bench scores by hand; no worker would pick the jobs up
    users, page_tasks = seed(args.tasks, 50)
    from low_confidence_queue.models import ReviewTask

    pending = ReviewTask.objects.filter(status="pending").count()
    from jwo_review.store.models import Visit

    print(f"queue: {pending} pending tasks, {Visit.objects.count()} visits; channel layer "
          f"{settings.CHANNEL_LAYERS['default']['BACKEND'].rsplit('.', 1)[-1]}", file=sys.stderr)
    out: dict[str, Any] = {"reviewers": {}, "bare": {}, "double_claims": 0}
    for n in (1, 10, 50):
        for kind, make in (("service", service_claimer), ("bare", bare_claimer)):
            reset_queue()
            lat, ids, elapsed = run_threads([make(u) for u in users[:n]], args.seconds, paced=False)
            out["double_claims"] += doubles(ids)
            flat = [x for xs in lat for x in xs]
            target = out["reviewers"] if kind == "service" else out["bare"]
            target[str(n)] = summary(flat, elapsed)
            print(f"{kind:8s} {n:2d} back to back: {target[str(n)]}", file=sys.stderr)
    reset_queue()
    lat, ids, elapsed = run_threads([naive_claimer(u) for u in users[:50]], args.seconds, paced=False)
    out["double_claims"] += doubles(ids)
    out["naive_orm"] = {"50": summary([x for xs in lat for x in xs], elapsed)}
    print(f"naive    50 back to back: {out['naive_orm']['50']}", file=sys.stderr)
    # Paced: rounds alternate service and bare claimers (50 connections at a time, the
    # server allows 100 in all), so slow drifts in disk stalls hit both alike.
    paced: dict[str, list[float]] = {"service": [], "bare": []}
    for _ in range(args.paced_rounds):
        for kind, make in (("service", service_claimer), ("bare", bare_claimer)):
            reset_queue()
            lat, ids, _ = run_threads([make(u) for u in users[:50]], args.paced_seconds / args.paced_rounds,
                                      paced=True)
            out["double_claims"] += doubles(ids)
            paced[kind].extend(x for xs in lat for x in xs)
    out["paced_50"] = summary(paced["service"])
    out["bare"]["paced_50"] = summary(paced["bare"])
    print(f"paced 50 service: {out['paced_50']}  bare: {out['bare']['paced_50']}", file=sys.stderr)
    reset_queue()
    out["workspace_page_ms"] = page_times(page_tasks, args.page_requests)
    out["visits_stored"] = Visit.objects.count()
    print(f"workspace page over {out['visits_stored']} visits: {out['workspace_page_ms']}", file=sys.stderr)
    b50, s50 = out["bare"]["50"]["claims_per_s"], out["reviewers"]["50"]["claims_per_s"]
    out["ratios"] = {
        "service_vs_bare_claims_per_s_50": round(s50 / b50, 2) if b50 else None,
        "paced_p99_vs_bare": round(out["paced_50"]["p99_ms"] / out["bare"]["paced_50"]["p99_ms"], 2),
    }
    if args.json:
        print(json.dumps(out))
    else:
        print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
