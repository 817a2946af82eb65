"""Reads for the simulator's pages."""

from __future__ import annotations

from dataclasses import dataclass, field

from jwo_review.store.models import Facing, Product, Store


@dataclass
class CatalogueFamily:
    name: str
    entries: list[tuple[Product, list[str]]] = field(default_factory=list)
    """(product, plate codes it faces), lightest first."""


def catalogue_families(*, store: Store) -> list[CatalogueFamily]:
    """The store's active-planogram products grouped by look-alike family (largest first),
    each with the plates it faces."""
    plates: dict[int, list[str]] = {}
    for product_id, code in (
        Facing.objects.filter(planogram__store=store, planogram__is_active=True)
        .order_by("plate__code")
        .values_list("product_id", "plate__code")
    ):
        plates.setdefault(product_id, []).append(code)
    families: dict[str, CatalogueFamily] = {}
    for product in Product.objects.filter(pk__in=plates).order_by("family", "unit_weight_g", "sku"):
        name = product.family or "Other"
        family = families.setdefault(name, CatalogueFamily(name=name))
        family.entries.append((product, plates[product.pk]))
    return sorted(families.values(), key=lambda f: (-len(f.entries), f.name))
