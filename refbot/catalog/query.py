"""From an :class:`InformationNeed` to a Whoosh query over the catalog.

Every technique below can be switched off in :class:`QueryOptions`, so ``refbot eval`` can
measure what each one is worth:

- **Term selection.** The need's terms are analysed like the index text and terms that meet
  in one stem add up ("retrieval", "retrieving"); a long question keeps only its
  ``max_terms`` most telling terms — weight × idf, so the rare words that decide a ranking
  stay and the common ones whose long posting lists cost the most time go first. Without
  it: the heaviest terms by the need's weight alone.
- **Field weights.** A term is looked for in title, subjects, authors, summary and notes and
  the field scores add up, a title match counting more than a summary one. (Whoosh's
  DisjunctionMax would be the textbook choice, but in whoosh-reloaded 2.7.5 it gives
  documents matching only a weak field the score of the strongest one.)
- **Phrases.** An optional extra score when the words of a phrase stand together.
- **Proximity.** A smaller extra score when they stand near each other (a few words apart).
- **Expansion.** Indonesian and English names of the same library subject reach each other
  ("perpustakaan" ↔ "library", "temu kembali informasi" ↔ "information retrieval"), at a
  lower weight than the patron's own words.
- **Feedback.** Pseudo-relevance feedback (RM3): the best few records of a first search
  suggest the words their authors use for the subject, which are added at a lower weight.

Years, kinds and languages are an optional extra score for records that agree; they boost
and never filter, so a question about "the last 5 years" still shows the classic from 1998
when nothing newer is held. The pipeline's ranking weighs agreement again.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from whoosh.fields import Schema
from whoosh.query import AndMaybe, NumericRange, Or, Phrase, Query
from whoosh.query import Term as WhooshTerm

from refbot.catalog.analysis import analyze
from refbot.catalog.marc import clean_isbn
from refbot.catalog.vocabulary import translations
from refbot.models import InformationNeed, Term

MAX_TERMS = 12
FIELD_WEIGHTS = {"title": 3.0, "subjects": 2.0, "authors": 1.5, "summary": 1.0, "notes": 0.5}
PHRASE_FIELDS = ("title", "subjects", "summary")
FEEDBACK_FIELDS = ("title", "subjects", "summary")
PHRASE_BOOST = 2.0
ISBN_BOOST = 20.0
YEAR_BOOST = 2.0
KIND_BOOST = 1.5
LANGUAGE_BOOST = 1.0


@dataclass(frozen=True)
class QueryOptions:
    """Which search techniques are on, and their few parameters.

    Attributes:
        term_selection: merge terms by stem; keep the most telling by weight × idf.
        field_weights: weigh a match by the field it is in (off: every field alike).
        phrases: extra score when a phrase's words stand together.
        proximity: extra score when they stand within ``proximity_slop`` words.
        expansion: add the other language's name for a library subject.
        feedback: pseudo-relevance feedback from the first search's best records.
        max_terms: at most this many of the need's terms are searched.
        proximity_slop: how far apart (in words) near words may stand.
        proximity_boost: weight of a near match, relative to a phrase match.
        expansion_weight: weight of a translated term, relative to the patron's own.
        feedback_docs: how many of the first search's records feedback reads.
        feedback_terms: how many words feedback adds at most.
        feedback_weight: the share of the final query feedback words make up (RM3's λ).
    """

    term_selection: bool = True
    field_weights: bool = True
    phrases: bool = True
    proximity: bool = True
    expansion: bool = True
    feedback: bool = True
    max_terms: int = 16
    proximity_slop: int = 4
    proximity_boost: float = 0.5
    expansion_weight: float = 0.5
    feedback_docs: int = 10
    feedback_terms: int = 10
    feedback_weight: float = 0.3


PLAIN = QueryOptions(
    term_selection=False, field_weights=False, phrases=False, proximity=False, expansion=False, feedback=False
)
"""Every technique off: the heaviest terms OR-ed over every field alike."""


@dataclass(frozen=True)
class Weighted:
    """One analysed word (an index term) and how much it counts."""

    word: str
    weight: float


def heaviest_terms(terms: tuple[Term, ...], limit: int = MAX_TERMS) -> list[Term]:
    """The heaviest distinct terms, heaviest first (ties keep the need's order)."""
    best: dict[str, Term] = {}
    for term in terms:
        key = term.text.strip().casefold()
        if key and (key not in best or term.weight > best[key].weight):
            best[key] = term
    return sorted(best.values(), key=lambda t: -t.weight)[:limit]


def build_query(
    need: InformationNeed, schema: Schema, options: QueryOptions = PLAIN, searcher: Any = None
) -> Query | None:
    """The Whoosh query for a need; None when the need has nothing to search for.

    Args:
        need: what the patron asked for.
        schema: the index's schema (its analyzers).
        options: the techniques to use; by default none (see :data:`PLAIN`).
        searcher: an open Whoosh searcher, for document frequencies (term selection).
    """
    content = _content_query(need, schema, options, searcher)
    if content is None:
        return None
    preferences = _preferences(need)
    return AndMaybe(content, Or(preferences)) if preferences else content


def plan_query(need: InformationNeed, searcher: Any, options: QueryOptions) -> Query | None:
    """The query to run for a need: :func:`build_query`, widened by feedback when it is on."""
    query = build_query(need, searcher.schema, options, searcher)
    if query is None or not options.feedback or options.feedback_terms <= 0:
        return query
    content = _content_query(need, searcher.schema, options, searcher)
    words = _selected(need, searcher.schema, options, searcher)
    assert content is not None  # build_query found something to search for
    extra = feedback_words(searcher, content, words, options)
    if not extra:
        return query
    clauses = [content, *(c for w in extra if (c := _word_clause(w, searcher.schema, options)))]
    widened: Query = Or(clauses)
    preferences = _preferences(need)
    return AndMaybe(widened, Or(preferences)) if preferences else widened


def _content_query(need: InformationNeed, schema: Schema, options: QueryOptions, searcher: Any) -> Query | None:
    words = _selected(need, schema, options, searcher)
    clauses = [c for w in words if (c := _word_clause(w, schema, options))]
    clauses += [c for term in need.terms if (c := _isbn_clause(term))]
    phrases = list(need.phrases)
    if options.expansion:
        extra = translations([t.text for t in need.terms] + phrases)
        clauses += [c for w in _weigh_translations(extra, schema, words, options) if (c := _word_clause(w, schema, options))]
        phrases += [p for p in extra if " " in p]
    for phrase in dict.fromkeys(phrases):
        clauses += _phrase_clauses(phrase, schema, options)
    return Or(clauses) if clauses else None


def _selected(need: InformationNeed, schema: Schema, options: QueryOptions, searcher: Any) -> list[Weighted]:
    """The analysed words to search for, heaviest first."""
    text = schema["summary"].analyzer
    if not options.term_selection:
        chosen = [t for t in heaviest_terms(need.terms) if not _is_isbn(t)]
        return [Weighted(w, t.weight) for t in chosen for w in dict.fromkeys(analyze(text, t.text))]
    merged: Counter[str] = Counter()
    for term in need.terms:
        if not _is_isbn(term):
            for word in dict.fromkeys(analyze(text, term.text)):
                merged[word] += term.weight
    ranked = sorted(merged.items(), key=lambda kv: -kv[1] * _idf(searcher, kv[0]))
    if searcher is not None:
        ranked = [(w, v) for w, v in ranked if _idf(searcher, w) > 0]
    return [Weighted(w, v) for w, v in ranked[: options.max_terms]]


def _idf(searcher: Any, word: str) -> float:
    """log(N / df) over the text fields, 1.0 without a searcher; 0 when no record has the word."""
    if searcher is None:
        return 1.0
    df = max(searcher.doc_frequency(f, word) for f in PHRASE_FIELDS)
    return math.log(1 + searcher.doc_count() / df) if df else 0.0


def _word_clause(word: Weighted, schema: Schema, options: QueryOptions) -> Query | None:
    per_field: list[Query] = []
    for field, weight in FIELD_WEIGHTS.items():
        boost = (weight if options.field_weights else 1.0) * word.weight
        # Names are not stemmed: the authors field gets the word as its own analyzer makes it.
        words = [word.word] if field != "authors" else []
        per_field.extend(WhooshTerm(field, w, boost=boost) for w in words)
    return Or(per_field) if per_field else None


def _isbn_clause(term: Term) -> Query | None:
    isbn = clean_isbn(term.text)
    return WhooshTerm("isbn", isbn, boost=ISBN_BOOST * term.weight) if _is_isbn(term) and isbn else None


def _is_isbn(term: Term) -> bool:
    isbn = clean_isbn(term.text)
    return bool(isbn) and isbn == term.text.replace("-", "").upper()


def _phrase_clauses(phrase: str, schema: Schema, options: QueryOptions) -> list[Query]:
    clauses: list[Query] = []
    for field in PHRASE_FIELDS:
        words = analyze(schema[field].analyzer, phrase)
        if len(words) < 2:
            continue
        weight = FIELD_WEIGHTS[field] if options.field_weights else 1.0
        if options.phrases:
            clauses.append(Phrase(field, words, boost=PHRASE_BOOST * weight))
        if options.proximity:
            near = Phrase(field, words, slop=options.proximity_slop, boost=PHRASE_BOOST * options.proximity_boost * weight)
            clauses.append(near)
    return clauses


def _weigh_translations(
    extra: Sequence[str], schema: Schema, own: Sequence[Weighted], options: QueryOptions
) -> list[Weighted]:
    known = {w.word for w in own}
    top = max((w.weight for w in own), default=1.0)
    words = dict.fromkeys(w for text in extra for w in analyze(schema["summary"].analyzer, text))
    return [Weighted(w, top * options.expansion_weight) for w in words if w not in known]


def feedback_words(searcher: Any, query: Query, words: Sequence[Weighted], options: QueryOptions) -> list[Weighted]:
    """Words the best records of a first search share, weighted as RM3 would add them.

    Each record's words count by their share of its text, times the record's share of the
    first search's score (relevance model RM1); words in nearly every record are left out.
    The added words together weigh ``feedback_weight`` of the final query.
    """
    hits = searcher.search(query, limit=options.feedback_docs)
    if len(hits) < 2:
        return []
    total_score = sum(hit.score for hit in hits) or 1.0
    model: Counter[str] = Counter()
    analyzer = searcher.schema["summary"].analyzer
    for hit in hits:
        counts = Counter(_stored_words(hit, analyzer))
        length = sum(counts.values()) or 1
        for word, count in counts.items():
            model[word] += (count / length) * (hit.score / total_score)
    known = {w.word for w in words}
    picked = _common_enough(searcher, [w for w, _ in model.most_common() if w not in known and len(w) > 2], options)
    mass = sum(model[w] for w in picked)
    if not picked or mass <= 0:
        return []
    own = sum(w.weight for w in words) or 1.0
    scale = own * options.feedback_weight / (1.0 - options.feedback_weight)
    return [Weighted(w, scale * model[w] / mass) for w in picked]


def _stored_words(hit: Any, analyzer: Any) -> Iterable[str]:
    for field in FEEDBACK_FIELDS:
        text = hit.get(field)
        if text:
            yield from analyze(analyzer, text)


def _common_enough(searcher: Any, candidates: Sequence[str], options: QueryOptions) -> list[str]:
    """The first ``feedback_terms`` candidates that are neither everywhere nor nowhere else."""
    total = searcher.doc_count() or 1
    picked: list[str] = []
    for word in candidates[: options.feedback_terms * 4]:
        df = max(searcher.doc_frequency(f, word) for f in FEEDBACK_FIELDS)
        if 1 < df <= total * 0.1:
            picked.append(word)
        if len(picked) == options.feedback_terms:
            break
    return picked


def _preferences(need: InformationNeed) -> list[Query]:
    preferences: list[Query] = []
    if need.year_from is not None or need.year_to is not None:
        preferences.append(NumericRange("year", need.year_from, need.year_to, boost=YEAR_BOOST))
    preferences.extend(WhooshTerm("kind", kind.value, boost=KIND_BOOST) for kind in sorted(need.kinds))
    preferences.extend(WhooshTerm("language", code, boost=LANGUAGE_BOOST) for code in sorted(need.languages))
    return preferences
