"""One Crossref work item → a Candidate, with the signals a librarian weighs before sending it.

Crossref items are loosely shaped: any field may be missing, a string where a list was
expected, or null. Every reader here tolerates that and falls back to empty.

Credibility comes from three places. ``updated-by`` lists notices about this work
(retractions, corrections, expressions of concern — Crossref merges in Retraction Watch's
data there with ``"source": "retraction-watch"``); ``update-to`` marks this work *as* such a
notice; ``relation`` sometimes names them too. Open access is read from the licences (a
Creative Commons licence on the version of record or accepted manuscript, in force today),
and the best link for a patron is the full text when it is open, else the landing page.
"""

from __future__ import annotations

import dataclasses
import datetime
import html
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from connectors.crossref.failures import SOURCE_NAME
from refbot.errors import SourceError
from refbot.models import Candidate, Kind

KIND_BY_TYPE: Mapping[str, Kind] = {
    "journal-article": Kind.ARTICLE,
    "book": Kind.BOOK,
    "monograph": Kind.BOOK,
    "edited-book": Kind.BOOK,
    "reference-book": Kind.BOOK,
    "book-chapter": Kind.CHAPTER,
    "book-section": Kind.CHAPTER,
    "book-part": Kind.CHAPTER,
    "proceedings-article": Kind.PROCEEDINGS,
    "dissertation": Kind.THESIS,
    "journal": Kind.JOURNAL,
}

# The Crossref types a patron's reading list can hold. Left out, as records about works rather
# than works to read: peer-review ("Review for …", "Decision letter for …", "Author response
# for …"), component (a figure, a table, a supplement — or an eLife decision letter), the
# containers journal, journal-issue, journal-volume, proceedings, book-set, book-series,
# proceedings-series and report-series (a patron wants what is in them), grant, and
# report-component; also dataset, database, standard, reference-entry and other, which are
# rarely a reading (a data deposit, one dictionary entry) and drown the works in a broad search.
# A report or a preprint (posted-content) is a reading a librarian may well send.
READABLE_TYPES = frozenset({
    "journal-article", "book", "monograph", "edited-book", "reference-book", "book-chapter", "book-section",
    "book-part", "proceedings-article", "dissertation", "report", "posted-content",
})

# Crossref's update types, grouped by what they mean for a reader.
RETRACTING = frozenset({"retraction", "partial_retraction", "withdrawal", "removal"})
CONCERNING = frozenset({"expression_of_concern"})
CORRECTING = frozenset({"correction", "corrigendum", "erratum", "addendum", "clarification"})
DATE_FIELDS = ("published", "published-print", "published-online", "issued")
READABLE_VERSIONS = frozenset({"vor", "am", "unspecified", ""})
_CANDIDATE_FIELDS = frozenset(f.name for f in dataclasses.fields(Candidate))


@dataclass(frozen=True)
class Notice:
    """One editorial notice about a work: a retraction, a correction, an expression of concern.

    Attributes:
        kind: "retraction", "concern" or "correction" (what it means for a reader).
        type: Crossref's own update type ("partial_retraction", "erratum", …).
        doi: the notice's DOI (for ``updated-by``) or the DOI it updates (for ``update-to``).
        date: when it was issued, ``YYYY-MM-DD`` as far as known.
        source: who reported it: "publisher", "retraction-watch", "relation" or "title".
        about_this: True when the notice is about this work; False when this work *is* the notice.
    """

    kind: str
    type: str
    doi: str = ""
    date: str = ""
    source: str = ""
    about_this: bool = True

    def describe(self) -> str:
        """One line for a librarian: "retraction 10.1016/… (2010-02-06, retraction-watch)"."""
        what = self.type.replace("_", " ") if self.about_this else f"this is a {self.type.replace('_', ' ')} notice"
        detail = ", ".join(p for p in (self.date, self.source) if p)
        return " ".join(p for p in (what, self.doi, f"({detail})" if detail else "") if p)


