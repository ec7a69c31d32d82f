"""Reading ``RIWAYAT``, ``RIWAYAT 3``, ``history#3``, ``riwayt 3`` — as forgivingly as the other codes.

A message asks for the history only when it is nothing but the keyword, optionally followed by
a number (after a space or ``#``). "Riwayat pendidikan di Indonesia" stays a question. A typo is
forgiven only when the word is nearer to ``RIWAYAT`` / ``HISTORY`` than to any other code's
keyword, so the two never take each other's messages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz.distance import OSA

from refbot.services.codes import KEYWORDS as OTHER_CODES

KEYWORDS = {"RIWAYAT": "id", "HISTORI": "id", "HISTORY": "en"}
"""The keyword, and the language it is in."""
_SHAPE = re.compile(r"^\s*([^\W\d_]{3,16})\s*(?:#\s*|\s+)?(\d{1,12})?\s*[.!?]*\s*$")


@dataclass(frozen=True)
class HistoryAsk:
    """A request for the history: all of it, or one numbered list (``number``)."""

    number: int | None
    language: str


def parse_history(text: str) -> HistoryAsk | None:
    """The history request in a message, or None when the message is something else."""
    found = _SHAPE.match(text) if len(text) <= 64 else None
    if found is None:
        return None
    language = _keyword(found[1].upper())
    if language is None:
        return None
    return HistoryAsk(int(found[2]) if found[2] else None, language)


def _keyword(word: str) -> str | None:
    if word in KEYWORDS:
        return KEYWORDS[word]
    if word in OTHER_CODES:
        return None
    allowed = 1 if len(word) <= 6 else 2
    mine = {key: OSA.distance(word, key) for key in KEYWORDS}
    best = min(mine.values())
    others = min(OSA.distance(word, key) for key in OTHER_CODES)
    if best > allowed or others <= best:
        return None
    return KEYWORDS[min(mine, key=lambda key: mine[key])]
