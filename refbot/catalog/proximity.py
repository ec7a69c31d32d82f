"""Proximity: the need's words standing near each other in a record, to order the first results.

A record that speaks of "heat transfer around a hemisphere" in one sentence answers a
question about the heat transfer distribution around a hemisphere better than one that
mentions heat in its first line and a hemisphere in its last; BM25 cannot tell them apart.
The index keeps no word positions (they would make every posting four times as costly to
read, :mod:`refbot.catalog.schema`), but the records a search returns are read anyway to
make candidates, and their title and summary are stored: proximity is scored on those,
after the search, for the records returned only.

The score is BM25TP's (Büttcher, Clarke and Lushman, *Term proximity scoring for ad-hoc
retrieval on very large text collections*, SIGIR 2006): walking the record's words, each
time a need's word follows a *different* need's word at distance d, both gain the other's
weight / d²; each word's gains are saturated like BM25's term frequency and weighed by the
word's own weight. Added to the search's score at ``proximity_weight``, it reorders records
whose words cluster, and cannot lift a record that matches few of the words.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from whoosh.analysis import Analyzer

from refbot.catalog.analysis import analyze

FIELDS = ("title", "subjects", "summary")
"""The stored fields read, in this order; a field ends a run (its words are never near the next field's)."""
FIELD_GAP = 50
"""Positions left between fields: as far apart as words that cannot count as near."""
K1 = 1.2
B = 0.75


def record_words(fields: Mapping[str, object], analyzer: Analyzer) -> list[tuple[int, str]]:
    """A stored record's title, subjects and summary as (position, index term), in reading order."""
    words: list[tuple[int, str]] = []
    start = 0
    for field in FIELDS:
        text = fields.get(field)
        if not isinstance(text, str) or not text:
            continue
        terms = analyze(analyzer, text)
        words.extend((start + i, term) for i, term in enumerate(terms))
        start += len(terms) + FIELD_GAP
    return words


def accumulate(words: Iterable[tuple[int, str]], weights: Mapping[str, float]) -> dict[str, float]:
    """Each need word's proximity gains in one record: the other words' weights / distance², summed.

    ``weights`` are how telling each word is (weight × idf): a rare word near another counts more.
    """
    gains: dict[str, float] = {}
    last: tuple[int, str] | None = None
    for position, term in words:
        weight = weights.get(term)
        if weight is None:
            continue
        if last is not None and last[1] != term:
            near = 1.0 / (position - last[0]) ** 2
            gains[term] = gains.get(term, 0.0) + weights[last[1]] * near
            gains[last[1]] = gains.get(last[1], 0.0) + weight * near
        last = (position, term)
    return gains


def proximity(gains: Mapping[str, float], weights: Mapping[str, float], length: int, average: float) -> float:
    """A record's proximity score: each word's gains saturated as BM25 saturates a term's frequency.

    ``weights`` are the need's own weights (as BM25TP's min(1, idf): the idf is in the gains).
    """
    norm = K1 * ((1 - B) + B * length / average) if average > 0 else K1
    return sum(weights[t] * g * (K1 + 1) / (g + norm) for t, g in gains.items())


def rerank(
    scored: Sequence[tuple[int, float]],
    stored: Sequence[Mapping[str, object]],
    weights: Mapping[str, float],
    telling: Mapping[str, float],
    analyzer: Analyzer,
    share: float,
) -> list[tuple[int, float, int]]:
    """The search's results with proximity added at ``share``, best first, as (document, score, index into ``stored``).

    Args:
        scored: (document number, score) best first, as the search returned them.
        stored: each result's stored fields, in the same order.
        weights: the need's own words (index terms) and their weights.
        telling: the same words' weight × idf.
        analyzer: the index's text analyzer.
        share: how much proximity counts; 0 keeps the search's order.
    """
    if share <= 0 or len(weights) < 2 or not scored:
        return [(d, s, i) for i, (d, s) in enumerate(scored)]
    texts = [record_words(fields, analyzer) for fields in stored]
    average = sum(len(t) for t in texts) / len(texts)
    added = [share * proximity(accumulate(t, telling), weights, len(t), average) for t in texts]
    merged = [(d, s + extra, i) for i, ((d, s), extra) in enumerate(zip(scored, added, strict=True))]
    return sorted(merged, key=lambda item: (-item[1], item[2]))
