"""Calibration of visit confidence and the choice of an auto-issue threshold.

- ``PlattScaling``: a logistic map of the raw confidence's logit (temperature scaling
  with a bias), fitted on held-out visits; strictly increasing, so it never reorders
  visits and a threshold on it is a threshold on the raw score.
- ``expected_calibration_error``: 15 equal-width bins.
- ``choose_threshold``: the lowest confidence threshold whose auto-issued set, on
  held-out visits, has a one-sided 99% Clopper-Pearson lower bound on accuracy of at
  least the target; the finite-sample margin is what keeps fresh-data accuracy at or
  above the target rather than around it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

NEVER = 1.01  # a threshold above every probability: nothing is auto-issued
EPS = 1e-9


def _logit(p: NDArray[Any]) -> NDArray[Any]:
    p = np.clip(p, EPS, 1 - EPS)
    out: NDArray[Any] = np.log(p) - np.log1p(-p)
    return out


@dataclass
class PlattScaling:
    """Logistic calibration: ``sigmoid(a * logit(raw) + b + w . summary)``.

    With no ``w`` it is plain Platt scaling (strictly increasing in the raw score). With
    ``w``, a few visit-level summaries (the weakest events' probabilities, how many
    people were around) refine it: a learned confidence head fitted on held-out visits.
    """

    a: float = 1.0
    b: float = 0.0
    w: list[float] = field(default_factory=list)

    def __call__(self, raw: NDArray[Any] | Sequence[float], summary: NDArray[Any] | None = None) -> NDArray[Any]:
        z = self.a * _logit(np.asarray(raw, dtype=np.float64)) + self.b
        if self.w and summary is not None:
            z = z + np.asarray(summary, dtype=np.float64)[:, : len(self.w)] @ np.asarray(self.w)
        out: NDArray[Any] = 1.0 / (1.0 + np.exp(-np.clip(z, -40, 40)))
        return out

    @classmethod
    def fit(
        cls,
        raw: NDArray[Any],
        correct: NDArray[Any],
        summary: NDArray[Any] | None = None,
        *,
        iterations: int = 300,
        ridge: float = 1e-4,
    ) -> PlattScaling:
        """Minimise the log loss with L-BFGS and a line search (plain Newton steps can
        overshoot when many raw scores sit at the clip); a small ridge keeps weights finite."""
        import torch

        x = torch.tensor(_logit(np.asarray(raw, dtype=np.float64)))
        y = torch.tensor(np.asarray(correct, dtype=np.float64))
        extra = torch.tensor(np.asarray(summary, dtype=np.float64)) if summary is not None else None
        n_extra = 0 if extra is None else extra.shape[1]
        params = torch.zeros(2 + n_extra, dtype=torch.float64)
        params[0] = 1.0
        params.requires_grad_(True)
        optimiser = torch.optim.LBFGS([params], lr=1.0, max_iter=iterations, line_search_fn="strong_wolfe")

        def closure() -> torch.Tensor:
            optimiser.zero_grad()
            z = params[0] * x + params[1]
            if extra is not None:
                z = z + extra @ params[2:]
            penalty = (params[0] - 1) ** 2 + (params[1:] ** 2).sum()
            loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y) + ridge * penalty
            loss.backward()  # type: ignore[no-untyped-call]
            return loss

        optimiser.step(closure)  # type: ignore[no-untyped-call]
        values = [float(v) for v in params.detach()]
        return cls(a=values[0], b=values[1], w=values[2:])

    def as_dict(self) -> dict[str, Any]:
        return {"a": self.a, "b": self.b, "w": list(self.w)}


def expected_calibration_error(confidence: NDArray[Any], correct: NDArray[Any], bins: int = 15) -> float:
    confidence = np.asarray(confidence, dtype=np.float64)
    correct = np.asarray(correct, dtype=np.float64)
    if len(confidence) == 0:
        return 0.0
    index = np.minimum((confidence * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        sel = index == b
        if sel.any():
            total += abs(float(correct[sel].mean()) - float(confidence[sel].mean())) * sel.sum()
    return total / len(confidence)


def clopper_pearson_lower(successes: int, n: int, alpha: float = 0.05) -> float:
    """One-sided (1 - alpha) lower confidence bound on a binomial proportion."""
    if n == 0 or successes == 0:
        return 0.0
    failures = n - successes
    j = np.arange(failures + 1)
    log_choose = np.array([math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1) for i in j])

    def tail(p: float) -> float:
        # P(at least `successes` successes) = P(at most `failures` failures) when success rate is p.
        q = 1.0 - p
        if q <= 0:
            return 1.0
        terms = log_choose + j * math.log(q) + (n - j) * math.log(max(p, 1e-300))
        return float(np.exp(np.logaddexp.reduce(terms)))

    lo, hi = 0.0, successes / n
    for _ in range(60):
        mid = (lo + hi) / 2
        if tail(mid) < alpha:
            lo = mid
        else:
            hi = mid
    return lo


def choose_threshold(confidence: NDArray[Any], correct: NDArray[Any], target: float, alpha: float = 0.01) -> float:
    """Lowest threshold t such that visits with confidence >= t have a Clopper-Pearson
    lower accuracy bound >= ``target`` on this held-out data (99% one-sided by default, which
    also leaves room for the sampling noise of the fresh visits it will be judged on); ``NEVER`` if none does."""
    conf = np.asarray(confidence, dtype=np.float64)
    ok = np.asarray(correct, dtype=bool)
    order = np.argsort(-conf, kind="stable")
    conf, ok = conf[order], ok[order]
    n = len(conf)
    if n == 0:
        return NEVER
    errors = np.cumsum(~ok)
    sizes = np.arange(1, n + 1)
    # A prefix can be auto-issued only whole: cut where the confidence strictly drops.
    boundary = np.append(conf[:-1] > conf[1:], True)
    best_k = 0
    tried: set[int] = set()
    for k in sizes[boundary][::-1]:
        e = int(errors[k - 1])
        if e in tried or e > (1 - target) * k:
            continue
        tried.add(e)
        if clopper_pearson_lower(int(k) - e, int(k), alpha) >= target:
            best_k = int(k)
            break
    return float(conf[best_k - 1]) if best_k else NEVER


def holdout_summary(confidence: NDArray[Any], correct: NDArray[Any]) -> dict[str, Any]:
    """What ``threshold_for_target`` needs to pick a threshold for any target later: the
    held-out confidences, highest first, and the positions of the wrong receipts among
    them (a few percent of the list, so tens of thousands of visits stay a small record)."""
    conf = np.asarray(confidence, dtype=np.float64)
    order = np.argsort(-conf, kind="stable")
    wrong = np.nonzero(~np.asarray(correct, dtype=bool)[order])[0]
    return {
        "confidence": [round(float(c), 7) for c in conf[order]],
        "wrong": [int(i) for i in wrong],
        "alpha": 0.01,
    }


def holdout_arrays(holdout: dict[str, Any]) -> tuple[NDArray[Any], NDArray[Any]]:
    """(confidence, correct) back from ``holdout_summary``'s record; versions registered
    before the compact form stored one ``correct`` flag per visit, and still read."""
    confidence = np.asarray(holdout.get("confidence", []), dtype=np.float64)
    if "correct" in holdout:
        return confidence, np.asarray(holdout["correct"], dtype=bool)
    correct = np.ones(len(confidence), dtype=bool)
    correct[np.asarray(holdout.get("wrong", []), dtype=np.int64)] = False
    return confidence, correct


def risk_coverage(confidence: NDArray[Any], correct: NDArray[Any]) -> tuple[NDArray[Any], NDArray[Any]]:
    """Coverage and risk (error rate among covered) when auto-issuing the top-k by confidence."""
    order = np.argsort(-np.asarray(confidence), kind="stable")
    ok = np.asarray(correct, dtype=np.float64)[order]
    k = np.arange(1, len(ok) + 1)
    return k / max(len(ok), 1), 1.0 - np.cumsum(ok) / k
