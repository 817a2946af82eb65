"""One place that turns service errors into clear HTTP answers."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
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
