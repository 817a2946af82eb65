"""A receipt line only the cameras saw: the reviewer is told no scale weighed it and can
watch the reach; deciding on it teaches no weight event anything, but it does teach the
reach heads what that reach was."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.test.testcases import _MediaFilesHandler
from rest_framework.test import APIClient

from inference.datasets import SNAPSHOT_FIELDS
from inference.features import REACH_PICK, featurize
from inference.features.labels import reviewed_reach_labels
from inference.models import LabelledExample, ModelVersion
from inference.retraining import _reach_labels
from inference.selectors import store_context
from inference.services import score_chunk
from jwo_review.celery import app as celery_app
from jwo_review.store.models import Clip, Visit
from jwo_review.store.services.ingest import visits_ingest
from jwo_review.store.services.receipts import LineSpec
from low_confidence_queue.models import ReviewTask
from low_confidence_queue.services.claims import task_claim_next
from low_confidence_queue.services.decisions import task_submit
from low_confidence_queue.services.routing import visit_route
from tests.inference.camera_only import REACH_PLATE, REACH_T, SEEN_SKU, WEIGHED_SKU, SureCameras, camera_only_payload

SCREENS = Path(os.environ.get("JWO_SCREENS_DIR", "/work/notes/screens"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture
def held_task(aim3s: Any, model_version: ModelVersion, users: dict[str, Any]) -> ReviewTask:
    """The camera-only visit scored by a sure ``vision_items`` scorer at low confidence,
    routed to review and claimed by the reviewer."""
    visit = Visit.objects.get(pk=visits_ingest(payloads=[camera_only_payload()], source="test")[0].id)
    score_chunk([visit.pk], model_version, SureCameras(confidence=0.3))
    visit_route(visit_id=visit.pk)
    task = task_claim_next(user=users["reviewer"])
    assert task is not None and task.visit_id == visit.pk
    return task


def test_the_reason_points_the_reviewer_at_the_least_sure_decision(held_task: ReviewTask) -> None:
    """The weighed pick is the baseline's near-sure guess; the reach, billed from the
    cameras at 0.98 of its action, is what the model is least sure of."""
    entries = held_task.prediction.event_assignments if held_task.prediction is not None else []
    reach = next(e for e in entries if e.get("source") == "vision")
    assert held_task.reason_detail.startswith("confidence 0.300 below ")
    assert held_task.reason_detail.endswith(
        f"; least sure: hand at {REACH_T:.1f} s on {REACH_PLATE}, no weight change, billed from the cameras alone "
        f"({reach['probability']:.2f})"
    )


def _page_lines(task: ReviewTask, user: Any) -> dict[str, dict[str, Any]]:
    client = Client()
    client.force_login(user)
    body = client.get(f"/queue/tasks/{task.pk}/").content.decode()
    start = body.index('<script id="workspace-data" type="application/json">')
    data = json.loads(body[body.index(">", start) + 1 : body.index("</script>", start)])
    return {line["sku"]: line for line in data["lines"]}


def test_the_workspace_marks_the_line_only_the_cameras_saw(held_task: ReviewTask, users: dict[str, Any]) -> None:
    lines = _page_lines(held_task, users["reviewer"])
    assert lines[WEIGHED_SKU]["weighed"] and lines[WEIGHED_SKU]["camera_only"] == []
    seen = lines[SEEN_SKU]
    assert not seen["weighed"]
    assert [(v["t"], v["plate"], v["action"], v["quantity"]) for v in seen["camera_only"]] == [
        (REACH_T, REACH_PLATE, "pick", 1)
    ]


def test_the_reviewer_can_ask_for_the_clips_of_a_moment_no_scale_weighed(
    held_task: ReviewTask, users: dict[str, Any]
) -> None:
    api = APIClient()
    api.force_authenticate(users["reviewer"])
    url = f"/api/v1/queue/tasks/{held_task.pk}/clips/"
    clips = api.post(url, {"t": REACH_T}, format="json")
    assert clips.status_code == 200 and clips.json()
    assert all(c["t_start"] < REACH_T < c["t_end"] for c in clips.json())
    assert api.post(url, {}, format="json").status_code == 400
    assert api.post(url, {"event": 0, "t": REACH_T}, format="json").status_code == 400


def test_removing_the_camera_only_line_labels_the_weighed_event_only(
    held_task: ReviewTask, users: dict[str, Any]
) -> None:
    task_submit(
        task_id=held_task.pk,
        user=users["reviewer"],
        decision="correct",
        reason_code="phantom_item",
        lines=[LineSpec(WEIGHED_SKU, 1, 1)],
    )
    examples = {e.ref: e for e in LabelledExample.objects.filter(visit_id=held_task.visit_id)}
    assert set(examples) == {"receipt", "event:0", "reach:0"}
    assert (examples["event:0"].action, examples["event:0"].sku) == ("pick", WEIGHED_SKU)
    assert examples["event:0"].provenance["visit_complete"]
    assert examples["receipt"].provenance["events"] == 1
    # The removed line was the reach's alone: the reach moved nothing.
    reach = examples["reach:0"]
    assert (reach.kind, reach.action, reach.sku, reach.t) == ("missed", "noise", "", REACH_T)
    assert reach.provenance["reach"] == 0 and reach.provenance["plate"] == REACH_PLATE


def test_approving_the_camera_only_line_confirms_the_reach_and_teaches_the_reach_heads(
    held_task: ReviewTask, users: dict[str, Any]
) -> None:
    task_submit(task_id=held_task.pk, user=users["reviewer"], decision="approve", reason_code="confirmed")
    reach = LabelledExample.objects.get(visit_id=held_task.visit_id, ref="reach:0")
    assert (reach.kind, reach.action, reach.sku, reach.quantity, reach.track_id) == ("missed", "pick", SEEN_SKU, 1, 1)
    rows = list(LabelledExample.objects.filter(visit_id=held_task.visit_id).values(*SNAPSHOT_FIELDS))
    labels = _reach_labels(rows)[held_task.visit_id]
    features = featurize(camera_only_payload(), store_context(held_task.visit.store))
    assert reviewed_reach_labels(features, labels) == 1
    assert features.y_reach_action is not None and features.y_reach_product is not None
    assert features.y_reach_action.tolist() == [REACH_PICK]
    assert features.reach_candidates[0][int(features.y_reach_product[0])] == SEEN_SKU
    assert features.y_reach_track is not None and features.track_ids[int(features.y_reach_track[0])] == 1


@pytest.fixture
def eager_clips(settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Clips render in-process with the test renderer; media go through the app's view."""
    settings.MEDIA_ROOT = tmp_path / "media"
    monkeypatch.setattr(_MediaFilesHandler, "_should_handle", lambda self, path: False)
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


