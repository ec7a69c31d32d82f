"""From a patron's need to the Crossref calls that answer it.

A need becomes a works search (``query.bibliographic`` with date and type filters), or — when
the patron asks about a journal itself ("is this journal legit: 1234-5678", "jurnal tentang
perpustakaan terakreditasi") — journal lookups on ``/journals``. Each call knows its own
cache key: the route, the normalised text and the sorted filters, nothing that varies by run.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from connectors.crossref.works import READABLE_TYPES
from refbot.models import InformationNeed, Kind

# Only fields the converters read. `language` is deliberately absent: Crossref's /works route
# answers 400 select-not-available for it, so it only arrives on unselected answers.
SELECT = (
    "DOI,title,subtitle,author,published,published-print,published-online,issued,container-title,publisher,ISSN,ISBN,"
    "type,abstract,subject,is-referenced-by-count,license,link,resource,update-to,updated-by,relation,score,"
    "volume,issue,page,article-number,editor,degree"
)
RECENT_SELECT = "DOI,title,published,issued"

# A patron asking for "jurnal" almost always means journal articles, not journal records.
TYPES_BY_KIND: Mapping[Kind, tuple[str, ...]] = {
    Kind.ARTICLE: ("journal-article",),
    Kind.JOURNAL: ("journal-article",),
    Kind.BOOK: ("book", "monograph", "edited-book", "reference-book"),
    Kind.EBOOK: ("book", "monograph", "edited-book", "reference-book"),
    Kind.CHAPTER: ("book-chapter", "book-section", "book-part"),
    Kind.PROCEEDINGS: ("proceedings-article",),
    Kind.THESIS: ("dissertation",),
}

_ISSN = re.compile(r"(?<![\w-])(\d{4})[-‐–]?(\d{3}[\dXx])(?![\w-])")
_WORD = re.compile(r"[\w-]+")
JOURNAL_WORDS = frozenset({"jurnal", "journal", "journals", "majalah"})
# Words saying the patron asks about journals as venues: their standing, not their articles.
JOURNAL_CUES = frozenset({
    "terakreditasi", "akreditasi", "sinta", "legit", "legitimate", "predator", "predatory", "abal",
    "bereputasi", "reputasi", "reputable", "terindeks", "indexed", "scopus", "doaj", "issn",
})
JOURNAL_PHRASES = ("daftar jurnal", "nama jurnal", "jurnal apa", "jurnal mana", "list of journals",
                   "which journal", "what journal", "journal list")


class Call(Protocol):
    """One Crossref request refbot may send, and how it is remembered."""

    @property
    def key(self) -> str: ...

    def run(self, client: Any) -> Any: ...


@dataclass(frozen=True)
class WorksQuery:
    """A ``/works`` search: the arguments handed to ``habanero.Crossref.works``."""

    text: str
    rows: int
    filters: tuple[tuple[str, str], ...] = ()

    def filter_dict(self) -> dict[str, Any]:
        """Filters in habanero's shape; a repeated name becomes a list (Crossref ORs them)."""
        out: dict[str, Any] = {}
        for name, value in self.filters:
            out.setdefault(name, []).append(value)
        return {name: values[0] if len(values) == 1 else values for name, values in out.items()}

    @property
    def key(self) -> str:
        """What the answer is cached under."""
        return _key("works", normalise(self.text), self.rows, sorted(self.filters), SELECT)

    def run(self, client: Any) -> Any:
        """Ask Crossref (in a worker thread)."""
        return client.works(query_bibliographic=self.text, filter=self.filter_dict() or None,
                            select=SELECT, limit=self.rows)


@dataclass(frozen=True)
class JournalByIssn:
    """``/journals/{issn}``: one journal's record; Crossref answers 404 when it has none."""

    issn: str

    @property
    def key(self) -> str:
        """What the answer is cached under."""
        return _key("journal", self.issn)

    def run(self, client: Any) -> Any:
        """Ask Crossref (in a worker thread)."""
        return client.journals(ids=self.issn)


@dataclass(frozen=True)
class RecentWorks:
    """``/journals/{issn}/works``, newest first: the journal's recent DOIs."""

    issn: str
    rows: int = 3

    @property
    def key(self) -> str:
        """What the answer is cached under."""
        return _key("journal-works", self.issn, self.rows, RECENT_SELECT)

    def run(self, client: Any) -> Any:
        """Ask Crossref (in a worker thread)."""
        return client.journals(ids=self.issn, works=True, sort="published", order="desc",
                               limit=self.rows, select=RECENT_SELECT)


