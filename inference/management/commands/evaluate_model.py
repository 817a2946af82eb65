"""Score fresh simulated visits with a model version and the rules baseline, side by side.

Beside the metrics: the visits the weight detector made impossible (``inference.oracle``),
and how each scorer fares on them, so a ceiling of the detector is not read as a fault of
the heads; the wrong receipts per kind of mistake (``inference.errors``), so model work
starts where receipts go wrong; the reviews per kind of the visit's least sure decision
(``inference.doubt``), so doubt that costs reviews for right receipts shows, and those
whose least sure decision was at a change that merged two people's moves; the reviews
a threshold chosen in hindsight would need (``reviews_per_1000_hindsight``: the ranking's
own limit, apart from the threshold's margin); and with ``--store-labelled N``, the model
at the threshold a store would earn from N labelled visits of its own
(``inference.evidence``), next to the global one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from numpy.typing import NDArray

from inference.calibration import NEVER, choose_threshold, holdout_arrays, risk_coverage
from inference.decode import VisitScore
from inference.doubt import reviews_at_merged_changes, reviews_by_doubt
from inference.errors import wrong_receipt_kinds
from inference.evidence import labelled_evidence, loosest_threshold
from inference.metrics import hindsight_reviews, receipt_metrics
from inference.models import ModelVersion
from inference.oracle import detector_impossible, impossible_figures
from inference.scoring import Scorer, TransformerScorer, quantize_int8
from inference.selectors import active_model
from inference.services import baseline_scorer, loaded_scorer, threshold_for_target
from inference.training import Dataset, evaluate, simulated_dataset

# The store's labelled visits come from their own seed, clear of the evaluated visits
# and of the training recipe's calibration (+1_000_003) and threshold (+2_000_006) seeds.
STORE_LABELLED_SEED_OFFSET = 3_000_009

COLUMNS = [
    "receipt_accuracy",
    "item_precision",
    "item_recall",
    "item_f1",
    "ece",
    "coverage",
    "reviews_per_1000",
    "reviews_per_1000_hindsight",
    "auto_issued_accuracy",
    "threshold",
]
IMPOSSIBLE_COLUMNS = ["impossible_right", "impossible_auto_issued", "impossible_auto_issued_wrong"]
STORE_POINT = ["threshold", "coverage", "reviews_per_1000", "auto_issued_accuracy"]


class Command(BaseCommand):
    help = "Evaluate a model version and the rules baseline on fresh simulated visits."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scenario", default="default", help="Scenario name or path to a scenario file.")
        parser.add_argument("--visits", type=int, default=5000)
        parser.add_argument("--seed", type=int, default=777, help="Use a seed the model was not trained on.")
        parser.add_argument("--model", type=int, default=None, help="Model version id (default: the active one).")
        parser.add_argument("--target", type=float, default=0.995)
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")
        parser.add_argument("--plot", default="", help="Risk-coverage PNG path (default under MEDIA_ROOT/reports).")
        parser.add_argument(
            "--store-labelled",
            type=int,
            default=0,
            help="Also report the model at the threshold a store earns from this many labelled visits (0: off).",
        )

    def handle(self, *args: Any, **o: Any) -> None:
        version = ModelVersion.objects.filter(pk=o["model"]).first() if o["model"] else active_model()
        if version is None:
            raise CommandError("No such model version, and no active one; train with `manage.py train_model`.")
        if not 0 < o["target"] < 1:
            raise CommandError("--target is a probability strictly between 0 and 1.")
        if o["store_labelled"] < 0:
            raise CommandError(f"--store-labelled is a number of visits, 0 (off) or more; got {o['store_labelled']}.")
        data = simulated_dataset(o["scenario"], o["visits"], o["seed"])
        impossible = np.array(detector_impossible(data), dtype=bool)
        model = loaded_scorer(version)
        int8 = TransformerScorer(quantize_int8(model.model), model.platt)
        baseline = baseline_scorer(version)
        model_threshold = threshold_for_target(version, o["target"])
        holdout = (version.calibration.get("baseline") or {}).get("holdout") or {}
        baseline_threshold = choose_threshold(*holdout_arrays(holdout), o["target"])
        report: dict[str, Any] = {
            "scenario": o["scenario"],
            "visits": o["visits"],
            "seed": o["seed"],
            "target": o["target"],
            "model_version": {"id": version.pk, "name": version.name, "training_data": version.training_data},
            "detector_impossible": {
                "visits": int(impossible.sum()),
                "share": round(float(impossible.mean()), 5) if impossible.size else 0.0,
            },
        }
        curves: dict[str, tuple[NDArray[Any], NDArray[Any]]] = {}
        scored: dict[str, tuple[list[VisitScore], NDArray[Any]]] = {}
        for key, scorer, threshold in (
            ("model", model, model_threshold),
            ("model_int8", int8, model_threshold),
            ("baseline", baseline, baseline_threshold),
        ):
            metrics, scores, correct = evaluate(scorer, data, threshold)
            metrics["visits_per_s"] = round(len(scores) / max(metrics.pop("score_seconds"), 1e-9), 1)
            confidence = np.array([s.confidence for s in scores])
            metrics.update(impossible_figures(impossible, correct, confidence >= threshold))
            metrics["reviews_per_1000_hindsight"] = hindsight_reviews(confidence, correct, o["target"])
            if key != "model_int8":  # int8's mistakes are the full model's, within a visit or two
                metrics["wrong_receipts"] = wrong_receipt_kinds(
                    data.context, data.features, scores, correct, confidence >= threshold, impossible
                )
                metrics["reviews_by_doubt"] = reviews_by_doubt(data.context, scores, correct, confidence >= threshold)
                metrics["reviews_at_merged_changes"] = reviews_at_merged_changes(
                    data.context, data.features, scores, correct, confidence >= threshold
                )
            report[key] = metrics
            curves[key] = risk_coverage(confidence, correct)
            scored[key] = (scores, correct)
        model_reviews, base_reviews = report["model"]["reviews_per_1000"], report["baseline"]["reviews_per_1000"]
        report["reviews_ratio_model_to_baseline"] = round(model_reviews / base_reviews, 4) if base_reviews else None
        if o["store_labelled"]:
            seed = o["seed"] + STORE_LABELLED_SEED_OFFSET
            labelled = simulated_dataset(o["scenario"], o["store_labelled"], seed)
            point = operating_point(*scored["model"], data, impossible, store_threshold(model, labelled, o["target"]))
            report["model_store_threshold"] = {"labelled_visits": o["store_labelled"], "labelled_seed": seed} | point
        if o["json"]:
            self.stdout.write(json.dumps(report))
            return
        self._table(report)
        path = Path(
            o["plot"]
            or Path(settings.MEDIA_ROOT) / "reports" / f"risk_coverage_{Path(o['scenario']).stem}_s{o['seed']}.png"
        )
        self._plot(curves, report, path)
        self.stdout.write(f"Risk-coverage plot: {path}")

    def _table(self, report: dict[str, Any]) -> None:
        self._metrics_table(report)
        gone = report["detector_impossible"]
        self.stdout.write(
            f"detector-impossible visits: {gone['visits']} ({gone['share']:.2%}): even perfect event heads miss "
            "their receipt; impossible_right counts those a scorer still got right (luck or vision)"
        )
        point = report.get("model_store_threshold")
        if point is not None:
            self.stdout.write(
                f"model at the store's own threshold (from {point['labelled_visits']} labelled visits): "
                + ", ".join(f"{k} {'-' if point[k] is None else point[k]}" for k in STORE_POINT + IMPOSSIBLE_COLUMNS)
            )
        for key in ("model", "baseline"):
            wrong = report[key]["wrong_receipts"]
            doubt = report[key]["reviews_by_doubt"]
            reviewed = [f"{k} {n['reviewed']} ({n['reviewed_wrong']} wrong)" for k, n in doubt.items() if n["reviewed"]]
            let_through = [f"{k} {n['auto_issued_wrong']}" for k, n in doubt.items() if n["auto_issued_wrong"]]
            merged = report[key]["reviews_at_merged_changes"]
            self.stdout.write(
                f"{key}: reviews by least sure decision {', '.join(reviewed) or 'none'}; "
                f"auto-issued wrong by it {', '.join(let_through) or 'none'}; "
                f"at a change that merged two people's moves {merged['reviewed']} "
                f"({merged['reviewed_wrong']} wrong, of {merged['visits']} visits with one)"
            )
            self.stdout.write(
                f"{key}: {wrong['wrong_visits']} wrong receipts by kind "
                + ", ".join(f"{k} {n}" for k, n in wrong["by_kind"].items())
                + "; auto-issued wrong by kind "
                + (", ".join(f"{k} {n}" for k, n in wrong["auto_issued_by_kind"].items()) or "none")
            )

    def _metrics_table(self, report: dict[str, Any]) -> None:
        self.stdout.write(
            f"{report['scenario']}: {report['visits']} visits, seed {report['seed']}, target {report['target']}, "
            f"model version {report['model_version']['id']} ({report['model_version']['name']})"
        )
        self.stdout.write(f"{'metric':<28}{'model':>12}{'model_int8':>12}{'baseline':>12}")
        for column in COLUMNS + ["visits_per_s"] + IMPOSSIBLE_COLUMNS:
            cells = [report[k].get(column) for k in ("model", "model_int8", "baseline")]
            self.stdout.write(f"{column:<28}" + "".join(f"{'-' if c is None else c:>12}" for c in cells))

    def _plot(self, curves: dict[str, tuple[NDArray[Any], NDArray[Any]]], report: dict[str, Any], path: Path) -> None:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        path.parent.mkdir(parents=True, exist_ok=True)
        fig, ax = plt.subplots(figsize=(6, 4), dpi=120)
        styles = {"model": ("-", 2.2), "model_int8": ("--", 1.2), "baseline": ("-", 1.5)}
        for key, (coverage, risk) in curves.items():
            linestyle, width = styles.get(key, ("-", 1.5))
            (line,) = ax.plot(
                coverage,
                risk,
                linestyle=linestyle,
                linewidth=width,
                label=f"{key} (accuracy {report[key]['receipt_accuracy']:.3f})",
            )
            # The operating point: what the threshold auto-issues, and how often it is wrong.
            point = report[key]
            if point.get("coverage"):
                ax.plot(point["coverage"], 1 - point["auto_issued_accuracy"], "o", color=line.get_color())
            if point.get("coverage") and key != "model_int8":  # int8's point sits on the full model's
                ax.annotate(
                    f"{point['reviews_per_1000']:g} reviews / 1,000",
                    (point["coverage"], 1 - point["auto_issued_accuracy"]),
                    textcoords="offset points",
                    xytext=(-10, 10),
                    ha="right",
                    fontsize=7,
                    color=line.get_color(),
                )
        ax.axhline(1 - report["target"], color="grey", linestyle=":", label=f"risk at target {report['target']}")
        ax.set_xlabel("coverage (share of receipts auto-issued)")
        ax.set_ylabel("risk (share of auto-issued receipts wrong)")
        ax.set_ylim(0, max(0.05, float(curves["baseline"][1][-1]) * 1.1))
        ax.set_title(f"Risk-coverage on {Path(report['scenario']).stem}, {report['visits']} fresh visits")
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(path)
        plt.close(fig)


def store_threshold(model: Scorer, labelled: Dataset, target: float) -> float:
    """The threshold a store earns for ``model`` from ``labelled``, its own labelled visits,
    under the product's bound (``loosest_threshold``); ``NEVER`` when none meets ``target``.
    They are a plain random sample, labelled alike, so each counts one (``labelled_evidence``
    without a population)."""
    _, scores, correct = evaluate(model, labelled, NEVER)
    confidence = np.array([s.confidence for s in scores], dtype=np.float64)
    return loosest_threshold(labelled_evidence(confidence, correct, np.ones(len(confidence))), target)


def operating_point(
    scores: list[VisitScore], correct: NDArray[Any], data: Dataset, impossible: NDArray[Any], threshold: float
) -> dict[str, Any]:
    """What ``threshold`` does with already scored visits: the routing figures of
    ``receipt_metrics`` (a threshold above 1 reviews everything) and the impossible ones."""
    confidence = np.array([s.confidence for s in scores], dtype=np.float64)
    metrics = receipt_metrics([s.receipt for s in scores], data.receipts, confidence, threshold)
    return {k: metrics[k] for k in STORE_POINT} | impossible_figures(impossible, correct, confidence >= threshold)
