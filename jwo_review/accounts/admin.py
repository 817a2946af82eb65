"""Django admin of accounts: store keys (revoked through the service) and users, whose
role and admin-flag changes are audited."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest

from jwo_review.accounts.models import StoreApiKey
from jwo_review.accounts.services import store_key_revoke, user_access, user_access_changed

User = get_user_model()


@admin.register(StoreApiKey)
class StoreApiKeyAdmin(admin.ModelAdmin[StoreApiKey]):
    list_display = ["prefix", "store", "name", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["store"]
    # Revoking goes through the action, so it is audited; a key is never un-revoked.
    readonly_fields = ["store", "prefix", "key_hash", "created_at", "last_used_at", "revoked_at"]
    fields = ["store", "name", "prefix", "key_hash", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def has_add_permission(self, request: object) -> bool:
        # Keys are made with `manage.py create_store_key`, which shows the raw key once.
        return False

    @admin.action(description="Revoke the selected keys")
    def revoke(self, request: HttpRequest, queryset: QuerySet[StoreApiKey]) -> None:
        keys = [store_key_revoke(key=key, actor=request.user) for key in queryset]
        self.message_user(request, f"{len(keys)} key(s) revoked.", messages.SUCCESS)


admin.site.unregister(User)


@admin.register(User)
class AuditedUserAdmin(UserAdmin):  # type: ignore[type-arg]
    """The stock user admin; a change of groups or admin flags leaves an audit entry."""

    def save_model(self, request: HttpRequest, obj: Any, form: ModelForm[Any], change: bool) -> None:
        # Read before the save (the groups are saved later, in save_related), and kept on
        # the row being saved: one ModelAdmin serves every request.
        stored = User.objects.filter(pk=obj.pk).first() if change else None
        obj._jwo_access_before = user_access(stored) if stored is not None else None
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: ModelForm[Any], formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        before = getattr(form.instance, "_jwo_access_before", None)
        user_access_changed(user=form.instance, before=before, actor=request.user)
