"""Fusing the sources' lists into one, so that no source can win by answering loosely.

Each source orders its own results, on a scale no other source shares. Fusion puts them on
one scale in three steps:

1. **Calibrated share.** A source's place for an item is worth its reciprocal rank (first
   place 1.0, ``match.rrf_k``), scaled by how much of the *need* the item matches
   (:func:`refbot.pipeline.coverage.coverage`): in full from ``match.full_match`` up, in
   proportion below. A source that returns anything matching one word of the question gets
   little for it, however high it put it. Calibration compares sources, so when only one
   source answered its own order stands unchanged.
2. **Capped agreement.** A work several sources found takes its best share, and the second
   adds at most ``match.agreement_cap``: agreement is a hint, not a second vote.
3. **Curated collections are a signal, not a source.** The library's Zotero subject guides
   (``match.curated_sources``) find items by a single word too. Their finding a work another
   source found earns it the ``curated`` part; an item only they hold is proposed only when
   its own title and abstract match ``match.curated_alone`` of the need (the names of the
   guides it is filed in are not its subject), and then ranks at its own place.

Duplicates are merged on the way (same DOI, a shared ISBN, or title and authors alike); the
library's own record wins and gaps are filled from the other.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from refbot.config import MatchSettings
from refbot.models import Candidate, InformationNeed
from refbot.pipeline.coverage import coverage, fold


@dataclass(frozen=True)
class Fused:
    """One work after fusion: its merged record, its calibrated relevance, and what the curated collections say."""

    candidate: Candidate
    relevance: float
    match: float
    """How much of the need it matches (coverage), 0 to 1."""
    curated: bool = False
    """It is in one of the library's curated collections and relevant."""


@dataclass
class _Work:
    candidate: Candidate
    shares: dict[str, float]  # source → its best reciprocal-rank share for this work


def fuse(need: InformationNeed, results: Mapping[str, Sequence[Candidate]], s: MatchSettings) -> list[Fused]:
    """Every source's candidates as one list of works, duplicates merged, best calibrated relevance first."""
    k = s.rrf_k
    ranked = [(c, name, (k + 1) / (k + position))
              for name, items in results.items() for position, c in enumerate(items, 1)]
    ranked.sort(key=lambda entry: -entry[2])  # stable: a source's own order is kept among equal shares
    calibrate = sum(1 for items in results.values() if items) > 1
    curated = frozenset(s.curated_sources)
    fused = [f for w in _dedupe(ranked, s.duplicate_threshold) if (f := _weigh(need, w, s, curated, calibrate))]
    fused.sort(key=lambda f: -f.relevance)
    return fused


def _weigh(need: InformationNeed, work: _Work, s: MatchSettings, curated: frozenset[str],
           calibrate: bool) -> Fused | None:
    """The work's fused relevance, or None for a curated-only item that does not match the need well enough."""
    match = coverage(need, work.candidate)
    fit = min(1.0, match / s.full_match) if calibrate and s.full_match > 0 else 1.0
    found = sorted((share for name, share in work.shares.items() if name not in curated), reverse=True)
    held = [share for name, share in work.shares.items() if name in curated]
    if not found:  # only the curated collections hold it: proposed when it answers the need on its own
        if _own_match(need, work.candidate) < s.curated_alone:
            return None
        return Fused(work.candidate, round(fit * max(held), 6), match, curated=True)
    agreement = min(s.agreement_cap, fit * found[1]) if len(found) > 1 else 0.0
    return Fused(work.candidate, round(fit * found[0] + agreement, 6), match, curated=bool(held) and fit > 0)


def _own_match(need: InformationNeed, c: Candidate) -> float:
    """How much of the need the item's own title and abstract match.

    A curated item's subjects carry the names of the guides it is filed in ("Panduan Subjek:
    Literasi Informasi"): the library's grouping, broad by design, not what the item is about.
    """
    return coverage(need, dataclasses.replace(c, subjects=()))


def _dedupe(ranked: list[tuple[Candidate, str, float]], threshold: float) -> list[_Work]:
    kept: list[_Work] = []
    by_id: dict[str, int] = {}  # DOI or ISBN → position in kept
    titles: list[str] = []
    for c, name, share in ranked:
        i = _known(c, kept, by_id, titles, threshold)
        if i is None:
            i = len(kept)
            kept.append(_Work(c, {name: share}))
            titles.append(fold(c.title))
        else:
            work = kept[i]
            work.candidate = merge(work.candidate, c)
            work.shares[name] = max(work.shares.get(name, 0.0), share)
        for key in _keys(kept[i].candidate):
            by_id.setdefault(key, i)
    return kept


def _known(c: Candidate, kept: list[_Work], by_id: dict[str, int], titles: list[str], threshold: float) -> int | None:
    """Where in ``kept`` the same work already is, if it is."""
    for key in _keys(c):
        if key in by_id and same_work(c, kept[by_id[key]].candidate, threshold):
            return by_id[key]
    alike = process.extract(fold(c.title), titles, scorer=fuzz.ratio, score_cutoff=threshold, limit=None)
    for _, _, i in sorted(alike, key=lambda match: match[2]):
        other = kept[i].candidate
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
    if fuzz.ratio(fold(a.title), fold(b.title)) < threshold:
        return False
    if a.authors and b.authors:
        return bool(_surnames(a) & _surnames(b))
    # Without authors to compare, only the same title in the same year will do.
    return fold(a.title) == fold(b.title) and (a.year == b.year or not (a.year and b.year))


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


def _surnames(c: Candidate) -> set[str]:
    return {fold(a.split(",")[0]).split(" ")[-1] for a in c.authors if a.strip()}
