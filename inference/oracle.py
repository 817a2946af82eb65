"""What perfect event heads would give: the ceiling the weight detector sets.

Every receipt a weight-driven scorer (the model without vision items, the rules
baseline) can give is a sum over the detector's weight events. Feeding the decoder
one-hot probabilities from each event's truth labels (``inference.features.labels``)
gives the best such receipt; when even that differs from the true receipt, the detector
missed or merged a move (or no candidate slot holds the product), and only luck or
vision can get the visit right. Evaluating on such visits measures the detector, not
the heads, so ``evaluate_model`` reports them apart.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from inference.decode import VisitScore, decode
from inference.features import ACTIONS, IGNORE, MAX_QUANTITY, VisitFeatures
from inference.training import Dataset


def _one_hot(labels: NDArray[Any] | None, rows: int, width: int) -> NDArray[Any]:
    """[rows, width] one-hot of ``labels``; an IGNORE (unreachable) label, or none at all,
    leaves its row at zero, so that head gives its event nothing to put on the receipt."""
    out = np.zeros((rows, width))
    for row, label in enumerate(labels if labels is not None else []):
        if label != IGNORE and 0 <= int(label) < width:
            out[row, int(label)] = 1.0
    return out


def event_oracle_decode(f: VisitFeatures) -> VisitScore:
    """The decode when every event head is sure of its truth label (no reach inputs:
    what the weight events alone can carry)."""
    n_e, n_t = len(f.events), len(f.track_ids)
    slots = f.pq.shape[1] * MAX_QUANTITY if n_e else 0
    action = _one_hot(f.y_action, n_e, len(ACTIONS))
    pq = _one_hot(f.y_pq, n_e, slots)
    track = _one_hot(f.y_track, n_e, max(n_t, 1))
    return decode(f, action, pq, track)


def event_oracle_receipt(f: VisitFeatures) -> dict[str, int]:
    """The receipt of ``event_oracle_decode``."""
    return event_oracle_decode(f).receipt


def detector_impossible(data: Dataset) -> list[bool]:
    """Per visit, whether perfect event heads still miss its true receipt."""
    return [event_oracle_receipt(f) != truth for f, truth in zip(data.features, data.receipts, strict=True)]


def impossible_figures(impossible: NDArray[Any], correct: NDArray[Any], auto_issued: NDArray[Any]) -> dict[str, int]:
    """How a scorer fares on the detector-impossible visits: right (by luck or vision),
    auto-issued by its threshold, and auto-issued wrong (the errors no retraining of the
    event heads can remove). Takes ``evaluate``'s ``correct`` and the threshold decision
    as given, so these figures count exactly what its metrics count."""
    impossible = np.asarray(impossible, dtype=bool)
    correct = np.asarray(correct, dtype=bool)
    auto = np.asarray(auto_issued, dtype=bool) & impossible
    return {
        "impossible_right": int((impossible & correct).sum()),
        "impossible_auto_issued": int(auto.sum()),
        "impossible_auto_issued_wrong": int((auto & ~correct).sum()),
    }
