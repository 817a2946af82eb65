"""The metrics API: each dashboard series as JSON (``/api/v1/metrics/<series>/``), and
the same rows as CSV (``?format=csv``). Admins only.

Every endpoint takes the dashboard's filter (``store``, ``from``, ``to`` or ``days``,
``model``) and answers ``{"filters": ..., "rows": [...]}``; the CSV has one line per row
with the same columns, so a spreadsheet and a script read the same numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from jwo_review.accounts.permissions import roles_permission
from jwo_review.accounts.roles import Role
from low_confidence_queue.metrics import series
from low_confidence_queue.metrics.filters import parse_filters

Admins = roles_permission(Role.ADMIN)


class CSVRenderer(BaseRenderer):  # type: ignore[misc]
    """The ``rows`` of a metrics answer as CSV (errors are rendered as JSON by the view)."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        out = io.StringIO()
        rows = data.get("rows") if isinstance(data, Mapping) else None
        if rows is None:
            out.write(f"detail\n{data.get('detail', '') if isinstance(data, Mapping) else data}\n")
            return out.getvalue().encode()
        if rows:
            writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows({k: "" if v is None else v for k, v in row.items()} for row in rows)
        return out.getvalue().encode()


FILTER_PARAMETERS = [
    OpenApiParameter("store", str, description="Store code; all stores when absent."),
    OpenApiParameter("from", OpenApiTypes.DATE, description="First UTC day (YYYY-MM-DD)."),
    OpenApiParameter("to", OpenApiTypes.DATE, description="Last UTC day, included (default today)."),
    OpenApiParameter("days", int, description="Without `from`: the last N days (default 30)."),
    OpenApiParameter("model", str, description="Model version name (routing figures only)."),
    OpenApiParameter("format", str, enum=["json", "csv"], description="`csv` for the rows as CSV."),
]

Rows = Callable[[series.DashboardRows], list[dict[str, Any]]]

F = serializers.FloatField
I = serializers.IntegerField  # noqa: E741
S = serializers.CharField
ROW_FIELDS: dict[str, dict[str, Any]] = {
    "review-rate": {
        "day": S(),
        "store": S(),
        "visits": I(),
        "auto_issued": I(),
        **{r: I() for r in series.REASONS},
        "reviews": I(),
        "per_1000": F(allow_null=True),
        **{f"{r}_per_1000": F(allow_null=True) for r in series.REASONS},
    },
    "accuracy": {
        "store": S(),
        "week": S(),
        "audits": I(),
        "correct": I(),
        "estimate": F(allow_null=True),
        "low": F(allow_null=True),
        "high": F(allow_null=True),
        "target": F(),
        "verdict": S(),
    },
    "queue": {
        "day": S(),
        "open_end": I(),
        "oldest_age_end_s": F(allow_null=True),
        "sla_breaches": I(),
        "tasks_created": I(),
        "tasks_decided": I(),
        "finals": I(),
        "final_p50_s": F(allow_null=True),
        "final_p95_s": F(allow_null=True),
    },
    "reviewers": {
        "reviewer": S(),
        "tasks": I(),
        "tasks_per_hour": F(allow_null=True),
        "median_s": F(allow_null=True),
        "corrected": I(),
        "share_corrected": F(allow_null=True),
        "rechecked": I(),
        "agreement": F(allow_null=True),
    },
    "models": {
        "model": S(),
        "kind": S(),
        "status": S(),
        "activated_at": S(allow_null=True),
        "retired_at": S(allow_null=True),
        "threshold": F(),
        **{f"heldout_{k}": F(allow_null=True) for k in series.HELD_OUT_KEYS},
        "visits": I(),
        "reviews": I(),
        "per_1000": F(allow_null=True),
    },
}


def _by_store_rate(rows: series.DashboardRows) -> list[dict[str, Any]]:
    return series.review_rate_series(rows, by_store=True)


SERIES: dict[str, tuple[Rows, str]] = {
    "review-rate": (
        series.review_rate_series,
        "Reviews per 1,000 routed visits per UTC day, by reason (all selected stores together); "
        "`markers` lists model promotions, retirements and threshold moves.",
    ),
    "review-rate-by-store": (_by_store_rate, "The review-rate rows, one per day and store."),
    "accuracy": (
        series.accuracy_series,
        "Auto-issued receipt accuracy per store and ISO week from the decided audit sample, with a 95% Wilson "
        "interval and the verdict against the store's target (meets, below, unsure).",
    ),
    "queue": (
        series.queue_series,
        "Per day: tasks open at the day's end and the oldest one's age, SLA breaches, tasks opened and decided, "
        "visit-exit-to-receipt seconds p50/p95.",
    ),
    "reviewers": (series.reviewer_table, "Per reviewer over the range: throughput, time, corrections, agreement."),
    "models": (series.model_table, "Model versions: held-out metrics and the production review rate in the range."),
}


def _response_schema(name: str) -> Any:
    fields = ROW_FIELDS["review-rate" if name == "review-rate-by-store" else name]
    rows = inline_serializer(name=f"Metrics{name.title().replace('-', '')}Row", fields=fields, many=True)
    body: dict[str, Any] = {"filters": serializers.DictField(), "rows": rows}
    if name == "review-rate":
        body["markers"] = serializers.ListField(child=serializers.DictField())
    return inline_serializer(name=f"Metrics{name.title().replace('-', '')}", fields=body)


def metrics_view(name: str) -> type[APIView]:
    """The API view of one series."""
    function, description = SERIES[name]

    class View(APIView):
        permission_classes = [Admins]
        renderer_classes = [JSONRenderer, CSVRenderer]

        @extend_schema(
            operation_id=f"metrics_{name.replace('-', '_')}",
            summary=description.split(";")[0].split(",")[0],
            description=description,
            parameters=FILTER_PARAMETERS,
            responses={200: _response_schema(name)},
            tags=["metrics"],
        )
        def get(self, request: Request) -> Response:
            f = parse_filters(request.query_params)
            rows = series.DashboardRows(f)
            body: dict[str, Any] = {"filters": f.as_json(), "rows": function(rows)}
            if name == "review-rate":
                body["markers"] = series.markers(rows)
            response = Response(body)
            if getattr(request.accepted_renderer, "format", "") == "csv":
                filename = f"{name}_{f.since.isoformat()}_{f.until.isoformat()}.csv"
                response["Content-Disposition"] = f'attachment; filename="{filename}"'
            return response

        def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
            # Errors are JSON whatever format was asked for: a client parses one error shape.
            if getattr(response, "status_code", 200) >= 400 and isinstance(response, Response):
                request.accepted_renderer = JSONRenderer()
                request.accepted_media_type = "application/json"
            return super().finalize_response(request, response, *args, **kwargs)

    View.__name__ = f"Metrics{name.title().replace('-', '')}View"
    return View
