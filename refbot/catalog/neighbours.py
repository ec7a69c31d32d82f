"""Neighbours: a record that the other best records resemble is likelier to answer the need.

Relevant records tend to resemble each other (the cluster hypothesis): among the first
hundred a search returns, a record on the need's subject shares its vocabulary with many of
the others, while a record that matched the need's words by accident stands alone. Score
regularisation (Diaz, *Regularizing ad hoc retrieval scores*, CIKM 2005) uses that: each
record's score is mixed with the scores of the records most like it, so a record whose
nearest neighbours scored well rises and a lone one sinks.

Likeness is the cosine of two records' words — title, subjects and summary as the index
analyses them, each word weighed by (1 + log count) × idf — computed for the records the
search returned only, from their stored text (the index keeps no term vectors). A record's
words are kept per generation, so a record shown again is not analysed twice, and so is
each word's document frequency.

With ``share`` s, a record's score becomes (1 − s) × its own + s × the mean of its
:data:`NEIGHBOURS` nearest records' scores, weighed by likeness (scores as shares of the
best). Measured with ``refbot eval`` (docs/ranking.md): chosen on CRAN and MED, it raised
nDCG@10 and MAP@100 most where a need has many relevant records.
"""

from __future__ import annotations

import functools
import math
import sys
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from whoosh.analysis import Analyzer

from refbot.catalog.proximity import FIELDS, record_words
from refbot.catalog.query import document_frequency

POOL = 100
"""How many of the search's first records are regularised (and read) when neighbours are on."""
NEIGHBOURS = 5
"""How many of a record's likest records its score is mixed with."""
FULL_WORDS = 50
"""A record of fewer distinct words has its neighbours count in proportion: few words make a poor likeness."""
_KEPT = 20_000
"""Records whose words are kept per generation (about a kilobyte each: the words are shared)."""

Vector = dict[str, float]
Words = tuple[tuple[str, ...], tuple[int, ...]]
"""A record's distinct index terms and how often each occurs."""


class RecordWords:
    """One generation's records' analysed words and its words' document frequencies, kept as searches read them."""

    def __init__(self, size: int = _KEPT) -> None:
        self._size = size
        self._words: OrderedDict[tuple[object, int], Words] = OrderedDict()
        self._df: dict[str, int] = {}
        self._lock = threading.Lock()

    def words(self, fields: Mapping[str, object], analyzer: Analyzer) -> Words:
        """The record's index terms in title, subjects and summary, with their counts."""
        # By id and text: an edited record is read again.
        key = (fields.get("id"), hash(tuple(fields.get(field) for field in FIELDS)))
        with self._lock:
            found = self._words.get(key)
            if found is not None:
                self._words.move_to_end(key)
                return found
        counts = Counter(sys.intern(term) for _, term in record_words(fields, analyzer))
        found = (tuple(counts), tuple(counts.values()))
        with self._lock:
            self._words[key] = found
            if len(self._words) > self._size:
                self._words.popitem(last=False)
        return found

    def df(self, word: str, lookup: Callable[[str], int]) -> int:
        """The word's document frequency, looked up once per generation."""
        found = self._df.get(word)
        if found is None:
            found = self._df[word] = lookup(word)
            if len(self._df) > 10 * self._size:  # a bound, never reached by a real catalog's vocabulary
                self._df.clear()
        return found


def vector(words: Words, idf: Mapping[str, float]) -> Vector:
    """A record's words as a unit-length vector, each (1 + log count) × idf."""
    weighted = {w: (1.0 + math.log(n)) * idf[w] for w, n in zip(*words, strict=True) if idf[w] > 0}
    norm = math.sqrt(sum(x * x for x in weighted.values()))
    return {w: x / norm for w, x in weighted.items()} if norm > 0 else {}


def likeness(vectors: Sequence[Vector]) -> list[list[float]]:
    """Every pair's cosine, through the words they share (a word in one record only adds nothing)."""
    holders: dict[str, list[tuple[int, float]]] = {}
    for i, v in enumerate(vectors):
        for word, x in v.items():
            holders.setdefault(word, []).append((i, x))
    like = [[0.0] * len(vectors) for _ in vectors]
    for held in holders.values():
        for a in range(len(held) - 1):  # each pair once, the earlier record's row (holders are in record order)
            i, x = held[a]
            row = like[i]
            for j, y in held[a + 1:]:
                row[j] += x * y
    for i, row in enumerate(like):
        for j in range(i + 1, len(row)):
            like[j][i] = row[j]
    return like


def regularise(scores: Sequence[float], vectors: Sequence[Vector], share: float,
               neighbours: int = NEIGHBOURS) -> list[float]:
    """Each record's score mixed at ``share`` with its likest records' scores, on the scale of ``scores``.

    A record no other resembles keeps its own score; one of fewer than :data:`FULL_WORDS`
    words mixes in proportion to its words (two titles sharing "analisis" are not alike).
    """
    best = max(scores, default=0.0)
    if share <= 0 or len(scores) < 3 or best <= 0:
        return list(scores)
    own = [s / best for s in scores]
    like = likeness(vectors)
    mixed = []
    for i, row in enumerate(like):
        nearest = [j for j in sorted(range(len(row)), key=row.__getitem__, reverse=True)[:neighbours] if row[j] > 0]
        total = sum(row[j] for j in nearest)  # a record's likeness to itself is left at 0
        theirs = sum(row[j] * own[j] for j in nearest) / total if total > 0 else own[i]
        mix = share * min(1.0, len(vectors[i]) / FULL_WORDS)
        mixed.append(((1.0 - mix) * own[i] + mix * theirs) * best)
    return mixed


def rerank(
    ordered: Sequence[tuple[int, float, int]],
    stored: Sequence[Mapping[str, object]],
    searcher: Any,
    kept: RecordWords,
    share: float,
) -> list[tuple[int, float, int]]:
    """The search's results, best first, the first :data:`POOL` of them reordered by their neighbours' scores.

    Args:
        ordered: (document number, score, index into ``stored``), best first.
        stored: the results' stored fields.
        searcher: the searcher they came from (document frequencies, the analyzer).
        kept: the generation's records' words and words' frequencies.
        share: how much the neighbours' scores count; 0 keeps the search's order.
    """
    pool, rest = ordered[:POOL], list(ordered[POOL:])
    if share <= 0 or len(pool) < 3:
        return list(ordered)
    analyzer = searcher.schema["summary"].analyzer
    counted = [kept.words(stored[i], analyzer) for _, _, i in pool]
    records = searcher.doc_count()
    lookup = functools.partial(document_frequency, searcher)
    idf = {w: math.log((records + 1) / (kept.df(w, lookup) + 1)) for w in set().union(*(terms for terms, _ in counted))}
    scores = regularise([score for _, score, _ in pool], [vector(words, idf) for words in counted], share)
    merged = [(docnum, score, i) for (docnum, _, i), score in zip(pool, scores, strict=True)]
    return sorted(merged, key=lambda item: -item[1]) + rest
