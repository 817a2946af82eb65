"""Push our annotation tasks to a team's Label Studio and pull its annotations back.

Push: per store of the connection, a project with our config (made once, updated when
the config changes); per open task of the connection's stores and sources, a Label Studio
task with the model's auto-labels as a prediction. Tasks are matched by Label Studio id,
and by our task id inside the task data, so pushing again creates nothing, a task whose
data changed (new media links before the old expire, a new model version) is updated in
place, and a push that died between Label Studio's answer and our commit is adopted next
time rather than duplicated.

Pull: every annotation, by Label Studio id and update time. New or edited ones become
labels of the Label Studio user (an account of ours per user) and enter consensus and
gold scoring like any annotator's; unchanged ones are skipped; one that cannot be read
(an unknown product, a missing action, an item that is not ours) is recorded with its
reasons and nothing of it is applied.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from annotation.labelstudio.client import LabelStudioClient, LabelStudioError, RemoteTask
from annotation.labelstudio.config import config_hash, labelling_config
from annotation.labelstudio.models import (
    Connection,
    LinkedTask,
    Project,
    PulledAnnotation,
    PulledStatus,
    RemoteUser,
    SyncRun,
    SyncStatus,
)
from annotation.labelstudio.payload import CLIP_FPS, TaskPayload, store_views, task_payload
from annotation.labelstudio.results import labels_from_result
from annotation.models import AnnotationTask, TaskStatus
from annotation.services.labels import label_record_external
from annotation.services.sources import settings_current
from jwo_review.accounts.roles import Role, ensure_role_groups
from jwo_review.errors import InvalidInput
from jwo_review.store.models import Store

log = logging.getLogger(__name__)
IMPORT_BATCH = 50
# Raise when task_payload's output changes for the same inputs, so every task is sent again.
PAYLOAD_FORMAT = 1
Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass
class SyncReport:
    counts: dict[str, int] = field(default_factory=dict)
    errors: list[dict[str, str]] = field(default_factory=list)

    def add(self, key: str, n: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + n

    def error(self, where: str, message: str) -> None:
        self.errors.append({"where": where, "message": message})


def links_expiry(connection: Connection, now: datetime) -> datetime:
    """When media links sent now expire: the end of the current half-lifetime window plus
    a lifetime, so links sent within one window are the same (a push changes nothing)
    and always live at least half a lifetime; a sync in the next window renews them."""
    half = connection.media_link_hours * 1800
    start = int(now.timestamp()) // half * half
    return datetime.fromtimestamp(start + 2 * half, tz=now.tzinfo)


def _client(connection: Connection) -> LabelStudioClient:
    return LabelStudioClient(url=connection.url, token=connection.token)


def _project(connection: Connection, store: Store, client: LabelStudioClient, report: SyncReport) -> Project | None:
    views = store_views(store.pk)
    if views == 0:
        report.error(f"store {store.code}", "The store has no cameras, so its interactions have no clips to send.")
        return None
    config = labelling_config(views=views, fps=CLIP_FPS)
    digest = config_hash(config)
    max_annotations = settings_current().max_overlap
    project = Project.objects.filter(connection=connection, store=store).first()
    if project is None:
        ls_id = client.project_create(
            title=f"JWO Review · {store.name}",
            config=config,
            description=f"Interactions of store {store.code}, sent by JWO Review; results are pulled back.",
            max_annotations=max_annotations,
        )
        report.add("projects_created")
        return Project.objects.create(connection=connection, store=store, ls_project_id=ls_id, config_hash=digest)
    if project.config_hash != digest:
        client.project_update(project.ls_project_id, config=config, max_annotations=max_annotations)
        Project.objects.filter(pk=project.pk).update(config_hash=digest)
        report.add("projects_updated")
    return project


def _tasks_to_send(connection: Connection, store: Store) -> list[AnnotationTask]:
    return list(
        AnnotationTask.objects.filter(visit__store=store, source__in=connection.sources, status=TaskStatus.OPEN)
        .select_related("visit__store")
        .order_by("id")
    )


def _inputs_digest(task: AnnotationTask, *, connection: Connection, views: int, links_expire_at: datetime) -> str:
    """A digest of what a task's Label Studio data is made from (its visit's events and
    clips do not change once stored): equal digests mean an equal payload."""
    body = json.dumps(
        [
            PAYLOAD_FORMAT,
            task.visit_id,
            task.auto_labels,
            task.model_version,
            views,
            connection.public_url,
            connection.service_user_id,
            links_expire_at.timestamp(),
        ],
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(body.encode()).hexdigest()


def _push_project(
    connection: Connection,
    project: Project,
    remote: list[RemoteTask],
    client: LabelStudioClient,
    report: SyncReport,
    progress: Progress | None,
) -> None:
    now = timezone.now()
    expires = links_expiry(connection, now)
    linked = {lt.task_id: lt for lt in LinkedTask.objects.filter(connection=connection, project=project)}
    by_ls_id = {r.id: r for r in remote}
    by_ours = {int(r.data["jwo_task_id"]): r for r in remote if str(r.data.get("jwo_task_id", "")).isdigit()}
    tasks = _tasks_to_send(connection, project.store)
    views = store_views(project.store_id)
    new: list[tuple[AnnotationTask, TaskPayload, str]] = []
    for n, task in enumerate(tasks, 1):
        if progress and n % 25 == 0:
            progress("push", n, len(tasks))
        link = linked.get(task.pk)
        if link is not None and link.ls_task_id not in by_ls_id and task.pk not in by_ours:
            # Deleted in Label Studio while still open here: send it again.
            link.delete()
            link = None
            report.add("tasks_recreated")
        live = link is not None and link.links_expire_at - now > timedelta(hours=connection.media_link_hours / 2)
        until = link.links_expire_at if link is not None and live else expires
        digest = _inputs_digest(task, connection=connection, views=views, links_expire_at=until)
        if link is not None and link.ls_task_id in by_ls_id and link.data_hash == digest:
            report.add("tasks_unchanged")  # nothing it is made from changed: no need to build it
            continue
        payload = task_payload(
            task=task,
            views=views,
            media_user=connection.service_user,
            public_url=connection.public_url,
            links_expire_at=until,
        )
        found = by_ls_id.get(link.ls_task_id) if link is not None else by_ours.get(task.pk)
        if found is None:
            new.append((task, payload, digest))
            continue
        client.task_update(found.id, data=payload.data)
        client.prediction_replace(found.id, found.prediction_ids, payload.prediction)
        LinkedTask.objects.update_or_create(
            connection=connection,
            task=task,
            defaults={
                "project": project,
                "ls_task_id": found.id,
                "data_hash": digest,
                "links_expire_at": until,
                "updated_at": now,
            },
        )
        # A task we had no record of was sent by a push cut off before its commit.
        report.add("tasks_updated" if link is not None else "tasks_adopted")
    for start in range(0, len(new), IMPORT_BATCH):
        batch = new[start : start + IMPORT_BATCH]
        ids = client.tasks_import(
            project.ls_project_id, [{"data": p.data, "predictions": [p.prediction]} for _, p, _ in batch]
        )
        if len(ids) != len(batch):
            raise LabelStudioError(f"Label Studio made {len(ids)} tasks of {len(batch)}; the next sync adopts them.")
        with transaction.atomic():
            LinkedTask.objects.bulk_create(
                [
                    LinkedTask(
                        connection=connection,
                        project=project,
                        task=task,
                        ls_task_id=ls_id,
                        data_hash=digest,
                        links_expire_at=expires,
                        pushed_at=now,
                        updated_at=now,
                    )
                    for (task, _, digest), ls_id in zip(batch, ids)
                ]
            )
        report.add("tasks_created", len(batch))
        if progress:
            progress("push", len(tasks) - len(new) + start + len(batch), len(tasks))
    if progress:
        progress("push", len(tasks), len(tasks))


def _remote_user(connection: Connection, ls_user_id: int, users: dict[int, dict[str, Any]]) -> RemoteUser:
    found = RemoteUser.objects.filter(connection=connection, ls_user_id=ls_user_id).select_related("user").first()
    if found is not None:
        return found
    info = users.get(ls_user_id, {})
    email = str(info.get("email") or "")
    username = f"{connection.name}.{email or ls_user_id}"[:150]
    user = get_user_model().objects.create_user(
        username=username,
        email=email,
        first_name=str(info.get("first_name") or "")[:150],
        last_name=str(info.get("last_name") or "")[:150],
    )
    user.set_unusable_password()
    user.save(update_fields=["password"])
    user.groups.add(ensure_role_groups()[Role.ANNOTATOR])
    return RemoteUser.objects.create(connection=connection, ls_user_id=ls_user_id, email=email, user=user)


def _pull_task(
    connection: Connection,
    link: LinkedTask,
    remote: RemoteTask,
    users: dict[int, dict[str, Any]],
    report: SyncReport,
) -> None:
    seen = {p.ls_annotation_id: p for p in PulledAnnotation.objects.filter(connection=connection, linked_task=link)}
    seqs = [int(e["seq"]) for e in remote.data.get("events") or [] if isinstance(e, dict) and "seq" in e]
    auto = {int(a["seq"]): a for a in link.task.auto_labels or []}
    for ann in sorted(remote.annotations, key=lambda a: str(a.get("updated_at") or "")):
        ann_id, updated = int(ann["id"]), str(ann.get("updated_at") or "")
        before = seen.get(ann_id)
        if before is not None and before.ls_updated_at == updated:
            report.add("annotations_unchanged")
            continue
        if ann.get("was_cancelled"):
            report.add("annotations_skipped")
            continue
        where = f"Label Studio annotation {ann_id} (task {remote.id}, our task {link.task_id})"
        events, errors = labels_from_result(ann.get("result") or [], seqs=seqs, auto=auto)
        status, label = PulledStatus.REJECTED, before.label if before is not None else None
        completed_by = ann.get("completed_by")
        if isinstance(completed_by, dict):
            completed_by = completed_by.get("id")
        if not errors and completed_by is None:
            errors = {"completed_by": ["The annotation names no Label Studio user."]}
        with transaction.atomic():
            remote_user = _remote_user(connection, int(completed_by), users) if completed_by is not None else None
            if not errors and remote_user is not None:
                try:
                    label, created = label_record_external(
                        task_id=link.task_id, annotator=remote_user.user, events=events
                    )
                    status = PulledStatus.APPLIED
                    report.add("annotations_applied" if created and before is None else "annotations_updated")
                except InvalidInput as exc:
                    errors = exc.fields or {"labels": [exc.message]}
            if errors:
                report.add("annotations_rejected")
                report.error(where, "; ".join(f"{k}: {' '.join(v)}" for k, v in sorted(errors.items())))
            PulledAnnotation.objects.update_or_create(
                connection=connection,
                ls_annotation_id=ann_id,
                defaults={
                    "linked_task": link,
                    "remote_user": remote_user,
                    "ls_updated_at": updated,
                    "status": status,
                    "label": label,
                    "errors": errors,
                    "pulled_at": timezone.now(),
                },
            )


def connection_sync(
    *,
    connection_id: int,
    trigger: str = "command",
    progress: Progress | None = None,
    client: LabelStudioClient | None = None,
) -> SyncRun:
    """Push then pull one connection; the run's record says what changed and what was
    not applied. A server that cannot be reached fails the run (status failed, the reason
    in its errors) without touching anything of ours."""
    connection = Connection.objects.select_related("service_user").get(pk=connection_id)
    run = SyncRun.objects.create(connection=connection, trigger=trigger)
    report = SyncReport()
    status = SyncStatus.OK
    try:
        client = client or _client(connection)
        for store in connection.stores.order_by("code"):
            project = _project(connection, store, client, report)
            if project is None:
                continue
            remote = list(client.tasks(project.ls_project_id))
            _push_project(connection, project, remote, client, report, progress)
            users = client.users() if any(r.annotations for r in remote) else {}
            links = {
                lt.ls_task_id: lt
                for lt in LinkedTask.objects.filter(connection=connection, project=project).select_related("task")
            }
            pulled = [r for r in remote if r.annotations and r.id in links]
            for n, r in enumerate(pulled, 1):
                _pull_task(connection, links[r.id], r, users, report)
                if progress and (n % 25 == 0 or n == len(pulled)):
                    progress("pull", n, len(pulled))
        if report.errors:
            status = SyncStatus.PARTIAL
    except LabelStudioError as exc:
        status = SyncStatus.FAILED
        report.error("connection", str(exc))
        log.warning("Label Studio sync of %s failed: %s", connection.name, exc)
    SyncRun.objects.filter(pk=run.pk).update(
        status=status, finished_at=timezone.now(), counts=report.counts, errors=report.errors[:500]
    )
    run.refresh_from_db()
    return run
