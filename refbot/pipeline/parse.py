"""Reading a patron's message the way a reference librarian would.

Patrons write the way people talk: "kak, saya lagi nyusun skripsi tentang minat baca remaja,
ada referensi yang terbitan 5 tahun terakhir?". ``parse_need`` lifts out what constrains the
answer (years, material kinds, languages, open access), strips courtesy and request phrasing
in both languages, and keeps the content terms that carry the need, weighted.

The message is read as a sequence of tokens, each labelled from ``lexicon.yaml`` (longest
phrase first). Words that *may* state a wish — "buku", "jurnal", "open access", "bahasa
Inggris", "referensi", "studies" — are judged by their neighbours, as a librarian would:
"cari jurnal tentang …" asks for journals, but "distribution of scientific journals" is a
topic; "references on …" is request phrasing, but "layanan referensi" is a topic.

Codes stay whole as the catalog indexes them ("B.A.P", "Ina-TEWS", "COVID-19":
:mod:`refbot.catalog.analysis`). Broad words ("pengaruh", "analisis", "hukum") weigh less
than the specific ones around them, and a word the patron gives in both languages
("desain (design)") counts as one word, not two.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import resources

import yaml
from rapidfuzz.fuzz import ratio

from refbot.catalog.analysis import BilingualStemFilter, is_code, shouting
from refbot.models import InformationNeed, Kind, Term
from refbot.pipeline.years import find_years

CONTENT, NOISE, MARKER, AMBIGUOUS, HEAD, LEAD, KIND, LANG, OPEN, BREAK = (
    "content", "noise", "marker", "ambiguous", "head", "lead", "kind", "language", "open", "break",
)  # fmt: skip

# Dotted acronyms ("B.A.P", "U.S.") first, one token without the closing dot; then words,
# hyphenated ones whole; then each punctuation mark.
_TOKEN = re.compile(r"(?:[^\W\d_]\.)+[^\W\d_](?!\w)|[\w]+(?:['’\-][\w]+)*|[^\w\s'’-]")
_HYPHENATED = re.compile(r"\w+(?:-\w+)+")
_QUOTED = re.compile(r"[\"“”]([^\"“”]{3,})[\"“”]")
_MAX_PHRASES = 6
# Later words weigh a little less than earlier ones (the topic usually comes first), but no
# word falls below half the weight of the first, so a long description keeps its substance.
_POSITION_DECAY = 0.02
_POSITION_FLOOR = 0.5
# A broad word ("pengaruh", "analisis", "hukum": lexicon.yaml, broad) names a kind of study or
# a wide field, not the subject, and weighs this share of what its place and repetition give it.
_BROAD_WEIGHT = 0.5
# Two words the patron wrote in both languages ("desain", "design"): as alike as this (rapidfuzz
# ratio, 0-100), at least this long, and analysed to different index terms.
_COGNATE_RATIO = 83.0
_COGNATE_LENGTH = 5

# "untuk skripsi" says what the patron is writing, not that they want theses.
_PURPOSE = re.compile(
    r"\b(?:untuk|buat|bwt|utk|nyusun|menyusun|menulis|mengerjakan|garap|menggarap|for my|writing my|writing a|"
    r"for a|for an|i am writing|i'm writing|working on my|working on a)\s+"
    r"(?:skripsi|tesis|disertasi|tugas akhir|thesis|dissertation|final project|term paper|essay|paper|makalah)\b"
)


@dataclass(frozen=True)
class Entry:
    """What one lexicon phrase is: its label, the value it stands for, and whether it is explicit."""

    label: str
    value: str = ""
    explicit: bool = False


@dataclass(frozen=True)
class Lexicon:
    """The phrase table parse.py works from (``lexicon.yaml``)."""

    table: dict[str, Entry]
    longest: int
    prepositions: frozenset[str]
    markers: dict[str, frozenset[str]]
    broad: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Span:
    """A run of tokens with one label."""

    label: str
    words: tuple[str, ...]
    value: str = ""
    explicit: bool = False


@functools.cache
def load_lexicon() -> Lexicon:
    """The bundled lexicon, read once."""
    data = yaml.safe_load((resources.files("refbot.pipeline") / "lexicon.yaml").read_text(encoding="utf-8"))
    table: dict[str, Entry] = {}
    # Later groups win a phrase listed twice: a kind word beats plain request phrasing.
    _put(table, _both(data["courtesy"]) + _both(data["request"]), Entry(NOISE))
    _put(table, _both(data["topic_markers"]), Entry(MARKER))
    _put(table, _both(data["ambiguous"]), Entry(AMBIGUOUS))
    _put(table, _both(data["generic"]["lead"]), Entry(LEAD))
    _put(table, _both(data["generic"]["head"]), Entry(HEAD))
    for kind, phrases in data["kinds"].items():
        _put(table, phrases, Entry(KIND, Kind(kind).value))
    for code, groups in data["languages"].items():
        _put(table, groups["bare"], Entry(LANG, code))
        _put(table, groups["explicit"], Entry(LANG, code, explicit=True))
    _put(table, data["open_access"]["bare"], Entry(OPEN))
    _put(table, data["open_access"]["explicit"], Entry(OPEN, explicit=True))
    return Lexicon(
        table=table,
        longest=max(len(phrase.split()) for phrase in table),
        prepositions=frozenset(_both(data["topic_prepositions"])),
        markers={lang: frozenset(words) for lang, words in data["markers"].items()},
        broad=frozenset(_both(data["broad"])),
    )


def _both(group: dict[str, list[str]]) -> list[str]:
    return [*group.get("id", []), *group.get("en", [])]


def _put(table: dict[str, Entry], phrases: Iterable[str], entry: Entry) -> None:
    for phrase in phrases:
        table[" ".join(tokens(phrase))] = entry


def tokens(text: str) -> list[str]:
    """Lower-cased words and punctuation marks, in order."""
    return _TOKEN.findall(text.lower().replace("’", "'"))


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
    years, lowered = find_years(lowered, current_year)
    lowered = _PURPOSE.sub(" . ", lowered)
    spans = understand(tokens(lowered), lex)
    segments = _segments(spans, _codes(text))
    quoted = [" ".join(tokens(q)) for q in _QUOTED.findall(text)]
    phrases = dict.fromkeys([*(q for q in quoted if " " in q), *_phrases(segments)])
    return InformationNeed(
        raw=text,
        language=_language(text, lex, default_language, detect),
        terms=weigh([w for segment in segments for w in segment], lex.broad),
        phrases=tuple(phrases)[:_MAX_PHRASES],
        year_from=years[0],
        year_to=years[1],
        kinds=frozenset(Kind(s.value) for s in spans if s.label == KIND),
        languages=frozenset(s.value for s in spans if s.label == LANG),
        open_access=any(s.label == OPEN for s in spans),
    )


def label(words: list[str], lex: Lexicon) -> list[Span]:
    """The tokens grouped into labelled spans, longest lexicon phrase first."""
    spans: list[Span] = []
    i = 0
    while i < len(words):
        if not words[i][0].isalnum() and words[i][0] != "_":
            spans.append(Span(BREAK, (words[i],)))
            i += 1
            continue
        for n in range(min(lex.longest, len(words) - i), 0, -1):
            entry = lex.table.get(" ".join(words[i : i + n]))
            if entry is not None:
                spans.append(Span(entry.label, tuple(words[i : i + n]), entry.value, entry.explicit))
                i += n
                break
        else:
            spans.append(Span(CONTENT, (words[i],)))
            i += 1
    return spans


def understand(words: list[str], lex: Lexicon) -> list[Span]:
    """Labelled spans with every neighbour-dependent label settled."""
    spans = label(words, lex)
    for i in range(len(spans)):
        spans[i] = _judge(spans, i, lex)  # left to right: each sees its settled predecessor
    return spans


def _judge(spans: list[Span], i: int, lex: Lexicon) -> Span:
    """A span whose meaning depends on its neighbours, settled: a wish, noise, or content."""
    span = spans[i]
    if span.label not in (AMBIGUOUS, KIND, LANG, OPEN, HEAD, LEAD):
        return span
    before = spans[i - 1] if i > 0 else None
    after = spans[i + 1] if i + 1 < len(spans) else None
    after_content = before is not None and before.label == CONTENT
    after_preposition = before is not None and " ".join(before.words) in lex.prepositions
    before_content = after is not None and after.label in (CONTENT, AMBIGUOUS, HEAD, LEAD)
    before_marker = after is not None and after.label == MARKER
    topic = Span(CONTENT, span.words)
    if span.label == AMBIGUOUS:
        return topic if after_content else Span(NOISE, span.words)
    if span.label == KIND:
        return topic if after_content or after_preposition else span
    if span.label in (LANG, OPEN):
        if span.explicit:
            return span
        return topic if after_content or after_preposition or before_content else span
    if span.label == HEAD:
        return topic if after_content else Span(NOISE, span.words)
    return Span(NOISE, span.words) if before_marker and not after_content else topic


def _codes(text: str) -> dict[str, str]:
    """The hyphenated codes in a message, lower-cased → as written ("ina-tews" → "Ina-TEWS").

    The catalog's analyzer knows a code by its capitals, so the need keeps them.
    """
    loud = shouting(text)
    return {code.lower(): code for code in _HYPHENATED.findall(text) if is_code(code, loud)}


def _segments(spans: list[Span], codes: dict[str, str] | None = None) -> list[list[str]]:
    """Runs of content words; anything else (noise, wishes, punctuation) ends a run."""
    segments: list[list[str]] = [[]]
    for span in spans:
        if span.label != CONTENT:
            if segments[-1]:
                segments.append([])
            continue
        for word in span.words:
            word = re.sub(r"'s$", "", word).strip("'-")
            if len(word) > 1 and not word.isdigit():
                segments[-1].append((codes or {}).get(word, word))
    return [s for s in segments if s]


def weigh(words: list[str], broad: frozenset[str] = frozenset()) -> tuple[Term, ...]:
    """Each distinct word once, weighted by how often and how early the patron wrote it.

    A broad word weighs :data:`_BROAD_WEIGHT` of that; a word given in both languages shares
    one word's weight between its two spellings.
    """
    weights: dict[str, float] = {}
    for i, word in enumerate(words):
        weights[word] = weights.get(word, 0.0) + max(_POSITION_FLOOR, 1.0 / (1.0 + _POSITION_DECAY * i))
    for word in weights:
        if word in broad:
            weights[word] *= _BROAD_WEIGHT
    for a, b in _cognates(list(weights)):
        weights[a] = weights[b] = max(weights[a], weights[b]) / 2
    ordered = sorted(weights.items(), key=lambda kv: -kv[1])
    return tuple(Term(w, round(v, 3)) for w, v in ordered)


def _cognates(words: list[str]) -> list[tuple[str, str]]:
    """Pairs of words that are one word in two languages: "desain" and "design", "sistem" and "system".

    They are spelled alike but read by different languages' rules into different index
    terms. One word's own forms ("material", "materials") are repetition instead.
    """
    reader = _reader()
    long = [w for w in words if len(w) >= _COGNATE_LENGTH and w.isalpha()]
    pairs: list[tuple[str, str]] = []
    for a, b in itertools.combinations(long, 2):
        if a[0] != b[0] or a.startswith(b) or b.startswith(a) or ratio(a, b) < _COGNATE_RATIO:
            continue  # "filaria", "filarial": one word's forms, not two languages'
        if reader.language(a) == reader.language(b):
            continue
        if reader.normalizer()(a) != reader.normalizer()(b):
            pairs.append((a, b))
    return pairs


@functools.cache
def _reader() -> BilingualStemFilter:
    """The catalog's stemmer, for telling a word's language the way the catalog reads it."""
    return BilingualStemFilter()


def _phrases(segments: list[list[str]]) -> list[str]:
    # Content words a patron wrote side by side ("literasi informasi") are a phrase candidate.
    return [f"{a} {b}" for words in segments for a, b in itertools.pairwise(words)]


def _language(text: str, lex: Lexicon, default: str, detect: Callable[[str], str | None] | None) -> str:
    words = set(tokens(text))
    has_id = len(words & lex.markers["id"])
    has_en = len(words & lex.markers["en"])
    if has_id and has_en and max(has_id, has_en) <= 3 * min(has_id, has_en):
        return "mixed"
    if has_id > has_en:
        return "id"
    if has_en > has_id:
        return "en"
    # Identifiers say nothing of a language ("ISSN 1907-4239" is neither): ask the detector about the words only.
    words_only = _IDENTIFIERS.sub(" ", text)
    guess = detect(words_only) if detect and re.search(r"[^\W\d_]{2,}", words_only) else None
    return guess or default


_IDENTIFIERS = re.compile(r"\b[ep]?-?(?:ISSN|ISBN|DOI)\b:?|\b10\.\d{4,}/\S+|\b[\dXx][\dXx./-]*\b", re.I)


def reply_language(need: InformationNeed, default: str) -> str:
    """The language to answer a patron in: theirs, or the default when mixed or unknown."""
    return need.language if need.language in ("id", "en") else default

