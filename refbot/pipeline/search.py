"""Searching every source at once, each within its own budget, none able to sink the question."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from refbot.errors import SourceError
from refbot.models import Candidate, InformationNeed
from refbot.ports import Source

log = logging.getLogger(__name__)

Observe = Callable[[str, float, bool], None]
"""Told each source's name, the seconds it took and whether it failed (or missed the deadline)."""


@dataclass(frozen=True)
class SearchOutcome:
    """What the sources found, and a note for each one that failed."""

    results: dict[str, list[Candidate]]
    failures: dict[str, str]


async def search_all(
    need: InformationNeed, sources: Sequence[Source], limit: int, deadline: float, *, observe: Observe | None = None,
) -> SearchOutcome:
    """Search all sources concurrently; a failing or slow source becomes a failure note."""
    started = time.monotonic()
    tasks = {s.name: asyncio.create_task(_one(s, need, limit)) for s in sources}
    _done, pending = await asyncio.wait(tasks.values(), timeout=deadline)
    if observe is not None:
        _observe(observe, tasks, pending, started)
    for task in pending:
        task.cancel()
    results: dict[str, list[Candidate]] = {}
    failures: dict[str, str] = {}
    for name, task in tasks.items():
        if task in pending:
            failures[name] = f"did not answer within {deadline:g} s"
            continue
        outcome, _ = task.result()
        if isinstance(outcome, str):
            failures[name] = outcome
        else:
            results[name] = outcome
    if pending:
        await asyncio.gather(*pending, return_exceptions=True)
    return SearchOutcome(results, failures)


def _observe(observe: Observe, tasks: dict[str, asyncio.Task[tuple[list[Candidate] | str, float]]],
             pending: set[asyncio.Task[tuple[list[Candidate] | str, float]]], started: float) -> None:
    for name, task in tasks.items():
        if task in pending:  # it took the whole deadline, and counts as failed
            observe(name, time.monotonic() - started, True)
        else:
            outcome, ended = task.result()
            observe(name, ended - started, isinstance(outcome, str))


async def _one(source: Source, need: InformationNeed, limit: int) -> tuple[list[Candidate] | str, float]:
    """What the source found (or why it failed), and when it was done."""
    outcome = await _ask(source, need, limit)
    return outcome, time.monotonic()


async def _ask(source: Source, need: InformationNeed, limit: int) -> list[Candidate] | str:
    try:
        return await source.search(need, limit)
    except SourceError as e:
        log.warning("source %s failed: %s", source.name, e.reason)
        return e.reason
    except Exception as e:  # a bug in one source must not cost the patron their answer
        log.exception("source %s crashed", source.name)
        return f"failed unexpectedly ({type(e).__name__})"
