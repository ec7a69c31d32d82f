"""Ranking: fuse the sources, score each candidate by named parts, drop duplicates, mix kinds.

Like a cataloger weighing a match, each candidate's score is a sum of named parts times
configured weights (``match:`` in config.yaml); the parts are kept so the librarian sees why.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Mapping, Sequence

from rapidfuzz import fuzz

from refbot.config import MatchSettings
from refbot.models import Candidate, InformationNeed, Kind, Ranked, Score

BOOKISH = frozenset({Kind.BOOK, Kind.EBOOK, Kind.THESIS})


def rank(
    need: InformationNeed,
    results: Mapping[str, Sequence[Candidate]],
    settings: MatchSettings,
    limit: int,
) -> tuple[Ranked, ...]:
    """Fuse every source's results into one ordered, de-duplicated list of at most ``limit``.

    Retracted works are kept at the end with a penalty so the librarian sees the warning;
    rendering for the patron leaves them out.
    """
    fused = _fuse(results, settings.rrf_k)
    unique = _dedupe(fused, settings.duplicate_threshold)
    scored = [Ranked(c, score_candidate(need, c, rrf, settings)) for c, rrf in unique]
    scored.sort(key=lambda r: -r.score.total)
    return _mix(scored, limit)


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
        parts.append(("language", s.kind_weight * (1.0 if c.language in need.languages else -1.0)))
    if c.holdings:
        parts.append(("on shelf", s.available_weight * (1.0 if c.available else 0.0)))
    if need.open_access and c.open_access:
        parts.append(("open access", s.available_weight))
    if c.retracted:
        parts.append(("retracted", -10.0))
    return Score(round(sum(v for _, v in parts), 4), tuple((n, round(v, 4)) for n, v in parts))


def similarity(need: InformationNeed, c: Candidate) -> float:
    """How closely the need's words match the title and subjects, 0 to 1."""
    query = need.query_text
    if not query:
        return 0.0
    target = " ".join([c.title, *c.subjects])
    return fuzz.token_set_ratio(_fold(query), _fold(target)) / 100.0


def _fuse(results: Mapping[str, Sequence[Candidate]], k: int) -> list[tuple[Candidate, float]]:
    # Reciprocal-rank fusion: the source's order counts, not its incomparable raw scores.
    # Scaled so that first place in one source is worth 1.0.
    fused = []
    for items in results.values():
        for position, c in enumerate(items, start=1):
            fused.append((c, (k + 1) / (k + position)))
    fused.sort(key=lambda pair: -pair[1])
    return fused


def _dedupe(fused: list[tuple[Candidate, float]], threshold: float) -> list[tuple[Candidate, float]]:
    kept: list[tuple[Candidate, float]] = []
    for c, rrf in fused:
        for i, (other, other_rrf) in enumerate(kept):
            if same_work(c, other, threshold):
                kept[i] = (merge(other, c), other_rrf + rrf)
                break
        else:
            kept.append((c, rrf))
    return kept


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


def _mix(scored: list[Ranked], limit: int) -> tuple[Ranked, ...]:
    """The top ``limit``, making room for books and articles alike when both were found."""
    usable = [r for r in scored if not r.candidate.retracted]
    warned = [r for r in scored if r.candidate.retracted]
    top = usable[:limit]
    books = [r for r in usable if r.candidate.kind in BOOKISH]
    others = [r for r in usable if r.candidate.kind not in BOOKISH]
    want_each = min(2, limit // 4)
    for group in (books, others):
        missing = [r for r in group[:want_each] if r not in top]
        for r in missing:
            if len(top) < limit:
                top.append(r)
                continue
            replaceable = [t for t in reversed(top) if _group(t) != _group(r) and _count(top, t) > want_each]
            if replaceable:
                top.remove(replaceable[0])
                top.append(r)
    top.sort(key=lambda r: -r.score.total)
    return tuple(top + warned[:2])


def _group(r: Ranked) -> bool:
    return r.candidate.kind in BOOKISH


def _count(items: list[Ranked], like: Ranked) -> int:
    return sum(1 for r in items if _group(r) == _group(like))


def _year_fit(need: InformationNeed, year: int | None) -> float:
    if year is None:
        return 0.0
    low = need.year_from if need.year_from is not None else -10_000
    high = need.year_to if need.year_to is not None else 10_000
    return 1.0 if low <= year <= high else -1.0


def _kind_fits(need: InformationNeed, kind: Kind) -> bool:
    if kind in need.kinds:
        return True
    return (kind is Kind.EBOOK and Kind.BOOK in need.kinds) or (kind is Kind.BOOK and Kind.EBOOK in need.kinds)


def _surnames(c: Candidate) -> set[str]:
    return {_fold(a.split(",")[0]).split(" ")[-1] for a in c.authors if a.strip()}


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9 ]+", " ", text.lower()).strip()
