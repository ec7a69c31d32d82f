"""``refbot backup``: a consistent copy of a running desk, with a manifest of what it holds.

What is copied, for each library of the deployment, in this order:

1. its store — on SQLite a snapshot through the online backup API
   (:func:`refbot.store.backup.copy_sqlite`); on PostgreSQL a ``pg_dump`` of every library's
   schema on one snapshot (:mod:`refbot.store.pg_backup`), which carries the journal and the
   files too;
2. its webhook journal (SQLite), *after* the store: the journal then holds at least every body
   the store's copy says it applied, so a restored worker neither skips a body nor lacks one
   (a body applied twice is absorbed by the inbox's unique message id);
3. its files — media, letters, exports — after the store, so every file the store's copy names
   is there (files stored meanwhile come along too, harmlessly);

then the catalog generation each library serves (not the older ones kept for going back), and
the configuration file. ``manifest.json`` is written last, so a folder without it is a backup
that never finished. The desk keeps answering throughout: nothing here takes a lock a writer waits for.
"""

from __future__ import annotations

import asyncio
import datetime
import importlib.metadata
import logging
import shutil
import socket
import time
from collections.abc import Callable
from pathlib import Path

from refbot.catalog import generations as gens
from refbot.catalog.serving import LIBRARY, served_generation
from refbot.config import Settings
from refbot.operations import manifest as mf
from refbot.operations.manifest import LibraryPart, Manifest
from refbot.store import Store, pg_backup
from refbot.store import backup as sqlite_backup
from refbot.store.files import PARTIAL
from refbot.store.journal import journal_path

log = logging.getLogger(__name__)

FILE_FOLDERS = ("media", "letters", "exports", "similarity")
"""The folders of files beside a SQLite store (see :mod:`refbot.store.media`)."""
DUMP = "postgresql.dump"
CONFIG = "config.yaml"


class BackupFailed(RuntimeError):
    """The backup could not be made; the message says why. What was written of it is removed."""


def backup(settings: Settings, dest: Path, config_file: Path | None = None,
           say: Callable[[str], None] = log.info) -> Manifest:
    """Back up the desk ``settings`` describes into the new folder ``dest``.

    Raises:
        BackupFailed: ``dest`` is not a new or empty folder, or a copy failed (disk full, a store
            that cannot be read, ``pg_dump`` refusing); nothing of the backup is left behind.
    """
    created = _prepare(dest)
    started = time.monotonic()
    manifest = Manifest(refbot_version=_version(), created_at=_now(), host=socket.gethostname(),
                        backend="postgresql" if settings.on_postgres else "sqlite", libraries={})
    try:
        if settings.on_postgres:
            asyncio.run(_postgres(settings, dest, manifest, say))
        else:
            for library in settings.each_library():
                manifest.libraries[library.id] = _sqlite_library(library.id, library.settings, dest, manifest, say)
        _indexes(settings, dest, manifest, say)
        if config_file is not None and config_file.is_file():
            _copy_file(config_file, dest / CONFIG)
            mf.record(manifest, dest, dest / CONFIG)
            manifest.config = CONFIG
        manifest.took_seconds = round(time.monotonic() - started, 3)
        mf.write(manifest, dest)
    except (sqlite_backup.CopyFailed, pg_backup.DumpFailed, OSError) as e:
        _remove(dest, created)
        raise BackupFailed(f"{e}; the unfinished backup in {dest} was removed") from e
    except BaseException:
        _remove(dest, created)
        raise
    return manifest


def _prepare(dest: Path) -> bool:
    """Make ``dest``; whether it was made here (else it was an empty folder)."""
    if dest.exists():
        if not dest.is_dir():
            raise BackupFailed(f"{dest} exists and is not a folder; give a new folder to back up into")
        if any(dest.iterdir()):
            raise BackupFailed(f"{dest} exists and is not empty; give a new folder to back up into")
        return False
    try:
        dest.mkdir(parents=True)
    except OSError as e:
        raise BackupFailed(f"cannot make {dest}: {e.strerror}") from e
    return True