def candidates_from(body: Any, limit: int) -> list[Candidate]:
    """Candidates from a work-list answer, best first, leaving out what is not a work to read.

    Raises:
        SourceError: the answer has no list of works in it.
    """
    message = body.get("message") if isinstance(body, dict) else None
    items = message.get("items") if isinstance(message, dict) else None
    if not isinstance(items, list):
        raise SourceError(SOURCE_NAME, "Crossref's answer held no list of works")
    readable = [item for item in items if is_readable(item)]
    works = (work_to_candidate(item, rank) for rank, item in enumerate(readable, start=1))
    return [c for c in works if c.title or c.doi][:limit]


def is_readable(item: Any) -> bool:
    """Whether a work item is something to read (see :data:`READABLE_TYPES`).

    An item without a type (an answer whose ``select`` left it out, a hand-made fixture) is
    given the benefit of the doubt: the query already asked Crossref for readable types only.
    """
    kind = _text(item.get("type")) if isinstance(item, Mapping) else ""
    return not kind or kind in READABLE_TYPES


def work_to_candidate(item: Mapping[str, Any], rank: int, today: datetime.date | None = None) -> Candidate:
    """Convert one Crossref work item into a Candidate; any field may be missing or odd."""
    if not isinstance(item, Mapping):
        item = {}
    doi = _text(item.get("DOI")).lower()
    opened = open_access(item, today)
    return Candidate(
        source=SOURCE_NAME,
        source_id=doi,
        kind=KIND_BY_TYPE.get(_text(item.get("type")), Kind.OTHER),
        title=title_of(item),
        authors=tuple(_authors(item.get("author"))),
        year=year_of(item),
        container=_clean(_first(item.get("container-title"))),
        publisher=_publisher_of(item),
        isbn=_texts(item.get("ISBN")),
        issn=_texts(item.get("ISSN")),
        doi=doi,
        url=best_link(item, opened),
        abstract=strip_markup(_text(item.get("abstract"))),
        subjects=_texts(item.get("subject")),
        language=_text(item.get("language")).lower(),
        retracted=is_retracted(item),
        open_access=opened,
        citations=_int(item.get("is-referenced-by-count")),
        source_score=_float(item.get("score")),
        source_rank=rank,
        **_optional(item),
    )


def _publisher_of(item: Mapping[str, Any]) -> str:
    # A dissertation is cited with its granting institution, which Crossref deposits apart from the publisher.
    if _text(item.get("type")) == "dissertation":
        for institution in item.get("institution") or []:
            if isinstance(institution, Mapping) and _text(institution.get("name")):
                return _text(institution.get("name"))
    return _text(item.get("publisher"))


def _optional(item: Mapping[str, Any]) -> dict[str, Any]:
    # Fields a later Candidate may carry (volume, issue, pages, notices); filled only once
    # refbot.models declares them, so this module works before and after that change.
    wanted = {
        "volume": _text(item.get("volume")),
        "issue": _text(item.get("issue")),
        "pages": _text(item.get("page")),
        "article_number": _text(_first(item.get("article-number"))),
        "notices": tuple(n.describe() for n in notices(item)),
        "editors": tuple(_authors(item.get("editor"))),
        "edition": _text(item.get("edition-number")),
        "degree": _text(_first(item.get("degree"))),
    }
    return {k: v for k, v in wanted.items() if k in _CANDIDATE_FIELDS}


