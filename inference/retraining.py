"""A store's candidate model: fine-tuned from the store's active version on the store's
frozen examples (its dataset version's train side) mixed with simulated base visits, and
calibrated on the store's own reviewed receipts. Nothing here writes to the database;
``low_confidence_queue.services.retraining`` judges the candidate and registers it.

Which examples teach what:
- event heads: a visit whose every weight event has a label, from annotation (preferred:
  consensus over several people) or from a review's receipt (``receipt_attribution``);
- reach heads (a ``vision_items`` network), in those visits: the reaches a review's
  receipt confirms or rules out (``reach_attribution``) and the camera-only items
  annotators removed (a ``noise`` label), both by reach index, and the interactions the
  scale missed that annotators added, by moment (``reviewed_reach_labels``); annotation
  wins a reach both name; other reaches stay unlabelled;
- the receipt calibrator: every reviewed receipt of the train side (right or wrong under
  the candidate), whether or not its events could be attributed.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np

from inference.calibration import PlattScaling
from inference.datasets import dataset_examples
from inference.features import VisitFeatures, featurize
from inference.features.labels import reviewed_reach_labels
from inference.models import DatasetVersion, ExampleKind, ModelVersion
from inference.network import VisitModel
from inference.recipe import Recipe
from inference.scoring import TransformerScorer
from inference.selectors import store_context, visit_payloads
from inference.services import loaded_scorer
from inference.training import finetune, simulated_dataset


@dataclass
class Candidate:
    model: VisitModel
    platt: PlattScaling
    parent: ModelVersion
    dataset: DatasetVersion
    counts: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    def scorer(self) -> TransformerScorer:
        return TransformerScorer(self.model, self.platt)


def _event_labels(
    rows: list[dict[str, Any]], sources: tuple[str, ...] | None = None
) -> dict[int, dict[int, dict[str, Any]]]:
    """{visit: {event seq: label}}; annotation wins over a review's attribution. With
    ``sources`` (source prefixes such as ``review:``), only those examples teach."""
    out: dict[int, dict[int, dict[str, Any]]] = defaultdict(dict)
    for r in sorted(rows, key=lambda r: 0 if str(r["source"]).startswith("review") else 1):
        if r["kind"] != ExampleKind.EVENT or r["event_seq"] is None:
            continue
        if sources is not None and not str(r["source"]).startswith(sources):
            continue
        out[int(r["visit_id"])][int(r["event_seq"])] = {
            "action": r["action"],
            "sku": r["sku"] or None,
            "quantity": int(r["quantity"] or 0),
            "track_id": r["track_id"],
        }
    return out


def _reach_labels(
    rows: list[dict[str, Any]], sources: tuple[str, ...] | None = None
) -> dict[int, list[dict[str, Any]]]:
    """{visit: [reach label]} from the ``missed`` examples: a review's reach decisions and
    annotators' removed camera-only items (by reach index, checked against its moment and
    plate) and annotators' added interactions (by moment). A review's labels come first,
    so where annotation names the same reach it wins, as for events; reaches only one of
    them names keep that one's label."""
    by_visit: dict[int, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        if r["kind"] != ExampleKind.MISSED or (sources is not None and not str(r["source"]).startswith(sources)):
            continue
        origin = "review" if str(r["source"]).startswith("review") else "annotation"
        provenance = r.get("provenance") or {}
        indexed = origin == "review" or provenance.get("removed") == "camera-only"
        by_visit[int(r["visit_id"])][origin].append(
            {
                "action": r["action"],
                "sku": r["sku"] or None,
                "quantity": int(r["quantity"] or 0),
                "track_id": r["track_id"],
                "t": r["t"],
                "reach": provenance.get("reach") if indexed else None,
                "plate": provenance.get("plate") if indexed else None,
            }
        )
    return {v: origins["review"] + origins["annotation"] for v, origins in by_visit.items()}


def _receipt_key(lines: list[dict[str, Any]]) -> dict[str, int]:
    """Units per product for the group: what "exactly right" means for the calibrator."""
    out: dict[str, int] = {}
    for x in lines:
        out[str(x["sku"])] = out.get(str(x["sku"]), 0) + int(x["quantity"])
    return {k: v for k, v in out.items() if v > 0}


def store_training_data(
    dataset: DatasetVersion, event_sources: tuple[str, ...] | None = None
) -> tuple[list[VisitFeatures], list[tuple[VisitFeatures, list[dict[str, Any]]]], dict[str, int]]:
    """The train side of a dataset version as (event-labelled visits, [(visit, final
    receipt)] for the calibrator, counts); ``event_sources`` limits which examples label
    events (every reviewed receipt still calibrates)."""
    rows = dataset_examples(dataset, split="train")
    labels = _event_labels(rows, event_sources)
    reach_labels = _reach_labels(rows, event_sources)
    finals = {int(r["visit_id"]): list(r["lines"]) for r in rows if r["kind"] == ExampleKind.RECEIPT}
    ids = sorted(set(labels) | set(finals))
    payloads = visit_payloads(ids)
    ctx = store_context(dataset.store)
    labelled: list[VisitFeatures] = []
    reaches_labelled = 0
    receipts: list[tuple[VisitFeatures, list[dict[str, Any]]]] = []
    for visit_id in ids:
        payload = payloads.get(visit_id)
        if payload is None:
            continue
        n_events = len(payload.get("weight_events") or [])
        events = labels.get(visit_id, {})
        if n_events and len(events) == n_events and set(events) == set(range(n_events)):
            truth = {"event_labels": [events[i] for i in range(n_events)], "interactions": []}
            features = featurize(payload, ctx, truth)
            reaches_labelled += reviewed_reach_labels(features, reach_labels.get(visit_id, []))
            labelled.append(features)
        if visit_id in finals:
            receipts.append((featurize(payload, ctx), finals[visit_id]))
    counts = {
        "event_labelled_visits": len(labelled),
        "reaches_labelled": reaches_labelled,
        "receipt_visits": len(receipts),
        "train_examples": len(rows),
    }
    return labelled, receipts, counts


def candidate_train(
    *,
    dataset: DatasetVersion,
    parent: ModelVersion,
    plan: Recipe,
    seed: int,
    event_sources: tuple[str, ...] | None = None,
) -> Candidate:
    """Fine-tune ``parent`` on the dataset's train side plus ``plan.base_visits`` simulated
    base visits, then calibrate on the store's reviewed receipts (falls back to the
    parent's calibrator when those are all right or all wrong). ``event_sources`` limits
    the event labels to examples from those sources (to measure what each adds)."""
    started = time.perf_counter()
    labelled, receipts, counts = store_training_data(dataset, event_sources)
    base = simulated_dataset(plan.base_scenario, plan.base_visits, seed) if plan.base_visits else None
    features = labelled + (base.features if base is not None else [])
    init = cast(VisitModel, loaded_scorer(parent).model)
    model = init
    if features:
        model = finetune(
            features, init, epochs=plan.finetune_epochs, batch_size=plan.batch_size, lr=plan.finetune_lr, seed=seed
        )
    parent_platt = loaded_scorer(parent).platt
    platt = parent_platt
    if receipts:
        scores = TransformerScorer(model).score([f for f, _ in receipts])
        correct = np.array([_receipt_key(s.lines) == _receipt_key(r) for s, (_, r) in zip(scores, receipts)])
        if 0 < correct.sum() < len(correct):
            platt = PlattScaling.fit(
                np.array([s.raw_confidence for s in scores]), correct, np.array([s.summary for s in scores])
            )
    counts.update(base_visits=len(base.features) if base is not None else 0, calibrated_on=len(receipts))
    counts["calibrated_on_store"] = int(platt is not parent_platt)
    return Candidate(
        model=model,
        platt=platt,
        parent=parent,
        dataset=dataset,
        counts=counts,
        seconds=time.perf_counter() - started,
    )
