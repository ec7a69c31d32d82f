"""From an :class:`InformationNeed` to a Whoosh query over the catalog.

Every technique below can be switched in :class:`QueryOptions`, so ``refbot eval`` can
measure what each one is worth (``docs/ranking.md`` has the figures). Each also watches its
cost: a search costs roughly the postings it reads (:mod:`refbot.catalog.execution` scores
them a term at a time), and a common word is the most expensive word there is.

- **Term selection** (on). The need's terms are analysed like the index text and terms that
  meet in one stem add up ("retrieval", "retrieving": the patron's repetition is the
  strongest sign of what matters). A long question keeps its ``max_terms`` most telling
  words by weight × idf; a word in more than half of a large catalog's records is left
  out. Off: the heaviest terms by the need's weight alone.
- **Combined fields** (on). A word is looked for in title, subjects, authors, summary and
  notes; its matches in the text fields count as BM25F proper has it — each field's
  frequency normalised by that field's length and weighted, the sum saturated once — so a
  word in a title and again in a summary counts as more of one word, not as two words
  (:class:`refbot.catalog.execution.Fields`). Off: each field saturates on its own and the
  field scores add up (Whoosh's BM25F). Chosen on CRAN and MED.
- **Field weights** (on). The schema already boosts title (×2) and subjects (×1.5) at
  index time, which makes one title word score about 1.4× a summary word; the query-time
  weights bring a single match back to about even, the way BEIR and most BM25F set-ups
  weigh fields (with combined fields, a title match counts as 1.5 summary matches). Off:
  every query-time weight 1.0. (Whoosh's DisjunctionMax would be the textbook combination,
  but in whoosh-reloaded 2.7.5 it gives documents matching only a weak field the score of
  the strongest one.)
- **Phrases** (on). In a short need (at most :data:`SHORT_NEED` words) words the patron
  wrote side by side ("literasi informasi") earn extra score where they stand together in
  a title (found through the word pairs indexed for titles,
  :data:`refbot.catalog.schema.PHRASE_FIELDS`). In a long description most neighbours are
  neighbours by chance, and boosting them drowns the words that matter.
- **Expansion** (on). Every subject the patron names reaches its other name, Indonesian ↔
  English or British ↔ American spelling ("temu kembali informasi" → "information
  retrieval", "cataloguing" → "cataloging"), at half weight, specific words only
  (:mod:`refbot.catalog.vocabulary`): an Indonesian catalog holds both languages, so the
  patron's own words being in some records says nothing about the other language's.
- **Feedback** (on, for needs of two words or more). Pseudo-relevance feedback, RM3: a
  first search (the patron's searched words, text fields only) finds ten good records;
  up to ten words they share, in at most a tenth of the records, are mixed into the query
  at 30 % of its weight (the patron's own words among them are weighed again). A record
  counts by the cube of its score's share of the best one's (sharp feedback). The first
  search runs on the same engine as the final one, which reads each shared word's postings
  only once. Chosen on CRAN and MED, checked on CISI, CACM and NPL (``docs/ranking.md``).
- **Proximity** (off). The records returned are reordered by how near the need's words
  stand in their stored text (:mod:`refbot.catalog.proximity`, BM25TP); it helped CRAN and
  MED by about 1 % without feedback, was neutral with it, and costs every collection
  since sharp feedback and combined fields (``docs/ranking.md``).

Years, kinds and languages are an optional extra score for records that agree; they boost
and never filter, so a question about "the last 5 years" still shows the classic from 1998
when nothing newer is held. The pipeline's ranking weighs agreement again.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from whoosh.fields import Schema
from whoosh.query import And, AndMaybe, NumericRange, Or, Query, Require
from whoosh.query import Term as WhooshTerm

from refbot.catalog.analysis import analyze
from refbot.catalog.execution import Fields
from refbot.catalog.marc import clean_isbn
from refbot.catalog.schema import PHRASE_FIELDS
from refbot.catalog.vocabulary import translations
from refbot.models import InformationNeed, Term

Search = Callable[[Query, int], list[tuple[int, float]]]
"""Runs a query for its best documents: (query, limit) → [(document number, score)], best first."""

MAX_TERMS = 12
"""At most this many words of the need are searched (``QueryOptions.max_terms``)."""
COMMON_SHARE = 0.5
"""A word in more than this share of the records is left out of the query (term selection)."""
COMMON_MIN_RECORDS = 1000
"""...but only in a catalog this large; in a small one every word may still tell records apart."""
SPECIFIC_SHARE = 0.02
"""Expansion adds only words found in at most this share of the records."""
FEEDBACK_SHARE = 0.1
"""Feedback adds only words found in at most this share of the records (chosen on CRAN and MED)."""
FIELD_WEIGHTS = {"title": 0.75, "subjects": 0.8, "authors": 1.0, "summary": 1.0, "notes": 1.0}
"""Query-time weights that even out the schema's index-time boosts (see the module docstring)."""
TEXT_FIELDS = ("title", "subjects", "summary")
FEEDBACK_FIELDS = TEXT_FIELDS
MAX_TRANSLATIONS = 4
FEEDBACK_PROBE_WORDS = MAX_TERMS
PHRASE_BOOST = 1.0
MAX_PHRASES = 4
SHORT_NEED = 6
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
        expansion: add the other name (the other language's) of the subjects the patron names.
        feedback: pseudo-relevance feedback (RM3) from a first search's best records.
        max_terms: at most this many of the need's terms are searched.
        expansion_weight: weight of a translated term, relative to the patron's own.
        feedback_docs: how many of the first search's records feedback reads.
            (The first search uses the :data:`FEEDBACK_PROBE_WORDS` most telling words.)
        feedback_min_words: feedback only for a need of at least this many searched words.
        feedback_terms: how many words feedback adds at most.
        feedback_weight: the share of the final query feedback words make up (RM3's λ).
        proximity: reorder the results by how near the need's words stand in each record
            (:mod:`refbot.catalog.proximity`).
        proximity_weight: how much proximity counts against the search's own score.
        combined_fields: score a word over title, subjects, summary and notes as BM25F
            proper — the fields' frequencies add up before saturating (:class:`Fields`);
            off, each field saturates on its own and their scores add up.
        sharp_feedback: feedback's records count by their score's share of the best one's
            raised to ``feedback_sharpness`` (off: by their plain score, RM1's share).
        feedback_sharpness: the power ``sharp_feedback`` raises a record's share to.
        neighbours: regularise the first hundred results' scores by their likest records'
            (:mod:`refbot.catalog.neighbours`): a record the other good ones resemble rises.
        neighbour_weight: the share of a record's score its neighbours' scores make up.
    """

    term_selection: bool = True
    field_weights: bool = True
    phrases: bool = True
    expansion: bool = True
    feedback: bool = True
    proximity: bool = False
    max_terms: int = 12
    expansion_weight: float = 0.5
    feedback_docs: int = 10
    feedback_terms: int = 10
    feedback_weight: float = 0.3
    feedback_min_words: int = 2
    proximity_weight: float = 1.0
    combined_fields: bool = True
    sharp_feedback: bool = True
    feedback_sharpness: float = 3.0
    neighbours: bool = True
    neighbour_weight: float = 0.5


PLAIN = QueryOptions(
    term_selection=False, field_weights=False, phrases=False, expansion=False, feedback=False, proximity=False,
    combined_fields=False, neighbours=False,
)
"""Every technique off: the heaviest terms OR-ed over every field alike."""


@dataclass(frozen=True)
class Weighted:
    """One analysed word (an index term), how much it counts, and the patron's spellings of it.

    A word the patron did not write (a translation, a feedback word) has no spellings.
    """

    word: str
    weight: float
    spellings: tuple[str, ...] = ()


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
    """The Whoosh query for a need, without feedback; None when there is nothing to search for.

    Args:
        need: what the patron asked for.
        schema: the index's schema (its analyzers).
        options: the techniques to use; by default none (see :data:`PLAIN`).
        searcher: an open Whoosh searcher, for document frequencies (term selection).
    """
    words = select_words(need, schema, options, searcher)
    content = _content(need, words, schema, options, searcher)
    return _prefer(content, need) if content is not None else None


@dataclass(frozen=True)
class Plan:
    """What a search runs for a need: the query, and the need's own words as searched (for proximity).

    Attributes:
        query: the Whoosh query, feedback's words included.
        words: the patron's own analysed words, most telling first — what
            :mod:`refbot.catalog.proximity` looks for side by side.
        telling: each word's weight × idf, when proximity is on (empty otherwise).
    """

    query: Query
    words: tuple[Weighted, ...] = ()
    telling: tuple[float, ...] = ()


def plan(need: InformationNeed, searcher: Any, options: QueryOptions, search: Search) -> Plan | None:
    """The query to run for a need: :func:`build_query`, widened by feedback when it is on.

    Args:
        need: what the patron asked for.
        searcher: an open Whoosh searcher (document frequencies, the first search's records).
        options: the techniques to use.
        search: runs feedback's first search; the caller's own engine, so the first and the
            final search score alike (:meth:`refbot.catalog.execution.Execution.top`).
    """
    schema = searcher.schema
    own = select_words(need, schema, options, searcher)
    content = _content(need, own, schema, options, searcher)
    if content is None:
        return None
    if options.feedback and options.feedback_terms > 0 and len(own) >= options.feedback_min_words:
        # The first search needs only to find good records: the patron's words over the text
        # fields. (Six words cost less but found worse records to learn from: CRAN's nDCG@10
        # ratio to plain BM25 was 0.94 with six, 0.98 with every word.)
        probe = Or([c for w in own[:FEEDBACK_PROBE_WORDS] if (c := _word_clause(Weighted(w.word, w.weight), schema, options))])
        words = feedback_words(searcher, search(probe, options.feedback_docs), own, options)
        content = _content(need, words, schema, options, searcher) or content
    # How telling each word is matters only to proximity; it costs a look-up per word.
    telling = tuple(w.weight * _idf(searcher, w.word) for w in own) if options.proximity else ()
    return Plan(_prefer(content, need), tuple(own), telling)


def plan_query(need: InformationNeed, searcher: Any, options: QueryOptions, search: Search) -> Query | None:
    """The query :func:`plan` makes for a need; None when there is nothing to search for."""
    planned = plan(need, searcher, options, search)
    return planned.query if planned is not None else None


def _prefer(content: Query, need: InformationNeed) -> Query:
    preferences = _preferences(need)
    return AndMaybe(content, Or(preferences)) if preferences else content


def _content(
    need: InformationNeed, words: Sequence[Weighted], schema: Schema, options: QueryOptions, searcher: Any
) -> Query | None:
    clauses = [c for w in words if (c := _word_clause(w, schema, options))]
    clauses += [c for term in need.terms if (c := _isbn_clause(term))]
    phrases = _telling_phrases(need.phrases, words, schema)[:MAX_PHRASES]
    if options.phrases:
        clauses += [c for phrase in phrases for c in _phrase_clauses(phrase, schema, options, searcher)]
    if options.expansion:
        own = merged_words(need, schema)
        extra = _translations(need, own)
        added = _translated_words(extra, schema, [*words, *own], options, searcher)
        clauses += [c for w in added if (c := _word_clause(w, schema, options))]
    return Or(clauses) if clauses else None


def merged_words(need: InformationNeed, schema: Schema) -> list[Weighted]:
    """The need's terms analysed like the index text; terms meeting in one stem add up."""
    text = schema["summary"].analyzer
    weights: dict[str, float] = {}
    spellings: dict[str, list[str]] = {}
    for term in need.terms:
        if _is_isbn(term):
            continue
        for word in dict.fromkeys(analyze(text, term.text)):
            weights[word] = weights.get(word, 0.0) + term.weight
            spellings.setdefault(word, []).append(term.text)
    return [Weighted(w, weights[w], tuple(spellings[w])) for w in weights]


def select_words(need: InformationNeed, schema: Schema, options: QueryOptions, searcher: Any = None) -> list[Weighted]:
    """The analysed words to search for, most telling first."""
    if not options.term_selection:
        text = schema["summary"].analyzer
        chosen = [t for t in heaviest_terms(need.terms) if not _is_isbn(t)]
        return [Weighted(w, t.weight, (t.text,)) for t in chosen for w in dict.fromkeys(analyze(text, t.text))]
    words = merged_words(need, schema)
    idf = {w.word: _idf(searcher, w.word) for w in words}
    telling = {w.word: w.weight * idf[w.word] for w in words}
    ranked = sorted((w for w in words if telling[w.word] > 0), key=lambda w: -telling[w.word])
    # A word in most records says little about any of them and costs the most to score.
    specific = [w for w in ranked if not _everywhere(searcher, w.word)] or ranked[:1]
    return _keep_rarest(specific, options.max_terms, idf)


def _keep_rarest(ranked: list[Weighted], limit: int, idf: dict[str, float]) -> list[Weighted]:
    """The first ``limit`` words, the rarest of all always among them.

    A long question's rarest word ("torispherical", "hemisphere") is often written late and
    once, so it weighs little; it is also the word that finds the few records that answer.
    """
    kept = ranked[:limit]
    if len(ranked) <= limit or limit <= 0:
        return kept
    rarest = max(ranked, key=lambda w: idf[w.word])
    return kept if rarest in kept else [*kept[:-1], rarest]


def _everywhere(searcher: Any, word: str) -> bool:
    """Whether more than :data:`COMMON_SHARE` of the records hold the word."""
    if searcher is None:
        return False
    total = searcher.doc_count()
    return total >= COMMON_MIN_RECORDS and document_frequency(searcher, word) > COMMON_SHARE * total


def document_frequency(searcher: Any, word: str) -> int:
    """In how many records (at most, over the text fields) the word stands; 0 without a searcher."""
    if searcher is None:
        return 0
    return int(max(searcher.doc_frequency(f, word) for f in TEXT_FIELDS))


def _idf(searcher: Any, word: str) -> float:
    """log(1 + N / df) over the text fields; 1.0 without a searcher; 0 when no record has the word."""
    if searcher is None:
        return 1.0
    df = document_frequency(searcher, word)
    return math.log(1 + searcher.doc_count() / df) if df else 0.0


def _word_clause(word: Weighted, schema: Schema, options: QueryOptions) -> Query | None:
    """The word in every field, or — for a word the patron did not write — in the text fields only.

    With ``combined_fields`` the fields that hold the analysed word make one :class:`Fields`
    clause (BM25F proper, the word's weight as its boost); the authors field, which holds
    the patron's spelling instead, stays a term of its own.
    """
    own: list[WhooshTerm] = []
    names: list[WhooshTerm] = []
    for field in FIELD_WEIGHTS if word.spellings else TEXT_FIELDS:
        weight = FIELD_WEIGHTS[field] if options.field_weights else 1.0
        if field == "authors":
            # Names are not stemmed: the field gets the patron's spelling as its analyzer makes it.
            texts = dict.fromkeys(w for s in word.spellings for w in analyze(schema[field].analyzer, s))
            names.extend(WhooshTerm(field, text, boost=weight * word.weight) for text in texts)
        elif options.combined_fields:
            own.append(WhooshTerm(field, word.word, boost=weight))
        else:
            own.append(WhooshTerm(field, word.word, boost=weight * word.weight))
    together: list[Query] = [Fields(own, boost=word.weight)] if options.combined_fields and own else list(own)
    per_field = [*together, *names]
    return Or(per_field) if per_field else None


def _isbn_clause(term: Term) -> Query | None:
    isbn = clean_isbn(term.text)
    return WhooshTerm("isbn", isbn, boost=ISBN_BOOST * term.weight) if _is_isbn(term) and isbn else None


def _is_isbn(term: Term) -> bool:
    isbn = clean_isbn(term.text)
    return bool(isbn) and isbn == term.text.replace("-", "").upper()


def _telling_phrases(phrases: Sequence[str], words: Sequence[Weighted], schema: Schema) -> list[str]:
    """The phrases worth a boost: only in a short need, where words side by side were meant so.

    In a long description most neighbouring words are neighbours by chance ("usual
    relevance"), and boosting them drowns the words that matter.
    """
    if len(words) > SHORT_NEED:
        return []
    searched = {w.word for w in words}
    analyzer = schema["summary"].analyzer
    return [p for p in dict.fromkeys(phrases) if searched.issuperset(analyze(analyzer, p))]


def _phrase_clauses(phrase: str, schema: Schema, options: QueryOptions, searcher: Any) -> list[Query]:
    """The phrase in title and subjects: its words' scores again, where its word pairs are indexed.

    A record whose title holds "literasi+informasi" has those words side by side; it
    earns their scores in the title once more, at :data:`PHRASE_BOOST` (a positional
    phrase search scores the same). A phrase of three or more words needs all its pairs;
    they may stand apart ("a b … b c"), which in a title is rare. An index built before
    the pairs existed gets no phrase clause.
    """
    clauses: list[Query] = []
    for field, pair_field in PHRASE_FIELDS.items():
        if pair_field not in schema:
            continue
        words = analyze(schema[field].analyzer, phrase)
        pairs = analyze(schema[pair_field].analyzer, phrase)
        if not pairs or (searcher is not None and not all(searcher.doc_frequency(pair_field, p) for p in pairs)):
            continue
        weight = PHRASE_BOOST * (FIELD_WEIGHTS[field] if options.field_weights else 1.0)
        together = And([WhooshTerm(pair_field, p) for p in dict.fromkeys(pairs)])
        clauses.append(Require(And([WhooshTerm(field, w, boost=weight) for w in words]), together))
    return clauses


def _translations(need: InformationNeed, own: Sequence[Weighted]) -> list[str]:
    """The other names of the subjects the patron named.

    "temu kembali informasi" must reach "information retrieval" even where the catalog also
    holds Indonesian records on it: a mixed catalog always holds the patron's own words, so
    asking whether it does would never translate (:func:`_translated_words` keeps the cost
    down: specific words only, at most a few).
    """
    return [target for _, target in translations(need.raw, within={w.word for w in own})]


def _translated_words(
    extra: Sequence[str], schema: Schema, own: Sequence[Weighted], options: QueryOptions, searcher: Any
) -> list[Weighted]:
    """The translations' words not already searched for, at ``expansion_weight`` of the heaviest own word.

    Only specific words are added (in at most :data:`SPECIFIC_SHARE` of the records), and
    at most :data:`MAX_TRANSLATIONS`: a common word ("library") would cost much and tell little.
    """
    known = {w.word for w in own}
    top = max((w.weight for w in own), default=1.0)
    analyzer = schema["summary"].analyzer
    words = dict.fromkeys(w for text in extra for w in analyze(analyzer, text) if w not in known)
    kept = [w for w in words if _specific(searcher, w)][:MAX_TRANSLATIONS]
    return [Weighted(w, top * options.expansion_weight) for w in kept]


def _specific(searcher: Any, word: str, share: float = SPECIFIC_SHARE) -> bool:
    """Whether some record holds the word, and at most ``share`` of them."""
    if searcher is None:
        return True
    df = document_frequency(searcher, word)
    return 0 < df <= max(2.0, share * searcher.doc_count())


def feedback_words(
    searcher: Any, hits: Sequence[tuple[int, float]], words: Sequence[Weighted], options: QueryOptions
) -> list[Weighted]:
    """The need's words re-weighted and widened by pseudo-relevance feedback (RM3).

    The first search's best records (``hits``: document number and score, best first, at
    most ``feedback_docs``) make a relevance model (RM1): each word counts by its share of
    a record's text times the record's share of the scores. Its ``feedback_terms`` most
    telling words (model weight × idf, found in at least two of the records) are mixed with
    the need's own: ``feedback_weight`` of the final query comes from the model, the rest
    from the patron. Returns ``words`` unchanged when the first search finds too little to
    learn from.
    """
    if len(hits) < 2:
        return list(words)
    records = [(_record_weight(score, hits[0][1], options), searcher.stored_fields(docnum)) for docnum, score in hits]
    model, seen_in = _relevance_model(records, searcher.schema["summary"].analyzer)
    candidates = [w for w in model if seen_in[w] >= 2 and len(w) > 2 and not w.isdigit() and _specific(searcher, w, FEEDBACK_SHARE)]
    candidates.sort(key=lambda w: -model[w] * _idf(searcher, w))
    picked = candidates[: options.feedback_terms]
    mass = sum(model[w] for w in picked)
    own = sum(w.weight for w in words)
    if not picked or mass <= 0 or own <= 0:
        return list(words)
    share = options.feedback_weight
    mixed = {w.word: (1.0 - share) * w.weight for w in words}
    for word in picked:
        mixed[word] = mixed.get(word, 0.0) + share * own * model[word] / mass
    spellings = {w.word: w.spellings for w in words}
    return [Weighted(w, v, spellings.get(w, ())) for w, v in sorted(mixed.items(), key=lambda kv: -kv[1])]


def _record_weight(score: float, best: float, options: QueryOptions) -> float:
    """How much a first-search record counts in the relevance model, from its score and the best one's.

    BM25 scores of the first ten records lie close together, while the first is far likelier
    relevant than the tenth: with
    ``sharp_feedback`` a record counts by its score's share of the best raised to
    ``feedback_sharpness``; without, by its score alone (RM1's plain score share).
    """
    if not options.sharp_feedback or best <= 0:
        return score
    return (score / best) ** options.feedback_sharpness


def _relevance_model(
    records: Sequence[tuple[float, dict[str, Any]]], analyzer: Any
) -> tuple[dict[str, float], Counter[str]]:
    """RM1 over the records (score, stored fields): word → weight, and in how many records each word occurs."""
    total = sum(score for score, _ in records) or 1.0
    model: dict[str, float] = {}
    seen_in: Counter[str] = Counter()
    for score, fields in records:
        counts = Counter(w for field in FEEDBACK_FIELDS if fields.get(field) for w in analyze(analyzer, fields[field]))
        length = sum(counts.values()) or 1
        for word, count in counts.items():
            model[word] = model.get(word, 0.0) + (count / length) * (score / total)
            seen_in[word] += 1
    return model, seen_in


def _preferences(need: InformationNeed) -> list[Query]:
    preferences: list[Query] = []
    if need.year_from is not None or need.year_to is not None:
        preferences.append(NumericRange("year", need.year_from, need.year_to, boost=YEAR_BOOST))
    preferences.extend(WhooshTerm("kind", kind.value, boost=KIND_BOOST) for kind in sorted(need.kinds))
    preferences.extend(WhooshTerm("language", code, boost=LANGUAGE_BOOST) for code in sorted(need.languages))
    return preferences
