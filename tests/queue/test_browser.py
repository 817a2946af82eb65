"""End to end in Debian's Chromium, on the real pipeline and a real ASGI server.

Simulated visits are ingested, scored by a small model trained here and routed. A
reviewer signs in, claims the next task, plays a clip, corrects one line with the
keyboard only and submits; the final receipt carries the correction. A second browser
on the queue page sees the depth change live over the socket. Screenshots go to
/work/notes/screens/ (JWO_SCREENS_DIR overrides).

The server is Django's ``runserver`` as Daphne provides it (ASGI: HTTP, static files
and WebSockets), in a subprocess on the test database; Channels messages cross the
two processes through Redis, as in production.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from jwo_review.accounts.roles import Role
from jwo_review.celery import app as celery_app
from jwo_review.store.models import AuditLogEntry, Receipt
from low_confidence_queue.models import ReviewTask, TaskStatus

ROOT = Path(__file__).resolve().parents[2]
SCREENS = Path(os.environ.get("JWO_SCREENS_DIR", "/work/notes/screens"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--autoplay-policy=no-user-gesture-required"]
PASSWORD = "pw-for-tests-1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def pipeline_settings(settings: Any, tmp_path: Path) -> Iterator[Path]:
    """The product's own hooks and renderer; Celery jobs in-process; media in a temp dir."""
    settings.JWO_VISITS_INGESTED_HOOKS = ["inference.hooks.visits_ingested"]
    settings.JWO_VISITS_SCORED_HOOKS = ["low_confidence_queue.hooks.visits_scored"]
    settings.JWO_CLIP_RENDER_TASK = "jwo_review.simulator.tasks.render_clip"
    settings.JWO_QUEUE_NOTIFY_WINDOW_S = 0.1
    settings.MEDIA_ROOT = tmp_path / "media"
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield Path(settings.MEDIA_ROOT)
    celery_app.conf.task_always_eager = previous


