"""The queue page's socket: live depth, oldest age and who is working.

Only signed-in reviewers and admins may connect. Change notices arrive coalesced
(see ``broadcast``); each socket re-reads the numbers, at most a few times a second.
"""

from __future__ import annotations

import asyncio
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from jwo_review.accounts.roles import Role, has_role
from low_confidence_queue.broadcast import QUEUE_GROUP
from low_confidence_queue.selectors import queue_stats

FORBIDDEN_CLOSE_CODE = 4403
MIN_REFRESH_S = 0.3


def _may_watch(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and has_role(user, Role.REVIEWER, Role.ADMIN)


class QueueConsumer(AsyncJsonWebsocketConsumer):  # type: ignore[misc]
    async def connect(self) -> None:
        user = self.scope.get("user")
        if not await database_sync_to_async(_may_watch)(user):
            await self.close(code=FORBIDDEN_CLOSE_CODE)
            return
        self._refresh: asyncio.Task[None] | None = None
        await self.channel_layer.group_add(QUEUE_GROUP, self.channel_name)
        await self.accept()
        await self._send_stats()

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(QUEUE_GROUP, self.channel_name)
        refresh = getattr(self, "_refresh", None)
        if refresh is not None:
            refresh.cancel()

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if isinstance(content, dict) and content.get("type") == "refresh":
            await self._send_stats()

    async def queue_changed(self, event: dict[str, Any]) -> None:
        # Many notices in a burst become one read a moment later.
        if self._refresh is None or self._refresh.done():
            self._refresh = asyncio.ensure_future(self._delayed_send())

    async def _delayed_send(self) -> None:
        await asyncio.sleep(MIN_REFRESH_S)
        await self._send_stats()

    async def _send_stats(self) -> None:
        stats = await database_sync_to_async(queue_stats)()
        await self.send_json({"type": "stats", **stats})
