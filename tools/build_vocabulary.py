"""Rebuild ``refbot/catalog/data/subjects-id-en.txt`` from Wordnet Bahasa and Princeton WordNet.

Not run by refbot: run it by hand when a source or refbot's analyzer changes, then commit the
data file (``tests/catalog/test_vocabulary_data.py`` fails when the file no longer matches the
analyzer). The sources:

- **Wordnet Bahasa** (Indonesian lemmas per WordNet 3.0 synset, MIT licence), as released in
  the Open Multilingual Wordnet's ``omw-data`` v2.0: ``wns/msa/wn-data-ind.tab``
  (``git clone --depth 1 --branch v2.0 https://github.com/omwn/omw-data``).
- **Princeton WordNet 3.0** (the English lemmas of the same synsets, WordNet 3.0 licence), as
  Debian's ``wordnet-base`` package installs it: ``/usr/share/wordnet/data.noun``.

Only noun synsets are read (subjects are named by nouns), and a pair is kept only when it is
specific enough to widen a search without drowning it (:func:`keep`): library subjects are
phrases ("tekanan darah tinggi" ↔ "hypertension"), and a single word is kept only when neither
side has many meanings — "sistem" (nine synsets, among them "cara", *way*) is left out.

    .venv/bin/python tools/build_vocabulary.py --wordnet-bahasa omw-data/wns/msa/wn-data-ind.tab \\
        [--wordnet /usr/share/wordnet] [--out refbot/catalog/data/subjects-id-en.txt]
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import re
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import fuzz

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from refbot.catalog.analysis import analyze, catalog_analyzer  # noqa: E402

OUT = ROOT / "refbot" / "catalog" / "data" / "subjects-id-en.txt"
WORDNET_BAHASA_RELEASE = "omw-data v2.0 (github.com/omwn/omw-data, tag v2.0), wns/msa/wn-data-ind.tab"
WORDNET_RELEASE = "Princeton WordNet 3.0 (Debian wordnet-base 1:3.0), data.noun"

MAX_SENSES_PHRASE = 2
"""A phrase (two or more words) naming at most this many noun synsets is specific."""
MAX_SENSES_WORD = 1
"""A single word is specific only with one meaning on its own side..."""
MAX_SENSES_COGNATE = 5
"""...or, translated by its own cognate ("kanker" ↔ "cancer"), with a few."""
COGNATE_RATIO = 75
MAX_SENSES_PARTNER = 3
"""...and its partner in the other language at most this many (a single-word partner at most
:data:`MAX_SENSES_PHRASE`)."""
MAX_COMMON = 5
"""A single-word pair whose English word was tagged more often than this in SemCor (WordNet's
``cntlist.rev``: "role" 58 times, "hypertension" never) is everyday language, not a subject."""
MAX_COMMON_COGNATE = 20
"""...unless it is the Indonesian word's cognate: "kanker" ↔ "cancer" (15) is a subject."""
GENERIC = frozenset(
    [
        "pengaruh",
        "peran",
        "analisis",
        "hubungan",
        "studi",
        "kajian",
        "penelitian",
        "data",
        "metode",
        "sistem",
        "model",
        "faktor",
        "dampak",
        "evaluasi",
        "kinerja",
        "strategi",
        "manajemen",
        "implementasi",
        "penerapan",
        "efektivitas",
        "perancangan",
        "rancangan",
        "aplikasi",
        "pengembangan",
        "tinjauan",
        "upaya",
        "proses",
        "pelaksanaan",
        "penggunaan",
        "pemanfaatan",
        "kebijakan",
        "kualitas",
        "mutu",
        "tingkat",
        "masalah",
        "study",
        "effect",
        "analysis",
        "research",
        "impact",
        "design",
        "application",
        "development",
        "role",
        "factor",
        "review",
        "process",
        "use",
        "implementation",
        "evaluation",
        "management",
        "strategy",
        "method",
        "system",
        "model",
        "quality",
        "level",
        "problem",
        "policy",
    ]
)
"""Words of thesis and article titles in both languages that say how, not what: never translated
on their own, whatever the wordnets say (Wordnet Bahasa gives "peran", *role*, only as *garret*)."""
MIN_DEPTH = 5
"""Synsets nearer than this to WordNet's root ("entity", "act", "group") are too general."""
MAX_WORDS = 4
"""Names of more analysed words are left out: refbot looks for names of at most four."""
MAX_TARGETS = 3
"""At most this many other names per name (the least ambiguous first)."""
_SKIP = re.compile(r"[^a-z\- ]|^-|-$|\s-|-\s")


