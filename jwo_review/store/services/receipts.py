"""Issuing receipts. Every receipt change goes through ``receipt_issue``, which adds
a version, records the diff against the version before, and appends an audit entry."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction

from jwo_review.errors import InvalidInput
from jwo_review.store.models import Product, Receipt, ReceiptLine, Visit
from jwo_review.store.services.audit import audit_record


@dataclass(frozen=True)
class LineSpec:
    sku: str
    quantity: int
    shopper_track_id: int | None = None
    confidence: float | None = None


def _key(sku: str, shopper: int | None) -> str:
    return f"{sku}@{shopper if shopper is not None else '-'}"


def receipt_lines_diff(before: Sequence[LineSpec], after: Sequence[LineSpec]) -> dict[str, Any]:
    """Lines added, removed and whose quantity changed, keyed by product and shopper."""
    old: dict[str, int] = {}
    new: dict[str, int] = {}
    for line in before:
        old[_key(line.sku, line.shopper_track_id)] = old.get(_key(line.sku, line.shopper_track_id), 0) + line.quantity
    for line in after:
        new[_key(line.sku, line.shopper_track_id)] = new.get(_key(line.sku, line.shopper_track_id), 0) + line.quantity
    return {
        "added": [{"line": k, "quantity": new[k]} for k in sorted(new.keys() - old.keys())],
        "removed": [{"line": k, "quantity": old[k]} for k in sorted(old.keys() - new.keys())],
        "changed": [
            {"line": k, "from": old[k], "to": new[k]} for k in sorted(old.keys() & new.keys()) if old[k] != new[k]
        ],
    }


def receipt_line_specs(receipt: Receipt | None) -> list[LineSpec]:
    if receipt is None:
        return []
    return [
        LineSpec(
            sku=line.product.sku,
            quantity=line.quantity,
            shopper_track_id=line.shopper_track_id,
            confidence=line.confidence,
        )
        for line in receipt.lines.select_related("product")
    ]


@transaction.atomic
def receipt_issue(
    *,
    visit: Visit,
    lines: Sequence[LineSpec],
    source: str,
    actor: Any = None,
    actor_label: str = "",
    action: str = "issued",
    model_version: str = "",
    details: dict[str, Any] | None = None,
) -> Receipt:
    """Issue a new final version of the visit's receipt.

    Locks the visit row so two issuers cannot both take the same version number.
    Raises ``InvalidInput`` for unknown products, bad quantities or a shopper who is
    not in the visit's payment group; nothing is written then.
    """
    visit = Visit.objects.select_for_update().get(pk=visit.pk)
    skus = {line.sku for line in lines}
    products = {p.sku: p for p in Product.objects.filter(sku__in=skus)}
    shoppers = set(visit.shoppers.values_list("track_id", flat=True))
    errors: dict[str, list[str]] = {}
    for i, line in enumerate(lines):
        if line.sku not in products:
            errors[f"lines[{i}].sku"] = [f"Unknown product {line.sku!r}."]
        if line.quantity < 1 or line.quantity > 99:
            errors[f"lines[{i}].quantity"] = ["Quantity must be between 1 and 99."]
        if line.shopper_track_id is not None and line.shopper_track_id not in shoppers:
            errors[f"lines[{i}].shopper_track_id"] = [f"Shopper #{line.shopper_track_id} is not in this group."]
    if errors:
        raise InvalidInput("The receipt lines are invalid; nothing was changed.", fields=errors)

    previous = Receipt.objects.filter(visit=visit, is_final=True).first()
    diff = receipt_lines_diff(receipt_line_specs(previous), lines)
    if previous is not None:
        Receipt.objects.filter(pk=previous.pk).update(is_final=False)
    last = Receipt.objects.filter(visit=visit).order_by("-version").values_list("version", flat=True).first()
    version = (last or 0) + 1
    total = sum((products[line.sku].price * line.quantity for line in lines), Decimal("0"))
    user = actor if getattr(actor, "pk", None) and not getattr(actor, "is_store_client", False) else None
    receipt = Receipt.objects.create(
        visit=visit,
        version=version,
        source=source,
        is_final=True,
        total=total,
        issued_by=user,
        model_version=model_version,
        diff=diff,
    )
    ReceiptLine.objects.bulk_create(
        [
            ReceiptLine(
                receipt=receipt,
                product=products[line.sku],
                quantity=line.quantity,
                shopper_track_id=line.shopper_track_id,
                unit_price=products[line.sku].price,
                confidence=line.confidence,
            )
            for line in lines
        ]
    )
    audit_record(
        action=action,
        actor=user,
        actor_label=actor_label or ("" if user else source),
        visit=visit,
        receipt=receipt,
        details={"version": version, "source": source, "diff": diff, **(details or {})},
    )
    return receipt
