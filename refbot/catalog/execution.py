"""Running a catalog query on one generation: Whoosh's BM25F scores, computed a term at a time.

Whoosh evaluates a query one document at a time through a tree of matchers, in pure Python:
every posting of every term costs several method calls at every level of the tree (about
10 µs a posting on the 100,000-record benchmark, where a long need visits 40,000 postings).
Its block-quality skipping does not help refbot's queries: a dozen words over five fields
leave no block whose best score is too low to matter. But refbot's queries have one shape —
an OR of single terms (each word over a few fields) and perhaps a few phrases (a phrase's
words again, required to stand together: ``Require(And(words), And(word pairs))``), with
an optional AND-MAYBE of year, kind and language preferences on top — and for that shape
the same scores come far cheaper:

- **Term at a time.** Each term's posting list is decoded a block at a time and scored into
  one accumulator per segment (document → score). The score is Whoosh's own BM25F: its
  scorer supplies idf and average field length, and each document's length comes from the
  same length byte Whoosh reads, so only the order of the additions differs (a score may
  differ in its last bits).
- **Length norms once per generation.** BM25's length part, K1 × (1 − B + B × length /
  average), depends only on the document and the field; it is worked out from each
  segment's length column the first time a field is searched and kept with the generation
  (:class:`GenerationCache`, ~8 bytes per record and field).
- **A word over several fields** (:class:`Fields`, BM25F proper) reads each field's postings
  the same way, divides each frequency by its record's length part instead of saturating it,
  adds the fields up per document and saturates the sum once, with the word's idf where most
  records hold it. Whoosh has no such query; its own search scores it as a plain OR.
- **Phrases** add their words' scores (already decoded for the words themselves) to the
  documents in all of the phrase's pair posting lists (a pair is in far fewer records
  than either of its words, and its postings carry no positions to decode).
- **Anything else** in the OR — an ISBN, a boosted sub-OR — runs through its own Whoosh
  matcher and its scores are added in; it is rare and small.
- **Preferences at the end.** The optional side of an AND-MAYBE matches most of the catalog
  ("kind:book"); its per-document scores depend only on the generation and needs share a
  handful of them, so they are computed once per segment and kept. They are added only to
  the documents that can still reach the top: a preference adds at most its best score P,
  so a document scoring below (the limit-th best content score − P) cannot.
- **Decoded once per search.** The feedback probe and the final query of one need share
  most terms; an :class:`Execution` keeps each term's scored postings for its search.

Results come best first, ties to the lower document number. They are the exact top: Whoosh's
own top-N search, with its skipping, was seen to miss a few documents that score higher
than ones it returns. This module reaches into whoosh-reloaded 2.7.5's codec (the W3
posting matcher's block reader and the per-document length column), which the project
pins; ``tests/catalog/test_execution.py`` checks every query shape against Whoosh's search.
"""

from __future__ import annotations

import bisect
import heapq
import threading
from array import array
from collections.abc import Callable, Iterable, Sequence
from itertools import accumulate, repeat
from typing import Any

from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher, _lenfield
from whoosh.matching import Matcher
from whoosh.matching.wrappers import FilterMatcher
from whoosh.query import And, AndMaybe, Or, Query, Require
from whoosh.query import Term as WhooshTerm
from whoosh.scoring import BM25F, BM25FScorer
from whoosh.util.numeric import byte_to_length

Scored = tuple[int, float]
"""A document number in the searcher and its score."""


class Fields(Or):
    """One word over several text fields, scored as BM25F proper: the fields' term frequencies
    (each normalised by its own length, times its boost) add up *before* BM25 saturates them.

    A plain OR of the fields lets each field saturate on its own, so a record that names the
    word in its title and again in its summary scores nearly twice a record that names it
    twice in its summary; here both count as more of one word. The query's own ``boost`` is
    the word's weight; each field's term carries the field's weight. Every term must hold the
    same word. Whoosh's own search reads it as a plain OR (each field saturated alone).
    """


_CACHE_SIZE = 32
"""Preference queries kept per generation; one is 16 bytes per matching record per segment."""


