"""A backup's ``manifest.json``: what the backup holds, and the checksums that prove it is whole.

Layout of a backup folder::

    manifest.json                         written last: a folder without it is not a finished backup
    config.yaml                           the configuration file the desk ran with (secrets are not in it)
    libraries/<id>/store.sqlite3          each library's store, a consistent copy (SQLite)
    libraries/<id>/webhooks.sqlite3       its webhook journal (SQLite)
    libraries/<id>/files/media/…          patrons' files, letters and exports (SQLite: kept in folders)
    catalog/gen-…/                        the catalog index generation being served
    postgresql.dump                       every library's schema, files and journal included (PostgreSQL)

Every file is listed with its size and sha256; :func:`verify` checks them all before a restore
touches anything.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MANIFEST = "manifest.json"
FORMAT = 1
"""The layout's version; a restore refuses a backup of a format it does not know."""


class BackupDamaged(RuntimeError):
    """The backup cannot be trusted: a file is missing, changed, or the manifest is unreadable."""


@dataclass
class LibraryPart:
    """One library's part of a backup."""

    store: str = ""
    """The store's copy (SQLite), relative to the backup folder; empty on PostgreSQL."""
    schema: str = ""
    """The library's schema in the dump (PostgreSQL)."""
    schema_version: int | None = None
    rows: dict[str, int] = field(default_factory=dict)
    """Each table of the store and its row count, as the backup holds them."""
    journal: str = ""
    journal_rows: int = 0
    files: str = ""
    """The folder of its files (media, letters, exports), relative to the backup folder."""
    file_count: int = 0
    index: str = ""
    """The catalog generation it served (a folder under ``catalog/``), empty when none."""


@dataclass
class Manifest:
    """Everything ``manifest.json`` says."""

    refbot_version: str
    created_at: str
    backend: str
    libraries: dict[str, LibraryPart]
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Relative path → ``{"size": n, "sha256": hex}``, for every file in the backup but the manifest."""
    config: str = ""
    dump: str = ""
    host: str = ""
    took_seconds: float = 0.0
    format: int = FORMAT

    def to_json(self) -> str:
        """The manifest as written to disk."""
        data = {**self.__dict__, "libraries": {k: v.__dict__ for k, v in self.libraries.items()}}
        return json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True)

    def under(self, folder: str) -> list[str]:
        """The listed files inside ``folder`` (relative to the backup), relative to that folder."""
        prefix = folder.rstrip("/") + "/"
        return [name[len(prefix):] for name in sorted(self.files) if name.startswith(prefix)]

    @property
    def size(self) -> int:
        """Bytes the backup's files take."""
        return sum(int(f["size"]) for f in self.files.values())


def sha256_file(path: Path) -> str:
    """The sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def record(manifest: Manifest, root: Path, path: Path) -> None:
    """List ``path`` (inside ``root``) in the manifest with its size and checksum."""
    manifest.files[path.relative_to(root).as_posix()] = {"size": path.stat().st_size, "sha256": sha256_file(path)}


def write(manifest: Manifest, root: Path) -> None:
    """Write ``manifest.json`` into ``root``, durably: it is what makes the folder a finished backup."""
    tmp = root / (MANIFEST + ".tmp")
    with tmp.open("w", encoding="utf-8") as out:
        out.write(manifest.to_json())
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, root / MANIFEST)


def read(root: Path) -> Manifest:
    """The manifest of the backup in ``root``.

    Raises:
        BackupDamaged: there is none (the backup never finished), it is not valid, or of an unknown format.
    """
    path = root / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupDamaged(f"{path} is missing: {root} is not a finished backup") from None
    except (OSError, ValueError) as e:
        raise BackupDamaged(f"{path} cannot be read: {e}") from e
    try:
        if data.get("format") != FORMAT:
            raise BackupDamaged(f"{path}: format {data.get('format')!r}, this refbot reads format {FORMAT}")
        libraries = {k: LibraryPart(**v) for k, v in data.pop("libraries").items()}
        return Manifest(libraries=libraries, **data)
    except (AttributeError, KeyError, TypeError) as e:
        raise BackupDamaged(f"{path} is not a refbot backup manifest ({e})") from e


def verify(root: Path, manifest: Manifest) -> None:
    """Check every file the manifest lists: there, of its size, with its checksum.

    Raises:
        BackupDamaged: naming the first file that is not as listed.
    """
    for name, expected in sorted(manifest.files.items()):
        path = root / name
        if not path.is_file():
            raise BackupDamaged(f"{name} is missing from the backup")
        if path.stat().st_size != expected["size"]:
            raise BackupDamaged(f"{name} has {path.stat().st_size} bytes, the manifest says {expected['size']}")
        if sha256_file(path) != expected["sha256"]:
            raise BackupDamaged(f"{name} does not match its checksum: it was changed or damaged")
