"""UNIMARC bibliographic record → :class:`CatalogRecord`: the fields patrons see, mapped simply.

A record is taken for UNIMARC when it has a 200 (title and statement of responsibility) and
no 245 — MARC 21 has no 200, and every UNIMARC record must have one.

=============  ==========================================================================
Record field   UNIMARC source
=============  ==========================================================================
id             001; else "<file>#<position>"
title          200 $a, then $e (other title information) after ": ", $h $i after ". "
authors        700, 701, 702 ($a surname, $b forename), 710, 711, 712 ($a $b) whose
               relator code ($4) says author (070) or nothing
editors        the same fields with relator code 340 (editor)
contributors   the same fields with another code (730 translator, 727 thesis advisor, 440
               illustrator)
edition        205 $a
degree,        328 $b (degree) and $e (granting institution), else the whole $a; the year
institution    is 328 $d when 214/210 and 100 have none
publisher      214 (current practice), else 210: first $c
year           the first year in 214/210 $d; else 100 $a/09-12
physical       215 $a $c $d
series         225 $a, with " ; " $v
notes          300 $a
summary        330 $a
subjects       600-608 and 610: $a then $x $y $z subdivisions joined with " -- "
language       101 $a (first code), "ind" → "id", "eng" → "en"
isbn, issn     010 $a; 011 $a
call_number    686 $a, else 676 $a (Dewey), else 995 $k (Koha's UNIMARC items)
kind           leader/07 s → journal, a → chapter, else book; other leader/06 types → other;
               a 328 (dissertation note) → thesis
url            856 $u
=============  ==========================================================================
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator

from pymarc import Field, Record

from refbot.catalog.marc import FieldsByTag, MarcFields, clean, clean_isbn, clean_issn
from refbot.catalog.record import CatalogRecord
from refbot.catalog.roles import Role, by_role, role_of
from refbot.catalog.theses import thesis_note
from refbot.models import Kind

_YEAR = re.compile(r"(?<!\d)(1[4-9]\d\d|20\d\d)(?!\d)")
_LANGUAGE_NAMES = {"ind": "id", "eng": "en"}
_NON_SORTING = str.maketrans("", "", "\x88\x89\x98\x9c")
"""The marks around a title's non-sorting article ("\x88L'\x89altra"), in ISO 5426 and in Unicode."""
_OPENING_MARKS = " ,.:;/="
_SUBJECT_TAGS = ("600", "601", "602", "604", "605", "606", "607", "608", "610")


def is_unimarc(record: MarcFields) -> bool:
    """Whether a parsed record is UNIMARC: a 200 field and no 245."""
    return bool(record.get_fields("200")) and not record.get_fields("245")


def unimarc_to_record(marc: Record, fallback_id: str) -> CatalogRecord:
    """Map one UNIMARC record to a catalog record."""
    record = FieldsByTag(marc)
    names = by_role(_names(record))
    thesis = thesis_note(record.get_fields("328"), degree="b", institution="e", year="d")
    return CatalogRecord(
        id=_control(record, "001").strip() or fallback_id,
        title=_title(record),
        kind=_kind(record, record.leader),
        authors=_unique(names[Role.AUTHOR]),
        year=_year(record) or thesis.year,
        publisher=next((clean(v) for f in _publication(record) for v in f.get_subfields("c") if clean(v)), ""),
        edition=_first(record, "205", "a"),
        physical=_first(record, "215", "acd"),
        series=_unique(_series(record)),
        notes=tuple(clean(v) for f in record.get_fields("300") for v in f.get_subfields("a") if clean(v)),
        summary=" ".join(clean(v) for f in record.get_fields("330") for v in f.get_subfields("a")).strip(),
        subjects=_unique(_subjects(record)),
        language=_language(record),
        isbn=_unique(i for f in record.get_fields("010") for i in map(clean_isbn, f.get_subfields("a")) if i),
        issn=_unique(i for f in record.get_fields("011") for i in map(clean_issn, f.get_subfields("a")) if i),
        call_number=_call_number(record),
        url=next((u.strip() for f in record.get_fields("856") for u in f.get_subfields("u")), ""),
        editors=_unique(names[Role.EDITOR]),
        contributors=_unique(names[Role.OTHER]),
        degree=thesis.degree,
        institution=thesis.institution,
    )


