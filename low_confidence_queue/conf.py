"""Queue settings: Django settings win, then the environment, then the defaults."""

from __future__ import annotations

from django.conf import settings

from jwo_review.env import envfloat, envint


def lease_seconds() -> int:
    """How long a claim lasts without renewal; the open workspace renews it every third of this."""
    value = getattr(settings, "JWO_QUEUE_LEASE_S", None)
    return int(value) if value is not None else envint("JWO_QUEUE_LEASE_S", 120, minimum=15)


def notify_window_seconds() -> float:
    """Live-update coalescing window (0 sends one message per change)."""
    value = getattr(settings, "JWO_QUEUE_NOTIFY_WINDOW_S", None)
    return float(value) if value is not None else envfloat("JWO_QUEUE_NOTIFY_WINDOW_S", 0.25, low=0.0)


PRIORITY = {"dispute": 300, "rule": 200, "low_confidence": 100, "audit": 0}


def dashboard_live_cache_seconds() -> float:
    """How long the dashboard reuses today's live figures (computed from raw rows) before
    computing them again; 0 computes them on every request."""
    value = getattr(settings, "JWO_DASHBOARD_LIVE_CACHE_S", None)
    return float(value) if value is not None else envfloat("JWO_DASHBOARD_LIVE_CACHE_S", 15.0, low=0.0)
