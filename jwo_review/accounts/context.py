from typing import Any

from django.http import HttpRequest

from jwo_review.accounts.roles import user_roles


def roles(request: HttpRequest) -> dict[str, Any]:
    names = {r.value for r in user_roles(getattr(request, "user", None))}
    return {"user_roles": names}
