"""Visits scored per second: the model (full and dynamic int8) against the rules baseline.

    .venv/bin/python bench/scoring.py [--visits 3000] [--scenario default] [--seed 4242]
                                      [--weights media/models/NAME.pt] [--json]

Two figures per scorer, in one run on the same visits:
- forward_per_s: the scorer alone on featurised visits (batches of 256; for the
  baseline, its rules), the number the 1,000 visits/s goal is about;
- end_to_end_per_s: what a scoring worker does: load the visits' rows from PostgreSQL,
  rebuild and featurise them, score, store the predictions and statuses (each
  scorer's writes are rolled back afterwards so all three score the same visits).

It runs on its own database (jwo_bench_scoring). The weights are the newest file under
MEDIA_ROOT/models/ (what train_model stored) unless --weights says otherwise; with
none, a small model is trained first. Also prints each scorer's receipt accuracy on
these visits and how often int8 gives the full model's receipt. --json ends with one
JSON object: {"model": {"forward_per_s", "end_to_end_per_s", ...}, "model_int8": {...},
"baseline": {...}}.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

# The project root, not this folder, goes first: bench/queue.py would shadow the standard library's queue.
sys.path[0] = str(Path(__file__).resolve().parent.parent)
from bench._setup import django_on_bench_db  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--visits", type=int, default=3000)
    parser.add_argument("--scenario", default="default")
    parser.add_argument("--seed", type=int, default=4242)
    parser.add_argument("--weights", default="", help="A weights file written by train_model.")
    parser.add_argument("--repeat", type=int, default=3, help="Forward timings keep the best of this many runs.")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    django_on_bench_db("jwo_bench_scoring")

    import numpy as np
    import torch
    from django.conf import settings
    from django.core.files.base import ContentFile
    from django.db import transaction
    from django.test import override_settings

    from inference.decode import baseline_probs
    from inference.features import featurize
    from inference.metrics import true_receipt
    from inference.models import ModelVersion
    from inference.scoring import BaselineScorer, Scorer, TransformerScorer, model_from_bytes, quantize_int8
    from inference.services import score_chunk
    from jwo_review.simulator.generate import simulate_visits
    from jwo_review.simulator.scenario import load_scenario
    from jwo_review.store.models import Visit
    from jwo_review.store.services.ingest import visits_ingest
    from jwo_review.store.services.layout import store_load_spec

    say = (lambda *a: print(*a, file=sys.stderr)) if args.json else print
    scenario = load_scenario(args.scenario)
    store = store_load_spec(scenario.store_spec)
    weights = Path(args.weights) if args.weights else _newest_weights(Path(settings.MEDIA_ROOT) / "models")
    if weights is None:
        say("No trained weights found; training a small model first (train_model stores better ones).")
        from inference.network import NetConfig
        from inference.scoring import model_to_bytes
        from inference.training import simulated_dataset, train_network

        model = train_network(simulated_dataset(args.scenario, 3000, 1).features, config=NetConfig(), epochs=4)
        blob = model_to_bytes(model)
        name = "bench-small"
    else:
        blob = weights.read_bytes()
        name = f"bench-{weights.stem}"[:64]
    version = ModelVersion.objects.filter(name=name).first()
    if version is None:
        version = ModelVersion(name=name, training_data={"source": str(weights) if weights else "bench"})
        version.weights.save(f"{name}.pt", ContentFile(blob), save=False)
        version.save()
    model = model_from_bytes(blob)
    scorers: dict[str, Scorer] = {
        "model": TransformerScorer(model),
        "model_int8": TransformerScorer(quantize_int8(model)),
        "baseline": BaselineScorer(),
    }

    threads = torch.get_num_threads()
    say(f"Simulating {args.visits} visits of {args.scenario!r} (seed {args.seed}); torch threads {threads}")
    sims = list(simulate_visits(scenario, args.visits, args.seed, streams=False))
    run = time.strftime("%Y%m%d%H%M%S")
    payloads = []
    for i, sim in enumerate(sims):
        payload = dict(sim.payload)
        payload["client_visit_id"] = f"bench-{run}-{i}"
        payload["store"] = store.code
        payloads.append(payload)
    from inference.selectors import store_context

    ctx = store_context(store)
    features = [featurize(p, ctx) for p in payloads]
    truth = [true_receipt(sim.truth) for sim in sims]

    results: dict[str, dict[str, Any]] = {}
    receipts: dict[str, list[dict[str, int]]] = {}
    for key, scorer in scorers.items():
        best = float("inf")
        for _ in range(args.repeat):
            started = time.perf_counter()
            if isinstance(scorer, TransformerScorer):
                scorer.probabilities(features)
            else:
                for f in features:
                    baseline_probs(f)
            best = min(best, time.perf_counter() - started)
        scores = scorer.score(features)
        receipts[key] = [s.receipt for s in scores]
        accuracy = float(np.mean([r == t for r, t in zip(receipts[key], truth)]))
        results[key] = {"forward_per_s": round(len(features) / best, 1), "receipt_accuracy": round(accuracy, 5)}

    ids: list[int] = []
    with override_settings(JWO_VISITS_INGESTED_HOOKS=[], JWO_VISITS_SCORED_HOOKS=[]):
        for start in range(0, len(payloads), 100):
            ids += [r.id for r in visits_ingest(payloads=payloads[start : start + 100], source="bench")]
        try:
            for key, scorer in scorers.items():
                started = time.perf_counter()
                with transaction.atomic():
                    scored = 0
                    for start in range(0, len(ids), 256):
                        scored += len(score_chunk(ids[start : start + 256], version, scorer))
                    elapsed = time.perf_counter() - started
                    transaction.set_rollback(True)
                assert scored == len(ids), f"{key} scored {scored} of {len(ids)}"
                results[key]["end_to_end_per_s"] = round(len(ids) / elapsed, 1)
        finally:
            Visit.objects.filter(pk__in=ids).delete()

    agreement = float(np.mean([a == b for a, b in zip(receipts["model"], receipts["model_int8"])]))
    results["model_int8"]["receipts_same_as_full"] = round(agreement, 5)
    say(f"{'scorer':<12}{'forward/s':>12}{'end-to-end/s':>14}{'accuracy':>10}")
    for key, r in results.items():
        say(f"{key:<12}{r['forward_per_s']:>12}{r['end_to_end_per_s']:>14}{r['receipt_accuracy']:>10}")
    say(f"int8 gives the full model's receipt on {agreement:.2%} of visits; weights {weights or 'trained here'}")
    ratio = results["model"]["forward_per_s"] / results["baseline"]["forward_per_s"]
    say(f"model forward / baseline forward: {ratio:.2f}")
    if args.json:
        print(json.dumps({**results, "visits": len(ids), "scenario": args.scenario, "weights": str(weights or "")}))


def _newest_weights(folder: Path) -> Path | None:
    # Skip the copies this benchmark registers in its own database ("bench-") and the
    # small model `make run` trains ("demo-"): the figure is about a train_model model.
    found = folder.glob("*.pt") if folder.exists() else iter(())
    files = sorted(
        (p for p in found if not p.name.startswith(("bench-", "demo-"))), key=lambda p: p.stat().st_mtime
    )
    return files[-1] if files else None


if __name__ == "__main__":
    main()
