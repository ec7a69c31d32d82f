"""Files kept in the database (the ``files`` table), on SQLite and PostgreSQL, and read by another node."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from refbot.config import load_settings
from refbot.store import Store
from refbot.store.files import DatabaseMedia
from refbot.store.media import FolderMedia, media_store
from tests.postgres import Postgres
from tests.store.conftest import START

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 40  # every byte value, as a real file has


async def test_a_file_is_kept_whole_and_replaced_whole(store: Store) -> None:
    await store.put_file("letters/K7QM-2XWD-9RTA.pdf", PDF, "application/pdf")
    assert await store.file_data("letters/K7QM-2XWD-9RTA.pdf") == PDF
    assert await store.file_exists("letters/K7QM-2XWD-9RTA.pdf")
    row = await store.fetchone("SELECT mime_type, size, stored_at FROM files")
    assert row is not None and (row["mime_type"], row["size"], row["stored_at"]) == ("application/pdf", len(PDF), START)

    await store.put_file("letters/K7QM-2XWD-9RTA.pdf", b"%PDF-1.7 again", "application/pdf")
    assert await store.file_data("letters/K7QM-2XWD-9RTA.pdf") == b"%PDF-1.7 again"
    assert len(await store.fetchall("SELECT key FROM files")) == 1


async def test_a_missing_file_is_none_not_an_error(store: Store) -> None:
    assert await store.file_data("media/1-0123456789abcdef.png") is None
    assert not await store.file_exists("media/1-0123456789abcdef.png")
    assert await store.delete_files(["media/1-0123456789abcdef.png"]) == 0


async def test_keys_under_a_prefix_are_exactly_those_that_start_with_it(store: Store) -> None:
    for key in ("media/1-aaaaaaaaaaaaaaaa.png", "media/12-bbbbbbbbbbbbbbbb.png", "media/1_x.png",
                "exports/referensi-1.ris"):
        await store.put_file(key, b"x", "")
    assert await store.file_keys("media/1-") == ["media/1-aaaaaaaaaaaaaaaa.png"]  # not message 12's
    assert await store.file_keys("media/1_") == ["media/1_x.png"]  # '_' is no wildcard
    assert await store.file_keys("MEDIA/1-") == []  # nor is case ignored
    assert len(await store.file_keys("media/")) == 3 and len(await store.file_keys("")) == 4

    assert await store.delete_files(["media/1-aaaaaaaaaaaaaaaa.png", "media/1_x.png", "media/1_x.png"]) == 2
    assert await store.file_keys("") == ["exports/referensi-1.ris", "media/12-bbbbbbbbbbbbbbbb.png"]


@pytest.mark.parametrize("key", ["../refbot.sqlite3", "/etc/passwd", "media/a/b.png", "media/x.png.part", "x"])
async def test_a_name_refbot_did_not_make_is_refused(store: Store, key: str) -> None:
    with pytest.raises(ValueError, match="not a file key"):
        await store.put_file(key, b"x", "")
    assert await store.fetchall("SELECT key FROM files") == []


async def test_a_file_stored_by_one_node_is_read_and_deleted_by_another(postgres: Postgres) -> None:
    url = await postgres.fresh_url()
    web_node, worker_node = await Store.open(url), await Store.open(url)
    try:
        here, there = DatabaseMedia(web_node), DatabaseMedia(worker_node)
        await here.put("letters/K7QM-2XWD-9RTA.pdf", PDF, "application/pdf")
        assert await there.exists("letters/K7QM-2XWD-9RTA.pdf")
        assert await there.get("letters/K7QM-2XWD-9RTA.pdf") == PDF
        assert await there.keys("letters/") == ["letters/K7QM-2XWD-9RTA.pdf"]
        assert await there.delete(["letters/K7QM-2XWD-9RTA.pdf"]) == 1
        assert await here.get("letters/K7QM-2XWD-9RTA.pdf") is None
    finally:
        await web_node.close()
        await worker_node.close()


async def test_files_go_to_the_database_on_postgresql_and_to_folders_beside_sqlite(
    tmp_path: Path, postgres: Postgres,
) -> None:
    base = load_settings(None, env={})
    on_sqlite = replace(base, store=replace(base.store, path=str(tmp_path / "var" / "refbot.sqlite3")))
    url = await postgres.fresh_url()
    on_postgres = replace(base, store=replace(base.store, url=url))
    sqlite_store, pg_store = await Store.open(on_sqlite.store_location), await Store.open(on_postgres.store_location)
    try:
        folders = media_store(on_sqlite, sqlite_store)
        assert isinstance(folders, FolderMedia) and folders.root == tmp_path / "var"
        assert isinstance(media_store(on_postgres, pg_store), DatabaseMedia)
        # One writer on SQLite: a file written while a transaction is open would wait for it forever.
        with pytest.raises(ValueError, match="only on PostgreSQL"):
            DatabaseMedia(sqlite_store)
    finally:
        await sqlite_store.close()
        await pg_store.close()
