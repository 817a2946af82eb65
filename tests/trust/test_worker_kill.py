"""A real Celery worker killed (SIGKILL) in the middle of a scoring batch, then started
again: every visit ends scored and routed exactly once.

The batch is one scoring transaction, so the kill leaves nothing half-stored; the task
was not acknowledged (``acks_late``), so the broker delivers it again after its
visibility timeout, and the pipeline's sweep queues the stalled visits as well. Both
copies reach the worker; scoring and routing are idempotent, so the second is a no-op.

The kill lands inside the batch's transaction every time, not after a guessed delay:
the test holds a row lock on the batch's last visit from a connection of its own, so
the worker's transaction (which locks the chunk's visits in id order) is open, holding
the others, and waiting when the signal arrives.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from django.conf import settings
from django.db import connection

from inference.models import Prediction
from inference.services import model_promote
from inference.tasks import score_visits
from jwo_review.celery import app as celery_app
from jwo_review.pipeline import stalled_visits_requeue
from jwo_review.store.models import Visit, VisitStatus
from jwo_review.store.services.ingest import visits_ingest
from low_confidence_queue.models import ReviewTask, RoutingPolicy, VisitRouting
from tests.factories import visit_payload
from tests.row_lock import row_lock

ROOT = Path(__file__).resolve().parents[2]
N_VISITS = 256  # one scoring chunk: one transaction


def _wait_for(check: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"Timed out after {seconds:.0f} s waiting for {what}.")


@pytest.fixture
def start_worker(tmp_path: Path, media: Path) -> Iterator[Callable[[str], subprocess.Popen[bytes]]]:
    if not settings.REDIS_URL:
        pytest.fail("This test needs REDIS_URL: it runs a real worker over Redis.")
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "MEDIA_ROOT": str(media),
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "JWO_ENV": "test",
        "DB_CONN_MAX_AGE": "0",
        # A task whose worker died is delivered again this soon (an hour by default).
        "JWO_BROKER_VISIBILITY_TIMEOUT_S": "3",
    }
    procs: list[subprocess.Popen[bytes]] = []

    def start(log_name: str) -> subprocess.Popen[bytes]:
        log = open(tmp_path / log_name, "wb")  # noqa: SIM115  (closed when the process ends)
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "jwo_review", "worker", "--pool=solo", "--without-heartbeat",
             "--without-gossip", "--without-mingle", "-Q", "default,scoring", "--loglevel=INFO"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_batch_leaves_every_visit_scored_and_routed_once(
    aim3s: Any, register: Callable[..., Any], start_worker: Callable[[str], subprocess.Popen[bytes]],
    tmp_path: Path, settings: Any,
) -> None:
    settings.JWO_VISITS_INGESTED_HOOKS = []  # the batch is queued by hand below, as one task
    settings.JWO_PIPELINE_GRACE_S = 0
    settings.JWO_INGEST_MAX_BATCH = N_VISITS
    RoutingPolicy.objects.update_or_create(store=None, defaults={"audit_rate": 0.0})
    model_promote(model_version=register())
    ids = [r.id for r in visits_ingest(payloads=[visit_payload() for _ in range(N_VISITS)], source="test")]
    broker = redis.Redis.from_url(settings.REDIS_URL)
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    try:
        celery_app.control.purge()
        broker.delete("unacked", "unacked_index")
        score_visits.delay(ids)

        with row_lock() as lock:
            lock.take(Visit._meta.db_table, ids[-1])
            first = start_worker("worker-1.log")
            _wait_for(lock.blocks_someone, 120, "the worker's scoring transaction to reach the batch's last visit")
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=10)
        scored_at_kill = Prediction.objects.filter(visit_id__in=ids).count()
        assert scored_at_kill < N_VISITS, "the worker finished before it was killed; the test proves nothing"
        assert Visit.objects.filter(pk__in=ids, status=VisitStatus.RECEIVED).count() == N_VISITS - scored_at_kill

        # Beat's sweep finds the stalled visits while the broker still holds the killed task.
        assert stalled_visits_requeue()["score"] == N_VISITS - scored_at_kill
        second = start_worker("worker-2.log")
        stalled = Visit.objects.filter(pk__in=ids, status__in=[VisitStatus.RECEIVED, VisitStatus.SCORED])
        _wait_for(lambda: not stalled.exists(), 180, "the restarted worker to score and route every visit")
        # The redelivered copy of the killed task arrives too, and must change nothing.
        log2 = tmp_path / "worker-2.log"
        _wait_for(lambda: log2.read_text().count("succeeded") >= 2, 60, "the redelivered task")
        assert second.poll() is None, "the restarted worker died"
    finally:
        celery_app.conf.task_always_eager = eager
        celery_app.control.purge()

    assert Prediction.objects.filter(visit_id__in=ids).count() == N_VISITS
    assert VisitRouting.objects.filter(visit_id__in=ids).count() == N_VISITS
    for visit in Visit.objects.filter(pk__in=ids).prefetch_related("receipts", "review_tasks"):
        receipts, tasks = len(visit.receipts.all()), len(visit.review_tasks.all())
        assert (visit.status, receipts, tasks) in {(VisitStatus.FINAL, 1, 0), (VisitStatus.IN_REVIEW, 0, 1)}
    assert ReviewTask.objects.filter(visit_id__in=ids).count() == Visit.objects.filter(
        pk__in=ids, status=VisitStatus.IN_REVIEW
    ).count()
