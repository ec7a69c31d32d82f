"""What the catalog holds about one title, and what it says about a record it could not read."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, fields
from typing import Any

from refbot.models import Candidate, Holding, Kind

SOURCE_NAME = "catalog"
_PARTICULARS = re.compile(r" \(|: ")


@dataclass(frozen=True)
class CatalogRecord:
    """One bibliographic record, format-neutral, as the index stores it.

    Attributes:
        id: the control number (001, else 035, else the file and position it came from).
        title: 245 $a$b$n$p without ISBD punctuation at the ends.
        kind: book, thesis, journal… from the leader (and 502 for theses).
        holdings: one entry per copy, from Koha 952 or 852.
        contents: 505 formatted contents, joined.
        notes: 500 general notes.
        series: 490/830 series statements.
        physical: 300 physical description.
        edition: 250 $a as the cataloger wrote it ("Ed. ke-2", "Cet. 2", "2nd ed.").
        editors: names whose relator says editor (700 $e "penyunting", $4 edt); for a chapter,
            its book's editors. Not in ``authors``.
        contributors: names with another part (translator, advisor, illustrator, performer):
            searched, never cited as authors.
        degree: a thesis's degree in the cataloger's words ("Skripsi (S1)"), from 502.
        institution: the university that granted it (502 $c, or the institution in 502 $a).
        container: for a chapter or an article, its book's or journal's title (773 $t);
            volume, issue, pages and article_number say where in it (773 $g).
    """

    id: str
    title: str
    kind: Kind = Kind.BOOK
    authors: tuple[str, ...] = ()
    year: int | None = None
    publisher: str = ""
    edition: str = ""
    physical: str = ""
    series: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    summary: str = ""
    contents: str = ""
    subjects: tuple[str, ...] = ()
    language: str = ""
    isbn: tuple[str, ...] = ()
    issn: tuple[str, ...] = ()
    call_number: str = ""
    holdings: tuple[Holding, ...] = ()
    url: str = ""
    editors: tuple[str, ...] = ()
    contributors: tuple[str, ...] = ()
    degree: str = ""
    institution: str = ""
    container: str = ""
    volume: str = ""
    issue: str = ""
    pages: str = ""
    article_number: str = ""

    def to_json(self) -> str:
        """The record as compact JSON, for the index's stored blob."""
        # What dataclasses.asdict gives, built directly: asdict deep-copies every value,
        # which cost a build more than writing the JSON itself.
        data = {name: getattr(self, name) for name in _FIELD_NAMES}
        data["holdings"] = [vars(h) for h in self.holdings]
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> CatalogRecord:
        """Rebuild a record from :meth:`to_json` output, from this refbot or another.

        A field the blob lacks (a generation built before editors and degrees were kept)
        takes its default; a field this refbot does not know (a newer build, read while a
        node is still being upgraded) is left out.
        """
        stored: dict[str, Any] = json.loads(text)
        data = {name: stored[name] for name in _FIELD_NAMES if name in stored}
        data["kind"] = Kind(data.get("kind", Kind.OTHER))
        data["holdings"] = tuple(Holding(**h) for h in data.get("holdings", ()))
        for name in _TUPLE_FIELDS:
            data[name] = tuple(data.get(name, ()))
        return cls(**data)

    def to_candidate(self, score: float = 0.0, rank: int = 0) -> Candidate:
        """The record as a search candidate from the catalog source."""
        return Candidate(
            source=SOURCE_NAME,
            source_id=self.id,
            kind=self.kind,
            title=self.title,
            authors=self.authors,
            year=self.year,
            container=self.container,
            volume=self.volume,
            issue=self.issue,
            pages=self.pages,
            # A thesis is cited with the university that granted it, which the note names best.
            publisher=self.institution if self.kind is Kind.THESIS and self.institution else self.publisher,
            isbn=self.isbn,
            issn=self.issn,
            call_number=self.call_number,
            holdings=self.holdings,
            url=self.url,
            abstract=self.summary or self.contents,
            subjects=self.subjects,
            language=self.language,
            source_score=score,
            source_rank=rank,
            editors=self.editors,
            edition=self.edition,
            article_number=self.article_number,
            degree=self.degree,
        )


@dataclass(frozen=True)
class RejectedRecord:
    """A record (or a whole file) that could not be read, and why.

    Attributes:
        file: the file it came from.
        position: its record number in the file, from 1; 0 when the whole file was rejected.
        control_number: its 001 (or CSV id) when that much was readable.
        reason: what was wrong, in words a cataloger can act on.
    """

    file: str
    position: int
    reason: str
    control_number: str = ""

    @property
    def category(self) -> str:
        """The reason without its particulars, for grouping: "malformed directory"."""
        return _PARTICULARS.split(self.reason, maxsplit=1)[0]

    def describe(self) -> str:
        """One line for a report: where, which record, why."""
        where = f"{self.file} #{self.position}" if self.position else self.file
        cn = f" [{self.control_number}]" if self.control_number else ""
        return f"{where}{cn}: {self.reason}"


_FIELD_NAMES = tuple(f.name for f in fields(CatalogRecord))
_TUPLE_FIELDS = ("authors", "series", "notes", "subjects", "isbn", "issn", "editors", "contributors")


@dataclass(frozen=True)
class Repair:
    """Something a reader put right in a record (or a whole file) that was read all the same.

    Attributes:
        file: the file it came from.
        position: the record's number in the file, from 1; 0 for the whole file.
        what: what was put right, e.g. "MARC-8 text in a record labelled UTF-8".
        control_number: the record's control number, when it has one.
    """

    file: str
    position: int
    what: str
    control_number: str = ""

    def describe(self) -> str:
        """One line for a report: where, which record, what was put right."""
        where = f"{self.file} #{self.position}" if self.position else self.file
        cn = f" [{self.control_number}]" if self.control_number else ""
        return f"{where}{cn}: {self.what}"
