"""CrossrefSource: a need → Crossref calls → Candidates, within one time budget.

habanero is synchronous, so each call runs in a thread of the source's own bounded pool
(:class:`~connectors.crossref.pacing.Gate`), paced by a token bucket that follows Crossref's
rate-limit headers. Each call's answer is kept in the store (when a cache is given): asked
again within ``crossref.cache_ttl`` it costs no request, and while Crossref is down or slow an
answer up to ``crossref.stale_ttl`` old stands in. Questions asking the same thing at the same
moment share one request. Transient failures (429, 5xx, dropped connections) are retried with
backoff and jitter, honouring ``Retry-After``, but never past the budget.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import Counter
from collections.abc import Awaitable
from dataclasses import dataclass, replace
from typing import Any

import habanero

from connectors.crossref.failures import SOURCE_NAME, Failure, describe_failure
from connectors.crossref.journals import journal_to_candidate, journals_from, works_from
from connectors.crossref.pacing import Gate, RateLimiter, SingleFlight
from connectors.crossref.query import Call, JournalByIssn, JournalSearch, Plan, RecentWorks, WorksQuery, plan
from connectors.crossref.works import candidates_from
from refbot.config import CrossrefSettings
from refbot.errors import SourceError, SourceTimeout
from refbot.models import Candidate, InformationNeed
from refbot.store.cache import SourceCache

log = logging.getLogger(__name__)

NOT_FOUND: dict[str, Any] = {"status": "not-found"}
PRUNE_EVERY = 3600.0


@dataclass(frozen=True)
class RetryPolicy:
    """How many times, and how patiently, a transient Crossref failure is tried again.

    Attributes:
        attempts: tries in all, the first included.
        base_delay: seconds before the second try; doubled for each later one.
        max_delay: ceiling on one backoff pause.
        jitter: up to this share of a pause is added at random, so many workers do not
            retry in lockstep.
    """

    attempts: int = 3
    base_delay: float = 0.25
    max_delay: float = 2.0
    jitter: float = 0.5

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Seconds to wait after failed try number ``attempt`` (1-based)."""
        pause = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return pause * (1 + self.jitter * rng.random())


def without_query_echo(body: Any) -> Any:
    """Crossref's answer without the ``query`` it echoes back: the patron's words stay out of the cache."""
    message = body.get("message") if isinstance(body, dict) else None
    if isinstance(message, dict) and "query" in message:
        return {**body, "message": {k: v for k, v in message.items() if k != "query"}}
    return body


