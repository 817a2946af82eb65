"""Creating and changing Label Studio connections (the token is checked before it is kept)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from annotation.labelstudio.client import LabelStudioClient, LabelStudioError
from annotation.labelstudio.models import Connection, http_url
from annotation.models import Source
from jwo_review.accounts.roles import Role, ensure_role_groups
from jwo_review.errors import InvalidInput
from jwo_review.store.models import Store
from jwo_review.store.services.audit import audit_record


def _check_fields(
    *, name: str, url: str, public_url: str, token: str, store_codes: Sequence[str], sources: Sequence[str]
) -> list[Store]:
    errors: dict[str, list[str]] = {}
    if not name or not name.replace("-", "").replace("_", "").isalnum():
        errors["name"] = ["Letters, digits, - and _ only."]
    elif Connection.objects.filter(name=name).exists():
        errors["name"] = [f"A connection named {name!r} exists."]
    for key, value in (("url", url), ("public_url", public_url)):
        if not http_url(value):
            errors[key] = ["An http(s) URL, e.g. http://127.0.0.1:8080"]
    if not token:
        errors["token"] = ["The Label Studio API token of a user who may create projects."]
    stores = list(Store.objects.filter(code__in=store_codes))
    unknown = sorted(set(store_codes) - {s.code for s in stores})
    if unknown or not store_codes:
        errors["stores"] = [f"Unknown stores: {', '.join(unknown)}." if unknown else "Name at least one store."]
    bad = sorted(set(sources) - set(Source.values))
    if bad or not sources:
        errors["sources"] = [f"Sources are {', '.join(Source.values)}."]
    if errors:
        raise InvalidInput("The Label Studio connection is invalid; nothing was saved.", fields=errors)
    return stores


def connection_create(
    *,
    name: str,
    url: str,
    token: str,
    public_url: str,
    store_codes: Sequence[str],
    sources: Sequence[str] = tuple(Source.values),
    media_link_hours: int = 48,
    actor: Any = None,
    check: bool = True,
) -> Connection:
    """A connection to a team's Label Studio, after checking that the token works there
    (``check``). Its media links act for a new service account that cannot sign in."""
    stores = _check_fields(
        name=name, url=url, public_url=public_url, token=token, store_codes=store_codes, sources=sources
    )
    if check:
        try:
            LabelStudioClient(url=url, token=token).check()
        except LabelStudioError as exc:
            raise InvalidInput("Label Studio did not accept the token.", fields={"token": [str(exc)]}) from None
    with transaction.atomic():
        service = get_user_model().objects.create_user(username=f"labelstudio-{name}"[:150], password=None)
        service.set_unusable_password()
        service.first_name = "Label Studio"
        service.last_name = name
        service.save()
        service.groups.add(ensure_role_groups()[Role.ANNOTATOR])
        connection = Connection(
            name=name,
            url=url.rstrip("/"),
            public_url=public_url.rstrip("/"),
            sources=list(sources),
            media_link_hours=media_link_hours,
            service_user=service,
        )
        connection.token = token
        connection.save()
        connection.stores.set(stores)
        audit_record(
            actor=actor,
            action="labelstudio_connection_created",
            target=connection,
            after={"name": name, "url": connection.url, "stores": sorted(store_codes), "sources": list(sources)},
        )
    return connection


def connection_token_set(*, connection: Connection, token: str, actor: Any = None) -> None:
    """Replace a connection's token (it is checked first)."""
    try:
        LabelStudioClient(url=connection.url, token=token).check()
    except LabelStudioError as exc:
        raise InvalidInput("Label Studio did not accept the token.", fields={"token": [str(exc)]}) from None
    connection.token = token
    connection.save(update_fields=["token_encrypted"])
    audit_record(actor=actor, action="labelstudio_token_changed", target=connection, after={"token": "(changed)"})