def strip_markup(text: str) -> str:
    """Plain text from JATS/HTML/MathML markup, whether the markup arrives raw or escaped.

    Entities are decoded first, so ``&lt;scp&gt;`` is markup like ``<scp>``; then the tags are
    dropped: inline ones (``sub``, ``i``, ``scp``, ``mml:*`` …) join their neighbours
    ("BiFeO<sub>3</sub>" → "BiFeO3"), block ones (``p``, ``sec``, ``list-item``, ``br`` …) part
    them, and a heading (``title``) or a ``subtitle`` is set off with a colon ("Background:
    Circadian …"). A formula (``<math>``, with or without the ``mml:`` prefix) becomes its
    characters with the layout spaces between its elements dropped ("D α" → "Dα"), and is set
    apart from a word it was glued to ("Let<math>A</math>be" → "Let A be", as some publishers
    deposit it). Processing instructions (``<?tex …?>``, staff comments) are dropped. A
    bracketed word that is no tag anyone publishes (``&lt;more&gt;``) stays text. Spaces are
    collapsed last.
    """
    plain = _MATH.sub(_math_text, _INSTRUCTION.sub(" ", _unescape(text)))
    plain = _TAG.sub(_replace_tag, plain)
    plain = " ".join(plain.split())
    plain = _HEADING_RUN.sub(_heading_break, plain).strip(" " + _HEADING)
    # Markup laid out on several lines leaves spaces inside brackets and before punctuation.
    plain = _SPACE_AFTER_OPENING.sub(r"\1", _SPACE_BEFORE_CLOSING.sub(r"\1", plain))
    # JATS abstracts often open with a section title that says only "Abstract".
    return re.sub(r"^(abstract|abstrak)\s*[:.]?\s+", "", plain, flags=re.IGNORECASE)


# Tags that sit inside a word or a formula: removing them must not part what they touch.
INLINE_TAGS = frozenset({
    "a", "abbr", "b", "big", "bold", "cite", "code", "em", "email", "ext-link", "font", "i", "inline-formula",
    "inline-graphic", "ins", "italic", "mark", "math", "monospace", "named-content", "overline", "q", "roman",
    "s", "sans-serif", "sc", "scp", "small", "smallcaps", "span", "strike", "strong", "styled-content", "sub",
    "sup", "tex-math", "tt", "u", "underline", "uri", "var", "xref",
})
# Tags that hold a block of their own: removing them leaves a space.
BLOCK_TAGS = frozenset({
    "abstract", "ack", "alternatives", "blockquote", "body", "boxed-text", "br", "caption", "def", "def-item",
    "def-list", "disp-formula", "disp-quote", "div", "fig", "fn", "graphic", "h1", "h2", "h3", "h4", "h5", "h6",
    "hr", "html", "label", "li", "list", "list-item", "notes", "ol", "p", "para", "sec", "section", "statement",
    "table", "table-wrap", "tbody", "td", "term", "tfoot", "th", "thead", "tr", "trans-abstract", "ul",
})
# MathML's elements, which some deposits carry without the "mml:" prefix.
MATHML_TAGS = frozenset({
    "annotation", "annotation-xml", "maction", "menclose", "merror", "mfenced", "mfrac", "mglyph", "mi",
    "mlabeledtr", "mmultiscripts", "mn", "mo", "mover", "mpadded", "mphantom", "mprescripts", "mroot", "mrow",
    "ms", "mspace", "msqrt", "mstyle", "msub", "msubsup", "msup", "mtable", "mtd", "mtext", "mtr", "munder",
    "munderover", "none", "semantics",
})
HEADING_TAGS = frozenset({"title", "subtitle", "trans-title"})  # set off with a colon
_HEADING = "\x00"  # stands where a heading ends, until spaces are settled
_TAG = re.compile(r"<(/?)([A-Za-z][\w.-]*(?::[A-Za-z][\w.-]*)?)(?:\s[^<>]*?)?(/?)>")
_HEADING_RUN = re.compile(r"\s*\x00[\s\x00]*")
_SPACE_AFTER_OPENING = re.compile(r"([(\[])\s+")
_SPACE_BEFORE_CLOSING = re.compile(r"\s+([)\],.;:!?])(?=\s|$)")


