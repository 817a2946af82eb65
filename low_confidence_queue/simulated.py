"""A simulated reviewer for the demo (and later the flywheel): claims review tasks and
decides them from the simulator's truth, through the same services a person's browser
calls, so every downstream effect (receipts, audit, annotation tasks) is the real one."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from jwo_review.simulator.models import VisitTruth
from jwo_review.store.services.receipts import LineSpec
from low_confidence_queue.models import Decision, ReviewTask
from low_confidence_queue.services.claims import task_claim_next
from low_confidence_queue.services.decisions import proposed_lines, task_submit


def _key(lines: list[LineSpec]) -> list[tuple[str, int, int | None]]:
    return sorted((x.sku, x.quantity, x.shopper_track_id) for x in lines)


def reviews_simulate(
    *,
    reviewer: Any,
    limit: int,
    flag: Callable[[ReviewTask], bool] = lambda task: False,
    error_rate: float = 0.0,
    seed: int = 0,
) -> dict[str, int]:
    """Decide up to ``limit`` tasks as ``reviewer``: approve when the proposed receipt is the
    true one, else correct it to the truth; ``flag`` says which to send to annotation.
    With ``error_rate`` the reviewer, like a person, sometimes approves a wrong receipt
    without seeing the mistake (the same tasks on every run with the same seed).
    Tasks of visits with no simulated truth are released untouched."""
    counts = {"approved": 0, "corrected": 0, "flagged": 0, "missed": 0}
    for _ in range(limit):
        task = task_claim_next(user=reviewer)
        if task is None:
            break
        truth = VisitTruth.objects.filter(visit_id=task.visit_id).first()
        if truth is None:
            break
        true_lines = [
            LineSpec(sku=x["sku"], quantity=int(x["quantity"]), shopper_track_id=x.get("shopper_track_id"))
            for x in truth.truth.get("receipt", [])
        ]
        right = _key(proposed_lines(task)) == _key(true_lines)
        if not right and error_rate > 0 and random.Random(f"{seed}:{task.visit_id}").random() < error_rate:
            right = True  # a missed error: approved as shown
            counts["missed"] += 1
        flagged = flag(task)
        task_submit(
            task_id=task.pk,
            user=reviewer,
            decision=Decision.APPROVE if right else Decision.CORRECT,
            reason_code="confirmed" if right else "other",
            lines=None if right else true_lines,
            comment="" if right else "simulated reviewer: corrected to what the cameras show",
            flag_for_annotation=flagged,
        )
        counts["approved" if right else "corrected"] += 1
        counts["flagged"] += flagged
    return counts