@dataclass(frozen=True)
class Synset:
    """A WordNet noun synset: its English lemmas and its hypernyms."""

    english: tuple[str, ...]
    hypernyms: tuple[str, ...]


def read_wordnet(folder: Path) -> dict[str, Synset]:
    """Princeton WordNet 3.0 noun synsets by OMW id ("06170892-n")."""
    synsets: dict[str, Synset] = {}
    with (folder / "data.noun").open(encoding="latin-1") as lines:
        for line in lines:
            if line.startswith("  "):
                continue  # the licence header
            fields = line.split(" ")
            count = int(fields[3], 16)
            lemmas = tuple(re.sub(r"\(.*\)$", "", fields[4 + 2 * i]).replace("_", " ") for i in range(count))
            at = 4 + 2 * count
            pointers = int(fields[at])
            hypernyms = tuple(
                f"{fields[at + 2 + 4 * p]}-n" for p in range(pointers) if fields[at + 1 + 4 * p] in ("@", "@i")
            )
            synsets[f"{fields[0]}-n"] = Synset(lemmas, hypernyms)
    return synsets


def read_wordnet_bahasa(path: Path) -> dict[str, list[str]]:
    """Indonesian lemmas of each noun synset (the release's hand-checked and high-quality ones)."""
    lemmas: dict[str, list[str]] = defaultdict(list)
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            fields = line.rstrip("\n").split("\t")
            if len(fields) >= 3 and fields[1] == "ind:lemma" and fields[0].endswith("-n"):
                lemmas[fields[0]].append(fields[2].strip())
    return lemmas


def depth(synsets: dict[str, Synset], synset: str) -> int:
    """The shortest hypernym path from the synset up to a root."""
    seen, level, frontier = {synset}, 0, [synset]
    while frontier:
        if any(not synsets[s].hypernyms for s in frontier if s in synsets):
            return level
        frontier = [h for s in frontier for h in synsets[s].hypernyms if h not in seen]
        seen.update(frontier)
        level += 1
    return level


def senses(names: Iterable[Iterable[str]], key: Callable[[str], str]) -> dict[str, int]:
    """How many synsets each analysed name names.

    Counted on analysed words, as refbot matches them: "pengenalan" (*recognition*) and
    "terkenal" (*famous*) are both "kenal", which is therefore not specific.
    """
    count: dict[str, int] = defaultdict(int)
    for lemmas in names:
        for analysed in {key(x.casefold()) for x in lemmas}:
            count[analysed] += 1
    return count


def all_lemmas(wordnet_folder: Path, bahasa_path: Path) -> tuple[set[str], set[str]]:
    """Every Indonesian and every English lemma, of any part of speech (casefolded)."""
    indonesian: set[str] = set()
    with bahasa_path.open(encoding="utf-8") as lines:
        for line in lines:
            fields = line.rstrip("\n").split("\t")
            if len(fields) >= 3 and fields[1] == "ind:lemma":
                indonesian.add(fields[2].strip().casefold())
    english: set[str] = set()
    for pos in ("noun", "verb", "adj", "adv"):
        with (wordnet_folder / f"index.{pos}").open(encoding="latin-1") as lines:
            english.update(line.split(" ")[0].replace("_", " ") for line in lines if not line.startswith(" "))
    return indonesian, english


