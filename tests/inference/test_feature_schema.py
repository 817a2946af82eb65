"""The column schema, and the featuriser's output pinned: trained weights and measured
figures read these tensors."""

from __future__ import annotations

import io

import numpy as np
import pytest
from django.core.management import call_command

from inference.features import (
    EVENT_TOKEN,
    PRODUCT_PAIR,
    REACH_PRODUCT,
    REACH_TOKEN,
    REACH_TRACK,
    SCHEMAS,
    TRACK_PAIR,
    TRACK_TOKEN,
    VISION_TOKEN,
)
from inference.features.events import EVENT_GROUPS
from inference.features.products import PRODUCT_GROUPS
from inference.features.reaches import REACH_GROUPS, REACH_PRODUCT_GROUPS, REACH_TRACK_GROUPS
from inference.features.schema import FeatureGroup, TokenSchema, schema_rows
from inference.features.tracks import TRACK_GROUPS, TRACK_PAIR_GROUPS
from inference.features.vision import VISION_GROUPS
from inference.network import NetConfig, VisitTransformer
from tests.inference.frozen_visits import features_digest, frozen_features, labels_digest

# The inputs every trained model reads, from the frozen visits. A change here means every
# trained model reads different inputs: bump ``inference.scoring.FEATURE_VERSION`` and
# retrain, then update the digest on purpose. (Pinned with the labels from bb123c8, before
# the column schema; split from them, unchanged, when merged neighbouring-plate moves
# began to train on the group's share.)
FROZEN_DIGEST = "e025ee26320dc601dba8804acbc7007d87e903b2b21ac3d0e3a12258d026e5ab"
# The same with the product pairs' two_hands columns (reach feature version 2).
TWO_HANDS_DIGEST = "23e6f9f48f13d9c883f95739ff905be729fff592fc22c3237af22934a1f7ce77"
# The training targets: a change here changes what a retrain learns, not what a trained
# model reads.
LABELS_DIGEST = "8941ff7e248d03d3f6632110b0252909d41c8f19979e9477baa31f557d4ce51e"

# The widths of the tensors (a network without vision items reads pq's first 15), and the reach tensors
# only a vision_items network reads.
WIDTHS = {"events": 18, "vision": 11, "tracks": 6, "pq": 19, "track_pairs": 16}
REACH_WIDTHS = {"reaches": 20, "reach_pq": 8, "reach_track_pairs": 6}


def test_featurised_tensors_of_frozen_visits_are_bit_identical() -> None:
    features = frozen_features()
    assert len(features) == 36 and sum(len(f.events) for f in features) == 118
    # Every column a network without vision items reads is what it always was ...
    assert features_digest(features, pq_width=PRODUCT_PAIR.span("two_hands").start) == FROZEN_DIGEST
    # ... and the two-hands columns a vision_items network reads are pinned too.
    assert features_digest(features) == TWO_HANDS_DIGEST
    assert labels_digest(features) == LABELS_DIGEST


@pytest.mark.parametrize("schema", SCHEMAS, ids=lambda s: s.array)
def test_column_and_group_names_are_unique_within_a_tensor(schema: TokenSchema) -> None:
    assert len(set(schema.columns)) == len(schema.columns)
    assert len({g.name for g in schema.groups}) == len(schema.groups)


def test_a_schema_with_a_repeated_column_is_refused() -> None:
    groups = (FeatureGroup("a", ("x", "y"), ""), FeatureGroup("b", ("y",), ""))
    with pytest.raises(ValueError, match="unique"):
        TokenSchema("events", groups)


@pytest.mark.parametrize("schema", SCHEMAS, ids=lambda s: s.array)
def test_groups_tile_the_tensor_in_schema_order(schema: TokenSchema) -> None:
    assert [schema[c] for c in schema.columns] == list(range(schema.width))
    start = 0
    for group in schema.groups:
        span = schema.span(group.name)
        assert (span.start, span.stop) == (start, start + len(group.columns))
        start = span.stop
    assert start == schema.width == {**WIDTHS, **REACH_WIDTHS}[schema.array]


def test_widths_are_what_the_network_and_the_featuriser_use() -> None:
    net = VisitTransformer(NetConfig(d_model=8, layers=1, heads=2, ff=8, pair_hidden=8))
    assert net.embed_event.in_features == EVENT_TOKEN.width
    assert net.embed_vision.in_features == VISION_TOKEN.width
    assert net.embed_track.in_features == TRACK_TOKEN.width
    # Without vision items the product pairs stop before the two-hands columns (15 wide, as
    # weights saved before them were fitted to); with them the network reads all of them.
    assert net.pq_pair[0].in_features == PRODUCT_PAIR.span("two_hands").start == 15
    assert net.tr_pair[0].in_features == TRACK_PAIR.width
    assert net.reach_heads is None
    vision_net = VisitTransformer(NetConfig(d_model=8, layers=1, heads=2, ff=8, pair_hidden=8, vision_items=True))
    assert vision_net.pq_pair[0].in_features == PRODUCT_PAIR.width
    heads = vision_net.reach_heads
    assert heads is not None
    assert heads.embed_reach.in_features == REACH_TOKEN.width
    assert heads.pq_pair[0].in_features == REACH_PRODUCT.width
    assert heads.tr_pair[0].in_features == REACH_TRACK.width
    f = frozen_features()[0]
    assert all(getattr(f, s.array).shape[-1] == s.width for s in SCHEMAS)


@pytest.mark.parametrize(
    ("schema", "functions"),
    [
        (EVENT_TOKEN, EVENT_GROUPS),
        (VISION_TOKEN, VISION_GROUPS),
        (TRACK_TOKEN, TRACK_GROUPS),
        (PRODUCT_PAIR, PRODUCT_GROUPS),
        (TRACK_PAIR, TRACK_PAIR_GROUPS),
        (REACH_TOKEN, REACH_GROUPS),
        (REACH_PRODUCT, REACH_PRODUCT_GROUPS),
        (REACH_TRACK, REACH_TRACK_GROUPS),
    ],
    ids=lambda x: x.array if isinstance(x, TokenSchema) else "",
)
def test_every_group_has_one_column_function(schema: TokenSchema, functions: dict[str, object]) -> None:
    assert list(functions) == [g.name for g in schema.groups]


def test_a_group_is_written_only_by_naming_all_its_columns() -> None:
    row = np.zeros(EVENT_TOKEN.width, dtype=np.float32)
    with pytest.raises(KeyError, match="weight_change"):
        EVENT_TOKEN.write(row, "weight_change", {"direction": 1.0, "log_grams": 0.5})
    EVENT_TOKEN.write(row, "timing", {"start": 0.25})
    assert row[EVENT_TOKEN["start"]] == 0.25 and row.sum() == 0.25


def test_feature_schema_command_lists_every_column_with_its_offset() -> None:
    out = io.StringIO()
    call_command("feature_schema", stdout=out)
    lines = out.getvalue().splitlines()
    rows = [tuple(line.split()) for line in lines[1:-1]]
    assert rows == [(t, g, c, str(o)) for t, g, c, o in schema_rows()]
    assert len(rows) == sum(WIDTHS.values()) + sum(REACH_WIDTHS.values())
    assert lines[-1] == (
        "widths: events 18, vision 11, tracks 6, pq 19, track_pairs 16, reaches 20, reach_pq 8, reach_track_pairs 6"
    )
