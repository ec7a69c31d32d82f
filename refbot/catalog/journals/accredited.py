"""A source whose candidates with an ISSN come back with what DOAJ and the SINTA list say of their journal.

Like :class:`refbot.pipeline.availability.LiveAvailability`, :class:`Accredited` wraps a source:
once it has answered, each distinct ISSN among its candidates is asked of DOAJ (all at once,
the directory bounding how many go out together) and looked up in the library's SINTA list,
within what is left of the search deadline, so the draft is never later than it would have been.
An ISSN DOAJ did not answer for in time is "unknown", never "not listed".
"""

from __future__ import annotations

import asyncio
import datetime
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Protocol

from refbot.catalog.journals.accreditation import labels
from refbot.catalog.journals.sinta import SintaFile, SintaList
from refbot.models import Candidate, InformationNeed
from refbot.pipeline.budget import answer_and_time_left
from refbot.ports import Source

log = logging.getLogger(__name__)


class JournalDirectory(Protocol):
    """A list of vetted journals asked one ISSN at a time (DOAJ: :class:`connectors.doaj.DoajDirectory`)."""

    async def listed(self, issn: str) -> bool | None:
        """True listed, False not listed, None when the list could not be asked (never raises)."""
        ...


class Accredited:
    """A source whose candidates carry ``accreditation`` (a :class:`refbot.ports.Source`)."""

    def __init__(
        self,
        source: Source,
        *,
        doaj: JournalDirectory | None,
        sinta: SintaFile | None,
        deadline: float,
        today: Callable[[], datetime.date],
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = source.name
        self.source = source
        self.doaj = doaj
        self.sinta = sinta
        self.deadline = deadline
        self.today = today
        self.monotonic = monotonic

    def close(self) -> None:
        """Release what the wrapped source holds (Crossref's threads), at shutdown."""
        close = getattr(self.source, "close", None)
        if callable(close):
            close()

    def set_share(self, workers: int) -> None:
        """Pass the worker count on to a wrapped source with a rate limit of its own (Crossref)."""
        set_share = getattr(self.source, "set_share", None)
        if callable(set_share):
            set_share(workers)

    async def search(self, need: InformationNeed, limit: int) -> list[Candidate]:
        """The source's answer, each candidate with an ISSN marked with its journal's accreditation."""
        found, budget = await answer_and_time_left(self.source, need, limit, deadline=self.deadline,
                                                   monotonic=self.monotonic)
        return await self.mark(found, budget)

    async def mark(self, found: Sequence[Candidate], budget: float) -> list[Candidate]:
        """``found`` with ``accreditation`` filled for every candidate with an ISSN."""
        issns = list(dict.fromkeys(i for c in found for i in c.issn))
        if not issns:
            return list(found)
        sinta = await self.sinta.current() if self.sinta is not None else None
        doaj = await self._ask_doaj(issns, budget)
        today = self.today()
        return [self._marked(c, doaj, sinta, today) for c in found]

    def _marked(self, c: Candidate, doaj: dict[str, bool | None], sinta: SintaList | None,
                today: datetime.date) -> Candidate:
        if not c.issn:
            return c
        found = labels(verdict([doaj.get(i) for i in c.issn]), sinta, c.issn, today, doaj_asked=self.doaj is not None)
        return replace(c, accreditation=found) if found else c

    async def _ask_doaj(self, issns: list[str], budget: float) -> dict[str, bool | None]:
        if self.doaj is None:
            return {}
        doaj = self.doaj
        tasks = {issn: asyncio.create_task(doaj.listed(issn)) for issn in issns}
        _done, pending = await asyncio.wait(tasks.values(), timeout=max(budget, 0.0))
        for task in pending:
            task.cancel()
        if pending:
            log.info("DOAJ did not answer for %d of %d ISSNs in time; they show as unknown", len(pending), len(issns))
            await asyncio.gather(*pending, return_exceptions=True)
        return {issn: _outcome(task) for issn, task in tasks.items()}


def verdict(answers: Sequence[bool | None]) -> bool | None:
    """One journal's answer from its ISSNs': listed under any, not listed only when every ISSN was answered."""
    if any(a is True for a in answers):
        return True
    if answers and all(a is False for a in answers):
        return False
    return None


def _outcome(task: asyncio.Task[bool | None]) -> bool | None:
    if task.cancelled():
        return None
    error = task.exception()
    if error is not None:  # a bug in the directory must not cost the patron the draft
        log.error("asking DOAJ failed", exc_info=error)
        return None
    return task.result()
