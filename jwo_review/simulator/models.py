"""Ground truth of simulated visits, kept apart from what the sensors reported.

Scoring never reads this table; training and evaluation may, for labels.
"""

from __future__ import annotations

from django.db import models

from jwo_review.store.models import Visit


class VisitTruth(models.Model):
    visit = models.OneToOneField(Visit, on_delete=models.CASCADE, related_name="sim_truth")
    scenario = models.CharField(max_length=100)
    seed = models.PositiveIntegerField()
    index = models.PositiveIntegerField(help_text="The visit's number in its simulation run.")
    hard_cases = models.JSONField(default=list, blank=True)
    truth = models.JSONField(help_text="See jwo_review.simulator.generate for the shape.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["visit"]
        indexes = [models.Index(fields=["scenario", "seed"])]

    def __str__(self) -> str:
        return f"truth of visit {self.visit_id}"
