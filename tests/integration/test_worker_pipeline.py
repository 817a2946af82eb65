"""The pipeline through a real Celery worker over Redis, as production runs it.

Simulated visits are ingested in this process; ingest queues scoring after commit on the
broker; a separate `celery worker` process (all product queues) scores them with the
active model and routes them; a clip request is rendered by the same worker on the
media queue. Nothing runs eagerly here.
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import av
import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from jwo_review.celery import app as celery_app
from jwo_review.store.models import Camera, Clip, ClipStatus, Visit, VisitStatus
from jwo_review.store.services.clips import clip_request

ROOT = Path(__file__).resolve().parents[2]


def _wait_for(check: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.5)
    raise AssertionError(f"Timed out after {seconds:.0f} s waiting for {what}.")


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def worker(media: Path, tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    with worker_process(media, tmp_path) as proc:
        yield proc


@contextlib.contextmanager
def worker_process(media: Path, tmp_path: Path, **env_extra: str) -> Iterator[subprocess.Popen[bytes]]:
    """A real `celery worker` on every product queue, on the test database (``env_extra``
    sets the worker's own environment, e.g. settings the test changes in this process)."""
    if not settings.REDIS_URL:
        pytest.fail("This test needs REDIS_URL: it runs a real worker over Redis.")
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    celery_app.control.purge()
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "MEDIA_ROOT": str(media),
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "JWO_ENV": "test",
        "DB_CONN_MAX_AGE": "0",
        **env_extra,
    }
    log = open(tmp_path / "worker.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "jwo_review",
            "worker",
            "--pool=solo",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "-Q",
            "default,ingest,scoring,media,training",
            "--loglevel=INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        celery_app.conf.task_always_eager = previous
        if proc.returncode not in (0, -15, None):
            print((tmp_path / "worker.log").read_text()[-4000:])


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_scores_routes_and_renders(
    aim3s: Any, worker: subprocess.Popen[bytes], media: Path, tmp_path: Path
) -> None:
    quiet = io.StringIO()
    call_command(
        "train_model",
        visits=300,
        calibration_visits=150,
        epochs=1,
        d_model=16,
        layers=1,
        members=1,
        name="worker-tiny",
        activate=True,
        stdout=quiet,
        verbosity=0,
    )
    call_command("simulate", scenario="default", visits=6, seed=21, quiet=True, stdout=quiet)
    visits = Visit.objects.filter(source="simulator")
    assert visits.count() == 6
    done = {VisitStatus.FINAL, VisitStatus.IN_REVIEW}

    _wait_for(lambda: set(visits.values_list("status", flat=True)) <= done, 120, "the worker to score and route")
    for visit in visits:
        prediction = visit.predictions.get()
        assert prediction.model_version.name == "worker-tiny"
        assert visit.status == VisitStatus.FINAL or visit.review_tasks.exists()
        if visit.status == VisitStatus.FINAL:
            assert visit.receipts.get(is_final=True).source == "model"

    visit = visits.first()
    assert visit is not None
    clip = clip_request(visit=visit, camera=Camera.objects.get(store=aim3s, code="CAM1"), t_start=0.0, t_end=3.0)
    _wait_for(lambda: Clip.objects.get(pk=clip.pk).status != ClipStatus.PENDING, 90, "the worker to render a clip")
    clip.refresh_from_db()
    assert clip.status == ClipStatus.READY, clip.error
    with av.open(str(media / clip.file.name)) as container:
        frames = sum(1 for _ in container.decode(video=0))
    assert frames >= 3 * clip.fps - 1
    assert worker.poll() is None, "the worker died"
    # The work was done by the worker process, not in this one.
    log = (tmp_path / "worker.log").read_text()
    assert "inference.tasks.score_visits" in log and "succeeded" in log
    assert "render_clip" in log
