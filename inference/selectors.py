"""Reads for the model: the active version, a stored visit back in payload form, and a
store's context from its active planogram."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import FloatField, QuerySet
from django.db.models.fields.json import KT
from django.db.models.functions import Cast

from inference.context import StoreContext, context_from_spec
from inference.models import ModelStatus, ModelVersion, Prediction, StoreModel
from jwo_review.store.models import Facing, Planogram, Plate, Product, Shopper, Store, VisionEvent, Visit, WeightEvent


def active_model() -> ModelVersion | None:
    """The active version, without its calibration record until something reads it (the
    scorer and the thresholds are cached per process, so that is once per version)."""
    return ModelVersion.objects.filter(status=ModelStatus.ACTIVE).defer("calibration").first()


def model_for_store(store_id: int) -> ModelVersion | None:
    """The version that scores the store's visits: its own promoted one, else the active one."""
    own = (
        StoreModel.objects.filter(store_id=store_id)
        .select_related("model_version")
        .defer("model_version__calibration")
        .first()
    )
    return own.model_version if own is not None else active_model()


def model_versions() -> QuerySet[ModelVersion]:
    """Versions for listing: the calibration record (held-out curves of tens of thousands of
    visits) stays in the database; the baseline's threshold, all a listing shows of it, is read there."""
    return (
        ModelVersion.objects.select_related("created_by", "activated_by")
        .defer("calibration")
        .annotate(baseline_threshold_value=Cast(KT("calibration__baseline__threshold"), FloatField()))
        .order_by("-created_at", "-id")
    )


def visit_payloads(visit_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """Stored visits as the ingest payload dicts featurisation reads, keyed by visit id.

    Four queries for any number of visits, reading plain values (building model
    instances for every event row costs more than featurising them)."""
    ids = list(visit_ids)
    out: dict[int, dict[str, Any]] = {}
    for row in Visit.objects.filter(pk__in=ids).values(
        "pk", "client_visit_id", "store__code", "visit_code", "entered_at", "exited_at"
    ):
        out[row["pk"]] = {
            "client_visit_id": row["client_visit_id"],
            "store": row["store__code"],
            "visit_code": row["visit_code"],
            "entered_at": row["entered_at"].isoformat(),
            "exited_at": row["exited_at"].isoformat(),
            "shoppers": [],
            "weight_events": [],
            "vision_events": [],
            "plate_streams": None,
        }
    for sh in (
        Shopper.objects.filter(visit_id__in=ids)
        .order_by("visit_id", "track_id")
        .values("visit_id", "track_id", "track")
    ):
        out[sh["visit_id"]]["shoppers"].append({"track_id": sh["track_id"], "track": sh["track"]})
    for we in (
        WeightEvent.objects.filter(visit_id__in=ids)
        .order_by("visit_id", "seq")
        .values("visit_id", "plate__code", "t_start", "t_end", "delta_g", "noise_g")
    ):
        out[we["visit_id"]]["weight_events"].append(
            {
                "plate": we["plate__code"],
                "t_start": we["t_start"],
                "t_end": we["t_end"],
                "delta_g": we["delta_g"],
                "noise_g": we["noise_g"],
            }
        )
    for ve in (
        VisionEvent.objects.filter(visit_id__in=ids)
        .order_by("visit_id", "seq")
        .values(
            "visit_id",
            "kind",
            "track_id",
            "t",
            "t_end",
            "fixture__code",
            "plate__code",
            "camera__code",
            "x_m",
            "y_m",
            "confidence",
            "product_scores",
        )
    ):
        out[ve["visit_id"]]["vision_events"].append(
            {
                "kind": ve["kind"],
                "track_id": ve["track_id"],
                "t": ve["t"],
                "t_end": ve["t_end"],
                "fixture": ve["fixture__code"],
                "plate": ve["plate__code"],
                "camera": ve["camera__code"],
                "x_m": ve["x_m"],
                "y_m": ve["y_m"],
                "confidence": ve["confidence"],
                "product_scores": ve["product_scores"],
            }
        )
    return out


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
