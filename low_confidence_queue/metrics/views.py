"""The dashboard page: the admin's view of the review rate and what drives it, or, for
reviewers and annotators, a page of their own numbers."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string

from inference.models import ModelVersion
from jwo_review.accounts.roles import Role, user_roles
from jwo_review.errors import InvalidInput
from jwo_review.store.models import Store
from low_confidence_queue.metrics import series
from low_confidence_queue.metrics.api import SERIES
from low_confidence_queue.metrics.consumers import WS_PATH
from low_confidence_queue.metrics.filters import MetricsFilter, parse_filters

TABLE_DAYS = 14
# The fields an annotator's labels are checked on against gold tasks, as people name them.
GOLD_FIELDS = (("action", "Action"), ("sku", "Product"), ("quantity", "Quantity"), ("track_id", "Shopper"))


def _filters(request: HttpRequest) -> tuple[MetricsFilter, dict[str, list[str]]]:
    try:
        return parse_filters(request.GET), {}
    except InvalidInput as exc:
        return parse_filters({}), exc.fields


@login_required
def dashboard_page(request: HttpRequest) -> HttpResponse:
    roles = user_roles(request.user)
    if Role.ADMIN in roles:
        return _admin_dashboard(request)
    if roles & {Role.REVIEWER, Role.ANNOTATOR}:
        return _own_numbers(request, roles)
    return HttpResponseForbidden("Your role may not open this page.")


def _admin_dashboard(request: HttpRequest) -> HttpResponse:
    f, errors = _filters(request)
    rows = series.DashboardRows(f)
    query = urlencode(f.query())
    rate = series.review_rate_series(rows)
    data: dict[str, Any] = {
        "filters": f.as_json(),
        "today": timezone.now().date().isoformat(),
        "rate": rate,
        "rate_by_store": series.per_store_rates(rows) if f.store is None else [],
        "markers": series.markers(rows),
        "accuracy": series.accuracy_series(rows),
        "queue": series.queue_series(rows),
        "ws": "/" + WS_PATH + (f"?store={f.store.code}" if f.store else ""),
    }
    csv = {name.replace("-", "_"): f"{reverse(f'metrics-api-{name}')}?{query}&format=csv" for name in SERIES}
    names = set(ModelVersion.objects.values_list("name", flat=True))
    return render(
        request,
        "dashboard/admin.html",
        {
            "f": f,
            "errors": errors,
            "data": data,
            "csv": csv,
            "total": series.review_rate_total(rows),
            # The tables beside the charts show the latest rows; the CSV links have them all.
            "rate_rows": [r for r in rate if r["visits"]][::-1][:TABLE_DAYS],
            "accuracy": list({a["store"]: a for a in data["accuracy"]}.values()),
            "queue_rows": [r for r in data["queue"] if r["tasks_created"] or r["open_end"] or r["finals"]][::-1][
                :TABLE_DAYS
            ],
            "reviewers": series.reviewer_table(rows),
            # Annotation reports its own people; this app does not import it.
            "annotators": import_string(settings.JWO_DASHBOARD_ANNOTATORS)()
            if settings.JWO_DASHBOARD_ANNOTATORS
            else [],
            "models": series.model_table(rows),
            "markers": data["markers"],
            "stores": Store.objects.order_by("code"),
            "model_names": sorted(names),
            "live": series.live_numbers(store=f.store, today_routing=rows.today_routing),
        },
    )


def _annotators() -> list[dict[str, Any]]:
    path = settings.JWO_DASHBOARD_ANNOTATORS
    rows: list[dict[str, Any]] = import_string(path)() if path else []
    return rows


def _gold_rows(stats: dict[str, Any]) -> list[dict[str, Any]]:
    """The annotator's share right on check tasks per field: each week of the range, newest
    first, then their standing figure over every check task they did."""

    def cells(shares: dict[str, Any]) -> list[str]:
        return [f"{100 * shares[key]:.0f}%" if shares.get(key) is not None else "–" for key, _ in GOLD_FIELDS]

    rows = [{"label": w["week"], "cells": cells(w)} for w in reversed(stats["gold_accuracy_by_week"])]
    if stats["gold_events"]:
        rows.append({"label": f"all time ({stats['gold_events']} events)", "cells": cells(stats["gold_accuracy"])})
    return rows


def _own_numbers(request: HttpRequest, roles: set[Role]) -> HttpResponse:
    f, errors = _filters(request)
    context: dict[str, Any] = {"f": f, "errors": errors, "roles": sorted(r.value for r in roles)}
    charts: dict[str, Any] = {}  # what mine.js draws: the reviewer's days, the annotator's weeks
    if Role.REVIEWER in roles:
        rows = series.DashboardRows(f)
        user_id = int(request.user.pk or 0)
        totals = series.reviewer_table(rows, reviewer_id=user_id)
        context["mine"] = totals[0] if totals else None
        days = series.reviewer_days(rows, reviewer_id=user_id)
        context["days"] = [d for d in days if d["tasks"]][::-1]
        charts["days"] = days
    if Role.ANNOTATOR in roles and settings.JWO_DASHBOARD_ANNOTATOR_STATS:
        # Annotation reports its own people; this app does not import it.
        since = datetime.combine(f.since, time.min, tzinfo=UTC)
        until = datetime.combine(f.until + timedelta(days=1), time.min, tzinfo=UTC)
        stats = import_string(settings.JWO_DASHBOARD_ANNOTATOR_STATS)(user_id=request.user.pk, since=since, until=until)
        context["annotation"] = stats
        context["gold_fields"] = [name for _, name in GOLD_FIELDS]
        context["gold_rows"] = _gold_rows(stats)
        charts["gold"] = {"fields": GOLD_FIELDS, "weeks": stats["gold_accuracy_by_week"]}
    context["charts"] = charts
    return render(request, "dashboard/mine.html", context)
