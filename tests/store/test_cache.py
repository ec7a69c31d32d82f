"""SourceCache: answers kept per source and key, aged by the store's clock, never a failure."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from refbot.store import Store
from refbot.store.cache import SourceCache


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def store(tmp_path: Path, clock: Clock) -> AsyncIterator[Store]:
    s = await Store.open(tmp_path / "db.sqlite3", clock=clock)
    yield s
    await s.close()


async def test_an_answer_comes_back_with_its_age(store: Store, clock: Clock) -> None:
    cache = SourceCache(store, "crossref")
    await cache.put("k", {"message": {"items": [{"DOI": "10.5555/x", "title": ["Literasi"]}]}})
    clock.now += 90

    got = await cache.get("k")

    assert got is not None and got.value["message"]["items"][0]["title"] == ["Literasi"]
    assert got.age == 90 and got.younger_than(91) and not got.younger_than(90)


async def test_a_put_replaces_and_restarts_the_age(store: Store, clock: Clock) -> None:
    cache = SourceCache(store, "crossref")
    await cache.put("k", 1)
    clock.now += 50
    await cache.put("k", 2)

    got = await cache.get("k")

    assert got is not None and (got.value, got.age) == (2, 0)


async def test_sources_do_not_see_each_others_answers(store: Store) -> None:
    await SourceCache(store, "crossref").put("k", "from crossref")

    assert await SourceCache(store, "zotero").get("k") is None
    assert await SourceCache(store, "crossref").get("missing") is None


async def test_prune_drops_only_old_answers(store: Store, clock: Clock) -> None:
    cache = SourceCache(store, "crossref")
    await cache.put("old", 1)
    clock.now += 100
    await cache.put("new", 2)

    assert await cache.prune(older_than=50) == 1
    assert await cache.get("old") is None and await cache.get("new") is not None


async def test_a_closed_store_is_a_miss_not_an_error(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "db.sqlite3")
    cache = SourceCache(store, "crossref")
    await cache.put("k", 1)
    await store.close()

    await cache.put("k", 2)  # logged, not raised
    assert await cache.get("k") is None
    assert await cache.prune(0) == 0


async def test_the_migration_made_the_tables(store: Store) -> None:
    rows = await store.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")

    names = {r["name"] for r in rows}
    assert {"source_cache", "zotero_libraries", "zotero_collections", "zotero_items", "zotero_saved"} <= names
