"""The calls we make to a Label Studio server, through ``label_studio_sdk``.

Everything the SDK or the network raises becomes ``LabelStudioError`` with a message
that names the server and the call but never the token.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
from label_studio_sdk import LabelStudio
from label_studio_sdk.core.api_error import ApiError

T = TypeVar("T")
PAGE = 100
TIMEOUT_S = 30.0


class LabelStudioError(Exception):
    """A call to Label Studio failed; the message says which and why."""


@dataclass
class RemoteTask:
    """A Label Studio task as we read it back."""

    id: int
    data: dict[str, Any]
    prediction_ids: list[int] = field(default_factory=list)
    annotations: list[dict[str, Any]] = field(default_factory=list)


def _plain(obj: Any) -> dict[str, Any]:
    if isinstance(obj, dict):
        return obj
    dumped = obj.model_dump() if hasattr(obj, "model_dump") else obj.dict()
    return dict(dumped)


class LabelStudioClient:
    """One server, one token."""

    def __init__(self, *, url: str, token: str, timeout_s: float = TIMEOUT_S) -> None:
        self.url = url.rstrip("/")
        self._sdk = LabelStudio(base_url=self.url, api_key=token, timeout=timeout_s)  # type: ignore[no-untyped-call]

    def _call(self, what: str, fn: Callable[[], T]) -> T:
        try:
            return fn()
        except ApiError as exc:
            body = exc.body if isinstance(exc.body, str | dict) else ""
            raise LabelStudioError(
                f"Label Studio at {self.url} refused {what}: HTTP {exc.status_code} {body}"
            ) from None
        except httpx.HTTPError as exc:
            raise LabelStudioError(f"Label Studio at {self.url} did not answer {what}: {type(exc).__name__}") from None

    def check(self) -> str:
        """The signed-in user's email (the token works)."""
        me = self._call("whoami", self._sdk.users.whoami)
        return str(_plain(me).get("email") or "")

    def project_create(self, *, title: str, config: str, description: str, max_annotations: int) -> int:
        project = self._call(
            "creating a project",
            lambda: self._sdk.projects.create(
                title=title, label_config=config, description=description, maximum_annotations=max_annotations
            ),
        )
        return int(_plain(project)["id"])

    def project_update(self, project_id: int, *, config: str, max_annotations: int) -> None:
        self._call(
            f"updating project {project_id}",
            lambda: self._sdk.projects.update(project_id, label_config=config, maximum_annotations=max_annotations),
        )

    def tasks(self, project_id: int) -> Iterator[RemoteTask]:
        """Every task of the project with its prediction ids and annotations."""
        page = 1
        while True:
            try:
                rows: list[Any] = self._call(
                    f"listing tasks of project {project_id}",
                    lambda p=page: list(  # type: ignore[misc]
                        self._sdk.tasks.list(project=project_id, page=p, page_size=PAGE, fields="all").items or []
                    ),
                )
            except LabelStudioError as exc:
                if page > 1 and "HTTP 404" in str(exc):
                    return  # past the last page
                raise
            for row in rows or []:
                task = _plain(row)
                yield RemoteTask(
                    id=int(task["id"]),
                    data=dict(task.get("data") or {}),
                    prediction_ids=[int(_plain(p)["id"]) for p in task.get("predictions") or []],
                    annotations=[_plain(a) for a in task.get("annotations") or []],
                )
            if not rows or len(rows) < PAGE:
                return
            page += 1

    def tasks_import(self, project_id: int, items: Sequence[dict[str, Any]]) -> list[int]:
        """Create tasks (each {data, predictions}) in one request; their ids in order."""
        answer = self._call(
            f"importing {len(items)} tasks into project {project_id}",
            lambda: self._sdk.projects.import_tasks(
                project_id,
                request=list(items),  # type: ignore[arg-type]
                return_task_ids=True,
            ),
        )
        return [int(i) for i in (_plain(answer).get("task_ids") or [])]

    def task_update(self, task_id: int, *, data: dict[str, Any]) -> None:
        self._call(f"updating task {task_id}", lambda: self._sdk.tasks.update(str(task_id), data=data))

    def prediction_replace(self, task_id: int, old_ids: Sequence[int], prediction: dict[str, Any]) -> None:
        for pid in old_ids:
            self._call(f"deleting prediction {pid}", lambda pid=pid: self._sdk.predictions.delete(pid))  # type: ignore[misc]
        self._call(
            f"adding the prediction of task {task_id}",
            lambda: self._sdk.predictions.create(
                task=task_id,
                result=prediction["result"],
                score=prediction["score"],
                model_version=prediction["model_version"],
            ),
        )

    def users(self) -> dict[int, dict[str, Any]]:
        """Label Studio's users by id: {email, first_name, last_name, username}."""
        rows = self._call("listing users", self._sdk.users.list)
        return {int(_plain(u)["id"]): _plain(u) for u in rows}
