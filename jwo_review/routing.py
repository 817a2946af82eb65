"""WebSocket routes of every app, gathered in one list for the ASGI router."""

from typing import Any

websocket_urlpatterns: list[Any] = []