class CrossrefSource:
    """Searches Crossref's works and journals through habanero; a :class:`refbot.ports.Source`.

    ``stats`` counts what happened across questions: ``requests`` sent, ``cache_hits``,
    ``stale`` answers served while Crossref failed, and ``shared`` requests.
    """

    name = SOURCE_NAME

    def __init__(
        self,
        settings: CrossrefSettings,
        *,
        cache: SourceCache | None = None,
        retry: RetryPolicy | None = None,
        rng: random.Random | None = None,
        share_requests: bool = True,
    ) -> None:
        """Prepare a source; nothing is contacted until :meth:`search`.

        Args:
            settings: base URL, contact address, budget, rows, pace and cache ages.
            cache: where answers are remembered; None asks Crossref every time.
            retry: how transient failures are retried; the default tries three times.
            rng: randomness for backoff jitter, injectable so a test can pin it.
            share_requests: questions asking the same thing at once share one request;
                False sends one each (a baseline to measure against).
        """
        self._settings = settings
        # habanero appends "/works/" to the base itself; a trailing slash would double it.
        self._base_url = settings.base_url.rstrip("/")
        self._cache = cache
        self._retry = retry or RetryPolicy()
        self._rng = rng or random.Random()
        self.gate = Gate(settings.max_concurrent)
        self.limiter = RateLimiter(settings.rate_limit)
        self._flights = SingleFlight() if share_requests else None
        self.stats: Counter[str] = Counter()
        self._next_prune = 0.0

    async def search(self, need: InformationNeed, limit: int) -> list[Candidate]:
        """Search Crossref for a need: its journals when it asks about journals, else works.

        Raises:
            SourceTimeout: Crossref did not answer within ``crossref.timeout`` seconds, and no
                stored answer could stand in.
            SourceError: Crossref could not be reached or gave an unusable answer.
        """
        calls = plan(need, min(limit, self._settings.rows), journals=self._settings.journals)
        if not calls:
            return []
        deadline = time.monotonic() + self._settings.timeout
        if calls.issns:
            found = await self._journals_by_issn(calls, deadline)
        else:
            found = await self._journals_and_works(calls, deadline)
        return [_ranked(c, rank) for rank, c in enumerate(found[:limit], start=1)]

    def set_share(self, workers: int) -> None:
        """Ask Crossref at ``1 / workers`` of the allowed rate: the other live workers ask too."""
        self.limiter.set_share(workers)

    def close(self) -> None:
        """Release the worker threads (at shutdown)."""
        self.gate.close()

    # -- the parts of a search -----------------------------------------------------------

    async def _journals_by_issn(self, calls: Plan, deadline: float) -> list[Candidate]:
        lookups = [self._journal(issn, deadline) for issn in calls.issns]
        outcomes = await asyncio.gather(*lookups, return_exceptions=True)
        found = [c for c in outcomes if isinstance(c, Candidate)]
        errors = [e for e in outcomes if isinstance(e, BaseException)]
        if errors and not found:
            raise _as_source_error(errors[0])
        return found

    async def _journal(self, issn: str, deadline: float) -> Candidate | None:
        record: Any
        recent: Any
        record, recent = await asyncio.gather(
            self._answer(JournalByIssn(issn), deadline, not_found_ok=True),
            self._answer(RecentWorks(issn), deadline, not_found_ok=True),
            return_exceptions=True,
        )
        if isinstance(record, BaseException):
            raise record
        journals = journals_from(record)
        if not journals:
            return None
        works = [] if isinstance(recent, BaseException) else works_from(recent)
        return journal_to_candidate(journals[0], 1, works)

    async def _journals_and_works(self, calls: Plan, deadline: float) -> list[Candidate]:
        journals, works = await asyncio.gather(
            self._journal_list(calls.journal_search, deadline),
            self._works(calls.works, deadline),
            return_exceptions=True,
        )
        if isinstance(journals, BaseException) and (isinstance(works, BaseException) or calls.works is None):
            raise _as_source_error(journals)
        if isinstance(works, BaseException) and (isinstance(journals, BaseException) or not journals):
            raise _as_source_error(works)
        found = [] if isinstance(journals, BaseException) else journals
        return found + ([] if isinstance(works, BaseException) else works)

    async def _journal_list(self, query: JournalSearch | None, deadline: float) -> list[Candidate]:
        if query is None:
            return []
        body = await self._answer(query, deadline)
        return [journal_to_candidate(j, rank) for rank, j in enumerate(journals_from(body), start=1)]

    async def _works(self, query: WorksQuery | None, deadline: float) -> list[Candidate]:
        if query is None:
            return []
        return candidates_from(await self._answer(query, deadline), query.rows)

    # -- one call: cache, shared flight, retries -----------------------------------------

    async def _answer(self, call: Call, deadline: float, *, not_found_ok: bool = False) -> Any:
        cached = await self._cache.get(call.key) if self._cache else None
        if cached is not None and cached.younger_than(self._settings.cache_ttl):
            self.stats["cache_hits"] += 1
            return cached.value
        budget = self._settings.timeout

        def make() -> Awaitable[Any]:
            return self._fetch_and_keep(call, deadline, not_found_ok)

        try:
            fetch = self._flights.run(call.key, make) if self._flights is not None else make()
            return await asyncio.wait_for(fetch, max(deadline - time.monotonic(), 0.0))
        except (SourceError, TimeoutError) as e:
            error = e if isinstance(e, SourceError) else SourceTimeout(
                self.name, f"Crossref did not answer within {budget:g} s")
            if cached is not None and cached.younger_than(self._settings.stale_ttl):
                log.warning("crossref: %s; serving the answer stored %.0f s ago", error.reason, cached.age)
                self.stats["stale"] += 1
                return cached.value
            raise error from e

    async def _fetch_and_keep(self, call: Call, deadline: float, not_found_ok: bool) -> Any:
        if self._cache is not None:
            # Another question's request may have landed since this one looked.
            landed = await self._cache.get(call.key)
            if landed is not None and landed.younger_than(self._settings.cache_ttl):
                self.stats["cache_hits"] += 1
                return landed.value
        body = await self._fetch_with_retries(call, deadline, not_found_ok)
        if self._cache is not None:
            await self._cache.put(call.key, without_query_echo(body))
            if time.monotonic() >= self._next_prune:
                # Answers too old to stand in even for a down Crossref are only weight.
                self._next_prune = time.monotonic() + PRUNE_EVERY
                await self._cache.prune(older_than=self._settings.stale_ttl)
        return body

    async def _fetch_with_retries(self, call: Call, deadline: float, not_found_ok: bool) -> Any:
        budget = self._settings.timeout
        for attempt in range(1, self._retry.attempts + 1):
            held = self.limiter.wait_needed()
            if time.monotonic() + held >= deadline:
                raise SourceError(self.name, f"Crossref asked refbot to wait {held:.1f} s before asking again")
            try:
                return await self.gate.run(self._call, call, deadline, before=self._start_request)
            except Exception as exc:  # habanero raises many unrelated types; sorted below
                failure = describe_failure(exc, budget)
                if not_found_ok and failure.status == 404:
                    return NOT_FOUND
                log.warning("crossref try %d failed: %s (%r)", attempt, failure.reason, exc)
                self._learn(failure)
                pause = self._pause(failure, attempt)
                # Sleeping past the deadline would only turn a clear answer into a timeout.
                if pause is None or time.monotonic() + pause >= deadline:
                    raise failure.error() from exc
                await asyncio.sleep(pause)
        raise AssertionError("unreachable: the last attempt always raises")

    async def _start_request(self) -> None:
        await self.limiter.acquire()
        self.stats["requests"] += 1

    def _learn(self, failure: Failure) -> None:
        if failure.rate_limit is not None:
            self.limiter.update(failure.rate_limit.limit, failure.rate_limit.interval)
        if failure.status == 429 and failure.retry_after:
            self.limiter.hold(failure.retry_after)

    def _pause(self, failure: Failure, attempt: int) -> float | None:
        if not failure.transient or attempt >= self._retry.attempts:
            return None
        if failure.retry_after is not None:
            return failure.retry_after
        return self._retry.backoff(attempt, self._rng)

    def _call(self, call: Call, deadline: float) -> Any:
        # Runs in a worker thread. A fresh client per call: habanero keeps the timeout on the
        # instance, and the thread cannot be cancelled, so it gets no more time than is left.
        timeout = max(deadline - time.monotonic(), 0.05)
        client = habanero.Crossref(base_url=self._base_url, mailto=self._settings.mailto or None, timeout=timeout)
        return call.run(client)


def _ranked(c: Candidate, rank: int) -> Candidate:
    return c if c.source_rank == rank else replace(c, source_rank=rank)


def _as_source_error(error: BaseException) -> SourceError:
    if isinstance(error, SourceError):
        return error
    return SourceError(SOURCE_NAME, f"failed unexpectedly ({type(error).__name__})")
