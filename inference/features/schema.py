"""The column schema: every feature column the model reads has a name and a group.

Each token kind (weight event, vision event, track) and each pair kind (event x product
candidate x quantity, event x track) is a ``TokenSchema``: named feature groups, each
with named columns. A column's offset in its tensor is its position in the schema, so
code reads ``f.events[:, EVENT_TOKEN["noise"]]`` rather than ``f.events[:, 3]``, and the
featuriser writes a group only by naming every one of its columns.

The order of groups and columns is the tensor layout trained weights were fitted to:
new columns go at the end of a schema, together with a bump of
``inference.scoring.FEATURE_VERSION``; never reorder. The product pairs' last group,
``two_hands``, is read only by a ``vision_items`` network (``REACH_FEATURE_VERSION``).

A new kind of input is a new tensor with its own schemas instead: the unexplained
reaches (``REACH_TOKEN``, ``REACH_PRODUCT``, ``REACH_TRACK``) are hand-in-shelf
detections no weight event explains. Only a network built with
``NetConfig.vision_items`` reads them, so weights fitted without them keep reading
exactly the tensors they were fitted to and the feature version stays.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from numpy.typing import NDArray

# The candidate axes of the pair tensors.
MAX_PRODUCTS = 12  # K: product candidates per event
MAX_QUANTITY = 6  # Q: quantities 1..Q per product candidate
MAX_TRACKS = 10  # T: track candidates per visit

# A group's values by column name: scalars, or arrays over the rows being written.
Columns = Mapping[str, Any]


@dataclass(frozen=True)
class FeatureGroup:
    """Columns that one small function of the featuriser computes together."""

    name: str
    columns: tuple[str, ...]
    about: str


class TokenSchema:
    """The named, grouped columns of one feature tensor (the last axis of ``array``)."""

    def __init__(self, array: str, groups: tuple[FeatureGroup, ...]) -> None:
        self.array = array  # the VisitFeatures field this schema describes
        self.groups = groups
        self.columns = tuple(c for g in groups for c in g.columns)
        self.width = len(self.columns)
        self._offset = {c: i for i, c in enumerate(self.columns)}
        self._group = {g.name: g for g in groups}
        if len(self._offset) != self.width or len(self._group) != len(groups):
            raise ValueError(f"{array}: column and group names must be unique")
        self._plan = {g.name: (frozenset(g.columns), [(c, self._offset[c]) for c in g.columns]) for g in groups}

    def __getitem__(self, column: str) -> int:
        """The offset of ``column`` in the tensor's last axis."""
        return self._offset[column]

    def group(self, name: str) -> FeatureGroup:
        return self._group[name]

    def span(self, group: str) -> slice:
        """The contiguous columns of ``group``."""
        columns = self._group[group].columns
        return slice(self._offset[columns[0]], self._offset[columns[-1]] + 1)

    def write(self, out: NDArray[Any], group: str, values: Columns) -> None:
        """Write one group's values (scalars, or arrays over the leading axes of ``out``)
        into ``out[..., column]``; ``values`` must name exactly the group's columns."""
        names, offsets = self._plan[group]
        if values.keys() != names:
            raise KeyError(f"{self.array}.{group} has columns {self._group[group].columns}, got {sorted(values)}")
        for column, offset in offsets:
            out[..., offset] = values[column]

    def fill(self, out: NDArray[Any], functions: Mapping[str, Callable[..., Columns]], *inputs: Any) -> None:
        """Write every group into ``out``, in schema order: ``functions[group](*inputs)``
        gives the group's columns."""
        for group in self.groups:
            self.write(out, group.name, functions[group.name](*inputs))


# Where a weight change or a reach happened: the same columns in both tokens.
PLATE = FeatureGroup(
    "plate", ("plate_x", "plate_y", "plate_height", "products_faced"), "where the plate is, what faces it"
)

EVENT_TOKEN = TokenSchema(
    "events",
    (
        FeatureGroup(
            "weight_change",
            ("direction", "log_grams", "duration", "noise"),
            "what the plate's scale measured: +1 weight left, -1 came back; size; seconds; noise",
        ),
        FeatureGroup("timing", ("start",), "when in the visit the change started (share of the visit)"),
        PLATE,
        FeatureGroup(
            "catalogue_fit", ("unit_weight_fit",), "the best candidate's |z| of the weight against whole units"
        ),
        FeatureGroup("hands", ("hands_near", "hand_confidence"), "hand-in-shelf detections at or beside the plate"),
        FeatureGroup(
            "people_near", ("group_within_1m", "others_within_1m"), "payment-group and other people a metre away"
        ),
        FeatureGroup("scale_floor", ("under_10g",), "a change so small it may be the scale's noise"),
        FeatureGroup(
            "vision_fit",
            ("best_view_score", "best_hand_match", "hands_matching"),
            "how well the cameras' hands explain this change (product score, time and place)",
        ),
    ),
)

VISION_TOKEN = TokenSchema(
    "vision",
    (
        FeatureGroup("kind", ("hand_in_shelf", "near_fixture", "occlusion"), "one-hot detection kind"),
        FeatureGroup("detection", ("confidence",), "the detector's confidence"),
        FeatureGroup("timing", ("start", "duration"), "when (share of the visit) and how long"),
        FeatureGroup("place", ("x", "y", "at_plate"), "where in the store, and whether a plate was named"),
        FeatureGroup("product", ("top_score",), "the classifier's best product score"),
        FeatureGroup("shopper", ("group_track",), "the tracker put it on a payment-group shopper"),
    ),
)

