"""What a patron's free text is: an information need, small talk, or a question for a desk service.

Patrons greet ("halo kak", "assalamualaikum"), thank ("makasih banyak 🙏", "tq"), acknowledge
("ok siap") and ask the desk's other services in their own words ("pinjaman saya apa saja ya
kak?", "bisa minta format RIS?", "kapan perpustakaan buka?"). None of those is a reference
question, and a draft of search results for them only costs a librarian's time.

:meth:`Lexicon.classify` reads a message by the lexicon in ``smalltalk.yaml`` (both languages,
WhatsApp spellings, the rules in order at the top of that file) and says what it is and why.
It is deliberately conservative: a message it cannot account for word by word is a need, and a
librarian sees it.
"""

from __future__ import annotations

import enum
import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from rapidfuzz.distance import OSA

BUNDLED = "smalltalk.yaml"
_CATEGORIES = ("thanks", "ack", "greeting", "address", "filler")  # a word in two lists counts as the first
_LONG_REPEAT = re.compile(r"([^\W\d_])\1{2,}")  # "makasiiih": a letter three times or more
_ANY_REPEAT = re.compile(r"([^\W\d_])\1+")
_APOSTROPHES = re.compile(r"['’`´]")
_NOT_WORDS = re.compile(r"[^\w#]+|_")


class Kind(enum.StrEnum):
    """What a message is, for the desk."""

    NEED = "need"  # a reference question: parsed, searched, drafted
    GREETING = "greeting"
    THANKS = "thanks"
    ACK = "ack"  # "ok siap", "👍": an acknowledgement
    SERVICE = "service"  # a service's question in words: answered as its code (``Verdict.code``) would be
    HINT = "hint"  # a service that needs a code: the patron is told the code
    HOURS = "hours"  # when the library is open


# How a topic of smalltalk.yaml is answered.
_ANSWERS = {"code": Kind.SERVICE, "hint": Kind.HINT, "hours": Kind.HOURS}


@dataclass(frozen=True)
class Verdict:
    """What :meth:`Lexicon.classify` made of a message, and why (for the logs and the tests)."""

    kind: Kind
    language: str | None = None
    """The language the words that decided are in; None when they are both languages' (``ok``, ``halo``)."""
    topic: str = ""
    """The service topic (``loans``, ``renew``, ``hours``…) of a service question."""
    code: str = ""
    """For ``SERVICE``: the code the service answers (``PINJAMAN``)."""
    why: str = ""


@dataclass(frozen=True)
class Topic:
    """A desk service patrons ask about in words."""

    name: str
    answer: Kind
    codes: Mapping[str, str]
    patterns: tuple[tuple[str, re.Pattern[str]], ...]  # (language, pattern)


