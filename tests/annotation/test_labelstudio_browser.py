"""End to end in Debian's Chromium: one of our annotation tasks open in Label Studio's own
editor, its camera views played from our signed clip links, the weight trace beside them,
the model's auto-labels filled in. The screenshot goes to /work/notes/screens/
(JWO_SCREENS_DIR overrides)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import Count

from annotation.labelstudio.models import LinkedTask
from annotation.labelstudio.services import connection_create
from annotation.labelstudio.sync import connection_sync
from annotation.models import Source
from annotation.services.sources import task_make
from jwo_review.store.models import Clip, ClipStatus, Visit
from tests.queue.test_browser import CHROMIUM_ARGS, SCREENS, asgi_server, pipeline_settings  # noqa: F401


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_our_task_opens_in_label_studio_with_synced_views_and_auto_labels(  # noqa: F811
    aim3s: Any, label_studio: Any, pipeline_settings: Path, asgi_server: str,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch, settings: Any, make_user: Callable[..., Any],
) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "1")
    settings.JWO_VISITS_SCORED_HOOKS = []  # the task is made here, not routed
    quiet = open(os.devnull, "w")  # noqa: SIM115
    call_command("train_model", visits=800, calibration_visits=300, epochs=4, d_model=32, layers=1, members=1,
                 name="e2e-labelstudio", activate=True, stdout=quiet, verbosity=0)
    call_command("simulate", scenario="default", visits=8, seed=33, quiet=True, stdout=quiet)
    visit = Visit.objects.annotate(n=Count("weight_events")).filter(n__gte=2).order_by("-n", "pk").first()
    assert visit is not None
    task = task_make(visit=visit, source=Source.FLAGGED)
    assert task is not None
    connection = connection_create(name="browser", url=label_studio.url, token=label_studio.token,
                                   public_url=asgi_server, store_codes=["aim3s"])
    run = connection_sync(connection_id=connection.pk)
    assert run.status == "ok", run.errors
    assert Clip.objects.filter(visit=visit).exclude(status=ClipStatus.READY).count() == 0  # rendered in-process
    link = LinkedTask.objects.get(task=task)
    SCREENS.mkdir(parents=True, exist_ok=True)

    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_context(viewport={"width": 1600, "height": 1300}).new_page()
        page.goto(label_studio.url + "/user/login/")
        page.fill("input[name=email]", label_studio.email)
        page.fill("input[name=password]", label_studio.password)
        page.press("input[name=password]", "Enter")
        page.wait_for_load_state("networkidle")
        assert "/user/login" not in page.url, "Label Studio did not sign the admin in"
        page.goto(f"{label_studio.url}/projects/{link.project.ls_project_id}/data?task={link.ls_task_id}")
        # Every camera view of the first interaction loads from our signed clip links (the
        # editor fetches video with CORS, so the links answer any origin).
        page.wait_for_function(
            "() => { const v = [...document.querySelectorAll('video')];"
            " return v.length >= 4 && v.every(x => x.readyState >= 2 && x.duration > 0) }",
            timeout=90000,
        )
        sources = page.eval_on_selector_all("video", "vs => vs.map(v => v.currentSrc)")
        assert all("/media/signed-clip/" in s for s in sources), sources
        page.wait_for_timeout(1500)  # let the trace and the filled-in choices settle
        page.screenshot(path=str(SCREENS / "labelstudio_task.png"), full_page=True)
        text = page.inner_text("body")
        assert "Pick" in text and "Put back" in text and f"Visit {visit.visit_code}" in text
        browser.close()
