"""The three human roles, as Django groups.

An admin is also ``is_staff`` so the Django admin opens for them; the role checks
themselves only look at group membership (superusers count as admins).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Group, Permission


class Role(StrEnum):
    ANNOTATOR = "annotator"
    REVIEWER = "reviewer"
    ADMIN = "admin"


def user_roles(user: AbstractBaseUser | AnonymousUser | Any) -> set[Role]:
    if not getattr(user, "is_authenticated", False) or not hasattr(user, "groups"):
        return set()
    cached: set[Role] | None = getattr(user, "_jwo_roles", None)
    if cached is not None:
        return cached
    roles = {Role(name) for name in user.groups.values_list("name", flat=True) if name in Role._value2member_map_}
    if getattr(user, "is_superuser", False):
        roles.add(Role.ADMIN)
    setattr(user, "_jwo_roles", roles)  # noqa: B010  (a per-request cache on the user object)
    return roles


def has_role(user: Any, *roles: Role) -> bool:
    return bool(user_roles(user) & set(roles))


# The apps whose models the admin role manages in the Django admin (README: stores,
# catalogue, planograms, visits, receipts and the audit log to read, users and roles,
# store keys, model versions, routing policies). Read-only admins refuse writes anyway.
ADMIN_APPS = ("auth", "accounts", "store", "inference", "low_confidence_queue", "annotation")


def ensure_role_groups() -> dict[Role, Group]:
    """The three role groups, the admin group with every permission of ``ADMIN_APPS``
    (run again after migrations that add models: missing permissions are added)."""
    groups = {role: Group.objects.get_or_create(name=role.value)[0] for role in Role}
    wanted = set(Permission.objects.filter(content_type__app_label__in=ADMIN_APPS).values_list("pk", flat=True))
    missing = wanted - set(groups[Role.ADMIN].permissions.values_list("pk", flat=True))
    if missing:
        groups[Role.ADMIN].permissions.add(*missing)
    return groups
