"""Who may fetch which media file: need-to-know for what shows people shopping.

A clip or a visit's plate streams goes to an admin always, and to anyone else only
while one of the checks in ``JWO_MEDIA_ACCESS_CHECKS`` says they hold work on that
visit (a reviewer's claimed task, an annotator's annotation task). Each check is a
function ``(user, visit_id) -> bool`` in the app that knows the work, named by dotted
path, so the store domain imports none of the apps. Catalogue images show products
only and are open to every staff role. Anything else (model weights) is admin only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string

from jwo_review.accounts.roles import Role, has_role
from jwo_review.store.models import Clip, Visit

_SALT = "jwo_review.media.signed"


@dataclass(frozen=True)
class MediaFile:
    name: str
    kind: str  # "clip", "streams", "catalogue" or "other"
    visit_id: int | None = None
    clip_id: int | None = None


def media_file(name: str) -> MediaFile | None:
    """What the stored file ``name`` is, and whose visit it belongs to; None when no
    row names it (an orphan file is nobody's to see)."""
    top = name.split("/", 1)[0]
    if top == "clips":
        row = Clip.objects.filter(file=name).values_list("pk", "visit_id").first()
        return MediaFile(name, "clip", visit_id=row[1], clip_id=row[0]) if row else None
    if top == "streams":
        visit_id = Visit.objects.filter(plate_streams=name).values_list("pk", flat=True).first()
        return MediaFile(name, "streams", visit_id=visit_id) if visit_id else None
    if top == "catalogue":
        return MediaFile(name, "catalogue")
    return MediaFile(name, "other")


def _checks() -> list[Callable[[Any, int], bool]]:
    return [import_string(path) for path in settings.JWO_MEDIA_ACCESS_CHECKS]


def user_may_see_visit_media(user: Any, visit_id: int) -> bool:
    """Admins always; others while a check says they hold work on the visit."""
    if has_role(user, Role.ADMIN):
        return True
    return any(check(user, visit_id) for check in _checks())


def user_may_fetch(user: Any, media: MediaFile) -> bool:
    if not has_role(user, Role.REVIEWER, Role.ANNOTATOR, Role.ADMIN):
        return False
    if media.kind == "catalogue":
        return True
    if media.visit_id is not None:
        return user_may_see_visit_media(user, media.visit_id)
    return has_role(user, Role.ADMIN)


def media_signed_url(*, name: str, user: Any) -> str:
    """A URL an outside tool (Label Studio) can fetch ``name`` from without a session,
    for ``JWO_MEDIA_SIGNED_URL_S`` seconds, on behalf of ``user``. The user's access is
    checked again on every fetch, so a lease that ends also ends the URL."""
    token = signing.TimestampSigner(salt=_SALT).sign_object({"n": name, "u": user.pk}, compress=True)
    return reverse("signed-media", kwargs={"token": token})


def media_unsign(token: str) -> tuple[str, int]:
    """The file name and user id of a signed URL's token. Raises ``signing.BadSignature``
    (tampered) or ``signing.SignatureExpired`` (older than ``JWO_MEDIA_SIGNED_URL_S``)."""
    data = signing.TimestampSigner(salt=_SALT).unsign_object(token, max_age=settings.JWO_MEDIA_SIGNED_URL_S)
    return str(data["n"]), int(data["u"])


def clip_signed_url(*, clip_id: int, user: Any, expires_at: datetime) -> str:
    """A URL an outside tool that keeps links for a while (Label Studio tasks) can fetch
    clip ``clip_id`` from, until ``expires_at``, on behalf of ``user``, whose access is
    checked again on every fetch. It names the clip, not its file, so a link can be
    handed out before the clip is rendered; the same arguments give the same URL."""
    payload = {"c": clip_id, "u": user.pk, "e": int(expires_at.timestamp())}
    token = signing.Signer(salt=_SALT + ".clip").sign_object(payload, compress=True)
    return reverse("signed-clip", kwargs={"token": token})


def clip_unsign(token: str) -> tuple[int, int]:
    """The clip id and user id of a signed clip URL. Raises ``signing.BadSignature``
    (tampered) or ``signing.SignatureExpired`` (past its expiry)."""
    data = signing.Signer(salt=_SALT + ".clip").unsign_object(token)
    if int(data["e"]) <= timezone.now().timestamp():
        raise signing.SignatureExpired("This clip link has expired.")
    return int(data["c"]), int(data["u"])
