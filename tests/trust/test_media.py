"""Need-to-know media: a clip or plate stream goes to an admin always, to a reviewer
only while they hold a task of its visit, to an annotator only through the annotation
app's check; catalogue images to all staff. Every fetch of a clip is recorded, and
outside tools fetch through short-lived signed URLs."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.test import Client
from django.utils import timezone

from annotation.models import AnnotationSlot, Source
from annotation.services.claims import slot_claim_next
from annotation.services.sources import task_make
from inference.models import ModelStatus, ModelVersion, Prediction
from jwo_review.accounts.roles import Role
from jwo_review.store.media_access import media_signed_url
from jwo_review.store.models import Camera, Clip, ClipStatus, ClipView, Store, Visit
from jwo_review.store.services.ingest import visits_ingest
from low_confidence_queue.models import ReviewTask, RoutingPolicy
from low_confidence_queue.services.claims import task_claim_next
from low_confidence_queue.services.routing import visit_route
from tests.factories import visit_payload


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    settings.JWO_VISITS_INGESTED_HOOKS = []
    settings.JWO_QUEUE_NOTIFY_WINDOW_S = 0


def _visit_with_clip(store: Store) -> tuple[Visit, Clip]:
    visit = Visit.objects.get(pk=visits_ingest(payloads=[visit_payload()], source="test")[0].id)
    visit.plate_streams.save(f"{visit.pk}.npz", ContentFile(b"streams"), save=True)
    clip = Clip.objects.create(
        visit=visit, camera=Camera.objects.filter(store=store).first(), t_start=0, t_end=2, status=ClipStatus.READY
    )
    clip.file.save(f"{visit.pk}.webm", ContentFile(b"0123456789"), save=True)
    return visit, clip


@pytest.fixture
def clip(aim3s: Store) -> Clip:
    return _visit_with_clip(aim3s)[1]


def _review_task_of(visit: Visit) -> ReviewTask:
    RoutingPolicy.objects.update_or_create(store=None, defaults={"audit_rate": 0.0})
    version = ModelVersion.objects.filter(status=ModelStatus.ACTIVE).first() or ModelVersion.objects.create(
        name="media-test", status=ModelStatus.ACTIVE, target_accuracy=0.995, threshold=0.9
    )
    Prediction.objects.create(visit=visit, model_version=version, confidence=0.1, lines=[])
    visit_route(visit_id=visit.pk)
    return ReviewTask.objects.get(visit=visit)


def _client(user: Any | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _fetch(user: Any | None, name: str, **headers: Any) -> int:
    return _client(user).get(f"/media/{name}", **headers).status_code


@pytest.mark.parametrize("kind", ["clip", "streams"])
@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("anonymous", 302),
        ("admin", 200),
        ("reviewer-without-task", 403),
        ("reviewer-holding-task", 200),
        ("reviewer-holding-another-visit", 403),
        ("reviewer-lease-ended", 403),
        ("annotator-without-task", 403),
        ("annotator-holding-task", 200),
        ("annotator-holding-another-visit", 403),
        ("annotator-lease-ended", 403),
    ],
)
def test_visit_media_goes_only_to_those_who_hold_work_on_the_visit(
    clip: Clip, users: dict[str, Any], aim3s: Store, who: str, expected: int, kind: str
) -> None:
    visit = clip.visit
    name = clip.file.name if kind == "clip" else visit.plate_streams.name
    user = None if who == "anonymous" else users[who.split("-")[0]]
    if who in {"reviewer-holding-task", "reviewer-lease-ended"}:
        task = _review_task_of(visit)
        assert task_claim_next(user=user) == task
        if who == "reviewer-lease-ended":
            ReviewTask.objects.filter(pk=task.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    elif who == "reviewer-holding-another-visit":
        other, _ = _visit_with_clip(aim3s)
        task = _review_task_of(other)
        assert task_claim_next(user=user) == task
    elif who.startswith("annotator-holding") or who == "annotator-lease-ended":
        target = _visit_with_clip(aim3s)[0] if who == "annotator-holding-another-visit" else visit
        task_make(visit=target, source=Source.FLAGGED)
        slot = slot_claim_next(user=user, gold_draw=1.0)
        assert slot is not None and slot.task.visit_id == target.pk
        if who == "annotator-lease-ended":
            AnnotationSlot.objects.filter(pk=slot.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    assert _fetch(user, name) == expected


@pytest.mark.parametrize("role", ["annotator", "reviewer", "admin"])
def test_catalogue_images_are_open_to_every_staff_role(users: dict[str, Any], role: str) -> None:
    from django.core.files.storage import default_storage

    name = default_storage.save("catalogue/AIM3S-001.png", ContentFile(b"png"))
    assert _fetch(users[role], name) == 200


def test_a_user_without_a_role_sees_no_media(make_user: Callable[..., Any]) -> None:
    from django.core.files.storage import default_storage

    name = default_storage.save("catalogue/AIM3S-001.png", ContentFile(b"png"))
    assert _fetch(make_user("nobody", None), name) == 403


@pytest.mark.parametrize("role", ["annotator", "reviewer"])
def test_other_files_such_as_model_weights_are_for_admins_only(users: dict[str, Any], role: str) -> None:
    from django.core.files.storage import default_storage

    name = default_storage.save("models/v1.pt", ContentFile(b"weights"))
    assert _fetch(users[role], name) == 403
    assert _fetch(users["admin"], name) == 200


def test_every_clip_viewing_is_recorded_with_who_which_and_when(clip: Clip, users: dict[str, Any]) -> None:
    before = timezone.now()
    assert _fetch(users["admin"], clip.file.name) == 200
    assert _fetch(users["admin"], clip.file.name, HTTP_RANGE="bytes=0-") == 206
    # Seeking inside the same viewing asks for later ranges; they are not new viewings.
    assert _fetch(users["admin"], clip.file.name, HTTP_RANGE="bytes=4-7") == 206
    views = list(ClipView.objects.filter(clip=clip))
    assert len(views) == 2
    assert {(v.user, v.username, v.visit_id, v.name, v.via) for v in views} == {
        (users["admin"], "admin-user", clip.visit_id, clip.file.name, "session")
    }
    assert all(v.at >= before for v in views)


def test_a_refused_fetch_is_not_recorded_as_a_viewing(clip: Clip, users: dict[str, Any]) -> None:
    assert _fetch(users["reviewer"], clip.file.name) == 403
    assert not ClipView.objects.exists()


def test_admins_read_the_viewing_record_in_the_admin(clip: Clip, users: dict[str, Any]) -> None:
    _fetch(users["admin"], clip.file.name)
    page = _client(users["admin"]).get("/admin/store/clipview/")
    assert page.status_code == 200
    assert b"admin-user" in page.content and clip.file.name.encode() in page.content
    assert _client(users["reviewer"]).get("/admin/store/clipview/").status_code == 302


def test_a_signed_url_serves_without_a_session_while_its_user_holds_the_visit(
    clip: Clip, users: dict[str, Any]
) -> None:
    reviewer = users["reviewer"]
    task = _review_task_of(clip.visit)
    task_claim_next(user=reviewer)
    url = media_signed_url(name=clip.file.name, user=reviewer)
    assert url.startswith("/media/signed/")
    response = Client().get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"0123456789"
    assert ClipView.objects.get().via == "signed" and ClipView.objects.get().user == reviewer
    # The lease ends: so does the link, though it has not expired yet.
    ReviewTask.objects.filter(pk=task.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    assert Client().get(url).status_code == 403


def test_a_tampered_signed_url_is_refused(clip: Clip, users: dict[str, Any]) -> None:
    url = media_signed_url(name=clip.file.name, user=users["admin"])
    response = Client().get(url[:-3] + ("aaa" if not url.endswith("aaa") else "bbb"))
    assert response.status_code == 403 and b"not valid" in response.content


def test_a_signed_url_expires(clip: Clip, users: dict[str, Any], settings: Any) -> None:
    settings.JWO_MEDIA_SIGNED_URL_S = 1
    url = media_signed_url(name=clip.file.name, user=users["admin"])
    assert Client().get(url).status_code == 200
    time.sleep(2.1)
    response = Client().get(url)
    assert response.status_code == 403 and b"expired" in response.content


def test_the_reviewer_rule_is_installed_by_default() -> None:
    assert "low_confidence_queue.access.user_holds_visit" in settings.JWO_MEDIA_ACCESS_CHECKS


def test_the_annotation_rule_is_installed() -> None:
    assert "annotation.access.user_holds_visit" in settings.JWO_MEDIA_ACCESS_CHECKS


def test_roles_are_what_the_rule_checks() -> None:
    assert {Role.ADMIN, Role.REVIEWER, Role.ANNOTATOR} == set(Role)
