"""The words of a similarity check, read as forgivingly as the desk's other codes.

A patron asks with ``TURNITIN``, ``CEK PLAGIASI``, ``CEK SIMILARITY`` (or ``PLAGIARISM CHECK``…)
as the caption of the document — in any case, a letter doubled or swapped (``TURNITN``,
``cek plagiasii``) — or with a caption that names the service anywhere (*"tolong cek turnitin
bab 2"*). Text alone is a request only when it is nothing but the keyword (``TURNITIN``):
*"apa itu turnitin?"* stays a reference question.

Librarians answer with ``HASIL#12 12%`` (``RESULT#12 12.5%``), take a check with ``AMBIL#12``
(``TAKE#12``) and approve an automated result with ``SETUJU#12`` (``APPROVE#12``).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Collection
from dataclasses import dataclass

from rapidfuzz.distance import OSA

# keyword (letters only) → the language it is in, or None when both use it
PATRON_KEYWORDS: dict[str, str | None] = {
    "TURNITIN": None, "CEKTURNITIN": "id", "CEKPLAGIASI": "id", "CEKPLAGIAT": "id", "PLAGIASI": "id",
    "CEKSIMILARITY": "id", "CEKSIMILARITAS": "id", "SIMILARITAS": "id", "UJIPLAGIASI": "id",
    "SIMILARITY": "en", "SIMILARITYCHECK": "en", "CHECKSIMILARITY": "en", "PLAGIARISMCHECK": "en",
    "CHECKPLAGIARISM": "en", "PLAGIARISM": "en",
}
# Words that, anywhere in a document's caption, ask for a check.
_NAMED = re.compile(r"\b(turnitin|plagiasi|plagiat|plagiarism|similarity|similaritas)\b", re.IGNORECASE)


class Move(enum.StrEnum):
    """What a librarian's code asks for."""

    RESULT = "result"
    TAKE = "take"
    APPROVE = "approve"


LIBRARIAN_KEYWORDS: dict[str, Move] = {
    "HASIL": Move.RESULT, "RESULT": Move.RESULT, "AMBIL": Move.TAKE, "TAKE": Move.TAKE,
    "SETUJU": Move.APPROVE, "APPROVE": Move.APPROVE,
}
_LIBRARIAN = re.compile(r"^\s*([A-Za-z]{3,10})\s*#\s*(\d{1,12})\s*(.*?)\s*$", re.DOTALL)
_PERCENT = re.compile(r"^[:=\-]?\s*(\d{1,3}(?:[.,]\d{1,2})?)\s*%?\s*$")
_NOT_LETTERS = re.compile(r"[^A-Z]")


@dataclass(frozen=True)
class LibrarianCode:
    """``HASIL#12 12%``: the move, the request's number and the percentage (None when not given)."""

    move: Move
    request_id: int
    percent: float | None
    rest: str


def patron_request(text: str, *, with_document: bool) -> tuple[bool, str | None]:
    """Whether a patron's words ask for a similarity check, and the language of the keyword."""
    stripped = text.strip()
    if not stripped or len(stripped) > 1000:
        return False, None
    head = stripped.split("#", 1)[0]
    words = head.split()
    # Text alone must be the keyword and nothing else; a caption may go on after it.
    lengths = (3, 2, 1) if with_document else ((len(words),) if len(words) <= 3 else ())
    for n in lengths:
        found = _keyword("".join(words[:n]), PATRON_KEYWORDS) if len(words) >= n else None
        if found is not None:
            return True, PATRON_KEYWORDS[found]
    if with_document and _NAMED.search(stripped):
        return True, None
    return False, None


def librarian_code(text: str) -> LibrarianCode | None:
    """A librarian's ``HASIL#``, ``AMBIL#`` or ``SETUJU#`` code, or None."""
    found = _LIBRARIAN.match(text or "")
    if found is None:
        return None
    word = _keyword(found[1], LIBRARIAN_KEYWORDS)
    if word is None:
        return None
    rest = found[3]
    percent_match = _PERCENT.match(rest)
    percent = float(percent_match[1].replace(",", ".")) if percent_match else None
    return LibrarianCode(LIBRARIAN_KEYWORDS[word], int(found[2]), percent, rest)


def _keyword(head: str, keywords: Collection[str]) -> str | None:
    """The keyword a (possibly misspelt) head stands for: one letter off in a short word, two in a long one."""
    word = _NOT_LETTERS.sub("", head.upper())
    if not 4 <= len(word) <= 20:
        return None
    if word in keywords:
        return word
    allowed = 1 if len(word) <= 7 else 2
    distances = {key: OSA.distance(word, key) for key in keywords}
    best = min(distances.values())
    nearest = [key for key, d in distances.items() if d == best]
    return nearest[0] if best <= allowed and len(nearest) == 1 else None
