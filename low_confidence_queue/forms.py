from __future__ import annotations

from typing import Any

from django import forms

from low_confidence_queue.models import Reason


class PolicyForm(forms.Form):
    target_accuracy = forms.FloatField(min_value=0.5, max_value=0.9999, help_text="e.g. 0.995")
    audit_rate = forms.FloatField(min_value=0.0, max_value=1.0, help_text="Share of confident visits reviewed anyway.")
    max_basket_value = forms.DecimalField(required=False, min_value=0, decimal_places=2, max_digits=10)
    max_basket_items = forms.IntegerField(required=False, min_value=1)
    trust_model_calibration = forms.BooleanField(
        required=False,
        label="Trust the model's calibration",
        help_text="A store's own policy only: the store the model was calibrated on starts from its threshold.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for reason in Reason:
            self.fields[f"sla_{reason.value}"] = forms.IntegerField(
                min_value=1, max_value=7 * 24 * 60, label=f"SLA {reason.label.lower()} (min)"
            )

    def sla(self) -> dict[str, int]:
        return {reason.value: int(self.cleaned_data[f"sla_{reason.value}"]) for reason in Reason}
