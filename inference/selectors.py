"""Reads for the model: the active version, a stored visit back in payload form, and a
store's context from its active planogram."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Prefetch, QuerySet

from inference.context import StoreContext, context_from_spec
from inference.models import ModelStatus, ModelVersion, Prediction
from jwo_review.store.models import Facing, Planogram, Plate, Product, Shopper, Store, VisionEvent, Visit, WeightEvent


def active_model() -> ModelVersion | None:
    return ModelVersion.objects.filter(status=ModelStatus.ACTIVE).first()


def model_versions() -> QuerySet[ModelVersion]:
    return ModelVersion.objects.select_related("created_by", "activated_by").order_by("-created_at", "-id")


def visits_for_scoring(visit_ids: Iterable[int]) -> QuerySet[Visit]:
    """Visits with everything featurisation reads, in three queries per relation."""
    return (
        Visit.objects.filter(pk__in=list(visit_ids))
        .select_related("store")
        .prefetch_related(
            Prefetch("shoppers", queryset=Shopper.objects.order_by("track_id")),
            Prefetch("weight_events", queryset=WeightEvent.objects.select_related("plate").order_by("seq")),
            Prefetch(
                "vision_events",
                queryset=VisionEvent.objects.select_related("plate", "fixture", "camera").order_by("seq"),
            ),
        )
        .order_by("pk")
    )


def visit_payload(visit: Visit) -> dict[str, Any]:
    """The stored visit as the ingest payload dict featurisation reads (from prefetched rows)."""
    return {
        "client_visit_id": visit.client_visit_id,
        "store": visit.store.code,
        "visit_code": visit.visit_code,
        "entered_at": visit.entered_at.isoformat(),
        "exited_at": visit.exited_at.isoformat(),
        "shoppers": [{"track_id": s.track_id, "track": s.track} for s in visit.shoppers.all()],
        "weight_events": [
            {"plate": e.plate.code, "t_start": e.t_start, "t_end": e.t_end, "delta_g": e.delta_g, "noise_g": e.noise_g}
            for e in visit.weight_events.all()
        ],
        "vision_events": [
            {
                "kind": v.kind,
                "track_id": v.track_id,
                "t": v.t,
                "t_end": v.t_end,
                "fixture": v.fixture.code if v.fixture else None,
                "plate": v.plate.code if v.plate else None,
                "camera": v.camera.code if v.camera else None,
                "x_m": v.x_m,
                "y_m": v.y_m,
                "confidence": v.confidence,
                "product_scores": v.product_scores,
            }
            for v in visit.vision_events.all()
        ],
        "plate_streams": None,
    }


_contexts: dict[tuple[int, int | None], StoreContext] = {}


def store_context(store: Store) -> StoreContext:
    """The store's context under its active planogram (cached per process and planogram)."""
    planogram_id = Planogram.objects.filter(store=store, is_active=True).values_list("pk", flat=True).first()
    key = (store.pk, planogram_id)
    if key not in _contexts:
        _contexts[key] = context_from_spec(store_spec_from_db(store, planogram_id))
    return _contexts[key]


def store_spec_from_db(store: Store, planogram_id: int | None) -> dict[str, Any]:
    """The parts of a store spec the model reads, rebuilt from rows."""
    fixtures: dict[str, dict[str, Any]] = {}
    for plate in Plate.objects.filter(store=store).select_related("shelf__fixture").order_by("code"):
        fixture = plate.shelf.fixture
        f = fixtures.setdefault(fixture.code, {"code": fixture.code, "shelves": {}})
        shelf = f["shelves"].setdefault(
            plate.shelf.number, {"number": plate.shelf.number, "height_m": plate.shelf.height_m, "plates": []}
        )
        shelf["plates"].append({"code": plate.code, "x_m": plate.x_m, "y_m": plate.y_m})
    facings = (
        list(Facing.objects.filter(planogram_id=planogram_id).values_list("product__sku", "plate__code"))
        if planogram_id is not None
        else []
    )
    skus = {sku for sku, _ in facings}
    products = [
        {"sku": p.sku, "unit_weight_g": p.unit_weight_g, "unit_weight_std_g": p.unit_weight_std_g, "family": p.family}
        for p in Product.objects.filter(sku__in=skus)
    ]
    return {
        "code": store.code,
        "fixtures": [{**f, "shelves": list(f["shelves"].values())} for f in fixtures.values()],
        "products": products,
        "facings": [{"sku": sku, "plate": plate} for sku, plate in facings],
    }


def predictions_for(visit_ids: Iterable[int], model_version: ModelVersion) -> QuerySet[Prediction]:
    return Prediction.objects.filter(visit_id__in=list(visit_ids), model_version=model_version)
