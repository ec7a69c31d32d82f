"""`refbot backup` and `refbot restore` on PostgreSQL: pg_dump of refbot's schemas, pg_restore into a stopped desk."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
import yaml

from refbot.cli import main
from refbot.store import Store
from tests.postgres import Postgres
from tests.store.conftest import ask

pytestmark = pytest.mark.slow


def configure(folder: Path, url: str, index_dir: Path, **extra: object) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "config.yaml"
    config.write_text(yaml.safe_dump({"store": {"path": "refbot.sqlite3", "url": url},
                                      "catalog": {"index_dir": str(index_dir)}, **extra}))
    return config


async def cli(*argv: str) -> int:
    return await asyncio.to_thread(main, list(argv))


async def state(url: str) -> tuple[int, int, bytes | None]:
    """Drafts, files, and one letter's bytes in the store at ``url``."""
    store = await Store.open(url)
    try:
        return (len(await store.draft_ids()), len(await store.file_keys("")),
                await store.file_data("letters/K7QM-2XWD-9RTA.pdf"))
    finally:
        await store.close()


async def test_a_postgresql_desk_is_dumped_and_restored_whole(
    postgres: Postgres, tmp_path: Path, catalog_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = await postgres.fresh_url()
    store = await Store.open(url)
    for n in range(4):
        await ask(store, wamid=f"wamid.pg{n}")
    await store.put_file("letters/K7QM-2XWD-9RTA.pdf", b"%PDF-1.4 a clearance letter", "application/pdf")
    await store.close()
    config = configure(tmp_path / "desk", url, catalog_dir)
    dest = tmp_path / "backup"

    assert await cli("backup", str(dest), "--config", str(config)) == 0

    manifest = json.loads((dest / "manifest.json").read_text())
    part = manifest["libraries"]["default"]
    assert manifest["backend"] == "postgresql" and manifest["dump"] == "postgresql.dump"
    assert part["rows"]["drafts"] == 4 and part["rows"]["files"] == 1 and part["schema"] == "public"
    assert part["schema_version"] >= 10 and part["index"]

    # Into another, empty database: everything the manifest counted is there.
    other = await postgres.fresh_url()
    restored = configure(tmp_path / "restored", other, tmp_path / "restored" / "indexes")
    assert await cli("restore", str(dest), "--config", str(restored)) == 0
    assert await state(other) == (4, 1, b"%PDF-1.4 a clearance letter")
    assert (tmp_path / "restored" / "indexes" / "CURRENT").read_text().strip() == part["index"]

    # Back over the desk itself, after it went on: refused without --force, then replaced whole.
    store = await Store.open(url)
    await ask(store, wamid="wamid.after")
    try:
        assert await cli("restore", str(dest), "--config", str(config), "--force") == 1
        assert "refbot is running" in capsys.readouterr().err  # this open store is a running desk
    finally:
        await store.close()
    assert await cli("restore", str(dest), "--config", str(config)) == 1
    assert "schema public" in capsys.readouterr().err
    assert await cli("restore", str(dest), "--config", str(config), "--force") == 0
    assert await state(url) == (4, 1, b"%PDF-1.4 a clearance letter")


async def test_a_consortium_on_postgresql_dumps_each_librarys_schema(
    postgres: Postgres, tmp_path: Path, catalog_dir: Path
) -> None:
    url = await postgres.fresh_url()
    libraries = [{"id": "ui", "whatsapp": {"phone_number_id": "1001"}},
                 {"id": "itb", "whatsapp": {"phone_number_id": "1002"}}]
    for library, questions in (("ui", 1), ("itb", 2)):
        store = await Store.open(f"{url}?schema=library_{library}")
        for n in range(questions):
            await ask(store, wamid=f"wamid.{library}{n}")
        await store.close()
    dest = tmp_path / "backup"
    config = configure(tmp_path / "desk", url, catalog_dir, libraries=libraries)
    assert await cli("backup", str(dest), "--config", str(config)) == 0

    manifest = json.loads((dest / "manifest.json").read_text())
    assert {k: (v["schema"], v["rows"]["requests"]) for k, v in manifest["libraries"].items()} == {
        "ui": ("library_ui", 1), "itb": ("library_itb", 2)}

    other = await postgres.fresh_url()
    restored = configure(tmp_path / "restored", other, tmp_path / "indexes", libraries=libraries)
    assert await cli("restore", str(dest), "--config", str(restored)) == 0
    store = await Store.open(f"{other}?schema=library_itb")
    try:
        assert len(await store.draft_ids()) == 2
    finally:
        await store.close()
