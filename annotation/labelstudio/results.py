"""A Label Studio annotation read back as our labels, or the reasons it cannot be.

The result items are named by the config (``action_<i>``, ``product_<i>``,
``other_sku_<i>``, ``quantity_<i>``, ``shopper_<i>`` for the i-th interaction of the
task). Anything else, a missing action, or a value of the wrong shape is an error with
the field it concerns; the caller applies an annotation only when it has none.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from annotation.models import ACTIONS

_NAME = re.compile(r"^(action|product|other_sku|quantity|shopper)_(\d+)$")


def _value(item: dict[str, Any], kind: str) -> Any:
    value = item.get("value") or {}
    if kind in ("action", "product", "shopper"):
        choices = value.get("choices")
        return choices[0] if isinstance(choices, list) and len(choices) == 1 else None
    if kind == "other_sku":
        text = value.get("text")
        if isinstance(text, list):
            text = text[0] if text else ""
        return text.strip() if isinstance(text, str) else None
    number = value.get("number")
    return number if isinstance(number, int | float) and not isinstance(number, bool) else None


def labels_from_result(
    result: Sequence[Any], *, seqs: Sequence[int], auto: dict[int, dict[str, Any]]
) -> tuple[list[dict[str, Any]], dict[str, list[str]]]:
    """Our per-event labels ({seq, action, sku, quantity, track_id, accepted}) from an
    annotation's ``result`` over a task whose interactions are ``seqs`` in order, and
    the errors (empty when the labels can be applied). Products are checked against the
    catalogue by the caller."""
    errors: dict[str, list[str]] = {}
    fields: dict[int, dict[str, Any]] = {}
    for n, item in enumerate(result):
        name = item.get("from_name", "") if isinstance(item, dict) else ""
        match = _NAME.match(str(name))
        if not match or int(match.group(2)) >= len(seqs):
            errors.setdefault("result", []).append(f"Item {n} ({name or 'unnamed'}) is not a control of this task.")
            continue
        kind, idx = match.group(1), int(match.group(2))
        value = _value(item, kind)
        if value is None:
            errors[f"events[{idx}].{kind}"] = ["One value expected."]
            continue
        fields.setdefault(idx, {})[kind] = value
    events = []
    for idx, seq in enumerate(seqs):
        got = fields.get(idx, {})
        action = got.get("action")
        if action not in ACTIONS:
            errors[f"events[{idx}].action"] = [
                f"Choose the action ({', '.join(ACTIONS)})." if action is None else f"Unknown action {action!r}."
            ]
            continue
        sku = got.get("other_sku") or got.get("product") or ""
        quantity = got.get("quantity")
        if quantity is None:
            quantity = 1 if action != "noise" else 0
        shopper = got.get("shopper")
        try:
            track = int(shopper) if shopper not in (None, "") else None
        except (TypeError, ValueError):
            errors[f"events[{idx}].shopper"] = [f"Unknown shopper {shopper!r}."]
            continue
        label = {"seq": seq, "action": action, "sku": sku, "quantity": int(quantity), "track_id": track}
        was = auto.get(seq) or {}
        label["accepted"] = all(label[k] == was.get(k) for k in ("action", "sku", "quantity", "track_id"))
        events.append(label)
    return events, errors
