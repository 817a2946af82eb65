"""Admin of Label Studio connections: add one (the token is checked and kept encrypted,
never shown), see each connection's last sync with its counts and errors, sync now; the
sync runs, the Label Studio users and the annotations pulled are read-only."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join

from annotation.labelstudio.client import LabelStudioClient, LabelStudioError
from annotation.labelstudio.models import Connection, PulledAnnotation, RemoteUser, SyncRun
from annotation.labelstudio.services import connection_create
from annotation.models import Source
from jwo_review.store.services.audit import audit_record
from low_confidence_queue.admin import ReadOnly


class ConnectionForm(forms.ModelForm):  # type: ignore[type-arg]
    token = forms.CharField(
        widget=forms.PasswordInput(render_value=False),
        required=False,
        help_text="The API token of a Label Studio user who may create projects. Stored encrypted; "
        "leave empty to keep the current one.",
    )
    sources = forms.MultipleChoiceField(choices=Source.choices, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = Connection
        fields = ["name", "url", "public_url", "token", "stores", "sources", "media_link_hours", "enabled"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        token = data.get("token") or ""
        if self.instance.pk is None and not token:
            self.add_error("token", "Enter the Label Studio API token.")
        elif token and data.get("url"):
            try:
                LabelStudioClient(url=data["url"], token=token).check()
            except LabelStudioError as exc:
                self.add_error("token", f"Label Studio did not accept the token: {exc}")
        return data


def _last_sync(conn: Connection) -> SyncRun | None:
    return conn.syncs.order_by("-started_at", "-id").first()


@admin.register(Connection)
class ConnectionAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = ConnectionForm
    list_display = ["name", "url", "enabled", "last_sync", "last_counts", "last_errors"]
    readonly_fields = ["service_user", "recent_syncs"]
    actions = ["sync_now"]

    @admin.display(description="last sync")
    def last_sync(self, conn: Connection) -> str:
        run = _last_sync(conn)
        return f"{run.status} at {run.started_at:%Y-%m-%d %H:%M}" if run else "never"

    @admin.display(description="counts")
    def last_counts(self, conn: Connection) -> str:
        run = _last_sync(conn)
        return ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in sorted((run.counts or {}).items())) if run else ""

    @admin.display(description="errors")
    def last_errors(self, conn: Connection) -> str:
        run = _last_sync(conn)
        return (
            format_html_join("", "<div>{}: {}</div>", ((e["where"], e["message"]) for e in (run.errors or [])[:5]))
            if run
            else ""
        )

    @admin.display(description="recent syncs")
    def recent_syncs(self, conn: Connection) -> str:
        rows = conn.syncs.order_by("-started_at", "-id")[:10]
        return format_html(
            "<table>{}</table>",
            format_html_join(
                "",
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                ((f"{r.started_at:%Y-%m-%d %H:%M:%S}", r.trigger, r.status, r.counts) for r in rows),
            ),
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["name", *self.readonly_fields] if obj is not None else []

    def save_model(self, request: HttpRequest, obj: Connection, form: Any, change: bool) -> None:
        data = form.cleaned_data
        if not change:
            created = connection_create(
                name=data["name"],
                url=data["url"],
                token=data["token"],
                public_url=data["public_url"],
                store_codes=[s.code for s in data["stores"]],
                sources=data["sources"],
                media_link_hours=data["media_link_hours"],
                actor=request.user,
                check=False,
            )
            form.instance = created
            obj.pk = created.pk
            return
        if data.get("token"):
            obj.token = data["token"]
            audit_record(
                actor=request.user, action="labelstudio_token_changed", target=obj, after={"token": "(changed)"}
            )
        obj.save()

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        if change:
            super().save_related(request, form, formsets, change)

    @admin.action(description="Sync the selected connections now")
    def sync_now(self, request: HttpRequest, queryset: QuerySet[Connection]) -> None:
        from annotation.tasks import labelstudio_sync

        for conn in queryset:
            labelstudio_sync.delay(conn.pk, trigger="admin")
        self.message_user(request, f"Queued a sync of {queryset.count()} connection(s).", messages.SUCCESS)


@admin.register(SyncRun)
class SyncRunAdmin(ReadOnly):
    list_display = ["id", "connection", "trigger", "status", "started_at", "finished_at", "counts"]
    list_filter = ["status", "connection"]


@admin.register(RemoteUser)
class RemoteUserAdmin(ReadOnly):
    list_display = ["connection", "ls_user_id", "email", "user"]


@admin.register(PulledAnnotation)
class PulledAnnotationAdmin(ReadOnly):
    list_display = ["connection", "ls_annotation_id", "linked_task", "remote_user", "status", "errors", "pulled_at"]
    list_filter = ["status", "connection"]
