"""The model registry API (admins only): list and read versions, promote, roll back."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from inference.api.serializers import (
    DatasetVersionDetailSerializer,
    DatasetVersionSerializer,
    ModelVersionSerializer,
    ThresholdQuerySerializer,
)
from inference.models import DatasetVersion, ModelVersion
from inference.selectors import model_versions
from inference.services import model_promote, model_rollback, threshold_for_target
from jwo_review.accounts.permissions import roles_permission
from jwo_review.accounts.roles import Role
from jwo_review.errors import InvalidInput

Admins = roles_permission(Role.ADMIN)


@extend_schema_view(
    list=extend_schema(summary="List model versions"),
    retrieve=extend_schema(summary="One model version with its metrics"),
)
class ModelVersionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[ModelVersion]):
    serializer_class = ModelVersionSerializer
    permission_classes = [Admins]
    pagination_class = None

    def get_queryset(self) -> Any:
        return model_versions()

    @extend_schema(summary="Make this version the active one (the active one is retired)", request=None)
    @action(detail=True, methods=["post"])
    def promote(self, request: Request, pk: str | None = None) -> Response:
        version = model_promote(model_version=self.get_object(), by=request.user)
        return Response(ModelVersionSerializer(version).data)

    @extend_schema(
        summary="Re-activate the previously active version",
        request=None,
        responses={200: ModelVersionSerializer, 409: OpenApiResponse(description="Nothing to roll back to")},
    )
    @action(detail=False, methods=["post"])
    def rollback(self, request: Request) -> Response:
        version = model_rollback(by=request.user)
        return Response(ModelVersionSerializer(version).data)

    @extend_schema(summary="The auto-issue threshold for a target accuracy", parameters=[ThresholdQuerySerializer])
    @action(detail=True, methods=["get"])
    def threshold(self, request: Request, pk: str | None = None) -> Response:
        query = ThresholdQuerySerializer(data=request.query_params)
        if not query.is_valid():
            raise InvalidInput("Invalid target.", fields={k: [str(m) for m in v] for k, v in query.errors.items()})
        target = float(query.validated_data["target"])
        return Response({"target": target, "threshold": threshold_for_target(self.get_object(), target)})


@extend_schema_view(
    list=extend_schema(summary="Dataset versions: frozen snapshots of a store's labelled examples"),
    retrieve=extend_schema(summary="One dataset version with its examples and their provenance"),
)
class DatasetVersionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[DatasetVersion]):
    permission_classes = [Admins]
    pagination_class = None

    def get_queryset(self) -> Any:
        qs = DatasetVersion.objects.select_related("store").prefetch_related("model_versions")
        return qs if self.action == "retrieve" else qs.defer("examples", "example_ids")

    def get_serializer_class(self) -> Any:
        return DatasetVersionDetailSerializer if self.action == "retrieve" else DatasetVersionSerializer
