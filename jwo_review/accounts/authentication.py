from __future__ import annotations

from typing import Any

from django.utils import timezone
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from jwo_review.accounts.models import StoreApiKey, StoreClient, hash_key


class StoreKeyAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer KEY`` with a per-store key."""

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[StoreClient, StoreApiKey] | None:
        header = authentication.get_authorization_header(request).decode(errors="replace").split()
        if not header or header[0] != self.keyword:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Send the key as 'Authorization: Bearer KEY'.")
        key = (
            StoreApiKey.objects.select_related("store")
            .filter(key_hash=hash_key(header[1]), revoked_at__isnull=True)
            .first()
        )
        if key is None:
            raise exceptions.AuthenticationFailed("Unknown or revoked store key.")
        now = timezone.now()
        # Touch at most once a minute so busy stores do not write on every request.
        if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
            StoreApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        return StoreClient(key), key

    def authenticate_header(self, request: Any) -> str:
        return self.keyword
