"""Searching every source at once, each within its own budget, none able to sink the question."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from refbot.errors import SourceError
from refbot.models import Candidate, InformationNeed
from refbot.ports import Source

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SearchOutcome:
    """What the sources found, and a note for each one that failed."""

    results: dict[str, list[Candidate]]
    failures: dict[str, str]


async def search_all(
    need: InformationNeed, sources: Sequence[Source], limit: int, deadline: float
) -> SearchOutcome:
    """Search all sources concurrently; a failing or slow source becomes a failure note."""
    tasks = {s.name: asyncio.create_task(_one(s, need, limit)) for s in sources}
    _done, pending = await asyncio.wait(tasks.values(), timeout=deadline)
    for task in pending:
        task.cancel()
    results: dict[str, list[Candidate]] = {}
    failures: dict[str, str] = {}
    for name, task in tasks.items():
        if task in pending:
            failures[name] = f"did not answer within {deadline:g} s"
            continue
        outcome = task.result()
        if isinstance(outcome, str):
            failures[name] = outcome
        else:
            results[name] = outcome
    if pending:
        await asyncio.gather(*pending, return_exceptions=True)
    return SearchOutcome(results, failures)


async def _one(source: Source, need: InformationNeed, limit: int) -> list[Candidate] | str:
    try:
        return await source.search(need, limit)
    except SourceError as e:
        log.warning("source %s failed: %s", source.name, e.reason)
        return e.reason
    except Exception as e:  # a bug in one source must not cost the patron their answer
        log.exception("source %s crashed", source.name)
        return f"failed unexpectedly ({type(e).__name__})"
