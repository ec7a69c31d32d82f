"""Harvested metadata → :class:`CatalogRecord`: Dublin Core, MARCXML and MODS.

Every record's id is ``<source>:<OAI identifier>`` (``repositori:oai:eprints.undip.ac.id:1234``):
stable across harvests, and two sources never collide even when their local numbers do.

What makes a repository's record different from a catalog's is its kind and its full text:

- **kind** — ``dc:type`` (or MODS ``genre``) "Thesis", "Skripsi", "Tesis", "Disertasi",
  "Tugas Akhir", EPrints' ``thesis``, the OpenAIRE ``info:eu-repo/semantics/bachelorThesis`` …
  make a thesis; "Article", "Artikel", "Journal Article" an article; "Book" a book, and so
  on. A record that says nothing known is an article when it links to its full text (a
  repository's paper) and a book otherwise (a library catalog's record, SLiMS's say).
- **full text** — the first ``dc:identifier`` (else ``dc:relation``) URL, a PDF first (EPrints
  lists the document's URL there, DSpace the handle). The record then has one copy, online:
  a :class:`Holding` whose location is the repository's label and whose status says
  ``online`` and the format (``online PDF``), which drafts show as "repositori UNDIP · PDF".
"""

from __future__ import annotations

import dataclasses
import functools
import io
import re
from collections.abc import Iterable
from typing import Any

from lxml import etree  # lxml ships no stubs

from refbot.catalog.harvest.protocol import OaiRecord
from refbot.catalog.readers import read_stream
from refbot.catalog.record import CatalogRecord, RejectedRecord
from refbot.catalog.roles import Role, role_of
from refbot.models import Holding, Kind

DC = "{http://purl.org/dc/elements/1.1/}"
MODS = "{http://www.loc.gov/mods/v3}"
MARC = "{http://www.loc.gov/MARC21/slim}"
_MARC_RECORD = f"{MARC}record"
ONLINE = "online"
"""The status of a harvested record's one copy: its full text, online (``online PDF`` when a PDF)."""

_YEAR = re.compile(r"(?<!\d)(1[5-9]\d\d|20\d\d)(?!\d)")
_URL = re.compile(r"^https?://\S+$")
_SEMICOLON = re.compile(r"\s*;\s*")
_ISBN = re.compile(r"^(?:urn:)?isbn[:\s]*([\dXx-]{10,17})$", re.IGNORECASE)
_ISSN = re.compile(r"^(?:urn:)?issn[:\s]*(\d{4}-?\d{3}[\dXx])$", re.IGNORECASE)
_KIND_WORDS: tuple[tuple[Kind, tuple[str, ...]], ...] = (
    (Kind.THESIS, ("thesis", "skripsi", "tesis", "disertasi", "dissertation", "tugas akhir", "undergraduate",
                   "bachelorthesis", "masterthesis", "doctoralthesis", "laporan akhir")),
    (Kind.PROCEEDINGS, ("proceeding", "prosiding", "conference", "conferenceobject", "seminar")),
    (Kind.CHAPTER, ("book section", "bookpart", "book chapter", "chapter", "bab buku")),
    (Kind.ARTICLE, ("article", "artikel", "journal article", "contributiontoperiodical", "paper", "preprint")),
    (Kind.JOURNAL, ("journal", "jurnal", "periodical", "majalah")),
    (Kind.BOOK, ("book", "buku", "monograph", "monografi")),
)
_LANGUAGES = {
    "id": "id", "in": "id", "ind": "id", "indonesia": "id", "indonesian": "id", "bahasa indonesia": "id",
    "en": "en", "eng": "en", "english": "en", "inggris": "en", "bahasa inggris": "en",
}  # fmt: skip
PREFIXES = ("oai_dc", "marc21", "marcxml", "mods")
"""The metadata formats refbot maps (``metadata_prefix`` of a source)."""


@dataclasses.dataclass(frozen=True)
class Origin:
    """Where harvested records come from: the source's name (their ids' prefix) and the label drafts show."""

    name: str
    label: str = ""


def to_record(oai: OaiRecord, origin: Origin, prefix: str) -> CatalogRecord | RejectedRecord:
    """One harvested record in the catalog's terms, or why it could not be used."""
    record_id = f"{origin.name}:{oai.identifier}"
    if oai.metadata is None:
        return RejectedRecord(origin.name, 0, "a record without metadata", record_id)
    tag = oai.metadata.tag  # lxml makes a new string each time it is asked
    try:
        if prefix in ("marc21", "marcxml") or tag == _MARC_RECORD:
            mapped = _from_marcxml(oai.metadata, record_id, origin.name)
        elif tag.startswith(MODS):
            mapped = _from_mods(oai.metadata, record_id)
        else:
            mapped = _from_dc(oai.metadata, record_id, origin)
    except (ValueError, TypeError, etree.LxmlError) as error:
        return RejectedRecord(origin.name, 0, f"could not be mapped ({error})", record_id)
    if isinstance(mapped, RejectedRecord):
        return mapped
    if not mapped.title:
        return RejectedRecord(origin.name, 0, "the record has no title", record_id)
    return _with_full_text(mapped, origin)


