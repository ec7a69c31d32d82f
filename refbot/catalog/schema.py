"""The Whoosh schema of the catalog index, and how a record becomes a document.

Title and subjects weigh more than summary and notes: a word in the title says what a book
is about; a word in a note often does not. The weights below are index-time field boosts;
:mod:`refbot.catalog.query` adds query-time weights on top.

No field keeps word positions: a posting with positions costs about four times as much to
read (Whoosh unpickles each document's positions with it), and a search reads tens of
thousands. Phrases are looked for in titles only, and there each pair of neighbouring
words is indexed once more as one token (``title_pairs``;
:class:`refbot.catalog.analysis.WordPairFilter`): a two-word phrase is one short posting
list, and a longer one is all of its pairs. (Subject headings are short and controlled:
words of a need that meet in one heading almost always stand together there, so pairs for
subjects would cost an eighth of the index's postings for next to nothing.)

Every posting costs build time too, so ``year`` is indexed as one term per value rather
than Whoosh's default four precision tiers: a year range spans at most a few hundred
distinct years, and its scores are worked out once per generation
(:mod:`refbot.catalog.execution`).
"""

from __future__ import annotations

from typing import Any

from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema

from refbot.catalog.analysis import catalog_analyzer, name_analyzer, pair_analyzer
from refbot.catalog.record import CatalogRecord

SCHEMA_VERSION = 4
"""2: no positions; neighbouring words indexed as pairs, for phrases. 3: pairs for titles only; one term per year.
4: codes kept whole (and by their parts); one stemmer per word, by its language (issue 15)."""
RECORD_VERSION = 2
"""What the stored record blob holds, apart from the index's fields (the manifest's ``record_version``).

2: editors, other contributors, a thesis's degree and institution, a part's host (container,
volume, issue, pages, article number). They ride in the ``record`` blob, the one stored field a
search reads to make a candidate, so the Whoosh fields (:data:`SCHEMA_VERSION`) are unchanged:
a generation built before is still searched and updated, and its records are cited without
them until the next ``refbot index build``. A manifest without the key is version 1."""
FIELD_BOOSTS = {"title": 2.0, "subjects": 1.5, "authors": 1.2, "summary": 1.0, "notes": 0.6}
PHRASE_FIELDS = {"title": "title_pairs"}
"""Where the word pairs of a field are indexed, for phrases."""


def catalog_schema() -> Schema:
    """A fresh schema; every text field shares one analyzer (and so one stem cache)."""
    text = catalog_analyzer()
    pairs = pair_analyzer(text)
    return Schema(
        id=ID(stored=True, unique=True),
        title=TEXT(analyzer=text, stored=True, phrase=False, field_boost=FIELD_BOOSTS["title"]),
        authors=TEXT(analyzer=name_analyzer(), stored=True, phrase=False, field_boost=FIELD_BOOSTS["authors"]),
        subjects=TEXT(analyzer=text, stored=True, phrase=False, field_boost=FIELD_BOOSTS["subjects"]),
        summary=TEXT(analyzer=text, stored=True, phrase=False, field_boost=FIELD_BOOSTS["summary"]),
        notes=TEXT(analyzer=text, stored=True, phrase=False, field_boost=FIELD_BOOSTS["notes"]),
        title_pairs=TEXT(analyzer=pairs, phrase=False),
        year=NUMERIC(int, bits=16, shift_step=16, stored=True),
        kind=ID(stored=True),
        language=ID(stored=True),
        isbn=KEYWORD(stored=True, scorable=False),
        issn=KEYWORD(stored=True, scorable=False),
        call_number=ID(stored=True),
        record=STORED(),
    )


def to_document(record: CatalogRecord) -> dict[str, Any]:
    """The fields Whoosh indexes for one record; empty values are left out."""
    notes = (*record.notes, record.contents, *record.series, record.edition)
    document: dict[str, Any] = {
        "id": record.id,
        "title": record.title,
        # Editors, translators and advisors are found by name as they always were.
        "authors": "\n".join((*record.authors, *record.editors, *record.contributors)),
        "subjects": "\n".join(record.subjects),
        "summary": record.summary,
        "notes": "\n".join(n for n in notes if n),
        "year": record.year,
        "kind": record.kind.value,
        "language": record.language,
        "isbn": " ".join(record.isbn),
        "issn": " ".join(record.issn),
        "call_number": record.call_number,
    }
    for field, pairs in PHRASE_FIELDS.items():
        document[pairs] = document[field]
    document = {k: v for k, v in document.items() if v not in ("", None)}
    document["record"] = record.to_json()
    return document
