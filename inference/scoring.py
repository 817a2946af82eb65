"""Scorers: featurised visits in, receipts with calibrated confidence out (no database).

``TransformerScorer`` runs the network in batches; ``BaselineScorer`` runs the rules.
Both decode through ``inference.decode`` and calibrate with their own Platt scaling, so
evaluation, benchmarks and the scoring task treat them alike.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn

from inference.calibration import PlattScaling
from inference.decode import VisitScore, baseline_probs, decode
from inference.features import VisitFeatures
from inference.network import (
    NetConfig,
    Probs,
    VisitEnsemble,
    VisitModel,
    VisitTransformer,
    collate,
    networks_of,
    predict_reach_probs,
)

FEATURE_VERSION = 2
# The reach tensors (``REACH_TOKEN``, ``REACH_PRODUCT``, ``REACH_TRACK``) and the product
# pairs' ``two_hands`` columns, which only a ``vision_items`` network reads, have a layout of
# their own; bump this with any change to them (2: the two_hands columns).
REACH_FEATURE_VERSION = 2


class Scorer(Protocol):
    kind: str
    platt: PlattScaling

    def score(self, features: Sequence[VisitFeatures]) -> list[VisitScore]: ...


class TransformerScorer:
    kind = "transformer"

    def __init__(self, model: nn.Module, platt: PlattScaling | None = None, *, batch_size: int = 256) -> None:
        self.model = model.eval()
        self.platt = platt or PlattScaling()
        self.batch_size = batch_size

    @property
    def vision_items(self) -> bool:
        """The network reads unexplained reaches and may add items from vision."""
        config = getattr(self.model, "config", None)
        return bool(getattr(config, "vision_items", False))

    def predictions(self, features: Sequence[VisitFeatures]) -> list[tuple[Probs, tuple[NDArray[Any], ...] | None]]:
        """Per visit, the event heads' probabilities and (``vision_items``) the reach heads'."""
        # Similar sizes share a batch so padding stays small.
        order = sorted(range(len(features)), key=lambda i: len(features[i].events))
        results: dict[int, tuple[Probs, tuple[NDArray[Any], ...] | None]] = {}
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            batch = collate([features[i] for i in idx], reaches=self.vision_items)
            (action, pq, track), reach = predict_reach_probs(self.model, batch)
            for row, i in enumerate(idx):
                results[i] = (
                    (action[row], pq[row], track[row]),
                    None if reach is None else tuple(x[row] for x in reach),
                )
        return [results[i] for i in range(len(features))]

    def probabilities(self, features: Sequence[VisitFeatures]) -> list[Probs]:
        """Per visit, the event heads' probabilities (action, product x quantity, track)."""
        return [events for events, _ in self.predictions(features)]

    def score(self, features: Sequence[VisitFeatures]) -> list[VisitScore]:
        scores = [decode(f, *events, reach=reach) for f, (events, reach) in zip(features, self.predictions(features))]
        return _calibrate(scores, self.platt)


class BaselineScorer:
    kind = "rules"

    def __init__(self, platt: PlattScaling | None = None) -> None:
        self.platt = platt or PlattScaling()

    def score(self, features: Sequence[VisitFeatures]) -> list[VisitScore]:
        return _calibrate([decode(f, *baseline_probs(f)) for f in features], self.platt)


def _calibrate(scores: list[VisitScore], platt: PlattScaling) -> list[VisitScore]:
    if scores:
        calibrated = platt(np.array([s.raw_confidence for s in scores]), np.array([s.summary for s in scores]))
        for s, c in zip(scores, calibrated):
            s.confidence = float(c)
    return scores


def pick_device() -> torch.device:
    """Train on a GPU when one is present; the same code runs on the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def model_to_bytes(model: VisitModel) -> bytes:
    """The weights and config as one file; an ensemble saves each member's weights
    (``members``), one network its own (``state_dict``), as before ensembles existed."""
    buffer = io.BytesIO()
    states = [{k: v.detach().cpu() for k, v in net.state_dict().items()} for net in networks_of(model)]
    blob: dict[str, Any] = {"config": model.config.as_dict(), "feature_version": FEATURE_VERSION}
    if isinstance(model, VisitEnsemble):
        blob["members"] = states
    else:
        blob["state_dict"] = states[0]
    if model.config.vision_items:
        blob["reach_feature_version"] = REACH_FEATURE_VERSION
    torch.save(blob, buffer)
    return buffer.getvalue()


def model_from_bytes(data: bytes) -> VisitModel:
    blob: dict[str, Any] = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    if blob.get("feature_version") != FEATURE_VERSION:
        raise ValueError(
            f"Weights use feature version {blob.get('feature_version')}; this code reads {FEATURE_VERSION}."
        )
    config = NetConfig(**blob["config"])
    if config.vision_items and blob.get("reach_feature_version") != REACH_FEATURE_VERSION:
        raise ValueError(
            f"Weights read reach features version {blob.get('reach_feature_version')}; "
            f"this code writes {REACH_FEATURE_VERSION}. Retrain with `manage.py train_model --vision-items`."
        )
    nets = []
    for state in blob["members"] if "members" in blob else [blob["state_dict"]]:
        net = VisitTransformer(config)
        net.load_state_dict(state)
        nets.append(net.eval())
    return VisitEnsemble(nets).eval() if "members" in blob else nets[0]


def quantize_int8(model: nn.Module) -> nn.Module:
    """Dynamic int8 quantisation of the linear layers (the edge build)."""
    from torch.ao.quantization import quantize_dynamic

    quantized: nn.Module = quantize_dynamic(model.eval(), {nn.Linear}, dtype=torch.qint8)  # type: ignore[no-untyped-call]
    return quantized
