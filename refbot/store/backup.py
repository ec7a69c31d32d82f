"""Copying a live SQLite store (or the webhook journal) for a backup, and looking inside the copy.

A file copy of a database in WAL mode is not a backup: the newest transactions sit in the
``-wal`` file, and a copy taken while the desk writes can be torn. SQLite's online backup API
copies pages through a connection instead. :func:`copy_sqlite` opens a read transaction on the
source first and keeps it for the whole copy, so every step reads the same snapshot: the copy
is the database as it was at one instant, and the backup never starts over because the desk
wrote meanwhile. In WAL mode a reader does not stop writers, so the desk goes on answering;
only the WAL's checkpoint waits until the copy is done.

The copy is made a self-contained file (``journal_mode=DELETE``, no ``-wal`` beside it) and
checked with ``PRAGMA quick_check`` before its tables are counted for the backup's manifest.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

PAGES_PER_STEP = 1024
"""Pages copied per step of the backup API (4 MiB with SQLite's usual page size)."""
SIDE_FILES = ("-wal", "-shm", "-journal")
"""The files SQLite keeps beside a database; a restored file must not meet an old one's."""


class CopyFailed(RuntimeError):
    """A store could not be copied, or its copy is not sound; the message names the file."""


@dataclass(frozen=True)
class Contents:
    """What a SQLite file holds: each table's row count, and the schema version it was migrated to."""

    rows: dict[str, int]
    schema_version: int | None


def copy_sqlite(source: Path, dest: Path, *, pages: int = PAGES_PER_STEP,
                progress: Callable[[int, int], None] | None = None) -> Contents:
    """Copy the live database at ``source`` to the new file ``dest``, consistently, and count its rows.

    Raises:
        CopyFailed: ``source`` is missing or unreadable, ``dest`` cannot be written, or the copy
            fails its check.
    """
    if not source.is_file():
        raise CopyFailed(f"{source} does not exist")
    try:
        # Opened read-write as the desk opens it: read-only, SQLite may refuse a WAL file whose -shm is gone.
        with contextlib.closing(sqlite3.connect(str(source), isolation_level=None, timeout=30.0)) as src, \
                contextlib.closing(sqlite3.connect(str(dest), isolation_level=None)) as dst:
            src.execute("BEGIN")
            src.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()  # the snapshot starts here
            report = (lambda _status, remaining, total: progress(total - remaining, total)) if progress else None
            src.backup(dst, pages=pages, progress=report)
            src.execute("COMMIT")
            dst.execute("PRAGMA journal_mode=DELETE")
    except sqlite3.Error as e:
        raise CopyFailed(f"copying {source}: {e}") from e
    _fsync(dest)
    problem = check_sqlite(dest)
    if problem:
        raise CopyFailed(f"the copy of {source} is not sound: {problem}")
    return contents(dest)


def check_sqlite(path: Path) -> str | None:
    """What is wrong with the database file at ``path`` (``PRAGMA quick_check``), or None when it is sound."""
    try:
        with contextlib.closing(_read_only(path)) as db:
            found = [str(row[0]) for row in db.execute("PRAGMA quick_check").fetchall()]
    except sqlite3.Error as e:
        return str(e)
    return None if found == ["ok"] else "; ".join(found[:3])


def contents(path: Path) -> Contents:
    """Each table's row count in the database file at ``path``, and its schema version (None: not a store)."""
    with contextlib.closing(_read_only(path)) as db:
        names = [str(r[0]) for r in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        rows = {name: int(db.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0]) for name in names}
        version = None
        if "schema_migrations" in rows:
            version = db.execute("SELECT MAX(version) FROM schema_migrations").fetchone()[0]
    return Contents(rows, int(version) if version is not None else None)


def served_generation_in(path: Path, library: str) -> str | None:
    """The catalog generation a store file records as served for ``library`` (None: none recorded)."""
    with contextlib.closing(_read_only(path)) as db:
        try:
            row = db.execute("SELECT generation FROM served_indexes WHERE library = ?", (library,)).fetchone()
        except sqlite3.OperationalError:  # a store from before served_indexes existed
            return None
    return str(row[0]) if row else None


def place_sqlite(copy: Path, target: Path) -> None:
    """Put the database file ``copy`` at ``target`` (a stopped desk's store), replacing what was there.

    The old database's ``-wal`` and ``-shm`` go first: SQLite would otherwise read the old
    log's pages into the restored file. The file is written beside the target and renamed, so
    the target is the old database or the restored one, never half of either.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(target.name + ".restoring")
    with copy.open("rb") as src, staging.open("wb") as out:
        while chunk := src.read(1 << 20):
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    for suffix in SIDE_FILES:
        with contextlib.suppress(FileNotFoundError):
            target.with_name(target.name + suffix).unlink()
    os.replace(staging, target)


def _read_only(path: Path) -> sqlite3.Connection:
    # immutable: the file is a finished copy nobody writes, so SQLite need not look for a -wal or make a -shm.
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
