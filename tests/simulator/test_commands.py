"""The simulate command: through visits_ingest, truth kept apart, export, report, JSON."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from jwo_review.simulator.models import VisitTruth
from jwo_review.simulator.scenario import HARD_CASES
from jwo_review.store.models import Store, Visit
from jwo_review.store.services import ingest


def _run(*args: str) -> list[str]:
    out = io.StringIO()
    call_command("simulate", *args, "--quiet", stdout=out, stderr=io.StringIO())
    return out.getvalue().strip().splitlines()


@pytest.mark.django_db
def test_simulate_ingests_through_the_ingest_service(monkeypatch: pytest.MonkeyPatch, media_root: Path) -> None:
    calls: list[str] = []
    real = ingest.visits_ingest

    def spy(**kwargs: Any) -> Any:
        calls.append(kwargs["source"])
        return real(**kwargs)

    monkeypatch.setattr("jwo_review.simulator.services.visits_ingest", spy)
    _run("--scenario", "default", "--visits", "6", "--seed", "4")
    assert calls and set(calls) == {"simulator"}
    assert Store.objects.filter(code="aim3s").exists()  # loaded from the scenario's spec
    visits = Visit.objects.filter(source="simulator")
    assert visits.count() == 6
    assert VisitTruth.objects.filter(visit__in=visits).count() == 6
    with_events = visits.filter(weight_events__isnull=False).distinct()
    assert all(v.plate_streams for v in with_events)


@pytest.mark.django_db
def test_running_again_adds_nothing(media_root: Path) -> None:
    _run("--visits", "3", "--seed", "2")
    lines = _run("--visits", "3", "--seed", "2")
    assert Visit.objects.count() == 3 and VisitTruth.objects.count() == 3
    assert "0 new, 3 already there" in lines[0]


@pytest.mark.django_db
def test_new_format_store_is_created_from_its_scenario(media_root: Path) -> None:
    _run("--scenario", "new_format", "--visits", "2", "--seed", "1")
    store = Store.objects.get(code="nf-kiosk")
    assert Visit.objects.filter(store=store).count() == 2


@pytest.mark.django_db
def test_export_writes_payloads_and_truth_without_touching_the_database(tmp_path: Path) -> None:
    payloads, truths = tmp_path / "visits.jsonl", tmp_path / "truth.jsonl"
    _run("--visits", "4", "--seed", "3", "--export", str(payloads), "--truth", str(truths))
    rows = [json.loads(line) for line in payloads.read_text().splitlines()]
    truth = [json.loads(line) for line in truths.read_text().splitlines()]
    assert [r["client_visit_id"] for r in rows] == [t["client_visit_id"] for t in truth]
    assert len(rows) == 4 and all(r["store"] == "aim3s" for r in rows)
    assert Visit.objects.count() == 0


@pytest.mark.django_db
def test_report_json_is_the_last_line_in_the_issue_shape(tmp_path: Path) -> None:
    lines = _run("--visits", "40", "--seed", "7", "--report", "--json", "--no-streams",
                 "--export", str(tmp_path / "x.jsonl"))
    summary = json.loads(lines[-1])
    assert set(summary) == {"visits", "hard_case_share", "hard_cases", "detector"}
    assert summary["visits"] == 40
    assert set(summary["hard_cases"]) == set(HARD_CASES)
    assert set(summary["detector"]) == {"precision", "recall", "by_case"}
    assert set(summary["detector"]["by_case"]) == set(HARD_CASES)
    assert any("precision" in line for line in lines[:-1])


def test_a_wrong_scenario_is_a_command_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nstore: {builtin: aim3s}\nhard_cases: {crowding: 2}\n")
    with pytest.raises(CommandError, match="hard_cases.crowding"):
        call_command("simulate", "--scenario", str(bad), "--visits", "1", "--quiet", stdout=io.StringIO())


@pytest.mark.django_db
def test_entered_from_dates_the_same_visits_from_another_time(tmp_path: Path) -> None:
    from datetime import datetime, timedelta

    scenario_dated, today_dated = tmp_path / "scenario.jsonl", tmp_path / "today.jsonl"
    _run("--visits", "3", "--seed", "5", "--no-streams", "--export", str(scenario_dated))
    _run("--visits", "3", "--seed", "5", "--no-streams", "--export", str(today_dated),
         "--entered-from", "2026-12-08T09:00:00Z")
    before = [json.loads(line) for line in scenario_dated.read_text().splitlines()]
    after = [json.loads(line) for line in today_dated.read_text().splitlines()]

    def at(text: str) -> datetime:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))

    shift = at("2026-12-08T09:00:00+00:00") - at("2026-11-02T08:00:00+00:00")  # the default's traffic.start
    for old, new in zip(before, after, strict=True):
        assert at(new["entered_at"]) - at(old["entered_at"]) == shift
        assert at(new["exited_at"]) - at(old["exited_at"]) == shift
        assert {k: v for k, v in new.items() if not k.endswith("_at")} == {
            k: v for k, v in old.items() if not k.endswith("_at")
        }
    assert at(after[0]["entered_at"]) - at("2026-12-08T09:00:00Z") < timedelta(seconds=20)
    # Another zone is the same moment, written in UTC as every payload time is.
    _run("--visits", "1", "--seed", "5", "--no-streams", "--export", str(today_dated),
         "--entered-from", "2026-12-08T10:00:00+01:00")
    assert json.loads(today_dated.read_text())["entered_at"] == after[0]["entered_at"]


@pytest.mark.parametrize("value", ["yesterday", "2026-12-08T09:00:00"])
def test_entered_from_needs_a_time_with_a_zone(value: str) -> None:
    with pytest.raises(CommandError, match="ISO 8601 time with a zone"):
        call_command("simulate", "--visits", "1", "--entered-from", value, "--quiet", stdout=io.StringIO())
