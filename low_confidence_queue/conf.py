"""Queue settings with their defaults; any of them may be set in Django settings."""

from __future__ import annotations

from django.conf import settings


def lease_seconds() -> int:
    """How long a claim lasts without renewal; the open workspace renews it every third of this."""
    return int(getattr(settings, "JWO_QUEUE_LEASE_S", 120))


def notify_window_seconds() -> float:
    """Live-update coalescing window (0 sends one message per change)."""
    return float(getattr(settings, "JWO_QUEUE_NOTIFY_WINDOW_S", 0.25))


PRIORITY = {"dispute": 300, "rule": 200, "low_confidence": 100, "audit": 0}
