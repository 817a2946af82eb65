"""Exceptions our services raise; ``jwo_review.api.exception_handler`` maps them to HTTP."""

from __future__ import annotations


class ServiceError(Exception):
    """Base of errors a caller can show to a user as they are."""

    status_code = 400

    def __init__(self, message: str, *, fields: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class InvalidInput(ServiceError):
    status_code = 400


class Forbidden(ServiceError):
    status_code = 403


class NotFound(ServiceError):
    status_code = 404


class Conflict(ServiceError):
    status_code = 409
