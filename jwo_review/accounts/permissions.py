from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from jwo_review.accounts.roles import Role, has_role


def is_store_client(user: Any) -> bool:
    return bool(getattr(user, "is_store_client", False))


class IsStoreClient(BasePermission):
    message = "Only a store system with a store key may do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        return is_store_client(request.user)


def roles_permission(*roles: Role, store_client: bool = False) -> type[BasePermission]:
    """A permission class admitting the given human roles (and store keys if asked)."""

    class _Allowed(BasePermission):
        message = "Your role may not do this."

        def has_permission(self, request: Request, view: Any) -> bool:
            if is_store_client(request.user):
                return store_client
            return has_role(request.user, *roles)

    _Allowed.__name__ = "Allowed_" + "_".join(r.value for r in roles) + ("_store" if store_client else "")
    return _Allowed
