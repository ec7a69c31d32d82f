"""What a source wrapper may still spend of the search deadline once its source has answered.

:class:`refbot.pipeline.availability.LiveAvailability` (the library system's shelf status) and
:class:`refbot.catalog.journals.accredited.Accredited` (DOAJ and the SINTA list) ask a second
service about what their source found. They must be done inside the deadline
:func:`refbot.pipeline.search.search_all` gives every source, with time to spare for ranking and
the draft, so the patron's draft is never later than it would have been without them.
"""

from __future__ import annotations

from collections.abc import Callable

from refbot.models import Candidate, InformationNeed
from refbot.ports import Source


async def answer_and_time_left(
    source: Source, need: InformationNeed, limit: int, *, deadline: float, monotonic: Callable[[], float],
) -> tuple[list[Candidate], float]:
    """The source's candidates, and the seconds a second step may take after them (below 0 when none)."""
    started = monotonic()
    found = await source.search(need, limit)
    # What is left of the search deadline, less a margin for ranking and the draft itself.
    return found, deadline - (monotonic() - started) - max(0.25, deadline * 0.1)
