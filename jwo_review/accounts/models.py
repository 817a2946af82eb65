"""Per-store API keys for store systems (machine clients).

Only a SHA-256 hash of the key is stored; the key itself is shown once, when it is
made. The first characters are kept in clear as a prefix so an admin can tell keys
apart and a lookup needs no scan.
"""

from __future__ import annotations

import hashlib
import secrets

from django.db import models


def hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class StoreApiKey(models.Model):
    PREFIX_LENGTH = 8

    store = models.ForeignKey("store.Store", on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=PREFIX_LENGTH, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "store API key"

    def __str__(self) -> str:
        return f"{self.store} key {self.prefix}…"

    @staticmethod
    def generate() -> str:
        return "jwo_" + secrets.token_urlsafe(32)


class StoreClient:
    """The authenticated principal of a request made with a store key."""

    is_authenticated = True
    is_anonymous = False
    is_staff = False
    is_superuser = False
    is_store_client = True

    def __init__(self, key: StoreApiKey) -> None:
        self.key = key
        self.store_id = key.store_id
        self.pk = None

    def __str__(self) -> str:
        return f"store-client:{self.key.prefix}"
