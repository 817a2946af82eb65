"""The Label Studio part of the annotation API (admins): each connection with its last
sync (status, counts, errors), and a sync on demand."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotation.labelstudio.models import Connection, SyncRun
from annotation.tasks import labelstudio_sync
from jwo_review.accounts.permissions import roles_permission
from jwo_review.accounts.roles import Role
from jwo_review.errors import NotFound
from jwo_review.store.models import Store

Admins = roles_permission(Role.ADMIN)


class SyncRunSerializer(serializers.ModelSerializer[SyncRun]):
    class Meta:
        model = SyncRun
        fields = ["id", "trigger", "status", "started_at", "finished_at", "counts", "errors"]


class ConnectionSerializer(serializers.ModelSerializer[Connection]):
    stores: serializers.SlugRelatedField[Store] = serializers.SlugRelatedField(
        many=True, read_only=True, slug_field="code"
    )
    last_sync = serializers.SerializerMethodField()

    class Meta:
        model = Connection
        fields = ["id", "name", "url", "public_url", "enabled", "stores", "sources", "media_link_hours", "last_sync"]

    @extend_schema_field(SyncRunSerializer(allow_null=True))
    def get_last_sync(self, obj: Connection) -> dict[str, Any] | None:
        run = obj.syncs.order_by("-started_at", "-id").first()
        return dict(SyncRunSerializer(run).data) if run is not None else None


class ConnectionListView(APIView):
    permission_classes = [Admins]

    @extend_schema(
        summary="Label Studio connections and their last sync",
        description="The token is never returned.",
        responses=ConnectionSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        rows = Connection.objects.order_by("name").prefetch_related("stores")
        return Response(ConnectionSerializer(rows, many=True).data)


class ConnectionSyncView(APIView):
    permission_classes = [Admins]

    @extend_schema(
        summary="Sync a Label Studio connection now",
        description="Queues a push and pull on the default queue; its record appears in the connection's last sync.",
        request=None,
        responses={202: inline_serializer("SyncQueued", {"queued": serializers.BooleanField()})},
    )
    def post(self, request: Request, connection_id: int) -> Response:
        if not Connection.objects.filter(pk=connection_id).exists():
            raise NotFound("No such Label Studio connection.")
        labelstudio_sync.delay(connection_id, trigger="admin")
        return Response({"queued": True}, status=status.HTTP_202_ACCEPTED)