def _from_dc(dc: etree._Element, record_id: str, origin: Origin) -> CatalogRecord:
    values = _dc_values(dc)
    links: list[str] = []
    codes: list[str] = []  # the identifiers that are not links: where an ISBN or ISSN can be
    for value in values["identifier"]:
        (links if _URL.match(value) else codes).append(value)
    links += [v for v in values["relation"] if _URL.match(v)]
    url = _full_text(links)
    kind, degree = _kind_and_degree(tuple(values["type"]), bool(links))
    return CatalogRecord(
        id=record_id,
        title=_first(values["title"]),
        kind=kind,
        authors=tuple(values["creator"]),
        year=_year(values["date"]),
        publisher=_first(values["publisher"]),
        summary=max(values["description"], key=len, default=""),
        subjects=_subjects(values["subject"]),
        language=_language(_first(values["language"])),
        isbn=tuple(m.group(1).replace("-", "") for v in codes if (m := _ISBN.match(v))),
        issn=tuple(m.group(1) for v in codes if (m := _ISSN.match(v))),
        url=url,
        notes=tuple(values["source"]),
        contributors=tuple(values["contributor"]),  # EPrints and DSpace put a thesis's advisors here
        degree=degree,
        holdings=_online(url, origin),  # in the one constructor call: a harvest maps every record
    )


def _from_mods(mods: etree._Element, record_id: str) -> CatalogRecord:
    title_info = mods.find(f"{MODS}titleInfo")
    title = " : ".join(_all(title_info, f"{MODS}title") + _all(title_info, f"{MODS}subTitle")) if title_info is not None else ""
    names = _mods_names(mods)
    origin = mods.find(f"{MODS}originInfo")
    dates = _all(origin, f"{MODS}dateIssued") + _all(origin, f"{MODS}dateCreated") if origin is not None else []
    links = [u for u in _all(mods, f"{MODS}location/{MODS}url") + _all(mods, f"{MODS}identifier") if _URL.match(u)]
    genres = _all(mods, f"{MODS}genre") + _all(mods, f"{MODS}typeOfResource")
    host = mods.find(f"{MODS}relatedItem[@type='host']")
    return CatalogRecord(
        id=record_id,
        title=title,
        kind=kind_of(genres, full_text=bool(links)),
        authors=tuple(names[Role.AUTHOR]),
        editors=tuple(names[Role.EDITOR]),
        contributors=tuple(names[Role.OTHER]),
        institution=_first(names[_GRANTOR]),
        year=_year(dates),
        publisher=_first(_all(origin, f"{MODS}publisher")) if origin is not None else "",
        edition=_first(_all(origin, f"{MODS}edition")) if origin is not None else "",
        degree=_degree(genres + _all(mods, f"{MODS}note")),
        summary=_first(_all(mods, f"{MODS}abstract")),
        subjects=_subjects(_all(mods, f"{MODS}subject/{MODS}topic")),
        language=_language(_first(_all(mods, f"{MODS}language/{MODS}languageTerm"))),
        url=_full_text(links),
        container=_first(_all(host, f"{MODS}titleInfo/{MODS}title")) if host is not None else "",
        volume=_first(_all(mods, f".//{MODS}part/{MODS}detail[@type='volume']/{MODS}number")),
        issue=_first(_all(mods, f".//{MODS}part/{MODS}detail[@type='issue']/{MODS}number")),
        pages=_pages(mods),
    )


_GRANTOR = "grantor"
"""MODS's role code for the university that granted a thesis (``dgg``), kept apart from the names cited."""


def _mods_names(mods: etree._Element) -> dict[Any, list[str]]:
    """MODS names by their part: authors (no role, or an author's), editors, others, and a thesis's grantor."""
    names: dict[Any, list[str]] = {Role.AUTHOR: [], Role.EDITOR: [], Role.OTHER: [], _GRANTOR: []}
    for name in mods.iterfind(f"{MODS}name"):
        text = " ".join(_all(name, f"{MODS}namePart"))
        roles = _all(name, f"{MODS}role/{MODS}roleTerm")
        if not text:
            continue
        if any(r.lower() in ("dgg", "degree grantor", "degree granting institution") for r in roles):
            names[_GRANTOR].append(text)
        else:
            names[role_of(roles)].append(text)
    return names


def _pages(mods: etree._Element) -> str:
    extent = mods.find(f".//{MODS}part/{MODS}extent")
    if extent is None:
        return ""
    start, end = _first(_all(extent, f"{MODS}start")), _first(_all(extent, f"{MODS}end"))
    return f"{start}–{end}" if start and end else start


