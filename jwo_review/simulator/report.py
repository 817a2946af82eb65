"""What a simulation run made, how well the event detector did on it, and how much the
camera views of one reach agree.

Pure: fed with visits one at a time, so the ``simulate`` command reports the same
numbers whether it ingests or exports.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from jwo_review.simulator.scenario import HARD_CASES, Scenario
from jwo_review.simulator.vision import cameras_seeing

# A view's detection starts within this of its reach (the detector's timing noise is 0.1 s).
VIEW_MATCH_S = 0.5


def _ratio(num: int, den: int) -> float:
    return round(num / den, 4) if den else 1.0


def _percent(num: int, den: int) -> float:
    return 100 * num / den if den else 0.0


def reach_views(scenario: Scenario, payload: dict[str, Any], truth: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """Each true reach for a product, as (its SKU, the top product of every view that
    reported it). A hand-in-shelf detection belongs to the reach nearest in time on its
    fixture whose plate its camera covers; the payload does not say which it was."""
    reaches = [a for a in truth["interactions"] if a.get("sku") is not None]
    covering = {
        i: {
            c.code
            for c, _ in cameras_seeing(scenario, scenario.plates[a["plate"]].x_m, scenario.plates[a["plate"]].y_m)
        }
        for i, a in enumerate(reaches)
    }
    tops: dict[int, list[str]] = {i: [] for i in range(len(reaches))}
    for event in payload["vision_events"]:
        if event["kind"] != "hand_in_shelf" or not event["product_scores"]:
            continue
        near = [
            (abs(event["t"] - a["t_start"]), i)
            for i, a in enumerate(reaches)
            if scenario.plates[a["plate"]].fixture == event["fixture"]
            and event["camera"] in covering[i]
            and abs(event["t"] - a["t_start"]) <= VIEW_MATCH_S
        ]
        if near:
            scores: dict[str, float] = event["product_scores"]
            tops[min(near)[1]].append(min(scores, key=lambda sku: (-scores[sku], sku)))
    return [(str(a["sku"]), tops[i]) for i, a in enumerate(reaches)]


@dataclass
class ViewAgreement:
    """How often the views of a reach seen by two or more cameras are wrong, and wrong together."""

    reaches: int = 0
    views: int = 0
    views_wrong: int = 0
    some_wrong: int = 0
    all_same_wrong: int = 0

    def add(self, reaches: list[tuple[str, list[str]]]) -> None:
        for sku, tops in reaches:
            if len(tops) < 2:
                continue
            wrong = [top for top in tops if top != sku]
            self.reaches += 1
            self.views += len(tops)
            self.views_wrong += len(wrong)
            self.some_wrong += bool(wrong)
            self.all_same_wrong += len(wrong) == len(tops) and len(set(wrong)) == 1

    def summary_line(self) -> str:
        return (
            f"camera views: {self.reaches} reaches seen by 2+ views; a view names a wrong product "
            f"{_percent(self.views_wrong, self.views):.1f}% of the time; some view is wrong in {self.some_wrong} "
            f"reaches ({_percent(self.some_wrong, self.reaches):.1f}%), all views the same wrong product in "
            f"{self.all_same_wrong} ({_percent(self.all_same_wrong, self.reaches):.2f}%; "
            f"{_percent(self.all_same_wrong, self.some_wrong):.1f}% of those with a wrong view)"
        )


@dataclass
class RunReport:
    visits: int = 0
    with_hard_case: int = 0
    items: int = 0
    weight_events: int = 0
    hard_cases: Counter[str] = field(default_factory=Counter)
    detector: Counter[str] = field(default_factory=Counter)
    detector_by_case: dict[str, Counter[str]] = field(default_factory=dict)
    detector_easy: Counter[str] = field(default_factory=Counter)
    views: ViewAgreement = field(default_factory=ViewAgreement)

    def add_views(self, scenario: Scenario, payload: dict[str, Any], truth: dict[str, Any]) -> None:
        """Count how the camera views of the visit's reaches agree (for ``--report``)."""
        self.views.add(reach_views(scenario, payload, truth))

    def add(self, truth: dict[str, Any]) -> None:
        self.visits += 1
        cases = truth["hard_cases"]
        self.with_hard_case += bool(cases)
        self.items += sum(int(line["quantity"]) for line in truth["receipt"])
        self.weight_events += len(truth["event_labels"])
        stats = truth["detector"]
        self.detector.update(stats)
        for case in cases:
            self.hard_cases[case] += 1
            self.detector_by_case.setdefault(case, Counter()).update(stats)
        if not cases:
            self.detector_easy.update(stats)

    @staticmethod
    def _pr(stats: Counter[str]) -> dict[str, float]:
        return {
            "precision": _ratio(stats["correct"], stats["events"]),
            "recall": _ratio(stats["recalled"], stats["interactions"]),
        }

    def as_json(self) -> dict[str, Any]:
        """The object ``simulate --json`` prints (the issue's shape)."""
        return {
            "visits": self.visits,
            "hard_case_share": _ratio(self.with_hard_case, self.visits) if self.visits else 0.0,
            "hard_cases": {name: self.hard_cases.get(name, 0) for name in HARD_CASES},
            "detector": {
                **self._pr(self.detector),
                "by_case": {name: self._pr(self.detector_by_case.get(name, Counter())) for name in HARD_CASES},
            },
        }

    def summary_lines(self, *, with_detector: bool) -> list[str]:
        lines = [
            f"visits: {self.visits}",
            f"items on receipts: {self.items} ({self.items / max(1, self.visits):.2f} per visit)",
            f"weight events detected: {self.weight_events}",
            f"visits with a hard case: {self.with_hard_case} ({100 * self.with_hard_case / max(1, self.visits):.1f}%)",
        ]
        lines += [f"  {name}: {self.hard_cases.get(name, 0)}" for name in HARD_CASES]
        if with_detector:
            pr = self._pr(self.detector)
            easy = self._pr(self.detector_easy)
            lines.append(
                f"event detector: precision {pr['precision']:.3f}, recall {pr['recall']:.3f} "
                f"(visits without hard case: {easy['precision']:.3f} / {easy['recall']:.3f})"
            )
            for name in HARD_CASES:
                stats = self.detector_by_case.get(name, Counter())
                case = self._pr(stats)
                lines.append(
                    f"  {name:<22} precision {case['precision']:.3f}  recall {case['recall']:.3f}  "
                    f"({stats['events']} events, {stats['interactions']} interactions)"
                )
            if self.views.reaches:
                lines.append(self.views.summary_line())
        return lines