@dataclass(frozen=True)
class Lexicon:
    """The words and patterns of ``smalltalk.yaml``, ready to classify with."""

    words: Mapping[str, tuple[str, str | None]]  # squeezed word → (category, language)
    phrases: tuple[tuple[tuple[str, ...], str, str | None], ...]  # longest first
    noise: tuple[re.Pattern[str], ...]
    needs: frozenset[str]
    topics: tuple[Topic, ...]
    max_service_words: int

    @classmethod
    def load(cls, path: Path | None = None) -> Lexicon:
        """The lexicon in ``path``, or the one bundled with refbot."""
        if path is None:
            text = resources.files("refbot.desk").joinpath(BUNDLED).read_text(encoding="utf-8")
        else:
            text = path.read_text(encoding="utf-8")
        return cls.from_data(yaml.safe_load(text))

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Lexicon:
        """Build from the parsed YAML (see ``smalltalk.yaml`` for the shape)."""
        words: dict[str, tuple[str, str | None]] = {}
        phrases: list[tuple[tuple[str, ...], str, str | None]] = []
        for category in _CATEGORIES:
            for language, entry in _entries(data["words"].get(category, {})):
                key = tuple(squeeze(w) for w in normalize(entry).split())
                if len(key) > 1:
                    phrases.append((key, category, language))
                elif key and key[0] not in words:
                    words[key[0]] = (category, language)
        phrases.sort(key=lambda p: -len(p[0]))
        noise = tuple(re.compile(p) for p in data["words"].get("patterns", ()))
        topics = tuple(_topic(name, spec) for name, spec in data["topics"].items())
        needs = frozenset(squeeze(w) for w in data["needs"])
        return cls(words, tuple(phrases), noise, needs, topics, int(data["max_service_words"]))

    def classify(self, text: str) -> Verdict:
        """What ``text`` is: a need unless every word says otherwise."""
        plain = normalize(text)
        tokens = plain.split()
        if not tokens:  # emoji or punctuation only: "🙏", "👍", "?"
            return Verdict(Kind.GREETING if "?" in text else Kind.ACK, why="no words")
        if need := next((w for w in tokens if squeeze(w) in self.needs), None):
            return Verdict(Kind.NEED, why=f"{need!r} asks for sources")
        if len(tokens) <= self.max_service_words:
            for topic in self.topics:
                found = _first_match(topic, plain)
                if found is not None:
                    language, pattern = found
                    return Verdict(topic.answer, language, topic.name, topic.codes.get(language or "id", ""),
                                   why=f"{topic.name}: /{pattern}/")
        return self._smalltalk(tokens)

    def _smalltalk(self, tokens: list[str]) -> Verdict:
        seen: list[tuple[str, str | None]] = []
        words = [squeeze(w) for w in tokens]
        i = 0
        while i < len(words):
            phrase = next((p for p in self.phrases if tuple(words[i:i + len(p[0])]) == p[0]), None)
            if phrase is not None:
                seen.append(phrase[1:])
                i += len(phrase[0])
                continue
            found = self._word(tokens[i], words[i])
            if found is None:
                return Verdict(Kind.NEED, why=f"{tokens[i]!r} is not small talk")
            seen.append(found)
            i += 1
        return _verdict(seen)

    def _word(self, token: str, word: str) -> tuple[str, str | None] | None:
        if word in self.words:
            return self.words[word]
        if any(p.fullmatch(token) for p in self.noise):
            return ("filler", None)
        if len(word) >= 7 and not word.isdigit():
            allowed = 1 if len(word) < 10 else 2
            near = [v for w, v in self.words.items() if len(w) >= 7 and OSA.distance(word, w) <= allowed
                    and v[0] != "filler"]
            if len({v[0] for v in near}) == 1:  # one meaning only: "terimakasi", not a guess between two
                return near[0]
        return None


@functools.cache
def bundled() -> Lexicon:
    """The lexicon bundled with refbot, read once per process (it never changes while refbot runs)."""
    return Lexicon.load()


def normalize(text: str) -> str:
    """Lower case, emoji and punctuation gone, a letter typed three times or more written once."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = _APOSTROPHES.sub("", text)  # "assalamu'alaikum" is one word
    text = _NOT_WORDS.sub(" ", text)
    return " ".join(_LONG_REPEAT.sub(r"\1", word) for word in text.split())


def spelled_plainly(text: str) -> str:
    """:func:`normalize`, with every repeated letter written once: "Yaa, hapus!!" reads "ya hapus"."""
    return " ".join(squeeze(word) for word in normalize(text).split())


def squeeze(word: str) -> str:
    """A word with every repeated letter written once: "helloo" and "hello" both read "helo"."""
    return _ANY_REPEAT.sub(r"\1", word)


def _verdict(seen: list[tuple[str, str | None]]) -> Verdict:
    categories = [category for category, _ in seen]
    languages = {language for _, language in seen if language}
    language = languages.pop() if len(languages) == 1 else None
    for category, kind in (("thanks", Kind.THANKS), ("ack", Kind.ACK), ("greeting", Kind.GREETING),
                           ("address", Kind.GREETING)):
        if category in categories:
            return Verdict(kind, language, why=f"only {', '.join(dict.fromkeys(categories))} words")
    return Verdict(Kind.NEED, why="fillers only")


def _entries(lists: Mapping[str, Iterable[str]]) -> Iterable[tuple[str | None, str]]:
    for language, entries in lists.items():
        for entry in entries or ():
            yield (None if language == "any" else language), str(entry)


def _topic(name: str, spec: Mapping[str, Any]) -> Topic:
    patterns = tuple((language, re.compile(p)) for language in ("id", "en") for p in spec.get(language, ()))
    return Topic(name, _ANSWERS[spec["answer"]], dict(spec.get("code", {})), patterns)


def _first_match(topic: Topic, plain: str) -> tuple[str, str] | None:
    for language, pattern in topic.patterns:
        if pattern.search(plain):
            return language, pattern.pattern
    return None
