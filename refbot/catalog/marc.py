"""MARC 21 bibliographic record → :class:`CatalogRecord`, field by field.

=============  ==========================================================================
Record field   MARC source
=============  ==========================================================================
id             001; else the first 035 $a; else "<file>#<position>"
kind           502 present → thesis. Otherwise leader/06 type and /07 level: types a and t
               (language material) with level s → journal, b → article, a → chapter,
               else book — proceedings when there is a 111/711 or 008/29 = 1, e-book when
               007/00 = c, 008/23 is o/q/s or 245 $h says "electronic". Any other type
               (music, video, maps, …) → other
title          245 $a, then $b after " : ", $n and $p after ". ", each without its ISBD
               punctuation (" /", " :", " ;", " =", ",", a closing ".")
authors        100, 110, 111, 700, 710: $a (and $b: numeration for persons, subordinate
               units for bodies), trailing punctuation removed, duplicates dropped;
               those whose relator ($e, $4) says author, or says nothing
editors        the same fields whose relator says editor ("editor", "ed.", "penyunting",
               edt), or whose $a ends "(ed.)" — see :mod:`refbot.catalog.roles`
contributors   the same fields with another part (translator, pembimbing, illustrator)
edition        250 $a
degree,        502: $b and $c, else the whole $a ("Skripsi (S1)--Universitas Diponegoro,
institution    2019") — see :mod:`refbot.catalog.theses`; the year is 502's when 264/260
               and 008 have none
container,     773 $t, and $g parsed ("Vol. 12, no. 3 (2020), p. 45-60"), for chapters,
volume, issue, articles and proceedings papers — see :mod:`refbot.catalog.host`
pages, article_number
publisher      264 with 2nd indicator 1 (publication), then other 264s, then 260: first $b
year           the first year (1400 … next year) in $c of those same fields; else 008/07-10
physical       300 $a $b $c
series         490 and 830 $a, with " ; " $v
notes          500 $a, one entry per field
summary        520 $a $b
contents       505 $a $g $t $r, all 505 fields joined
subjects       600-699: main heading ($a $b $c $d $q $t $n $p) then subdivisions ($v $x
               $y $z) joined with " -- "; 653 keywords one per $a
language       041 $a (first code), else 008/35-37; "ind" → "id", "eng" → "en", other
               codes kept as their 3-letter MARC code; blank, "und" and "zxx" → "";
               a two-letter 041 $a (SLiMS writes "id", "en") is kept as it is
isbn           020 $a, digits and X only, kept when 10 or 13 long
issn           022 $a, as NNNN-NNNC
call_number    the first of 090 $a $b, 082 $a, 084 $a $b, 050 $a $b, 852 $k $h $i $m,
               952 $o
holdings       952 (Koha items) else 852 — see :mod:`refbot.catalog.holdings`
url            856 $u (first)
=============  ==========================================================================
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Iterator
from typing import Protocol

from pymarc import Field, Record

from refbot.catalog.holdings import holdings_of
from refbot.catalog.host import Host, host_of
from refbot.catalog.isbd import clean
from refbot.catalog.record import CatalogRecord
from refbot.catalog.roles import Role, by_role, inline_editor, role_of
from refbot.catalog.theses import thesis_note
from refbot.models import Kind

_YEAR = re.compile(r"(?<!\d)(1[4-9]\d\d|20\d\d)(?!\d)")
_ISBN = re.compile(r"[0-9][0-9\- ]{8,16}[0-9Xx]")
_ISSN = re.compile(r"(\d{4})[-\s]?(\d{3}[\dXx])")
_LANGUAGE_NAMES = {"ind": "id", "eng": "en"}
_NO_LANGUAGE = {"und", "zxx", "   ", "|||", "###"}
_SUBDIVISIONS = "vxyz"
_SUBJECT_TAGS = tuple(f"6{n:02d}" for n in range(100))
_HEADING_MAIN = "abcdqtnp"
_PARTS = frozenset({Kind.CHAPTER, Kind.ARTICLE, Kind.PROCEEDINGS})
"""Kinds whose 773 names the book or journal they are in (a book's 773 names a collection)."""


class MarcFields(Protocol):
    """Anything that finds a record's fields by tag: a pymarc record or :class:`FieldsByTag`."""

    def get_fields(self, *tags: str) -> list[Field]: ...


class FieldsByTag:
    """A record's fields looked up by tag, for mapping many tags without rescanning."""

    def __init__(self, record: Record) -> None:
        self.leader = str(record.leader or "").ljust(24)
        self._by_tag: dict[str, list[Field]] = {}
        for field in record.fields:
            self._by_tag.setdefault(field.tag, []).append(field)

    def get_fields(self, *tags: str) -> list[Field]:
        """The fields with any of these tags, grouped by tag in the order asked."""
        if len(tags) == 1:
            return self._by_tag.get(tags[0], [])
        return [field for tag in tags for field in self._by_tag.get(tag, ())]


def marc_to_record(marc: Record, fallback_id: str) -> CatalogRecord:
    """Map one pymarc record to a catalog record.

    Args:
        marc: the parsed MARC record.
        fallback_id: the id to use when the record has no 001 or 035.
    """
    record = FieldsByTag(marc)
    leader = record.leader
    fixed = _control(record, "008")
    kind = kind_of(record, leader, fixed)
    names = by_role(names_of(record))
    thesis = thesis_note(record.get_fields("502"))
    host = host_of(record.get_fields("773")) if kind in _PARTS else Host()
    return CatalogRecord(
        id=control_number(record) or fallback_id,
        title=title_of(record),
        kind=kind,
        authors=_unique(names[Role.AUTHOR]),
        year=year_of(record, fixed) or thesis.year,
        publisher=publisher_of(record),
        edition=_joined(record, "250", "a"),
        physical=_joined(record, "300", "abc"),
        series=_unique(series_of(record)),
        notes=tuple(clean(v) for f in record.get_fields("500") for v in f.get_subfields("a")),
        summary=" ".join(_joined_field(f, "ab") for f in record.get_fields("520")).strip(),
        contents=" ".join(_joined_field(f, "agtr") for f in record.get_fields("505")).strip(),
        subjects=_unique(subjects_of(record)),
        language=language_of(record, fixed),
        isbn=_unique(isbns_of(record)),
        issn=_unique(issns_of(record)),
        call_number=call_number_of(record),
        holdings=holdings_of(record.get_fields("952"), record.get_fields("852")),
        url=next((u.strip() for f in record.get_fields("856") for u in f.get_subfields("u")), ""),
        editors=_unique(names[Role.EDITOR]),
        contributors=_unique(names[Role.OTHER]),
        degree=thesis.degree,
        institution=thesis.institution,
        container=host.title,
        volume=host.volume,
        issue=host.issue,
        pages=host.pages,
        article_number=host.article_number,
    )


def control_number(record: MarcFields) -> str:
    """The record's 001, else its first 035 $a; empty when it has neither."""
    number = _control(record, "001").strip()
    if number:
        return number
    return next((v.strip() for f in record.get_fields("035") for v in f.get_subfields("a")), "")


def title_of(record: MarcFields) -> str:
    """245 $a $b $n $p as one title."""
    parts: list[str] = []
    for field in record.get_fields("245")[:1]:
        for code, value in field.subfields:
            value = clean(value)
            if code not in "abnp" or not value:
                continue
            if parts:
                parts.append(": " if code == "b" else ". ")  # ISBD's " : " reads oddly outside a catalog
            parts.append(value)
    return "".join(parts)


def kind_of(record: MarcFields, leader: str, fixed: str) -> Kind:
    """The material kind from the leader, 008, 007 and 502."""
    if record.get_fields("502"):
        return Kind.THESIS
    if leader[6] not in "at":
        return Kind.OTHER
    by_level = {"s": Kind.JOURNAL, "b": Kind.ARTICLE, "a": Kind.CHAPTER}
    if leader[7] in by_level:
        return by_level[leader[7]]
    if record.get_fields("111", "711") or fixed[29:30] == "1":
        return Kind.PROCEEDINGS
    if _is_electronic(record, fixed):
        return Kind.EBOOK
    return Kind.BOOK


def _is_electronic(record: MarcFields, fixed: str) -> bool:
    if _control(record, "007")[:1] == "c" or fixed[23:24] in ("o", "q", "s"):
        return True
    medium = " ".join(v for f in record.get_fields("245") for v in f.get_subfields("h"))
    return "electronic" in medium.lower()


def names_of(record: MarcFields) -> Iterator[tuple[str, Role]]:
    """Personal and corporate names from 100/110/111/700/710, each with its part in the work."""
    for field in record.get_fields("100", "110", "111", "700", "710"):
        values = [clean(v) for v in field.get_subfields("a", "b")]
        separator = " " if field.tag in ("100", "700") else ". "
        name, edited = inline_editor(_joined_name([v for v in values if v], separator))
        # 111/711 $j is the relator term of a meeting; $e there is a subordinate unit.
        terms = field.get_subfields("j" if field.tag == "111" else "e", "4")
        if name:
            yield clean(name), Role.EDITOR if edited else role_of(terms)


def _joined_name(parts: list[str], separator: str) -> str:
    # A body's units are parted by ". " unless the unit before ends with its own full stop ("D.C.").
    name = parts[0] if parts else ""
    for part in parts[1:]:
        name += (" " if name.endswith(".") else separator) + part
    return name


def year_of(record: MarcFields, fixed: str) -> int | None:
    """The publication year from 264/260 $c, else 008/07-10."""
    latest = datetime.date.today().year + 1
    for field in _publication_fields(record):
        for value in field.get_subfields("c"):
            for match in _YEAR.finditer(value):
                if int(match.group(1)) <= latest:
                    return int(match.group(1))
    date1 = fixed[7:11]
    if date1.isdigit() and 1400 <= int(date1) <= latest:
        return int(date1)
    return None


def publisher_of(record: MarcFields) -> str:
    """The first publisher name in 264/260 $b."""
    for field in _publication_fields(record):
        for value in field.get_subfields("b"):
            name = clean(value)
            if name:
                return name
    return ""


def _publication_fields(record: MarcFields) -> list[Field]:
    rda = record.get_fields("264")
    published = [f for f in rda if f.indicator2 == "1"]
    others = [f for f in rda if f.indicator2 != "1"]
    return published + others + record.get_fields("260")


def series_of(record: MarcFields) -> Iterator[str]:
    """Series statements from 490 and 830."""
    for field in record.get_fields("490", "830"):
        title = " ".join(clean(v) for v in field.get_subfields("a"))
        volume = " ".join(clean(v) for v in field.get_subfields("v"))
        if title:
            yield f"{title} ; {volume}" if volume else title


def subjects_of(record: MarcFields) -> Iterator[str]:
    """Subject headings from 6XX, subdivisions joined with " -- "."""
    for field in record.get_fields(*_SUBJECT_TAGS):
        if field.tag == "653":
            yield from (clean(v) for v in field.get_subfields("a") if clean(v))
            continue
        main = " ".join(clean(v) for c, v in field.subfields if c in _HEADING_MAIN)
        subdivisions = [clean(v) for c, v in field.subfields if c in _SUBDIVISIONS]
        heading = " -- ".join(p for p in (main.strip(), *subdivisions) if p)
        if heading:
            yield heading


def language_of(record: MarcFields, fixed: str) -> str:
    """The language of the text: 041 $a, else 008/35-37, as "id", "en" or a MARC code."""
    coded = next((v.strip() for f in record.get_fields("041") for v in f.get_subfields("a")), "").lower()
    if re.fullmatch(r"[a-z]{2}", coded):
        return coded  # SLiMS's MARC export writes its own two-letter codes ("id", "en")
    code = coded[:3] if len(coded) >= 3 else fixed[35:38].lower()
    if code in _NO_LANGUAGE or not re.fullmatch(r"[a-z]{3}", code):
        return ""
    return _LANGUAGE_NAMES.get(code, code)


def isbns_of(record: MarcFields) -> Iterator[str]:
    """ISBNs from 020 $a, hyphens and qualifiers removed."""
    for field in record.get_fields("020"):
        for value in field.get_subfields("a"):
            isbn = clean_isbn(value)
            if isbn:
                yield isbn


def issns_of(record: MarcFields) -> Iterator[str]:
    """ISSNs from 022 $a, as NNNN-NNNC."""
    for field in record.get_fields("022"):
        for value in field.get_subfields("a"):
            issn = clean_issn(value)
            if issn:
                yield issn


def clean_isbn(value: str) -> str:
    """The ISBN in a value such as "978-602-1234-56-7 (pbk.)", digits only; "" if none."""
    match = _ISBN.search(value)
    digits = re.sub(r"[^0-9Xx]", "", match.group(0)).upper() if match else ""
    return digits if len(digits) in (10, 13) else ""


def clean_issn(value: str) -> str:
    """The ISSN in a value, as NNNN-NNNC; "" if none."""
    match = _ISSN.search(value)
    return f"{match.group(1)}-{match.group(2).upper()}" if match else ""


def call_number_of(record: MarcFields) -> str:
    """The first call number among 090, 082, 084, 050, 852 and 952 $o."""
    sources = (("090", "ab"), ("082", "a"), ("084", "ab"), ("050", "ab"), ("852", "khim"))
    for tag, codes in sources:
        for field in record.get_fields(tag):
            # DDC numbers carry segmentation marks (025.1/7'2) that patrons never see.
            number = " ".join(v.strip() for v in field.get_subfields(*codes) if v.strip())
            number = number.replace("/", "").replace("'", "") if tag == "082" else number
            if number:
                return number
    return next((v.strip() for f in record.get_fields("952") for v in f.get_subfields("o")), "")


def _control(record: MarcFields, tag: str) -> str:
    fields = record.get_fields(tag)
    return str(fields[0].data or "") if fields else ""


def _joined(record: MarcFields, tag: str, codes: str) -> str:
    return " ".join(_joined_field(f, codes) for f in record.get_fields(tag)[:1]).strip()


def _joined_field(field: Field, codes: str) -> str:
    return clean(" ".join(v for v in field.get_subfields(*codes) if v.strip()))


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for value in values:
        seen.setdefault(value.casefold(), value)
    return tuple(seen.values())
