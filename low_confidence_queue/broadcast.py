"""Live queue updates: after commit, tell the queue sockets that something changed.

Claims can come by the thousand per second; every socket only needs to know that the
numbers moved. So notifications are coalesced per process: the first change in a
window starts a timer, later ones ride along, and one group message goes out when it
fires. Each consumer then reads the fresh numbers itself.
"""

from __future__ import annotations

import logging
import threading

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from low_confidence_queue.conf import notify_window_seconds

QUEUE_GROUP = "review-queue"
log = logging.getLogger(__name__)

_lock = threading.Lock()
_timer: threading.Timer | None = None


def _send() -> None:
    global _timer
    with _lock:
        _timer = None
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(QUEUE_GROUP, {"type": "queue.changed"})
    except Exception:  # a dead Redis must not fail the claim that already committed
        log.exception("Could not notify the queue sockets")


def _schedule() -> None:
    global _timer
    window = notify_window_seconds()
    if window <= 0:
        _send()
        return
    with _lock:
        if _timer is not None:
            return
        _timer = threading.Timer(window, _send)
        _timer.daemon = True
        _timer.start()


def queue_changed() -> None:
    """Call inside the transaction that changed the queue; the sockets hear of it after commit."""
    transaction.on_commit(_schedule)
