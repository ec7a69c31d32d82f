"""Patrons' files: the images and PDFs they sent, kept under ``media/`` beside the database.

A file is saved under a name refbot makes (the inbox row and a hash of the media id, see
:func:`safe_stem`, with an extension from its type), never the name the patron's phone gave
it, and written whole or not at all (``….part``, then renamed). Because refbot knows the
names, it can find a message's file again (a retried message is not downloaded twice) and
delete a message's files when the message is forgotten (:func:`delete_saved`, used by
:mod:`refbot.store.privacy`) without reading a path from the database.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from refbot.config import Settings

EXTENSIONS = {
    "image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp", "image/gif": ".gif",
    "image/bmp": ".bmp", "image/tiff": ".tif", "application/pdf": ".pdf",
}
"""The types a saved file may have, with the extension its name gets."""
UNKNOWN_TYPE = ".bin"
_TYPES = {suffix: mime for mime, suffix in EXTENSIONS.items()}
# Every extension a saved file can have, so only names refbot made are ever found or deleted.
_SUFFIXES = "|".join(re.escape(suffix) for suffix in sorted({*EXTENSIONS.values(), UNKNOWN_TYPE}))


@dataclass(frozen=True)
class SavedMedia:
    """A patron's file on disk."""

    path: Path
    mime_type: str
    size: int


def media_folder(settings: Settings) -> Path:
    """Where patrons' attachments are kept: ``media/`` beside the database."""
    return settings.path(settings.store.path).parent / "media"


def safe_stem(inbox_id: int, media_id: str) -> str:
    """A file name stem no patron controls: the inbox row and a hash of the media id."""
    return f"{int(inbox_id)}-{hashlib.sha256(media_id.encode('utf-8')).hexdigest()[:16]}"


def extension(mime_type: str) -> str:
    """The extension a file of this type is saved with (``.bin`` for a type not in :data:`EXTENSIONS`)."""
    return EXTENSIONS.get(mime_type.split(";", 1)[0].strip().lower(), UNKNOWN_TYPE)


def delete_saved(folder: Path, inbox_ids: Iterable[int]) -> int:
    """Delete what was saved in ``folder`` for these inbound messages; returns how many files.

    Files are found by the names :class:`MediaFiles` gives them (half-finished writes
    included), never by a path read from the database, so nothing outside ``folder`` and
    nothing refbot did not name is touched.
    """
    deleted = 0
    for inbox_id in inbox_ids:
        name = re.compile(rf"{int(inbox_id)}-[0-9a-f]{{16}}(?:{_SUFFIXES})(?:\.part)?")
        for path in folder.glob(f"{int(inbox_id)}-*"):
            if name.fullmatch(path.name) and path.is_file():
                path.unlink(missing_ok=True)
                deleted += 1
    return deleted


class MediaFiles:
    """The folder of patrons' files: save one under refbot's name, find it again, delete them."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @classmethod
    def of(cls, settings: Settings) -> MediaFiles:
        """The media folder beside the configured database."""
        return cls(media_folder(settings))

    async def save(self, inbox_id: int, media_id: str, data: bytes, mime_type: str) -> SavedMedia:
        """Write one message's file as ``<inbox>-<hash>.<ext>``, whole or not at all."""
        path = self.folder / f"{safe_stem(inbox_id, media_id)}{extension(mime_type)}"
        await asyncio.to_thread(_write, path, data)
        return SavedMedia(path, mime_type, len(data))

    async def find(self, inbox_id: int, media_id: str) -> SavedMedia | None:
        """The file already saved for this message and media id (a retry), or None."""
        return await asyncio.to_thread(self._find, safe_stem(inbox_id, media_id))

    async def delete(self, inbox_ids: Iterable[int]) -> int:
        """Delete these messages' files; returns how many (see :func:`delete_saved`)."""
        return await asyncio.to_thread(delete_saved, self.folder, list(inbox_ids))

    def _find(self, stem: str) -> SavedMedia | None:
        name = re.compile(rf"{re.escape(stem)}({_SUFFIXES})")
        for path in sorted(self.folder.glob(f"{stem}.*")):
            found = name.fullmatch(path.name)
            if found and path.is_file():
                mime_type = _TYPES.get(found[1], "application/octet-stream")
                return SavedMedia(path, mime_type, path.stat().st_size)
        return None


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(path.suffix + ".part")
    partial.write_bytes(data)
    partial.replace(path)  # whole or not at all
