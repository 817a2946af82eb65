"""Simulated visits frozen to a file, and digests of what ``featurize`` makes of them (inputs and labels apart).

The file holds 12 visits each of the default, busy and new_format scenarios: each
scenario's store spec and, per visit of ``simulate_visits(load_scenario(name), 12, 1414,
streams=False)``, the payload and the truth fields labels read (``event_labels``,
``interactions``), written by the simulator at bb123c8, when the featuriser got its
column schema. Freezing the payloads keeps
the digest about featurisation only: the simulator may change its visits on purpose
(correlated views, new scenarios) without touching this test.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np

from inference.context import context_from_spec
from inference.features import VisitFeatures, featurize

FROZEN = Path(__file__).parent / "data" / "featurize_visits.json.gz"
INPUTS = ("events", "vision", "tracks", "pq", "pq_mask", "track_pairs", "is_group")
LABELS = ("y_action", "y_pq", "y_track")


def frozen_scenarios() -> dict[str, dict[str, Any]]:
    """Per scenario name, its ``store_spec`` and ``visits`` (each a ``payload`` and a ``truth``)."""
    with gzip.open(FROZEN, "rb") as fh:
        data: dict[str, Any] = json.loads(fh.read())
    scenarios: dict[str, dict[str, Any]] = data["scenarios"]
    return scenarios


def frozen_features() -> list[VisitFeatures]:
    """Every frozen visit featurised with its labels, scenario by scenario in file order."""
    out: list[VisitFeatures] = []
    scenarios = frozen_scenarios()
    for name in sorted(scenarios):
        scenario = scenarios[name]
        ctx = context_from_spec(scenario["store_spec"])
        out += [featurize(v["payload"], ctx, v["truth"]) for v in scenario["visits"]]
    return out


def _update(h: Any, name: str, array: Any) -> None:
    array = np.ascontiguousarray(array)
    h.update(f"{name}:{array.dtype.str}:{array.shape}".encode())
    h.update(array.tobytes())


def features_digest(features: list[VisitFeatures], pq_width: int | None = None) -> str:
    """SHA-256 over every input array's dtype, shape and bytes and every list the scorer
    reads; ``pq_width`` keeps only the product pairs' first columns."""
    h = hashlib.sha256()
    for f in features:
        for name in INPUTS:
            array = getattr(f, name)
            _update(h, name, array[..., :pq_width] if name == "pq" and pq_width is not None else array)
        meta = {k: v for k, v in f.meta.items() if k != "missing_product"}
        lists = [f.candidates, f.track_ids, f.event_order, f.plates, meta]
        h.update(json.dumps(lists, sort_keys=True).encode())
    return h.hexdigest()


def labels_digest(features: list[VisitFeatures]) -> str:
    """SHA-256 over the training targets ``inference.features.labels`` sets from the truth."""
    h = hashlib.sha256()
    for f in features:
        for name in LABELS:
            _update(h, name, getattr(f, name))
        h.update(json.dumps(f.meta.get("missing_product")).encode())
    return h.hexdigest()
