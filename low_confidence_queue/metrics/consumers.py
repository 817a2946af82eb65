"""The dashboard's socket: today's numbers and the queue, pushed when tasks are created,
claimed or decided.

It listens on the queue's own change group (``broadcast.QUEUE_GROUP``), so every change
that moves the queue page moves the dashboard too, coalesced the same way. Admins only;
``?store=<code>`` narrows the numbers to one store.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from jwo_review.accounts.roles import Role, has_role
from jwo_review.store.models import Store
from low_confidence_queue.broadcast import QUEUE_GROUP
from low_confidence_queue.consumers import FORBIDDEN_CLOSE_CODE, MIN_REFRESH_S
from low_confidence_queue.metrics.series import live_numbers

# The socket's path, routed in ``low_confidence_queue.routing`` and handed to the page.
WS_PATH = "ws/dashboard/"


def _may_watch(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and has_role(user, Role.ADMIN)


def _store(code: str) -> Store | None:
    return Store.objects.filter(code=code).first() if code else None


class DashboardConsumer(AsyncJsonWebsocketConsumer):  # type: ignore[misc]
    async def connect(self) -> None:
        if not await database_sync_to_async(_may_watch)(self.scope.get("user")):
            await self.close(code=FORBIDDEN_CLOSE_CODE)
            return
        query = parse_qs((self.scope.get("query_string") or b"").decode())
        self._store = await database_sync_to_async(_store)((query.get("store") or [""])[0][:64])
        self._refresh: asyncio.Task[None] | None = None
        await self.channel_layer.group_add(QUEUE_GROUP, self.channel_name)
        await self.accept()
        await self._send_numbers()

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(QUEUE_GROUP, self.channel_name)
        refresh = getattr(self, "_refresh", None)
        if refresh is not None:
            refresh.cancel()

    async def queue_changed(self, event: dict[str, Any]) -> None:
        # A burst of changes becomes one read a moment later.
        if self._refresh is None or self._refresh.done():
            self._refresh = asyncio.ensure_future(self._delayed_send())

    async def _delayed_send(self) -> None:
        await asyncio.sleep(MIN_REFRESH_S)
        await self._send_numbers()

    async def _send_numbers(self) -> None:
        await self.send_json(await database_sync_to_async(live_numbers)(store=self._store))
