"""An edition statement as APA writes it after a title, from however a source worded it.

Crossref gives a number ("2"); a catalog's 250 gives the cataloger's words, often Indonesian:
"Ed. ke-2", "Edisi kedua", "Edisi revisi", "Cet. 2", "Ed. 3, cet. 5", "2nd ed.". APA (7th ed.,
9.28 and 10.2) names the edition — "(2nd ed.)", "(Rev. ed.)" — and leaves out a first edition
and the printing (*cetakan*), which does not change the text a reader cites. For an Indonesian
reader the label is written as Indonesian APA guides write it: "(Ed. ke-2)", "(Ed. revisi)".

Words refbot cannot read ("Edisi khusus", "Special ed.") are kept as written.
"""

from __future__ import annotations

import re

_SEGMENTS = re.compile(r"\s*[,;]\s*")
_PRINTING = re.compile(r"\b(cet|cetakan|printing|impression|reprint|reprinted)\b\.?", re.IGNORECASE)
_REVISED = re.compile(r"\b(revisi|rev|revised|direvisi|perbaikan)\b", re.IGNORECASE)
_NUMBER = re.compile(r"(?<!\d)(\d{1,4})(?!\d)")
_TOKEN = re.compile(r"[^\W_]+")
_NUMBERED = re.compile(r"\d{1,4}(?:st|nd|rd|th|d|e|er|a|o)?")
_PLAIN_WORDS = frozenset({
    "ed", "edisi", "edition", "edn", "ke", "and", "dan", "rev", "revisi", "revised", "direvisi", "perbaikan",
    "éd", "édition", "aufl", "auflage", "edición", "edizione", "izd", "vyd", "wyd", "e",
})  # fmt: skip
_EDITION_WORD = re.compile(r"\bedition\b|\bed\b\.?", re.IGNORECASE)
_REVISED_WORD = re.compile(r"\brevised\b|\brev\b\.?", re.IGNORECASE)
ORDINAL_WORDS = {
    "pertama": 1, "kedua": 2, "ketiga": 3, "keempat": 4, "kelima": 5, "keenam": 6, "ketujuh": 7,
    "kedelapan": 8, "kesembilan": 9, "kesepuluh": 10,
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
    "ninth": 9, "tenth": 10,
}  # fmt: skip
_ORDINAL = re.compile(r"\b(" + "|".join(ORDINAL_WORDS) + r")\b", re.IGNORECASE)


def edition_label(edition: str, language: str = "en") -> str:
    """The edition as APA puts it in parentheses ("2nd ed.", "Ed. ke-2"); "" for a first edition or a printing."""
    segments = [s for s in _SEGMENTS.split(edition.strip()) if s and not _PRINTING.search(s)]
    if not segments:
        return ""
    text = segments[0]  # "2nd ed., rev. and expanded", "Ed. 3, cet. 5": the statement proper comes first
    number = edition_number(text)
    revised = bool(_REVISED.search(" ".join(segments)))  # "Ed. 2, rev."
    if not _says_only_its_number(text):
        return _abbreviated(text)  # "30th anniversary edition", "Edisi khusus": the cataloger's words
    if number is None and not revised:
        return ""  # "Ed.", "Edisi": the word alone says nothing
    return _label(number, revised, language)


def edition_for_export(edition: str) -> str:
    """The edition as RIS ``ET`` and BibTeX ``edition`` want it: its number ("2"), else APA's words, else ""."""
    label = edition_label(edition)
    number = edition_number(edition) if label else None
    return str(number) if number and label == _label(number, False, "en") else label


def edition_number(edition: str) -> int | None:
    """The edition's number, from digits ("Ed. ke-2", "3rd ed.") or words ("Edisi kedua"); None when it has none."""
    found = _NUMBER.search(edition)
    if found:
        return int(found.group(1))
    word = _ORDINAL.search(edition)
    return ORDINAL_WORDS[word.group(1).lower()] if word else None


def _label(number: int | None, revised: bool, language: str) -> str:
    if number == 1 and not revised:
        return ""  # APA leaves out a first edition
    if number and number > 100:  # an edition named by its year: "Edisi 2019"
        return f"Ed. {number}" if language == "id" else f"{number} ed."
    counted = number if number and number > 1 else None
    if language == "id":
        return " ".join(p for p in ("Ed.", "revisi" if revised else "", f"ke-{counted}" if counted else "") if p)
    if counted:
        return f"{_ordinal(counted)} rev. ed." if revised else f"{_ordinal(counted)} ed."
    return "Rev. ed."


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _says_only_its_number(text: str) -> bool:
    """Whether the statement is a number, "edition" and "revised" only, in any of the ways they are written."""
    words = _TOKEN.findall(text.lower())
    return all(w in _PLAIN_WORDS or w in ORDINAL_WORDS or _NUMBERED.fullmatch(w) for w in words)


def _abbreviated(text: str) -> str:
    text = " ".join(text.split()).rstrip(" ,;:.")
    text = _EDITION_WORD.sub("ed.", _REVISED_WORD.sub("rev.", text))
    return text[:1].upper() + text[1:]
