"""Where refbot keeps files, and patrons' files among them.

Files — the images and PDFs patrons send, the clearance letters refbot issues, the lists it
exports — are kept in a :class:`refbot.ports.MediaStore` under keys refbot makes
(:func:`refbot.store.files.check_key`). :func:`media_store` chooses where: in the database
when the store is PostgreSQL (:class:`refbot.store.files.DatabaseMedia`: every node reads what
any node stored), otherwise in folders beside the SQLite file (:class:`FolderMedia`: the key
``media/12-….png`` is the file ``media/12-….png`` there, the layout refbot has always used).

A patron's file (:class:`MediaFiles`) is saved under a name refbot makes (the inbox row and a
hash of the media id, see :func:`safe_stem`, with an extension from its type), never the name
the patron's phone gave it. Because refbot knows the names, it can find a message's file again
(a retried message is not downloaded twice) and delete a message's files when the message is
forgotten (:meth:`MediaFiles.delete`, used by :mod:`refbot.store.privacy`) without reading a
path from the database.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from refbot.config import Settings
from refbot.ports import MediaStore
from refbot.store.files import PARTIAL, DatabaseMedia, FileStore, check_key

EXTENSIONS = {
    "image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp", "image/gif": ".gif",
    "image/bmp": ".bmp", "image/tiff": ".tif", "application/pdf": ".pdf",
}
"""The types a saved file may have, with the extension its name gets."""
UNKNOWN_TYPE = ".bin"
MEDIA = "media/"
"""The folder (and key prefix) of patrons' files."""
_TYPES = {suffix: mime for mime, suffix in EXTENSIONS.items()}
# Every extension a saved file can have, so only names refbot made are ever found or deleted.
_SUFFIXES = "|".join(re.escape(suffix) for suffix in sorted({*EXTENSIONS.values(), UNKNOWN_TYPE}))


def store_folder(settings: Settings) -> Path:
    """The folder beside the SQLite file, which holds ``media/``, ``letters/`` and ``exports/``
    (each library of a consortium has its own: ``libraries/<id>/`` there)."""
    return settings.data_dir


def media_folder(settings: Settings) -> Path:
    """Where patrons' attachments are kept on SQLite: ``media/`` beside the database."""
    return store_folder(settings) / MEDIA.rstrip("/")


def media_store(settings: Settings, store: FileStore) -> MediaStore:
    """Where files are kept: in the database on PostgreSQL, in folders beside the SQLite file otherwise.

    ``store`` is the store opened from ``settings.store_location``.
    """
    if settings.on_postgres:
        return DatabaseMedia(store)
    return FolderMedia(store_folder(settings))


# -- files in folders ------------------------------------------------------------------------


class FolderMedia:
    """The :class:`refbot.ports.MediaStore` in folders: key ``letters/X.pdf`` is ``<root>/letters/X.pdf``.

    A file is written to ``<name>.part`` and then renamed, so it is whole or not there at all;
    a write a crash cut short leaves only the ``.part``, which :meth:`keys` still lists (so an
    erasure finds it) and :meth:`delete` removes with its file.
    """

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, key: str) -> Path:
        """The file a key names."""
        return self.root / check_key(key)

    async def put(self, key: str, data: bytes, mime_type: str) -> None:
        """Write ``data`` as the key's file, whole or not at all."""
        await asyncio.to_thread(_write, self.path(key), data)

    async def get(self, key: str) -> bytes | None:
        """The key's file's bytes, or None when there is no such file."""
        return await asyncio.to_thread(_read, self.path(key))

    async def exists(self, key: str) -> bool:
        """Whether the key's file is there (whole)."""
        return await asyncio.to_thread(self.path(key).is_file)

    async def keys(self, prefix: str) -> list[str]:
        """The keys under ``prefix`` of the files here, half-written ones included."""
        return await asyncio.to_thread(self._keys, prefix)

    async def delete(self, keys: Iterable[str]) -> int:
        """Delete these keys' files and anything half-written under their names; returns how many keys had some."""
        return await asyncio.to_thread(_delete, [self.path(key) for key in keys])

    def _keys(self, prefix: str) -> list[str]:
        folder, _, start = prefix.rpartition("/")
        if folder:
            folders = [self.root / folder] if re.fullmatch("[a-z]+", folder) else []
        else:
            folders = [p for p in _entries(self.root) if p.is_dir() and p.name.startswith(start)]
            start = ""
        found: set[str] = set()
        for where in folders:
            for path in _entries(where):
                key = f"{where.name}/{path.name.removesuffix(PARTIAL)}"
                if path.name.startswith(start) and _is_key(key) and path.is_file():
                    found.add(key)
        return sorted(found)