_DEGREE_WORDS = ("skripsi", "tesis", "thesis", "disertasi", "dissertation", "tugas akhir", "bachelorthesis",
                 "masterthesis", "doctoralthesis")


def _degree(types: list[str]) -> str:
    """The first type that names a thesis's level ("Skripsi", "info:eu-repo/semantics/masterThesis"), as written."""
    for value in types:
        low = value.lower()
        if any(word in low for word in _DEGREE_WORDS) and low not in ("thesis", "text"):
            return value.rsplit("/", 1)[-1]
    return ""


def _from_marcxml(marc: etree._Element, record_id: str, source: str) -> CatalogRecord | RejectedRecord:
    # refbot's own MARCXML reader, so a harvested Koha record reads exactly like an exported one.
    document = b'<collection xmlns="http://www.loc.gov/MARC21/slim">' + etree.tostring(marc) + b"</collection>"
    items = list(read_stream(io.BytesIO(document), source))
    item = items[0] if items else RejectedRecord(source, 0, "XML without MARC records")
    if isinstance(item, RejectedRecord):
        return dataclasses.replace(item, control_number=record_id)
    return dataclasses.replace(item, id=record_id)


def kind_of(types: Iterable[str], full_text: bool) -> Kind:
    """The kind a record's ``dc:type`` (or MODS genre) words say, else article online, book otherwise."""
    words = " ".join(t.lower().replace("_", " ") for t in types)
    for kind, markers in _KIND_WORDS:
        if any(marker in words for marker in markers):
            return kind
    return Kind.ARTICLE if full_text else Kind.BOOK


@functools.lru_cache(maxsize=1024)
def _kind_and_degree(types: tuple[str, ...], full_text: bool) -> tuple[Kind, str]:
    """:func:`kind_of` and :func:`_degree` of a record's types, worked out once per combination.

    A repository's records share a handful of ``dc:type`` combinations ("Thesis", "Skripsi").
    """
    return kind_of(types, full_text), _degree(list(types))


def _with_full_text(record: CatalogRecord, origin: Origin) -> CatalogRecord:
    if not record.url or record.holdings:
        return record
    return dataclasses.replace(record, holdings=_online(record.url, origin))


def _online(url: str, origin: Origin) -> tuple[Holding, ...]:
    """The one copy of a record whose full text is at ``url`` (none without a URL)."""
    if not url:
        return ()
    return _online_copy(origin.label or origin.name, url.lower().split("?")[0].endswith(".pdf"))


@functools.lru_cache(maxsize=256)
def _online_copy(location: str, pdf: bool) -> tuple[Holding, ...]:
    """The copy every record of a source with its full text online has; one, shared (a Holding is frozen)."""
    return (Holding(location=location, status=f"{ONLINE} PDF" if pdf else ONLINE, available=True),)


def _full_text(links: list[str]) -> str:
    pdf = next((link for link in links if link.lower().split("?")[0].endswith(".pdf")), "")
    return pdf or (links[0] if links else "")


_DC_USED = ("title", "creator", "contributor", "subject", "description", "publisher", "date", "type", "format",
            "identifier", "language", "relation", "source")
_DC_TAGS = {f"{DC}{name}": name for name in _DC_USED}
"""Each used element's namespaced tag, as lxml gives it, to its name: no string slicing per element."""


def _dc_values(dc: etree._Element) -> dict[str, list[str]]:
    """Each Dublin Core element's texts, in order, read in one pass over the record (a harvest maps thousands)."""
    values: dict[str, list[str]] = {name: [] for name in _DC_USED}
    for element in dc:
        name = _DC_TAGS.get(element.tag)  # a comment's tag is a function: not found either
        if name is None:
            continue
        text = element.text
        if text and (cleaned := " ".join(text.split())):
            values[name].append(cleaned)
    return values


def _all(element: etree._Element, path: str) -> list[str]:
    return [" ".join(e.text.split()) for e in element.iterfind(path) if e.text and e.text.strip()]


def _first(values: list[str]) -> str:
    return values[0] if values else ""


def _year(values: list[str]) -> int | None:
    found = next((m for v in values if (m := _YEAR.search(v))), None)
    return int(found.group(1)) if found else None


def _subjects(values: list[str]) -> tuple[str, ...]:
    # EPrints and SLiMS put several keywords in one dc:subject, separated by ";" or ",".
    split = [part.strip() for v in values for part in (_SEMICOLON.split(v) if ";" in v else (v,))]
    return tuple(dict.fromkeys(s for s in split if s))


def _language(first: str) -> str:
    first = first.lower()
    return _LANGUAGES.get(first, _LANGUAGES.get(first[:3], first[:3] if len(first) == 3 else ""))
