"""The store API: ingest visits, list visits and receipts."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from jwo_review.accounts.permissions import IsStoreClient, is_store_client, roles_permission
from jwo_review.accounts.roles import Role
from jwo_review.errors import InvalidInput
from jwo_review.store.api.filters import ReceiptFilterSerializer, VisitFilterSerializer
from jwo_review.store.api.ingest_serializers import (
    VisitBatchResultSerializer,
    VisitIngestResultSerializer,
    VisitInSerializer,
)
from jwo_review.store.api.serializers import ReceiptSerializer, VisitSerializer, ingest_request_example
from jwo_review.store.models import Receipt, Visit
from jwo_review.store.selectors import receipts_visible_to, visits_visible_to, visits_with_counts
from jwo_review.store.services.ingest import visits_ingest

ReadersOfVisits = roles_permission(Role.REVIEWER, Role.ADMIN, store_client=True)


class NewestFirst(CursorPagination):
    ordering = "-id"
    page_size_query_param = "page_size"
    max_page_size = 500


@extend_schema_view(
    list=extend_schema(summary="List visits", parameters=[VisitFilterSerializer]),
    retrieve=extend_schema(summary="One visit"),
)
class VisitViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Visit]):
    serializer_class = VisitSerializer
    pagination_class = NewestFirst

    def get_permissions(self) -> list[BasePermission]:
        if self.action == "create":
            return [IsStoreClient()]
        return [ReadersOfVisits()]

    def get_queryset(self) -> Any:
        qs = visits_with_counts(visits_visible_to(self.request.user))
        if self.action == "list":
            filters = VisitFilterSerializer(data=self.request.query_params)
            if not filters.is_valid():
                raise InvalidInput(
                    "Invalid filter.", fields={k: [str(m) for m in v] for k, v in filters.errors.items()}
                )
            qs = filters.apply(qs)
        return qs

    @extend_schema(
        summary="Ingest one visit or a batch",
        description=(
            'Post one visit object, or `{"visits": [...]}` with up to JWO_INGEST_MAX_BATCH visits. '
            "Idempotent on `client_visit_id`: posting the same visit again answers 200 with `created: false`; "
            "posting different content under a stored id answers 409. Any invalid visit rejects the whole "
            "request with field-level errors and nothing stored. Needs a store key."
        ),
        request=VisitInSerializer,
        responses={201: VisitIngestResultSerializer, 200: VisitBatchResultSerializer},
        examples=[OpenApiExample("One visit", value=ingest_request_example(), request_only=True)],
    )
    def create(self, request: Request) -> Response:
        body = request.data
        if isinstance(body, dict) and "visits" in body and "client_visit_id" not in body:
            if not isinstance(body["visits"], list):
                raise InvalidInput("Invalid batch.", fields={"visits": ["Expected a list of visits."]})
            payloads, batch = body["visits"], True
        elif isinstance(body, list):
            payloads, batch = body, True
        else:
            payloads, batch = [body], False
        client_store = getattr(request.user, "store_id", None) if is_store_client(request.user) else None
        results = visits_ingest(payloads=payloads, client_store_id=client_store)
        rendered = [VisitIngestResultSerializer(r).data for r in results]
        if batch:
            return Response({"results": rendered}, status=status.HTTP_200_OK)
        return Response(rendered[0], status=status.HTTP_201_CREATED if results[0].created else status.HTTP_200_OK)


@extend_schema_view(
    list=extend_schema(
        summary="List receipts (final versions unless all_versions=true)", parameters=[ReceiptFilterSerializer]
    )
)
class ReceiptViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Receipt]):
    serializer_class = ReceiptSerializer
    pagination_class = NewestFirst
    permission_classes = [ReadersOfVisits]

    def get_queryset(self) -> Any:
        qs = receipts_visible_to(self.request.user)
        if self.action == "list":
            filters = ReceiptFilterSerializer(data=self.request.query_params)
            if not filters.is_valid():
                raise InvalidInput(
                    "Invalid filter.", fields={k: [str(m) for m in v] for k, v in filters.errors.items()}
                )
            qs = filters.apply(qs)
        return qs