def read_frequencies(folder: Path) -> dict[str, int]:
    """How often each English lemma was tagged in SemCor, over all its senses (``cntlist.rev``)."""
    counts: dict[str, int] = defaultdict(int)
    with (folder / "cntlist.rev").open(encoding="latin-1") as lines:
        for line in lines:
            key, _, count = line.split()
            counts[key.split("%")[0].replace("_", " ").casefold()] += int(count)
    return counts


def common_limit(indonesian: str, english: str) -> int:
    """How often a single English word may be tagged in SemCor and still be translated."""
    return MAX_COMMON_COGNATE if cognate(indonesian, english) else MAX_COMMON


def keep(name: str, other: str, own_senses: int, other_senses: int) -> bool:
    """Whether ``name`` may be translated as ``other`` (both casefolded, from one synset).

    A phrase is specific when it has few meanings; a single word only when it has few and
    its partner few. Abbreviations, names with digits or punctuation, and the :data:`GENERIC`
    words stay out.
    """
    if _SKIP.search(name) or _SKIP.search(other) or len(name) < 4 or len(other) < 3:
        return False
    if name in GENERIC or other in GENERIC:
        return False
    if contains(name, other) or contains(other, name):
        return False  # "danau baikal" ↔ "baikal": the shared word finds both already
    if " " not in name + other and cognate(name, other):
        return own_senses <= MAX_SENSES_COGNATE and other_senses <= MAX_SENSES_COGNATE
    if " " not in name and own_senses > 1:
        return False  # a word of many meanings is translated only by its cognate: Wordnet Bahasa's
        # automatic links put "hipertensi" in three synsets, two of them wrong
    limit = MAX_SENSES_PHRASE if " " in name else MAX_SENSES_WORD
    partner = MAX_SENSES_PARTNER if " " in other else MAX_SENSES_PHRASE
    return own_senses <= limit and other_senses <= partner


_SPELLING = (("tion", "si"), ("ity", "itas"), ("ph", "f"), ("th", "t"), ("ae", "e"), ("c", "k"), ("y", "i"),
             ("x", "ks"), ("q", "k"), ("v", "f"))  # fmt: skip


def cognate(name: str, other: str) -> bool:
    """Whether two single words are one loanword in two spellings ("hipertensi", "hypertension").

    Indonesian spells English and Latin loanwords by sound; spelled the Indonesian way, the
    two must be close (rapidfuzz ratio at least :data:`COGNATE_RATIO`).
    """
    return fuzz.ratio(_indonesian_spelling(name), _indonesian_spelling(other)) >= COGNATE_RATIO


def _indonesian_spelling(word: str) -> str:
    for english, indonesian in _SPELLING:
        word = word.replace(english, indonesian)
    return re.sub(r"(.)\1", r"\1", word)


def contains(name: str, other: str) -> bool:
    """Whether every word of ``other`` is in ``name``."""
    return set(other.replace("-", " ").split()) <= set(name.replace("-", " ").split())


def pairs(
    wordnet: dict[str, Synset],
    bahasa: dict[str, list[str]],
    frequency: dict[str, int],
    lemmas: tuple[set[str], set[str]],
) -> Iterator[tuple[str, str, str]]:
    """(name, other name, synset) for every kept pair, in both directions."""
    shared = [s for s in sorted(bahasa) if s in wordnet and depth(wordnet, s) >= MIN_DEPTH]
    key = analysed_key()
    id_senses = senses(bahasa.values(), key)
    en_senses = senses((s.english for s in wordnet.values()), key)
    # Words both wordnets spell alike ("cancer" is also an Indonesian lemma) are borrowings, not clashes.
    id_words = {key(x) for x in lemmas[0] - lemmas[1]}
    en_words = {key(x) for x in lemmas[1] - lemmas[0]}
    for synset in shared:
        indonesian = sorted({x.casefold() for x in bahasa[synset]})
        english = sorted({x.casefold() for x in wordnet[synset].english})
        id_here, en_here = {key(x) for x in indonesian}, {key(x) for x in english}
        for i in indonesian:
            for e in english:
                if i == e or (" " not in i + e and frequency.get(e, 0) > common_limit(i, e)):
                    continue
                # A name whose analysed words are also another word of the other language
                # ("caries" → "cari", Indonesian for *search*) would fire on that word.
                if keep(i, e, id_senses[key(i)], en_senses[key(e)]) and key(i) not in en_words - en_here:
                    yield i, e, synset
                if keep(e, i, en_senses[key(e)], id_senses[key(i)]) and key(e) not in id_words - id_here:
                    yield e, i, synset