def _call_number(record: MarcFields) -> str:
    for tag, code in (("686", "a"), ("676", "a"), ("995", "k")):
        for field in record.get_fields(tag):
            for value in field.get_subfields(code):
                if value.strip():
                    return value.strip()
    return ""


def _title(record: MarcFields) -> str:
    parts: list[str] = []
    for field in record.get_fields("200")[:1]:
        for code, value in field.subfields:
            # Some agencies keep the ISBD mark that opens a part in it ("$e, the University press").
            value = clean(value).lstrip(_OPENING_MARKS) if parts else clean(value)
            if code not in "aehi" or not value:
                continue
            if parts:
                parts.append(": " if code == "e" else ". ")
            parts.append(value)
    return "".join(parts).translate(_NON_SORTING)


def _kind(record: MarcFields, leader: str) -> Kind:
    if record.get_fields("328"):
        return Kind.THESIS
    if leader[6] not in "a ":
        return Kind.OTHER
    return {"s": Kind.JOURNAL, "a": Kind.CHAPTER}.get(leader[7], Kind.BOOK)


def _names(record: MarcFields) -> Iterator[tuple[str, Role]]:
    for field in record.get_fields("700", "701", "702", "710", "711", "712"):
        values = [clean(v) for v in field.get_subfields("a", "b")]
        separator = ", " if field.tag.startswith("70") else ". "
        name = separator.join(v for v in values if v)
        if name:
            yield name, role_of(field.get_subfields("4"))


def _publication(record: MarcFields) -> list[Field]:
    return record.get_fields("214") + record.get_fields("210")


def _year(record: MarcFields) -> int | None:
    latest = datetime.date.today().year + 1
    for field in _publication(record):
        for value in field.get_subfields("d"):
            for match in _YEAR.finditer(value):
                if int(match.group(1)) <= latest:
                    return int(match.group(1))
    coded = next((v for f in record.get_fields("100") for v in f.get_subfields("a")), "")[9:13]
    return int(coded) if coded.isdigit() and 1400 <= int(coded) <= latest else None


def _series(record: MarcFields) -> Iterator[str]:
    for field in record.get_fields("225"):
        title = " ".join(clean(v) for v in field.get_subfields("a"))
        volume = " ".join(clean(v) for v in field.get_subfields("v"))
        if title:
            yield f"{title} ; {volume}" if volume else title


def _subjects(record: MarcFields) -> Iterator[str]:
    for field in record.get_fields(*_SUBJECT_TAGS):
        main = " ".join(clean(v) for c, v in field.subfields if c in "abcd")
        subdivisions = [clean(v) for c, v in field.subfields if c in "xyz"]
        heading = " -- ".join(p for p in (main.strip(), *subdivisions) if p)
        if heading:
            yield heading


def _language(record: MarcFields) -> str:
    code = next((v.strip().lower() for f in record.get_fields("101") for v in f.get_subfields("a")), "")
    return _LANGUAGE_NAMES.get(code, code) if re.fullmatch(r"[a-z]{3}", code) else ""


def _control(record: MarcFields, tag: str) -> str:
    fields = record.get_fields(tag)
    return str(fields[0].data or "") if fields else ""


def _first(record: MarcFields, tag: str, codes: str) -> str:
    return " ".join(
        clean(" ".join(v for v in f.get_subfields(*codes) if v.strip())) for f in record.get_fields(tag)[:1]
    ).strip()


def _unique(values: Iterator[str] | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for value in values:
        seen.setdefault(value.casefold(), value)
    return tuple(seen.values())
