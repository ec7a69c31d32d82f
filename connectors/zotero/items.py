"""Zotero items ↔ refbot Candidates.

Reading: a Zotero item's ``data`` (whatever its type) becomes a Candidate whose subjects are
its tags and the names of the collections (subject guides) it sits in. Writing: a Candidate
fills a template Zotero handed out for its type (``/items/new``), so only fields that type
has are sent; what a type lacks (a DOI on a thesis) goes into ``extra``, where Zotero reads
``DOI: …`` lines, with a ``refbot:`` line that lets a retried save recognise its own items.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from typing import Any

from refbot.models import Candidate, Kind

SOURCE_NAME = "zotero"
SKIPPED_TYPES = frozenset({"note", "attachment", "annotation"})
KIND_BY_TYPE: Mapping[str, Kind] = {
    "book": Kind.BOOK,
    "bookSection": Kind.CHAPTER,
    "journalArticle": Kind.ARTICLE,
    "magazineArticle": Kind.ARTICLE,
    "newspaperArticle": Kind.ARTICLE,
    "conferencePaper": Kind.PROCEEDINGS,
    "thesis": Kind.THESIS,
}
TYPE_BY_KIND: Mapping[Kind, str] = {
    Kind.BOOK: "book",
    Kind.EBOOK: "book",
    Kind.CHAPTER: "bookSection",
    Kind.ARTICLE: "journalArticle",
    Kind.PROCEEDINGS: "conferencePaper",
    Kind.THESIS: "thesis",
}
CONTAINER_FIELDS = ("publicationTitle", "bookTitle", "proceedingsTitle", "websiteTitle")
MARKER = "refbot:"
_DOI = re.compile(r"\b(10\.\d{4,9}/\S+)", re.IGNORECASE)


def item_to_candidate(data: Mapping[str, Any], collections: Iterable[str] = (), rank: int = 0,
                      score: float = 0.0) -> Candidate:
    """A Candidate from one item's ``data``; ``collections`` are the names of the guides it is in."""
    tags = [t.get("tag", "") for t in data.get("tags", []) if isinstance(t, Mapping)]
    return Candidate(
        source=SOURCE_NAME,
        source_id=str(data.get("key", "")),
        kind=KIND_BY_TYPE.get(str(data.get("itemType", "")), Kind.OTHER),
        title=_text(data.get("title")),
        authors=tuple(creator_names(data.get("creators"))),
        year=year_of(data),
        container=next((_text(data.get(f)) for f in CONTAINER_FIELDS if _text(data.get(f))), ""),
        publisher=_text(data.get("publisher")) or _text(data.get("university")) or _text(data.get("institution")),
        isbn=_split(data.get("ISBN")),
        issn=_split(data.get("ISSN")),
        doi=doi_of(data),
        call_number=_text(data.get("callNumber")),
        url=_text(data.get("url")),
        abstract=_text(data.get("abstractNote")),
        subjects=tuple(dict.fromkeys(s for s in (*tags, *collections) if s)),
        language=_text(data.get("language")).lower()[:2],
        source_score=score,
        source_rank=rank,
        editors=tuple(creator_names(data.get("creators"), "editor", fallback=False)),
        edition=_text(data.get("edition")),
        degree=_text(data.get("thesisType")),
    )


def creator_names(creators: Any, role: str = "author", *, fallback: bool = True) -> list[str]:
    """Creators in ``role`` (else, with ``fallback``, every creator) as "Family, Given", or the single-field name."""
    people = [c for c in creators if isinstance(c, Mapping)] if isinstance(creators, list) else []
    authors = [c for c in people if c.get("creatorType", "author") == role] or (people if fallback else [])
    names = []
    for c in authors:
        last, first = _text(c.get("lastName")), _text(c.get("firstName"))
        name = f"{last}, {first}" if last and first else last or first or _text(c.get("name"))
        if name:
            names.append(name)
    return names


def year_of(data: Mapping[str, Any]) -> int | None:
    """The first plausible year in the item's date."""
    match = re.search(r"\b(1[5-9]\d\d|2\d\d\d)\b", _text(data.get("date")))
    return int(match.group(1)) if match else None


def doi_of(data: Mapping[str, Any]) -> str:
    """The DOI, from its field or from a ``DOI: …`` line in ``extra``."""
    if _text(data.get("DOI")):
        return _text(data.get("DOI")).lower()
    for line in _text(data.get("extra")).splitlines():
        if line.lower().startswith("doi:"):
            match = _DOI.search(line)
            if match:
                return match.group(1).lower()
    return ""


def marker(c: Candidate) -> str:
    """The ``extra`` line that names the candidate a saved item was made from."""
    return f"{MARKER} {c.source} {c.source_id}"


def markers_in(data: Mapping[str, Any]) -> set[str]:
    """The refbot markers in an item's ``extra``."""
    return {line.strip() for line in _text(data.get("extra")).splitlines() if line.strip().startswith(MARKER)}


def candidate_to_item(c: Candidate, template: Mapping[str, Any], collection: str) -> dict[str, Any]:
    """A new Zotero item for a candidate, from its type's template, filed in ``collection``."""
    item = copy.deepcopy(dict(template))
    values: dict[str, str] = {
        "title": c.title,
        "abstractNote": c.abstract,
        "date": str(c.year or ""),
        "publisher": c.publisher,
        "university": c.publisher,
        "publicationTitle": c.container,
        "bookTitle": c.container,
        "proceedingsTitle": c.container,
        "DOI": c.doi,
        "ISBN": " ".join(c.isbn),
        "ISSN": " ".join(c.issn),
        "url": c.url or c.doi_url,
        "language": c.language,
        "callNumber": c.call_number,
        "libraryCatalog": "refbot",
    }
    for name, value in values.items():
        if name in item and value:
            item[name] = value
    extra = [marker(c)] + ([f"DOI: {c.doi}"] if c.doi and "DOI" not in item else [])
    item["extra"] = "\n".join(extra)
    item["creators"] = [_creator(name) for name in c.authors]
    item["collections"] = [collection]
    item["tags"] = [{"tag": s} for s in c.subjects[:10]]
    return item


def _creator(name: str) -> dict[str, str]:
    last, comma, first = name.partition(",")
    if comma and last.strip() and first.strip():
        return {"creatorType": "author", "lastName": last.strip(), "firstName": first.strip()}
    return {"creatorType": "author", "name": name.strip()}


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _split(value: Any) -> tuple[str, ...]:
    return tuple(dict.fromkeys(p for p in re.split(r"[\s,;]+", _text(value)) if p))
