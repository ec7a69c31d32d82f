"""One text analyzer for Indonesian and English catalog text alike.

Catalog records and questions mix the two languages, often within one title ("Manajemen
perpustakaan digital: a practical guide"), so the analyzer decides per token rather than per
field:

1. Tokenize, keeping codes whole: "B.A.P" and "U.S." are one word as they stand, and a
   hyphenated code (:func:`is_code`: "Ina-TEWS", "COVID-19", "e-KTP", "PDP-10") is indexed
   as one word *and* its parts, so a record that writes it apart is still found, and searched
   for as one word. Other hyphenated words are their parts ("buku-buku", "first-year",
   "5-year").
2. Lowercase, drop Indonesian and English stop words.
3. Fold Latin accents ("bibliothèque" → "bibliotheque") so French or Spanish records match
   an unaccented query; tokens in other scripts stay as written.
4. Stem, with one decision per word: Indonesian words by Indonesian rules, English ones by
   Porter, never both (:meth:`BilingualStemFilter.language`).

   - A word is English when its spelling says so (letters and clusters Indonesian does not
     use, or an ending no Indonesian root has: "-ness", "-ity", "-ment", …). Such a word is
     never taken apart by Sastrawi ("seminars" is not "se-" + "minar-s").
   - Otherwise it is Indonesian when Sastrawi reduces it *in an Indonesian way* — an
     Indonesian prefix (me-, pe-, di-, ber-, ter-, ke-, se-, per-) or suffix (-an, -kan,
     -i, -nya, -lah, …) around a root in Sastrawi's dictionary: "pengelolaan" and
     "mengelola" both become "kelola" — or when it is a root in that dictionary. An
     Indonesian word is never cut by Porter ("kelas" stays "kelas").
   - Anything else is English (or a name, or a word no dictionary knows) and is
     Porter-stemmed: "managing" and "management" both become "manag".

   Two rules keep the languages from meeting where they should not, or missing where they
   should: a Porter stem that would fall on an Indonesian word of another meaning
   (:data:`FALSE_FRIENDS`: "mobile" → "mobil", the car) keeps the English word instead; and
   the loanword family -logi / -log / -logis ends as "-log" in both languages, as Porter
   ends "-logy", so "endokrinologi" (a dictionary root) meets "endokrinolog" and
   "endokrinologis" (not in the dictionary, Porter-stemmed) whatever Sastrawi's dictionary
   holds.

A catalog indexed with an earlier version of these rules must be rebuilt.

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
from whoosh.analysis.acore import Token
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
# Endings no root in Sastrawi's dictionary has (tests/catalog/test_analysis.py checks it), but
# English words often do: a word ending so is English, whatever affixes it seems to carry.
_ENGLISH_ENDING = re.compile(r"(?:ings|ly|ity|ous|ment|ness|able|ism|ist|ics?|ize|ance|ence|ture|ship)$")
# -logi (the field), -log (the person), -logis (the adjective): one stem, as Porter makes of -logy.
_LOGY = re.compile(r"^(\w{3,}log)(?:i|is)$")
FALSE_FRIENDS = frozenset({"mobil", "dai", "rai", "mani"})
"""Indonesian words an English Porter stem would fall on with another meaning: "mobile" → "mobil"
(a car), "day" → "dai" (a preacher), "ray" → "rai" (a face), "many" → "mani". The English
word keeps its own form instead (plural dropped)."""
# What marks a part of a hyphenated code (see is_code).
_CAPITAL = re.compile(r"[A-Z]")
_DIGIT = re.compile(r"\d")
# Whoosh's default word pattern (asterisks included, for wildcards), with hyphens joining too.
_WORD = r"[\w*]+(?:[.\-][\w*]+)*"
_LONG_WORDS = re.compile(r"[^\W\d_]{5,}")
_ING_PREFIXES = ("me", "pe", "ber", "ter")
_STEM_CACHE_SIZE = 200_000


class CodeTokenizer(RegexTokenizer):
    """Words as :class:`RegexTokenizer` finds them, with codes kept whole (see the module docstring).

    Indexed, "Ina-TEWS" is "Ina-TEWS", "Ina" and "TEWS" (a record that writes it apart is
    found by a question that does too); searched for, it is "Ina-TEWS" alone. "buku-buku" is
    "buku" and "buku"; "U.S." is "U.S".
    """

    def __init__(self) -> None:
        super().__init__(expression=_WORD)

    def __call__(self, value: str, **kwargs: Any) -> Iterator[Token]:
        loud = shouting(value)
        # A question's code is searched whole only: its parts would weigh it twice.
        searching = kwargs.get("mode") == "query"
        for token in super().__call__(value, **kwargs):
            if "-" not in token.text:
                yield token
                continue
            whole = token.text
            code = is_code(whole, loud)
            if code:
                yield token
            if code and searching:
                continue
            for part in whole.split("-"):
                if part:
                    token.text = part
                    yield token


def shouting(text: str) -> bool:
    """Whether most of a text's words are in capitals (where capitals do not mark a code).

    Only words of five letters or more count: codes are mostly shorter ("COVID-19 dan e-KTP").
    """
    words = _LONG_WORDS.findall(text)
    return len(words) >= 3 and 2 * sum(w.isupper() for w in words) > len(words)


def is_code(word: str, loud: bool = False) -> bool:
    """Whether a hyphenated word is a code: "Ina-TEWS", "e-KTP", "COVID-19", "PDP-10".

    Each part is marked — two or more capitals, or a digit — or short (three letters at
    most), and one part at least is marked. So "buku-buku", "first-year", "5-year",
    "post-1970" and "ALGOL-like" are not codes.

    Args:
        word: the word as written (its capitals matter).
        loud: the text around it is written in capitals, where only digits mark a part.
    """
    parts = [p for p in word.split("-") if p]
    marked = [bool(_DIGIT.search(p)) or (not loud and len(_CAPITAL.findall(p)) >= 2) for p in parts]
    return len(parts) >= 2 and any(marked) and all(m or len(p) <= 3 for p, m in zip(parts, marked, strict=True))


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
        language, root = self._read(word)
        return indonesian_stem(root) if language == "id" else english_stem(word)

    def language(self, word: str) -> str:
        """"id" or "en": whose rules stem ``word`` (lower case, unaccented letters)."""
        return self._read(word)[0]

    def _read(self, word: str) -> tuple[str, str]:
        """The word's language and, for Indonesian, its root.

        English by spelling first; then Indonesian when Sastrawi finds affixes around a
        dictionary root, or the word is such a root; anything else is English.
        """
        if _NOT_INDONESIAN.search(word) or _ENGLISH_ENDING.search(word):
            return "en", word
        root = self._indonesian_root(word)
        if root is not None:
            return "id", root
        return ("id" if self._in_dictionary(word) else "en"), word

    def _in_dictionary(self, word: str) -> bool:
        return bool(self._sastrawi().get_dictionary().contains(word))

    def _indonesian_root(self, word: str) -> str | None:
        if not word.startswith(INDONESIAN_PREFIXES) and not word.endswith(INDONESIAN_SUFFIXES):
            return None
        if word.endswith("ing") and not word.startswith(_ING_PREFIXES):
            return None  # "dining", "sealing" are not di- + "ning", se- + "aling"; "bersaing" is ber- + "saing"
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


def english_stem(word: str) -> str:
    """Porter's stem, unless it would fall on an Indonesian word of another meaning."""
    stem = str(porter_stem(word))
    if stem in FALSE_FRIENDS and stem != word:
        return _singular(word)
    return stem


def _singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word


def indonesian_stem(root: str) -> str:
    """An Indonesian root as indexed: itself, but the -logi family as Porter ends "-logy"."""
    family = _LOGY.match(root)
    return family.group(1) if family else root


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
        CodeTokenizer()
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