def analysed_key() -> Callable[[str], str]:
    """A name → its analysed words, space-joined, by refbot's catalog analyzer (cached)."""
    analyzer = catalog_analyzer()
    return functools.cache(lambda name: " ".join(analyze(analyzer, name)))


def table(found: Iterable[tuple[str, str, str]]) -> list[tuple[str, str, list[str], list[str]]]:
    """Rows of (name, its analysed words, other names, synsets), analysed by refbot's catalog analyzer."""
    analyzer = catalog_analyzer()
    targets: dict[str, dict[str, str]] = defaultdict(dict)
    for name, other, synset in found:
        targets[name].setdefault(other, synset)
    rows = []
    for name in sorted(targets):
        key = " ".join(analyze(analyzer, name))
        others = [o for o in targets[name] if " ".join(analyze(analyzer, o)) not in ("", key)]
        # Cognates first, then the fewest words: a short other name is the subject's usual name.
        others.sort(key=lambda o: (not cognate(name, o), o.count(" "), o))
        others = others[:MAX_TARGETS]
        if key and others and key.count(" ") < MAX_WORDS:
            rows.append((name, key, others, [targets[name][o] for o in others]))
    return rows


def write(rows: list[tuple[str, str, list[str], list[str]]], out: Path, bahasa_path: Path, wordnet: Path) -> None:
    """The data file: a provenance header, then name TAB analysed words TAB other names (| between) TAB synsets."""
    digest = hashlib.sha256(bahasa_path.read_bytes()).hexdigest()
    noun = hashlib.sha256((wordnet / "data.noun").read_bytes()).hexdigest()
    header = [
        "# refbot Indonesian <-> English subject vocabulary",
        f"# source: Wordnet Bahasa, {WORDNET_BAHASA_RELEASE}, sha256 {digest}",
        "# source-licence: MIT (Copyright (c) 2011-2015 Francis Bond et al.; LICENSE-wordnet-bahasa.txt)",
        f"# source: {WORDNET_RELEASE}, sha256 {noun}",
        "# source-licence: WordNet 3.0 licence (Copyright 2006 by Princeton University; LICENSE-wordnet.txt)",
        "# built-by: tools/build_vocabulary.py",
        f"# rows: {len(rows)}",
        "# columns: name<TAB>analysed words<TAB>other names<TAB>synsets",
    ]
    with out.open("w", encoding="utf-8") as f:
        f.write("\n".join(header) + "\n")
        for name, key, others, synsets in rows:
            f.write(f"{name}\t{key}\t{'|'.join(others)}\t{'|'.join(synsets)}\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--wordnet-bahasa", type=Path, required=True, help="omw-data's wns/msa/wn-data-ind.tab")
    parser.add_argument("--wordnet", type=Path, default=Path("/usr/share/wordnet"), help="WordNet 3.0 dict folder")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    wordnet = read_wordnet(args.wordnet)
    lemmas = all_lemmas(args.wordnet, args.wordnet_bahasa)
    rows = table(pairs(wordnet, read_wordnet_bahasa(args.wordnet_bahasa), read_frequencies(args.wordnet), lemmas))
    write(rows, args.out, args.wordnet_bahasa, args.wordnet)
    print(f"{len(rows)} names → {args.out} ({args.out.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
