"""Reading a patron's message the way a reference librarian would.

Patrons write the way people talk: "kak, saya lagi nyusun skripsi tentang minat baca remaja,
ada referensi yang terbitan 5 tahun terakhir?". ``parse_need`` lifts out what constrains the
answer (years, material kinds, languages, open access), strips courtesy and request phrasing
in both languages, and keeps the content terms that carry the need.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from typing import TypeVar

import yaml

from refbot.models import InformationNeed, Kind, Term

V = TypeVar("V")

_WORD = re.compile(r"[\w'’-]+", re.UNICODE)
_YEAR = r"((?:19|20)\d\d)"


@dataclass(frozen=True)
class Lexicon:
    """The phrase lists parse.py works from (``lexicon.yaml``)."""

    noise: tuple[str, ...]
    generic: frozenset[str]
    kinds: dict[str, Kind]
    languages: dict[str, str]
    open_access: tuple[str, ...]
    markers: dict[str, frozenset[str]]


@functools.cache
def load_lexicon() -> Lexicon:
    """The bundled lexicon, read once."""
    data = yaml.safe_load((resources.files("refbot.pipeline") / "lexicon.yaml").read_text(encoding="utf-8"))
    noise = [*data["courtesy"]["id"], *data["courtesy"]["en"], *data["request"]["id"], *data["request"]["en"]]
    kinds = {phrase: Kind(kind) for kind, phrases in data["kinds"].items() for phrase in phrases}
    languages = {phrase: lang for lang, phrases in data["languages"].items() for phrase in phrases}
    return Lexicon(
        noise=tuple(sorted(set(noise), key=len, reverse=True)),
        generic=frozenset([*data["generic"]["id"], *data["generic"]["en"]]),
        kinds=kinds,
        languages=languages,
        open_access=tuple(data["open_access"]),
        markers={lang: frozenset(words) for lang, words in data["markers"].items()},
    )


# Year patterns, most specific first. Each returns (year_from, year_to) given the match and
# the current year.
_YEAR_RULES: tuple[tuple[re.Pattern[str], Callable[[re.Match[str], int], tuple[int | None, int | None]]], ...] = (
    (re.compile(rf"\b(?:antara|between)\s+{_YEAR}\s+(?:dan|sampai|hingga|and|to|-)\s+{_YEAR}"),
     lambda m, now: (int(m[1]), int(m[2]))),
    (re.compile(rf"\b{_YEAR}\s*(?:-|–|—|s/d|sd|sampai|hingga|to|until)\s*{_YEAR}\b"),
     lambda m, now: (int(m[1]), int(m[2]))),
    (re.compile(r"\b(\d{1,2}|lima|sepuluh|tiga|dua|five|ten|three|two)\s+(?:tahun|thn|years?)\s+"
                r"(?:terakhir|belakangan|ke belakang|terbaru|last|past|recent)\b"),
     lambda m, now: (now - _number(m[1]) + 1, None)),
    (re.compile(r"\b(?:last|past|recent)\s+(\d{1,2}|five|ten|three|two)\s+years?\b"),
     lambda m, now: (now - _number(m[1]) + 1, None)),
    (re.compile(rf"\b(?:setelah|sesudah|after|di atas|diatas)\s+(?:tahun\s+)?{_YEAR}"),
     lambda m, now: (int(m[1]) + 1, None)),
    (re.compile(rf"\b(?:sejak|mulai|dari tahun|since|from)\s+(?:tahun\s+)?{_YEAR}"),
     lambda m, now: (int(m[1]), None)),
    (re.compile(rf"\b(?:sebelum|before|prior to)\s+(?:tahun\s+)?{_YEAR}"),
     lambda m, now: (None, int(m[1]) - 1)),
    (re.compile(rf"\b(?:terbitan|tahun|terbit|published in|in|from)\s+(?:tahun\s+)?{_YEAR}\b"),
     lambda m, now: (int(m[1]), int(m[1]))),
    (re.compile(r"\b(?:terbaru|terkini|mutakhir|recent|latest|up-to-date|newest)\b"),
     lambda m, now: (now - 4, None)),
)

_NUMBERS = {"dua": 2, "tiga": 3, "lima": 5, "sepuluh": 10, "two": 2, "three": 3, "five": 5, "ten": 10}

# "untuk skripsi" says what the patron is writing, not that they want theses.
_PURPOSE = re.compile(
    r"\b(?:untuk|buat|nyusun|menyusun|menulis|mengerjakan|garap|for my|writing my|writing a)\s+"
    r"(?:skripsi|tesis|disertasi|tugas akhir|thesis|dissertation)\b"
)


def _number(word: str) -> int:
    return int(word) if word.isdigit() else _NUMBERS[word]


def parse_need(
    text: str,
    default_language: str = "id",
    *,
    current_year: int,
    detect: Callable[[str], str | None] | None = None,
) -> InformationNeed:
    """Turn a patron's message into an :class:`InformationNeed`.

    Args:
        text: the patron's words.
        default_language: "id" or "en", used when the language is unclear.
        current_year: the year "5 tahun terakhir" counts back from.
        detect: optional statistical detector returning "id", "en" or None.
    """
    lex = load_lexicon()
    lowered = " ".join(text.lower().replace("’", "'").split())
    year_from, year_to, lowered = _years(lowered, current_year)
    lowered = _PURPOSE.sub(" ", lowered)
    languages, lowered = _take(lowered, lex.languages)
    open_access = any(_contains(lowered, p) for p in lex.open_access)
    lowered = _remove(lowered, lex.open_access)
    kinds, lowered = _take(lowered, lex.kinds)
    quoted = tuple(q.strip() for q in re.findall(r"[\"“”]([^\"“”]{3,})[\"“”]", text))
    segments = _segments(_remove(lowered, lex.noise), lex.generic)
    words = [w for segment in segments for w in segment]
    phrases = dict.fromkeys([*(q.lower() for q in quoted), *_phrases(segments)])
    return InformationNeed(
        raw=text,
        language=_language(text, lex, default_language, detect),
        terms=_weigh(words),
        phrases=tuple(phrases)[:6],
        year_from=year_from,
        year_to=year_to,
        kinds=frozenset(kinds),
        languages=frozenset(languages),
        open_access=open_access,
    )


def _years(text: str, now: int) -> tuple[int | None, int | None, str]:
    year_from: int | None = None
    year_to: int | None = None
    for pattern, rule in _YEAR_RULES:
        match = pattern.search(text)
        if match:
            year_from, year_to = rule(match, now)
            text = text[: match.start()] + " " + text[match.end():]
            break
    return year_from, year_to, text


def _take(text: str, table: dict[str, V]) -> tuple[set[V], str]:
    found: set[V] = set()
    for phrase in sorted(table, key=len, reverse=True):
        if _contains(text, phrase):
            found.add(table[phrase])
            text = _remove(text, (phrase,))
    return found, text


def _contains(text: str, phrase: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(phrase)}(?![\w-])", text) is not None


def _remove(text: str, phrases: tuple[str, ...]) -> str:
    # A removed phrase leaves a break, so words on either side never make a false phrase.
    for phrase in phrases:
        text = re.sub(rf"(?<![\w-]){re.escape(phrase)}(?![\w-])", " | ", text)
    return text


def _segments(text: str, generic: frozenset[str]) -> list[list[str]]:
    """Runs of content words, split where noise was removed; generic words kept only inside a run."""
    segments: list[list[str]] = []
    for part in re.split(r"[|,.;:!?()\[\]/]", text):
        words = [w.strip("'-") for w in _WORD.findall(part)]
        words = [w for w in words if len(w) > 1 and not w.isdigit()]
        kept = [w for i, w in enumerate(words) if w not in generic or 0 < i < len(words) - 1]
        if kept:
            segments.append(kept)
    return segments


def _weigh(words: list[str]) -> tuple[Term, ...]:
    # Earlier words usually name the topic; later ones qualify it. Repeats add weight.
    weights: dict[str, float] = {}
    for i, word in enumerate(words):
        weights[word] = weights.get(word, 0.0) + 1.0 / (1.0 + 0.05 * i)
    ordered = sorted(weights.items(), key=lambda kv: -kv[1])
    return tuple(Term(w, round(v, 3)) for w, v in ordered)


def _phrases(segments: list[list[str]]) -> list[str]:
    # Content words a patron wrote side by side ("literasi informasi") are a phrase candidate.
    return [f"{a} {b}" for words in segments for a, b in itertools.pairwise(words)]


def _language(text: str, lex: Lexicon, default: str, detect: Callable[[str], str | None] | None) -> str:
    words = {w.lower() for w in _WORD.findall(text)}
    has_id = len(words & lex.markers["id"])
    has_en = len(words & lex.markers["en"])
    if has_id and has_en and min(has_id, has_en) >= 1 and max(has_id, has_en) <= 3 * min(has_id, has_en):
        return "mixed"
    if has_id > has_en:
        return "id"
    if has_en > has_id:
        return "en"
    guess = detect(text) if detect else None
    return guess or default


def reply_language(need: InformationNeed, default: str) -> str:
    """The language to answer a patron in: theirs, or the default when mixed or unknown."""
    return need.language if need.language in ("id", "en") else default
