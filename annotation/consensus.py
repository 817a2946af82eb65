"""Combining several people's labels: Dawid-Skene, majority vote, Krippendorff's alpha.

Our own small numpy implementation rather than crowd-kit: crowd-kit brings pandas and
scikit-learn into the web process for two estimators, works on one fixed class set per
run, and has no per-vote weights. Here each field of an event is an item:

- ``action`` uses the full Dawid-Skene model (a confusion matrix per annotator over the
  four actions: a hasty annotator who calls every put-back a pick is learnt as such);
- ``sku``, ``quantity`` and ``track_id`` have a different set of possible answers per
  event (the candidates, the group's tracks), so they use the one-coin variant (one
  accuracy per annotator, errors spread over the item's other options).

Both are fitted by EM, warm-started from gold: gold items keep their known answer as the
posterior, so the first M-step already knows who is careful. A vote can carry a weight
below one (an annotator flagged by the gold bar counts for less).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

Item = Hashable
Value = Hashable


@dataclass(frozen=True)
class Vote:
    item: Item
    worker: int
    value: Value
    weight: float = 1.0


@dataclass
class Consensus:
    labels: dict[Item, Value]
    posterior: dict[Item, float]
    accuracy: dict[int, float]
    confusion: dict[int, list[list[float]]] = field(default_factory=dict)


def majority_vote(votes: Iterable[Vote]) -> dict[Item, Value]:
    """The most frequent (weighted) value per item; ties go to the value seen first."""
    tally: dict[Item, dict[Value, float]] = defaultdict(dict)
    for v in votes:
        tally[v.item][v.value] = tally[v.item].get(v.value, 0.0) + v.weight
    return {item: max(counts, key=lambda value: counts[value]) for item, counts in tally.items()}


def _index(votes: Sequence[Vote]) -> tuple[list[Item], dict[Item, int], list[int], dict[int, int]]:
    items: list[Item] = []
    item_ix: dict[Item, int] = {}
    workers: list[int] = []
    worker_ix: dict[int, int] = {}
    for v in votes:
        if v.item not in item_ix:
            item_ix[v.item] = len(items)
            items.append(v.item)
        if v.worker not in worker_ix:
            worker_ix[v.worker] = len(workers)
            workers.append(v.worker)
    return items, item_ix, workers, worker_ix


def dawid_skene(
    votes: Sequence[Vote],
    *,
    classes: Sequence[Value],
    gold: Mapping[Item, Value] | None = None,
    iterations: int = 50,
    prior_accuracy: float = 0.8,
    prior_strength: float = 2.0,
) -> Consensus:
    """Full Dawid-Skene over a fixed class set: per-annotator confusion matrices and
    class priors by EM; returns the most probable class per item and its posterior."""
    gold = gold or {}
    items, item_ix, workers, worker_ix = _index(votes)
    k = len(classes)
    cls = {c: i for i, c in enumerate(classes)}
    obs = [(item_ix[v.item], worker_ix[v.worker], cls[v.value], v.weight) for v in votes if v.value in cls]
    n_i, n_w = len(items), len(workers)
    # Dirichlet pseudo-counts: most mass on the diagonal (people are mostly right).
    prior = np.full((k, k), prior_strength * (1 - prior_accuracy) / max(k - 1, 1))
    np.fill_diagonal(prior, prior_strength * prior_accuracy)
    post = np.full((n_i, k), 1e-6)
    for i, _, lab, weight in obs:
        post[i, lab] += weight
    post /= post.sum(1, keepdims=True)
    clamp = {item_ix[it]: cls[val] for it, val in gold.items() if it in item_ix and val in cls}
    for i, lab in clamp.items():
        post[i] = 0.0
        post[i, lab] = 1.0
    conf: np.ndarray[Any, Any] = np.zeros((n_w, k, k))
    ii = np.array([o[0] for o in obs], dtype=int)
    ww = np.array([o[1] for o in obs], dtype=int)
    ll = np.array([o[2] for o in obs], dtype=int)
    wt = np.array([o[3] for o in obs], dtype=float)
    for _ in range(iterations):
        conf = np.broadcast_to(prior, (n_w, k, k)).copy()
        np.add.at(conf, (ww, slice(None), ll), post[ii] * wt[:, None])  # type: ignore[arg-type]
        conf /= conf.sum(2, keepdims=True)
        pi = post.sum(0) + 1.0
        pi /= pi.sum()
        log_post = np.tile(np.log(pi), (n_i, 1))
        np.add.at(log_post, ii, np.log(conf[ww, :, ll]) * wt[:, None])
        log_post -= log_post.max(1, keepdims=True)
        new = np.exp(log_post)
        new /= new.sum(1, keepdims=True)
        for i, lab in clamp.items():
            new[i] = 0.0
            new[i, lab] = 1.0
        if np.abs(new - post).max() < 1e-6:
            post = new
            break
        post = new
    best = post.argmax(1)
    return Consensus(
        labels={items[i]: classes[int(best[i])] for i in range(n_i)},
        posterior={items[i]: float(post[i, best[i]]) for i in range(n_i)},
        accuracy={workers[w]: float(np.sum(np.diag(conf[w]) * (post.sum(0) / post.sum()))) for w in range(n_w)},
        confusion={workers[w]: conf[w].round(4).tolist() for w in range(n_w)},
    )


def confusion_posterior(
    votes: Sequence[Vote], *, classes: Sequence[Value], confusion: Mapping[int, Sequence[Sequence[float]]]
) -> Consensus:
    """The Dawid-Skene E-step alone: each item's posterior from confusion matrices already
    learnt (row: true class, column: labelled class) and a uniform class prior."""
    cls = {c: i for i, c in enumerate(classes)}
    log_post: dict[Item, np.ndarray[Any, Any]] = {}
    for v in votes:
        if v.value not in cls:
            continue
        row = np.log(np.clip(np.asarray(confusion[v.worker], dtype=float)[:, cls[v.value]], 1e-6, 1.0))
        log_post[v.item] = log_post.get(v.item, np.zeros(len(classes))) + v.weight * row
    labels: dict[Item, Value] = {}
    posterior: dict[Item, float] = {}
    for item, lp in log_post.items():
        p = np.exp(lp - lp.max())
        p /= p.sum()
        best = int(np.argmax(p))
        labels[item] = classes[best]
        posterior[item] = float(p[best])
    return Consensus(labels=labels, posterior=posterior, accuracy={})


def one_coin(
    votes: Sequence[Vote],
    *,
    options: Mapping[Item, int] | None = None,
    gold: Mapping[Item, Value] | None = None,
    iterations: int = 50,
    prior_accuracy: float = 0.8,
    prior_strength: float = 2.0,
    warm: Mapping[int, float] | None = None,
) -> Consensus:
    """One-coin Dawid-Skene: one accuracy per annotator, each item with its own answer
    set (the values voted for; ``options[item]`` says how many answers were possible, so
    a wrong vote's likelihood is (1 - accuracy) / (options - 1)). ``warm`` starts the
    accuracies (e.g. from an earlier fit) instead of from majority vote."""
    gold = gold or {}
    options = options or {}
    items, item_ix, workers, worker_ix = _index(votes)
    by_item: dict[int, list[tuple[int, Value, float]]] = defaultdict(list)
    for v in votes:
        by_item[item_ix[v.item]].append((worker_ix[v.worker], v.value, v.weight))
    values: dict[int, list[Value]] = {}
    for i, vs in by_item.items():
        seen: list[Value] = []
        for _, val, _ in vs:
            if val not in seen:
                seen.append(val)
        g = gold.get(items[i])
        if g is not None and g not in seen:
            seen.append(g)
        values[i] = seen
    n_opts = {i: max(options.get(items[i], 0), len(values[i]), 2) for i in values}
    clamp = {item_ix[it]: val for it, val in gold.items() if it in item_ix}
    acc = np.full(len(workers), prior_accuracy)
    if warm:
        for w, a in warm.items():
            if w in worker_ix:
                acc[worker_ix[w]] = a
    post: dict[int, np.ndarray[Any, Any]] = {}

    def e_step(use_votes_only: bool) -> None:
        for i, vals in values.items():
            if i in clamp:
                post[i] = np.array([1.0 if v == clamp[i] else 0.0 for v in vals])
                continue
            if use_votes_only:
                p = np.array([sum(wt for _, val, wt in by_item[i] if val == v) for v in vals]) + 1e-6
            else:
                logp = np.zeros(len(vals))
                for w, val, wt in by_item[i]:
                    a = min(max(acc[w], 1e-3), 1 - 1e-3)
                    wrong = np.log((1 - a) / (n_opts[i] - 1))
                    logp += wt * np.where(np.array([v == val for v in vals]), np.log(a), wrong)
                p = np.exp(logp - logp.max())
            post[i] = p / p.sum()

    e_step(use_votes_only=not warm)
    for _ in range(iterations):
        right = np.full(len(workers), prior_strength * prior_accuracy)
        total = np.full(len(workers), prior_strength)
        for i, vals in values.items():
            for w, val, wt in by_item[i]:
                right[w] += wt * float(post[i][vals.index(val)])
                total[w] += wt
        new_acc = right / total
        e_step(use_votes_only=False)
        if np.abs(new_acc - acc).max() < 1e-6:
            acc = new_acc
            break
        acc = new_acc
    labels: dict[Item, Value] = {}
    posterior: dict[Item, float] = {}
    for i, vals in values.items():
        b = int(np.argmax(post[i]))
        labels[items[i]] = vals[b]
        posterior[items[i]] = float(post[i][b])
    return Consensus(
        labels=labels, posterior=posterior, accuracy={workers[w]: float(acc[w]) for w in range(len(workers))}
    )


def krippendorff_alpha(units: Iterable[Sequence[Any]]) -> float | None:
    """Nominal Krippendorff's alpha over units (each the values several people gave to
    one thing); units with fewer than two values are not pairable. None when nothing
    is pairable or every value is the same (no disagreement is expected)."""
    coincidence: dict[tuple[Any, Any], float] = defaultdict(float)
    for unit in units:
        m = len(unit)
        if m < 2:
            continue
        for a in range(m):
            for b in range(m):
                if a != b:
                    coincidence[(unit[a], unit[b])] += 1.0 / (m - 1)
    if not coincidence:
        return None
    n_c: dict[Any, float] = defaultdict(float)
    for (c, _), n in coincidence.items():
        n_c[c] += n
    n = sum(n_c.values())
    observed = sum(v for (c, k), v in coincidence.items() if c != k)
    expected = sum(n_c[c] * n_c[k] for c in n_c for k in n_c if c != k) / (n - 1)
    if expected == 0:
        return None if observed == 0 else 0.0
    return float(1.0 - observed / expected)
