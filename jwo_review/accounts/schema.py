"""Teach the OpenAPI schema about store keys (Authorization: Bearer KEY)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class StoreKeyScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "jwo_review.accounts.authentication.StoreKeyAuthentication"
    name = "storeKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "description": "A per-store key from `manage.py create_store_key`."}
