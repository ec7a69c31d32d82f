"""Publication-year wishes in a patron's words: "5 tahun terakhir", "setelah 2015", "since 2018".

Each rule is a pattern and what it means as (earliest, latest) given the current year. The
first rule that matches wins (the most specific come first), and its words are taken out of
the text so "2015" never becomes a content term.
"""

from __future__ import annotations

import re
from collections.abc import Callable

YearRange = tuple[int | None, int | None]
Rule = tuple[re.Pattern[str], Callable[[re.Match[str], int], YearRange]]

_Y = r"((?:19|20)\d\d)"
_NUMBERS = {
    "satu": 1, "dua": 2, "tiga": 3, "empat": 4, "lima": 5, "enam": 6, "tujuh": 7, "delapan": 8,
    "sembilan": 9, "sepuluh": 10, "sebelas": 11, "lima belas": 15, "dua puluh": 20,
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
}  # fmt: skip
_N = r"(\d{1,2}|" + "|".join(sorted(_NUMBERS, key=len, reverse=True)) + r")"
_SPAN = r"(tahun|thn|th|years?|yrs?|dekade|dasawarsa|decades?)"
_LAST_ID = r"(?:terakhir|belakangan|ke ?belakang|terbaru|terkini)"
_LAST_EN = r"(?:last|past|recent|previous)"


def _number(word: str, unit: str) -> int:
    n = int(word) if word.isdigit() else _NUMBERS[word]
    return n * 10 if unit.startswith(("dekade", "dasawarsa", "decade")) else n


def _back(count: int, now: int) -> YearRange:
    return (now - count + 1, None)


_RULES: tuple[Rule, ...] = (
    (re.compile(rf"\b(?:(?:dari tahun|dari|from|sejak|since|terbitan|tahun)\s+)?(?:tahun\s+)?{_Y}\s+"
                rf"(?:sampai|hingga|s/d|sd|to|until|till)\s+(?:sekarang|kini|saat ini|now|today|(?:the\s+)?present)\b"),
     lambda m, now: (int(m[1]), None)),
    (re.compile(rf"\b(?:antara|between|dari tahun|dari|from)\s+(?:tahun\s+)?{_Y}\s+"
                rf"(?:dan|sampai|hingga|s/d|sd|and|to|until|till)\s+(?:tahun\s+)?{_Y}\b"),
     lambda m, now: (int(m[1]), int(m[2]))),
    (re.compile(rf"\b{_Y}\s*(?:-|–|—|s/d|sd|sampai|hingga|to|until)\s*{_Y}\b"),
     lambda m, now: (int(m[1]), int(m[2]))),
    (re.compile(rf"\b{_N}\s+{_SPAN}\s+{_LAST_ID}\b"),
     lambda m, now: _back(_number(m[1], m[2]), now)),
    (re.compile(rf"\b(?:{_LAST_ID}|{_LAST_EN})\s+{_N}\s+{_SPAN}\b"),
     lambda m, now: _back(_number(m[1], m[2]), now)),
    (re.compile(rf"\b(?:the\s+)?{_LAST_EN}\s+{_SPAN}\b|\b(dekade|dasawarsa)\s+{_LAST_ID}\b"),
     lambda m, now: _back(_number("1", m[1] or m[2]), now)),
    (re.compile(r"\b(?:(?:19|20)?(\d0))(?:-an|an|'s|s)\b"),
     lambda m, now: _decade(m[1], now)),
    (re.compile(rf"\b(?:setelah|sesudah|after|di atas|diatas|lebih baru dari|newer than|later than)\s+"
                rf"(?:tahun\s+)?{_Y}\b"),
     lambda m, now: (int(m[1]) + 1, None)),
    (re.compile(rf"\b(?:tahun\s+)?{_Y}\s+(?:ke\s?atas|keatas|dan sesudahnya|dan setelahnya|onwards?|"
                rf"and later|or later|and after|and newer|or newer)"),
     lambda m, now: (int(m[1]), None)),
    (re.compile(rf"\b(?:sejak|mulai|mulai dari|minimal|min\.?|paling lama|tidak lebih lama dari|since|"
                rf"not older than|no older than|from)\s+(?:tahun\s+)?{_Y}\b"),
     lambda m, now: (int(m[1]), None)),
    (re.compile(rf"\b(?:sebelum|before|prior to|earlier than|older than)\s+(?:tahun\s+)?{_Y}\b"),
     lambda m, now: (None, int(m[1]) - 1)),
    (re.compile(rf"\b(?:sampai|hingga|up to|until|maksimal|paling baru)\s+(?:tahun\s+)?{_Y}\b|"
                rf"\b(?:tahun\s+)?{_Y}\s+(?:ke\s?bawah|kebawah|or earlier|and earlier|or before)"),
     lambda m, now: (None, int(m[1] or m[2]))),
    (re.compile(rf"\b(?:terbitan|tahun|terbit|thn|published in|published|in|pada|edisi|edition)\s+"
                rf"(?:tahun\s+)?{_Y}\b"),
     lambda m, now: (int(m[1]), int(m[1]))),
    (re.compile(r"\b(?:tahun ini|this year)\b"), lambda m, now: (now, now)),
    (re.compile(r"\b(?:tahun lalu|last year)\b"), lambda m, now: (now - 1, now - 1)),
    (re.compile(r"\b(?:paling baru|terbaru|terkini|termutakhir|mutakhir|recent|recently published|"
                r"latest|up-to-date|up to date|newest|most recent)\b"),
     lambda m, now: (now - 4, None)),
)


def _decade(digits: str, now: int) -> YearRange:
    two = int(digits)
    century = 2000 if two <= now % 100 else 1900
    return (century + two, century + two + 9)


def find_years(text: str, now: int) -> tuple[YearRange, str]:
    """The wished-for year range in lower-cased text, and the text without the words that said so."""
    for pattern, rule in _RULES:
        match = pattern.search(text)
        if match:
            return rule(match, now), text[: match.start()] + " . " + text[match.end() :]
    return (None, None), text
