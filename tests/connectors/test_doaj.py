"""DOAJ, asked by ISSN over real HTTP: the stand-in on loopback speaking DOAJ's wire format.

What a librarian relies on: a listed journal is "yes", an unlisted one "no", and DOAJ being
down or slow is "unknown" — never "no".
"""

from __future__ import annotations

import asyncio
import datetime
import json
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from connectors.doaj import DoajDirectory
from connectors.doaj.records import listing
from refbot.catalog.journals.accredited import Accredited
from refbot.config import JournalSettings
from refbot.models import Candidate, InformationNeed, Kind
from refbot.sandbox.doaj import create_doaj_standin
from refbot.store import Store
from refbot.store.cache import SourceCache
from tests.conftest import serve, shared_data


class StandIn:
    """The DOAJ stand-in on a port of its own, with its fault switch and request counts."""

    def __init__(self, url: str, http: aiohttp.ClientSession) -> None:
        self.url = url
        self.http = http

    def settings(self, **over: Any) -> JournalSettings:
        return replace(JournalSettings(doaj=True, doaj_base_url=f"{self.url}/api", doaj_timeout=1.0), **over)

    async def fault(self, **fault: Any) -> None:
        async with self.http.post(f"{self.url}/_control", json=fault) as resp:
            assert resp.status == 200, await resp.text()

    async def requests(self) -> int:
        async with self.http.get(f"{self.url}/_stats") as resp:
            return int(sum((await resp.json())["requests"].values()))


async def _running(app: web.Application) -> AsyncIterator[StandIn]:
    runner, url = await serve(app)
    try:
        async with aiohttp.ClientSession() as http:
            yield StandIn(url, http)
    finally:
        await runner.cleanup()


@pytest.fixture
async def doaj() -> AsyncIterator[StandIn]:
    async for standin in _running(create_doaj_standin()):
        yield standin


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = await Store.open(tmp_path / "db.sqlite3")
    yield opened
    await opened.close()


async def test_listed_not_listed_and_the_answer_kept_for_the_next_draft(doaj: StandIn, store: Store) -> None:
    directory = DoajDirectory(doaj.settings(), doaj.http, cache=SourceCache(store, "doaj"))
    assert await directory.listed("1907-4239") is True   # Berkala Literasi Informasi, by its print ISSN
    assert await directory.listed("2503-1864") is True   # … and by its electronic one
    assert await directory.listed("1544-7189") is False  # Journal of Academic Reference Services: not in DOAJ
    assert await doaj.requests() == 3
    again = DoajDirectory(doaj.settings(), doaj.http, cache=SourceCache(store, "doaj"))
    assert await again.listed("1907-4239") is True and await again.listed("1544-7189") is False
    assert await doaj.requests() == 3 and again.stats["cache_hits"] == 2


async def test_an_outage_is_unknown_never_not_listed(doaj: StandIn) -> None:
    await doaj.fault(status=503)
    directory = DoajDirectory(doaj.settings(), doaj.http)
    assert await directory.listed("1907-4239") is None
    assert await directory.listed("1544-7189") is None
    assert await doaj.requests() == 6  # each tried three times
    await doaj.fault(body="not-json")  # a proxy's page while DOAJ is down
    assert await directory.listed("1544-7189") is None


async def test_a_kept_answer_stands_in_while_doaj_is_down(doaj: StandIn, store: Store) -> None:
    fresh = DoajDirectory(doaj.settings(), doaj.http, cache=SourceCache(store, "doaj"))
    assert await fresh.listed("1907-4239") is True
    await doaj.fault(status=500)
    old = DoajDirectory(doaj.settings(doaj_cache_ttl=0.0), doaj.http, cache=SourceCache(store, "doaj"))
    assert await old.listed("1907-4239") is True and old.stats["stale"] == 1
    too_old = DoajDirectory(doaj.settings(doaj_cache_ttl=0.0, doaj_stale_ttl=0.0), doaj.http,
                            cache=SourceCache(store, "doaj"))
    assert await too_old.listed("1907-4239") is None