def page_as(browser: Any, url: str, user: Any) -> Any:
    """A new 1440 x 900 page of ``browser`` signed in to ``url`` as ``user``."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    context.add_cookies([{"name": django_settings.SESSION_COOKIE_NAME, "value": cookie, "url": url}])
    return context.new_page()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_badge_shows_in_chromium_and_plays_the_reach(
    held_task: ReviewTask,
    users: dict[str, Any],
    live_server: Any,
    eager_clips: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "1")  # Playwright's sync API keeps a loop in this thread
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page = page_as(browser, live_server.url, users["reviewer"])
            page.goto(f"{live_server.url}/queue/tasks/{held_task.pk}/")
            badge = page.locator(f'#lines tr[data-sku="{SEEN_SKU}"] .badge.camera-only')
            badge.wait_for()
            assert badge.inner_text() == f"seen by camera only · {REACH_T:.1f} s"
            assert page.locator(f'#lines tr[data-sku="{WEIGHED_SKU}"] .badge.camera-only').count() == 0
            SCREENS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENS / "workspace-camera-only.png"), full_page=True)
            badge.click()
            page.wait_for_function(
                "document.getElementById('trace-title').textContent.includes('seen by camera only at 60.0 s')"
            )
            page.locator("#clips .clip[data-status]").first.wait_for()
        finally:
            browser.close()
    # The page opened on the weighed event's clips; the badge asked for the reach's.
    windows = set(Clip.objects.filter(visit_id=held_task.visit_id).values_list("t_start", "t_end"))
    assert len(windows) == 2 and any(t0 < REACH_T < t1 for t0, t1 in windows)
