from django.contrib import admin

from jwo_review.accounts.models import StoreApiKey


@admin.register(StoreApiKey)
class StoreApiKeyAdmin(admin.ModelAdmin[StoreApiKey]):
    list_display = ["prefix", "store", "name", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["store"]
    readonly_fields = ["prefix", "key_hash", "created_at", "last_used_at"]
    fields = ["store", "name", "prefix", "key_hash", "created_at", "last_used_at", "revoked_at"]

    def has_add_permission(self, request: object) -> bool:
        # Keys are made with `manage.py create_store_key`, which shows the raw key once.
        return False
