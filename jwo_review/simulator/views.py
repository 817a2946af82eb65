"""The catalogue page: every product's rendered image, grouped by look-alike family."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import get_object_or_404, render

from jwo_review.accounts.roles import Role, has_role
from jwo_review.simulator.selectors import catalogue_families
from jwo_review.store.models import Store


@login_required
def catalogue(request: HttpRequest) -> HttpResponse:
    if not has_role(request.user, Role.REVIEWER, Role.ANNOTATOR, Role.ADMIN):
        return HttpResponseForbidden("Your role may not see the catalogue.")
    stores = list(Store.objects.filter(planograms__is_active=True).distinct().order_by("code"))
    code = request.GET.get("store") or (stores[0].code if stores else "")
    store = get_object_or_404(Store, code=code)
    families = catalogue_families(store=store)
    return render(
        request,
        "simulator/catalogue.html",
        {
            "store": store,
            "stores": stores,
            "families": families,
            "count": sum(len(f.entries) for f in families),
        },
    )
