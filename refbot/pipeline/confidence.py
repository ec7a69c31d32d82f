"""How sure refbot is of a draft: strong, partial or weak, and what is missing — judged once, when it is made.

Like a music tagger's recommendation (beets: strong / medium / none, from the best match's
distance and its gap to the next), the level comes from the best item's *strength* — how much
of the need it matches (:func:`refbot.pipeline.coverage.coverage`), halved when it goes
against a stated wish (years, kind, language) — and from how far the rest fall below it:

- **strong**: the best matches ``match.confidence_strong`` of the need and the third-best is
  within ``match.confidence_gap`` of it (a list, not one lucky hit);
- **weak**: nothing, or the best matches less than ``match.confidence_weak``;
- **partial**: anything between.

What is missing is said alongside, for the librarian: the catalog holds nothing that
matches, only old items (or none in the wished-for years), a source did not answer.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from refbot.config import MatchSettings
from refbot.models import Confidence, ConfidenceLevel, InformationNeed, Ranked
from refbot.pipeline.coverage import coverage

CATALOG = "catalog"
SUPPORT = 3
"""The strong list's n-th item that must be close to the best: "the rest", not one hit."""
_WISHES = ("years", "kind", "language")


def judge(need: InformationNeed, items: Sequence[Ranked], asked: Collection[str], answered: Collection[str],
          s: MatchSettings, current_year: int) -> Confidence:
    """The draft's confidence, from its items and which of the ``asked`` sources ``answered`` with something."""
    usable = [r for r in items if not r.candidate.retracted]
    strengths = sorted((strength(need, r) for r in usable), reverse=True)
    best = strengths[0] if strengths else 0.0
    support = strengths[SUPPORT - 1] if len(strengths) >= SUPPORT else 0.0
    gap = best - support
    if best < s.confidence_weak:
        level = ConfidenceLevel.WEAK
    elif best >= s.confidence_strong and gap <= s.confidence_gap:
        level = ConfidenceLevel.STRONG
    else:
        level = ConfidenceLevel.PARTIAL
    missing = _missing(need, usable, asked, answered, s, current_year)
    return Confidence(level, round(best, 3), round(gap, 3), missing, tuple(sorted(answered)))


def strength(need: InformationNeed, r: Ranked) -> float:
    """How much of the need an item matches, halved when it goes against a wish the patron stated."""
    against = any(r.score.part(wish) < 0 for wish in _WISHES)
    return coverage(need, r.candidate) * (0.5 if against else 1.0)


def _missing(need: InformationNeed, usable: Sequence[Ranked], asked: Collection[str], answered: Collection[str],
             s: MatchSettings, current_year: int) -> tuple[str, ...]:
    on_topic = [r for r in usable if coverage(need, r.candidate) >= s.confidence_weak]
    missing: list[str] = []
    if not any(r.candidate.source == CATALOG for r in on_topic):
        missing.append("catalog")
    if on_topic and not any(_recent(need, r, s, current_year) for r in on_topic):
        missing.append("recent")
    if set(asked) - set(answered):
        missing.append("sources")
    return tuple(missing)


def _recent(need: InformationNeed, r: Ranked, s: MatchSettings, current_year: int) -> bool:
    """Inside the wished-for years, or (when none were named) no older than ``match.recent_years``."""
    if need.year_from is not None or need.year_to is not None:
        return r.score.part("years") > 0
    year = r.candidate.year
    return year is not None and year >= current_year - s.recent_years