def _entries(folder: Path) -> list[Path]:
    try:
        return list(folder.iterdir())
    except (FileNotFoundError, NotADirectoryError):
        return []


def _is_key(key: str) -> bool:
    try:
        check_key(key)
    except ValueError:
        return False
    return True


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + PARTIAL)
    try:
        partial.write_bytes(data)
        partial.replace(path)  # whole or not at all
    except BaseException:
        partial.unlink(missing_ok=True)  # a full disk leaves no half of a patron's file behind
        raise


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def _delete(paths: list[Path]) -> int:
    deleted = 0
    for path in paths:
        found = False
        for each in (path, path.with_name(path.name + PARTIAL)):
            if each.is_file():
                each.unlink(missing_ok=True)
                found = True
        deleted += found
    return deleted


# -- patrons' files ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SavedMedia:
    """A patron's file, as kept: its key, its type and its bytes."""

    key: str
    mime_type: str
    data: bytes = field(repr=False)

    @property
    def size(self) -> int:
        """How many bytes."""
        return len(self.data)

    @property
    def suffix(self) -> str:
        """The extension refbot gave its name (``.png``)."""
        return Path(self.key).suffix


def safe_stem(inbox_id: int, media_id: str) -> str:
    """A file name stem no patron controls: the inbox row and a hash of the media id."""
    return f"{int(inbox_id)}-{hashlib.sha256(media_id.encode('utf-8')).hexdigest()[:16]}"


def extension(mime_type: str) -> str:
    """The extension a file of this type is saved with (``.bin`` for a type not in :data:`EXTENSIONS`)."""
    return EXTENSIONS.get(mime_type.split(";", 1)[0].strip().lower(), UNKNOWN_TYPE)


class MediaFiles:
    """Patrons' files in a :class:`~refbot.ports.MediaStore`: save one under refbot's name, find it again, delete them."""

    def __init__(self, store: MediaStore) -> None:
        self.store = store

    async def save(self, inbox_id: int, media_id: str, data: bytes, mime_type: str) -> SavedMedia:
        """Keep one message's file as ``media/<inbox>-<hash>.<ext>``, whole or not at all."""
        key = f"{MEDIA}{safe_stem(inbox_id, media_id)}{extension(mime_type)}"
        await self.store.put(key, data, mime_type)
        return SavedMedia(key, mime_type, data)

    async def find(self, inbox_id: int, media_id: str) -> SavedMedia | None:
        """The file already saved for this message and media id (a retry), or None."""
        stem = safe_stem(inbox_id, media_id)
        name = re.compile(rf"{re.escape(MEDIA + stem)}({_SUFFIXES})")
        for key in await self.store.keys(f"{MEDIA}{stem}."):
            found = name.fullmatch(key)
            if found and (data := await self.store.get(key)) is not None:
                return SavedMedia(key, _TYPES.get(found[1], "application/octet-stream"), data)
        return None

    async def delete(self, inbox_ids: Iterable[int]) -> int:
        """Delete what was saved for these inbound messages; returns how many files.

        Files are found by the names :meth:`save` gives them, never by a path read from the
        database, so nothing refbot did not name is touched.
        """
        keys: list[str] = []
        for inbox_id in inbox_ids:
            name = re.compile(rf"{re.escape(MEDIA)}{int(inbox_id)}-[0-9a-f]{{16}}(?:{_SUFFIXES})")
            keys += [key for key in await self.store.keys(f"{MEDIA}{int(inbox_id)}-") if name.fullmatch(key)]
        return await self.store.delete(keys) if keys else 0
