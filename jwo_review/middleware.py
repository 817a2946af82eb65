"""Request-size limit: a body above ``JWO_MAX_REQUEST_BYTES`` is refused with 413 before
anything reads it. DRF reads JSON bodies from the stream, past Django's own
``DATA_UPLOAD_MAX_MEMORY_SIZE`` check, so the limit is enforced here for every view."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse


class RequestSizeLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = int(settings.JWO_MAX_REQUEST_BYTES)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return JsonResponse({"detail": "The Content-Length header is not a number."}, status=400)
        if length > limit:
            return JsonResponse(
                {
                    "detail": f"The request body has {length} bytes; the limit is {limit}. "
                    "Send fewer visits per request."
                },
                status=413,
            )
        return self.get_response(request)