_INSTRUCTION = re.compile(r"<\?.*?\?>", re.DOTALL)
_MATH = re.compile(r"<((?:[A-Za-z][\w.-]*:)?math)(?:\s[^<>]*)?>(.*?)</\1\s*>", re.DOTALL | re.IGNORECASE)
_LAYOUT_SPACE = re.compile(r">\s+<")


def _math_text(match: re.Match[str]) -> str:
    inner = _TAG.sub("", _LAYOUT_SPACE.sub("><", match[2])).strip()
    before = match.string[match.start() - 1 : match.start()] if match.start() else ""
    after = match.string[match.end() : match.end() + 1]
    # A formula starting with a digit stays joined: "BiFeO" + "3" is a chemical formula.
    lead = " " if before.isalpha() and (inner[:1].isalpha() or inner[:1] in "([") else ""
    trail = " " if after.isalpha() and (inner[-1:].isalnum() or inner[-1:] in ")]") else ""
    return lead + inner + trail


def _unescape(text: str) -> str:
    # Some deposits are escaped twice ("&amp;lt;i&amp;gt;"); decode until nothing changes.
    for _ in range(3):
        decoded = html.unescape(text)
        if decoded == text:
            break
        text = decoded
    return text


def _replace_tag(match: re.Match[str]) -> str:
    closing, name = match[1], match[2].lower()
    prefix, _, local = name.rpartition(":")
    if prefix == "mml" or local in INLINE_TAGS or local in MATHML_TAGS:
        return ""
    if local in HEADING_TAGS:
        # A heading ends at its closing tag; a subtitle begins at its opening one.
        ends = bool(closing or match[3])  # "</title>" or "<title/>"
        return _HEADING if ends != (local == "subtitle") else " "
    if local in BLOCK_TAGS or prefix:
        return " "
    return match[0]  # no tag anyone publishes ("<more>"): text, kept as written


def _heading_break(match: re.Match[str]) -> str:
    before = match.string[max(match.start() - 1, 0) : match.start()]
    if match.end() == len(match.string):
        return ""
    return " " if not before or before.endswith((".", ":", "?", "!")) else ": "


# --- credibility -----------------------------------------------------------------------


def notices(item: Mapping[str, Any]) -> tuple[Notice, ...]:
    """Every retraction, correction and expression of concern Crossref records for a work."""
    found: list[Notice] = []
    for field, about_this in (("updated-by", True), ("update-to", False)):
        for update in _dicts(item.get(field)):
            kind = _kind_of(_text(update.get("type")))
            if kind:
                found.append(Notice(kind, _type(update.get("type")), _text(update.get("DOI")).lower(),
                                    _date(update.get("updated")), _text(update.get("source")), about_this))
    found.extend(_relation_notices(item.get("relation")))
    if not any(n.kind == "retraction" for n in found) and title_of(item).upper().startswith(("RETRACTED", "WITHDRAWN")):
        found.append(Notice("retraction", "retraction", source="title"))
    return tuple(dict.fromkeys(found))


def is_retracted(item: Mapping[str, Any]) -> bool:
    """Whether Crossref marks a work as retracted or withdrawn, or as such a notice."""
    return any(n.kind == "retraction" for n in notices(item))


def open_access(item: Mapping[str, Any], today: datetime.date | None = None) -> bool:
    """Whether a Creative Commons licence covers a readable version of the work today.

    A licence whose ``start`` lies in the future is an embargo, not open access yet; one that
    covers only the text-mining version (``content-version: tdm``) opens nothing to readers.
    """
    today = today or datetime.date.today()
    for licence in _dicts(item.get("license")):
        if "creativecommons.org" not in _text(licence.get("URL")).lower():
            continue
        if _text(licence.get("content-version")).lower() not in READABLE_VERSIONS:
            continue
        start = _date(licence.get("start"))
        if not start or start <= today.isoformat():
            return True
    return False


