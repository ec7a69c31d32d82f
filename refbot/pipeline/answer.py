"""The pipeline in one call: a parsed need → every source searched → the candidates ranked and judged.

Parsing happens first, on its own (:func:`refbot.pipeline.parse.parse_need`), because the desk
needs the need before it searches (the patron's language for the acknowledgement, the rate
limit). What a failing source means for the librarian is the desk's to word; here it is only
the source's name and the reason.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field

from refbot.config import MatchSettings, SearchSettings
from refbot.models import Confidence, ConfidenceLevel, InformationNeed, Ranked
from refbot.pipeline.confidence import judge
from refbot.pipeline.rank import rank
from refbot.pipeline.search import Observe, search_all
from refbot.ports import Source


@dataclass(frozen=True)
class Answer:
    """What the sources found for a need, best first, which sources failed, and how sure refbot is of it."""

    items: tuple[Ranked, ...]
    failures: dict[str, str] = field(default_factory=dict)
    """Source name → why it gave nothing (it failed, or did not answer in time)."""
    confidence: Confidence = field(default_factory=lambda: Confidence(ConfidenceLevel.WEAK))
    """How sure refbot is of the list (:mod:`refbot.pipeline.confidence`)."""


async def answer(need: InformationNeed, sources: Sequence[Source], search: SearchSettings,
                 match: MatchSettings, *, observe: Observe | None = None, current_year: int | None = None) -> Answer:
    """Search every source at once under one deadline, then rank, fuse, trim to a draft's size and judge it.

    ``observe`` is told each source's answer time and whether it failed (for the metrics).
    """
    outcome = await search_all(need, sources, search.per_source, search.deadline, observe=observe)
    items = rank(need, outcome.results, match, search.draft_size)
    # The curated collections are not asked for relevance, so their silence is nothing missing.
    asked = [s.name for s in sources if s.name not in match.curated_sources]
    answered = [name for name in asked if name not in outcome.failures]
    year = current_year or datetime.date.today().year
    confidence = judge(need, items, asked, answered, match, year)
    return Answer(items, dict(outcome.failures), confidence)
