from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.templatetags.static import static
from django.utils.module_loading import import_string

from jwo_review.accounts.roles import Role, user_roles
from jwo_review.store.models import Store, Visit


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The landing page: what each of the user's roles can do next, and how much of it waits."""
    roles = user_roles(request.user)
    cards = {"review": {Role.REVIEWER, Role.ADMIN}, "annotate": {Role.ANNOTATOR, Role.ADMIN}}
    work = {
        card: import_string(path)(request.user)
        for card, path in settings.JWO_HOME_WORK.items()
        if roles & cards.get(card, {Role.ADMIN})
    }
    return render(
        request,
        "home.html",
        {
            "roles": sorted(r.value for r in roles),
            "work": work,
            "stores": Store.objects.all(),
            "visit_count": Visit.objects.count(),
        },
    )


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico on pages without the base template's icon link (the
    admin, the API docs): the same icon (a temporary redirect, so a new static URL is followed)."""
    return HttpResponseRedirect(static("favicon.svg"))
