"""Simulated visits into the database: through the same ingest service as the API.

``simulation_ingest`` loads the scenario's store if it is missing, posts the visits
through ``visits_ingest`` (source "simulator") and stores each visit's ground truth
in ``VisitTruth``, apart from what the model sees.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction

from jwo_review.simulator.generate import SimVisit
from jwo_review.simulator.models import VisitTruth
from jwo_review.simulator.scenario import Scenario
from jwo_review.store.models import Store
from jwo_review.store.services.ingest import IngestResult, visits_ingest
from jwo_review.store.services.layout import store_load_spec


def simulation_store_ensure(*, scenario: Scenario) -> Store:
    """The scenario's store, created from its spec the first time."""
    store = Store.objects.filter(code=scenario.store_code).first()
    if store is None:
        store = store_load_spec(scenario.store_spec)
    return store


@transaction.atomic
def visit_truths_store(*, scenario: Scenario, seed: int, results: list[IngestResult], visits: list[SimVisit]) -> int:
    """Truth rows for ingested visits that have none yet (a re-run adds only the missing)."""
    by_id = {r.client_visit_id: r.id for r in results}
    have = set(VisitTruth.objects.filter(visit_id__in=by_id.values()).values_list("visit_id", flat=True))
    rows = []
    for visit in visits:
        visit_id = by_id[visit.payload["client_visit_id"]]
        if visit_id in have:
            continue
        index = int(visit.payload["client_visit_id"].rsplit("-", 1)[1])
        rows.append(
            VisitTruth(
                visit_id=visit_id,
                scenario=scenario.name,
                seed=seed,
                index=index,
                hard_cases=visit.truth["hard_cases"],
                truth=visit.truth,
            )
        )
    VisitTruth.objects.bulk_create(rows)
    return len(rows)


def simulation_ingest(
    *,
    scenario: Scenario,
    visits: Iterable[SimVisit],
    seed: int,
    batch_size: int | None = None,
    on_batch: Callable[[list[SimVisit], list[IngestResult]], Any] | None = None,
    streams_saved: list[str] | None = None,
) -> list[IngestResult]:
    """Ingest simulated visits batch by batch; returns every ingest result in order
    (``streams_saved`` as ``visits_ingest`` takes it)."""
    simulation_store_ensure(scenario=scenario)
    size = min(batch_size or 25, settings.JWO_INGEST_MAX_BATCH)
    out: list[IngestResult] = []
    pending: list[SimVisit] = []

    def flush() -> None:
        results = visits_ingest(payloads=[v.payload for v in pending], source="simulator", streams_saved=streams_saved)
        visit_truths_store(scenario=scenario, seed=seed, results=results, visits=pending)
        out.extend(results)
        if on_batch is not None:
            on_batch(list(pending), results)
        pending.clear()

    for visit in visits:
        pending.append(visit)
        if len(pending) >= size:
            flush()
    if pending:
        flush()
    return out


def script_ingest(*, scenario: Scenario, visits: list[SimVisit], seed: int) -> list[IngestResult]:
    """Ingest a script's visits all or nothing: a replayed case is only useful whole, so
    a visit the ingest refuses leaves none of the script's visits stored, nor the plate
    stream files of those stored before it (the rollback keeps files, so they go here)."""
    saved: list[str] = []
    try:
        with transaction.atomic():
            return simulation_ingest(scenario=scenario, visits=visits, seed=seed, streams_saved=saved)
    except BaseException:
        for name in saved:
            default_storage.delete(name)
        raise
