"""A Crossref work item → a citation Reference, with what a Candidate leaves out.

Volume, issue, pages, article number, editors and a thesis's degree and institution are in
the work item but not (yet) on a Candidate; reading them here lets an APA entry for a
Crossref work be complete when the item is at hand (a cached answer, a DOI lookup).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from connectors.crossref.works import KIND_BY_TYPE, best_link, open_access, strip_markup, title_of, year_of
from refbot.citations import Name, Reference
from refbot.models import Kind

DOCTORAL = ("phd", "ph.d", "doctor", "dr.", "edd", "ed.d", "dphil", "doktor")
MASTERS = ("master", "ma", "msc", "m.sc", "ms", "mphil", "magister")


def work_to_reference(item: Mapping[str, Any]) -> Reference:
    """The Reference for one Crossref work item; any field may be missing or odd."""
    kind = KIND_BY_TYPE.get(_text(item.get("type")), Kind.OTHER)
    doi = _text(item.get("DOI"))
    institution = next((_text(i.get("name")) for i in _dicts(item.get("institution"))), "")
    return Reference(
        kind=kind,
        title=title_of(item),
        authors=tuple(_names(item.get("author"))),
        year=year_of(item),
        container=strip_markup(_text(_first(item.get("container-title")))),
        volume=_text(item.get("volume")),
        issue=_text(item.get("issue")),
        pages=_text(item.get("page")),
        article_number=_text(_first(item.get("article-number"))),
        editors=tuple(_names(item.get("editor"))),
        edition=_text(item.get("edition-number")),
        publisher=_text(item.get("publisher")),
        institution=institution or (_text(item.get("publisher")) if kind is Kind.THESIS else ""),
        degree=degree_of(item.get("degree")),
        doi=doi,
        url="" if doi else best_link(item, open_access(item)),
        isbn=_texts(item.get("ISBN")),
        issn=_texts(item.get("ISSN")),
        abstract=strip_markup(_text(item.get("abstract"))),
        subjects=_texts(item.get("subject")),
        language=_text(item.get("language")).lower(),
    )


def degree_of(value: Any) -> str:
    """APA's description of a thesis from Crossref's ``degree`` ("PhD" → "Doctoral dissertation")."""
    degree = _text(_first(value)).lower()
    if any(degree.startswith(d) for d in DOCTORAL):
        return "Doctoral dissertation"
    if any(degree == m or degree.startswith(m + " ") or degree.startswith(m + ".") for m in MASTERS):
        return "Master's thesis"
    return ""


def _names(value: Any) -> Iterator[Name]:
    for person in _dicts(value):
        family, given = _text(person.get("family")), _text(person.get("given"))
        if family:
            yield Name(family=family, given=given)
        elif given or _text(person.get("name")):
            yield Name(literal=given or _text(person.get("name")))


def _first(value: Any) -> Any:
    if isinstance(value, list):
        return value[0] if value else ""
    return value


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _texts(value: Any) -> tuple[str, ...]:
    values = value if isinstance(value, list) else [value]
    return tuple(dict.fromkeys(t for t in map(_text, values) if t))


def _dicts(value: Any) -> Iterator[Mapping[str, Any]]:
    if isinstance(value, list):
        yield from (v for v in value if isinstance(v, Mapping))
