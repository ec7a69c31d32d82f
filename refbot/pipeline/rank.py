"""Ranking: fuse the sources, score each candidate by named parts, drop duplicates, mix kinds.

Like a cataloger weighing a match, each candidate's score is a sum of named parts times
configured weights (``match:`` in config.yaml); the parts are kept so the librarian sees why:

==============  ================================================================================
relevance       the sources' own order, fused across sources by reciprocal rank (RRF); a work
                two sources both found adds up
similarity      how many of the need's main words the title, subjects or abstract hold
                (fuzzily, so "katalogisasi" meets "katalog" and "libraries" "library")
years           +1 inside the wished-for years, -1 outside (only when the patron said so)
kind            +1 for a wished-for material kind, -1 otherwise (only when asked)
language        +1 in a wished-for language, -1 otherwise (only when asked and known)
on shelf        a copy can be borrowed now
open access     free to read, when the patron asked for that
journal         a journal article with an ISSN: it appeared in a registered serial
named           the very journal whose ISSN the patron wrote ("is ISSN 1907-4239 accredited?"):
                that journal's own record is the answer, so it comes first
citations       how often the work is cited, on a log scale
retracted       a large penalty: a retracted work is never recommended, only shown to the
                librarian at the end of the draft with a warning
==============  ================================================================================

Parts that do not apply are left out rather than shown as zero.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import re
import unicodedata
from collections.abc import Mapping, Sequence

from rapidfuzz import fuzz, process
from whoosh.lang.porter import stem as porter_stem

from refbot.config import MatchSettings
from refbot.models import Candidate, InformationNeed, Kind, Ranked, Score

BOOKISH = frozenset({Kind.BOOK, Kind.EBOOK, Kind.THESIS})
SIMILARITY_TERMS = 8
"""How many of the need's heaviest terms similarity looks for."""
_WORD_MATCH = 80.0  # rapidfuzz ratio from which two words count as the same word
_SHOWN_RETRACTED = 2
_ISSN = re.compile(r"\b\d{4}-?\d{3}[\dXx]\b")


def rank(
    need: InformationNeed,
    results: Mapping[str, Sequence[Candidate]],
    settings: MatchSettings,
    limit: int,
) -> tuple[Ranked, ...]:
    """Fuse every source's results into one ordered, de-duplicated list of at most ``limit``.

    Retracted works are kept at the end (at most two) with a penalty so the librarian sees
    the warning; rendering for the patron leaves them out.
    """
    unique = fuse(results, settings.rrf_k, settings.duplicate_threshold)
    scored = [Ranked(c, score_candidate(need, c, fused, settings)) for c, fused in unique]
    scored.sort(key=lambda r: -r.score.total)  # stable: ties keep the fused order
    return mix(scored, limit, settings.mix_each)


def score_candidate(need: InformationNeed, c: Candidate, fused: float, s: MatchSettings) -> Score:
    """The named parts of one candidate's score and their weighted total."""
    parts: list[tuple[str, float]] = [
        ("relevance", s.source_weight * fused),
        ("similarity", s.title_weight * similarity(need, c)),
    ]
    if need.year_from is not None or need.year_to is not None:
        parts.append(("years", s.year_weight * _year_fit(need, c.year)))
    if need.kinds:
        parts.append(("kind", s.kind_weight * (1.0 if _kind_fits(need, c.kind) else -1.0)))
    if need.languages and c.language:
        parts.append(("language", s.language_weight * (1.0 if c.language in need.languages else -1.0)))
    if c.holdings:
        parts.append(("on shelf", s.available_weight * (1.0 if c.available else 0.0)))
    if need.open_access and c.open_access:
        parts.append(("open access", s.open_access_weight))
    parts.extend(_credibility(c, s))
    if c.kind is Kind.JOURNAL and named_issn(need, c):
        parts.append(("named", s.named_weight))
    if c.retracted:
        parts.append(("retracted", -s.retracted_penalty))
    return Score(round(sum(v for _, v in parts), 4), tuple((n, round(v, 4)) for n, v in parts))


