"""The demo's simulated annotation crew: real claims and submissions, human paces, quality fitted."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from django.core.management import call_command

from annotation.models import AnnotationSlot, AnnotatorQuality, Label, SlotStatus, Source
from annotation.services.sources import task_make
from jwo_review.accounts.roles import Role, has_role
from jwo_review.store.management.commands.demo_setup import CREW_SECONDS, demo_annotations
from jwo_review.store.models import Visit


def test_the_demo_crew_labels_tasks_at_a_human_pace_once(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("simulate", scenario="default", visits=6, seed=3, quiet=True, stdout=io.StringIO())
    for visit in Visit.objects.filter(source="simulator"):
        task_make(visit=visit, source=Source.FLAGGED)
    out = io.StringIO()
    demo_annotations(stdout=out, limit=8)
    assert "'submitted': 8, 'refused': 0" in out.getvalue()
    done = AnnotationSlot.objects.filter(status=SlotStatus.DONE).select_related("annotator")
    assert done.count() == 8 == Label.objects.count()
    for slot in done:
        name = slot.annotator.get_username().removeprefix("sim-")
        assert has_role(slot.annotator, Role.ANNOTATOR)
        # A person's time, not the simulation's milliseconds: within about 3 sigma of their pace.
        assert slot.time_spent_s is not None and CREW_SECONDS[name] / 3 < slot.time_spent_s < CREW_SECONDS[name] * 3
    assert AnnotatorQuality.objects.filter(annotator__username__startswith="sim-").exists()

    again = io.StringIO()
    demo_annotations(stdout=again, limit=8)
    assert "already" in again.getvalue() and Label.objects.count() == 8