@dataclass(frozen=True)
class JournalSearch:
    """``/journals?query=…``: journals whose titles match."""

    text: str
    rows: int

    @property
    def key(self) -> str:
        """What the answer is cached under."""
        return _key("journals", normalise(self.text), self.rows)

    def run(self, client: Any) -> Any:
        """Ask Crossref (in a worker thread)."""
        return client.journals(query=self.text, limit=self.rows)


@dataclass(frozen=True)
class Plan:
    """Every Crossref call one need asks for; journal calls come first in the answer."""

    issns: tuple[str, ...] = ()
    journal_search: JournalSearch | None = None
    works: WorksQuery | None = None

    def __bool__(self) -> bool:
        return bool(self.issns or self.journal_search or self.works)


def plan(need: InformationNeed, rows: int, *, journals: bool = True) -> Plan:
    """The calls that answer a need: journal lookups when it asks about journals, else works."""
    issns = issns_in(need.raw) if journals else ()
    if issns:
        return Plan(issns=issns[:3])
    asks_journals = journals and wants_journals(need)
    works = build_query(need, rows, drop=JOURNAL_CUES | JOURNAL_WORDS if asks_journals else frozenset())
    search = None
    if asks_journals:
        text = " ".join(t for t in _content(need, JOURNAL_CUES | JOURNAL_WORDS))
        search = JournalSearch(text, min(rows, 5)) if text else None
    return Plan(journal_search=search, works=works)


def build_query(need: InformationNeed, rows: int, drop: frozenset[str] = frozenset()) -> WorksQuery | None:
    """The works search for a need, or None when the need has no words to search for."""
    text = " ".join(_content(need, drop))
    if not text:
        return None
    filters: list[tuple[str, str]] = []
    if need.year_from is not None:
        filters.append(("from-pub-date", f"{need.year_from}-01-01"))
    if need.year_to is not None:
        filters.append(("until-pub-date", f"{need.year_to}-12-31"))
    filters.extend(("type", t) for t in crossref_types(need.kinds))
    return WorksQuery(text=text, rows=max(rows, 1), filters=tuple(filters))


def crossref_types(kinds: frozenset[Kind]) -> tuple[str, ...]:
    """Crossref work types for wanted kinds; every readable type when any kind has none.

    Crossref ORs a repeated ``type`` filter and has no way to exclude one, so a search that
    names no kind lists every type a reading list can hold (``READABLE_TYPES``): peer reviews,
    issues and components are then never fetched, and the rows asked for are all works.
    """
    if not kinds or any(k not in TYPES_BY_KIND for k in kinds):
        return tuple(sorted(READABLE_TYPES))
    return tuple(sorted({t for k in kinds for t in TYPES_BY_KIND[k]}))


def issns_in(text: str) -> tuple[str, ...]:
    """Valid ISSNs written in the text (check digit verified), as ``NNNN-NNNC``, in order.

    Without a hyphen, eight digits count only when the text says "ISSN": a phone number or a
    barcode passes the check digit one time in eleven.
    """
    hyphenless_ok = "issn" in text.lower()
    found: list[str] = []
    for match in _ISSN.finditer(text):
        issn = f"{match[1]}-{match[2].upper()}"
        hyphenated = len(match[0]) == 9
        if (hyphenated or hyphenless_ok) and issn_is_valid(issn) and issn not in found:
            found.append(issn)
    return tuple(found)


def issn_is_valid(issn: str) -> bool:
    """Whether an ``NNNN-NNNC`` ISSN's check digit is right (ISO 3297, modulus 11)."""
    digits = issn.replace("-", "")
    if not re.fullmatch(r"\d{7}[\dX]", digits):
        return False
    total = sum(int(d) * w for d, w in zip(digits[:7], range(8, 1, -1), strict=True))
    check = (11 - total % 11) % 11
    return digits[7] == ("X" if check == 10 else str(check))


def wants_journals(need: InformationNeed) -> bool:
    """Whether the patron asks about journals themselves (standing, accreditation, which ones)."""
    text = need.raw.lower()
    words = set(_WORD.findall(text))
    if any(phrase in text for phrase in JOURNAL_PHRASES):
        return True
    return bool(words & JOURNAL_WORDS) and bool(words & JOURNAL_CUES)


def normalise(text: str) -> str:
    """Text as a cache key sees it: lower case, single spaces."""
    return " ".join(text.lower().split())


def _content(need: InformationNeed, drop: frozenset[str]) -> list[str]:
    issns = set(issns_in(need.raw))
    return [t.text for t in need.terms if t.text.lower() not in drop and t.text.upper() not in issns]


def _key(*parts: Any) -> str:
    return json.dumps(parts, ensure_ascii=False, separators=(",", ":"))
