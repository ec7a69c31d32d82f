"""The measures ``refbot eval`` reports, computed the way trec_eval does.

A run maps each query id to its ranked document ids, best first; judgments (qrels) map each
query id to {document id: grade}, where a grade above 0 means relevant. Gains are linear in
the grade (trec_eval's ``ndcg_cut``); average precision is divided by all relevant documents,
retrieved or not (``map_cut``). Queries without a relevant document are not scored.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

Run = Mapping[str, Sequence[str]]
Qrels = Mapping[str, Mapping[str, int]]

METRICS = ("ndcg@10", "map@100", "recall@100", "p@10")
"""The measures reported, in the order they are printed."""


def ndcg(ranking: Sequence[str], judged: Mapping[str, int], k: int) -> float:
    """Normalised discounted cumulative gain of the first ``k`` documents."""
    gains = [max(judged.get(doc, 0), 0) for doc in ranking[:k]]
    ideal = sorted((g for g in judged.values() if g > 0), reverse=True)[:k]
    best = _dcg(ideal)
    return _dcg(gains) / best if best > 0 else 0.0


def average_precision(ranking: Sequence[str], judged: Mapping[str, int], k: int) -> float:
    """Average precision over the first ``k`` documents, divided by every relevant document."""
    relevant = {doc for doc, grade in judged.items() if grade > 0}
    if not relevant:
        return 0.0
    hits = 0
    total = 0.0
    for position, doc in enumerate(ranking[:k], start=1):
        if doc in relevant:
            hits += 1
            total += hits / position
    return total / len(relevant)


def recall(ranking: Sequence[str], judged: Mapping[str, int], k: int) -> float:
    """The share of relevant documents found in the first ``k``."""
    relevant = {doc for doc, grade in judged.items() if grade > 0}
    if not relevant:
        return 0.0
    return len(relevant & set(ranking[:k])) / len(relevant)


def precision(ranking: Sequence[str], judged: Mapping[str, int], k: int) -> float:
    """The share of the first ``k`` places (found or not) holding a relevant document."""
    return sum(1 for doc in ranking[:k] if judged.get(doc, 0) > 0) / k


def per_query(ranking: Sequence[str], judged: Mapping[str, int]) -> dict[str, float]:
    """Every reported measure for one query."""
    return {
        "ndcg@10": ndcg(ranking, judged, 10),
        "map@100": average_precision(ranking, judged, 100),
        "recall@100": recall(ranking, judged, 100),
        "p@10": precision(ranking, judged, 10),
    }


def evaluate(run: Run, qrels: Qrels) -> dict[str, float]:
    """Each measure averaged over the judged queries (a query missing from the run scores 0)."""
    judged = [qid for qid, docs in qrels.items() if any(grade > 0 for grade in docs.values())]
    if not judged:
        return dict.fromkeys(METRICS, 0.0)
    scores = [per_query(run.get(qid, ()), qrels[qid]) for qid in judged]
    return {name: sum(s[name] for s in scores) / len(scores) for name in METRICS}


def ratios(ours: Mapping[str, float], baseline: Mapping[str, float]) -> dict[str, float]:
    """ours / baseline per measure (infinity when the baseline scored 0 and we did not)."""
    return {name: _ratio(ours[name], baseline[name]) for name in METRICS}


def geometric_mean(values: Sequence[float]) -> float:
    """The geometric mean of positive values (ratios across collections); 0 when one is 0, nan when none."""
    if not values:
        return math.nan
    if any(v <= 0 for v in values):
        return 0.0
    return math.exp(sum(math.log(v) for v in values) / len(values))


def _ratio(a: float, b: float) -> float:
    if b > 0:
        return a / b
    return 1.0 if a == 0 else math.inf


def _dcg(gains: Sequence[int]) -> float:
    return sum(g / math.log2(i + 2) for i, g in enumerate(gains))
