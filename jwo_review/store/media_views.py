"""Media (clips, catalogue images, plate streams) served only to those who need them.

Clips and plate streams show people shopping: ``jwo_review.store.media_access`` says
who may fetch which (admins, and others only while they hold work on the visit), and
every fetch of one is recorded. Outside tools fetch through short-lived signed URLs.
Range requests are honoured so browsers can seek in video.
"""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase, HttpResponseForbidden

from jwo_review.accounts.roles import Role, has_role
from jwo_review.store.media_access import clip_unsign, media_file, media_unsign, user_may_fetch
from jwo_review.store.models import Clip, ClipStatus
from jwo_review.store.services.media import media_view_record

T = TypeVar("T")
_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


@login_required
def protected_media(request: HttpRequest, name: str) -> HttpResponseBase:
    return _serve(request, request.user, name, via="session")


def _signer(token: str, unsign: Callable[[str], tuple[T, int]], what: str) -> tuple[T, Any] | HttpResponseForbidden:
    """What a signed link names and the active user it acts for, or why it is refused."""
    try:
        named, user_id = unsign(token)
    except signing.SignatureExpired:
        return HttpResponseForbidden(f"This {what} link has expired; ask for a new one.")
    except signing.BadSignature:
        return HttpResponseForbidden(f"This {what} link is not valid.")
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return HttpResponseForbidden(f"The user of this {what} link is no longer active.")
    return named, user


def signed_media(request: HttpRequest, token: str) -> HttpResponseBase:
    """A file by signed URL (no session): for the user who signed it, while they may."""
    signed = _signer(token, media_unsign, "media")
    if isinstance(signed, HttpResponseForbidden):
        return signed
    return _cross_origin(_serve(request, signed[1], signed[0], via="signed"))


def signed_clip(request: HttpRequest, token: str) -> HttpResponseBase:
    """A clip by signed clip URL (no session; Label Studio tasks keep these): for the user
    who signed it, while they may. It names the clip, so it works once the clip is rendered."""
    signed = _signer(token, clip_unsign, "clip")
    if isinstance(signed, HttpResponseForbidden):
        return signed
    clip = Clip.objects.filter(pk=signed[0]).first()
    if clip is None:
        raise Http404("No such clip.")
    if clip.status != ClipStatus.READY or not clip.file:
        return HttpResponse("This clip is still being rendered; try again in a moment.", status=404)
    return _cross_origin(_serve(request, signed[1], str(clip.file.name), via="signed"))


def _cross_origin(response: HttpResponseBase) -> HttpResponseBase:
    """A signed link is its own credential (no cookie is read), so another origin's page
    (Label Studio's editor, which loads video with CORS) may read what it serves."""
    response["Access-Control-Allow-Origin"] = "*"
    response["Access-Control-Expose-Headers"] = "Content-Range, Content-Length, Accept-Ranges"
    return response


def _serve(request: HttpRequest, user: object, name: str, *, via: str) -> HttpResponseBase:
    if not has_role(user, Role.REVIEWER, Role.ANNOTATOR, Role.ADMIN):
        return HttpResponseForbidden("Your role may not see store media.")
    if ".." in name.split("/") or not default_storage.exists(name):
        raise Http404("No such file.")
    media = media_file(name)
    if media is None:
        raise Http404("No such file.")
    if not user_may_fetch(user, media):
        return HttpResponseForbidden("Only admins, and those who hold work on this visit, may see its media.")
    match = _RANGE.fullmatch(request.headers.get("Range", ""))
    # A player asks for more ranges as it seeks; the first request of a viewing starts at 0.
    if not match or match.group(1) in ("0", ""):
        media_view_record(user=user, media=media, via=via)
    size = default_storage.size(name)
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    response: HttpResponseBase
    if match and (match.group(1) or match.group(2)):
        if match.group(1):
            start = int(match.group(1))
            end = min(int(match.group(2)) if match.group(2) else size - 1, size - 1)
        else:
            start, end = max(size - int(match.group(2)), 0), size - 1
        if start > end:
            response = HttpResponse(status=416)
            response["Content-Range"] = f"bytes */{size}"
            return response
        with default_storage.open(name, "rb") as fh:
            fh.seek(start)
            body = fh.read(end - start + 1)
        response = HttpResponse(body, status=206, content_type=content_type)
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    else:
        response = FileResponse(default_storage.open(name, "rb"), content_type=content_type)
        response["Content-Length"] = str(size)
    response["Accept-Ranges"] = "bytes"
    response["Cache-Control"] = "private, max-age=3600"
    return response