def best_link(item: Mapping[str, Any], opened: bool) -> str:
    """The link to give a patron: the open full text (PDF first), else the landing page."""
    links = [link for link in _dicts(item.get("link")) if _text(link.get("URL"))]
    if opened:
        full = [link for link in links if _text(link.get("content-version")) in ("vor", "am")]
        for wanted in ("application/pdf", "text/html"):
            found = next((link for link in full if _text(link.get("content-type")) == wanted), None)
            if found:
                return _text(found.get("URL"))
    resource = item.get("resource")
    primary = resource.get("primary") if isinstance(resource, Mapping) else None
    if isinstance(primary, Mapping) and _text(primary.get("URL")):
        return _text(primary.get("URL"))
    # Links meant for text-mining crawlers are a poorer choice for a patron than the rest.
    links.sort(key=lambda link: link.get("intended-application") != "unspecified")
    return next((_text(link.get("URL")) for link in links), "")


def _kind_of(update_type: str) -> str:
    t = _type(update_type)
    if t in RETRACTING:
        return "retraction"
    if t in CONCERNING:
        return "concern"
    return "correction" if t in CORRECTING else ""


def _type(value: Any) -> str:
    return _text(value).lower().replace("-", "_").replace(" ", "_")


def _relation_notices(relation: Any) -> Iterator[Notice]:
    if not isinstance(relation, Mapping):
        return
    for name, targets in relation.items():
        key = str(name).lower()
        kind = "retraction" if "retract" in key else "concern" if "concern" in key else ""
        kind = kind or ("correction" if "correct" in key or "erratum" in key else "")
        if not kind:
            continue
        ids = [_text(t.get("id")).lower() for t in _dicts(targets)] or [""]
        yield from (Notice(kind, key.replace("-", "_"), doi, source="relation") for doi in ids)


# --- field readers ---------------------------------------------------------------------


def title_of(item: Mapping[str, Any]) -> str:
    """Title and subtitle as one line, markup stripped."""
    title = _clean(_first(item.get("title")))
    subtitle = _clean(_first(item.get("subtitle")))
    if subtitle and subtitle.lower() not in title.lower():
        return f"{title}: {subtitle}" if title else subtitle
    return title


def year_of(item: Mapping[str, Any]) -> int | None:
    """The publication year: published, then print, online, issued."""
    for field in DATE_FIELDS:
        date = item.get(field)
        parts = date.get("date-parts") if isinstance(date, Mapping) else None
        try:
            year = int(parts[0][0])  # type: ignore[index]  # shape checked by the except
        except (TypeError, ValueError, IndexError, KeyError):
            continue
        if 1000 <= year <= 2999:
            return year
    return None


def _authors(value: Any) -> Iterator[str]:
    for person in _dicts(value):
        family, given = _text(person.get("family")), _text(person.get("given"))
        name = f"{family}, {given}" if family and given else family or given
        name = name or _text(person.get("name"))
        if name:
            yield name


def _date(value: Any) -> str:
    """``YYYY[-MM[-DD]]`` from a Crossref date object, or ""."""
    if not isinstance(value, Mapping):
        return ""
    try:
        parts = [int(p) for p in value["date-parts"][0] if p is not None]
    except (KeyError, IndexError, TypeError, ValueError):
        parts = []
    if parts:
        return "-".join([f"{parts[0]:04d}", *(f"{p:02d}" for p in parts[1:3])])
    return _text(value.get("date-time"))[:10]


def _first(value: Any) -> Any:
    if isinstance(value, list):
        return value[0] if value else ""
    return value


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _clean(value: Any) -> str:
    return strip_markup(_text(value))


def _texts(value: Any) -> tuple[str, ...]:
    values = value if isinstance(value, list) else [value]
    return tuple(dict.fromkeys(t for t in map(_text, values) if t))


def _dicts(value: Any) -> Iterator[Mapping[str, Any]]:
    if isinstance(value, list):
        yield from (v for v in value if isinstance(v, Mapping))


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _float(value: Any) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    return float(value) if ok else 0.0