def _sqlite_library(library: str, settings: Settings, dest: Path, manifest: Manifest,
                    say: Callable[[str], None]) -> LibraryPart:
    folder = dest / "libraries" / library
    folder.mkdir(parents=True)
    part = LibraryPart(store=f"libraries/{library}/store.sqlite3")
    store = Path(settings.store_location)
    say(f"{library}: copying the store {store}")
    found = sqlite_backup.copy_sqlite(store, dest / part.store)
    mf.record(manifest, dest, dest / part.store)
    part.rows, part.schema_version = found.rows, found.schema_version
    journal = journal_path(store)
    if journal.is_file():
        part.journal = f"libraries/{library}/webhooks.sqlite3"
        say(f"{library}: copying the webhook journal {journal}")
        part.journal_rows = sqlite_backup.copy_sqlite(journal, dest / part.journal).rows.get("webhooks", 0)
        mf.record(manifest, dest, dest / part.journal)
    part.files = f"libraries/{library}/files"
    part.file_count = _copy_files(settings.data_dir, dest / part.files, dest, manifest)
    part.index = sqlite_backup.served_generation_in(dest / part.store, LIBRARY) or ""
    return part


def _copy_files(data_dir: Path, into: Path, root: Path, manifest: Manifest) -> int:
    """Copy the desk's files (half-written ``.part`` files left out); how many."""
    count = 0
    for folder in FILE_FOLDERS:
        source = data_dir / folder
        if not source.is_dir():
            continue
        for path in sorted(source.rglob("*")):
            if path.is_file() and not path.name.endswith(PARTIAL):
                target = into / path.relative_to(data_dir)
                if _copy_file(path, target):
                    mf.record(manifest, root, target)
                    count += 1
    return count


async def _postgres(settings: Settings, dest: Path, manifest: Manifest, say: Callable[[str], None]) -> None:
    url, _ = pg_backup.connection(settings.store_location)
    schemas: dict[str, str] = {}
    for library in settings.each_library():
        _, schema = pg_backup.connection(library.settings.store_location)
        schemas[library.id] = await pg_backup.schema_of(url, schema)
    say(f"dumping schemas {', '.join(schemas.values())} with pg_dump")
    counts = await pg_backup.dump(url, list(schemas.values()), dest / DUMP)
    mf.record(manifest, dest, dest / DUMP)
    manifest.dump = DUMP
    for library in settings.each_library():
        found = counts[schemas[library.id]]
        manifest.libraries[library.id] = LibraryPart(
            schema=schemas[library.id], rows=found.rows, schema_version=found.schema_version,
            file_count=found.rows.get("files", 0), journal_rows=found.rows.get("webhooks", 0),
            index=await _served(library.settings) or "")


async def _served(settings: Settings) -> str | None:
    store = await Store.open(settings.store_location)
    try:
        return await served_generation(store)
    finally:
        await store.close()


def _indexes(settings: Settings, dest: Path, manifest: Manifest, say: Callable[[str], None]) -> None:
    """Copy the generation each library serves: the store's record if its folder is here, else CURRENT."""
    for library in settings.each_library():
        part = manifest.libraries[library.id]
        index_dir = library.settings.path(library.settings.catalog.index_dir)
        name = part.index if part.index and (index_dir / part.index).is_dir() else gens.current_name(index_dir)
        if not name or not (index_dir / name).is_dir():
            part.index = ""
            continue
        part.index = name
        target = dest / "catalog" / name
        if target.exists():  # another library serves the same generation
            continue
        say(f"{library.id}: copying catalog generation {name}")
        for path in sorted((index_dir / name).rglob("*")):
            if path.is_file():
                copied = target / path.relative_to(index_dir / name)
                _copy_file(path, copied)
                mf.record(manifest, dest, copied)


def _copy_file(source: Path, target: Path) -> bool:
    """Copy one file; False when it vanished first (a file deleted while the backup ran)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        shutil.copy2(source, target)
    except FileNotFoundError:
        if source.exists():
            raise
        return False
    return True


def _remove(dest: Path, created: bool) -> None:
    if created:
        shutil.rmtree(dest, ignore_errors=True)
    else:
        for child in dest.iterdir():
            shutil.rmtree(child, ignore_errors=True) if child.is_dir() else child.unlink(missing_ok=True)


def _version() -> str:
    try:
        return importlib.metadata.version("refbot")
    except importlib.metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
