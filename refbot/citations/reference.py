"""What a citation is made from: a Reference, read from a Candidate, and the names in it.

A Candidate carries what ranking and rendering need; a Reference adds what a citation needs
(volume, issue, pages, editors, edition, degree) when the source knows it. Names arrive as
sources write them — "Rahmawati, Dewi" from Crossref, "Sulistyo-Basuki" or "Hasugian, Jonner"
from MARC, "World Health Organization" — and are parsed once, here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from refbot.models import Candidate, Kind

_LIFE_DATES = re.compile(r",\s*\d{4}(?:\s*-\s*(?:\d{4})?)?\.?$")
_SHOUTED_INITIALS = re.compile(r"[A-Z]{2,3}")
# Words that make a name a body's, whatever its commas: "Brookings Institution, Washington, D.C. Panel …".
_GROUP_WORDS = re.compile(
    r"\b(institution|institute|institut|university|universitas|universität|université|college|association|asosiasi|"
    r"department|departemen|kementerian|ministry|committee|panel|council|society|organi[sz]ation|perpustakaan|"
    r"library|badan|lembaga|direktorat|directorate|foundation|yayasan|commission|komisi|conference|konferensi|"
    r"symposium|bureau|agency)\b",
    re.IGNORECASE,
)
PARTICLES = frozenset({"de", "van", "von", "der", "den", "da", "di", "du", "la", "le", "bin", "binti"})


@dataclass(frozen=True)
class Name:
    """A person as family and given names, or a name written as it is (a group, a mononym).

    Indonesian single names (Sukarni, Koentjaraningrat) and organisations are ``literal``: APA
    writes them in full, and so do RIS and BibTeX.
    """

    family: str = ""
    given: str = ""
    literal: str = ""

    @property
    def initials(self) -> str:
        """The given names as APA initials: "Stewart M." → "S. M.", "Jean-Paul" → "J.-P."."""
        return " ".join(i for i in (_initial(part) for part in self.given.split()) if i)

    @property
    def inverted(self) -> str:
        """"Family, G. I." (or the literal name), as APA lists authors."""
        if self.literal:
            return self.literal
        return f"{self.family}, {self.initials}" if self.initials else self.family

    @property
    def direct(self) -> str:
        """"G. I. Family", as APA names editors."""
        if self.literal:
            return self.literal
        return f"{self.initials} {self.family}" if self.initials else self.family

    @property
    def full(self) -> str:
        """"Family, Given" (or the literal), as RIS and BibTeX want it."""
        if self.literal:
            return self.literal
        return f"{self.family}, {self.given}" if self.given else self.family


def parse_name(text: str) -> Name:
    """A name as a source wrote it: "Family, Given" splits; a body's name, or one without a comma, stays whole."""
    text = " ".join(text.split()).strip(" ,;")
    text = _LIFE_DATES.sub("", text).strip(" ,;")
    family, comma, given = text.partition(",")
    if comma and family.strip() and given.strip() and not _GROUP_WORDS.search(text):
        return Name(family=family.strip(), given=given.strip())
    return Name(literal=text)


def _initial(part: str) -> str:
    if part.lower() in PARTICLES:
        return ""
    if "-" in part.strip("-"):
        pieces = [p for p in part.split("-") if p]
        return "-".join(p[0].upper() + "." for p in pieces)
    if _SHOUTED_INITIALS.fullmatch(part):  # "AJ", as medical journals deposit given names
        return " ".join(letter + "." for letter in part)
    letters = [ch for ch in part if ch.isalpha()]
    return letters[0].upper() + "." if letters else ""


@dataclass(frozen=True)
class Reference:
    """Everything a citation or an export may say about one work.

    Attributes:
        degree: for theses, what APA puts in brackets: "Doctoral dissertation",
            "Master's thesis", or "" when not known.
        published: a thesis available from a repository or with a DOI; a print thesis in a
            library's own collection is unpublished in APA's sense.
    """

    kind: Kind
    title: str
    authors: tuple[Name, ...] = ()
    year: int | None = None
    container: str = ""
    volume: str = ""
    issue: str = ""
    pages: str = ""
    article_number: str = ""
    editors: tuple[Name, ...] = ()
    edition: str = ""
    publisher: str = ""
    institution: str = ""
    degree: str = ""
    published: bool = True
    doi: str = ""
    url: str = ""
    isbn: tuple[str, ...] = ()
    issn: tuple[str, ...] = ()
    call_number: str = ""
    abstract: str = ""
    subjects: tuple[str, ...] = ()
    language: str = ""


def reference_from_candidate(c: Candidate) -> Reference:
    """The Reference for a candidate from any source (catalog record, Crossref work, Zotero item)."""
    doi = normalise_doi(c.doi)
    thesis = c.kind is Kind.THESIS
    return Reference(
        kind=c.kind,
        title=c.title,
        authors=tuple(parse_name(a) for a in c.authors if a.strip()),
        year=c.year,
        container=c.container,
        volume=c.volume,
        issue=c.issue,
        pages=c.pages,
        article_number=c.article_number,
        editors=tuple(parse_name(e) for e in c.editors if e.strip()),
        edition=c.edition,
        publisher="" if thesis else c.publisher,
        institution=c.publisher if thesis else "",
        degree=degree_description(c.degree) if thesis else "",
        published=not thesis or bool(doi or c.url),
        doi=doi,
        url="" if doi else c.url,
        isbn=c.isbn,
        issn=c.issn,
        call_number=c.call_number,
        abstract=c.abstract,
        subjects=c.subjects,
        language=c.language,
    )


# A degree's words as sources write them (Crossref's "PhD", MARC 502's "Tesis (M.Hum.)--…",
# "Skripsi (S1)", Indonesian levels S1/S2/S3 and "Program Magister"), by the level they name;
# first match wins, doctoral first.
_DEGREE_LEVELS = (
    ("Doctoral dissertation", re.compile(
        r"\b(ph\.?\s?d|th\.?\s?d|doctor\w*|doktor\w*|disertasi|dissertation|diss|d\.?phil|ed\.?\s?d|s-?3|strata[\s-]+(3|tiga))\b")),
    ("Master's thesis", re.compile(
        r"\b(master\w*|magister|tesis|m\.?\s?(a|sc|si|hum|pd|kom|m|phil|ip|t|s)\b\.?|ms|msc|mphil|s-?2|strata[\s-]+(2|dua))\b")),
    ("Bachelor's thesis", re.compile(
        r"\b(bachelor|undergraduate|sarjana|skripsi|s-?1|strata[\s-]+(1|satu)|s\.?\s?(sos|pd|hum|si|kom|ip|t|e|h)\b)")),
)


def degree_description(degree: str) -> str:
    """APA's words for a thesis's degree ("Master's thesis"), from however a source writes it; "" if unknown."""
    text = degree.strip().lower()
    if not text:
        return ""
    return next((label for label, pattern in _DEGREE_LEVELS if pattern.search(text)), "")


def normalise_doi(doi: str) -> str:
    """A bare DOI ("10.1037/rev0000126") from any of the ways it is written."""
    doi = doi.strip()
    return re.sub(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", "", doi, flags=re.IGNORECASE)
