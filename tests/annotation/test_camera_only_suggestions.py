"""An item the model put on the receipt from the cameras alone reaches the annotator as
an interaction the scale missed, filled in like an auto-label: kept with Enter, it is
submitted as an added interaction."""

from __future__ import annotations

from typing import Any

import pytest

from annotation.models import AnnotationSlot, Label, Source
from annotation.selectors import slot_page_data
from annotation.services.claims import slot_claim_next
from annotation.services.labels import MISSED, label_record_external, label_submit
from annotation.services.sources import task_make
from inference.models import ExampleKind, LabelledExample, ModelVersion
from inference.services import score_chunk
from jwo_review.accounts.roles import Role
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
        {
            "reach": 0,
            "t": REACH_T,
            "plate": REACH_PLATE,
            "action": "pick",
            "sku": SEEN_SKU,
            "quantity": 1,
            "track_id": 1,
        }
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


def _answer(slot: AnnotationSlot, user: Any, *, keep: bool) -> None:
    """Accept every event the slot asks about as the model said; keep the camera-only
    item or remove it."""
    data = slot_page_data(slot)
    auto = {a["seq"]: a for a in data["auto_labels"]}
    asked = data["slot"]["focus"] if slot.focus else [e["seq"] for e in data["events"]]
    events = [
        {k: auto[seq][k] for k in ("seq", "action", "sku", "quantity", "track_id")} | {"accepted": True}
        for seq in asked
    ]
    added = [{k: c[k] for k in ("t", "action", "sku", "quantity", "track_id")} for c in data["camera_only"]]
    label_submit(slot_id=slot.pk, user=user, events=events, added=added if keep else [])


@pytest.mark.parametrize("keepers", [0, 1, 2])
def test_a_camera_only_item_most_annotators_remove_says_its_reach_moved_nothing(
    held_slot: AnnotationSlot, make_user: Any, keepers: int
) -> None:
    """Two annotators see the item: both remove it, and its reach is labelled a no-move;
    one keeps it (a tie, which asks a third) or both do, and it is not."""
    second = make_user("annotator-2", Role.ANNOTATOR)
    _answer(held_slot, held_slot.annotator, keep=keepers >= 1)
    slot = slot_claim_next(user=second)
    assert slot is not None and slot.task_id == held_slot.task_id
    _answer(slot, second, keep=keepers >= 2)
    if keepers == 1:
        third = make_user("annotator-3", Role.ANNOTATOR)
        slot = slot_claim_next(user=third)
        assert slot is not None and slot.focus == [MISSED]
        _answer(slot, third, keep=False)
    examples = LabelledExample.objects.filter(visit_id=held_slot.task.visit_id, kind=ExampleKind.MISSED)
    removed = [(e.ref, e.action, e.sku, e.t) for e in examples if e.ref.startswith("camera-only:")]
    kept = [(e.ref, e.action, e.sku) for e in examples if e.ref.startswith("missed:")]
    if keepers == 2:
        assert (removed, kept) == ([], [("missed:0", "pick", SEEN_SKU)])
    else:
        assert removed == [("camera-only:0:60.00", "noise", SEEN_SKU, REACH_T)]
        assert kept == []
        row = examples.get(ref="camera-only:0:60.00")
        assert (row.provenance["reach"], row.provenance["plate"]) == (0, REACH_PLATE)
        assert row.confidence == pytest.approx(1.0 if keepers == 0 else 2 / 3)
    held_slot.task.refresh_from_db()
    removals = [(r["reach"], r["sku"], r["support"]) for r in held_slot.task.consensus["removed_camera_only"]]
    assert removals == ([] if keepers == 2 else [(0, SEEN_SKU, 2)])


def test_an_answer_from_label_studio_never_saw_the_item_and_does_not_remove_it(
    held_slot: AnnotationSlot, make_user: Any
) -> None:
    """One annotator keeps the item here, a Label Studio answer (which cannot show it)
    says nothing of it, a third removes it here: one of the two who saw it kept it, a
    tie, so its reach is not labelled."""
    _answer(held_slot, held_slot.annotator, keep=True)
    assert [i["sku"] for i in Label.objects.get(slot=held_slot).camera_only_shown] == [SEEN_SKU]
    data = slot_page_data(held_slot)
    auto = {a["seq"]: a for a in data["auto_labels"]}
    events = [{k: a[k] for k in ("seq", "action", "sku", "quantity", "track_id")} for a in auto.values()]
    label_record_external(task_id=held_slot.task_id, annotator=make_user("ls-annotator", Role.ANNOTATOR), events=events)
    third = make_user("annotator-3", Role.ANNOTATOR)
    slot = slot_claim_next(user=third)
    assert slot is not None and slot.task_id == held_slot.task_id and slot.focus == [MISSED]
    _answer(slot, third, keep=False)
    held_slot.task.refresh_from_db()
    assert held_slot.task.status == "consolidated"
    refs = LabelledExample.objects.filter(visit_id=held_slot.task.visit_id, kind=ExampleKind.MISSED)
    assert not refs.filter(ref__startswith="camera-only:").exists()
    assert Label.objects.get(task=held_slot.task, annotator__username="ls-annotator").camera_only_shown == []
