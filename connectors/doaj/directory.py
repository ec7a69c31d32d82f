"""DoajDirectory: "is the journal with this ISSN in DOAJ?" — yes, no, or unknown.

Each ISSN is one search (``issn:NNNN-NNNC``, the form DOAJ documents). Answers are kept in the
store (``journals.doaj_cache_ttl``): a journal asked about again costs no request. While DOAJ is
down or slow a kept answer up to ``journals.doaj_stale_ttl`` old stands in; with none, the
answer is None — "unknown", which a draft shows as such and never as "not in DOAJ". Drafts
asking about the same ISSN at once share one request, and at most
``journals.doaj_max_concurrent`` requests go out together (DOAJ is a free service shared by all).
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter

import aiohttp

from connectors.doaj.client import DoajClient
from connectors.doaj.records import Listing, listing
from refbot.config import JournalSettings
from refbot.errors import SourceError
from refbot.store.cache import SourceCache

log = logging.getLogger(__name__)


class DoajDirectory:
    """DOAJ asked one ISSN at a time (a ``JournalDirectory`` for :mod:`refbot.catalog.journals.accredited`).

    ``stats`` counts ``requests`` sent, ``cache_hits``, ``stale`` answers used while DOAJ failed,
    ``unknown`` answers and ``shared`` lookups.
    """

    def __init__(self, settings: JournalSettings, session: aiohttp.ClientSession, *,
                 cache: SourceCache | None = None, client: DoajClient | None = None) -> None:
        self.settings = settings
        self.client = client or DoajClient(settings.doaj_base_url, session, timeout=settings.doaj_timeout)
        self.cache = cache
        self.gate = asyncio.Semaphore(settings.doaj_max_concurrent)
        self.stats: Counter[str] = Counter()
        self._flights: dict[str, asyncio.Future[bool | None]] = {}

    async def listed(self, issn: str) -> bool | None:
        """True when DOAJ lists a journal under ``issn``, False when it does not, None when unknown."""
        issn = issn.strip().upper()
        flight = self._flights.get(issn)
        if flight is not None:
            self.stats["shared"] += 1
            return await asyncio.shield(flight)
        flight = asyncio.get_running_loop().create_future()
        self._flights[issn] = flight
        try:
            answer = await self._lookup(issn)
        except BaseException:
            flight.set_result(None)  # whoever shares it sees "unknown"; a cancelled lookup is retried next time
            raise
        finally:
            self._flights.pop(issn, None)
        flight.set_result(answer)
        return answer

    async def _lookup(self, issn: str) -> bool | None:
        key = f"issn:{issn}"
        kept = await self.cache.get(key) if self.cache else None
        known = Listing.from_plain(kept.value) if kept else None
        if kept and known and kept.younger_than(self.settings.doaj_cache_ttl):
            self.stats["cache_hits"] += 1
            return known.listed
        try:
            async with self.gate:
                self.stats["requests"] += 1
                found = listing(await self.client.search_journals(key), issn)
        except SourceError as e:
            return self._unanswered(issn, e, kept.age if kept else None, known)
        if self.cache:
            await self.cache.put(key, found.plain())
        return found.listed

    def _unanswered(self, issn: str, error: SourceError, age: float | None, known: Listing | None) -> bool | None:
        if known is not None and age is not None and age < self.settings.doaj_stale_ttl:
            self.stats["stale"] += 1
            log.warning("DOAJ failed for ISSN %s (%s); its answer of %.0f hours ago is used", issn, error.reason,
                        age / 3600)
            return known.listed
        self.stats["unknown"] += 1
        log.warning("DOAJ failed for ISSN %s (%s); shown as unknown", issn, error.reason)
        return None
