"""Running a built catalog query against one generation: the same scores, less Python per posting.

Whoosh evaluates a query one document at a time through a tree of matchers, in pure Python,
so a search costs roughly (postings visited) × (matcher calls per posting). Two rewrites
cut that without changing what is found or how it scores (sums are added in another
order, so a score may differ in its last bits):

- Nested plain ORs become one. Whoosh builds one matcher tree per OR with the longest
  posting lists nearest the root; an OR of per-term ORs (each term over five fields) keeps
  every term in a subtree of its own, so a common word pays for every level above it.
- The optional side of an AND-MAYBE — the year, kind and language preferences — matches
  most of the catalog ("kind:book"), and Whoosh walks its posting list entry by entry to
  meet each document of the main side. Those scores depend only on the generation, and
  needs share a handful of preferences, so they are computed once per segment and kept
  (:class:`PreferenceCache`, one per opened generation); the walk becomes a binary search.

Anything else is left to Whoosh as it is.
"""

from __future__ import annotations

import bisect
import threading
from array import array
from typing import Any

from whoosh.matching import Matcher, NullMatcher
from whoosh.query import AndMaybe, Or, Query

_CACHE_SIZE = 32
"""Preference queries kept per generation; one is ~16 bytes per matching record per segment."""
_Scores = tuple["array[int]", "array[float]", float]


class PreferenceCache:
    """Per-document scores of the preference queries run on one generation, by segment."""

    def __init__(self, size: int = _CACHE_SIZE) -> None:
        self._size = size
        self._scores: dict[tuple[str, Query], _Scores] = {}
        self._lock = threading.Lock()

    def scores(self, query: Query, searcher: Any, context: Any) -> _Scores:
        """Every document a query matches in the searcher's segment, with its score."""
        key = (_segment_key(searcher), query)
        with self._lock:
            found = self._scores.get(key)
        if found is None:
            found = _score_all(query.matcher(searcher, context))
            with self._lock:
                if len(self._scores) >= self._size:
                    self._scores.clear()
                self._scores[key] = found
        return found


def plan(query: Query, cache: PreferenceCache) -> Query:
    """The query to hand Whoosh: flattened, with its preferences served from the cache."""
    if type(query) is AndMaybe:
        return AndMaybe(flatten(query.a), _Cached(query.b, cache))
    return flatten(query)


def flatten(query: Query) -> Query:
    """An OR whose plain OR children (no boost) are merged into it; other queries unchanged."""
    if not _plain_or(query):
        return query
    merged: list[Query] = []
    for sub in query.subqueries:
        sub = flatten(sub)
        merged.extend(sub.subqueries if _plain_or(sub) else [sub])
    return Or(merged, boost=query.boost)


def _plain_or(query: Query) -> bool:
    return type(query) is Or and query.boost == 1.0 and not query.minmatch and query.scale is None


def _segment_key(searcher: Any) -> str:
    reader = searcher.reader()
    segment = getattr(reader, "segment", None)
    return str(segment().segment_id()) if callable(segment) else f"reader-{id(reader)}"


def _score_all(matcher: Matcher) -> _Scores:
    ids: array[int] = array("q")
    scores: array[float] = array("d")
    while matcher.is_active():
        ids.append(matcher.id())
        scores.append(matcher.score())
        matcher.next()
    return ids, scores, max(scores, default=0.0)


class _Cached(Query):
    """A query whose matcher replays scores kept in a :class:`PreferenceCache`."""

    def __init__(self, query: Query, cache: PreferenceCache) -> None:
        self.query = query
        self.cache = cache

    def __eq__(self, other: object) -> bool:
        return type(other) is _Cached and other.query == self.query

    def __hash__(self) -> int:
        return hash((_Cached, self.query))

    def __str__(self) -> str:
        return f"cached({self.query})"

    __unicode__ = __str__

    def estimate_size(self, ixreader: Any) -> int:
        return int(self.query.estimate_size(ixreader))

    def matcher(self, searcher: Any, context: Any = None) -> Matcher:
        ids, scores, best = self.cache.scores(self.query, searcher, context)
        return _ScoreList(ids, scores, best) if ids else NullMatcher()


class _ScoreList(Matcher):
    """Sorted document numbers with their scores; skipping is a binary search."""

    def __init__(self, ids: array[int], scores: array[float], best: float, at: int = 0) -> None:
        self._ids = ids
        self._scores = scores
        self._best = best
        self._at = at

    def is_active(self) -> bool:
        return self._at < len(self._ids)

    def id(self) -> int:
        return self._ids[self._at]

    def score(self) -> float:
        return self._scores[self._at]

    def next(self) -> bool:
        self._at += 1
        return False

    def skip_to(self, id: int) -> bool:
        if self._at < len(self._ids) and self._ids[self._at] < id:
            self._at = bisect.bisect_left(self._ids, id, self._at)
        return False

    def copy(self) -> _ScoreList:
        return _ScoreList(self._ids, self._scores, self._best, self._at)

    def supports(self, astype: str) -> bool:
        return False

    def supports_block_quality(self) -> bool:
        return True

    def max_quality(self) -> float:
        return self._best

    def block_quality(self) -> float:
        return self._best

    def skip_to_quality(self, minquality: float) -> int:
        if self._best <= minquality and self.is_active():
            self._at = len(self._ids)
            return 1
        return 0

    def replace(self, minquality: float = 0) -> Matcher:
        if not self.is_active() or (minquality and self._best < minquality):
            return NullMatcher()
        return self
