"""End to end in Debian's Chromium: an admin opens the dashboard on a history with a
promotion, sees the review-rate chart drawn with data, filters to one store, and a second
browser on the dashboard sees "decided today" change live when a reviewer decides a task.

The server is ``runserver`` (Daphne, ASGI) in a subprocess on the test database; the
decision is made here through the real services, and its change notice reaches the
server's socket through Redis, as in production. Screenshots go to /tmp/shots-dash/
(JWO_DASH_SCREENS_DIR overrides).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.db import connection
from django.utils import timezone

from jwo_review.accounts.roles import Role
from jwo_review.store.services.layout import store_load_spec
from low_confidence_queue.services.history import demo_history_seed
from tests.dashboard.conftest import History
from tests.queue.test_browser import CHROMIUM_ARGS, PASSWORD, run_asgi_server

SCREENS = Path(os.environ.get("JWO_DASH_SCREENS_DIR", "/tmp/shots-dash"))


@pytest.fixture
def dashboard_server(tmp_path: Path) -> Iterator[str]:
    with run_asgi_server({"JWO_DASHBOARD_LIVE_CACHE_S": "0"}, tmp_path / "server.log") as url:
        yield url


def _sign_in(browser: Any, url: str, username: str, path: str) -> Any:
    page = browser.new_context(viewport={"width": 1440, "height": 1000}).new_page()
    page.goto(f"{url}/accounts/login/?next={quote(path)}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.press("#id_password", "Enter")
    page.wait_for_url(f"{url}{path}")
    return page


RATE_BARS = ("() => Chart.getChart('chart-rate').data.datasets.slice(0, 4)"
             ".flatMap(d => d.data).filter(v => v > 0).length")


@pytest.mark.browser
@pytest.mark.slow
def _decide_and_close(history: History, task: Any) -> None:
    try:
        history.decide(task, when=None)
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_admin_reads_filters_and_watches_the_dashboard_live(
    aim3s: Any, model_version: Any, history: History, users: dict[str, Any], make_user: Callable[..., Any],
    dashboard_server: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "1")  # plain ORM calls between browser steps
    store_load_spec({"code": "kiosk", "name": "Kiosk", "width_m": 4, "depth_m": 4, "fixtures": [], "cameras": [],
                     "products": [], "facings": []})
    make_user("ada", Role.ADMIN)
    demo_history_seed(days=10, visits_per_day=40, promotion_days_ago=4, seed=5)
    first = history.route("low", timezone.now())
    history.route("low", timezone.now())
    SCREENS.mkdir(parents=True, exist_ok=True)

    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = _sign_in(browser, dashboard_server, "ada", "/dashboard/?days=14")
        page.wait_for_selector("#live.on", timeout=10000)
        # Ten past days of bars by reason, for both stores, with the promotion marked.
        assert page.evaluate(RATE_BARS) >= 10
        assert page.evaluate("() => Chart.getChart('chart-rate').data.datasets.map(d => d.label)")[-2:] == [
            "aim3s (all reasons)", "kiosk (all reasons)"]
        assert "active" in page.locator(".markers").inner_text()
        page.screenshot(path=str(SCREENS / "dashboard_all_stores.png"), full_page=True)

        page.select_option("#f-store", "kiosk")
        page.click("#f-apply")
        page.wait_for_url("**/dashboard/?store=kiosk*")
        page.wait_for_selector("#live.on", timeout=10000)
        assert "· kiosk" in page.locator("h1").inner_text()
        assert page.evaluate(RATE_BARS) >= 10
        assert page.evaluate("() => Chart.getChart('chart-rate').data.datasets.length") == 4  # no per-store lines
        assert page.locator("#f-store").input_value() == "kiosk"
        page.screenshot(path=str(SCREENS / "dashboard_kiosk.png"), full_page=True)

        # A second browser watches aim3s; a reviewer decides one of today's tasks.
        watcher = _sign_in(browser, dashboard_server, "ada", "/dashboard/?store=aim3s&days=14")
        watcher.wait_for_selector("#live.on", timeout=10000)
        before = int(watcher.locator("#live-decided").inner_text())
        assert watcher.locator("#live-pending").inner_text() == "2"
        # Decided from a thread of its own, as a request would be: Playwright's event loop
        # runs in this thread, and the after-commit notice cannot be sent from inside it.
        decider = threading.Thread(target=_decide_and_close, args=(history, first))
        decider.start()
        decider.join(timeout=30)
        watcher.wait_for_function(
            f"() => document.getElementById('live-decided').textContent.trim() === '{before + 1}'", timeout=10000)
        assert watcher.locator("#live-pending").inner_text() == "1"
        watcher.screenshot(path=str(SCREENS / "dashboard_live.png"), full_page=True)

        # A reviewer's own page charts their days: tasks, corrected, median seconds.
        mine = _sign_in(browser, dashboard_server, "reviewer-user", "/dashboard/?days=14")
        mine.wait_for_function("() => window.Chart && Chart.getChart('chart-days')", timeout=10000)
        labels, tasks = mine.evaluate("() => { const c = Chart.getChart('chart-days'); "
                                      "return [c.data.datasets.map(d => d.label), c.data.datasets[0].data] }")
        assert labels == ["tasks", "corrected", "median seconds per task"]
        assert len(tasks) == 14 and sum(tasks) == int(mine.locator("#my-tasks").inner_text())
        mine.screenshot(path=str(SCREENS / "my_numbers.png"), full_page=True)
        browser.close()
