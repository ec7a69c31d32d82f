"""A list of references as RIS or BibTeX text, for reference managers (sent as a document).

RIS follows the tagged format Zotero, Mendeley and EndNote read: ``TY  - JOUR`` … ``ER  - ``,
lines ended with CRLF. BibTeX writes one entry per reference with a unique key, every value
braced and escaped, titles double-braced so a style cannot lower-case Indonesian titles.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

from refbot.citations.apa import page_range
from refbot.citations.edition import edition_for_export
from refbot.citations.reference import Name, Reference
from refbot.models import Kind

RIS_TYPES = {
    Kind.ARTICLE: "JOUR",
    Kind.BOOK: "BOOK",
    Kind.EBOOK: "EBOOK",
    Kind.CHAPTER: "CHAP",
    Kind.PROCEEDINGS: "CPAPER",
    Kind.THESIS: "THES",
    Kind.JOURNAL: "JFULL",
    Kind.OTHER: "GEN",
}
BIBTEX_TYPES = {
    Kind.ARTICLE: "article",
    Kind.BOOK: "book",
    Kind.EBOOK: "book",
    Kind.CHAPTER: "incollection",
    Kind.PROCEEDINGS: "inproceedings",
    Kind.JOURNAL: "periodical",
    Kind.OTHER: "misc",
}
_BIBTEX_SPECIAL = str.maketrans({
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "&": r"\&", "%": r"\%", "$": r"\$",
    "#": r"\#", "_": r"\_", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
})


def to_ris(refs: Iterable[Reference]) -> str:
    """References as one RIS file."""
    return "".join(_ris_record(ref) for ref in refs)


def to_bibtex(refs: Iterable[Reference]) -> str:
    """References as one BibTeX file, keys unique within it."""
    used: set[str] = set()
    entries = []
    for ref in refs:
        key = _unique(bibtex_key(ref), used)
        entries.append(_bibtex_entry(ref, key))
    return "\n".join(entries)


# --- RIS --------------------------------------------------------------------------------


def _ris_record(ref: Reference) -> str:
    first, last = _split_pages(ref.pages)
    lines: list[tuple[str, str]] = [("TY", RIS_TYPES.get(ref.kind, "GEN"))]
    lines += [("AU", a.full) for a in ref.authors]
    lines += [("ED", e.full) for e in ref.editors]
    lines += [
        ("PY", str(ref.year or "")),
        ("TI", ref.title),
        ("T2", ref.container),
        ("VL", ref.volume),
        ("IS", ref.issue),
        ("SP", first or ref.article_number),
        ("EP", last),
        ("ET", edition_for_export(ref.edition)),
        ("PB", ref.institution if ref.kind is Kind.THESIS else ref.publisher),
        ("M3", ref.degree),
    ]
    lines += [("SN", n) for n in (*ref.isbn, *ref.issn)]
    lines += [("DO", ref.doi), ("UR", f"https://doi.org/{ref.doi}" if ref.doi else ref.url), ("CN", ref.call_number)]
    lines += [("LA", ref.language), ("AB", _one_line(ref.abstract))]
    lines += [("KW", s) for s in ref.subjects]
    body = "".join(f"{tag}  - {value}\r\n" for tag, value in lines if value)
    return body + "ER  - \r\n\r\n"


def _split_pages(pages: str) -> tuple[str, str]:
    first, _, last = page_range(pages).partition("–")
    return first.strip(), last.strip()


# --- BibTeX -----------------------------------------------------------------------------


def bibtex_key(ref: Reference) -> str:
    """First author's family name, the year and the title's first long word: "mccauley2019language"."""
    author = ref.authors[0] if ref.authors else None
    name = (author.family or author.literal.split()[0]) if author else "anon"
    word = next((w for w in re.findall(r"\w+", ref.title) if len(w) > 3), "")
    return _ascii(f"{name}{ref.year or 'nd'}{word}").lower() or "ref"


def _bibtex_entry(ref: Reference, key: str) -> str:
    entry_type = BIBTEX_TYPES.get(ref.kind, "misc")
    if ref.kind is Kind.THESIS:
        entry_type = "phdthesis" if "doctor" in ref.degree.lower() else "mastersthesis" if "master" in ref.degree.lower() else "misc"
    container_field = {"article": "journal", "incollection": "booktitle", "inproceedings": "booktitle"}.get(entry_type)
    fields: list[tuple[str, str]] = [
        ("author", " and ".join(_bibtex_name(a) for a in ref.authors)),
        ("editor", " and ".join(_bibtex_name(e) for e in ref.editors)),
        ("title", "{" + _escape(ref.title) + "}"),
        (container_field or "note" if ref.container else "", _escape(ref.container)),
        ("year", str(ref.year or "")),
        ("volume", _escape(ref.volume)),
        ("number", _escape(ref.issue)),
        ("pages", page_range(ref.pages).replace("–", "--")),
        ("edition", _escape(edition_for_export(ref.edition))),
        ("publisher", _escape(ref.publisher) if ref.kind is not Kind.THESIS else ""),
        ("school", _escape(ref.institution) if ref.kind is Kind.THESIS else ""),
        ("type", _escape(ref.degree or "Thesis") if entry_type == "misc" and ref.kind is Kind.THESIS else ""),
        ("isbn", ", ".join(ref.isbn)),
        ("issn", ", ".join(ref.issn)),
        ("doi", _escape(ref.doi)),
        ("url", ref.url if not ref.doi else ""),
        ("language", _escape(ref.language)),
        ("keywords", _escape(", ".join(ref.subjects))),
        ("abstract", _escape(_one_line(ref.abstract))),
        ("callnumber", _escape(ref.call_number)),
    ]
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields if name and value)
    return f"@{entry_type}{{{key},\n{body}\n}}\n"


def _bibtex_name(name: Name) -> str:
    if name.literal:
        return "{" + _escape(name.literal) + "}"  # braced: one name, never split into first/last
    return _escape(name.full)


def _escape(text: str) -> str:
    return text.translate(_BIBTEX_SPECIAL)


def _unique(key: str, used: set[str]) -> str:
    candidate, n = key, 0
    while candidate in used:
        n += 1
        candidate = key + "abcdefghijklmnopqrstuvwxyz"[(n - 1) % 26] * ((n - 1) // 26 + 1)
    used.add(candidate)
    return candidate


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9]", "", folded)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def keys_of(text: str) -> Sequence[str]:
    """The entry keys in BibTeX text, in order (for checks and tests)."""
    return re.findall(r"^@\w+\{([^,]+),", text, flags=re.MULTILINE)
