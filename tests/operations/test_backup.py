"""`refbot backup`: what a backup holds, how it says so, and when it refuses."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

import pytest

from refbot.catalog.generations import current_name
from refbot.cli import main
from refbot.operations import rotation
from tests.operations.conftest import Desk, fill, make_desk


def backup(desk: Desk, dest: Path, *more: str) -> int:
    return main(["backup", str(dest), "--config", str(desk.config), *more])


def test_a_backup_holds_the_stores_rows_files_catalog_and_config(
    desk: Desk, tmp_path: Path, catalog_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dest = tmp_path / "backup"
    assert backup(desk, dest) == 0

    out = capsys.readouterr().out
    assert f"Backed up to {dest}" in out
    assert "3 requests, 3 drafts" in out and "2 files" in out
    manifest = json.loads((dest / "manifest.json").read_text())
    part = manifest["libraries"]["default"]
    assert part["rows"]["requests"] == 3 and part["rows"]["drafts"] == 3 and part["rows"]["inbox"] == 3
    assert part["journal_rows"] == 3 and part["schema_version"] >= 10
    assert manifest["refbot_version"] and manifest["created_at"] and manifest["backend"] == "sqlite"
    with sqlite3.connect(dest / part["store"]) as copy:
        assert copy.execute("SELECT COUNT(*) FROM drafts").fetchone() == (3,)
    assert not (dest / (part["store"] + "-wal")).exists()
    # Files beside the store, but not a half-written one.
    listed = set(manifest["files"])
    assert "libraries/default/files/media/1-0123456789abcdef.png" in listed
    assert "libraries/default/files/letters/K7QM-2XWD-9RTA.pdf" in listed
    assert not any(name.endswith(".part") for name in listed)
    # The served generation only, and the configuration.
    assert part["index"] == current_name(catalog_dir)
    assert f"catalog/{part['index']}/manifest.json" in listed
    assert manifest["config"] == "config.yaml" and (dest / "config.yaml").read_text() == desk.config.read_text()
    size = manifest["files"]["libraries/default/store.sqlite3"]
    assert size["size"] == (dest / part["store"]).stat().st_size and len(size["sha256"]) == 64


def test_only_the_served_generation_is_backed_up(tmp_path: Path, catalog_dir: Path) -> None:
    import shutil

    index_dir = tmp_path / "indexes"
    shutil.copytree(catalog_dir, index_dir)
    served = current_name(index_dir)
    assert served is not None
    shutil.copytree(index_dir / served, index_dir / "gen-19990101T000000-0000")  # an older one
    desk = make_desk(tmp_path / "desk", index_dir)
    asyncio.run(fill(desk, 1))
    assert backup(desk, tmp_path / "backup") == 0
    assert [p.name for p in (tmp_path / "backup" / "catalog").iterdir()] == [served]


def test_a_backup_into_a_folder_that_is_not_empty_is_refused(
    desk: Desk, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dest = tmp_path / "backup"
    dest.mkdir()
    (dest / "last-week.txt").write_text("keep me")

    assert backup(desk, dest) == 1
    assert "exists and is not empty" in capsys.readouterr().err
    assert [p.name for p in dest.iterdir()] == ["last-week.txt"]


def test_a_failed_backup_leaves_nothing_behind(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    desk = make_desk(tmp_path / "desk", tmp_path / "indexes")  # no store was ever made here
    dest = tmp_path / "backup"

    assert backup(desk, dest) == 1
    err = capsys.readouterr().err
    assert "backup failed" in err and "refbot.sqlite3 does not exist" in err
    assert not dest.exists()


def test_a_consortium_backs_up_each_librarys_store(tmp_path: Path, catalog_dir: Path) -> None:
    desk = make_desk(tmp_path / "desk", catalog_dir, libraries=[
        {"id": "ui", "whatsapp": {"phone_number_id": "1001"}},
        {"id": "itb", "whatsapp": {"phone_number_id": "1002"}},
    ])
    asyncio.run(_ask_each(desk))
    dest = tmp_path / "backup"
    assert backup(desk, dest) == 0

    manifest = json.loads((dest / "manifest.json").read_text())
    assert {k: v["rows"]["requests"] for k, v in manifest["libraries"].items()} == {"ui": 1, "itb": 2}
    assert manifest["libraries"]["ui"]["store"] == "libraries/ui/store.sqlite3"


async def _ask_each(desk: Desk) -> None:
    from refbot.store import Store
    from tests.store.conftest import ask

    for library, questions in (("ui", 1), ("itb", 2)):
        store = await Store.open(desk.settings.library(library).store_location)
        for n in range(questions):
            await ask(store, wamid=f"wamid.{library}{n}")
        await store.close()


def test_nightly_backups_under_a_folder_keep_the_newest(desk: Desk, tmp_path: Path) -> None:
    parent = tmp_path / "nightly"
    parent.mkdir()
    for day in ("20260101T013000Z", "20260102T013000Z", "20260103T013000Z"):
        (parent / f"refbot-{day}").mkdir()
        (parent / f"refbot-{day}" / "manifest.json").write_text("{}")
    (parent / "refbot-20260104T013000Z").mkdir()  # a backup killed half-way: no manifest
    (parent / "notes").mkdir()

    assert main(["backup", "--under", str(parent), "--keep", "2", "--config", str(desk.config)]) == 0

    left = sorted(p.name for p in parent.iterdir())
    assert left[0] == "notes" and left[1] == "refbot-20260103T013000Z"
    assert len(left) == 3 and left[2].startswith(rotation.PREFIX) and (parent / left[2] / "manifest.json").is_file()
