"""Simulator test fixtures: scenarios loaded once, media in a temporary folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jwo_review.celery import app as celery_app
from jwo_review.simulator.scenario import Scenario, load_scenario


@pytest.fixture(scope="session")
def default_scenario() -> Scenario:
    return load_scenario("default")


@pytest.fixture
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def eager_celery() -> Iterator[None]:
    """Tasks run in-process, as the embedded default does (tests have a Redis URL)."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous
