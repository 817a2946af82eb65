"""Clips and catalogue images: the render task makes a playable WebM of the window."""

from __future__ import annotations

import io
from pathlib import Path

import av
import pytest
from django.core.management import call_command
from PIL import Image

from jwo_review.simulator.generate import simulate_visits
from jwo_review.simulator.models import VisitTruth
from jwo_review.simulator.scenario import Scenario
from jwo_review.simulator.services import simulation_ingest
from jwo_review.simulator.tasks import render_clip
from jwo_review.simulator.vision import camera_for
from jwo_review.store.models import Camera, Clip, ClipStatus, Product, Visit
from jwo_review.store.services.clips import clip_request
from jwo_review.store.services.ingest import visits_ingest


def _visit_with_pick(scenario: Scenario) -> Visit:
    visits = [v for v in simulate_visits(scenario, 6, seed=21) if v.truth["interactions"]]
    simulation_ingest(scenario=scenario, visits=visits[:1], seed=21)
    return Visit.objects.get(client_visit_id=visits[0].payload["client_visit_id"])


def _decode(path: str) -> tuple[int, float, tuple[int, int]]:
    with av.open(path) as container:
        stream = container.streams.video[0]
        frames = list(container.decode(stream))
        duration = float(frames[-1].time or 0.0) + 1.0 / float(stream.average_rate or 15)
        return len(frames), duration, (frames[0].width, frames[0].height)


@pytest.mark.django_db(transaction=True)
def test_clip_request_renders_a_playable_webm(default_scenario: Scenario, media_root: Path,
                                              eager_celery: None) -> None:
    visit = _visit_with_pick(default_scenario)
    act = VisitTruth.objects.get(visit=visit).truth["interactions"][0]
    plate = default_scenario.plates[act["plate"]]
    camera = Camera.objects.get(store=visit.store, code=camera_for(default_scenario, plate.x_m, plate.y_m).code)
    clip = clip_request(visit=visit, camera=camera, t_start=act["t_change"] - 3, t_end=act["t_change"] + 3)
    clip.refresh_from_db()
    assert clip.status == ClipStatus.READY, clip.error
    assert clip.file.name.endswith(".webm") and clip.render_ms is not None
    frames, duration, size = _decode(clip.file.path)
    assert size == (320, 240)
    assert frames == pytest.approx(6 * 15, abs=2)
    assert duration == pytest.approx(6.0, abs=0.2)


@pytest.mark.django_db
def test_render_task_on_a_visit_without_truth_still_draws(default_scenario: Scenario, media_root: Path,
                                                           aim3s: object) -> None:
    payload = next(v for v in simulate_visits(default_scenario, 5, seed=2) if v.payload["vision_events"]).payload
    visit = Visit.objects.get(pk=visits_ingest(payloads=[payload], source="api")[0].id)
    clip = Clip.objects.create(visit=visit, camera=Camera.objects.get(store=visit.store, code="CAM3"),
                               t_start=0.0, t_end=2.0)
    render_clip.apply(args=[clip.pk])
    clip.refresh_from_db()
    assert clip.status == ClipStatus.READY, clip.error
    assert _decode(clip.file.path)[0] == pytest.approx(30, abs=2)


@pytest.mark.django_db
def test_render_task_routes_to_the_media_queue() -> None:
    from jwo_review.celery import app

    route = app.amqp.router.route({}, render_clip.name)
    assert route["queue"].name == "media"


@pytest.mark.django_db
def test_render_catalogue_gives_every_product_an_image(media_root: Path, aim3s: object) -> None:
    call_command("render_catalogue", stdout=io.StringIO())
    products = list(Product.objects.all())
    assert products and all(p.image for p in products)
    with Image.open(products[0].image.path) as img:
        assert img.size == (256, 256)
    out = io.StringIO()
    call_command("render_catalogue", stdout=out)
    assert "Rendered 0" in out.getvalue()
