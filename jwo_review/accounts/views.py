from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.templatetags.static import static

from jwo_review.accounts.roles import user_roles
from jwo_review.store.models import Store, Visit


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The landing page: what each of the user's roles can do next."""
    return render(
        request,
        "home.html",
        {
            "roles": sorted(r.value for r in user_roles(request.user)),
            "stores": Store.objects.all(),
            "visit_count": Visit.objects.count(),
        },
    )


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico on pages without the base template's icon link (the
    admin, the API docs): the same icon."""
    return HttpResponsePermanentRedirect(static("favicon.svg"))
