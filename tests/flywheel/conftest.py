"""Flywheel test data: the queue's scored visits and model factory, reused."""

from __future__ import annotations

from tests.queue.conftest import (  # noqa: F401  (fixtures)
    _no_random_audit,
    _queue_settings,
    model_version,
    review_task,
    scored_visit,
)
