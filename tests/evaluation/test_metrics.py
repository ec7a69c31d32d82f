"""The evaluator's measures on small cases worked out by hand."""

from __future__ import annotations

import math

import pytest

from refbot.evaluation.metrics import average_precision, evaluate, geometric_mean, ndcg, precision, ratios, recall

LOG3 = math.log2(3)


@pytest.mark.parametrize(
    ("ranking", "judged", "k", "expected"),
    [
        # two relevant, found at 1 and 3: DCG 1 + 1/2, ideal 1 + 1/log2(3)
        (["a", "b", "c"], {"a": 1, "c": 1}, 10, 1.5 / (1 + 1 / LOG3)),
        # graded, in the wrong order: DCG 1 + 2/log2(3), ideal 2 + 1/log2(3)
        (["b", "a"], {"a": 2, "b": 1}, 10, (1 + 2 / LOG3) / (2 + 1 / LOG3)),
        # perfect
        (["a", "b"], {"a": 1, "b": 1}, 10, 1.0),
        # the cut-off: the relevant document at 3 does not count at k=2; the ideal is cut too
        (["x", "y", "a"], {"a": 1}, 2, 0.0),
        # nothing relevant found, nothing returned, only non-relevant judged
        (["x", "y"], {"a": 1}, 10, 0.0),
        ([], {"a": 1}, 10, 0.0),
        (["a"], {"a": 0}, 10, 0.0),
        # more relevant than k: the ideal holds k of them
        (["a", "x"], {"a": 1, "b": 1, "c": 1}, 2, 1.0 / (1 + 1 / LOG3)),
    ],
)
def test_ndcg(ranking: list[str], judged: dict[str, int], k: int, expected: float) -> None:
    assert ndcg(ranking, judged, k) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("ranking", "judged", "k", "expected"),
    [
        (["a", "x", "b", "y"], {"a": 1, "b": 1, "c": 1}, 100, (1 / 1 + 2 / 3) / 3),  # c never found
        (["x", "a", "b"], {"a": 1, "b": 1}, 2, (1 / 2) / 2),  # b falls past the cut-off
        (["a", "b"], {"a": 1, "b": 1}, 100, 1.0),
        (["x"], {"a": 1}, 100, 0.0),
        (["a"], {"a": 0}, 100, 0.0),
    ],
)
def test_average_precision(ranking: list[str], judged: dict[str, int], k: int, expected: float) -> None:
    assert average_precision(ranking, judged, k) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("ranking", "judged", "k", "expected_recall", "expected_precision"),
    [
        (["a", "x", "b"], {"a": 1, "b": 1, "c": 1, "d": 1}, 10, 0.5, 0.2),  # P@10 counts empty places
        (["a", "x", "b"], {"a": 1, "b": 1, "c": 1, "d": 1}, 1, 0.25, 1.0),
        (["x", "y"], {"a": 1}, 2, 0.0, 0.0),
    ],
)
def test_recall_and_precision(
    ranking: list[str], judged: dict[str, int], k: int, expected_recall: float, expected_precision: float
) -> None:
    assert recall(ranking, judged, k) == pytest.approx(expected_recall)
    assert precision(ranking, judged, k) == pytest.approx(expected_precision)


def test_evaluate_averages_judged_queries_only() -> None:
    qrels = {"1": {"a": 1}, "2": {"b": 1}, "3": {"c": 0}}  # query 3 has nothing relevant: not scored
    run = {"1": ["a"], "3": ["c"]}  # query 2 answered nothing: scores 0
    measured = evaluate(run, qrels)
    assert measured["ndcg@10"] == pytest.approx(0.5)
    assert measured["map@100"] == pytest.approx(0.5)
    assert measured["recall@100"] == pytest.approx(0.5)
    assert measured["p@10"] == pytest.approx(0.05)


def test_ratios() -> None:
    ours = {"ndcg@10": 0.3, "map@100": 0.2, "recall@100": 0.0, "p@10": 0.1}
    theirs = {"ndcg@10": 0.25, "map@100": 0.1, "recall@100": 0.0, "p@10": 0.0}
    assert ratios(ours, theirs) == {"ndcg@10": pytest.approx(1.2), "map@100": pytest.approx(2.0),
                                    "recall@100": 1.0, "p@10": math.inf}


def test_the_geometric_mean_of_ratios_lets_no_loss_hide_behind_a_gain() -> None:
    assert geometric_mean([2.0, 0.5]) == pytest.approx(1.0)  # double on one, half on the other: no gain
    assert geometric_mean([1.1, 1.1, 1.1]) == pytest.approx(1.1)
    assert geometric_mean([1.5, 0.0]) == 0.0
    assert math.isnan(geometric_mean([]))
