"""Need-to-know media check of Label Studio connections (named in JWO_MEDIA_ACCESS_CHECKS).

A connection's media links act for its service account; they open a visit's clips only
while one of the visit's annotation tasks is in that enabled connection's Label Studio.
Disabling the connection, or deleting it, ends every link it sent.
"""

from __future__ import annotations

from typing import Any

from annotation.labelstudio.models import LinkedTask


def connection_holds_visit(user: Any, visit_id: int) -> bool:
    if not getattr(user, "pk", None):
        return False
    return LinkedTask.objects.filter(
        connection__service_user_id=user.pk, connection__enabled=True, task__visit_id=visit_id
    ).exists()
