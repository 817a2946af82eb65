"""Rate limits for store systems: each store key gets ``JWO_STORE_KEY_RATE`` requests
(e.g. ``600/min``); past it the API answers 429 with ``Retry-After``."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from jwo_review.accounts.permissions import is_store_client

log = logging.getLogger(__name__)


class StoreKeyThrottle(SimpleRateThrottle):
    scope = "store_key"

    def get_rate(self) -> str | None:
        # Read per request (not at import) so the rate is one setting, changeable in tests.
        return str(settings.JWO_STORE_KEY_RATE)

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if not is_store_client(request.user):
            return None  # people are limited by their sessions, not by this
        key: Any = getattr(request.user, "key", None)
        return self.cache_format % {"scope": self.scope, "ident": key.pk}

    def allow_request(self, request: Request, view: Any) -> bool:
        try:
            return super().allow_request(request, view)
        except Exception as exc:  # noqa: BLE001  (the cache is Redis; a dead one must not fail ingest)
            log.warning("Throttle cache unavailable (%s); request let through.", exc)
            return True