class GenerationCache:
    """What the searches on one opened generation share: length norms and preference scores, by segment."""

    def __init__(self, size: int = _CACHE_SIZE) -> None:
        self._size = size
        self._norms: dict[tuple[str, str], list[float]] = {}
        self._preferences: dict[tuple[str, Query], _Preference] = {}
        self._lock = threading.Lock()

    def norms(self, searcher: Any, field: str, scorer: BM25FScorer) -> list[float]:
        """BM25's length part for every document of the searcher's segment, in one field."""
        key = (_segment_key(searcher), field)
        with self._lock:
            found = self._norms.get(key)
        if found is None:
            found = _length_norms(searcher.reader(), field, scorer)
            with self._lock:
                self._norms[key] = found
        return found

    def preference(self, query: Query, searcher: Any, context: Any) -> _Preference:
        """Every document of the searcher's segment a preference query matches, with its score."""
        key = (_segment_key(searcher), query)
        with self._lock:
            found = self._preferences.get(key)
        if found is None:
            found = _Preference(_walk(query.matcher(searcher, context)))
            with self._lock:
                if len(self._preferences) >= self._size:
                    self._preferences.clear()
                self._preferences[key] = found
        return found


class _Preference:
    """A preference query's scores in one segment: sorted document numbers, their scores, the best score."""

    def __init__(self, scored: Iterable[Scored] = ()) -> None:
        self.ids: array[int] = array("q")
        self.scores: array[float] = array("d")
        for docnum, score in scored:  # a matcher yields documents in order
            self.ids.append(docnum)
            self.scores.append(score)
        self.best = max(self.scores, default=0.0)

    def of(self, docnum: int) -> float:
        """The document's score; 0 when the preference does not match it."""
        i = bisect.bisect_left(self.ids, docnum)
        return self.scores[i] if i < len(self.ids) and self.ids[i] == docnum else 0.0


_NO_PREFERENCE = _Preference()


class _Postings:
    """One term's postings in one segment: documents (ascending) and their unboosted BM25F scores."""

    def __init__(self, ids: Sequence[int], scores: Sequence[float]) -> None:
        self.ids = ids
        self.scores = scores


_NOWHERE = _Postings((), ())


