"""Images and PDFs patrons send, fetched from WhatsApp and kept under ``media/`` beside the database.

WhatsApp hands over a media id, not the file. :class:`GraphMedia` asks the Graph API for the
file's short-lived URL (``GET /{version}/{media_id}`` → ``{url, mime_type, sha256,
file_size}``), then downloads it from that URL with the same bearer token, refusing anything
larger than ``snap.max_media_bytes``. The file is saved under a name refbot makes (the inbox
row and a hash of the media id), never the name the patron's phone gave it. Because refbot
knows that name, it can also find and delete a message's files when the message is forgotten
(:func:`delete_saved`, used by :mod:`refbot.store.privacy`).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import aiohttp

from refbot.config import Secret, Settings, WhatsAppSettings
from refbot.errors import RefbotError
from refbot.models import InboundMessage

EXTENSIONS = {
    "image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp", "image/gif": ".gif",
    "image/bmp": ".bmp", "image/tiff": ".tif", "application/pdf": ".pdf",
}
_UNKNOWN_TYPE = ".bin"
# Every extension a saved file can have, so only names refbot made are ever deleted.
_SUFFIXES = "|".join(re.escape(suffix) for suffix in sorted({*EXTENSIONS.values(), _UNKNOWN_TYPE}))
_HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")
_CHUNK = 64 * 1024


class MediaError(RefbotError):
    """A patron's image or file could not be fetched."""

    transient = True


@dataclass(frozen=True)
class MediaRef:
    """What an inbound message says about its attachment."""

    media_id: str
    mime_type: str = ""
    filename: str = ""


@dataclass(frozen=True)
class SavedMedia:
    """A downloaded attachment on disk."""

    path: Path
    mime_type: str
    size: int


class MediaFetcher(Protocol):
    """Where patrons' attachments come from (the Graph API, or a test's stand-in)."""

    async def fetch(self, ref: MediaRef, folder: Path, stem: str) -> SavedMedia: ...


def media_of(message: InboundMessage) -> MediaRef | None:
    """The attachment of an image or document message, when the channel gave its id.

    Reads ``media_id`` / ``mime_type`` / ``filename`` off the message, so this works with the
    channel's parser as soon as it fills them in (and finds nothing before).
    """
    media_id = str(getattr(message, "media_id", "") or "")
    if not media_id:
        return None
    return MediaRef(media_id, str(getattr(message, "mime_type", "") or ""), str(getattr(message, "filename", "") or ""))


def media_folder(settings: Settings) -> Path:
    """Where patrons' attachments are kept: ``media/`` beside the database."""
    return settings.path(settings.store.path).parent / "media"


def safe_stem(inbox_id: int, media_id: str) -> str:
    """A file name stem no patron controls: the inbox row and a hash of the media id."""
    return f"{inbox_id}-{hashlib.sha256(media_id.encode('utf-8')).hexdigest()[:16]}"


def delete_saved(folder: Path, inbox_ids: Iterable[int]) -> int:
    """Delete what was saved in ``folder`` for these inbound messages; returns how many files.

    Files are found by the names :func:`safe_stem` and :meth:`GraphMedia.fetch` give them
    (half-finished downloads included), never by a path read from the database, so nothing
    outside ``folder`` and nothing refbot did not name is touched.
    """
    deleted = 0
    for inbox_id in inbox_ids:
        name = re.compile(rf"{int(inbox_id)}-[0-9a-f]{{16}}(?:{_SUFFIXES})(?:\.part)?")
        for path in folder.glob(f"{int(inbox_id)}-*"):
            if name.fullmatch(path.name) and path.is_file():
                path.unlink(missing_ok=True)
                deleted += 1
    return deleted


class GraphMedia:
    """Downloads media through the WhatsApp Cloud API."""

    def __init__(self, settings: WhatsAppSettings, token: Secret, session: aiohttp.ClientSession,
                 max_bytes: int = 16_000_000) -> None:
        self._settings = settings
        self._token = token
        self._session = session
        self._max_bytes = max_bytes

    async def fetch(self, ref: MediaRef, folder: Path, stem: str) -> SavedMedia:
        """Download one attachment into ``folder/stem.ext`` (kept if already there).

        Raises:
            MediaError: the Graph API or the download failed, or the file is too large.
        """
        meta = await self._meta(ref.media_id)
        mime = _text(meta.get("mime_type")) or ref.mime_type or "application/octet-stream"
        path = folder / f"{stem}{EXTENSIONS.get(mime.split(';')[0].strip(), _UNKNOWN_TYPE)}"
        kept = await asyncio.to_thread(_size_of, path)
        if kept is not None:
            return SavedMedia(path, mime, kept)
        url = _text(meta.get("url"))
        size = meta.get("file_size")
        if not url:
            raise MediaError(f"WhatsApp gave no download URL for media {ref.media_id}")
        if isinstance(size, int) and size > self._max_bytes:
            raise MediaError(f"the file is {size} bytes; at most {self._max_bytes} are fetched")
        body = await self._download(url)
        _check_sha256(body, _text(meta.get("sha256")))
        await asyncio.to_thread(_save, path, body)
        return SavedMedia(path, mime, len(body))

    async def _meta(self, media_id: str) -> dict[str, Any]:
        s = self._settings
        url = f"{s.graph_api_base.rstrip('/')}/{s.api_version}/{media_id}"
        status, raw = await self._get(url)
        try:
            data = json.loads(raw)
        except ValueError:
            data = None
        if status != 200 or not isinstance(data, dict):
            error = data.get("error") if isinstance(data, dict) else None
            detail = _text(error.get("message")) if isinstance(error, dict) else ""
            raise MediaError(f"WhatsApp did not describe media {media_id} (HTTP {status}{': ' + detail if detail else ''})")
        return data

    async def _download(self, url: str) -> bytes:
        status, body = await self._get(url, limit=self._max_bytes)
        if status != 200:
            raise MediaError(f"downloading the file answered HTTP {status}")
        return body

    async def _get(self, url: str, limit: int = 1_000_000) -> tuple[int, bytes]:
        headers = {"Authorization": f"Bearer {self._token.get()}", "User-Agent": "refbot"}
        timeout = aiohttp.ClientTimeout(total=self._settings.send_timeout * 3)
        try:
            async with self._session.get(url, headers=headers, timeout=timeout) as response:
                chunks, total = [], 0
                async for chunk in response.content.iter_chunked(_CHUNK):
                    total += len(chunk)
                    if total > limit:
                        raise MediaError(f"the file is larger than {limit} bytes")
                    chunks.append(chunk)
                return response.status, b"".join(chunks)
        except TimeoutError as e:
            raise MediaError("WhatsApp's media server did not answer in time") from e
        except aiohttp.ClientError as e:
            raise MediaError(f"cannot reach WhatsApp's media server: {e}") from e


def _size_of(path: Path) -> int | None:
    return path.stat().st_size if path.is_file() else None


def _save(path: Path, body: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".part")
    tmp.write_bytes(body)
    tmp.replace(path)  # whole or not at all


def _check_sha256(body: bytes, expected: str) -> None:
    # The Graph API gives the file's SHA-256; check it when it is in the hex form we can read.
    if _HEX64.match(expected) and hashlib.sha256(body).hexdigest() != expected.lower():
        raise MediaError("the downloaded file does not match WhatsApp's checksum")


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""
