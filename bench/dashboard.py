"""Admin dashboard: page and series server time over 1,000,000 visits, against the same
series computed from the raw rows, and the rollup job's time for one day.

On a PostgreSQL database of its own (jwo_bench_dashboard): 10 stores, visits spread over
90 days ending now (so today's partial day, computed live, is in every request), their
routing decisions (low confidence, rule, audit, auto-issued; a model promotion half-way),
review tasks for every reviewed visit (decided by 8 reviewers, some past their SLA) and
disputes of some auto-issued receipts. Rows are generated in SQL (INSERT ... SELECT over
generate_series) in about a minute and kept between runs.

Measured in one run:
- the rollup of every day (the first beat run), then one day's rebuild (``rollup_day``);
- GET /dashboard/?days=90 as an admin (Django's test client in-process: server time, no
  network), as deployed (today's live rows shared between requests for
  JWO_DASHBOARD_LIVE_CACHE_S) and, on stderr, with today recomputed on every request;
  and GET /api/v1/metrics/review-rate/?days=90;
- the same 90-day review-rate series by aggregate queries over the raw rows
  (``review_rate_series_raw``: GROUP BY day over a million routing rows).

    python bench/dashboard.py [--visits 1000000] [--days 90] [--stores 10] [--requests 40] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# The project root, not bench/, goes first on the import path: bench/queue.py would
# shadow the standard library's queue module.
sys.path[0] = str(Path(__file__).resolve().parent.parent)
from bench._setup import django_on_bench_db  # noqa: E402

BENCH_DB = "jwo_bench_dashboard"
REVIEWERS = 8


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def timed(fn: Callable[[], Any], n: int, warmup: int = 2) -> dict[str, float]:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    return {"p50": round(pct(samples, 50), 1), "p95": round(pct(samples, 95), 1)}


def seed(visits: int, days: int, stores: int) -> None:
    """Stores, reviewers, model versions and ``visits`` visits with routing and tasks."""
    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.utils import timezone

    from inference.models import ModelStatus, ModelVersion
    from jwo_review.accounts.roles import Role, ensure_role_groups
    from jwo_review.store.models import Store, Visit
    from jwo_review.store.services.layout import store_load_spec

    groups = ensure_role_groups()
    admin, _ = get_user_model().objects.get_or_create(username="bench-admin", defaults={"is_staff": True})
    admin.groups.add(groups[Role.ADMIN])
    reviewer_ids = []
    for i in range(REVIEWERS):
        user, _ = get_user_model().objects.get_or_create(username=f"bench-reviewer-{i}")
        user.groups.add(groups[Role.REVIEWER])
        reviewer_ids.append(user.pk)
    for i in range(stores):
        code = f"bench{i:02d}"
        if not Store.objects.filter(code=code).exists():
            store_load_spec({"code": code, "name": f"Bench store {i}", "width_m": 4, "depth_m": 4, "fixtures": [],
                             "cameras": [], "products": [], "facings": []})
    store_ids = list(Store.objects.filter(code__startswith="bench").order_by("code").values_list("id", flat=True))
    newest = Visit.objects.order_by("-entered_at").values_list("entered_at", flat=True).first()
    if Visit.objects.count() == visits and newest and timezone.now() - newest < timedelta(hours=1):
        print(f"data: {visits} visits already there", file=sys.stderr)
        return
    t0 = time.perf_counter()
    promoted = timezone.now() - timedelta(days=days / 2)
    ModelVersion.objects.all().delete()
    ModelVersion.objects.create(name="bench-a", kind="rules", status=ModelStatus.RETIRED, threshold=0.8,
                                activated_at=timezone.now() - timedelta(days=days), retired_at=promoted,
                                metrics={"holdout": {"receipt_accuracy": 0.91, "reviews_per_1000": 380}})
    ModelVersion.objects.create(name="bench-b", status=ModelStatus.ACTIVE, threshold=0.9, activated_at=promoted,
                                metrics={"holdout": {"receipt_accuracy": 0.96, "reviews_per_1000": 150}})
    with connection.cursor() as cur:
        cur.execute("TRUNCATE store_visit, low_confidence_queue_visitrouting, low_confidence_queue_reviewtask, "
                    "low_confidence_queue_dailyrouting, low_confidence_queue_dailystoreops, "
                    "low_confidence_queue_dailyreviewer, low_confidence_queue_rollupstate CASCADE")
        cur.execute("SELECT setseed(0.42)")
        # Visits evenly over [now - days, now), stores round-robin, 2-8 minutes inside.
        cur.execute(
            """
            INSERT INTO store_visit (store_id, client_visit_id, visit_code, entered_at, exited_at, status,
                                     payload_sha256, source, plate_streams, created_at)
            SELECT (%(stores)s::bigint[])[1 + g %% %(n_stores)s], 'bench-' || g, 'B' || g, t, t + interval '4 minutes',
                   'final', '', 'bench', '', now()
            FROM (SELECT g, now() - interval '5 minutes' - make_interval(days => %(days)s)
                            + (g::float8 / %(n)s) * make_interval(days => %(days)s) AS t
                  FROM generate_series(1, %(n)s) g) s
            """,
            {"stores": store_ids, "n_stores": len(store_ids), "days": days, "n": visits},
        )
        # Routing: the retired model leaves ~30% to low confidence, the active one ~12%.
        cur.execute(
            """
            INSERT INTO low_confidence_queue_visitrouting (visit_id, outcome, reason, reason_detail, confidence,
                                                           threshold, model_version, routed_at)
            SELECT id, CASE WHEN reason = '' THEN 'auto_issued' ELSE 'review' END, reason, '', conf, thr, model,
                   exited_at + interval '10 seconds'
            FROM (SELECT v.id, v.exited_at, r, CASE WHEN old THEN 'bench-a' ELSE 'bench-b' END AS model,
                         CASE WHEN old THEN 0.8 ELSE 0.9 END AS thr, random() AS conf,
                         CASE WHEN r < 0.01 THEN 'rule'
                              WHEN r < 0.01 + CASE WHEN old THEN 0.30 ELSE 0.12 END THEN 'low_confidence'
                              WHEN random() < 0.02 THEN 'audit' ELSE '' END AS reason
                  FROM (SELECT id, exited_at, random() AS r, exited_at < %(promoted)s AS old FROM store_visit) v) s
            """,
            {"promoted": promoted},
        )
        # Tasks of reviewed visits: decided 1-120 minutes later (some past the SLA), unless
        # that is in the future; then still pending.
        cur.execute(
            """
            INSERT INTO low_confidence_queue_reviewtask (visit_id, reason, reason_detail, priority, status, created_at,
                sla_due_at, claimed_at, claim_count, decided_at, decision, reason_code, comment, time_spent_s,
                flag_for_annotation, flag_note, claimed_by_id, decided_by_id)
            SELECT visit_id, reason, '', 0, CASE WHEN done THEN 'done' ELSE 'pending' END, created, created + sla,
                   CASE WHEN done THEN decided - make_interval(secs => spent) END, CASE WHEN done THEN 1 ELSE 0 END,
                   CASE WHEN done THEN decided END,
                   CASE WHEN NOT done THEN '' WHEN random() < CASE WHEN reason = 'audit' THEN 0.005 ELSE 0.3 END
                        THEN 'correct' ELSE 'approve' END,
                   '', '', CASE WHEN done THEN spent END, false, '', CASE WHEN done THEN reviewer END,
                   CASE WHEN done THEN reviewer END
            FROM (SELECT visit_id, reason, created, decided, decided < now() AS done, spent, sla, reviewer
                  FROM (SELECT visit_id, reason, routed_at AS created,
                               routed_at + make_interval(mins => 1 + (random() * 119)::int) AS decided,
                               10 + random() * 110 AS spent,
                               CASE WHEN reason = 'audit' THEN interval '8 hours' ELSE interval '60 minutes' END AS sla,
                               (%(reviewers)s::int[])[1 + floor(random() * %(n_reviewers)s)::int] AS reviewer
                        FROM low_confidence_queue_visitrouting WHERE outcome = 'review') a) b
            """,
            {"reviewers": reviewer_ids, "n_reviewers": len(reviewer_ids)},
        )
        # Disputes of 0.3% of auto-issued receipts, a few hours after the visit.
        cur.execute(
            """
            INSERT INTO low_confidence_queue_reviewtask (visit_id, reason, reason_detail, priority, status, created_at,
                sla_due_at, claimed_at, claim_count, decided_at, decision, reason_code, comment, time_spent_s,
                flag_for_annotation, flag_note, claimed_by_id, decided_by_id)
            SELECT visit_id, 'dispute', '', 300, 'done', created, created + interval '30 minutes', created, 1,
                   created + interval '20 minutes', 'correct', '', '', 60, false, '', %(reviewer)s, %(reviewer)s
            FROM (SELECT visit_id, routed_at + interval '3 hours' AS created FROM low_confidence_queue_visitrouting
                  WHERE outcome = 'auto_issued' AND random() < 0.003) d
            WHERE created + interval '20 minutes' < now()
            """,
            {"reviewer": reviewer_ids[0]},
        )
        cur.execute("ANALYZE")
    print(f"data: {visits} visits over {days} days in {len(store_ids)} stores generated in "
          f"{time.perf_counter() - t0:.0f} s", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--visits", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--stores", type=int, default=10)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("DEBUG", "0")  # as in production: no per-query debug recording
    os.environ.setdefault("DB_CONN_MAX_AGE", "600")
    django_on_bench_db(BENCH_DB)
    from datetime import timedelta

    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.utils import timezone

    from jwo_review.store.models import Visit
    from low_confidence_queue.conf import dashboard_live_cache_seconds
    from low_confidence_queue.metrics.filters import parse_filters
    from low_confidence_queue.metrics.series import review_rate_series_raw
    from low_confidence_queue.models import DailyRouting, ReviewTask
    from low_confidence_queue.services.rollups import rollup_day, rollups_refresh

    seed(args.visits, args.days, args.stores)
    t0 = time.perf_counter()
    rebuilt = rollups_refresh()
    all_days_s = time.perf_counter() - t0
    print(f"rollup: refresh rebuilt {len(rebuilt)} changed days in {all_days_s:.1f} s (all 90 on a fresh database)",
          file=sys.stderr)
    yesterday = timezone.now().date() - timedelta(days=1)
    day_runs = []
    for _ in range(3):
        t0 = time.perf_counter()
        rollup_day(day=yesterday)
        day_runs.append(time.perf_counter() - t0)
    rollup_day_s = round(statistics.median(day_runs), 3)
    print(f"rollup: one day ({yesterday}) rebuilt in {rollup_day_s} s (median of 3)", file=sys.stderr)

    client = Client()
    client.force_login(get_user_model().objects.get(username="bench-admin"))
    query = f"days={args.days}"

    def get(path: str) -> None:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code, response.content[:300])

    page = timed(lambda: get(f"/dashboard/?{query}"), args.requests)
    print(f"page /dashboard/?{query}: {page} ms (today's live rows shared for "
          f"{dashboard_live_cache_seconds():.0f} s)", file=sys.stderr)
    settings.JWO_DASHBOARD_LIVE_CACHE_S = 0
    cold = timed(lambda: get(f"/dashboard/?{query}"), max(5, args.requests // 8), warmup=0)
    del settings.JWO_DASHBOARD_LIVE_CACHE_S
    print(f"page with today recomputed from raw rows on every request: {cold} ms", file=sys.stderr)
    series = timed(lambda: get(f"/api/v1/metrics/review-rate/?{query}"), args.requests)
    print(f"series /api/v1/metrics/review-rate/?{query}: {series} ms", file=sys.stderr)
    f = parse_filters({"days": str(args.days)})
    raw = timed(lambda: review_rate_series_raw(f), max(5, args.requests // 4), warmup=1)
    print(f"raw-row series over the same {args.days} days: {raw} ms "
          f"({raw['p50'] / series['p50']:.0f}x the rollup endpoint at p50)", file=sys.stderr)
    visits = Visit.objects.count()
    print(f"rows: {visits} visits, {ReviewTask.objects.count()} review tasks, "
          f"{DailyRouting.objects.count()} daily routing rows", file=sys.stderr)
    out = {"visits": visits, "page_ms": page, "series_ms": series, "raw_series_ms": raw, "rollup_day_s": rollup_day_s}
    if not args.json:
        print(f"page p95 {page['p95']} ms (goal < 150 ms); series p95 {series['p95']} ms vs raw rows "
              f"{raw['p95']} ms; one day's rollup {rollup_day_s} s")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
