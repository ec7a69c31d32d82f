"""A thesis's degree, granting institution and year, from its dissertation note (MARC 502, UNIMARC 328).

Catalogers write the note whole, in $a, more often than in its parts::

    502 $a Skripsi (S1)--Universitas Diponegoro, 2019.
    502 $a Tesis (M.Hum.) -- Universitas Gadjah Mada, 2015
    502 $a Thesis (Ph. D.)--University of Michigan, 2001.
    502 $a Skripsi Universitas Negeri Malang, 2020
    502 $b Master's thesis $c Universitas Indonesia $d 2018

The degree is kept in the cataloger's words ("Skripsi (S1)", "Thesis (Ph. D.)"); the citation
reads the level from them (:func:`refbot.citations.reference.degree_description`). The
institution is what APA names beside the degree ("[Skripsi, Universitas Diponegoro]").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from pymarc import Field

from refbot.catalog.isbd import clean

_YEAR = re.compile(r"(?<!\d)(1[4-9]\d\d|20\d\d)(?!\d)")
_PARTS = re.compile(r"\s*(?:--|—|–)\s*")
_TRAILING_YEAR = re.compile(r"[\s,;:.]*[(\[]?(?:1[4-9]\d\d|20\d\d)[)\]]?[\s.]*$")
_INSTITUTION = re.compile(
    r"\b(?:Universitas|University|Universit[éàä]t?|Institut|Institute|Sekolah Tinggi|Politeknik|Akademi|"
    r"UIN|IAIN|STAIN|STIE|STIKES|STKIP|College|Univ\.)",
)


@dataclass(frozen=True)
class ThesisNote:
    """What a dissertation note says; empty strings (and None) where it says nothing."""

    degree: str = ""
    institution: str = ""
    year: int | None = None


def thesis_note(fields: Sequence[Field], degree: str = "b", institution: str = "c", year: str = "d") -> ThesisNote:
    """The first dissertation note that says something, from its parts or its whole $a.

    Args:
        fields: the record's 502 (MARC 21) or 328 (UNIMARC) fields.
        degree, institution, year: the subfield codes of those parts (UNIMARC: "b", "e", "d").
    """
    for field in fields:
        note = _from_parts(field, degree, institution, year) or _from_whole(" ".join(field.get_subfields("a")))
        if note != ThesisNote():
            return note
    return ThesisNote()


def _from_parts(field: Field, degree: str, institution: str, year: str) -> ThesisNote | None:
    named = clean(" ".join(field.get_subfields(degree)))
    granted_by = clean(" ".join(field.get_subfields(institution)))
    if not named and not granted_by:
        return None
    return ThesisNote(named, _TRAILING_YEAR.sub("", granted_by), _year(" ".join(field.get_subfields(year))))


def _from_whole(text: str) -> ThesisNote:
    text = " ".join(text.split())
    if not text:
        return ThesisNote()
    parts = _PARTS.split(text, maxsplit=1)
    if len(parts) == 2:
        named, granted_by = parts
    else:
        found = _INSTITUTION.search(text)
        named, granted_by = (text[: found.start()], text[found.start():]) if found else (text, "")
    granted_by = clean(_TRAILING_YEAR.sub("", granted_by))
    return ThesisNote(clean(named.strip(" ,:;-")), granted_by, _year(text))


def _year(text: str) -> int | None:
    found = _YEAR.search(text)
    return int(found.group(1)) if found else None
