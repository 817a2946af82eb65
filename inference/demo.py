"""The demo's model: `make run` should open on a working model without a separate step."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command

from inference.selectors import active_model
from inference.services import visits_score
from jwo_review.store.models import Visit, VisitStatus


def demo_model_ready(*, stdout: Any) -> None:
    """Train and activate a small model on the default scenario if none is active (about a
    minute on two cores), then score the visits still waiting for one."""
    if active_model() is None:
        call_command(
            "train_model",
            scenario="default",
            preset="demo",
            seed=1,
            name="demo-default",
            activate=True,
            stdout=stdout,
            verbosity=0,
        )
    else:
        stdout.write("  an active model exists")
    waiting = list(Visit.objects.filter(status=VisitStatus.RECEIVED).values_list("pk", flat=True))
    if waiting:
        scored = visits_score(visit_ids=waiting)
        stdout.write(f"  scored {len(scored)} waiting visit(s)")