class Execution:
    """The searches of one need on one borrowed searcher (one thread; kept no longer than the search).

    Args:
        searcher: an open Whoosh searcher whose weighting is BM25F.
        cache: the cache of the generation the searcher reads.
    """

    def __init__(self, searcher: Any, cache: GenerationCache) -> None:
        self.searcher = searcher
        self.cache = cache
        self._context = searcher.context()
        self._postings: dict[tuple[int, str, str], _Postings] = {}
        self._normalised: dict[tuple[int, str, str], _Postings] = {}
        self._idfs: dict[tuple[tuple[str, str], ...], float | None] = {}

    def top(self, query: Query, limit: int) -> list[Scored]:
        """The ``limit`` best documents for a query, best first, ties to the lower document number."""
        content, preferred = (query.a, query.b) if type(query) is AndMaybe else (query, None)
        leaves = list(_leaves(content))
        found: list[Scored] = []
        for segment, (searcher, offset) in enumerate(self.searcher.leaf_searchers()):
            scores = self._accumulate(leaves, searcher, segment)
            preference = self.cache.preference(preferred, searcher, self._context) if preferred is not None else _NO_PREFERENCE
            found.extend((offset + docnum, score) for docnum, score in _select(scores, preference, limit))
        return sorted(found, key=_rank_key)[:limit]

    def _accumulate(self, leaves: Sequence[Query], searcher: Any, segment: int) -> dict[int, float]:
        """Every leaf's scores in one segment, added up per document."""
        scores: dict[int, float] = {}
        get = scores.get
        for leaf in leaves:
            if _plain_term(leaf, searcher):
                self._add(scores, self._term(leaf.fieldname, leaf.text, searcher, segment), leaf.boost)
            elif _fields(leaf, searcher):
                self._add_fields(scores, leaf, searcher, segment)
            elif _pair_phrase(leaf, searcher):
                together = set.intersection(*(set(_read_ids(searcher.reader(), t.fieldname, t.text)) for t in leaf.b.subqueries))
                for word in leaf.a.subqueries:
                    self._add(scores, self._term(word.fieldname, word.text, searcher, segment), word.boost, together)
            else:
                for docnum, score in _walk(leaf.matcher(searcher, self._context)):
                    scores[docnum] = get(docnum, 0.0) + score
        return scores

    @staticmethod
    def _add(scores: dict[int, float], postings: _Postings, boost: float, only: set[int] | None = None) -> None:
        """Add a term's scores times its boost; to ``only``'s documents alone when it is given."""
        get = scores.get
        if only is None:
            for docnum, score in zip(postings.ids, postings.scores, strict=True):
                scores[docnum] = get(docnum, 0.0) + score * boost
        elif only:
            for docnum, score in zip(postings.ids, postings.scores, strict=True):
                if docnum in only:
                    scores[docnum] = get(docnum, 0.0) + score * boost

    def _add_fields(self, scores: dict[int, float], query: Fields, searcher: Any, segment: int) -> None:
        """Add one word's BM25F score: its fields' normalised frequencies summed, then saturated once."""
        idf = self._word_idf(query)
        if idf is None:
            return
        found = [(p, t.boost) for t in query.subqueries if (p := self._frequencies(t.fieldname, t.text, searcher, segment)).ids]
        if not found:
            return
        # The longest list becomes the sum at C speed; the shorter ones (titles, subjects) are added in.
        found.sort(key=lambda pair: -len(pair[0].ids))
        (first, boost), rest = found[0], found[1:]
        frequencies = dict(zip(first.ids, [f * boost for f in first.scores], strict=True))
        get = frequencies.get
        for postings, boost in rest:
            for docnum, frequency in zip(postings.ids, postings.scores, strict=True):
                frequencies[docnum] = get(docnum, 0.0) + frequency * boost
        k1 = searcher.weighting.K1
        weight = query.boost * idf * (k1 + 1)
        saturated = zip(frequencies, [weight * f / (k1 + f) for f in frequencies.values()], strict=True)
        if not scores:  # the query's first word: nothing to add to
            scores.update(saturated)
            return
        add = scores.get
        for docnum, score in saturated:
            scores[docnum] = add(docnum, 0.0) + score

    def _word_idf(self, query: Fields) -> float | None:
        """The word's idf in the field where most records hold it (the nearest to a whole-record idf).

        Taken over the whole index, so every segment scores the word alike; None when no
        record holds it in any of the fields.
        """
        key = tuple((t.fieldname, t.text) for t in query.subqueries)
        if key not in self._idfs:
            held = [(f, t) for f, t in key if self.searcher.doc_frequency(f, t)]
            weighting = self.searcher.weighting
            self._idfs[key] = min((weighting.scorer(self.searcher, f, t).idf for f, t in held), default=None)
        return self._idfs[key]

    def _frequencies(self, field: str, text: str, searcher: Any, segment: int) -> _Postings:
        """A term's frequencies in one segment, each divided by its record's length part, read once per search."""
        return self._read_once(self._normalised, (segment, field, text), searcher, _length_normalised)

    def _term(self, field: str, text: str, searcher: Any, segment: int) -> _Postings:
        """A term's postings in one segment, decoded and scored once per search."""
        return self._read_once(self._postings, (segment, field, text), searcher, _bm25)

    def _read_once(
        self, kept: dict[tuple[int, str, str], _Postings], key: tuple[int, str, str], searcher: Any, score: _Formula,
    ) -> _Postings:
        found = kept.get(key)
        if found is None:
            found = kept[key] = self._read(key[1], key[2], searcher, score)
        return found

    def _read(self, field: str, text: str, searcher: Any, score: _Formula) -> _Postings:
        reader = searcher.reader()
        if (field, text) not in reader:
            return _NOWHERE
        scorer = searcher.weighting.scorer(searcher, field, text)
        norms = self.cache.norms(searcher, field, scorer)
        ids, weights = _read_postings(reader, field, text)
        return _Postings(ids, score(scorer, ids, weights, norms))


_Formula = Callable[[Any, list[int], list[float], Any], list[float]]
"""What a posting list becomes: (scorer, record numbers, frequencies, the field's length parts) → values."""


def _bm25(scorer: Any, ids: list[int], weights: list[float], norms: Any) -> list[float]:
    """Whoosh's bm25(), term by term, with the length part looked up."""
    idf, k1 = scorer.idf, scorer.K1 + 1
    return [idf * ((w * k1) / (w + norms[d])) for d, w in zip(ids, weights, strict=True)]


def _length_normalised(scorer: Any, ids: list[int], weights: list[float], norms: Any) -> list[float]:
    """Frequencies over the length part, for BM25F to sum across fields before it saturates them."""
    # norms hold K1 × (1 − B + B × length / average); BM25F wants frequency / (1 − B + B × length / average).
    k1 = scorer.K1
    return [k1 * w / norms[d] for d, w in zip(ids, weights, strict=True)]


def _leaves(query: Query) -> Iterable[Query]:
    """The queries whose scores a plain OR adds up: its children, and theirs when they are plain ORs too."""
    if not _plain_or(query):
        yield query
        return
    for sub in query.subqueries:
        yield from _leaves(sub)


