"""End to end in Debian's Chromium: an annotator works a task with the keyboard only.

Simulated visits are ingested and scored by a small model trained here; annotation
tasks are made from them with the model's auto-labels. The annotator signs in, starts
annotating, plays a clip, accepts two auto-labels, corrects one product, submits and is
on the next task. Screenshots go to /work/notes/screens/ (JWO_SCREENS_DIR overrides).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import Count

from annotation.models import AnnotationSlot, Label, SlotStatus, Source
from annotation.services.sources import task_make
from jwo_review.accounts.roles import Role
from jwo_review.store.models import Visit
from tests.queue.test_browser import CHROMIUM_ARGS, PASSWORD, SCREENS, asgi_server, pipeline_settings  # noqa: F401


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_annotator_accepts_and_corrects_auto_labels_with_the_keyboard(  # noqa: F811
    aim3s: Any, make_user: Callable[..., Any], pipeline_settings: Path, asgi_server: str,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch, settings: Any,
) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "1")
    settings.JWO_VISITS_SCORED_HOOKS = []  # tasks are made here, not routed
    quiet = open(os.devnull, "w")  # noqa: SIM115
    call_command("train_model", visits=800, calibration_visits=300, epochs=4, d_model=32, layers=1, members=1,
                 name="e2e-annotation", activate=True, stdout=quiet, verbosity=0)
    call_command("simulate", scenario="default", visits=12, seed=21, quiet=True, stdout=quiet)
    call_command("render_catalogue", stdout=quiet)
    busiest = list(Visit.objects.annotate(n=Count("weight_events")).filter(n__gte=3).order_by("-n", "pk")[:2])
    assert len(busiest) == 2, "the simulated visits should have several interactions"
    for visit in busiest:
        task_make(visit=visit, source=Source.FLAGGED)
    make_user("ana", Role.ANNOTATOR)
    SCREENS.mkdir(parents=True, exist_ok=True)

    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
        page.goto(asgi_server + "/accounts/login/?next=/annotation/")
        page.fill("#id_username", "ana")
        page.fill("#id_password", PASSWORD)
        page.press("#id_password", "Enter")
        page.wait_for_url(asgi_server + "/annotation/")
        assert "Start annotating (2)" in page.locator("#start").inner_text()  # two tasks, one slot each for her
        page.screenshot(path=str(SCREENS / "annotation_home.png"))
        page.keyboard.press("n")
        page.wait_for_url("**/annotation/slots/*/")
        slot = AnnotationSlot.objects.get(status=SlotStatus.CLAIMED)
        assert slot.annotator is not None and slot.annotator.username == "ana"

        # The first interaction's views render, then play.
        page.wait_for_selector("#clips video", timeout=90000)
        page.wait_for_function("() => { const v = document.querySelector('#clips video'); "
                               "return v && v.readyState >= 2 && v.duration > 0 }", timeout=30000)
        page.keyboard.press("Space")
        page.wait_for_function("() => document.querySelector('#clips video').currentTime > 0.3", timeout=15000)
        page.keyboard.press("Space")
        page.screenshot(path=str(SCREENS / "annotation_workspace.png"))
        # The editor stays inside its card: the product's picture is a thumbnail, not the
        # catalogue image at full size spilling over the clips.
        card_right, editor_right, widest_picture = page.evaluate(
            "() => [document.querySelector('.ws-receipt').getBoundingClientRect().right,"
            " Math.max(...[...document.querySelectorAll('.editor *')].map(e => e.getBoundingClientRect().right)),"
            " Math.max(0, ...[...document.querySelectorAll('#product img')]"
            ".map(e => e.getBoundingClientRect().width))]")
        assert editor_right <= card_right
        assert widest_picture <= 48

        # Accept the first two auto-labels, then correct the third one's product.
        page.keyboard.press("Enter")
        page.keyboard.press("Enter")
        assert page.locator(".timeline li.accepted").count() == 2
        auto = slot.task.auto_labels[2]
        target = next(s for s in ("AIM3S-040", "AIM3S-041", "AIM3S-042") if s != auto.get("sku"))
        page.keyboard.press("e")
        page.wait_for_selector("#search:not([hidden])")
        page.keyboard.type(target)
        page.keyboard.press("Enter")
        page.wait_for_selector(f"#product[data-sku='{target}']")
        assert page.locator(".timeline li.sel").get_attribute("class") is not None
        assert "changed" in (page.locator(".timeline li.sel").get_attribute("class") or "")
        # Accept whatever else the visit has, as the model said.
        total = page.locator(".timeline li").count()
        for _ in range(total - 2):
            page.keyboard.press("Enter")
        page.screenshot(path=str(SCREENS / "annotation_corrected.png"))
        # The timeline scrolls when the visit has more interactions than it shows; the
        # selected one stays in sight as Enter moves on.
        overflows, sel_top, sel_bottom, top, bottom = page.evaluate(
            "() => { const ol = document.getElementById('timeline'), r = ol.getBoundingClientRect(),"
            " s = ol.querySelector('li.sel').getBoundingClientRect();"
            " return [ol.scrollHeight > ol.clientHeight, s.top, s.bottom, r.top, r.bottom] }")
        assert overflows, "the test visit should have more interactions than the timeline shows at once"
        assert top - 1 <= sel_top and sel_bottom <= bottom + 1
        page.keyboard.press("Shift+Enter")
        page.wait_for_url(lambda u: not u.endswith(f"/annotation/slots/{slot.pk}/"), timeout=15000)
        page.wait_for_selector("#timeline li")

        label = Label.objects.get(slot=slot)
        by_seq = {e["seq"]: e for e in label.events}
        seqs = sorted(by_seq)
        assert by_seq[seqs[0]]["accepted"] and by_seq[seqs[1]]["accepted"]
        assert by_seq[seqs[2]]["sku"] == target and not by_seq[seqs[2]]["accepted"]
        assert by_seq[seqs[2]]["action"] in ("pick", "put_back", "restock")
        nxt = AnnotationSlot.objects.get(status=SlotStatus.CLAIMED, annotator__username="ana")
        assert nxt.task_id != slot.task_id
        browser.close()
