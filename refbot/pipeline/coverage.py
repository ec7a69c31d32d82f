"""How much of a need an item matches: the share, by weight, of the need's main words it holds.

Two measures over the same words (title, subjects and abstract, folded and Porter-stemmed):

- :func:`similarity`, lenient, a score part: a near word counts by how near it is, so small
  misspellings ("informaton") still meet.
- :func:`coverage`, strict, what fusion, the mix floor and the draft's confidence judge by: a
  word counts only when it is the same word, an inflection or a one-letter slip of it, or
  when the item names the subject in the other language ("literasi informasi" is covered by
  *Information literacy*, through the catalog's bilingual vocabulary). "written" does not
  stand in for "writing" here, so a survey of weeding in academic libraries covers one word
  of "academic writing and how to cite", not two.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Mapping

from rapidfuzz import fuzz, process
from whoosh.analysis import Analyzer
from whoosh.lang.porter import stem as porter_stem

from refbot.catalog.analysis import analyze, catalog_analyzer
from refbot.catalog.vocabulary import translations
from refbot.models import Candidate, InformationNeed

SIMILARITY_TERMS = 8
"""How many of the need's heaviest terms similarity and coverage look for."""
_NEAR = 80.0  # rapidfuzz ratio from which two words count as the same word (similarity)
_SAME = 88.0  # ... and for coverage: inflections and one-letter slips, not a neighbouring word


def similarity(need: InformationNeed, c: Candidate) -> float:
    """The share (by weight) of the need's main terms the title, subjects or abstract hold, 0 to 1.

    Words are compared stemmed (Porter) and with rapidfuzz, so inflections ("libraries",
    "library") and small misspellings still meet; a near match counts by how near it is.
    """
    return _share(need, c, _NEAR, {})


def coverage(need: InformationNeed, c: Candidate) -> float:
    """How much of the need the item matches, 0 to 1: its main terms found as words or by their other-language name."""
    return _share(need, c, _SAME, _other_names(need.query_text))


def _share(need: InformationNeed, c: Candidate, cutoff: float, others: Mapping[str, tuple[frozenset[str], ...]]) -> float:
    terms = need.terms[:SIMILARITY_TERMS]
    total = sum(t.weight for t in terms)
    if total <= 0:
        return 0.0
    words = item_words(c)
    if not words:
        return 0.0
    found = 0.0
    for term in terms:
        word = fold(term.text)
        named = any(name <= words for name in others.get(word, ()))
        found += term.weight * (1.0 if named else _nearest(word, words, cutoff))
    return found / total


def item_words(c: Candidate) -> frozenset[str]:
    """The item's words that a need is matched against: title, subjects and abstract."""
    return _stems(" ".join([c.title, *c.subjects, c.abstract]))


def _nearest(word: str, words: frozenset[str], cutoff: float) -> float:
    """How nearly ``words`` hold ``word`` (as written or stemmed): 0, or the best ratio from ``cutoff`` up, as 0-1."""
    ratio = _best_ratio(word, words)
    return ratio / 100.0 if ratio >= cutoff else 0.0


@functools.lru_cache(maxsize=65536)
def _best_ratio(word: str, words: frozenset[str]) -> float:
    # Cached: fusion (coverage) and scoring (similarity) ask the same word of the same item.
    if word in words or _stem(word) in words:
        return 100.0
    best = max(
        (process.extractOne(form, words, scorer=fuzz.ratio, score_cutoff=_NEAR) for form in {word, _stem(word)}),
        key=lambda match: match[1] if match else 0.0,
    )
    return float(best[1]) if best is not None else 0.0


@functools.lru_cache(maxsize=1024)
def _other_names(text: str) -> Mapping[str, tuple[frozenset[str], ...]]:
    """Each need word → the other-language names of subjects it is part of, as sets of item words.

    "literasi informasi" → {"literasi": ({"information", "literaci", …},), "informasi": (…)}: an
    item naming *information literacy* covers both words.
    """
    analyzer = _analyzer()
    by_root: dict[str, list[str]] = {}
    for word in fold(text).split():
        for root in analyze(analyzer, word):
            by_root.setdefault(root, []).append(word)
    names: dict[str, list[frozenset[str]]] = {}
    for roots, other in translations(text, within=frozenset(by_root)):
        name = frozenset(_stem(w) for w in fold(other).split())
        for root in roots:
            for word in by_root.get(root, ()):
                names.setdefault(word, []).append(name)
    return {word: tuple(found) for word, found in names.items()}


@functools.cache
def _analyzer() -> Analyzer:
    return catalog_analyzer()


@functools.lru_cache(maxsize=4096)
def _stems(text: str) -> frozenset[str]:
    """The distinct words of a text, folded, as written and stemmed (for inflected forms)."""
    words = fold(text).split()
    return frozenset(words) | frozenset(_stem(word) for word in words)


@functools.lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    return str(porter_stem(word))


@functools.lru_cache(maxsize=8192)
def fold(text: str) -> str:
    """Lower case, accents and punctuation gone: the form words are compared in."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9 ]+", " ", text.lower()).strip()
