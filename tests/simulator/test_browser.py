"""End to end in Debian's Chromium: a rendered clip plays; the catalogue page shows images.

Screenshots go to /work/notes/screens/ (JWO_SCREENS_DIR overrides) for people to look at.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.test.testcases import _MediaFilesHandler

from jwo_review.accounts.roles import Role
from jwo_review.simulator.generate import simulate_visits
from jwo_review.simulator.models import VisitTruth
from jwo_review.simulator.scenario import Scenario
from jwo_review.simulator.services import simulation_ingest
from jwo_review.simulator.vision import camera_for
from jwo_review.store.models import Camera, ClipStatus, Visit
from jwo_review.store.services.clips import clip_request

SCREENS = Path(os.environ.get("JWO_SCREENS_DIR", "/work/notes/screens"))
VIDEO = "const v = document.getElementById('v');"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--autoplay-policy=no-user-gesture-required"]


@pytest.fixture
def media_through_app(monkeypatch: pytest.MonkeyPatch) -> None:
    """Django's live server answers MEDIA_URL itself (no login, no Range requests, so no
    seeking); send media to the app's protected view, as in production."""
    monkeypatch.setattr(_MediaFilesHandler, "_should_handle", lambda self, path: False)


@pytest.fixture
def signed_in_page(live_server: Any, make_user: Callable[..., Any], media_through_app: None) -> Callable[[], Any]:
    """Opens a Chromium page signed in as an admin on the live server (clips are
    need-to-know: a reviewer sees one only while holding a task of its visit, an admin
    always). Call it after the test's database work: Playwright's sync API runs an
    event loop in this thread."""
    sync_api = pytest.importorskip("playwright.sync_api")
    client = Client()
    client.force_login(make_user("admin-browser", Role.ADMIN))
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value

    @contextmanager
    def open_page() -> Iterator[Any]:
        with sync_api.sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            context = browser.new_context(viewport={"width": 1100, "height": 800})
            context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
            try:
                yield context.new_page()
            finally:
                context.close()
                browser.close()

    return open_page


def _crowded_visit(scenario: Scenario) -> Visit:
    sim = next(v for v in simulate_visits(scenario, 200, seed=7, streams=False)
               if "crowding" in v.truth["hard_cases"])
    simulation_ingest(scenario=scenario, visits=[sim], seed=7)
    return Visit.objects.get(client_visit_id=sim.payload["client_visit_id"])


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_rendered_clip_plays_in_chromium(signed_in_page: Callable[[], Any], live_server: Any,
                                           default_scenario: Scenario, media_root: Path, eager_celery: None) -> None:
    visit = _crowded_visit(default_scenario)
    act = next(a for a in VisitTruth.objects.get(visit=visit).truth["interactions"] if a["role"] == "shopper")
    plate = default_scenario.plates[act["plate"]]
    camera = Camera.objects.get(store=visit.store, code=camera_for(default_scenario, plate.x_m, plate.y_m).code)
    clip = clip_request(visit=visit, camera=camera, t_start=act["t_change"] - 4, t_end=act["t_change"] + 4)
    clip.refresh_from_db()
    assert clip.status == ClipStatus.READY, clip.error

    with signed_in_page() as page:
        page.goto(live_server.url + "/catalogue/")  # any page of the site, so the video is same-origin
        page.set_content(f"""<!doctype html><title>clip</title><body style="margin:0;background:#111">
            <video id="v" src="{live_server.url}{clip.file.url}" muted playsinline width="640" height="480"></video>""")
        page.wait_for_function(f"() => {{ {VIDEO} return v.readyState >= 2 && v.duration > 0 }}", timeout=15000)
        duration = page.evaluate("document.getElementById('v').duration")
        assert duration == pytest.approx(8.0, abs=0.3)
        page.evaluate("document.getElementById('v').play()")
        page.wait_for_function("() => document.getElementById('v').currentTime > 0.5", timeout=10000)
        first = page.evaluate("document.getElementById('v').currentTime")
        page.wait_for_timeout(700)
        assert page.evaluate("document.getElementById('v').currentTime") > first
        # The moment the product leaves the shelf, for the record.
        page.evaluate(f"""() => new Promise(done => {{ {VIDEO} v.pause();
            v.addEventListener('seeked', done, {{once: true}}); v.currentTime = 4.4; }})""")
        assert page.evaluate("document.getElementById('v').currentTime") == pytest.approx(4.4, abs=0.05)
        page.wait_for_timeout(300)
        SCREENS.mkdir(parents=True, exist_ok=True)
        page.locator("#v").screenshot(path=str(SCREENS / "clip_frame.png"))


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_catalogue_page_shows_rendered_images(signed_in_page: Callable[[], Any], live_server: Any, aim3s: object,
                                              media_root: Path) -> None:
    call_command("render_catalogue", stdout=open(os.devnull, "w"))  # noqa: SIM115
    with signed_in_page() as page:
        page.goto(live_server.url + "/catalogue/")
        # Images load lazily: the first screenful must be there, drawn at 256 px.
        page.wait_for_function("() => [...document.images].length === 81 && "
                               "[...document.images].slice(0, 6).every(i => i.complete && i.naturalWidth === 256)",
                               timeout=15000)
        assert page.locator("figure.product").count() == 81
        assert "Reese's" in page.locator("section.family h2").first.inner_text()
        SCREENS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENS / "catalogue_page.png"), full_page=False)


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "status"), [(None, 302), (Role.REVIEWER, 200), (Role.ANNOTATOR, 200),
                                              (Role.ADMIN, 200)])
def test_catalogue_page_is_for_signed_in_staff(make_user: Callable[..., Any], aim3s: object, role: Role | None,
                                               status: int) -> None:
    client = Client()
    if role is not None:
        client.force_login(make_user(f"u-{role.value}", role))
    assert client.get("/catalogue/").status_code == status


@pytest.mark.django_db
def test_catalogue_page_refuses_a_user_without_role(make_user: Callable[..., Any], aim3s: object) -> None:
    client = Client()
    client.force_login(make_user("nobody", None))
    assert client.get("/catalogue/").status_code == 403
