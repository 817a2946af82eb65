"""What a simulation run made, and how well the event detector did on it.

Pure: fed with truth dicts one at a time, so the ``simulate`` command reports the same
numbers whether it ingests or exports.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from jwo_review.simulator.scenario import HARD_CASES


def _ratio(num: int, den: int) -> float:
    return round(num / den, 4) if den else 1.0


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
        return lines