async def test_slow_down_is_honoured_and_a_refused_query_is_not_retried(doaj: StandIn) -> None:
    await doaj.fault(status=429, retry_after=0.2, times=1)
    directory = DoajDirectory(doaj.settings(), doaj.http)
    started = time.monotonic()
    assert await directory.listed("1907-4239") is True
    assert time.monotonic() - started >= 0.2 and await doaj.requests() == 2
    async with doaj.http.get(f"{doaj.url}/api/search/journals/%20") as resp:
        assert resp.status == 400 and "error" in await resp.json()


async def test_drafts_asking_at_once_share_one_request(doaj: StandIn) -> None:
    await doaj.fault(delay=0.3, times=1)
    directory = DoajDirectory(doaj.settings(), doaj.http)
    answers = await asyncio.gather(*(directory.listed("2301-5578") for _ in range(5)))
    assert answers == [True] * 5 and await doaj.requests() == 1 and directory.stats["shared"] == 4


async def test_a_slow_doaj_never_makes_the_draft_late(doaj: StandIn) -> None:
    await doaj.fault(delay=30)
    article = Candidate("crossref", "10.5555/x", Kind.ARTICLE, "Literasi informasi", issn=("1907-4239", "2503-1864"))
    book = Candidate("catalog", "b1", Kind.BOOK, "Literasi informasi")

    class Found:
        name = "crossref"

        async def search(self, need: InformationNeed, limit: int) -> list[Candidate]:
            return [article, book]

    accredited = Accredited(Found(), doaj=DoajDirectory(doaj.settings(doaj_timeout=30.0), doaj.http), sinta=None,
                            deadline=1.0, today=lambda: datetime.date(2026, 12, 3))
    started = time.monotonic()
    marked = await accredited.search(InformationNeed(raw="literasi informasi"), 10)
    assert time.monotonic() - started < 5.0
    assert marked[0].accreditation == ("DOAJ unknown",) and marked[1] == book


async def test_the_journals_in_recorded_real_answers_are_found_by_either_issn() -> None:
    recorded = shared_data("doaj", "jaod-v2")
    files = [recorded / "jaod_journal_search_params__1.json", recorded / "jaod_journal__0.json"]
    async for doaj in _running(create_doaj_standin(files, demo=False)):
        directory = DoajDirectory(doaj.settings(), doaj.http)
        assert await directory.listed("1978-8320") is True   # Jurnal Riptek, print
        assert await directory.listed("2716-3482") is True   # … electronic
        assert await directory.listed("1545-7885") is True   # PLoS Biology
        assert await directory.listed("1907-4239") is False  # the demo's journal is not in these answers
        async with doaj.http.get(f"{doaj.url}/api/v4/search/journals/issn:2716-3482") as resp:
            body = await resp.json()
        real = json.loads((recorded / "jaod_journal_search_params__1.json").read_text(encoding="utf-8"))
        assert set(body) >= {"total", "page", "pageSize", "query", "results"} and body["total"] == 1
        assert set(body["results"][0]) == set(next(r for r in real["results"] if r["bibjson"].get("eissn") == "2716-3482"))


def test_a_search_answer_about_another_journal_is_not_a_yes() -> None:
    recorded = shared_data("doaj", "jaod-v2", "jaod_journal_search__0.json")
    body = json.loads(recorded.read_text(encoding="utf-8"))  # journals with "heritage" in their keywords
    assert listing(body, "2460-5735").listed and listing(body, "2460-5735").title == "Journal Sampurasun"
    assert not listing(body, "1907-4239").listed
    withdrawn = {"results": [{"bibjson": {"pissn": "1907-4239", "title": "X"}, "admin": {"in_doaj": False}}]}
    assert not listing(withdrawn, "1907-4239").listed


def test_the_wrapped_source_is_still_paced_and_closed_as_before() -> None:
    told: list[str] = []

    class Paced:
        name = "crossref"

        async def search(self, need: InformationNeed, limit: int) -> list[Candidate]:
            return []

        def set_share(self, workers: int) -> None:
            told.append(f"share {workers}")

        def close(self) -> None:
            told.append("closed")

    accredited = Accredited(Paced(), doaj=None, sinta=None, deadline=1.0, today=datetime.date.today)
    accredited.set_share(3)  # the worker's loop: several workers share Crossref's rate limit
    accredited.close()       # Services.close at shutdown: Crossref's threads are released
    assert told == ["share 3", "closed"] and accredited.name == "crossref"
