"""One text analyzer for Indonesian and English catalog text alike.

Catalog records and questions mix the two languages, often within one title ("Manajemen
perpustakaan digital: a practical guide"), so the analyzer decides per token rather than per
field:

1. Tokenize, lowercase, drop Indonesian and English stop words.
2. Fold Latin accents ("bibliothèque" → "bibliotheque") so French or Spanish records match
   an unaccented query; tokens in other scripts stay as written.
3. Stem. A token the Sastrawi stemmer reduces *in an Indonesian way* — the word carries an
   Indonesian prefix (me-, pe-, di-, ber-, ter-, ke-, se-, per-) or suffix (-an, -kan, -i,
   -nya, -lah, …) and the root is in Sastrawi's dictionary — becomes that root:
   "pengelolaan" and "mengelola" both become "kelola". A bare Indonesian root stays as it
   is. Anything else is treated as English and Porter-stemmed: "managing" and "management"
   both become "manag".

The analyzer is pickled into the Whoosh schema, so the Sastrawi stemmer and the stem cache
are built lazily on first use and dropped when pickled.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Iterator
from typing import Any

from whoosh.analysis import (
    Analyzer,
    Filter,
    LowercaseFilter,
    RegexTokenizer,
    StopFilter,
)
from whoosh.lang.porter import stem as porter_stem

from refbot.catalog.stopwords import STOP_WORDS

INDONESIAN_PREFIXES = ("me", "pe", "di", "ber", "be", "ter", "te", "ke", "se", "per")
INDONESIAN_SUFFIXES = ("kan", "an", "i", "nya", "lah", "kah", "pun", "tah", "ku", "mu")

_ASCII_WORD = re.compile(r"[a-z]+")
_SUFFIX_CHAIN = re.compile(r"(?:i|kan|an)?(?:ku|mu|nya)?(?:lah|kah|tah|pun)?")
_NASALS = ("m", "n", "ng", "ny")
# Letters and clusters Indonesian spelling does not use: such words skip Sastrawi, which is
# slow on words it cannot stem (English and French titles are full of "de-", "se-", "-i").
_NOT_INDONESIAN = re.compile(r"[qx]|th|ph|ck|wh|ee|oo|ou|sch|tion|ght|y$|ed$")
_STEM_CACHE_SIZE = 200_000


class BilingualStemFilter(Filter):
    """A Whoosh filter that folds accents and stems each token as Indonesian or English.

    Args:
        stem: False to fold accents only (for names, where stemming does harm).
    """

    is_morph = True

    def __init__(self, stem: bool = True) -> None:
        self.stem = stem
        self._cached: Callable[[str], str] | None = None
        self._stemmer: Any = None

    def __getstate__(self) -> dict[str, Any]:
        # The Sastrawi stemmer and the lru_cache wrapper do not pickle; rebuild them lazily.
        return {"stem": self.stem}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.stem = state.get("stem", True)
        self._cached = None
        self._stemmer = None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, BilingualStemFilter) and other.stem == self.stem

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.stem))

    def __call__(self, tokens: Iterator[Any]) -> Iterator[Any]:
        normalize = self.normalizer()
        for token in tokens:
            if not token.stopped:
                token.text = normalize(token.text)
            yield token

    def normalizer(self) -> Callable[[str], str]:
        """The cached word → index-term function, built on first use."""
        if self._cached is None:
            self._cached = functools.lru_cache(maxsize=_STEM_CACHE_SIZE)(self._normalize)
        return self._cached

    def _normalize(self, word: str) -> str:
        word = fold_accents(word)
        if not self.stem or not _ASCII_WORD.fullmatch(word):
            return word
        root = self._indonesian_root(word)
        if root is not None:
            return root
        if self._sastrawi().get_dictionary().contains(word):
            return word
        return str(porter_stem(word))

    def _indonesian_root(self, word: str) -> str | None:
        if not word.startswith(INDONESIAN_PREFIXES) and not word.endswith(INDONESIAN_SUFFIXES):
            return None
        if _NOT_INDONESIAN.search(word):
            return None
        root = str(self._sastrawi().stem_word(word))
        # Sastrawi returns the word unchanged when it finds no dictionary root; a very short
        # "root" is usually an English word mis-split ("sees" → "es").
        if root == word or len(root) < 3 or not is_affixed(word, root):
            return None
        return root

    def _sastrawi(self) -> Any:
        if self._stemmer is None:
            from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

            cached = StemmerFactory().create_stemmer()
            # The factory wraps the stemmer in an unbounded cache; ours is bounded.
            self._stemmer = getattr(cached, "delegatedStemmer", cached)
        return self._stemmer


def is_affixed(word: str, root: str) -> bool:
    """Whether ``word`` is ``root`` with Indonesian affixes around it.

    The root must sit in the word followed only by suffixes; its first letter may have
    become the prefix's nasal (meN-/peN-: "tulis" → "menulis", "kelola" → "pengelolaan").
    This keeps Sastrawi from taking English words apart ("seminars" → "mars").
    """
    for start in range(len(word) - len(root) + 2):
        head = word[:start]
        if word.startswith(root, start):
            rest = word[start + len(root) :]
        elif root[0] in "kpst" and head.endswith(_NASALS) and word.startswith(root[1:], start):
            rest = word[start + len(root) - 1 :]
        else:
            continue
        if _SUFFIX_CHAIN.fullmatch(rest):
            return True
    return False


def fold_accents(word: str) -> str:
    """Strip diacritics from a Latin-script word; leave other scripts untouched."""
    if word.isascii():
        return word
    decomposed = unicodedata.normalize("NFKD", word)
    folded = "".join(c for c in decomposed if not unicodedata.combining(c))
    return folded if folded.isascii() else word


def catalog_analyzer() -> Analyzer:
    """The analyzer for titles, subjects, summaries and notes."""
    return (
        RegexTokenizer()
        | LowercaseFilter()
        | StopFilter(stoplist=STOP_WORDS, minsize=2)
        | BilingualStemFilter()
    )


class WordPairFilter(Filter):
    """Each word joined with the next one as one token: "literasi informasi digital" →
    "literasi+informasi", "informasi+digital".

    Indexed, these pairs find where a phrase's words stand side by side without keeping
    positions (see :mod:`refbot.catalog.schema`). Stop words are gone by now, so
    "literasi dan informasi" pairs "literasi" with "informasi", as a positional phrase
    search over renumbered positions would.
    """

    def __call__(self, tokens: Iterator[Any]) -> Iterator[Any]:
        previous: str | None = None
        for token in tokens:
            if token.stopped:
                continue
            word = token.text
            if previous is not None:
                token.text = f"{previous}+{word}"
                yield token
            previous = word


def pair_analyzer(words: Analyzer) -> Analyzer:
    """Neighbouring words as single tokens, analysed by ``words`` (sharing its stem cache)."""
    return words | WordPairFilter()


def name_analyzer() -> Analyzer:
    """The analyzer for personal and corporate names: no stop words, no stemming."""
    return RegexTokenizer() | LowercaseFilter() | BilingualStemFilter(stem=False)


def analyze(analyzer: Analyzer, text: str) -> list[str]:
    """The index terms an analyzer makes of a text, in order."""
    return [t.text for t in analyzer(text, mode="query")]
