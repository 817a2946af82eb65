"""Label Studio interop without a server: the config we generate, reading results back,
media-link windows, and the token kept encrypted."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from annotation.labelstudio.config import labelling_config
from annotation.labelstudio.models import Connection
from annotation.labelstudio.results import labels_from_result
from annotation.labelstudio.secrets import secret_decrypt, secret_encrypt
from annotation.labelstudio.sync import links_expiry
from tests.annotation.conftest import RIGHT
from tests.annotation.labelstudio_people import result_items

AUTO = {e["seq"]: e for e in RIGHT}


@pytest.mark.parametrize("views", [1, 2, 4])
def test_the_config_syncs_every_view_and_the_weight_trace_of_an_interaction(views: int) -> None:
    root = ET.fromstring(labelling_config(views=views, fps=15))
    repeater = root.find("Repeater")
    assert repeater is not None and repeater.get("on") == "$events"
    videos = repeater.findall(".//Video")
    assert len(videos) == views
    assert {v.get("sync") for v in videos} == {"event_{{idx}}"} and {v.get("frameRate") for v in videos} == {"15"}
    (trace,) = repeater.findall(".//TimeSeries")
    assert trace.get("sync") == "event_{{idx}}" and trace.get("timeColumn") == "t"
    controls = {c.get("name") for c in repeater.iter() if c.get("toName")}
    assert controls == {f"{k}_{{{{idx}}}}" for k in ("action", "quantity", "shopper", "product", "other_sku")}
    actions = [c.get("alias") for c in repeater.find(".//Choices[@name='action_{{idx}}']") or []]
    assert actions == ["pick", "put_back", "restock", "noise"]


def test_a_store_without_cameras_has_no_config() -> None:
    with pytest.raises(ValueError):
        labelling_config(views=0, fps=15)


def test_a_result_reads_back_as_our_labels_with_what_was_accepted() -> None:
    changed = [dict(e) for e in RIGHT]
    changed[1]["quantity"] = 3
    events, errors = labels_from_result(
        result_items(changed, [["AIM3S-002"]] * 3), seqs=[0, 1, 2], auto=AUTO
    )
    assert errors == {}
    assert [(e["action"], e["sku"], e["quantity"], e["track_id"], e["accepted"]) for e in events] == [
        ("pick", "AIM3S-002", 1, 1, True), ("pick", "AIM3S-002", 3, 1, False), ("put_back", "AIM3S-002", 1, 1, True),
    ]


def test_a_typed_sku_wins_over_the_chosen_candidate() -> None:
    items = result_items(RIGHT, [["AIM3S-002"]] * 3)
    typed = {"from_name": "other_sku_0", "to_name": "view1_0", "type": "textarea", "value": {"text": ["AIM3S-009"]}}
    items.append(typed)
    events, errors = labels_from_result(items, seqs=[0, 1, 2], auto=AUTO)
    assert not errors and events[0]["sku"] == "AIM3S-009" and events[0]["accepted"] is False


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda items: [i for i in items if i["from_name"] != "action_1"], "events[1].action"),
        (lambda items: [*items, {"from_name": "mood_0", "value": {}}], "result"),
        (lambda items: [*items, {"from_name": "action_7", "value": {"choices": ["pick"]}}], "result"),
        (lambda items: [{**i, "value": {"choices": ["dance"]}} if i["from_name"] == "action_0" else i
                        for i in items], "events[0].action"),
        (lambda items: [{**i, "value": {"choices": ["x"]}} if i["from_name"] == "shopper_2" else i
                        for i in items], "events[2].shopper"),
        (lambda items: [{**i, "value": {"number": "two"}} if i["from_name"] == "quantity_0" else i
                        for i in items], "events[0].quantity"),
    ],
    ids=["missing-action", "foreign-control", "event-out-of-range", "unknown-action", "bad-shopper", "bad-quantity"],
)
def test_a_result_that_cannot_be_read_names_the_field(mutate: Any, field: str) -> None:
    items = mutate(result_items(RIGHT, [["AIM3S-002"]] * 3))
    _, errors = labels_from_result(items, seqs=[0, 1, 2], auto=AUTO)
    assert field in errors


def test_media_links_sent_within_a_window_are_the_same_and_live_half_a_lifetime() -> None:
    connection = Connection(media_link_hours=48)
    t = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
    first = links_expiry(connection, t)
    assert links_expiry(connection, t + timedelta(hours=5)) == first
    for hours in range(0, 96, 7):
        now = t + timedelta(hours=hours)
        assert links_expiry(connection, now) - now >= timedelta(hours=24)


def test_the_token_is_stored_encrypted_and_never_in_a_repr(settings: Any) -> None:
    connection = Connection(name="acme", url="http://ls.internal:8080")
    connection.token = "s3cret-token-value"
    assert "s3cret" not in connection.token_encrypted and connection.token == "s3cret-token-value"
    assert "s3cret" not in repr(connection) and "s3cret" not in str(connection)
    stored = secret_encrypt("abc")
    settings.SECRET_KEY = "another-key-" * 5
    with pytest.raises(ImproperlyConfigured, match="enter the token again"):
        secret_decrypt(stored)


def test_the_weight_trace_starts_at_the_clips_first_frame_and_its_times_rise() -> None:
    from types import SimpleNamespace

    from annotation.labelstudio.payload import _trace_in_clip

    grams = [100.0] * 120 + [0.0] * 120
    streams = {"hz": 60.0, "t0": 0.0, "S1P1": grams}
    event = SimpleNamespace(plate=SimpleNamespace(code="S1P1"), t_start=2.0, t_end=2.2, delta_g=-100.0)
    trace = _trace_in_clip(streams, event, 0.5043, 3.5)  # type: ignore[arg-type]
    assert trace["t"][0] == 0.0 and all(b > a for a, b in zip(trace["t"], trace["t"][1:]))
    assert trace["g"][0] == 100.0 and trace["g"][-1] == 0.0 and trace["t"][-1] <= 3.0
