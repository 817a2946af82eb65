"""Media (clips, catalogue images, plate streams) served only to signed-in staff.

Clips show people, so they go only to the roles that need them: reviewers,
annotators and admins. Range requests are honoured so browsers can seek in video.
"""

from __future__ import annotations

import mimetypes
import re

from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase, HttpResponseForbidden

from jwo_review.accounts.roles import Role, has_role

_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


@login_required
def protected_media(request: HttpRequest, name: str) -> HttpResponseBase:
    if not has_role(request.user, Role.REVIEWER, Role.ANNOTATOR, Role.ADMIN):
        return HttpResponseForbidden("Your role may not see store media.")
    if ".." in name.split("/") or not default_storage.exists(name):
        raise Http404("No such file.")
    size = default_storage.size(name)
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    match = _RANGE.fullmatch(request.headers.get("Range", ""))
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
