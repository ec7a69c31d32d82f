"""Live availability: while a draft is made, the library system says which copies are on the shelf now.

The catalog's holdings are as old as its last export. :class:`LiveAvailability` wraps the
catalog source: once the catalog has answered, the copies of the records it found are asked of
the library system (:class:`refbot.ports.ShelfStatus`: Koha's ``/items``, SLiMS's ``item`` and
``loan``) within what is left of the search deadline, so the draft is never later than it
would have been. Answers are kept for a few minutes (:data:`TTL`, in this process), so a
second question about the same books asks nothing.

What a holding says is marked in its ``status`` (after :data:`_MARK`), which the draft keeps:

- ``checked@2026-12-01T10:42+07:00`` — the library system said so then (library time zone);
- ``catalog@2026-12-01`` — the system did not answer in time; this is the export's figure, as of
  that catalog build.

:func:`shelf_text` words that for the patron: "2 of 3 copies on the shelf now (checked 10:42)",
or "… (as of the catalog data of 1 Dec)".
"""

from __future__ import annotations

import asyncio
import datetime
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from refbot.catalog.harvest.mapping import ONLINE
from refbot.errors import LibraryUnavailable
from refbot.models import Candidate, Holding, InformationNeed
from refbot.pipeline.budget import answer_and_time_left
from refbot.ports import ShelfStatus, Source
from refbot.texts import t

log = logging.getLogger(__name__)

TTL = 180.0
"""Seconds an answer about a record's copies is reused."""
_MARK = " | "
_CHECKED = "checked@"
_AS_OF = "catalog@"
_MAX_CACHED = 5000
_MONTHS = {
    "id": ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"),
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
}


@dataclass(frozen=True)
class ShelfReading:
    """Where a candidate's shelf figures come from: the library system at ``when``, or the export of ``when``."""

    live: bool
    when: datetime.datetime


