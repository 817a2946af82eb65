"""Claim-next under contention on PostgreSQL: every task goes to exactly one reviewer."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from jwo_review.store.models import Store, Visit
from low_confidence_queue.models import ReviewTask, TaskStatus
from low_confidence_queue.services.claims import task_claim_next

N_TASKS = 1000
N_THREADS = 50


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_fifty_threads_claim_each_of_a_thousand_tasks_exactly_once(aim3s: Store, settings: Any) -> None:
    settings.JWO_VISITS_INGESTED_HOOKS = []
    now = timezone.now()
    # Plain rows are enough here: the claim path reads only the task table.
    visits = Visit.objects.bulk_create([
        Visit(store=aim3s, client_visit_id=f"c-{i}", visit_code=f"C{i:05d}", entered_at=now, exited_at=now,
              payload_sha256="0" * 64, status="in_review")
        for i in range(N_TASKS)
    ])
    ReviewTask.objects.bulk_create([
        ReviewTask(visit=v, reason="low_confidence", priority=i % 3, sla_due_at=now) for i, v in enumerate(visits)
    ])
    users = [get_user_model().objects.create_user(f"claimer-{i}") for i in range(N_THREADS)]
    claimed: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(N_THREADS)
    errors: list[BaseException] = []

    def claimer(user: Any) -> None:
        try:
            start.wait()
            while (task := task_claim_next(user=user)) is not None:
                with lock:
                    claimed.append(task.pk)
        except BaseException as exc:  # surfaced below; a thread cannot fail the test itself
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=claimer, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    counts = Counter(claimed)
    assert len(counts) == N_TASKS and max(counts.values()) == 1
    assert ReviewTask.objects.filter(status=TaskStatus.CLAIMED).count() == N_TASKS
    holders = Counter(ReviewTask.objects.values_list("claimed_by", flat=True))
    assert sum(holders.values()) == N_TASKS and len(holders) > 1
