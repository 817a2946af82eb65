"""The shape of a visit as store systems post it to ``POST /api/v1/visits/``.

These serializers check types, required fields and ranges that need no database.
What needs the store's data (plates, products, the key's store) is checked by
``jwo_review.store.services.ingest``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework import serializers


def _max_weight() -> float:
    return float(settings.JWO_MAX_ABS_WEIGHT_G)


class ShopperInSerializer(serializers.Serializer[Any]):
    track_id = serializers.IntegerField(min_value=0)
    track = serializers.ListField(
        child=serializers.ListField(child=serializers.FloatField(), min_length=3, max_length=3),
        required=False,
        default=list,
        max_length=20000,
        help_text="[[t_s, x_m, y_m], ...] positions of the shopper over the visit.",
    )


class WeightEventInSerializer(serializers.Serializer[Any]):
    plate = serializers.CharField(max_length=40, help_text="Plate code, e.g. S5P3.")
    t_start = serializers.FloatField(help_text="Seconds since entered_at.")
    t_end = serializers.FloatField()
    delta_g = serializers.FloatField(help_text="Weight change in grams; negative when weight left the plate.")
    noise_g = serializers.FloatField(default=0.0, min_value=0.0, max_value=1000.0)

    def validate_delta_g(self, value: float) -> float:
        if value == 0 or abs(value) > _max_weight():
            raise serializers.ValidationError(
                f"A weight change must be non-zero and at most {_max_weight():.0f} g in size."
            )
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["t_end"] < attrs["t_start"]:
            raise serializers.ValidationError({"t_end": "t_end is before t_start."})
        return attrs


class VisionEventInSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=["hand_in_shelf", "near_fixture", "occlusion"])
    track_id = serializers.IntegerField(min_value=0, required=False, allow_null=True, default=None)
    t = serializers.FloatField(help_text="Seconds since entered_at.")
    t_end = serializers.FloatField(required=False, allow_null=True, default=None)
    fixture = serializers.CharField(max_length=40, required=False, allow_null=True, default=None)
    plate = serializers.CharField(max_length=40, required=False, allow_null=True, default=None)
    camera = serializers.CharField(max_length=40, required=False, allow_null=True, default=None)
    x_m = serializers.FloatField(required=False, allow_null=True, default=None)
    y_m = serializers.FloatField(required=False, allow_null=True, default=None)
    confidence = serializers.FloatField(min_value=0.0, max_value=1.0, default=1.0)
    product_scores = serializers.DictField(
        child=serializers.FloatField(min_value=0.0, max_value=1.0), required=False, default=dict
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["t_end"] is not None and attrs["t_end"] < attrs["t"]:
            raise serializers.ValidationError({"t_end": "t_end is before t."})
        if attrs["kind"] == "hand_in_shelf" and not attrs["plate"] and not attrs["fixture"]:
            raise serializers.ValidationError({"plate": "A hand-in-shelf event names its plate or fixture."})
        return attrs


class PlateStreamsInSerializer(serializers.Serializer[Any]):
    hz = serializers.FloatField(min_value=1.0, max_value=1000.0)
    t0 = serializers.FloatField(default=0.0)
    plates = serializers.DictField(
        child=serializers.CharField(max_length=2_000_000),
        help_text="{plate code: base64 of little-endian float32 grams}",
    )


class VisitInSerializer(serializers.Serializer[Any]):
    client_visit_id = serializers.RegexField(r"^[A-Za-z0-9._:-]{1,64}$", help_text="Your id; posting it again is safe.")
    store = serializers.SlugField(max_length=40)
    visit_code = serializers.RegexField(r"^[A-Za-z0-9-]{4,16}$")
    entered_at = serializers.DateTimeField()
    exited_at = serializers.DateTimeField()
    # many=True serializers take min_length/max_length at run time; the stubs do not know it.
    shoppers = ShopperInSerializer(many=True, min_length=1, max_length=8)  # type: ignore[call-arg]
    weight_events = WeightEventInSerializer(many=True, max_length=2000)  # type: ignore[call-arg]
    vision_events = VisionEventInSerializer(  # type: ignore[call-arg]
        many=True, required=False, default=list, max_length=5000
    )
    plate_streams = PlateStreamsInSerializer(required=False, allow_null=True, default=None)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        duration = (attrs["exited_at"] - attrs["entered_at"]).total_seconds()
        if duration <= 0:
            raise serializers.ValidationError({"exited_at": "exited_at must be after entered_at."})
        if duration > 4 * 3600:
            raise serializers.ValidationError({"exited_at": "A visit lasts at most 4 hours."})
        tracks = [s["track_id"] for s in attrs["shoppers"]]
        if len(set(tracks)) != len(tracks):
            raise serializers.ValidationError({"shoppers": "Each shopper of a group has its own track_id."})
        errors: dict[str, list[str]] = {}
        for kind, key_start, key_end in (("weight_events", "t_start", "t_end"), ("vision_events", "t", "t_end")):
            for i, event in enumerate(attrs[kind]):
                for key in (key_start, key_end):
                    value = event.get(key)
                    if value is not None and not (0.0 <= value <= duration):
                        errors.setdefault(f"{kind}[{i}].{key}", []).append(
                            f"{value:.2f} s is outside the visit (0 to {duration:.2f} s)."
                        )
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class VisitIngestResultSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    client_visit_id = serializers.CharField()
    status = serializers.CharField()
    created = serializers.BooleanField(help_text="False when this visit was already stored.")


class VisitBatchInSerializer(serializers.Serializer[Any]):
    visits = VisitInSerializer(many=True)


class VisitBatchResultSerializer(serializers.Serializer[Any]):
    results = VisitIngestResultSerializer(many=True)
