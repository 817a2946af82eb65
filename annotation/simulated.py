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
