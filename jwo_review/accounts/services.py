from __future__ import annotations

from django.db import transaction

from jwo_review.accounts.models import StoreApiKey, hash_key
from jwo_review.store.models import Store


@transaction.atomic
def store_key_create(*, store: Store, name: str = "") -> tuple[StoreApiKey, str]:
    """Make a key for ``store``; returns the row and the raw key, which is never stored."""
    raw = StoreApiKey.generate()
    key = StoreApiKey.objects.create(
        store=store, name=name, prefix=raw[4 : 4 + StoreApiKey.PREFIX_LENGTH], key_hash=hash_key(raw)
    )
    return key, raw
