"""The dashboard's drill-down, as it appears in the URL: ``?store=aim3s&from=2026-11-01
&to=2026-11-30&model=v7`` (or ``days=14`` for the last fortnight), so a view can be shared."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from jwo_review.errors import InvalidInput
from jwo_review.store.models import Store

DEFAULT_DAYS = 30
MAX_DAYS = 400


@dataclass(frozen=True)
class MetricsFilter:
    """Which slice to show: one store or all, a day range (UTC days, both ends included),
    and optionally one model version (routing figures only)."""

    since: date
    until: date
    store: Store | None = None
    model_version: str = ""

    @property
    def days(self) -> list[date]:
        return [self.since + timedelta(days=i) for i in range((self.until - self.since).days + 1)]

    def query(self) -> dict[str, str]:
        """The filter as URL parameters (what ``parse_filters`` reads back)."""
        out = {"from": self.since.isoformat(), "to": self.until.isoformat()}
        if self.store is not None:
            out["store"] = self.store.code
        if self.model_version:
            out["model"] = self.model_version
        return out

    def as_json(self) -> dict[str, Any]:
        return {
            "store": self.store.code if self.store else None,
            "from": self.since.isoformat(),
            "to": self.until.isoformat(),
            "model": self.model_version or None,
        }


def _day(value: str, name: str, errors: dict[str, list[str]]) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors[name] = ["A day as YYYY-MM-DD."]
        return None


def parse_filters(params: Any, *, today: date | None = None) -> MetricsFilter:
    """Read the filter from query parameters (a QueryDict or a dict).

    Raises InvalidInput naming each bad parameter: an unknown store, a malformed day, a
    range that ends before it starts or is longer than MAX_DAYS.
    """
    today = today or timezone.now().date()
    errors: dict[str, list[str]] = {}
    until = _day(params.get("to"), "to", errors) if params.get("to") else today
    since: date | None
    if params.get("from"):
        since = _day(params.get("from"), "from", errors)
    else:
        raw_days = params.get("days") or str(DEFAULT_DAYS)
        if not raw_days.isdigit() or not 1 <= int(raw_days) <= MAX_DAYS:
            errors["days"] = [f"A whole number of days from 1 to {MAX_DAYS}."]
            since = None
        else:
            since = (until or today) - timedelta(days=int(raw_days) - 1)
    store = None
    if params.get("store"):
        store = Store.objects.filter(code=params.get("store")).first()
        if store is None:
            errors["store"] = ["No store with this code."]
    model = (params.get("model") or "").strip()
    if len(model) > 64:
        errors["model"] = ["At most 64 characters."]
    if since and until and not errors:
        if until < since:
            errors["to"] = ["The range ends before it starts."]
        elif (until - since).days + 1 > MAX_DAYS:
            errors["from"] = [f"At most {MAX_DAYS} days."]
    if errors or since is None or until is None:
        raise InvalidInput("Invalid dashboard filter.", fields=errors)
    return MetricsFilter(since=since, until=until, store=store, model_version=model)