TRACK_TOKEN = TokenSchema(
    "tracks",
    (
        FeatureGroup("membership", ("in_group",), "a shopper of the payment group"),
        FeatureGroup("sightings", ("hand_events", "fixture_events"), "how often the cameras saw this person reach"),
        FeatureGroup(
            "identity",
            ("has_floor_track", "group_size", "unseen_person"),
            "a floor path known; the group's size; the slot for a person no camera tracked",
        ),
    ),
)

PRODUCT_PAIR = TokenSchema(
    "pq",
    (
        FeatureGroup(
            "quantity_fit",
            ("weight_z", "weight_z_squared", "quantity", "single_unit"),
            "how q units of the product explain the weight change",
        ),
        FeatureGroup(
            "product",
            ("log_unit_weight", "faced_on_plate", "facing_distance"),
            "the product's weight and where the planogram faces it",
        ),
        FeatureGroup("best_view", ("best_view_score", "top_view_weight"), "the single most convincing camera view"),
        FeatureGroup("history", ("earlier_picks",), "it may have left a shelf earlier in the visit"),
        FeatureGroup(
            "catalogue",
            ("catalogue_fit", "weight_spread"),
            "among the catalogue's best weight fits; unit weight spread",
        ),
        FeatureGroup(
            "pooled_views",
            ("mean_view_score", "view_votes", "views_naming"),
            "evidence pooled over every camera view of the reach",
        ),
        FeatureGroup(
            "two_hands",
            ("pair_z", "group_hand_score", "other_hand_score", "hand_people"),
            "two people's moves merged into one change: q units plus one unit a view named, "
            "and whose hands named the product",
        ),
    ),
)

TRACK_PAIR = TokenSchema(
    "track_pairs",
    (
        FeatureGroup("membership", ("in_group",), "a shopper of the payment group"),
        FeatureGroup("position", ("plate_distance", "located"), "how far from the plate, if anyone knows where"),
        FeatureGroup(
            "tracked_hands",
            ("hand_on_plate", "hand_near_plate", "at_fixture", "hand_time_gap"),
            "what the cameras saw this track id do at the plate",
        ),
        FeatureGroup("rank", ("nearest", "distance_rank", "unseen_person"), "nearest located person; the unseen slot"),
        FeatureGroup(
            "geometry",
            ("x_offset", "hand_reach", "hand_x_offset", "id_drift", "crowding", "hand_match"),
            "distances that still hold when the tracker swaps ids",
        ),
    ),
)

REACH_TOKEN = TokenSchema(
    "reaches",
    (
        FeatureGroup(
            "views",
            ("views", "mean_confidence", "max_confidence", "plate_agreement"),
            "how many cameras saw the reach, how surely, and whether they agree on the plate",
        ),
        FeatureGroup("timing", ("start", "duration"), "when (share of the visit) and how long"),
        PLATE,
        FeatureGroup(
            "scale",
            ("event_gap", "event_log_grams", "event_fit", "fixture_events", "top_unit_weight"),
            "the nearest weight change on the plate or beside it: how far in time, how large, how well "
            "whole units of the likeliest product explain it; changes on the fixture around then; how "
            "light the likeliest product is (light ones go unseen)",
        ),
        FeatureGroup("product", ("top_score", "top_margin"), "the views' pooled best product score and its lead"),
        FeatureGroup(
            "shopper",
            ("group_track", "group_within_1m", "others_within_1m"),
            "the tracker put the hand on a payment-group shopper; people a metre away",
        ),
    ),
)

REACH_PRODUCT = TokenSchema(
    "reach_pq",
    (
        FeatureGroup(
            "views",
            ("mean_view_score", "best_view_score", "view_votes", "views_naming"),
            "what the camera views of the reach say of this product",
        ),
        FeatureGroup("planogram", ("faced_on_plate", "facing_distance"), "where the planogram faces it"),
        FeatureGroup("weight", ("log_unit_weight", "weight_spread"), "how heavy one unit is, and how variable"),
    ),
)

REACH_TRACK = TokenSchema(
    "reach_track_pairs",
    (
        FeatureGroup("membership", ("in_group",), "a shopper of the payment group"),
        FeatureGroup("position", ("hand_distance", "located"), "how far from the hand, if anyone knows where"),
        FeatureGroup("tracked_hand", ("views_with_id",), "share of the reach's views the tracker gave this id"),
        FeatureGroup("rank", ("nearest", "unseen_person"), "nearest located person; the unseen slot"),
    ),
)

SCHEMAS = (EVENT_TOKEN, VISION_TOKEN, TRACK_TOKEN, PRODUCT_PAIR, TRACK_PAIR, REACH_TOKEN, REACH_PRODUCT, REACH_TRACK)


def schema_rows() -> list[tuple[str, str, str, int]]:
    """(tensor, group, column, offset) for every column, in tensor order."""
    return [(s.array, g.name, c, s[c]) for s in SCHEMAS for g in s.groups for c in g.columns]
