"""The Whoosh schema of the catalog index, and how a record becomes a document.

Title and subjects weigh more than summary and notes: a word in the title says what a book
is about; a word in a note often does not. The weights below are index-time field boosts;
:mod:`refbot.catalog.query` adds query-time weights on top.
"""

from __future__ import annotations

from typing import Any

from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema

from refbot.catalog.analysis import catalog_analyzer, name_analyzer
from refbot.catalog.record import CatalogRecord

SCHEMA_VERSION = 1
FIELD_BOOSTS = {"title": 2.0, "subjects": 1.5, "authors": 1.2, "summary": 1.0, "notes": 0.6}


def catalog_schema() -> Schema:
    """A fresh schema; every text field shares one analyzer (and so one stem cache)."""
    text = catalog_analyzer()
    return Schema(
        id=ID(stored=True, unique=True),
        title=TEXT(analyzer=text, stored=True, field_boost=FIELD_BOOSTS["title"]),
        authors=TEXT(analyzer=name_analyzer(), stored=True, field_boost=FIELD_BOOSTS["authors"]),
        subjects=TEXT(analyzer=text, stored=True, field_boost=FIELD_BOOSTS["subjects"]),
        summary=TEXT(analyzer=text, stored=True, field_boost=FIELD_BOOSTS["summary"]),
        notes=TEXT(analyzer=text, stored=True, phrase=False, field_boost=FIELD_BOOSTS["notes"]),
        year=NUMERIC(int, bits=16, stored=True),
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
        "authors": "\n".join(record.authors),
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
    document = {k: v for k, v in document.items() if v not in ("", None)}
    document["record"] = record.to_json()
    return document
