from jwo_review.store.models.catalogue import Facing, Planogram, Product
from jwo_review.store.models.layout import Camera, Fixture, Plate, Shelf, Store
from jwo_review.store.models.receipts import AuditLogEntry, Receipt, ReceiptLine, ReceiptSource
from jwo_review.store.models.visits import (
    Clip,
    ClipStatus,
    ClipView,
    Shopper,
    VisionEvent,
    VisionKind,
    Visit,
    VisitStatus,
    WeightEvent,
)

__all__ = [
    "AuditLogEntry",
    "Camera",
    "Clip",
    "ClipStatus",
    "ClipView",
    "Facing",
    "Fixture",
    "Planogram",
    "Plate",
    "Product",
    "Receipt",
    "ReceiptLine",
    "ReceiptSource",
    "Shelf",
    "Shopper",
    "Store",
    "VisionEvent",
    "VisionKind",
    "Visit",
    "VisitStatus",
    "WeightEvent",
]
