"""Dawid-Skene against majority vote, and Krippendorff's alpha, on constructed cases."""

from __future__ import annotations

from annotation.consensus import Vote, dawid_skene, krippendorff_alpha, majority_vote, one_coin


def _constructed() -> tuple[list[Vote], dict[str, str]]:
    # Worker 1 is careful; workers 2 and 3 call every put-back a pick. On item "x" (a
    # put-back) they outvote the careful one; the gold items teach who is who.
    votes: list[Vote] = []
    gold: dict[str, str] = {}
    for i in range(12):
        truth = "put_back" if i % 2 else "pick"
        item = f"g{i}"
        gold[item] = truth
        votes += [Vote(item, 1, truth), Vote(item, 2, "pick"), Vote(item, 3, "pick")]
    votes += [Vote("x", 1, "put_back"), Vote("x", 2, "pick"), Vote("x", 3, "pick")]
    return votes, gold


def test_dawid_skene_recovers_the_answer_majority_vote_gets_wrong() -> None:
    votes, gold = _constructed()
    assert majority_vote(votes)["x"] == "pick"
    result = dawid_skene(votes, classes=["pick", "put_back", "restock", "noise"], gold=gold)
    assert result.labels["x"] == "put_back"
    assert result.posterior["x"] > 0.9
    # The confusion says worker 2 turns put-backs into picks.
    assert result.confusion[2][1][0] > 0.7


def test_one_coin_weights_the_reliable_annotator() -> None:
    votes: list[Vote] = []
    gold: dict[str, str] = {}
    for i in range(10):
        item = f"g{i}"
        gold[item] = "A"
        votes += [Vote(item, 1, "A"), Vote(item, 2, "B"), Vote(item, 3, "C" if i % 2 else "A")]
    votes += [Vote("x", 1, "A"), Vote("x", 2, "B"), Vote("x", 3, "B")]
    assert majority_vote(votes)["x"] == "B"
    result = one_coin(votes, gold=gold, options={"x": 6})
    assert result.labels["x"] == "A"
    assert result.accuracy[1] > 0.85 > result.accuracy[2]


def test_one_coin_vote_weights_count() -> None:
    votes = [Vote("x", 1, "A", weight=0.2), Vote("x", 2, "B", weight=1.0)]
    assert one_coin(votes, iterations=0).labels["x"] == "B"


def test_krippendorff_alpha() -> None:
    assert krippendorff_alpha([["a", "a"], ["b", "b"], ["a", "a"]]) == 1.0
    disagree = krippendorff_alpha([["a", "b"], ["b", "a"]])
    assert disagree is not None and disagree < 0
    assert krippendorff_alpha([["a"]]) is None
    half = krippendorff_alpha([["a", "a"], ["b", "b"], ["a", "b"], ["b", "b"]])
    assert half is not None and 0 < half < 1
