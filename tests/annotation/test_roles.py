"""Who may do what in annotation: every page and endpoint for every role. Annotators and
admins annotate; reviewers may not unless they also hold the annotator role."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from annotation.models import AnnotationSettings, AnnotationSlot, Source
from annotation.services.claims import slot_claim_next
from annotation.services.labels import label_submit
from annotation.services.sources import task_make
from jwo_review.accounts.roles import Role, ensure_role_groups
from tests.annotation.conftest import RIGHT, VisitMaker
from tests.conftest import ROLES

NO = {"anonymous": 401, "reviewer": 403, "store_key": 403}
ANNOTATORS = {**NO, "annotator": 200, "admin": 200}
HOLDER = {**NO, "annotator": 200, "admin": 409}
HOLDER_204 = {**NO, "annotator": 204, "admin": 409}

MATRIX: dict[tuple[str, str], tuple[dict[str, Any] | None, dict[str, int]]] = {
    ("post", "/api/v1/annotation/claim/"): (None, ANNOTATORS),
    ("get", "/api/v1/annotation/slots/"): (None, ANNOTATORS),
    ("get", "/api/v1/annotation/stats/"): (None, ANNOTATORS),
    ("get", "/api/v1/annotation/clips/?ids=1,2"): (None, ANNOTATORS),
    ("post", "/api/v1/annotation/slots/{slot}/renew/"): (None, HOLDER),
    ("post", "/api/v1/annotation/slots/{slot}/clips/"): ({"event": 0}, ANNOTATORS),
    ("post", "/api/v1/annotation/slots/{slot}/submit/"): ({"events": RIGHT}, {**HOLDER, "annotator": 201}),
    ("post", "/api/v1/annotation/slots/{slot}/release/"): (None, HOLDER_204),
    ("post", "/api/v1/annotation/slots/{slot}/skip/"): (None, HOLDER_204),
}


@pytest.fixture
def state(scored_visit: VisitMaker, users: dict[str, Any]) -> dict[str, int]:
    task_make(visit=scored_visit(), source=Source.FLAGGED)
    slot = slot_claim_next(user=users["annotator"])
    assert slot is not None
    return {"slot": slot.pk}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path"), list(MATRIX))
def test_api_role_matrix(
    client_as: Callable[[str], APIClient], state: dict[str, int], role: str, method: str, path: str
) -> None:
    body, expected = MATRIX[(method, path)]
    url = path.format(slot=state["slot"])
    client = client_as(role)
    response = client.post(url, body, format="json") if method == "post" else client.get(url)
    assert response.status_code == expected[role], (role, url, response.content[:300])


PAGES = {
    ("get", "/annotation/"): {"anonymous": 302, "reviewer": 403, "annotator": 200, "admin": 200},
    ("post", "/annotation/next/"): {"anonymous": 302, "reviewer": 403, "annotator": 302, "admin": 302},
    ("get", "/annotation/slots/{slot}/"): {"anonymous": 302, "reviewer": 403, "annotator": 200, "admin": 302},
}


@pytest.mark.parametrize("role", ["anonymous", "annotator", "reviewer", "admin"])
@pytest.mark.parametrize(("method", "path"), list(PAGES))
def test_page_role_matrix(users: dict[str, Any], state: dict[str, int], role: str, method: str, path: str) -> None:
    client = Client()
    if role != "anonymous":
        client.force_login(users[role])
    response = getattr(client, method)(path.format(slot=state["slot"]))
    assert response.status_code == PAGES[(method, path)][role], (role, path)


def test_a_reviewer_who_is_also_an_annotator_may_annotate(
    make_user: Callable[..., Any], state: dict[str, int]
) -> None:
    both = make_user("both", Role.REVIEWER)
    both.groups.add(ensure_role_groups()[Role.ANNOTATOR])
    client = APIClient()
    client.force_authenticate(both)
    assert client.post("/api/v1/annotation/claim/").status_code == 200


def test_the_workspace_shows_the_auto_labels_and_never_the_source(
    users: dict[str, Any], scored_visit: VisitMaker
) -> None:
    task_make(visit=scored_visit(), source=Source.GOLD, gold_labels=RIGHT)
    AnnotationSettings.objects.update(gold_rate=1.0)
    client = Client()
    client.force_login(users["annotator"])
    response = client.post("/annotation/next/")
    body = client.get(response["Location"]).content.decode()
    assert 'id="annotation-data"' in body and "AIM3S-002" in body and '"auto_labels"' in body
    assert "gold" not in body.lower()


def test_home_shows_the_work_waiting(users: dict[str, Any], state: dict[str, int]) -> None:
    client = Client()
    client.force_login(users["admin"])
    body = client.get("/annotation/").content.decode()
    assert "Start annotating (1)" in body  # the annotator holds one slot; one is left


def _label_a_check_task(annotator: Any, scored_visit: VisitMaker, events: list[dict[str, Any]]) -> AnnotationSlot:
    """``annotator`` labels a gold task (known answer ``RIGHT``) with ``events``."""
    AnnotationSettings.objects.update(gold_rate=1.0)
    task_make(visit=scored_visit(), source=Source.GOLD, gold_labels=RIGHT)
    slot = slot_claim_next(user=annotator)
    assert slot is not None
    label_submit(slot_id=slot.pk, user=annotator, events=events)
    return slot


def test_the_admin_dashboard_lists_annotators_with_their_gold_accuracy(
    users: dict[str, Any], scored_visit: VisitMaker
) -> None:
    _label_a_check_task(users["annotator"], scored_visit, RIGHT)
    client = Client()
    client.force_login(users["admin"])
    body = client.get("/dashboard/").content.decode()
    assert 'id="table-annotators"' in body
    row = body.split('id="table-annotators"')[1].split("</table>")[0]
    assert "annotator-user" in row and "1.0 · 1.0 · 1.0 · 1.0" in row


def test_an_annotators_own_numbers_show_their_work_and_checks_in_the_range(
    users: dict[str, Any], scored_visit: VisitMaker
) -> None:
    wrong_product = copy.deepcopy(RIGHT)
    wrong_product[1]["sku"] = "AIM3S-001"
    slot = _label_a_check_task(users["annotator"], scored_visit, wrong_product)
    AnnotationSlot.objects.filter(pk=slot.pk).update(time_spent_s=40.0)
    client = Client()
    client.force_login(users["annotator"])

    body = client.get("/dashboard/").content.decode()
    assert "appear here once" not in body
    assert 'id="my-slots">1<' in body
    gold = body.split('id="my-gold"')[1].split("</table>")[0]
    week = (timezone.now().date() - timedelta(days=timezone.now().weekday())).isoformat()
    # Three events with a known answer: one product wrong; action, quantity and shopper right.
    assert f"<td>{week}</td><td class=\"num\">100%</td><td class=\"num\">67%</td>" in gold
    assert "all time (3 events)" in gold
    assert 'id="chart-gold"' in body and '"weeks": [{"week": "' + week in body  # the chart's data, per week

    earlier = (timezone.now().date() - timedelta(days=40)).isoformat()
    before = (timezone.now().date() - timedelta(days=30)).isoformat()
    body = client.get(f"/dashboard/?from={earlier}&to={before}").content.decode()
    assert 'id="my-slots">0<' in body
    assert week not in body.split('id="my-gold"')[1].split("</table>")[0]


def test_home_says_how_much_annotation_waits_for_each_role(
    users: dict[str, Any], state: dict[str, int], make_user: Callable[..., Any], scored_visit: VisitMaker
) -> None:
    def home(user: Any) -> str:
        client = Client()
        client.force_login(user)
        return str(client.get("/").content.decode())

    holder = home(users["annotator"])  # holds one slot; the task's other slot is not theirs to take
    assert 'id="work-annotate"><strong>You hold a task: continue it.' in holder
    task_make(visit=scored_visit(), source=Source.FLAGGED)  # two more slots, of one task
    other = make_user("ann-two", Role.ANNOTATOR)
    # Tasks, not slots: one slot left of the first task and two of the second are two tasks.
    assert 'id="work-annotate"><strong>2 tasks waiting for you.' in home(other)
    assert "work-review" not in home(other)  # an annotator has no review card
    assert "work-annotate" not in home(users["reviewer"])
    assert 'id="work-annotate"><strong>1 task waiting for you, and one you hold.' in home(users["annotator"])
    AnnotationSlot.objects.filter(pk=state["slot"]).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    assert 'id="work-annotate"><strong>1 task waiting for you.' in home(users["annotator"])  # the lease ran out
