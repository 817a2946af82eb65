"""The issue's own report, end to end: the whole app started with ``REDIS_URL`` pointing
at a Redis that is down (broker, cache and channel layer at once). One valid ingest
must be stored and answered 201 promptly, not 500 after ~20 s."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from jwo_review.store.models import Visit, VisitStatus
from tests.factories import visit_payload
from tests.trust.conftest import DEAD_BROKER

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import json, sys, time
import django
django.setup()
from django.test import Client
payload, key = json.loads(sys.argv[1]), sys.argv[2]
started = time.monotonic()
response = Client().post("/api/v1/visits/", payload, content_type="application/json",
                         headers={"Authorization": f"Bearer {key}"})
print(json.dumps({"status": response.status_code, "seconds": time.monotonic() - started,
                  "body": response.json()}))
"""


@pytest.mark.django_db(transaction=True)
def test_with_redis_down_ingest_stores_the_visit_and_answers_201_at_once(store_key: str) -> None:
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "jwo_review.settings",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "REDIS_URL": DEAD_BROKER,
        "JWO_ENV": "test",
    }
    payload = visit_payload()
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, json.dumps(payload), store_key],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    answer: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["status"] == 201, answer
    assert answer["seconds"] < 5, f"ingest took {answer['seconds']:.1f} s with Redis down"
    visit = Visit.objects.get(client_visit_id=payload["client_visit_id"])
    assert visit.status == VisitStatus.RECEIVED and answer["body"]["id"] == visit.pk
