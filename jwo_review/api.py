"""One place that turns service errors into clear HTTP answers."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from jwo_review.errors import InvalidInput, ServiceError


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ServiceError):
        body: dict[str, Any] = {"detail": exc.message}
        if exc.fields:
            body["errors"] = exc.fields
        return Response(body, status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        fields = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        return Response({"detail": "Invalid input.", "errors": fields}, status=status.HTTP_400_BAD_REQUEST)
    return drf_exception_handler(exc, context)


def validated(serializer_class: Any, data: Any) -> dict[str, Any]:
    """``data`` checked by ``serializer_class``; InvalidInput with every field's messages otherwise."""
    serializer = serializer_class(data=data)
    if not serializer.is_valid():
        raise InvalidInput(
            "Invalid input.",
            fields={k: [str(m) for m in v] if isinstance(v, list) else [str(v)] for k, v in serializer.errors.items()},
        )
    return dict(serializer.validated_data)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """404 for a URL no route matches: JSON under /api/ (clients parse it), else the page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": f"No such endpoint or object: {request.path}"}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Server error; it has been logged."}, status=500)
    return defaults.server_error(request)
