"""Crossref across many questions: the store cache, stale answers, the concurrency cap, the pace."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from connectors.crossref import CrossrefSource, RateLimit, parse_rate_limit
from connectors.crossref.pacing import Gate, RateLimiter
from refbot.config import CrossrefSettings
from refbot.errors import SourceError, SourceTimeout
from refbot.sandbox.crossref import create_crossref_standin
from refbot.store import Store
from refbot.store.cache import SourceCache
from tests.connectors.crossref_support import Clock, Standin, need

TOPICS = [("minat", "baca"), ("literasi", "informasi"), ("perpustakaan", "digital"), ("layanan", "referensi"),
          ("arsip", "digital"), ("repositori", "institusi")]


@pytest.fixture
async def standin() -> AsyncIterator[Standin]:
    async with TestServer(create_crossref_standin()) as server, aiohttp.ClientSession() as http:
        yield Standin(str(server.make_url("")).rstrip("/"), http)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def cache(tmp_path: Path, clock: Clock) -> AsyncIterator[SourceCache]:
    store = await Store.open(tmp_path / "db.sqlite3", clock=clock)
    yield SourceCache(store, "crossref")
    await store.close()


# --- the cache ------------------------------------------------------------------------


async def test_the_cache_serves_a_repeat_without_a_request(standin: Standin, cache: SourceCache) -> None:
    source = standin.source(cache=cache)

    first = await source.search(need("minat", "baca", year_from=2018), 5)
    again = await standin.source(cache=cache).search(need("Minat ", "BACA", year_from=2018), 5)

    assert first and again == first
    assert await standin.requests() == {"/works": 1}


async def test_other_filters_are_another_question(standin: Standin, cache: SourceCache) -> None:
    source = standin.source(cache=cache)

    await source.search(need("minat", "baca", year_from=2018), 5)
    await source.search(need("minat", "baca", year_from=2019), 5)

    assert await standin.requests() == {"/works": 2}


async def test_an_answer_past_its_ttl_is_asked_again(standin: Standin, cache: SourceCache, clock: Clock) -> None:
    source = standin.source(cache=cache, cache_ttl=60.0)
    await source.search(need("minat", "baca"), 5)
    clock.now += 61

    await source.search(need("minat", "baca"), 5)

    assert await standin.requests() == {"/works": 2}


@pytest.mark.parametrize(
    "fault",
    [{"status": 503}, {"status": 500}, {"body": "not-json"}, {"body": "truncated"},
     {"status": 429, "retry_after": 30}, {"delay": 10}],
)
async def test_a_stale_answer_stands_in_while_crossref_fails(
    standin: Standin, cache: SourceCache, clock: Clock, fault: dict[str, object]
) -> None:
    source = standin.source(cache=cache, timeout=0.8, cache_ttl=60.0)
    stored = await source.search(need("minat", "baca"), 5)
    clock.now += 3600
    await standin.fault(**fault)

    started = time.monotonic()
    found = await source.search(need("minat", "baca"), 5)

    assert found == stored and source.stats["stale"] == 1
    assert time.monotonic() - started < 1.5


async def test_a_stale_answer_too_old_is_not_served(standin: Standin, cache: SourceCache, clock: Clock) -> None:
    source = standin.source(cache=cache, cache_ttl=60.0, stale_ttl=3600.0)
    await source.search(need("minat", "baca"), 5)
    clock.now += 3601
    await standin.fault(status=503)

    with pytest.raises(SourceError) as caught:
        await source.search(need("minat", "baca"), 5)

    assert caught.value.reason == "Crossref answered 503" and caught.value.source == "crossref"


async def test_a_timeout_without_a_stored_answer_is_still_a_timeout(standin: Standin, cache: SourceCache) -> None:
    await standin.fault(delay=10)

    with pytest.raises(SourceTimeout):
        await standin.source(cache=cache, timeout=0.5).search(need("minat", "baca"), 5)


# --- sharing, the cap, the pace -------------------------------------------------------


async def test_questions_asking_the_same_at_once_share_one_request(standin: Standin) -> None:
    await standin.fault(delay=0.3)
    source = standin.source()

    answers = await asyncio.gather(*(source.search(need("minat", "baca"), 5) for _ in range(8)))

    assert all(a == answers[0] and a for a in answers)
    assert await standin.requests() == {"/works": 1} and source.stats["requests"] == 1


async def test_the_concurrency_cap_holds_across_questions(standin: Standin) -> None:
    await standin.fault(delay=0.3)
    source = standin.source(max_concurrent=2)

    started = time.monotonic()
    answers = await asyncio.gather(*(source.search(need(*t), 5) for t in TOPICS))

    assert all(answers)
    assert source.gate.peak == 2
    assert time.monotonic() - started >= 0.3 * len(TOPICS) / 2 - 0.05
    assert sum((await standin.requests()).values()) == len(TOPICS)


async def test_an_abandoned_call_keeps_its_slot_until_its_thread_ends() -> None:
    gate = Gate(1)
    release = threading.Event()
    first = asyncio.create_task(gate.run(release.wait, 5))
    await asyncio.sleep(0.05)
    first.cancel()  # the question gave up; the thread cannot be stopped
    second = asyncio.create_task(gate.run(lambda: "second"))
    await asyncio.sleep(0.1)

    assert gate.in_flight == 1 and not second.done()
    release.set()
    assert await second == "second" and gate.peak == 1
    gate.close()


async def test_a_429_with_retry_after_holds_every_question(standin: Standin) -> None:
    await standin.fault(status=429, retry_after=1, times=1)
    source = standin.source()

    first = asyncio.create_task(source.search(need("minat", "baca"), 5))
    await asyncio.sleep(0.2)
    started = time.monotonic()
    second = await source.search(need("literasi", "informasi"), 5)

    assert second and await first
    assert time.monotonic() - started >= 0.7  # waited out the rest of the first 429's second
    assert sum((await standin.requests()).values()) == 3


async def test_crossrefs_rate_limit_headers_set_the_pace(standin: Standin) -> None:
    headers = {"X-Rate-Limit-Limit": "2", "X-Rate-Limit-Interval": "1s"}
    await standin.fault(status=503, headers=headers, times=1)
    source = standin.source()

    await source.search(need("minat", "baca"), 5)
    assert (source.limiter.limit, source.limiter.interval) == (2, 1.0)
    started = time.monotonic()
    await asyncio.gather(*(source.search(need(*t), 5) for t in TOPICS[1:6]))

    # Two a second, from a bucket of at most two: the last three wait half a second each.
    assert time.monotonic() - started >= 1.4


def test_rate_limit_headers_are_read() -> None:
    assert parse_rate_limit({"X-Rate-Limit-Limit": "50", "X-Rate-Limit-Interval": "1s"}) == RateLimit(50, 1.0)
    assert parse_rate_limit({"X-Rate-Limit-Limit": "5", "X-Rate-Limit-Interval": "2m"}) == RateLimit(5, 120.0)
    assert parse_rate_limit({"X-Rate-Limit-Limit": "many"}) is None
    assert parse_rate_limit({}) is None


async def test_the_token_bucket_allows_a_burst_then_the_rate() -> None:
    now = [0.0]
    limiter = RateLimiter(3, 1.0, clock=lambda: now[0])

    for _ in range(3):
        assert limiter.wait_needed() == 0
        await limiter.acquire()
    assert limiter.wait_needed() == pytest.approx(1 / 3)
    now[0] += 1 / 3
    assert limiter.wait_needed() == 0
    limiter.hold(5)
    assert limiter.wait_needed() == 5


async def test_a_limiter_with_a_share_of_two_paces_at_half_the_rate() -> None:
    now = [0.0]
    whole, half = RateLimiter(10, 1.0, clock=lambda: now[0]), RateLimiter(10, 1.0, clock=lambda: now[0])
    half.set_share(2)  # two live workers ask Crossref

    assert (half.limit, half.allowed) == (10, 5)
    assert await _starts_within(whole, now, 60) == 10 + 600
    assert await _starts_within(half, now, 60) == 5 + 300
    assert half.wait_needed() == pytest.approx(0.2)
    # Crossref's headers set the whole client's pace; the share still divides it.
    half.update(6, 2.0)
    now[0] += 10
    assert await _starts_within(half, now, 60) == 3 + 90
    half.set_share(12)  # a quarter of a request a second: one every four seconds, never none
    now[0] += 10
    assert await _starts_within(half, now, 40) == 1 + 10


def test_the_source_takes_its_share_of_crossrefs_limit() -> None:
    source = CrossrefSource(CrossrefSettings(rate_limit=8))
    source.set_share(4)
    assert source.limiter.allowed == 2
    source.set_share(0)
    assert source.limiter.allowed == 8
    source.close()


async def _starts_within(limiter: RateLimiter, now: list[float], seconds: float) -> int:
    """How many requests the limiter lets start in ``seconds``, each as soon as it may (the clock moved by hand)."""
    end, started = now[0] + seconds, 0
    while now[0] + limiter.wait_needed() <= end:
        now[0] += limiter.wait_needed()
        await limiter.acquire()  # nothing left to wait for
        started += 1
    return started


async def test_answers_too_old_to_stand_in_are_pruned(standin: Standin, cache: SourceCache, clock: Clock) -> None:
    await cache.put("an old answer", {"message": {"items": []}})
    clock.now += 8 * 86400

    await standin.source(cache=cache).search(need("minat", "baca"), 5)

    assert await cache.get("an old answer") is None
