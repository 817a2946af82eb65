"""WebSocket routes of every app, gathered in one list for the ASGI router."""

from typing import Any

from low_confidence_queue.routing import websocket_urlpatterns as queue_ws

websocket_urlpatterns: list[Any] = [*queue_ws]
