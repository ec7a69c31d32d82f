"""SQLite and PostgreSQL reach the same schema: every table and column the store uses exists on both."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from refbot.errors import StoreTooNew
from refbot.store import Store
from tests.postgres import Postgres

ONLY_ON_POSTGRESQL = {"webhooks"}
"""The webhook journal: on SQLite it is a file of its own (refbot.store.journal), on PostgreSQL a table."""


async def _sqlite_columns(store: Store) -> dict[str, set[str]]:
    tables = [r["name"] for r in await store.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")]
    return {t: {r["name"] for r in await store.fetchall(f"PRAGMA table_info({t})")} for t in tables}


async def _postgres_columns(store: Store) -> dict[str, set[str]]:
    rows = await store.fetchall(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public'"
    )
    found: dict[str, set[str]] = {}
    for r in rows:
        found.setdefault(r["table_name"], set()).add(r["column_name"])
    return found


async def test_both_backends_have_the_same_tables_and_columns(tmp_path: Path, postgres: Postgres) -> None:
    lite = await Store.open(tmp_path / "refbot.sqlite3")
    pg = await Store.open(await postgres.fresh_url())
    try:
        on_sqlite, on_postgres = await _sqlite_columns(lite), await _postgres_columns(pg)
        assert set(on_postgres) - ONLY_ON_POSTGRESQL == set(on_sqlite)
        for table, columns in on_sqlite.items():
            assert on_postgres[table] == columns, table
        versions = [r["version"] for r in await pg.fetchall("SELECT version FROM schema_migrations")]
        assert max(versions) == max(r["version"] for r in await lite.fetchall("SELECT version FROM schema_migrations"))
    finally:
        await lite.close()
        await pg.close()


async def test_an_older_refbot_refuses_a_store_a_newer_one_upgraded(tmp_path: Path, postgres: Postgres) -> None:
    # An upgrade was rolled back by reinstalling the old version, without restoring the backup:
    # the old refbot must not write into a schema it does not know.
    for location in (str(tmp_path / "refbot.sqlite3"), await postgres.fresh_url()):
        store = await Store.open(location)
        try:
            newest = max(r["version"] for r in await store.fetchall("SELECT version FROM schema_migrations"))
            async with store.tx() as db:
                await db.execute("INSERT INTO schema_migrations (version) VALUES (?)", (newest + 1,))
        finally:
            await store.close()
        with pytest.raises(StoreTooNew, match=rf"schema version {newest + 1}, made by a newer refbot.*refbot restore"):
            await Store.open(location)


async def test_processes_starting_together_on_an_empty_database_migrate_it_once(postgres: Postgres) -> None:
    url = postgres.cluster.create_database("migrated_by_four")
    stores = await asyncio.gather(*(Store.open(url) for _ in range(4)))
    try:
        versions = [r["version"] for r in await stores[0].fetchall("SELECT version FROM schema_migrations")]
        assert len(versions) == len(set(versions)) and max(versions) >= 10
    finally:
        for s in stores:
            await s.close()


async def test_each_library_schema_on_one_postgresql_database_keeps_its_own_rows(postgres: Postgres) -> None:
    from refbot.models import InboundMessage

    url = postgres.cluster.create_database("consortium")
    undip, unnes = await Store.open(f"{url}?schema=library_undip"), await Store.open(f"{url}?schema=library_unnes")
    try:
        assert await undip.record_inbound(InboundMessage("wamid.1", "6281200000001", "text", text="arsip"))
        assert await unnes.record_inbound(InboundMessage("wamid.1", "6281200000001", "text", text="arsip")), (
            "the same message id in another library's schema is that library's own")
        assert await undip.inbox_counts() == {"pending": 1} and await unnes.inbox_counts() == {"pending": 1}
        [row] = await undip.claim_inbox(5, "w")
        assert await unnes.inbox_counts() == {"pending": 1}
        assert row.message.wamid == "wamid.1"
    finally:
        await undip.close()
        await unnes.close()
