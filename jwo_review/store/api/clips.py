"""Clip status polling, shared by the workspaces' APIs (each app names who may poll)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from jwo_review.errors import InvalidInput
from jwo_review.store.api.serializers import ClipSerializer
from jwo_review.store.models import Clip

MAX_POLLED = 50


class ClipStatusBaseView(APIView):
    """Subclasses set ``permission_classes``."""

    @extend_schema(
        summary="Status of clips (poll while rendering)",
        parameters=[
            OpenApiParameter("ids", str, OpenApiParameter.QUERY, required=True, description="Comma-separated clip ids.")
        ],
        responses=ClipSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        try:
            ids = [int(x) for x in request.query_params.get("ids", "").split(",") if x][:MAX_POLLED]
        except ValueError as exc:
            raise InvalidInput("Invalid ids.", fields={"ids": ["Comma-separated integers."]}) from exc
        clips = Clip.objects.select_related("camera").filter(pk__in=ids).order_by("camera__code")
        return Response(ClipSerializer(clips, many=True).data)
