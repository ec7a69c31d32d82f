"""The pipeline in one call: a parsed need → every source searched → the candidates ranked.

Parsing happens first, on its own (:func:`refbot.pipeline.parse.parse_need`), because the desk
needs the need before it searches (the patron's language for the acknowledgement, the rate
limit). What a failing source means for the librarian is the desk's to word; here it is only
the source's name and the reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from refbot.config import MatchSettings, SearchSettings
from refbot.models import InformationNeed, Ranked
from refbot.pipeline.rank import rank
from refbot.pipeline.search import Observe, search_all
from refbot.ports import Source


@dataclass(frozen=True)
class Answer:
    """What the sources found for a need, best first, and which sources failed."""

    items: tuple[Ranked, ...]
    failures: dict[str, str] = field(default_factory=dict)
    """Source name → why it gave nothing (it failed, or did not answer in time)."""


async def answer(need: InformationNeed, sources: Sequence[Source], search: SearchSettings,
                 match: MatchSettings, *, observe: Observe | None = None) -> Answer:
    """Search every source at once under one deadline, then rank, fuse and trim to a draft's size.

    ``observe`` is told each source's answer time and whether it failed (for the metrics).
    """
    outcome = await search_all(need, sources, search.per_source, search.deadline, observe=observe)
    return Answer(rank(need, outcome.results, match, search.draft_size), dict(outcome.failures))
