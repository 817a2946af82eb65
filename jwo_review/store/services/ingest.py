"""Ingest: the one way a visit enters the system (API, simulator, imports).

``visits_ingest`` validates every visit of a batch before it stores any, stores each
visit with all its events in one transaction, and is idempotent on the client's
visit id. The lifecycle service hands new visits on after commit
(``jwo_review.pipeline`` names what runs next), so the store domain does not import
the apps built on it.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction

from jwo_review.errors import Conflict, Forbidden, InvalidInput
from jwo_review.store.api.ingest_serializers import VisitInSerializer
from jwo_review.store.models import (
    Camera,
    Fixture,
    Plate,
    Product,
    Shopper,
    Store,
    VisionEvent,
    Visit,
    WeightEvent,
)
from jwo_review.store.services.lifecycle import visits_stored


@dataclass(frozen=True)
class IngestResult:
    id: int
    client_visit_id: str
    status: str
    created: bool


@dataclass
class _StoreIndex:
    store: Store
    plates: dict[str, int]
    fixtures: dict[str, int]
    cameras: dict[str, int]


def payload_sha256(payload: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str).encode()).hexdigest()


def _store_index(store: Store, cleaned: Sequence[dict[str, Any]]) -> _StoreIndex:
    """Ids of the plates, fixtures and cameras these visits name (only those: a store
    has hundreds of plates and a visit touches a handful)."""
    plates = {e["plate"] for c in cleaned for e in c["weight_events"]}
    plates |= {e["plate"] for c in cleaned for e in c["vision_events"] if e["plate"]}
    plates |= {code for c in cleaned if c.get("plate_streams") for code in c["plate_streams"]["plates"]}
    fixtures = {e["fixture"] for c in cleaned for e in c["vision_events"] if e["fixture"]}
    cameras = {e["camera"] for c in cleaned for e in c["vision_events"] if e["camera"]}
    return _StoreIndex(
        store=store,
        plates=dict(Plate.objects.filter(store=store, code__in=plates).values_list("code", "id")),
        fixtures=dict(Fixture.objects.filter(store=store, code__in=fixtures).values_list("code", "id"))
        if fixtures
        else {},
        cameras=dict(Camera.objects.filter(store=store, code__in=cameras).values_list("code", "id")) if cameras else {},
    )


def _check_references(data: dict[str, Any], index: _StoreIndex, known_skus: set[str]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    code = index.store.code
    for i, event in enumerate(data["weight_events"]):
        if event["plate"] not in index.plates:
            errors.setdefault(f"weight_events[{i}].plate", []).append(
                f"Unknown plate {event['plate']!r} in store {code}."
            )
    for i, event in enumerate(data["vision_events"]):
        for key, known in (("plate", index.plates), ("fixture", index.fixtures), ("camera", index.cameras)):
            value = event.get(key)
            if value is not None and value not in known:
                errors.setdefault(f"vision_events[{i}].{key}", []).append(f"Unknown {key} {value!r} in store {code}.")
        unknown = sorted(set(event["product_scores"]) - known_skus)
        if unknown:
            errors.setdefault(f"vision_events[{i}].product_scores", []).append(
                f"Unknown product(s): {', '.join(unknown[:5])}."
            )
    streams = data.get("plate_streams")
    if streams:
        for plate_code, blob in streams["plates"].items():
            if plate_code not in index.plates:
                errors.setdefault("plate_streams.plates", []).append(f"Unknown plate {plate_code!r} in store {code}.")
            else:
                try:
                    raw = base64.b64decode(blob, validate=True)
                except ValueError:
                    raw = b"\x00"
                if len(raw) % 4:
                    errors.setdefault(f"plate_streams.plates.{plate_code}", []).append(
                        "Not base64 of little-endian float32 samples."
                    )
    return errors


def validate_visits(
    payloads: Sequence[Any], *, client_store_id: int | None
) -> list[tuple[dict[str, Any], dict[str, Any], _StoreIndex]]:
    """Validate a batch; returns (raw, clean, store index) per visit or raises
    ``InvalidInput`` with errors keyed ``visits[i].field`` (``field`` for one visit)."""
    max_batch = settings.JWO_INGEST_MAX_BATCH
    if not payloads:
        raise InvalidInput("No visits in the request.", fields={"visits": ["Send one visit or a non-empty list."]})
    if len(payloads) > max_batch:
        raise InvalidInput(
            f"A batch holds at most {max_batch} visits; this one has {len(payloads)}.",
            fields={"visits": [f"At most {max_batch} visits per request; split the batch."]},
        )
    single = len(payloads) == 1
    all_errors: dict[str, list[str]] = {}
    cleaned: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for i, raw in enumerate(payloads):
        prefix = "" if single else f"visits[{i}]."
        if not isinstance(raw, dict):
            all_errors[prefix.rstrip(".") or "visit"] = ["Each visit is a JSON object."]
            continue
        serializer = VisitInSerializer(data=raw)
        if not serializer.is_valid():
            for key, messages in _flatten(serializer.errors):
                all_errors[prefix + key] = messages
            continue
        cleaned.append((raw, dict(serializer.validated_data)))
    if all_errors:
        raise InvalidInput("The visit data is invalid; nothing was stored.", fields=all_errors)

    stores = {s.code: s for s in Store.objects.filter(code__in={clean["store"] for _, clean in cleaned})}
    skus_mentioned = {sku for _, clean in cleaned for e in clean["vision_events"] for sku in e["product_scores"]}
    known_skus = set(Product.objects.filter(sku__in=skus_mentioned).values_list("sku", flat=True))
    indexes: dict[str, _StoreIndex] = {}
    out: list[tuple[dict[str, Any], dict[str, Any], _StoreIndex]] = []
    for i, (raw, clean) in enumerate(cleaned):
        prefix = "" if single else f"visits[{i}]."
        store = stores.get(clean["store"])
        if store is None:
            all_errors[prefix + "store"] = [f"Unknown store {clean['store']!r}."]
            continue
        if client_store_id is not None and store.id != client_store_id:
            raise Forbidden(f"This key belongs to another store than {store.code!r}.")
        if store.code not in indexes:
            indexes[store.code] = _store_index(store, [c for _, c in cleaned if c["store"] == store.code])
        for key, messages in _check_references(clean, indexes[store.code], known_skus).items():
            all_errors[prefix + key] = messages
        out.append((raw, clean, indexes[store.code]))
    if all_errors:
        raise InvalidInput("The visit data is invalid; nothing was stored.", fields=all_errors)
    return out


def _flatten(errors: Any, prefix: str = "") -> Iterable[tuple[str, list[str]]]:
    if isinstance(errors, dict):
        for key, value in errors.items():
            if isinstance(key, int) or str(key).isdigit():
                yield from _flatten(value, f"{prefix}[{key}]")
                continue
            name = "" if key == "non_field_errors" else str(key)
            yield from _flatten(value, f"{prefix}.{name}".strip(".") if name else prefix)
    elif isinstance(errors, list) and errors and all(isinstance(e, str) for e in errors):
        yield (prefix or "non_field_errors", [str(e) for e in errors])
    elif isinstance(errors, list):
        for i, value in enumerate(errors):
            if value:
                yield from _flatten(value, f"{prefix}[{i}]")


def _streams_file(streams: dict[str, Any]) -> ContentFile[bytes]:
    arrays: dict[str, Any] = {
        code: np.frombuffer(base64.b64decode(blob), dtype="<f4") for code, blob in streams["plates"].items()
    }
    buffer = io.BytesIO()
    np.savez_compressed(buffer, hz=np.float32(streams["hz"]), t0=np.float32(streams["t0"]), **arrays)
    return ContentFile(buffer.getvalue())


def _store_visit(
    raw: dict[str, Any], clean: dict[str, Any], index: _StoreIndex, *, source: str, streams_saved: list[str] | None
) -> IngestResult:
    digest = payload_sha256(raw)
    existing = Visit.objects.filter(store=index.store, client_visit_id=clean["client_visit_id"]).first()
    if existing is not None:
        return _same_or_conflict(existing, digest)
    try:
        # The savepoint lets a concurrent insert of the same client id fail alone; the
        # unique constraint makes the later of two racing posts see the first one's row.
        with transaction.atomic():
            visit = Visit.objects.create(
                store=index.store,
                client_visit_id=clean["client_visit_id"],
                visit_code=clean["visit_code"],
                entered_at=clean["entered_at"],
                exited_at=clean["exited_at"],
                payload_sha256=digest,
                source=source,
            )
            Shopper.objects.bulk_create(
                [Shopper(visit=visit, track_id=s["track_id"], track=s["track"]) for s in clean["shoppers"]]
            )
            WeightEvent.objects.bulk_create(
                [
                    WeightEvent(
                        visit=visit,
                        seq=seq,
                        plate_id=index.plates[e["plate"]],
                        t_start=e["t_start"],
                        t_end=e["t_end"],
                        delta_g=e["delta_g"],
                        noise_g=e["noise_g"],
                    )
                    for seq, e in enumerate(sorted(clean["weight_events"], key=lambda e: e["t_start"]))
                ]
            )
            VisionEvent.objects.bulk_create(
                [
                    VisionEvent(
                        visit=visit,
                        seq=seq,
                        kind=e["kind"],
                        track_id=e["track_id"],
                        t=e["t"],
                        t_end=e["t_end"],
                        fixture_id=index.fixtures.get(e["fixture"]) if e["fixture"] else None,
                        plate_id=index.plates.get(e["plate"]) if e["plate"] else None,
                        camera_id=index.cameras.get(e["camera"]) if e["camera"] else None,
                        x_m=e["x_m"],
                        y_m=e["y_m"],
                        confidence=e["confidence"],
                        product_scores=e["product_scores"],
                    )
                    for seq, e in enumerate(sorted(clean["vision_events"], key=lambda e: e["t"]))
                ]
            )
            if clean.get("plate_streams"):
                visit.plate_streams.save(f"{visit.pk}.npz", _streams_file(clean["plate_streams"]), save=True)
                if streams_saved is not None and visit.plate_streams.name:
                    streams_saved.append(visit.plate_streams.name)
    except IntegrityError:
        existing = Visit.objects.filter(store=index.store, client_visit_id=clean["client_visit_id"]).first()
        if existing is None:
            raise
        return _same_or_conflict(existing, digest)
    return IngestResult(id=visit.pk, client_visit_id=visit.client_visit_id, status=visit.status, created=True)


def _same_or_conflict(existing: Visit, digest: str) -> IngestResult:
    if existing.payload_sha256 != digest:
        raise Conflict(
            f"Visit {existing.client_visit_id!r} was already stored with different content; "
            "a visit cannot be changed by posting it again.",
            fields={"client_visit_id": ["Already stored with different content."]},
        )
    return IngestResult(id=existing.pk, client_visit_id=existing.client_visit_id, status=existing.status, created=False)


def visits_ingest(
    *,
    payloads: Sequence[Any],
    client_store_id: int | None = None,
    source: str = "api",
    streams_saved: list[str] | None = None,
) -> list[IngestResult]:
    """Validate and store a batch of visits (all or nothing for validation; one
    transaction per visit for storage). Raises ``InvalidInput`` (400), ``Forbidden``
    (a key of another store) or ``Conflict`` (same id, different content).

    A caller that rolls back visits stored here (in a transaction of its own) passes
    ``streams_saved``: the names of the plate stream files written are appended to it,
    since a rollback removes the rows but not the files."""
    validated = validate_visits(payloads, client_store_id=client_store_id)
    results = []
    for raw, clean, index in validated:
        with transaction.atomic():
            results.append(_store_visit(raw, clean, index, source=source, streams_saved=streams_saved))
    visits_stored(visit_ids=[r.id for r in results if r.created])
    return results
