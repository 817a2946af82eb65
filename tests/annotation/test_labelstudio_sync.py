"""Label Studio interop against a real Label Studio server (started by the session's
``label_studio`` fixture): push, read back, annotate there as two people, pull, edit,
reject what cannot be read, and do nothing twice."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from annotation.labelstudio.models import Connection, LinkedTask, PulledAnnotation, PulledStatus, SyncStatus
from annotation.labelstudio.services import connection_create
from annotation.labelstudio.sync import connection_sync
from annotation.models import AnnotationTask, AnnotatorQuality, Label, Source, TaskStatus
from annotation.services.claims import slot_claim_next
from annotation.services.sources import task_make
from inference.models import LabelledExample
from jwo_review.accounts.roles import Role
from jwo_review.errors import InvalidInput
from jwo_review.store.models import Clip
from tests.annotation.conftest import RIGHT, VisitMaker
from tests.annotation.labelstudio_people import ls_admin, ls_signup, result_items
from tests.queue.render import render_clip

pytestmark = pytest.mark.slow
_n = itertools.count(1)


@pytest.fixture
def connect(label_studio: Any) -> Callable[..., Connection]:
    def make(**kw: Any) -> Connection:
        kw.setdefault("name", f"team{next(_n)}")
        return connection_create(
            url=label_studio.url, token=label_studio.token, public_url="http://testserver",
            store_codes=["aim3s"], **kw,
        )

    return make


def _tasks(scored_visit: VisitMaker, n: int, source: str = Source.FLAGGED) -> list[AnnotationTask]:
    out = []
    for _ in range(n):
        task = task_make(visit=scored_visit(), source=source)
        assert task is not None
        out.append(task)
    return out


def _remote(label_studio: Any, connection: Connection) -> list[Any]:
    project = connection.projects.get()
    return list(ls_admin(label_studio).tasks.list(project=project.ls_project_id, fields="all"))


def test_push_sends_tasks_with_predictions_and_a_second_push_changes_nothing(
    label_studio: Any, connect: Callable[..., Connection], scored_visit: VisitMaker
) -> None:
    tasks = _tasks(scored_visit, 20)
    connection = connect()
    run = connection_sync(connection_id=connection.pk)
    assert run.status == SyncStatus.OK, run.errors
    assert run.counts == {"projects_created": 1, "tasks_created": 20}
    remote = _remote(label_studio, connection)
    assert len(remote) == 20
    ours = {t.pk: t for t in tasks}
    for r in remote:
        task = ours[int(r.data["jwo_task_id"])]
        assert len(r.data["events"]) == 3
        (prediction,) = r.predictions
        assert prediction.model_version == task.model_version
        assert prediction.score == pytest.approx(min(a["confidence"] for a in task.auto_labels), abs=1e-4)
        actions = {i["from_name"]: i["value"]["choices"] for i in prediction.result if i["type"] == "choices"}
        assert actions["action_0"] == ["pick"] and actions["action_2"] == ["put_back"]
        first = r.data["events"][0]
        # Times are ours, in seconds: the trace starts at the clip's first frame.
        assert first["trace"]["t"][0] == 0.0 and first["event_in_clip_s"][0] == pytest.approx(1.5, abs=0.11)
        assert first["view1"].startswith("http://testserver/media/signed-clip/")
    assert LinkedTask.objects.filter(connection=connection).count() == 20

    again = connection_sync(connection_id=connection.pk)
    assert again.status == SyncStatus.OK and again.counts == {"tasks_unchanged": 20}
    remote = _remote(label_studio, connection)
    assert len(remote) == 20 and all(len(r.predictions) == 1 for r in remote)


def test_a_task_changed_on_our_side_is_updated_not_duplicated(
    label_studio: Any, connect: Callable[..., Connection], scored_visit: VisitMaker
) -> None:
    (task,) = _tasks(scored_visit, 1)
    connection = connect()
    connection_sync(connection_id=connection.pk)
    labels = [dict(a) for a in task.auto_labels]
    labels[1]["sku"] = "AIM3S-003"
    AnnotationTask.objects.filter(pk=task.pk).update(auto_labels=labels, model_version="retrained-v2")
    run = connection_sync(connection_id=connection.pk)
    assert run.counts == {"tasks_updated": 1}
    (remote,) = _remote(label_studio, connection)
    (prediction,) = remote.predictions
    assert prediction.model_version == "retrained-v2"


def test_annotations_of_two_label_studio_users_enter_consensus_and_a_second_pull_changes_nothing(
    label_studio: Any, connect: Callable[..., Connection], scored_visit: VisitMaker
) -> None:
    tasks = _tasks(scored_visit, 2)
    connection = connect()
    connection_sync(connection_id=connection.pk)
    anna = ls_signup(label_studio, f"anna{next(_n)}@store.test")
    ben = ls_signup(label_studio, f"ben{next(_n)}@store.test")
    remote = {int(r.data["jwo_task_id"]): r for r in _remote(label_studio, connection)}
    for task in tasks:
        r = remote[task.pk]
        candidates = [[p["value"] for p in e["products"]] for e in r.data["events"]]
        for person in (anna, ben):
            person.annotations.create(id=r.id, result=result_items(RIGHT, candidates))

    run = connection_sync(connection_id=connection.pk)
    assert run.status == SyncStatus.OK, run.errors
    assert run.counts["annotations_applied"] == 4
    for task in tasks:
        task.refresh_from_db()
        assert task.status == TaskStatus.CONSOLIDATED
        names = sorted(Label.objects.filter(task=task).values_list("annotator__username", flat=True))
        assert [n.split("@")[0] for n in names] == sorted(
            [f"{connection.name}.{e.split('@')[0]}" for e in (anna.users.whoami().email, ben.users.whoami().email)]
        )
        example = LabelledExample.objects.get(visit=task.visit, ref="event:2")
        assert example.action == "put_back" and len(example.provenance["annotators"]) == 2
    labels_before = list(Label.objects.filter(task__in=tasks).values_list("pk", "events", "submitted_at"))

    again = connection_sync(connection_id=connection.pk)
    assert again.counts.get("annotations_unchanged") == 4 and "annotations_applied" not in again.counts
    assert list(Label.objects.filter(task__in=tasks).values_list("pk", "events", "submitted_at")) == labels_before


def test_an_annotation_edited_in_label_studio_updates_ours(
    label_studio: Any, connect: Callable[..., Connection], scored_visit: VisitMaker
) -> None:
    (task,) = _tasks(scored_visit, 1)
    connection = connect()
    connection_sync(connection_id=connection.pk)
    cleo = ls_signup(label_studio, f"cleo{next(_n)}@store.test")
    (r,) = _remote(label_studio, connection)
    candidates = [[p["value"] for p in e["products"]] for e in r.data["events"]]
    annotation = cleo.annotations.create(id=r.id, result=result_items(RIGHT, candidates))
    connection_sync(connection_id=connection.pk)
    label = Label.objects.get(task=task)
    assert label.events[1]["quantity"] == 1

    edited = [dict(e) for e in RIGHT]
    edited[1]["quantity"] = 2
    cleo.annotations.update(id=annotation.id, result=result_items(edited, candidates))
    run = connection_sync(connection_id=connection.pk)
    assert run.counts.get("annotations_updated") == 1
    label.refresh_from_db()
    assert label.events[1]["quantity"] == 2 and label.events[1]["accepted"] is False
    assert Label.objects.filter(task=task).count() == 1


def test_a_result_naming_an_unknown_product_is_reported_and_not_applied(
    label_studio: Any, connect: Callable[..., Connection], scored_visit: VisitMaker
) -> None:
    (task,) = _tasks(scored_visit, 1)
    connection = connect()
    connection_sync(connection_id=connection.pk)
    dan = ls_signup(label_studio, f"dan{next(_n)}@store.test")
    (r,) = _remote(label_studio, connection)
    wrong = [dict(e) for e in RIGHT]
    wrong[0]["sku"] = "NOT-A-PRODUCT-9"
    dan.annotations.create(id=r.id, result=result_items(wrong, [[], [], []]))
    run = connection_sync(connection_id=connection.pk)
    assert run.status == SyncStatus.PARTIAL and run.counts["annotations_rejected"] == 1
    assert "NOT-A-PRODUCT-9" in run.errors[0]["message"]
    pulled = PulledAnnotation.objects.get(connection=connection)
    assert pulled.status == PulledStatus.REJECTED and pulled.label is None
    assert not Label.objects.filter(task=task).exists()
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN and task.slots.filter(status="pending").count() == 2


def test_label_studio_labels_on_gold_tasks_score_the_annotator(
    label_studio: Any, connect: Callable[..., Connection], scored_visit: VisitMaker
) -> None:
    gold = task_make(visit=scored_visit(), source=Source.GOLD, gold_labels=RIGHT)
    assert gold is not None
    connection = connect()
    connection_sync(connection_id=connection.pk)
    eve = ls_signup(label_studio, f"eve{next(_n)}@store.test")
    (r,) = _remote(label_studio, connection)
    candidates = [[p["value"] for p in e["products"]] for e in r.data["events"]]
    eve.annotations.create(id=r.id, result=result_items(RIGHT, candidates))
    connection_sync(connection_id=connection.pk)
    label = Label.objects.get(task=gold)
    quality = AnnotatorQuality.objects.get(annotator=label.annotator)
    assert quality.gold_events == 3 and quality.gold_accuracy["sku"] == 1.0


def test_tasks_in_label_studio_are_not_handed_out_here_while_the_connection_is_enabled(
    connect: Callable[..., Connection], scored_visit: VisitMaker, make_user: Callable[..., Any]
) -> None:
    _tasks(scored_visit, 1)
    connection = connect()
    connection_sync(connection_id=connection.pk)
    ana = make_user("local-ana", Role.ANNOTATOR)
    assert slot_claim_next(user=ana, gold_draw=1.0) is None
    Connection.objects.filter(pk=connection.pk).update(enabled=False)
    assert slot_claim_next(user=ana, gold_draw=1.0) is not None


def test_media_links_in_label_studio_serve_the_clip_until_the_connection_is_disabled(
    label_studio: Any, connect: Callable[..., Connection], scored_visit: VisitMaker, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    _tasks(scored_visit, 1)
    connection = connect()
    connection_sync(connection_id=connection.pk)
    (r,) = _remote(label_studio, connection)
    link = r.data["events"][0]["view1"].removeprefix("http://testserver")
    assert Client().get(link).status_code == 404  # not rendered yet
    for clip in Clip.objects.all():
        render_clip(clip.pk)
    answer = Client().get(link)
    assert answer.status_code == 200 and b"".join(answer.streaming_content).startswith(b"\x00\x00\x00\x18ftyp")
    assert answer["Access-Control-Allow-Origin"] == "*"  # Label Studio's editor loads video with CORS
    Connection.objects.filter(pk=connection.pk).update(enabled=False)
    assert Client().get(link).status_code == 403


def test_an_unreachable_server_fails_the_run_and_changes_nothing(
    connect: Callable[..., Connection], scored_visit: VisitMaker
) -> None:
    _tasks(scored_visit, 2)
    connection = connect()
    Connection.objects.filter(pk=connection.pk).update(url="http://127.0.0.1:9")
    run = connection_sync(connection_id=connection.pk)
    assert run.status == SyncStatus.FAILED and "did not answer" in run.errors[0]["message"]
    assert not LinkedTask.objects.exists()


def test_a_token_label_studio_refuses_is_a_field_error_and_nothing_is_saved(label_studio: Any) -> None:
    with pytest.raises(InvalidInput) as err:
        connection_create(name="bad", url=label_studio.url, token="0" * 40, public_url="http://testserver",
                          store_codes=["aim3s"])
    assert "token" in err.value.fields and "HTTP 401" in err.value.fields["token"][0]
    assert label_studio.token not in str(err.value.fields)
    assert not Connection.objects.exists()


def test_a_task_deleted_in_label_studio_while_open_here_is_sent_again(
    label_studio: Any, connect: Callable[..., Connection], scored_visit: VisitMaker
) -> None:
    (task,) = _tasks(scored_visit, 1)
    connection = connect()
    connection_sync(connection_id=connection.pk)
    (r,) = _remote(label_studio, connection)
    ls_admin(label_studio).tasks.delete(str(r.id))
    run = connection_sync(connection_id=connection.pk)
    assert run.counts == {"tasks_recreated": 1, "tasks_created": 1}
    (again,) = _remote(label_studio, connection)
    assert int(again.data["jwo_task_id"]) == task.pk and LinkedTask.objects.get(task=task).ls_task_id == again.id


def test_a_push_cut_off_before_our_commit_is_adopted_next_time_not_duplicated(
    label_studio: Any, connect: Callable[..., Connection], scored_visit: VisitMaker
) -> None:
    _tasks(scored_visit, 3)
    connection = connect()
    connection_sync(connection_id=connection.pk)
    LinkedTask.objects.filter(connection=connection).delete()  # Label Studio has them; we lost the record
    run = connection_sync(connection_id=connection.pk)
    assert run.counts == {"tasks_adopted": 3}
    assert len(_remote(label_studio, connection)) == 3 and LinkedTask.objects.count() == 3
