"""Ranking: fuse the sources, score each candidate by named parts, mix kinds.

Like a cataloger weighing a match, each candidate's score is a sum of named parts times
configured weights (``match:`` in config.yaml); the parts are kept so the librarian sees why:

==============  ================================================================================
relevance       the sources' own order, calibrated by how much of the need each item matches
                and fused across sources (:mod:`refbot.pipeline.fusion`); a second source
                finding the same work adds at most ``agreement_cap``
similarity      how many of the need's main words the title, subjects or abstract hold
                (fuzzily, so "katalogisasi" meets "katalog" and "libraries" "library")
curated         the work is in the library's curated collections (Zotero subject guides)
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

import math
import re
from collections.abc import Callable, Mapping, Sequence

from refbot.config import MatchSettings
from refbot.models import Candidate, InformationNeed, Kind, Ranked, Score
from refbot.pipeline.coverage import SIMILARITY_TERMS, similarity
from refbot.pipeline.fusion import Fused, fuse, merge, same_work

__all__ = [
    "BOOKISH",
    "SIMILARITY_TERMS",
    "citation_credit",
    "fuse",
    "merge",
    "mix",
    "named_issn",
    "rank",
    "same_work",
    "score_candidate",
    "similarity",
]

BOOKISH = frozenset({Kind.BOOK, Kind.EBOOK, Kind.THESIS})
_SHOWN_RETRACTED = 2
_ISSN = re.compile(r"\b\d{4}-?\d{3}[\dXx]\b")
_WISHES = ("years", "kind", "language")


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
    fused = fuse(need, results, settings)
    scored = [Ranked(f.candidate, score_candidate(need, f.candidate, f.relevance, settings, curated=f.curated))
              for f in fused]
    scored.sort(key=_order)  # stable: ties keep the fused order
    promotable = _promotable(fused, settings.mix_floor)
    return mix(scored, limit, settings.mix_each, wanted=_wanted_groups(need), promotable=promotable)


def _order(r: Ranked) -> tuple[bool, float]:
    # A kind the patron did not wish for ("buku saja") only fills places the wished kinds leave.
    return r.score.part("kind") < 0, -r.score.total


def score_candidate(need: InformationNeed, c: Candidate, fused: float, s: MatchSettings, *,
                    curated: bool = False) -> Score:
    """The named parts of one candidate's score and their weighted total."""
    parts: list[tuple[str, float]] = [
        ("relevance", s.source_weight * fused),
        ("similarity", s.title_weight * similarity(need, c)),
    ]
    if curated:
        parts.append(("curated", s.curated_weight))
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


def mix(
    scored: list[Ranked], limit: int, each: int = 2, *, wanted: tuple[bool, ...] = (True, False),
    promotable: Callable[[Ranked], bool] = lambda r: True,
) -> tuple[Ranked, ...]:
    """The top ``limit``, making room for ``each`` books and articles alike when both were found.

    Only the ``wanted`` groups (bookish True, the rest False) get room: a patron who asked for
    books only never has articles brought in. Only ``promotable`` items are brought in: an item
    that barely matches the need, or goes against a wish, is not worth a place for its kind.
    Retracted works never take a place; up to two follow the list so the librarian sees why
    they were left out.
    """
    usable = [r for r in scored if not r.candidate.retracted]
    warned = [r for r in scored if r.candidate.retracted]
    top = usable[:limit]
    want_each = min(each, limit // 4) if len(wanted) > 1 else 0
    for group in wanted:
        members = [r for r in usable if _bookish(r) is group and (r in top or promotable(r))]
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
    top.sort(key=_order)
    return tuple(top + warned[:_SHOWN_RETRACTED])


def _wanted_groups(need: InformationNeed) -> tuple[bool, ...]:
    """The groups (bookish or not) a draft makes room for: both, or only those the patron wished for."""
    if not need.kinds:
        return (True, False)
    return tuple(group for group in (True, False) if any((kind in BOOKISH) is group for kind in need.kinds))


def _promotable(fused: list[Fused], floor: float) -> Callable[[Ranked], bool]:
    """Whether an item is relevant enough on its own to be brought in for its kind."""
    matches = {id(f.candidate): f.match for f in fused}

    def enough(r: Ranked) -> bool:
        against = any(r.score.part(wish) < 0 for wish in _WISHES)
        return matches.get(id(r.candidate), 0.0) >= floor and not against

    return enough


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