def _credibility(c: Candidate, s: MatchSettings) -> list[tuple[str, float]]:
    parts: list[tuple[str, float]] = []
    if c.kind is Kind.ARTICLE and c.issn:
        parts.append(("journal", s.journal_weight))
    if c.citations:
        parts.append(("citations", s.citation_weight * citation_credit(c.citations, s.citations_for_full_credit)))
    return parts


def named_issn(need: InformationNeed, c: Candidate) -> bool:
    """Whether the patron wrote one of the candidate's ISSNs (with or without its hyphen)."""
    written = {_issn_digits(m) for m in _ISSN.findall(need.raw)}
    return bool(written & {_issn_digits(i) for i in c.issn})


def _issn_digits(issn: str) -> str:
    return re.sub(r"[^0-9X]", "", issn.upper())


def citation_credit(citations: int, full: int) -> float:
    """0 to 1 on a log scale: 0 citations → 0, ``full`` or more → 1."""
    if citations <= 0 or full <= 0:
        return 0.0
    return min(1.0, math.log1p(citations) / math.log1p(full))


def similarity(need: InformationNeed, c: Candidate) -> float:
    """The share (by weight) of the need's main terms the title, subjects or abstract hold, 0 to 1.

    Words are compared stemmed (Porter) and with rapidfuzz, so inflections ("libraries",
    "library") and small misspellings still meet; a near match counts by how near it is.
    """
    terms = need.terms[:SIMILARITY_TERMS]
    total = sum(t.weight for t in terms)
    if total <= 0:
        return 0.0
    words = _stems(" ".join([c.title, *c.subjects, c.abstract]))
    if not words:
        return 0.0
    found = 0.0
    for term in terms:
        word = _fold(term.text)
        best = max(
            (process.extractOne(form, words, scorer=fuzz.ratio, score_cutoff=_WORD_MATCH) for form in {word, _stem(word)}),
            key=lambda match: match[1] if match else 0.0,
        )
        if best is not None:
            found += term.weight * best[1] / 100.0
    return found / total


def fuse(
    results: Mapping[str, Sequence[Candidate]], k: int, threshold: float = 92.0
) -> list[tuple[Candidate, float]]:
    """Every source's candidates as one list with a fused relevance, duplicates merged, best first.

    Reciprocal-rank fusion: a source's order counts, not its incomparable raw scores; first
    place in one source is worth 1.0, and a work several sources found adds their shares.
    """
    ranked = [(c, (k + 1) / (k + position)) for items in results.values() for position, c in enumerate(items, 1)]
    ranked.sort(key=lambda pair: -pair[1])
    return _dedupe(ranked, threshold)


def _dedupe(fused: list[tuple[Candidate, float]], threshold: float) -> list[tuple[Candidate, float]]:
    kept: list[tuple[Candidate, float]] = []
    by_id: dict[str, int] = {}  # DOI or ISBN → position in kept
    titles: list[str] = []
    for c, rrf in fused:
        i = _known(c, kept, by_id, titles, threshold)
        if i is None:
            i = len(kept)
            kept.append((c, rrf))
            titles.append(_fold(c.title))
        else:
            other, other_rrf = kept[i]
            kept[i] = (merge(other, c), other_rrf + rrf)
        for key in _keys(kept[i][0]):
            by_id.setdefault(key, i)
    return kept


def _known(
    c: Candidate, kept: list[tuple[Candidate, float]], by_id: dict[str, int], titles: list[str], threshold: float
) -> int | None:
    """Where in ``kept`` the same work already is, if it is."""
    for key in _keys(c):
        if key in by_id and same_work(c, kept[by_id[key]][0], threshold):
            return by_id[key]
    alike = process.extract(_fold(c.title), titles, scorer=fuzz.ratio, score_cutoff=threshold, limit=None)
    for _, _, i in sorted(alike, key=lambda match: match[2]):
        other = kept[i][0]
        if other.source == c.source and other.source_id != c.source_id:
            continue  # one source's two records stay apart unless they share a DOI or ISBN
        if same_work(c, other, threshold):
            return i
    return None