def _plain_or(query: Query) -> bool:
    return type(query) is Or and query.boost == 1.0 and not query.minmatch and query.scale is None


def _plain_term(query: Query, searcher: Any) -> bool:
    """Whether a query is one term of a scored text field, under BM25F: the fast path."""
    return (
        type(query) is WhooshTerm
        and isinstance(query.text, str)
        and type(searcher.weighting) is BM25F
        and query.fieldname in searcher.schema
        and searcher.schema[query.fieldname].scorable
    )


def _fields(query: Query, searcher: Any) -> bool:
    """Whether a query is one word over several fields, as :class:`Fields` holds it, under BM25F."""
    return type(query) is Fields and all(_plain_term(term, searcher) for term in query.subqueries)


def _pair_phrase(query: Query, searcher: Any) -> bool:
    """Whether a query is a phrase as :mod:`refbot.catalog.query` writes it: plain word terms, required pairs."""
    return (
        type(query) is Require
        and type(query.a) is And
        and type(query.b) is And
        and query.a.boost == query.b.boost == 1.0
        and all(_plain_term(word, searcher) for word in query.a.subqueries)
        and all(type(pair) is WhooshTerm and pair.fieldname in searcher.schema for pair in query.b.subqueries)
    )


def _select(scores: dict[int, float], preference: _Preference, limit: int) -> list[Scored]:
    """The segment's ``limit`` best documents, preferences added where they can change the top.

    A preference only adds (its boosts are positive), at most its best score: a document
    whose score is that much below the limit-th best without preferences cannot reach the top.
    """
    if not scores:
        return []
    floor = heapq.nlargest(limit, scores.values())[-1] if len(scores) >= limit else 0.0
    reach = floor - preference.best
    near = [(d, score + preference.of(d)) for d, score in scores.items() if score >= reach]
    return sorted(near, key=_rank_key)[:limit]


def _rank_key(item: Scored) -> tuple[float, int]:
    return -item[1], item[0]


def _walk(matcher: Matcher) -> Iterable[Scored]:
    while matcher.is_active():
        yield matcher.id(), matcher.score()
        matcher.next()


def _read_postings(reader: Any, field: str, text: str) -> tuple[list[int], list[float]]:
    """A term's document numbers and weights in one segment, deleted documents left out."""
    matcher = reader.postings(field, text)
    deleted: frozenset[int] = frozenset()
    if isinstance(matcher, FilterMatcher):  # the segment has deletions
        deleted, matcher = reader.deleted_docs_set, matcher.child
        matcher.reset()
    ids: list[int] = []
    weights: list[float] = []
    if isinstance(matcher, W3LeafMatcher):
        while matcher.is_active():  # a block at a time: one pickled (ids, weights, values) tuple
            matcher._read_data()
            block_ids, block_weights, _ = matcher._data
            ids.extend(accumulate(block_ids))  # stored as gaps
            if block_weights is None or isinstance(block_weights, float):  # every weight alike
                weights.extend(repeat(block_weights or 1.0, matcher._blocklength))
            else:
                weights.extend(block_weights)
            matcher._next_block()
    else:  # postings inlined in the term's entry: a handful
        while matcher.is_active():
            ids.append(matcher.id())
            weights.append(matcher.weight())
            matcher.next()
    if deleted:
        kept = [i for i, d in enumerate(ids) if d not in deleted]
        return [ids[i] for i in kept], [weights[i] for i in kept]
    return ids, weights


def _read_ids(reader: Any, field: str, text: str) -> list[int]:
    """A term's document numbers in one segment (none when the term is not there)."""
    return _read_postings(reader, field, text)[0] if (field, text) in reader else []


def _length_norms(reader: Any, field: str, scorer: BM25FScorer) -> list[float]:
    """K1 × (1 − B + B × length / average length) per document, from the segment's length bytes."""
    k1, b, average = scorer.K1, scorer.B, scorer.avgfl
    by_byte = [k1 * ((1 - b) + b * byte_to_length(byte) / average) for byte in range(256)]
    column = reader._perdoc.column_reader(_lenfield(field), LENGTHS_COLUMN)
    return [by_byte[byte] for byte in array("B", column)]


def _segment_key(searcher: Any) -> str:
    reader = searcher.reader()
    segment = getattr(reader, "segment", None)
    return str(segment().segment_id()) if callable(segment) else f"reader-{id(reader)}"
