"""`refbot restore`: a stopped desk rebuilt from a backup, and every refusal that protects a desk."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from refbot.catalog.generations import current_name
from refbot.cli import main
from refbot.store import Store
from tests.operations.conftest import Desk, fill, make_desk


@pytest.fixture
def made(desk: Desk, tmp_path: Path) -> Path:
    """A backup of the three-question desk."""
    dest = tmp_path / "backup"
    assert main(["backup", str(dest), "--config", str(desk.config)]) == 0
    return dest


def restore(into: Desk, src: Path, *more: str) -> int:
    return main(["restore", str(src), "--config", str(into.config), *more])


def listing(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


async def drafts(store_path: Path) -> int:
    store = await Store.open(store_path)
    try:
        return len(await store.draft_ids())
    finally:
        await store.close()


def test_a_restored_desk_has_the_backups_drafts_files_and_catalog(
    made: Path, fresh: Desk, catalog_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert restore(fresh, made) == 0

    assert f"Restored from {made}" in capsys.readouterr().out
    assert asyncio.run(drafts(fresh.store)) == 3
    assert (fresh.folder / "refbot.webhooks.sqlite3").is_file()
    assert (fresh.folder / "media" / "1-0123456789abcdef.png").read_bytes() == b"\x89PNG a patron's screenshot"
    assert (fresh.folder / "letters" / "K7QM-2XWD-9RTA.pdf").is_file()
    assert not (fresh.folder / "letters" / "HALF.pdf.part").exists()
    assert current_name(fresh.folder / "indexes") == current_name(catalog_dir)


def test_check_reads_the_whole_backup_and_changes_nothing(made: Path, fresh: Desk,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    before = listing(fresh.folder)
    assert restore(fresh, made, "--check") == 0
    assert "is whole" in capsys.readouterr().out and listing(fresh.folder) == before


def test_a_damaged_backup_is_refused_naming_the_file(made: Path, fresh: Desk,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    damaged = made / "libraries" / "default" / "store.sqlite3"
    data = bytearray(damaged.read_bytes())
    data[len(data) // 2] ^= 0x01
    damaged.write_bytes(bytes(data))
    before = listing(fresh.folder)

    assert restore(fresh, made) == 1
    assert restore(fresh, made, "--check") == 1

    err = capsys.readouterr().err
    assert "libraries/default/store.sqlite3 does not match its checksum" in err and "nothing was restored" in err
    assert listing(fresh.folder) == before


def test_an_unfinished_backup_is_refused(made: Path, fresh: Desk, capsys: pytest.CaptureFixture[str]) -> None:
    (made / "manifest.json").unlink()
    assert restore(fresh, made) == 1
    assert "not a finished backup" in capsys.readouterr().err
    assert not fresh.store.exists()


@pytest.fixture
def running(fresh: Desk) -> Iterator[int]:
    """A process holding the desk's lock as `refbot serve` does; its pid."""
    code = ("import sys; from refbot.config import load_settings; from refbot.operations.running import desk_lock\n"
            "with desk_lock(load_settings(sys.argv[1], env={})):\n"
            "    print('held', flush=True); sys.stdin.read()")
    with subprocess.Popen([sys.executable, "-c", code, str(fresh.config)], stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, text=True) as proc:
        assert proc.stdout is not None and proc.stdout.readline() == "held\n"
        yield proc.pid
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(30)


def test_a_restore_is_refused_while_the_desk_runs(made: Path, fresh: Desk, running: int,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert restore(fresh, made, "--force") == 1

    err = capsys.readouterr().err
    assert f"refbot is running on {fresh.folder} (pid {running}); stop it first" in err
    assert not fresh.store.exists()


def test_a_desk_with_state_is_replaced_only_with_force(made: Path, tmp_path: Path, catalog_dir: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    other = make_desk(tmp_path / "other", tmp_path / "other" / "indexes")
    asyncio.run(fill(other, 5))

    assert restore(other, made) == 1
    err = capsys.readouterr().err
    assert "--force" in err and str(other.store) in err and f"{other.folder / 'media'}/ (1 files)" in err
    assert asyncio.run(drafts(other.store)) == 5

    assert restore(other, made, "--force") == 0
    assert asyncio.run(drafts(other.store)) == 3
    assert not (other.folder / "letters" / "HALF.pdf.part").exists()


def test_a_backup_of_other_libraries_is_refused(made: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    consortium = make_desk(tmp_path / "consortium", tmp_path / "indexes", libraries=[
        {"id": "ui", "whatsapp": {"phone_number_id": "1001"}}, {"id": "itb", "whatsapp": {"phone_number_id": "1002"}},
    ])
    assert restore(consortium, made) == 1
    assert "the backup holds the libraries default, this configuration serves itb, ui" in capsys.readouterr().err


def test_a_backup_of_postgresql_does_not_restore_into_sqlite(made: Path, fresh: Desk,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    manifest = json.loads((made / "manifest.json").read_text())
    (made / "manifest.json").write_text(json.dumps({**manifest, "backend": "postgresql"}))
    assert restore(fresh, made) == 1
    assert "the backup is of a postgresql store" in capsys.readouterr().err