@contextlib.contextmanager
def run_asgi_server(extra_env: dict[str, str], log_path: Path) -> Iterator[str]:
    """Django's runserver as Daphne provides it (ASGI), in a subprocess on the test
    database and Redis, with ``extra_env``; yields its URL and stops it afterwards."""
    port = _free_port()
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL or "redis://127.0.0.1:6379/13",
        "JWO_ENV": "test",
        "DEBUG": "1",
        "DB_CONN_MAX_AGE": "0",
        **extra_env,
    }
    log = open(log_path, "w")  # noqa: SIM115
    proc = subprocess.Popen([sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError(f"The ASGI server did not start; see {log_path}")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # a loaded machine; the test's verdict is already in
            proc.kill()
            proc.wait(timeout=10)
        log.close()


@pytest.fixture
def asgi_server(pipeline_settings: Path) -> Iterator[str]:
    with run_asgi_server(
        {
            "MEDIA_ROOT": str(pipeline_settings),
            "CELERY_TASK_ALWAYS_EAGER": "1",  # clips render inside the server, as in the embedded default
            "JWO_QUEUE_LEASE_S": "30",  # the open page renews every 10 s; the test sees that happen
        },
        pipeline_settings.parent / "server.log",
    ) as url:
        yield url


def _sign_in(browser: Any, url: str, username: str) -> Any:
    page = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
    page.goto(url + "/accounts/login/?next=/queue/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.press("#id_password", "Enter")
    page.wait_for_url(url + "/queue/")
    return page


def _depth(page: Any) -> int:
    return int(page.locator("#depth").inner_text())


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_reviewer_corrects_a_routed_visit_with_the_keyboard(
    aim3s: Any, make_user: Callable[..., Any], pipeline_settings: Path, asgi_server: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    # Playwright's sync API keeps an event loop in this thread; the ORM calls here are plain
    # blocking reads between browser steps, which is safe.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "1")
    quiet = open(os.devnull, "w")  # noqa: SIM115
    call_command("train_model", visits=800, calibration_visits=300, epochs=4, d_model=32, layers=1, members=1,
                 name="e2e-tiny", activate=True, stdout=quiet, verbosity=0)
    call_command("simulate", scenario="default", visits=8, seed=11, quiet=True, stdout=quiet)
    call_command("render_catalogue", stdout=quiet)
    tasks = ReviewTask.objects.filter(status=TaskStatus.PENDING)
    assert tasks.count() >= 2, "the tiny model should leave some visits to review"
    make_user("rita", Role.REVIEWER)
    make_user("ada", Role.ADMIN)
    SCREENS.mkdir(parents=True, exist_ok=True)

    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        watcher = _sign_in(browser, asgi_server, "ada")
        watcher.wait_for_selector("#live.on", timeout=10000)
        before = _depth(watcher)
        assert before == tasks.count()

        page = _sign_in(browser, asgi_server, "rita")
        refused: list[str] = []  # media the page asked for and was not allowed (or could not find)
        page.on("response", lambda r: refused.append(f"{r.status} {r.url}") if "/media/" in r.url and r.status >= 400
                else None)
        page.keyboard.press("n")
        page.wait_for_url("**/queue/tasks/*/")
        task = ReviewTask.objects.get(status=TaskStatus.CLAIMED)
        assert task.claimed_by is not None and task.claimed_by.username == "rita"
        first_lease = task.lease_expires_at
        assert first_lease is not None
        # The other browser hears of the claim without reloading.
        watcher.wait_for_function(f"() => document.getElementById('depth').textContent.trim() === '{before - 1}'",
                                  timeout=10000)
        watcher.screenshot(path=str(SCREENS / "queue_page.png"))

        # A clip of the first event renders, then plays in sync.
        page.wait_for_selector("#clips video", timeout=90000)
        page.wait_for_function("() => { const v = document.querySelector('#clips video'); "
                               "return v && v.readyState >= 2 && v.duration > 0 }", timeout=30000)
        assert re.fullmatch(r"t = \d+\.\d\d s", page.locator("#clock").inner_text())  # before any playing
        page.keyboard.press("Space")
        page.wait_for_function("() => document.querySelector('#clips video').currentTime > 0.3", timeout=15000)
        page.keyboard.press("Space")
        page.keyboard.press(".")
        page.wait_for_timeout(400)
        rate = "() => [...document.querySelectorAll('#clips video')].map(v => v.playbackRate)"
        page.keyboard.press("s")  # slow motion, on every view
        assert set(page.evaluate(rate)) == {0.25}
        page.keyboard.press("]")
        assert set(page.evaluate(rate)) == {0.5}
        page.keyboard.press("j")  # back to just before the event
        page.wait_for_timeout(300)
        times = page.evaluate("() => [...document.querySelectorAll('#clips video')].map(v => v.currentTime)")
        assert max(times) - min(times) < 0.1 and times[0] < 2.0
        if page.locator(".event").count() > 1:
            page.keyboard.press("ArrowRight")
            assert page.locator(".event").nth(1).get_attribute("class") == "event sel"
            page.keyboard.press("ArrowLeft")
            page.wait_for_function("() => document.querySelector('#clips video')?.readyState >= 2", timeout=60000)
        page.screenshot(path=str(SCREENS / "workspace.png"))
        # The next task's clips were requested (rendered ahead) while this one is open.
        page.wait_for_function("() => Number(document.getElementById('ws').dataset.preloaded) > 0", timeout=60000)
        page.wait_for_timeout(500)
        assert refused == []  # rendering the next visit ahead fetches none of it into this page
        # The open page keeps the lease alive.
        page.wait_for_timeout(11000)
        task.refresh_from_db()
        assert task.status == TaskStatus.CLAIMED and task.lease_expires_at is not None
        assert task.lease_expires_at > first_lease

        # Correct one line with the keyboard only: change the product of line 1 (or add one).
        predicted = [line["sku"] for line in (task.prediction.lines if task.prediction else [])]
        target = next(s for s in ("AIM3S-040", "AIM3S-041", "AIM3S-042") if s not in predicted)
        page.keyboard.press("e" if predicted else "i")
        page.wait_for_selector("#search:not([hidden])")
        page.keyboard.type(target)
        page.keyboard.press("Enter")
        page.wait_for_selector(f"#lines tr[data-sku='{target}']")
        page.keyboard.press("+")
        assert "Submit correction" in page.locator("#submit").inner_text()
        page.screenshot(path=str(SCREENS / "workspace_corrected.png"))
        page.keyboard.press("a")
        page.wait_for_url(lambda u: not u.endswith(f"/queue/tasks/{task.pk}/"), timeout=15000)

        final = Receipt.objects.get(visit_id=task.visit_id, is_final=True)
        lines = {(line.product.sku, line.quantity) for line in final.lines.select_related("product")}
        assert (target, 2) in lines
        assert final.source == "review" and final.issued_by is not None and final.issued_by.username == "rita"
        entry = AuditLogEntry.objects.get(receipt=final)
        assert entry.action == "review_corrected" and entry.details["time_spent_s"] > 0
        shown = page.request.get(f"{asgi_server}/api/v1/receipts/?visit={task.visit_id}").json()
        assert any(line["sku"] == target and line["quantity"] == 2
                   for line in shown["results"][0]["lines"]), shown
        # Finish-and-get-next took the next task, and the watcher saw that too.
        watcher.wait_for_function(f"() => document.getElementById('depth').textContent.trim() === '{before - 2}'",
                                  timeout=10000)
        browser.close()
