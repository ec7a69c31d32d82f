"""Keyword codes patrons send (``RENEW#B0001``, ``PINJAMAN``, ``USUL#…``), read forgivingly.

Patrons type codes on phones: in any case, with spaces around the ``#`` (``renew # 123``),
with a letter doubled or swapped (``RENEWW#123``, ``PINJMAAN``). :func:`parse_code` accepts
all of that and nothing that reads like a question: a message is a code only when

- it has a ``#`` and the word before it is (close to) a keyword, or
- it is nothing but a keyword that needs no argument (``denda``, ``Bebas Pustaka``), or
- it is a keyword that takes a barcode or a card number followed by one token with a digit
  (``renew B0001``, ``daftar 2100003``).

"Daftar pustaka tentang literasi informasi" is therefore a question, not ``DAFTAR``.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from rapidfuzz.distance import OSA


class Command(enum.StrEnum):
    """What a code asks for."""

    RENEW = "renew"
    LOANS = "loans"
    FINES = "fines"
    SUGGEST = "suggest"
    MENU = "menu"
    REGISTER = "register"
    CONFIRM = "confirm"
    CLEARANCE = "clearance"
    LANGUAGE = "language"
    ANSWER = "answer"


@dataclass(frozen=True)
class Code:
    """A recognised code: the command, its argument, and the language its keyword is in."""

    command: Command
    argument: str = ""
    language: str | None = None


# keyword → (command, the language the keyword is in, or None when both use it)
KEYWORDS: dict[str, tuple[Command, str | None]] = {
    "RENEW": (Command.RENEW, None),
    "PERPANJANG": (Command.RENEW, "id"),
    "PINJAMAN": (Command.LOANS, "id"),
    "LOANS": (Command.LOANS, "en"),
    "DENDA": (Command.FINES, "id"),
    "FINES": (Command.FINES, "en"),
    "USUL": (Command.SUGGEST, "id"),
    "USULAN": (Command.SUGGEST, "id"),
    "SUGGEST": (Command.SUGGEST, "en"),
    "MENU": (Command.MENU, None),
    "BANTUAN": (Command.MENU, "id"),
    "HELP": (Command.MENU, "en"),
    "DAFTAR": (Command.REGISTER, "id"),
    "REGISTER": (Command.REGISTER, "en"),
    "KODE": (Command.CONFIRM, "id"),
    "CODE": (Command.CONFIRM, "en"),
    "BEBASPUSTAKA": (Command.CLEARANCE, "id"),
    "CLEARANCE": (Command.CLEARANCE, "en"),
    "BAHASA": (Command.LANGUAGE, "id"),
    "LANGUAGE": (Command.LANGUAGE, "en"),
    "JAWAB": (Command.ANSWER, "id"),
    "ANSWER": (Command.ANSWER, "en"),
}
# Commands a bare keyword stands for on its own (no '#'); the others need an argument.
BARE = frozenset({Command.LOANS, Command.FINES, Command.MENU, Command.CLEARANCE, Command.SUGGEST})
# Commands whose argument is one token with a digit, which may follow a space instead of '#'.
TOKEN_ARGUMENT = frozenset({Command.RENEW, Command.REGISTER, Command.CONFIRM})

_SEPARATOR = re.compile(r"\s*#\s*")
_NOT_LETTERS = re.compile(r"[^A-Z]")


def parse_code(text: str) -> Code | None:
    """The code in a message, or None when the message is not one."""
    stripped = text.strip()
    if not stripped or len(stripped) > 2000:
        return None
    if "#" in stripped:
        head, argument = _SEPARATOR.split(stripped, maxsplit=1)
        return _code(head, argument.strip(), needs_argument=False)
    found = _code(stripped, "", needs_argument=False)
    if found is not None and found.command in BARE:
        return found
    parts = stripped.split()
    if len(parts) == 2 and any(ch.isdigit() for ch in parts[1]):
        found = _code(parts[0], parts[1], needs_argument=True)
        if found is not None and found.command in TOKEN_ARGUMENT:
            return found
    return None


def keyword(head: str) -> tuple[Command, str | None] | None:
    """The command a (possibly misspelt) keyword stands for."""
    word = _NOT_LETTERS.sub("", head.upper())
    if not 3 <= len(word) <= 16 or len(head) > 24:
        return None
    if word in KEYWORDS:
        return KEYWORDS[word]
    allowed = 1 if len(word) <= 6 else 2
    distances = {key: OSA.distance(word, key) for key in KEYWORDS}
    best = min(distances.values())
    nearest = {KEYWORDS[key] for key, d in distances.items() if d == best}
    # A typo must point at one command only (USULN is as near USUL as USULAN: both SUGGEST).
    if best <= allowed and len({command for command, _ in nearest}) == 1:
        command = next(iter(nearest))[0]
        languages = {language for _, language in nearest}
        return command, languages.pop() if len(languages) == 1 else None
    return None


def _code(head: str, argument: str, *, needs_argument: bool) -> Code | None:
    if head.strip() == "" or any(ch.isdigit() for ch in head):
        return None
    found = keyword(head)
    if found is None:
        return None
    command, language = found
    if needs_argument and not argument:
        return None
    return Code(command, argument, language)
