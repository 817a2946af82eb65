"""An item the model put on the receipt from the cameras alone reaches the annotator as
an interaction the scale missed, filled in like an auto-label: kept with Enter, it is
submitted as an added interaction."""

from __future__ import annotations

from typing import Any

import pytest

from annotation.models import AnnotationSlot, Label, Source
from annotation.selectors import slot_page_data
from annotation.services.claims import slot_claim_next
from annotation.services.sources import task_make
from inference.models import ModelVersion
from inference.services import score_chunk
from jwo_review.store.models import Visit
from jwo_review.store.services.ingest import visits_ingest
from tests.inference.camera_only import REACH_PLATE, REACH_T, SEEN_SKU, SureCameras, camera_only_payload
from tests.queue.test_camera_only_items import CHROMIUM_ARGS, SCREENS, eager_clips, page_as  # noqa: F401


@pytest.fixture
def held_slot(aim3s: Any, model_version: ModelVersion, users: dict[str, Any]) -> AnnotationSlot:
    visit = Visit.objects.get(pk=visits_ingest(payloads=[camera_only_payload()], source="test")[0].id)
    score_chunk([visit.pk], model_version, SureCameras(confidence=0.3))
    task = task_make(visit=visit, source=Source.FLAGGED)
    assert task is not None
    slot = slot_claim_next(user=users["annotator"])
    assert slot is not None and slot.task_id == task.pk
    return slot


def test_the_page_lists_the_models_camera_only_items(held_slot: AnnotationSlot) -> None:
    assert slot_page_data(held_slot)["camera_only"] == [
        {"t": REACH_T, "plate": REACH_PLATE, "action": "pick", "sku": SEEN_SKU, "quantity": 1, "track_id": 1}
    ]


def test_a_slot_asking_only_about_disputed_events_lists_none(held_slot: AnnotationSlot) -> None:
    held_slot.focus = [0]
    assert slot_page_data(held_slot)["camera_only"] == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("eager_clips")
def test_the_annotator_keeps_the_camera_only_item_with_enter(
    held_slot: AnnotationSlot,
    users: dict[str, Any],
    live_server: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "1")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page = page_as(browser, live_server.url, users["annotator"])
            page.goto(f"{live_server.url}/annotation/slots/{held_slot.pk}/")
            suggested = page.locator(".timeline li.camera-only")
            suggested.wait_for()
            assert f"{REACH_T:.1f} s · seen by camera only (model)" in suggested.inner_text()
            assert "to check" in suggested.inner_text()
            assert page.locator(".timeline li").count() == 2  # the weighed pick, then the reach
            SCREENS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENS / "annotation-camera-only.png"), full_page=True)
            page.keyboard.press("Enter")  # the weighed pick, as the model said
            page.keyboard.press("Enter")  # the camera-only item: kept
            assert "+ added" in suggested.inner_text()
            page.keyboard.press("Shift+Enter")
            page.wait_for_url(lambda u: not u.endswith(f"/annotation/slots/{held_slot.pk}/"), timeout=15000)
        finally:
            browser.close()
    label = Label.objects.get(slot=held_slot)
    assert [(a["t"], a["action"], a["sku"], a["quantity"]) for a in label.added] == [(REACH_T, "pick", SEEN_SKU, 1)]