def _keys(c: Candidate) -> list[str]:
    return ([f"doi:{c.doi.lower()}"] if c.doi else []) + [f"isbn:{i}" for i in c.isbn]


def same_work(a: Candidate, b: Candidate, threshold: float = 92.0) -> bool:
    """Whether two candidates describe one work: same DOI, a shared ISBN, or title and authors alike.

    Two records one source keeps apart (two editions in the catalog) stay apart unless they
    share a DOI or ISBN.
    """
    if a.doi and b.doi:
        return a.doi.lower() == b.doi.lower()
    if set(a.isbn) & set(b.isbn):
        return True
    if a.source == b.source and a.source_id != b.source_id:
        return False
    if fuzz.ratio(_fold(a.title), _fold(b.title)) < threshold:
        return False
    if a.authors and b.authors:
        return bool(_surnames(a) & _surnames(b))
    # Without authors to compare, only the same title in the same year will do.
    return _fold(a.title) == _fold(b.title) and (a.year == b.year or not (a.year and b.year))


def merge(keep: Candidate, other: Candidate) -> Candidate:
    """One candidate from two of the same work: the library's own record wins, gaps are filled."""
    if other.source == "catalog" and keep.source != "catalog":
        keep, other = other, keep
    fill = {
        f.name: getattr(other, f.name)
        for f in dataclasses.fields(Candidate)
        if not getattr(keep, f.name) and getattr(other, f.name) and f.name not in ("source", "source_id")
    }
    return dataclasses.replace(keep, **fill) if fill else keep


def mix(scored: list[Ranked], limit: int, each: int = 2) -> tuple[Ranked, ...]:
    """The top ``limit``, making room for ``each`` books and articles alike when both were found.

    Retracted works never take a place; up to two follow the list so the librarian sees why
    they were left out.
    """
    usable = [r for r in scored if not r.candidate.retracted]
    warned = [r for r in scored if r.candidate.retracted]
    top = usable[:limit]
    want_each = min(each, limit // 4)
    for group in (True, False):
        members = [r for r in usable if _bookish(r) is group]
        for r in members[:want_each]:
            if r in top:
                continue
            if len(top) < limit:
                top.append(r)
                continue
            replaceable = [t for t in reversed(top) if _bookish(t) is not group and _count(top, t) > want_each]
            if replaceable:
                top.remove(replaceable[0])
                top.append(r)
    top.sort(key=lambda r: -r.score.total)
    return tuple(top + warned[:_SHOWN_RETRACTED])


def _bookish(r: Ranked) -> bool:
    return r.candidate.kind in BOOKISH


def _count(items: list[Ranked], like: Ranked) -> int:
    return sum(1 for r in items if _bookish(r) is _bookish(like))


def _year_fit(need: InformationNeed, year: int | None) -> float:
    if year is None:
        return 0.0
    low = need.year_from if need.year_from is not None else -10_000
    high = need.year_to if need.year_to is not None else 10_000
    return 1.0 if low <= year <= high else -1.0


def _kind_fits(need: InformationNeed, kind: Kind) -> bool:
    if kind in need.kinds:
        return True
    if kind is Kind.JOURNAL and Kind.ARTICLE in need.kinds:
        return True  # "jurnal" asks for articles or for the journal itself; both fit
    return (kind is Kind.EBOOK and Kind.BOOK in need.kinds) or (kind is Kind.BOOK and Kind.EBOOK in need.kinds)


def _surnames(c: Candidate) -> set[str]:
    return {_fold(a.split(",")[0]).split(" ")[-1] for a in c.authors if a.strip()}


@functools.lru_cache(maxsize=4096)
def _stems(text: str) -> frozenset[str]:
    """The distinct words of a text, folded, as written and stemmed (for inflected forms)."""
    words = _fold(text).split()
    return frozenset(words) | frozenset(_stem(word) for word in words)


@functools.lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    return str(porter_stem(word))


@functools.lru_cache(maxsize=8192)
def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9 ]+", " ", text.lower()).strip()
