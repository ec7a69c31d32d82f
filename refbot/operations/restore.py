"""``refbot restore``: rebuild a stopped desk from a backup, at the paths the current configuration names.

Nothing is touched until the whole backup has been checked against its manifest (a damaged
backup is refused with the file named), the backup fits the configuration (same kind of store,
same libraries), no desk is running, and — when the desk already has state — ``--force`` was
given. Then each library's store, journal and files are put in place, and the catalog generation
the backup served is copied into ``catalog.index_dir`` and made CURRENT.

Each file is written beside its target and renamed over it; the folders of files are staged
whole and swapped in. An old journal is removed when the backup has none: a journal left from
the replaced desk would be applied to the restored store.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable
from pathlib import Path

from refbot.catalog import generations as gens
from refbot.config import Settings
from refbot.operations import manifest as mf
from refbot.operations.backup import FILE_FOLDERS
from refbot.operations.manifest import LibraryPart, Manifest
from refbot.operations.running import stopped_desk
from refbot.store import backup as sqlite_backup
from refbot.store import pg_backup
from refbot.store.journal import journal_path

STAGING = ".restoring-"


class RestoreRefused(RuntimeError):
    """The restore did not start: the message says why, and nothing was changed."""


def check(src: Path) -> Manifest:
    """Check a backup without restoring it: the manifest's checksums, and each SQLite copy's soundness.

    Raises:
        BackupDamaged: naming the file that is not as the manifest lists it.
    """
    manifest = mf.read(src)
    mf.verify(src, manifest)
    for part in manifest.libraries.values():
        for name in (part.store, part.journal):
            problem = sqlite_backup.check_sqlite(src / name) if name else None
            if problem:
                raise mf.BackupDamaged(f"{name} is not a sound database: {problem}")
    return manifest


def restore(settings: Settings, src: Path, *, force: bool = False, say: Callable[[str], None] = print) -> Manifest:
    """Put the backup in ``src`` in place for the stopped desk ``settings`` describes.

    Raises:
        BackupDamaged: the backup is not whole; nothing was changed.
        RestoreRefused: it does not fit the configuration, a desk is running (``DeskRunning``),
            or there is state to replace and ``force`` is not set; nothing was changed.
    """
    manifest = check(src)
    _fits(settings, manifest)
    with stopped_desk(settings):
        if manifest.backend == "postgresql":
            asyncio.run(_postgres(settings, src, manifest, force, say))
        else:
            _refuse_unless_forced(_sqlite_state(settings), force)
            for library in settings.each_library():
                _sqlite_library(library.settings, src, manifest, manifest.libraries[library.id], say)
        _indexes(settings, src, manifest, say)
    return manifest


def _fits(settings: Settings, manifest: Manifest) -> None:
    here = "postgresql" if settings.on_postgres else "sqlite"
    if manifest.backend != here:
        raise RestoreRefused(f"the backup is of a {manifest.backend} store, but this configuration keeps the state"
                             f" in {here}; point store.path or store.url at the kind the backup holds")
    ours = [lib.id for lib in settings.each_library()]
    if sorted(ours) != sorted(manifest.libraries):
        raise RestoreRefused(f"the backup holds the libraries {', '.join(sorted(manifest.libraries))}, this"
                             f" configuration serves {', '.join(sorted(ours))}; restore with the configuration"
                             f" the backup was made with (it is in the backup as {manifest.config or 'config.yaml'})")


def _refuse_unless_forced(existing: list[str], force: bool) -> None:
    if existing and not force:
        raise RestoreRefused("the desk already has state, which a restore would replace:\n  "
                             + "\n  ".join(existing) + "\nrun again with --force to replace it")


def _sqlite_state(settings: Settings) -> list[str]:
    """What a restore would replace: stores, journals and files already there."""
    found: list[str] = []
    for library in settings.each_library():
        store = Path(library.settings.store_location)
        for path in (store, journal_path(store)):
            if path.is_file() and path.stat().st_size:
                found.append(f"{path} ({path.stat().st_size:,} bytes)")
        for folder in FILE_FOLDERS:
            files = _files_in(library.settings.data_dir / folder)
            if files:
                found.append(f"{library.settings.data_dir / folder}/ ({files} files)")
    return found


def _sqlite_library(settings: Settings, src: Path, manifest: Manifest, part: LibraryPart,
                    say: Callable[[str], None]) -> None:
    store = Path(settings.store_location)
    say(f"store: {store}")
    sqlite_backup.place_sqlite(src / part.store, store)
    journal = journal_path(store)
    if part.journal:
        sqlite_backup.place_sqlite(src / part.journal, journal)
    else:
        for suffix in ("", *sqlite_backup.SIDE_FILES):
            journal.with_name(journal.name + suffix).unlink(missing_ok=True)
    for folder in FILE_FOLDERS:
        _place_folder(src, manifest.under(f"{part.files}/{folder}"), f"{part.files}/{folder}",
                      settings.data_dir / folder)


def _place_folder(src: Path, names: list[str], listed: str, target: Path) -> None:
    """Make ``target`` hold exactly the backup's files ``names`` under ``listed`` (staged whole, then swapped in)."""
    staging = target.with_name(STAGING + target.name)
    shutil.rmtree(staging, ignore_errors=True)
    for name in names:
        (staging / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src / listed / name, staging / name)
    shutil.rmtree(target, ignore_errors=True)
    if names:
        staging.rename(target)


async def _postgres(settings: Settings, src: Path, manifest: Manifest, force: bool,
                    say: Callable[[str], None]) -> None:
    url, _ = pg_backup.connection(settings.store_location)
    for library in settings.each_library():
        _, schema = pg_backup.connection(library.settings.store_location)
        wanted = manifest.libraries[library.id].schema
        if await pg_backup.schema_of(url, schema) != wanted:
            raise RestoreRefused(f"library {library.id}'s store is the schema {wanted} in the backup,"
                                 f" but {schema or 'the default schema'} in this configuration")
    others = await pg_backup.other_sessions(url)
    if others:
        raise RestoreRefused(f"refbot is running: {len(others)} other connection(s) to the database"
                             f" ({', '.join(others[:5])}); stop every web and worker process first")
    schemas = [part.schema for part in manifest.libraries.values()]
    existing = await pg_backup.existing_rows(url, schemas)
    _refuse_unless_forced([f"schema {schema} ({sum(n for t, n in rows.items() if t != 'schema_migrations'):,} rows)"
                           for schema, rows in existing.items()
                           if any(n for t, n in rows.items() if t != "schema_migrations")], force)
    say(f"restoring schemas {', '.join(schemas)} with pg_restore")
    await pg_backup.restore(url, src / manifest.dump)


def _indexes(settings: Settings, src: Path, manifest: Manifest, say: Callable[[str], None]) -> None:
    """Copy each library's served generation into its ``catalog.index_dir`` and make it CURRENT."""
    for library in settings.each_library():
        name = manifest.libraries[library.id].index
        if not name:
            continue
        index_dir = library.settings.path(library.settings.catalog.index_dir)
        with gens.exclusive(index_dir):
            if not (index_dir / name / gens.MANIFEST).is_file():
                staging = index_dir / (gens.STAGING + name)
                shutil.rmtree(staging, ignore_errors=True)
                shutil.copytree(src / "catalog" / name, staging)
                shutil.rmtree(index_dir / name, ignore_errors=True)
                staging.rename(index_dir / name)
            gens.switch_current(index_dir, name)
        say(f"catalog: {index_dir / name} is CURRENT")


def _files_in(folder: Path) -> int:
    return sum(1 for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else 0
