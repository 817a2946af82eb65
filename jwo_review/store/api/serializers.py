"""Read serializers of the store API."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from jwo_review.store.models import Clip, Receipt, ReceiptLine, Shopper, Visit


class ShopperSerializer(serializers.ModelSerializer[Shopper]):
    class Meta:
        model = Shopper
        fields = ["track_id"]


class VisitSerializer(serializers.ModelSerializer[Visit]):
    store = serializers.CharField(source="store.code", read_only=True)
    shoppers = ShopperSerializer(many=True, read_only=True)
    weight_event_count = serializers.SerializerMethodField()
    vision_event_count = serializers.SerializerMethodField()

    class Meta:
        model = Visit
        fields = [
            "id",
            "client_visit_id",
            "store",
            "visit_code",
            "entered_at",
            "exited_at",
            "status",
            "shoppers",
            "weight_event_count",
            "vision_event_count",
            "created_at",
        ]

    def get_weight_event_count(self, visit: Visit) -> int:
        return int(getattr(visit, "n_weight", 0))

    def get_vision_event_count(self, visit: Visit) -> int:
        return int(getattr(visit, "n_vision", 0))


class ReceiptLineSerializer(serializers.ModelSerializer[ReceiptLine]):
    sku = serializers.CharField(source="product.sku")
    name = serializers.CharField(source="product.name")

    class Meta:
        model = ReceiptLine
        fields = ["sku", "name", "quantity", "unit_price", "shopper_track_id", "confidence"]


class ReceiptSerializer(serializers.ModelSerializer[Receipt]):
    visit = serializers.IntegerField(source="visit_id")
    client_visit_id = serializers.CharField(source="visit.client_visit_id")
    store = serializers.CharField(source="visit.store.code")
    lines = ReceiptLineSerializer(many=True, read_only=True)

    class Meta:
        model = Receipt
        fields = [
            "id",
            "visit",
            "client_visit_id",
            "store",
            "version",
            "source",
            "is_final",
            "total",
            "lines",
            "model_version",
            "created_at",
        ]


def ingest_request_example() -> dict[str, Any]:
    return {
        "client_visit_id": "door2-2026-11-21-000123",
        "store": "aim3s",
        "visit_code": "K7Q2M9",
        "entered_at": "2026-11-21T10:00:00Z",
        "exited_at": "2026-11-21T10:01:30Z",
        "shoppers": [{"track_id": 1}],
        "weight_events": [{"plate": "S5P3", "t_start": 30.1, "t_end": 31.4, "delta_g": -103.2, "noise_g": 1.4}],
        "vision_events": [
            {
                "kind": "hand_in_shelf",
                "track_id": 1,
                "t": 30.0,
                "t_end": 31.5,
                "plate": "S5P3",
                "product_scores": {"AIM3S-002": 0.81, "AIM3S-001": 0.07},
            }
        ],
    }


class ClipRequestSerializer(serializers.Serializer[Any]):
    """One interaction's clips: a weight event's, or a moment's that no scale weighed
    (a reach only the cameras saw, an interaction added from the video)."""

    event = serializers.IntegerField(min_value=0, required=False, help_text="Weight event seq of the visit.")
    t = serializers.FloatField(min_value=0, required=False, help_text="A moment with no weight event.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("event" in attrs) == ("t" in attrs):
            raise serializers.ValidationError({"event": ["Give either event or t."]})
        return attrs


class ClipSerializer(serializers.ModelSerializer[Clip]):
    camera = serializers.CharField(source="camera.code")
    url = serializers.SerializerMethodField()

    class Meta:
        model = Clip
        fields = ["id", "camera", "t_start", "t_end", "status", "fps", "url", "error"]
        read_only_fields = fields

    def get_url(self, clip: Clip) -> str | None:
        return clip.file.url if clip.status == "ready" and clip.file else None


class ClipRenderSerializer(serializers.ModelSerializer[Clip]):
    """A clip's render state without its link: for a visit the caller does not hold yet, whose
    media they may not fetch (rendering ahead makes it ready for whoever claims it)."""

    camera = serializers.CharField(source="camera.code")

    class Meta:
        model = Clip
        fields = ["id", "camera", "t_start", "t_end", "status", "fps", "error"]
        read_only_fields = fields
