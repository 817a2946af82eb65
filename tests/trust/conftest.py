"""Fixtures of the trust tests: a tiny real model (from the inference tests), the Celery
app pointed at a broker of the test's choosing, and the sweep's timing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.conf import settings
from kombu import pools

from jwo_review.celery import app as celery_app
from low_confidence_queue.models import RoutingPolicy
from tests.inference.conftest import ctx, media, register, tiny_training  # noqa: F401  (shared fixtures)

# A local port nothing listens on: a broker that is down.
DEAD_BROKER = "redis://127.0.0.1:6390/0"


def broker_switch(url: str) -> None:
    """Point the Celery app at ``url``, dropping connections to the old broker."""
    celery_app.conf.broker_url = url
    # kombu keeps producer pools per connection in a process-wide registry; start afresh.
    pools.reset()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def broker() -> Iterator[Callable[[str], None]]:
    """Call with a URL to move the broker; tasks are published (not run eagerly) until
    the test turns ``task_always_eager`` back on. Restored afterwards."""
    eager = celery_app.conf.task_always_eager
    real = settings.REDIS_URL or "memory://"
    celery_app.conf.task_always_eager = False
    yield broker_switch
    broker_switch(real)
    celery_app.conf.task_always_eager = eager


@pytest.fixture
def pipeline_settings(settings: Any) -> Iterator[Any]:
    """The real pipeline hooks, tasks run in this process; a visit counts as stalled at once."""
    settings.JWO_VISITS_INGESTED_HOOKS = ["jwo_review.pipeline.visits_ingested"]
    settings.JWO_VISITS_SCORED_HOOKS = ["jwo_review.pipeline.visits_scored"]
    settings.JWO_PIPELINE_GRACE_S = 0
    settings.JWO_PIPELINE_RETRY_S = 600
    settings.JWO_QUEUE_NOTIFY_WINDOW_S = 0
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield settings
    celery_app.conf.task_always_eager = eager


@pytest.fixture
def no_audit_sample(db: None) -> None:
    RoutingPolicy.objects.update_or_create(store=None, defaults={"audit_rate": 0.0})


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print what the fuzzer sent: requests per operation and role, answers by class."""
    import sys

    fuzz = sys.modules.get("tests.trust.test_fuzz")
    if fuzz is None or not fuzz.SENT:
        return
    write = terminalreporter.write_line
    roles = sorted({role for _, role in fuzz.SENT})
    write("")
    write(f"fuzz: requests per operation and role ({', '.join(roles)})")
    for label in sorted({label for label, _ in fuzz.SENT}):
        counts = " ".join(f"{fuzz.SENT[(label, role)]:>3}" for role in roles)
        write(f"  {label:<45} {counts}")
    total = sum(fuzz.SENT.values())
    write(f"fuzz: {total} requests; answers {dict(sorted(fuzz.STATUSES.items()))}; 5xx: {len(fuzz.SERVER_ERRORS)}")
