"""Simulated annotators for the demo and the benchmark: people who answer from the
simulator's truth with a confusion of their own, so consensus and gold can be measured
against the truth.

- careful: rarely wrong;
- hasty: wrong more often, and mostly in the ways people are (a look-alike product, one
  unit off, the other shopper, a put-back taken for a pick);
- clicker: mostly accepts the auto-label as it is, else answers like the careful one.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SimAnnotator:
    name: str
    error: float  # chance that a field is answered wrong
    accept_rate: float = 0.0  # chance of taking the auto-label without looking

    def _rng(self, key: str) -> random.Random:
        return random.Random(int(hashlib.sha256(f"{self.name}:{key}".encode()).hexdigest()[:12], 16))

    def answer(
        self,
        *,
        key: str,
        truth: dict[str, Any],
        auto: dict[str, Any] | None,
        candidates: Sequence[str],
        tracks: Sequence[int],
    ) -> dict[str, Any]:
        """This person's label of one event (``key`` makes it the same on every run)."""
        rng = self._rng(key)
        complete = auto is not None and (auto.get("sku") or auto.get("action") not in ("pick", "put_back"))
        if complete and auto is not None and rng.random() < self.accept_rate:
            return {k: auto.get(k) for k in ("seq", "action", "sku", "quantity", "track_id")}
        out = {k: truth.get(k) for k in ("seq", "action", "sku", "quantity", "track_id")}
        if rng.random() < self.error:
            out["action"] = {"put_back": "pick", "pick": "put_back", "restock": "pick", "noise": "pick"}[
                str(out["action"])
            ]
            if out["action"] in ("pick", "put_back") and not out["sku"] and candidates:
                out["sku"], out["quantity"] = candidates[0], 1
        moved = out["action"] != "noise"
        if moved and rng.random() < self.error:
            others = [c for c in candidates if c != out["sku"]]
            if others:
                out["sku"] = rng.choice(others[:3])
        if moved and rng.random() < self.error:
            out["quantity"] = max(1, int(out["quantity"] or 1) + rng.choice((-1, 1)))
        if out["action"] in ("pick", "put_back") and rng.random() < self.error:
            others_t = [t for t in tracks if t != out["track_id"]]
            if others_t:
                out["track_id"] = rng.choice(others_t)
        if not moved:
            out["sku"], out["quantity"], out["track_id"] = "", 0, None
        if out["action"] == "restock":
            out["track_id"] = None
        return out


CREW = (
    SimAnnotator("careful", error=0.02),
    SimAnnotator("hasty", error=0.06),
    SimAnnotator("clicker", error=0.03, accept_rate=0.85),
)


def crew_users(*, username: str = "sim-{name}") -> dict[str, Any]:
    """The crew as users with the annotator role (made if missing), by crew name;
    ``username`` formats each one's login from ``{name}``."""
    from django.contrib.auth import get_user_model

    from jwo_review.accounts.roles import Role, ensure_role_groups

    group = ensure_role_groups()[Role.ANNOTATOR]
    people = {}
    for person in CREW:
        user, _ = get_user_model().objects.get_or_create(username=username.format(name=person.name)[:150])
        user.groups.add(group)
        people[person.name] = user
    return people


def annotations_simulate(*, people: dict[str, Any], limit: int, seed: int = 0) -> dict[str, int]:
    """Let the crew (``people``: CREW name -> user) label up to ``limit`` slots through the
    real claim and submit services, each answering from the simulator's truth with their
    own errors; consolidation then turns settled tasks into labelled examples."""
    from annotation.autolabels import from_assignments, from_truth
    from annotation.services.claims import slot_claim_next
    from annotation.services.labels import label_submit
    from inference.models import Prediction
    from jwo_review.errors import InvalidInput
    from jwo_review.simulator.models import VisitTruth
    from jwo_review.store.interactions import visit_interactions

    crew = [p for p in CREW if p.name in people]
    rng = random.Random(seed)
    counts = {"submitted": 0, "refused": 0}
    idle: set[str] = set()
    while counts["submitted"] + counts["refused"] < limit and len(idle) < len(crew):
        person = rng.choice([p for p in crew if p.name not in idle])
        user = people[person.name]
        slot = slot_claim_next(user=user)
        if slot is None:
            idle.add(person.name)
            continue
        visit = slot.task.visit
        truth = VisitTruth.objects.filter(visit=visit).first()
        data = visit_interactions(visit, catalogue=False)
        seqs = [e["seq"] for e in data["events"]]
        prediction = Prediction.objects.filter(visit=visit).order_by("-created_at").first()
        autos = {a["seq"]: a for a in (from_assignments(seqs, prediction.event_assignments) if prediction else [])}
        truths = {t["seq"]: t for t in from_truth(seqs, truth.truth if truth else {})}
        tracks = sorted({int(p["track_id"]) for p in (truth.truth.get("people", []) if truth else [])})
        wanted = slot.focus or seqs
        candidates = {e["seq"]: e["candidates"] for e in data["events"]}
        events = [
            person.answer(
                key=f"{visit.pk}:{s}",
                truth=truths[s],
                auto=autos.get(s),
                candidates=[str(c["sku"]) if isinstance(c, dict) else str(c) for c in candidates.get(s, [])],
                tracks=tracks,
            )
            for s in wanted
            if s in truths
        ]
        try:
            label_submit(slot_id=slot.pk, user=user, events=events, added=[])
            counts["submitted"] += 1
        except InvalidInput:
            counts["refused"] += 1
    return counts
