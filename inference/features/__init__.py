"""Featurising one visit (its ingest payload dict) into the model's tokens.

Tokens: one per weight-change event, one per vision event, one per candidate track.
Beside the tokens, each weight event carries two candidate sets with pair features,
so the heads point at candidates instead of classifying over a fixed catalogue (the
same network then works on a store with other products):

- product x quantity: products faced on or near the plate, the vision classifier's
  top products near the event (pooled over the cameras' views of the reach), the
  catalogue's best weight matches, and (for weight coming back) products that likely
  left a shelf earlier in the visit;
- track: the payment group's shoppers and any other track the cameras saw.

Beside them, the unexplained reaches (``reaches``): hands the cameras saw in a shelf
that no weight event explains, one token per reach with its own product and track
candidates, for a network that puts items on the receipt from vision.


Every column of every tensor has a name, a group and an offset in ``schema``; print
them with ``python manage.py feature_schema``. The package reads in pipeline order:
``scene`` measures the visit and each weight event, ``events``, ``products``,
``tracks`` and ``vision`` turn the measures into their schema's columns (one function
per feature group), ``reaches`` finds and measures the unexplained reaches,
``visit.featurize`` puts them together and ``labels`` adds the training targets.

Everything is computed from the payload dict, so training reads the simulator's
payloads directly and scoring rebuilds the same dict from stored rows
(``inference.selectors.visit_payloads``). Nothing here depends on dict key order.
"""

from __future__ import annotations

from inference.features.labels import (
    ACTIONS,
    IGNORE,
    NOISE,
    PICK,
    PUT_BACK,
    REACH_ACTIONS,
    REACH_NONE,
    REACH_PICK,
    REACH_PUT_BACK,
    RESTOCK,
)
from inference.features.matching import TIME_SLACK_S
from inference.features.scene import UNKNOWN_DISTANCE_M, UNSEEN_TRACK
from inference.features.schema import (
    EVENT_TOKEN,
    MAX_PRODUCTS,
    MAX_QUANTITY,
    MAX_TRACKS,
    PRODUCT_PAIR,
    REACH_PRODUCT,
    REACH_TOKEN,
    REACH_TRACK,
    SCHEMAS,
    TRACK_PAIR,
    TRACK_TOKEN,
    VISION_TOKEN,
    FeatureGroup,
    TokenSchema,
)
from inference.features.vision import VISION_KINDS
from inference.features.visit import VisitFeatures, featurize

__all__ = [
    "ACTIONS",
    "EVENT_TOKEN",
    "IGNORE",
    "MAX_PRODUCTS",
    "MAX_QUANTITY",
    "MAX_TRACKS",
    "NOISE",
    "PICK",
    "PRODUCT_PAIR",
    "PUT_BACK",
    "REACH_ACTIONS",
    "REACH_NONE",
    "REACH_PICK",
    "REACH_PRODUCT",
    "REACH_PUT_BACK",
    "REACH_TOKEN",
    "REACH_TRACK",
    "RESTOCK",
    "SCHEMAS",
    "TIME_SLACK_S",
    "TRACK_PAIR",
    "TRACK_TOKEN",
    "UNKNOWN_DISTANCE_M",
    "UNSEEN_TRACK",
    "VISION_KINDS",
    "VISION_TOKEN",
    "FeatureGroup",
    "TokenSchema",
    "VisitFeatures",
    "featurize",
]
