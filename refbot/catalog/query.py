"""From an :class:`InformationNeed` to a Whoosh query over the catalog.

- Terms: the ~12 heaviest (a long question must not become a 40-way OR that matches
  everything a little). Each term is analysed like the index text and looked for in title,
  subjects, authors, summary and notes, weighted by the term's weight and the field's
  weight; the field scores add up. (Whoosh's DisjunctionMax would be the textbook choice,
  but in whoosh-reloaded 2.7.5 it gives documents matching only a weak field the score of
  the strongest one.)
- Phrases: an optional extra score when the words stand together in title, subjects or
  summary.
- Years, kinds, languages: an optional extra score for records that agree. They boost and
  never filter, so a question about "the last 5 years" still shows the classic from 1998
  when nothing newer is held; the pipeline's ranking weighs agreement again.
"""

from __future__ import annotations

from whoosh.fields import Schema
from whoosh.query import AndMaybe, NumericRange, Or, Phrase, Query
from whoosh.query import Term as WhooshTerm

from refbot.catalog.analysis import analyze
from refbot.catalog.marc import clean_isbn
from refbot.models import InformationNeed, Term

MAX_TERMS = 12
FIELD_WEIGHTS = {"title": 3.0, "subjects": 2.0, "authors": 1.5, "summary": 1.0, "notes": 0.5}
PHRASE_FIELDS = ("title", "subjects", "summary")
PHRASE_BOOST = 2.0
ISBN_BOOST = 20.0
YEAR_BOOST = 2.0
KIND_BOOST = 1.5
LANGUAGE_BOOST = 1.0


def heaviest_terms(terms: tuple[Term, ...], limit: int = MAX_TERMS) -> list[Term]:
    """The heaviest distinct terms, heaviest first (ties keep the need's order)."""
    best: dict[str, Term] = {}
    for term in terms:
        key = term.text.strip().casefold()
        if key and (key not in best or term.weight > best[key].weight):
            best[key] = term
    return sorted(best.values(), key=lambda t: -t.weight)[:limit]


def build_query(need: InformationNeed, schema: Schema) -> Query | None:
    """The Whoosh query for a need; None when the need has nothing to search for."""
    clauses = [c for term in heaviest_terms(need.terms) if (c := _term_clause(term, schema))]
    clauses += [c for phrase in need.phrases for c in _phrase_clauses(phrase, schema)]
    if not clauses:
        return None
    query: Query = Or(clauses)
    preferences = _preferences(need)
    return AndMaybe(query, Or(preferences)) if preferences else query


def _term_clause(term: Term, schema: Schema) -> Query | None:
    isbn = clean_isbn(term.text)
    if isbn and isbn == term.text.replace("-", "").upper():
        return WhooshTerm("isbn", isbn, boost=ISBN_BOOST * term.weight)
    per_field: list[Query] = []
    for field, weight in FIELD_WEIGHTS.items():
        words = analyze(schema[field].analyzer, term.text)
        boost = weight * term.weight
        per_field.extend(WhooshTerm(field, word, boost=boost) for word in dict.fromkeys(words))
    return Or(per_field) if per_field else None


def _phrase_clauses(phrase: str, schema: Schema) -> list[Query]:
    clauses: list[Query] = []
    for field in PHRASE_FIELDS:
        words = analyze(schema[field].analyzer, phrase)
        if len(words) >= 2:
            clauses.append(Phrase(field, words, boost=PHRASE_BOOST * FIELD_WEIGHTS[field]))
    return clauses


def _preferences(need: InformationNeed) -> list[Query]:
    preferences: list[Query] = []
    if need.year_from is not None or need.year_to is not None:
        preferences.append(NumericRange("year", need.year_from, need.year_to, boost=YEAR_BOOST))
    preferences.extend(WhooshTerm("kind", kind.value, boost=KIND_BOOST) for kind in sorted(need.kinds))
    preferences.extend(WhooshTerm("language", code, boost=LANGUAGE_BOOST) for code in sorted(need.languages))
    return preferences
