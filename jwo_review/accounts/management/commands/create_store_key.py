from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jwo_review.accounts.services import store_key_create
from jwo_review.store.models import Store


class Command(BaseCommand):
    help = "Make an API key for a store system. The key is printed once and stored only as a hash."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--store", required=True, help="Store id or code, e.g. 1 or aim3s.")
        parser.add_argument("--name", default="", help="A label for the key, e.g. 'door controller'.")

    def handle(self, *args: Any, **options: Any) -> None:
        ref: str = options["store"]
        store = Store.objects.filter(pk=int(ref)).first() if ref.isdigit() else Store.objects.filter(code=ref).first()
        if store is None:
            known = ", ".join(f"{s.pk} ({s.code})" for s in Store.objects.all()) or "none; run load_store --aim3s"
            raise CommandError(f"No store {ref!r}. Known stores: {known}.")
        key, raw = store_key_create(store=store, name=options["name"], actor_label="manage.py create_store_key")
        self.stderr.write(f"Key {key.prefix}… for {store.code}. Keep it now: it cannot be shown again.")
        self.stdout.write(raw)