class LiveAvailability:
    """The catalog source, with the copies of what it finds asked of the library system (a :class:`Source`)."""

    def __init__(
        self,
        catalog: Source,
        shelf: ShelfStatus,
        *,
        deadline: float,
        zone: datetime.tzinfo,
        exported: Callable[[], datetime.datetime | None],
        ttl: float = TTL,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = catalog.name
        self.catalog = catalog
        self.shelf = shelf
        self.deadline = deadline
        self.zone = zone
        self.exported = exported
        self.ttl = ttl
        self.clock = clock
        self.monotonic = monotonic
        self._cache: dict[str, tuple[float, tuple[Holding, ...] | None]] = {}

    async def search(self, need: InformationNeed, limit: int) -> list[Candidate]:
        """The catalog's answer, with live shelf figures where the library system answered in time."""
        found, budget = await answer_and_time_left(self.catalog, need, limit, deadline=self.deadline,
                                                   monotonic=self.monotonic)
        return await self.refresh(found, budget)

    async def refresh(self, found: Sequence[Candidate], budget: float) -> list[Candidate]:
        """``found`` with each record's copies as the library system says now (or marked as the export's)."""
        now = self.clock()
        wanted = [c.source_id for c in found if _on_shelves(c) and not self._fresh(c.source_id, now)]
        if wanted:
            try:
                answer = await asyncio.wait_for(self.shelf.copies(wanted), max(budget, 0.0))
            except (TimeoutError, LibraryUnavailable) as e:
                log.info("shelf status of %d records not had in time (%s); the export's figures are shown",
                         len(wanted), e or "timed out")
                return [self._live(c) if self._fresh(c.source_id, now) else self._exported(c) for c in found]
            except Exception:  # a bug here must not cost the patron the catalog's answer
                log.exception("asking the library system for shelf status failed")
                return [self._live(c) if self._fresh(c.source_id, now) else self._exported(c) for c in found]
            for record in wanted:
                self._cache[record] = (now, answer.get(record))
            self._forget_old(now)
        return [self._live(c) for c in found]

    def _fresh(self, record: str, now: float) -> bool:
        kept = self._cache.get(record)
        return kept is not None and now - kept[0] < self.ttl

    def _live(self, c: Candidate) -> Candidate:
        if not _on_shelves(c):
            return c
        kept = self._cache.get(c.source_id)
        if kept is None or kept[1] is None:
            return c
        checked, copies = kept[0], kept[1]
        when = datetime.datetime.fromtimestamp(checked, self.zone).isoformat(timespec="minutes")
        known = {h.barcode: h for h in c.holdings if h.barcode}
        holdings = tuple(_stamped(_with_export_location(h, known.get(h.barcode)), _CHECKED + when) for h in copies)
        return replace(c, holdings=holdings)

    def _exported(self, c: Candidate) -> Candidate:
        built = self.exported()
        if not c.holdings or built is None or not _on_shelves(c):
            return c
        day = built.astimezone(self.zone).date().isoformat()
        return replace(c, holdings=tuple(_stamped(h, _AS_OF + day) for h in c.holdings))

    def _forget_old(self, now: float) -> None:
        if len(self._cache) > _MAX_CACHED:
            self._cache = {k: v for k, v in self._cache.items() if now - v[0] < self.ttl}

    def close(self) -> None:
        """Close the catalog source it wraps."""
        close = getattr(self.catalog, "close", None)
        if callable(close):
            close()


def _on_shelves(c: Candidate) -> bool:
    """Whether the library system knows the record's copies: not a repository's harvested full text."""
    return bool(c.source_id) and not any(h.status.startswith(ONLINE) for h in c.holdings)


def reading(c: Candidate) -> ShelfReading | None:
    """Where a candidate's shelf figures come from, when refbot asked the library system for them."""
    for h in c.holdings:
        _status, _, mark = h.status.rpartition(_MARK)
        try:
            if mark.startswith(_CHECKED):
                return ShelfReading(True, datetime.datetime.fromisoformat(mark.removeprefix(_CHECKED)))
            if mark.startswith(_AS_OF):
                day = datetime.date.fromisoformat(mark.removeprefix(_AS_OF))
                return ShelfReading(False, datetime.datetime.combine(day, datetime.time()))
        except ValueError:
            continue
    return None


def shown_status(h: Holding) -> str:
    """A holding's status without refbot's mark: ``on loan, due 2026-12-05``."""
    status, sep, mark = h.status.rpartition(_MARK)
    return status if sep and (mark.startswith(_CHECKED) or mark.startswith(_AS_OF)) else h.status


def shelf_text(c: Candidate, language: str) -> str:
    """How many copies are on the shelf, and how fresh that is, as the patron reads it."""
    found = reading(c)
    if found is not None and found.live:
        time_text = _clock(found.when, language)
        if c.available:
            return t(language, _counted("shelf_now", c), available=c.available, copies=c.copies, time=time_text)
        due = _first_due(c)
        if due is not None:
            return t(language, _counted("shelf_none_due", c), copies=c.copies, due=_day(due, language), time=time_text)
        return t(language, _counted("shelf_none_now", c), copies=c.copies, time=time_text)
    if c.available:
        text = t(language, _counted("available", c), available=c.available, copies=c.copies)
    else:
        text = t(language, _counted("none_available", c), copies=c.copies)
    if found is not None:
        text += f" ({t(language, 'shelf_as_of', date=_day(found.when.date(), language))})"
    return text


def _counted(key: str, c: Candidate) -> str:
    """The text for one copy ("1 of 1 copy", "the only copy is on loan") or for several."""
    return f"{key}_one" if c.copies == 1 else key


def _stamped(h: Holding, mark: str) -> Holding:
    return replace(h, status=f"{shown_status(h)}{_MARK}{mark}")


def _with_export_location(live: Holding, exported: Holding | None) -> Holding:
    """The library system's copy, with the export's location and call number where it gives none."""
    if exported is None:
        return live
    return replace(live, location=live.location or exported.location,
                   call_number=live.call_number or exported.call_number)


def _first_due(c: Candidate) -> datetime.date | None:
    dues = []
    for h in c.holdings:
        _, _, due = shown_status(h).partition("on loan, due ")
        try:
            dues.append(datetime.date.fromisoformat(due.strip()[:10]))
        except ValueError:
            continue
    return min(dues) if dues else None


def _clock(moment: datetime.datetime, language: str) -> str:
    """10.42 in Indonesian, 10:42 in English."""
    return moment.strftime("%H.%M" if language == "id" else "%H:%M")


def _day(day: datetime.date, language: str) -> str:
    """1 Des / 1 Dec."""
    return f"{day.day} {_MONTHS.get(language, _MONTHS['id'])[day.month - 1]}"
