"""The visit pipeline, readable in one place: ingest -> score -> route -> receipt.

=========  ===============================================  ==================================
stage      runs where                                       code
=========  ===============================================  ==================================
ingest     the web request (API) or the simulator            ``jwo_review.store.services.ingest.visits_ingest``
           stores the visit (status ``received``); after commit the lifecycle calls
           ``JWO_VISITS_INGESTED_HOOKS`` (default: ``visits_ingested`` below)
score      Celery, ``scoring`` queue                         ``inference.tasks.score_visits``
           one prediction per visit and model version (status ``scored``); after commit
           the lifecycle calls ``JWO_VISITS_SCORED_HOOKS`` (default: ``visits_scored``)
route      the same worker, right after scoring              ``low_confidence_queue.services.routing.visits_route``
           auto-issues the model's receipt (``final``) or opens a review task (``in_review``)
receipt    routing, or a reviewer's decision                 ``jwo_review.store.services.receipts.receipt_issue``
sweep      Celery beat, every ``JWO_PIPELINE_SWEEP_S``        ``stalled_visits_requeue`` below
           visits that stopped on the way (broker down at commit, worker killed, no active
           model, a task that failed for good) are leased and queued again
=========  ===============================================  ==================================

Every status change goes through ``jwo_review.store.services.lifecycle``. Scoring and
routing are idempotent (one prediction per visit and version, one routing per visit,
both under the visit's row lock), so a task delivered twice or queued again by the
sweep is harmless. The store domain imports none of the apps: the settings hooks point
here, and this module imports the apps only inside its functions.
"""

from __future__ import annotations

import logging

from celery import shared_task
from kombu.exceptions import KombuError, OperationalError

log = logging.getLogger(__name__)

# What a dead broker raises at publish time (redis-py's ConnectionError is an OSError).
BROKER_DOWN = (OperationalError, KombuError, ConnectionError, OSError)


def visits_ingested(visit_ids: list[int]) -> None:
    """Queue scoring of newly stored visits. With the broker down the visits stay
    ``received`` and the sweep queues them once it is back; the caller is not failed."""
    from inference.services import SCORING_CHUNK
    from inference.tasks import score_visits

    for start in range(0, len(visit_ids), SCORING_CHUNK):
        chunk = list(visit_ids[start : start + SCORING_CHUNK])
        try:
            score_visits.delay(chunk)
        except BROKER_DOWN as exc:
            log.warning("Broker unreachable (%s); %d visit(s) wait for the sweep.", exc, len(chunk))
            return


def visits_scored(visit_ids: list[int]) -> None:
    """Route newly scored visits, in the process that scored them."""
    from low_confidence_queue.services.routing import visits_route

    visits_route(visit_ids=visit_ids)


def stalled_visits_requeue() -> dict[str, int]:
    """Queue again what stopped on the way: received visits for scoring (only while a
    model is active: without one, scoring would only leave them received again) and
    scored visits for routing. Each visit is leased, so it has one retry at a time."""
    from inference.selectors import active_model
    from inference.services import SCORING_CHUNK
    from inference.tasks import score_visits
    from jwo_review.store.models import VisitStatus
    from jwo_review.store.services.lifecycle import visits_claim_stalled
    from low_confidence_queue.tasks import route_visits

    # Both sets are leased before anything is queued, so a scoring retry that runs at once
    # (eager mode) is not taken for a visit that stalled after scoring.
    to_score = visits_claim_stalled(status=VisitStatus.RECEIVED) if active_model() is not None else []
    to_route = visits_claim_stalled(status=VisitStatus.SCORED)
    for start in range(0, len(to_score), SCORING_CHUNK):
        score_visits.delay(to_score[start : start + SCORING_CHUNK])
    for start in range(0, len(to_route), SCORING_CHUNK):
        route_visits.delay(to_route[start : start + SCORING_CHUNK])
    queued = {"score": len(to_score), "route": len(to_route)}
    if queued["score"] or queued["route"]:
        log.warning("Sweep queued stalled visits again: %s", queued)
    return queued


@shared_task(name="jwo_review.pipeline.sweep_stalled_visits", ignore_result=True)
def sweep_stalled_visits() -> dict[str, int]:
    """Beat runs this every ``JWO_PIPELINE_SWEEP_S`` seconds."""
    return stalled_visits_requeue()
