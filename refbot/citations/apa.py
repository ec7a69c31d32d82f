"""APA Style (7th edition) reference-list entries, formatted locally with no network call.

Why our own formatter rather than citeproc-py with the CSL APA style: citeproc-py implements
only part of CSL 1.0.1 and the official ``apa.csl`` leans on the parts it lacks (it warns and
drops elements), the style file would have to be bundled and kept current, and refbot needs
few reference types (journal article, book, chapter, conference paper, thesis) plus output
for WhatsApp's ``_italic_`` markup. The rules below follow the Publication Manual (7th ed.,
ch. 9–10) and are tested against its published examples.

What APA asks and what is done here:

* authors: "Family, I. I."; "&" before the last of two to 20; 21 or more: the first 19, an
  ellipsis, then the last; a group or a single name in full; an edited book with no author
  has its editors there: "Kusnadi, H. (Ed.).";
* date: "(2019)." or "(n.d.).";
* titles as the source gives them (sentence case cannot be restored safely from title case:
  proper nouns would be lost); italic for works that stand alone (books, theses, reports),
  plain for parts (articles, chapters), with the edition and the thesis description after;
  an authored book's editors in the same parentheses: "(H. Kusnadi, Ed.; 2nd ed.)"; the edition
  read from however the source words it (:mod:`refbot.citations.edition`: "Ed. ke-2" → "2nd
  ed.", a first edition and a printing left out);
* source: *Journal*, *volume*(issue), pages or "Article n"; "In" editors (Eds.), *Book*
  (pp. x–y); the publisher without business designations (Inc., Ltd., PT), left out when it
  is the author; for theses the institution;
* the DOI as ``https://doi.org/…``, else the URL, with no full stop after it.

A list for an Indonesian reader describes theses as Indonesian APA guides do (the university
library guides that adapt APA 7): "[Skripsi]", "[Tesis]", "[Disertasi]", with the institution
after a comma, and "tidak diterbitkan" for an unpublished one. Everything else stays as APA
writes it, as those guides keep it.

A journal as a whole (an answer to "is this journal legit?") has no APA reference type; it is
given as its italic title, its publisher and its link.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Literal

from refbot.citations.edition import edition_label
from refbot.citations.reference import Name, Reference
from refbot.models import Kind

Markup = Literal["plain", "whatsapp", "html"]
ITALICS: dict[str, tuple[str, str]] = {"plain": ("", ""), "whatsapp": ("_", "_"), "html": ("<i>", "</i>")}
PARTS = frozenset({Kind.ARTICLE, Kind.CHAPTER, Kind.PROCEEDINGS})
_DESIGNATIONS = re.compile(
    r"(?:,?\s+(?:Inc\.?|Ltd\.?|LLC|L\.L\.C\.|GmbH|B\.?V\.?|Co\.|Pty\.?|S\.A\.|Sp\. z o\.o\.|Tbk\.?|Pvt\.?))+$"
    r"|^(?:PT|CV)\.?\s+",
)
_RANGE = re.compile(r"(?<=\w)\s*(?:-{1,2}|–|—)\s*(?=\w)")


def apa(ref: Reference, markup: Markup = "plain", language: str = "en") -> str:
    """One APA 7 reference-list entry; ``markup`` says how italics are written, ``language`` whose reader it is for."""
    start, end = ITALICS[markup]

    def italic(text: str) -> str:
        return f"{start}{text}{end}" if text else ""

    title = _title(ref, italic, language)
    if ref.kind is Kind.JOURNAL:
        # A journal as a whole has no APA reference type; it is named with its publisher and link.
        return " ".join(p for p in (title, _end(_publisher(ref)), _link(ref)) if p)
    # With no author, the title moves to the author's place.
    author = _end(_creators(ref))
    head = [f"{author or title} ({_year(ref)}).", title if author else ""]
    return " ".join(p for p in [*head, _source(ref, italic, language), _link(ref)] if p)


def _creators(ref: Reference) -> str:
    """Who stands in the author's place: the authors, else an edited book's editors ("Kusnadi, H. (Ed.)")."""
    if ref.authors:
        return author_list(ref.authors)
    if ref.editors and not is_part(ref):
        return f"{author_list(ref.editors)} ({_ed(ref.editors)})"
    return ""


def is_part(ref: Reference) -> bool:
    """Whether APA cites the work as a part of another: an article, a chapter, a paper in named proceedings.

    A catalog's record of a whole proceedings volume names no container: APA cites it as an
    (edited) book, with its title in italics and its editors first.
    """
    return ref.kind in PARTS and (ref.kind is not Kind.PROCEEDINGS or bool(ref.container))


def author_list(names: Sequence[Name]) -> str:
    """Authors as APA lists them in a reference."""
    inverted = [n.inverted for n in names]
    if len(inverted) == 1:
        return inverted[0]
    if len(inverted) > 20:
        return ", ".join(inverted[:19]) + ", . . . " + inverted[-1]
    return ", ".join(inverted[:-1]) + ", & " + inverted[-1]


def editor_list(names: Sequence[Name]) -> str:
    """Editors as APA names them after "In": "G. Y. Iwamasa & P. A. Hays (Eds.)"."""
    return f"{_joined_direct(names)} ({_ed(names)})"


def _ed(names: Sequence[Name]) -> str:
    return "Ed." if len(names) == 1 else "Eds."


def _joined_direct(names: Sequence[Name]) -> str:
    direct = [n.direct for n in names]
    if len(direct) <= 2:
        return " & ".join(direct)
    return ", ".join(direct[:-1]) + ", & " + direct[-1]


def publisher_name(name: str) -> str:
    """A publisher as APA writes it: business designations (Inc., Ltd., LLC, PT, Tbk) left out."""
    previous = None
    while previous != name:
        previous, name = name, _DESIGNATIONS.sub("", name.strip()).strip(" ,")
    return name


def page_range(pages: str) -> str:
    """Pages with an en dash between first and last: "1-51" → "1–51"."""
    return _RANGE.sub("–", pages.strip())


def _title(ref: Reference, italic: Callable[[str], str], language: str) -> str:
    title = ref.title.strip().rstrip(".")
    if is_part(ref):
        return _end(title)
    described = italic(title)
    details = [f"{_joined_direct(ref.editors)}, {_ed(ref.editors)}"] if ref.editors and ref.authors else []
    details += [label] if (label := edition_label(ref.edition, language)) else []
    if details:  # APA: "(H. Weaver, Trans.; 2nd ed.)"
        described += f" ({'; '.join(details)})"
    if ref.kind is Kind.THESIS:
        described += " " + (_thesis_description_id(ref) if language == "id" else _thesis_description(ref))
    return _end(described)


# What an English degree description is called in Indonesian, by the first word that tells.
_DEGREES_ID = (("dissert", "Disertasi"), ("doctor", "Disertasi"), ("disertasi", "Disertasi"), ("phd", "Disertasi"),
               ("master", "Tesis"), ("magister", "Tesis"), ("tesis", "Tesis"),
               ("bachelor", "Skripsi"), ("undergraduate", "Skripsi"), ("sarjana", "Skripsi"), ("skripsi", "Skripsi"))


def _thesis_description_id(ref: Reference) -> str:
    """"[Skripsi, Universitas Diponegoro]", "[Tesis tidak diterbitkan]"; "Skripsi/Tesis" when the degree is unknown."""
    degree = ref.degree.lower()
    name = next((word for key, word in _DEGREES_ID if key in degree), "Skripsi/Tesis")
    if not ref.published:
        return f"[{name} tidak diterbitkan]"
    return f"[{name}, {ref.institution}]" if ref.institution else f"[{name}]"


def _thesis_description(ref: Reference) -> str:
    degree = ref.degree or "Thesis"
    if not ref.published:
        return f"[Unpublished {degree[0].lower() + degree[1:]}]"
    return f"[{degree}, {ref.institution}]" if ref.institution else f"[{degree}]"


def _source(ref: Reference, italic: Callable[[str], str], language: str) -> str:
    if ref.kind is Kind.ARTICLE or (ref.kind is Kind.PROCEEDINGS and ref.volume):
        return _periodical(ref, italic)
    if is_part(ref):
        return _in_book(ref, italic, language)
    if ref.kind is Kind.THESIS:
        where = ref.institution if not ref.published else ref.publisher if ref.publisher != ref.institution else ""
        return _end(publisher_name(where)) if where else ""
    return _end(_publisher(ref))


def _periodical(ref: Reference, italic: Callable[[str], str]) -> str:
    if not ref.container:
        return ""
    parts = [italic(ref.container)]
    if ref.volume:
        parts.append(italic(ref.volume) + (f"({ref.issue})" if ref.issue else ""))
    if ref.pages:
        parts.append(page_range(ref.pages))
    elif ref.article_number:
        parts.append(f"Article {ref.article_number}")
    return _end(", ".join(parts))


def _in_book(ref: Reference, italic: Callable[[str], str], language: str) -> str:
    if not ref.container:
        return _end(_publisher(ref))
    editors = f"{editor_list(ref.editors)}, " if ref.editors else ""
    details = [label] if (label := edition_label(ref.edition, language)) else []
    if ref.pages:
        pages = page_range(ref.pages)
        details.append(f"pp. {pages}" if "–" in pages else f"p. {pages}")
    book = f"In {editors}{italic(ref.container)}" + (f" ({', '.join(details)})" if details else "")
    return " ".join(p for p in (_end(book), _end(_publisher(ref))) if p)


def _publisher(ref: Reference) -> str:
    name = publisher_name(ref.publisher)
    group_authors = {a.literal.lower() for a in ref.authors if a.literal}
    return "" if name.lower() in group_authors else name


def _link(ref: Reference) -> str:
    return f"https://doi.org/{ref.doi}" if ref.doi else ref.url


def _year(ref: Reference) -> str:
    return str(ref.year) if ref.year else "n.d."


def _end(text: str) -> str:
    """Text closed with a full stop, unless it already ends with one, "?" or "!"."""
    text = text.strip()
    if not text:
        return ""
    bare = re.sub(r"(</i>|_)+$", "", text)
    if bare.endswith((".", "?", "!", ".”", "?”", "!”")):
        return text
    if text.endswith(("”", '"')):  # APA (American) puts the full stop inside closing quotes
        return text[:-1] + "." + text[-1]
    return text + "."
